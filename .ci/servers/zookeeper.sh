# ZooKeeper (Debian zookeeper) on 127.0.0.1:$TK_ZK_PORT, standalone, throwaway data directory.
# Started as a plain `java QuorumPeerMain zoo.cfg` (zkServer.sh writes to /var/log and turns on JMX).
start_zookeeper() {
  local port=${TK_ZK_PORT:-12181} d="$TK_SRV_DIR/zookeeper" cp
  tk_apt zookeeper || return 1
  tk_port_free "$port" || { echo "port $port is busy (TK_ZK_PORT)" >&2; return 1; }
  mkdir -p "$d/data"  # kept across a stop and start (the outage tests restart the server)
  # admin.enableServer=false: otherwise Jetty's AdminServer binds 8080 on every interface.
  # 4lw whitelist: kazoo's server_version() sends `envi`; the readiness probe sends `ruok`.
  cat >"$d/zoo.cfg" <<CFG
tickTime=2000
dataDir=$d/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=no
admin.enableServer=false
4lw.commands.whitelist=ruok,envi,srvr,stat
CFG
  cp=/usr/share/java/zookeeper.jar
  [ -f /usr/share/java/slf4j-simple.jar ] && cp="$cp:/usr/share/java/slf4j-simple.jar"
  java -Xmx256m -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg" \
    >"$d/zookeeper.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
  # bash, not sh: the probe needs bash's /dev/tcp; timeout: a ZooKeeper still starting can
  # accept the probe and never answer nor close it (an NPE in its close path), which hung CI
  tk_wait zookeeper 60 "$(cat "$d/pid")" \
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf ruok >&3 && grep -q imok <&3" \
    || { tail -20 "$d/zookeeper.log" >&2; return 1; }
  tk_export TK_ZK_PORT "$port"
  echo "zookeeper ready on 127.0.0.1:$port"
}
stop_zookeeper() {
  local f="$TK_SRV_DIR/zookeeper/pid"
  [ -f "$f" ] && tk_stop_pid "$(cat "$f")"
  rm -f "$f"
}
