# Redis (Debian redis-server) on 127.0.0.1:$TK_REDIS_PORT, no persistence.
# $TK_REDIS_ARGS: extra server options, after the defaults (the outage test turns on the
# append-only file with it, so that a stopped server comes back with its data).
start_redis() {
  local port=${TK_REDIS_PORT:-16379} d="$TK_SRV_DIR/redis"
  tk_apt redis-server || return 1
  mkdir -p "$d"
  tk_port_free "$port" || { echo "port $port is busy (TK_REDIS_PORT)" >&2; return 1; }
  # shellcheck disable=SC2086 # TK_REDIS_ARGS is a list of words
  redis-server --port "$port" --bind 127.0.0.1 --dir "$d" --daemonize yes --pidfile "$d/pid" \
    --logfile "$d/redis.log" --save '' --appendonly no ${TK_REDIS_ARGS:-}
  tk_wait redis 30 "" sh -c "redis-cli -h 127.0.0.1 -p $port ping | grep -q PONG" || return 1
  tk_export TK_REDIS_PORT "$port"
  echo "redis ready on 127.0.0.1:$port"
}
stop_redis() {
  local f="$TK_SRV_DIR/redis/pid"
  [ -f "$f" ] && tk_stop_pid "$(cat "$f")"
  rm -f "$f"
}
