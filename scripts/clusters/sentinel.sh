# Redis Sentinel set of scripts/clusters.sh (sourced, not run): three redis-server data nodes on
# 127.0.0.1 (clients 27061-27063; node 1 starts as the primary, nodes 2 and 3 as its replicas)
# and three Sentinels (27071-27073, Debian's redis-server started with --sentinel) that monitor
# the primary under the name `eventwire` with a quorum of 2 and fail over once it has not
# answered for 5 s (down-after-milliseconds, the same as the Redis Cluster's node timeout).
# Each data node appends to its AOF (fsync every second) and takes no RDB snapshots, like the
# Redis Cluster's. Every node has a config file of its own, which Sentinel rewrites when it
# changes a node's role, so that a node restarted after a failover comes back as a replica of
# the new primary. Healthy = every Sentinel names the same primary and knows the 2 other
# Sentinels, and that primary has 2 replicas online.

SENTINEL_NODES=(1 2 3)
SENTINEL_NAME=eventwire

sentinel_data_port() { echo $((27060 + $1)); }
sentinel_port() { echo $((27070 + $1)); }
sentinel_data_dir() { echo "$CLUSTERS_DIR/sentinel-redis-$1"; }
sentinel_dir() { echo "$CLUSTERS_DIR/sentinel-$1"; }

sentinel_data_pid() {
  owned_pid "$(sentinel_data_dir "$1")/redis.pid" "redis-server $HOST:$(sentinel_data_port "$1")"
}

sentinel_pid() {
  owned_pid "$(sentinel_dir "$1")/sentinel.pid" "redis-server $HOST:$(sentinel_port "$1")"
}

sentinel_cluster_size() { echo 6; }

sentinel_cluster_pids() {
  local n
  for n in "${SENTINEL_NODES[@]}"; do sentinel_data_pid "$n" && echo || true; done
  for n in "${SENTINEL_NODES[@]}"; do sentinel_pid "$n" && echo || true; done
}

# The variables eventwire reads: the Sentinels in REDIS_URL, the primary's name in
# REDIS_SENTINEL_NAME (which makes the URLs Sentinels rather than Redis Cluster nodes).
sentinel_cluster_connection() {
  local n urls=()
  for n in "${SENTINEL_NODES[@]}"; do urls+=("redis://$HOST:$(sentinel_port "$n")"); done
  local IFS=,
  printf 'REDIS_URL=%s REDIS_SENTINEL_NAME=%s' "${urls[*]}" "$SENTINEL_NAME"
}

# sentinel_primary_at PORT -> the primary's host:port as the Sentinel on PORT names it.
sentinel_primary_at() {
  redis_cli_at "$1" sentinel get-master-addr-by-name "$SENTINEL_NAME" | paste -sd: -
}

# sentinel_field PORT FIELD -> FIELD of `SENTINEL MASTER eventwire` on the Sentinel on PORT.
sentinel_field() {
  redis_cli_at "$1" sentinel master "$SENTINEL_NAME" | sed -n "/^$2\$/{n;p;q}"
}

