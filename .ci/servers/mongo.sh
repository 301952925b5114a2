# MongoDB wire protocol on 127.0.0.1:$TK_MONGO_PORT: the nx-27017 server from PyPI.
#
# No real mongod can be installed here (no Debian package, no reachable binary download), so the
# stand-in is nx-27017, a pure-Python MongoDB wire-protocol server backed by SQLite (neosqlite).
# It pins its own pymongo, so it lives in its OWN virtualenv, kept in a cache directory between
# runs ($TK_NX_VENV, default ~/.cache/triggerkit/nx-27017-0.8.1); the project's venv stays free
# to choose its pymongo. docs/stores.md says what this stand-in does not prove.
TK_NX_VERSION=0.8.1
TK_NEOSQLITE_VERSION=1.17.2

_tk_nx_venv() {
  echo "${TK_NX_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/triggerkit/nx-27017-$TK_NX_VERSION}"
}

# Create the server's virtualenv once; a half-built one (no nx-27017 script) is rebuilt.
_tk_nx_install() {
  local venv
  venv=$(_tk_nx_venv)
  [ -x "$venv/bin/nx-27017" ] && return 0
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" || return 1
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "nx-27017==$TK_NX_VERSION" "neosqlite==$TK_NEOSQLITE_VERSION" || { rm -rf "$venv"; return 1; }
}

start_mongo() {
  local port=${TK_MONGO_PORT:-27217} d="$TK_SRV_DIR/mongo" venv pid
  _tk_nx_install || { echo "could not install nx-27017 into $(_tk_nx_venv)" >&2; return 1; }
  venv=$(_tk_nx_venv)
  mkdir -p "$d/data"
  tk_port_free "$port" || { echo "port $port is busy (TK_MONGO_PORT)" >&2; return 1; }
  # Explicit log and pid files: the defaults are shared paths under /tmp.
  "$venv/bin/nx-27017" --data-dir "$d/data" --host 127.0.0.1 -p "$port" \
    --log-file "$d/nx.log" --pid-file "$d/nx.pid" >"$d/stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$d/pid"
  tk_wait mongo 60 "$pid" "$venv/bin/python" -c "import pymongo; pymongo.MongoClient(
    '127.0.0.1', $port, serverSelectionTimeoutMS=500, directConnection=True).admin.command('ping')" \
    || { tail -20 "$d/stdout.log" >&2; return 1; }
  tk_export TK_MONGO_PORT "$port"
  echo "mongo (nx-27017 $TK_NX_VERSION) ready on 127.0.0.1:$port"
}

stop_mongo() {
  local f="$TK_SRV_DIR/mongo/pid"
  [ -f "$f" ] && tk_stop_pid "$(cat "$f")"
  rm -f "$f"
}
