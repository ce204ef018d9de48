# Redis Cluster of scripts/clusters.sh (sourced, not run): six redis-server nodes on 127.0.0.1,
# clients on 27001-27006, cluster bus on 27011-27016 (set explicitly: the default, port + 10000,
# would land in Linux's ephemeral range), made one cluster of 3 primaries with 1 replica each by
# `redis-cli --cluster create`. Each node appends to its AOF (fsync every second) and takes no
# RDB snapshots. Healthy = every node reports cluster_state:ok and knows the 6 nodes.

REDIS_CLUSTER_NODES=(1 2 3 4 5 6)

redis_node_port() { echo $((27000 + $1)); }
redis_node_dir() { echo "$CLUSTERS_DIR/redis-$1"; }

redis_cli_at() {
  local port=$1
  shift
  timeout 10 redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null | tr -d '\r'
}

redis_node_pid() {
  owned_pid "$(redis_node_dir "$1")/redis.pid" "redis-server $HOST:$(redis_node_port "$1")"
}

redis_cluster_size() { echo 6; }

redis_cluster_pids() {
  local n
  for n in "${REDIS_CLUSTER_NODES[@]}"; do redis_node_pid "$n" && echo || true; done
}

# The variable eventwire reads: every node, as a list of URLs (a list selects ioredis's cluster
# client; any one node would do to find the rest, more let a client start while some are down).
redis_cluster_connection() {
  local n seeds=()
  for n in "${REDIS_CLUSTER_NODES[@]}"; do seeds+=("redis://$HOST:$(redis_node_port "$n")"); done
  local IFS=,
  printf 'REDIS_URL=%s' "${seeds[*]}"
}

# redis_cluster_info N FIELD -> the value of FIELD in node N's CLUSTER INFO.
redis_cluster_info() {
  redis_cli_at "$(redis_node_port "$1")" cluster info | sed -n "s/^$2://p"
}

# redis_node_pong PORT -> 0 when the node answers PING. A function, so that until_true asks again
# each time (a "$(…)" argument would be expanded once, before the first try).
redis_node_pong() { [ "$(redis_cli_at "$1" ping)" = PONG ]; }

redis_cluster_healthy() {
  local n
  for n in "${REDIS_CLUSTER_NODES[@]}"; do
    [ "$(redis_cluster_info "$n" cluster_state)" = ok ] || return 1
    [ "$(redis_cluster_info "$n" cluster_known_nodes)" = 6 ] || return 1
  done
}

redis_node_start() {
  local n=$1 port dir
  port=$(redis_node_port "$n")
  dir=$(redis_node_dir "$n")
  mkdir -p "$dir"
  log "redis: starting node $n on $HOST:$port"
  redis-server --daemonize yes --bind "$HOST" --port "$port" --cluster-port $((port + 10)) \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --appendonly yes --appendfsync everysec --save "" || {
    err "redis: node $n (port $port) failed to start"
    return 1
  }
}

redis_cluster_create() {
  local n hosts=() out
  for n in "${REDIS_CLUSTER_NODES[@]}"; do hosts+=("$HOST:$(redis_node_port "$n")"); done
  log "redis: creating the cluster (redis-cli --cluster create, 1 replica per primary)"
  if ! out=$(timeout 60 redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes 2>&1); then
    err "redis: 'redis-cli --cluster create' failed:"
    printf '%s\n' "$out" | tail -n 20 >&2
    return 1
  fi
}

redis_cluster_up() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server || return 1
  local n port running=0
  for n in "${REDIS_CLUSTER_NODES[@]}"; do
    if redis_node_pid "$n" >/dev/null; then running=$((running + 1)); fi
  done
  [ "$running" -gt 0 ] || rm -rf "$CLUSTERS_DIR"/redis-[0-9]
  for n in "${REDIS_CLUSTER_NODES[@]}"; do
    port=$(redis_node_port "$n")
    redis_node_pid "$n" >/dev/null && continue
    if port_open "$port" || port_open $((port + 10)); then
      err "redis: port $port or $((port + 10)) is held by a process this script did not start"
      return 1
    fi
    redis_node_start "$n" || return 1
  done
  for n in "${REDIS_CLUSTER_NODES[@]}"; do
    port=$(redis_node_port "$n")
    until_true 30 "redis: node $n answering PING on $port" redis_node_pong "$port" || return 1
  done
  # A node that never joined knows only itself; create the cluster when none has joined yet.
  if [ "$(redis_cluster_info 1 cluster_known_nodes)" = 1 ] && [ "$(redis_cluster_info 1 cluster_slots_assigned)" = 0 ]; then
    redis_cluster_create || return 1
  fi
  until_true "$CLUSTER_START_TIMEOUT" "redis: cluster_state:ok on all 6 nodes" redis_cluster_healthy
}

redis_cluster_down() {
  local n pid port stopped=0
  for n in "${REDIS_CLUSTER_NODES[@]}"; do
    pid=$(redis_node_pid "$n") || continue
    port=$(redis_node_port "$n")
    redis_cli_at "$port" shutdown nosave >/dev/null || true
    stop_pid "$pid" 30
    stopped=$((stopped + 1))
  done
  log "redis: stopped $stopped node(s) started by this script"
}
