# PostgreSQL (Debian postgresql) on 127.0.0.1:$TK_PG_PORT: a throwaway cluster made by initdb as
# the postgres user in $TK_SRV_DIR/postgres, trust auth, durability off (test data only).
# $TK_PG_KEEP_DATA set: a cluster already there is started as it is (a restart keeps the data).
_tk_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

start_postgres() {
  local port=${TK_PG_PORT:-15432} d="$TK_SRV_DIR/postgres" bin
  tk_apt postgresql || return 1
  bin=$(_tk_pg_bin)
  [ -n "$bin" ] || { echo "no PostgreSQL binaries under /usr/lib/postgresql" >&2; return 1; }
  tk_port_free "$port" || { echo "port $port is busy (TK_PG_PORT)" >&2; return 1; }
  if [ -n "${TK_PG_KEEP_DATA:-}" ] && [ -f "$d/data/PG_VERSION" ]; then
    :  # a restart that keeps the cluster (tests/servers.py PrivateServer.restart)
  else
    rm -rf "$d"
    mkdir -p "$d"
    chown postgres:postgres "$d"
    chmod 700 "$d"
    runuser -u postgres -- "$bin/initdb" -D "$d/data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 --no-sync >"$d/initdb.log" 2>&1 || { cat "$d/initdb.log" >&2; return 1; }
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $d -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$d/server.log" >&2; return 1; }
  # `servers.sh stop` reads a pid file like the other servers'.
  head -1 "$d/data/postmaster.pid" >"$d/pid"
  tk_export TK_PG_PORT "$port"
  tk_export TK_PG_URL "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  echo "postgres ready on 127.0.0.1:$port"
}

stop_postgres() {
  local d="$TK_SRV_DIR/postgres" bin
  bin=$(_tk_pg_bin)
  if [ -n "$bin" ] && [ -f "$d/data/postmaster.pid" ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [ -f "$d/pid" ] && tk_stop_pid "$(cat "$d/pid")"
  rm -f "$d/pid"
}
