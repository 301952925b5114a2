#!/usr/bin/env bash
# Throwaway test servers on 127.0.0.1, for the store and fleet tests.
#
# Two ways to use it:
#   source .ci/servers.sh; start_servers postgres redis ...; ... ; stop_servers
#       (from .ci/run; every start_* exports the TK_* variables the tests read)
#   bash .ci/servers.sh start redis mongo      # prints `export TK_...=...` lines; servers keep running
#   bash .ci/servers.sh stop                   # stops every server started under $TK_SRV_DIR
#
# Each server lives in .ci/servers/NAME.sh, which defines start_NAME and stop_NAME and uses the
# helpers of .ci/servers/lib.sh. Ports are non-default and overridable through the environment:
#   TK_PG_PORT=15432  TK_REDIS_PORT=16379  TK_ZK_PORT=12181  TK_ETCD_PORT=12379 (+TK_ETCD_PEER_PORT)
#   TK_MONGO_PORT=27217  TK_RETHINK_PORT=28115
# State (data, logs, pid files) goes under $TK_SRV_DIR (default /tmp/triggerkit-servers).

_TK_SERVERS_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/servers
# shellcheck source=/dev/null
. "$_TK_SERVERS_HOME/lib.sh"
for _tk_f in "$_TK_SERVERS_HOME"/*.sh; do
  [ "$(basename "$_tk_f")" = lib.sh ] && continue
  # shellcheck source=/dev/null
  . "$_tk_f"
done
unset _tk_f

# start_servers NAME...: start each named server (postgres, redis, zookeeper, etcd, mongo, rethinkdb)
start_servers() {
  local name
  for name in "$@"; do
    "start_$name" || { echo "could not start $name" >&2; return 1; }
    TK_STARTED+=("$name")
  done
}

# stop_servers: stop every server this shell started, in reverse order
stop_servers() {
  local i
  for ((i = ${#TK_STARTED[@]} - 1; i >= 0; i--)); do "stop_${TK_STARTED[$i]}" || true; done
  TK_STARTED=()
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then  # run as a command, not sourced
  set -euo pipefail
  cmd=${1:-}; shift || true
  case "$cmd" in
    start) start_servers "$@" >&2; tk_print_exports ;;
    stop)
      for f in "$TK_SRV_DIR"/*/pid; do
        [ -f "$f" ] || continue
        # PostgreSQL: a fast shutdown (SIGTERM alone waits for every client to leave)
        [ "$(basename "$(dirname "$f")")" = postgres ] && stop_postgres
        [ -f "$f" ] || continue
        tk_stop_pid "$(cat "$f")"; rm -f "$f"
      done ;;
    *) echo "usage: bash .ci/servers.sh start NAME... | stop" >&2; exit 2 ;;
  esac
fi