sentinel_cluster_healthy() {
  local n port primary='' seen
  for n in "${SENTINEL_NODES[@]}"; do
    port=$(sentinel_port "$n")
    seen=$(sentinel_primary_at "$port")
    [ -n "$seen" ] || return 1
    [ -z "$primary" ] || [ "$seen" = "$primary" ] || return 1
    primary=$seen
    [ "$(sentinel_field "$port" num-other-sentinels)" = 2 ] || return 1
  done
  [ "$(redis_cli_at "${primary##*:}" info replication | grep -c '^slave[0-9]*:.*state=online')" = 2 ]
}

sentinel_data_start() {
  local n=$1 port dir
  port=$(sentinel_data_port "$n")
  dir=$(sentinel_data_dir "$n")
  mkdir -p "$dir"
  if [ ! -f "$dir/redis.conf" ]; then
    {
      printf 'bind %s\nport %s\ndir %s\n' "$HOST" "$port" "$dir"
      printf 'pidfile %s\nlogfile %s\ndaemonize yes\n' "$dir/redis.pid" "$dir/redis.log"
      printf 'appendonly yes\nappendfsync everysec\nsave ""\n'
      [ "$n" = 1 ] || printf 'replicaof %s %s\n' "$HOST" "$(sentinel_data_port 1)"
    } >"$dir/redis.conf"
  fi
  log "sentinel: starting data node $n on $HOST:$port"
  redis-server "$dir/redis.conf" || {
    err "sentinel: data node $n (port $port) failed to start"
    return 1
  }
}

sentinel_start() {
  local n=$1 port dir
  port=$(sentinel_port "$n")
  dir=$(sentinel_dir "$n")
  mkdir -p "$dir"
  if [ ! -f "$dir/sentinel.conf" ]; then
    {
      printf 'bind %s\nport %s\ndir %s\n' "$HOST" "$port" "$dir"
      printf 'pidfile %s\nlogfile %s\ndaemonize yes\n' "$dir/sentinel.pid" "$dir/sentinel.log"
      printf 'sentinel monitor %s %s %s 2\n' "$SENTINEL_NAME" "$HOST" "$(sentinel_data_port 1)"
      printf 'sentinel down-after-milliseconds %s 5000\n' "$SENTINEL_NAME"
      printf 'sentinel failover-timeout %s 60000\n' "$SENTINEL_NAME"
      printf 'sentinel parallel-syncs %s 1\n' "$SENTINEL_NAME"
    } >"$dir/sentinel.conf"
  fi
  log "sentinel: starting Sentinel $n on $HOST:$port"
  redis-server "$dir/sentinel.conf" --sentinel || {
    err "sentinel: Sentinel $n (port $port) failed to start"
    return 1
  }
}

sentinel_cluster_up() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server || return 1
  local n port running=0
  for n in "${SENTINEL_NODES[@]}"; do
    if sentinel_data_pid "$n" >/dev/null; then running=$((running + 1)); fi
    if sentinel_pid "$n" >/dev/null; then running=$((running + 1)); fi
  done
  [ "$running" -gt 0 ] || rm -rf "$CLUSTERS_DIR"/sentinel-redis-[0-9] "$CLUSTERS_DIR"/sentinel-[0-9]
  for n in "${SENTINEL_NODES[@]}"; do
    sentinel_data_pid "$n" >/dev/null && continue
    port=$(sentinel_data_port "$n")
    if port_open "$port"; then
      err "sentinel: port $port is held by a process this script did not start"
      return 1
    fi
    sentinel_data_start "$n" || return 1
  done
  for n in "${SENTINEL_NODES[@]}"; do
    sentinel_pid "$n" >/dev/null && continue
    port=$(sentinel_port "$n")
    if port_open "$port"; then
      err "sentinel: port $port is held by a process this script did not start"
      return 1
    fi
    sentinel_start "$n" || return 1
  done
  for n in "${SENTINEL_NODES[@]}"; do
    port=$(sentinel_data_port "$n")
    until_true 30 "sentinel: data node $n answering PING on $port" redis_node_pong "$port" || return 1
    port=$(sentinel_port "$n")
    until_true 30 "sentinel: Sentinel $n answering PING on $port" redis_node_pong "$port" || return 1
  done
  until_true "$CLUSTER_START_TIMEOUT" "sentinel: one primary with 2 replicas online, known to 3 Sentinels" sentinel_cluster_healthy
}

sentinel_cluster_down() {
  local n pid stopped=0
  # The Sentinels first, so that none starts a failover while the data nodes stop.
  for n in "${SENTINEL_NODES[@]}"; do
    pid=$(sentinel_pid "$n") || continue
    redis_cli_at "$(sentinel_port "$n")" shutdown >/dev/null || true
    stop_pid "$pid" 30
    stopped=$((stopped + 1))
  done
  for n in "${SENTINEL_NODES[@]}"; do
    pid=$(sentinel_data_pid "$n") || continue
    redis_cli_at "$(sentinel_data_port "$n")" shutdown nosave >/dev/null || true
    stop_pid "$pid" 30
    stopped=$((stopped + 1))
  done
  log "sentinel: stopped $stopped node(s) started by this script"
}
