# Helpers shared by the .ci/servers/*.sh start-up files. Sourced by .ci/servers.sh.
TK_SRV_DIR=${TK_SRV_DIR:-/tmp/triggerkit-servers}
mkdir -p "$TK_SRV_DIR"
chmod 755 "$TK_SRV_DIR"   # the postgres user must be able to traverse it
TK_STARTED=()
TK_EXPORTS=()

# tk_export NAME VALUE: export a variable for the tests and remember it for `servers.sh start`
tk_export() {
  export "$1=$2"
  TK_EXPORTS+=("$1")
}

tk_print_exports() {
  local v
  for v in "${TK_EXPORTS[@]}"; do printf 'export %s=%q\n' "$v" "${!v}"; done
}

# tk_apt NAME...: install the Debian packages that are missing (apt-get update once)
tk_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "${_TK_APT_UPDATED:-}" ]; then apt-get update -qq; _TK_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# tk_wait NAME SECONDS PID CMD...: run CMD until it succeeds; fail if PID dies or time runs out
tk_wait() {
  local name=$1 timeout=$2 pid=$3
  shift 3
  local deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited during start-up" >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$name not ready after ${timeout}s" >&2
      return 1
    fi
    sleep 0.1
  done
}

# tk_stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
tk_stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

# tk_port_free PORT: true when nothing listens on 127.0.0.1:PORT
tk_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
