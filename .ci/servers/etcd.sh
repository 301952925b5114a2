# etcd (Debian etcd-server, etcdctl from etcd-client) on 127.0.0.1:$TK_ETCD_PORT, single member.
# The peer port is non-default too (TK_ETCD_PEER_PORT, default: the client port + 1), so a stray
# etcd on 2379/2380 never collides.
start_etcd() {
  local port=${TK_ETCD_PORT:-12379} d="$TK_SRV_DIR/etcd"
  local peer=${TK_ETCD_PEER_PORT:-$((port + 1))}
  tk_apt etcd-server etcd-client || return 1
  tk_port_free "$port" || { echo "port $port is busy (TK_ETCD_PORT)" >&2; return 1; }
  tk_port_free "$peer" || { echo "port $peer is busy (TK_ETCD_PEER_PORT)" >&2; return 1; }
  mkdir -p "$d"  # data kept across a stop and start (the outage tests restart the server)
  etcd --name triggerkit --data-dir "$d/data" \
    --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "triggerkit=http://127.0.0.1:$peer" --initial-cluster-state new \
    --unsafe-no-fsync >"$d/etcd.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
  tk_wait etcd 60 "$(cat "$d/pid")" \
    env ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$port" --command-timeout=2s endpoint health \
    || { tail -20 "$d/etcd.log" >&2; return 1; }
  tk_export TK_ETCD_PORT "$port"
  echo "etcd ready on 127.0.0.1:$port (peer $peer)"
}
stop_etcd() {
  local f="$TK_SRV_DIR/etcd/pid"
  [ -f "$f" ] && tk_stop_pid "$(cat "$f")"
  rm -f "$f"
}
