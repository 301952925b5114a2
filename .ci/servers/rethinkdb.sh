# RethinkDB wire protocol on 127.0.0.1:$TK_RETHINK_PORT. No RethinkDB server can be installed here
# (no Debian, PyPI or npm package ships one), so this runs npm's reqlite@2.3.0, an in-memory
# RethinkDB written in JavaScript, through reqlite-launcher.js (loopback only, exact port, a correct
# NOREPLY_WAIT answer). What it does not prove is listed in docs/stores.md.
# reqlite is installed once with npm into $TK_REQLITE_DIR (default ~/.cache/triggerkit/reqlite-2.3.0).
TK_REQLITE_VERSION=2.3.0

tk_reqlite_install() {
  local dir=${TK_REQLITE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/triggerkit/reqlite-$TK_REQLITE_VERSION}
  if [ ! -f "$dir/node_modules/reqlite/package.json" ]; then
    command -v npm >/dev/null || tk_apt nodejs npm || return 1
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
      "reqlite@$TK_REQLITE_VERSION" >&2 || return 1
  fi
  TK_REQLITE_MODULES="$dir/node_modules"
}

start_rethinkdb() {
  local port=${TK_RETHINK_PORT:-28115} d="$TK_SRV_DIR/rethinkdb"
  local launcher
  launcher="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/reqlite-launcher.js"
  tk_reqlite_install || { echo "could not install reqlite@$TK_REQLITE_VERSION with npm" >&2; return 1; }
  tk_port_free "$port" || { echo "port $port is busy (TK_RETHINK_PORT)" >&2; return 1; }
  mkdir -p "$d"
  NODE_PATH="$TK_REQLITE_MODULES" node "$launcher" "$port" >"$d/reqlite.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
  tk_wait rethinkdb 60 "$(cat "$d/pid")" grep -q "listening on 127.0.0.1:$port" "$d/reqlite.log" \
    || { tail -20 "$d/reqlite.log" >&2; return 1; }
  tk_export TK_RETHINK_PORT "$port"
  echo "rethinkdb (reqlite $TK_REQLITE_VERSION) ready on 127.0.0.1:$port"
}
stop_rethinkdb() {
  local f="$TK_SRV_DIR/rethinkdb/pid"
  [ -f "$f" ] && tk_stop_pid "$(cat "$f")"
  rm -f "$f"
}
