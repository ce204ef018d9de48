# RabbitMQ cluster of scripts/clusters.sh (sourced, not run): three nodes
# eventwire-cluster-<n>@localhost, AMQP on 127.0.0.1:27021-27023, Erlang distribution on
# 27031-27033, joined with `rabbitmqctl join_cluster` to node 1. As the fault runner's private
# node (tools/faults/rabbitmq-instance.ts), each node has its own config, env file, plugin list, data,
# logs and HOME, so nothing of the system's /etc/rabbitmq (its node name, its 5672 listener)
# applies, and the machine's own RabbitMQ is never touched. The three HOMEs hold one Erlang
# cookie, which the nodes and rabbitmqctl share. Healthy = node 1's cluster_status lists the three
# nodes as running.

RABBIT_CLUSTER_NODES=(1 2 3)

rabbit_node_name() { echo "eventwire-cluster-$1@localhost"; }
rabbit_node_port() { echo $((27020 + $1)); }
rabbit_node_dir() { echo "$CLUSTERS_DIR/rabbitmq-$1"; }

# The library's bin directory first: Debian's /usr/sbin wrappers switch to the rabbitmq user.
rabbit_bin() {
  local path
  for path in "/usr/lib/rabbitmq/bin/$1" "/usr/sbin/$1"; do
    [ -x "$path" ] && { echo "$path"; return 0; }
  done
  echo "$1"
}

# rabbit_env N -> the environment of node N (and of rabbitmqctl talking to it), one VAR=value a line.
rabbit_env() {
  local dir
  dir=$(rabbit_node_dir "$1")
  cat <<EOF
HOME=$dir/home
RABBITMQ_NODENAME=$(rabbit_node_name "$1")
RABBITMQ_NODE_IP_ADDRESS=$HOST
RABBITMQ_NODE_PORT=$(rabbit_node_port "$1")
RABBITMQ_DIST_PORT=$((27030 + $1))
RABBITMQ_MNESIA_BASE=$dir/mnesia
RABBITMQ_LOG_BASE=$dir/log
RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
RABBITMQ_PID_FILE=$dir/rabbitmq.pid
RABBITMQ_ALLOW_INPUT=true
RABBITMQ_SERVER_START_ARGS=-noinput
ERL_EPMD_ADDRESS=$HOST
ERL_CRASH_DUMP=$dir/erl_crash.dump
EOF
}

# rabbit_ctl N ARGS... -> rabbitmqctl against node N, with its environment.
rabbit_ctl() {
  local n=$1 vars=()
  shift
  mapfile -t vars < <(rabbit_env "$n")
  (cd "$(rabbit_node_dir "$n")" && timeout 90 env "${vars[@]}" "$(rabbit_bin rabbitmqctl)" -n "$(rabbit_node_name "$n")" "$@")
}

rabbit_node_pid() {
  owned_pid "$(rabbit_node_dir "$1")/server.pid" "$(rabbit_node_dir "$1")/home"
}

rabbitmq_cluster_size() { echo 3; }

rabbitmq_cluster_pids() {
  local n
  for n in "${RABBIT_CLUSTER_NODES[@]}"; do rabbit_node_pid "$n" && echo || true; done
}

rabbitmq_cluster_connection() {
  local n urls=()
  for n in "${RABBIT_CLUSTER_NODES[@]}"; do urls+=("amqp://guest:guest@$HOST:$(rabbit_node_port "$n")"); done
  printf 'RABBITMQ_URL=%s (nodes: %s)' "${urls[0]}" "${urls[*]}"
}

# rabbit_running_nodes -> how many nodes node 1's cluster_status lists as running.
rabbit_running_nodes() {
  rabbit_ctl 1 cluster_status --formatter json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{try{console.log(JSON.parse(s).running_nodes.length)}catch{console.log(0)}})'
}

rabbitmq_cluster_healthy() { [ "$(rabbit_running_nodes)" = 3 ]; }

# rabbit_prepare N COOKIE -> writes node N's own files (a cold start wiped the folder).
rabbit_prepare() {
  local dir
  dir=$(rabbit_node_dir "$1")
  mkdir -p "$dir/home" "$dir/log"
  if [ ! -f "$dir/home/.erlang.cookie" ]; then
    printf '%s' "$2" >"$dir/home/.erlang.cookie"
    chmod 400 "$dir/home/.erlang.cookie"
  fi
  printf 'listeners.tcp.local = %s:%s\n' "$HOST" "$(rabbit_node_port "$1")" >"$dir/rabbitmq.conf"
  : >"$dir/rabbitmq-env.conf"
  echo '[].' >"$dir/enabled_plugins"
}

# rabbit_node_start N -> starts node N in its own session; its pid is the Erlang VM's
# (RABBITMQ_ALLOW_INPUT makes rabbitmq-server exec it), recorded in server.pid.
rabbit_node_start() {
  local n=$1 dir vars=() pid
  dir=$(rabbit_node_dir "$n")
  mapfile -t vars < <(rabbit_env "$n")
  log "rabbitmq: starting node $(rabbit_node_name "$n") on $HOST:$(rabbit_node_port "$n")"
  (
    cd "$dir"
    exec setsid nohup env "${vars[@]}" "$(rabbit_bin rabbitmq-server)"
  ) >"$dir/console.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$dir/server.pid"
}

rabbit_node_booted() {
  rabbit_node_pid "$1" >/dev/null || return 2
  port_open "$(rabbit_node_port "$1")" && rabbit_ctl "$1" await_startup --timeout 30 >/dev/null 2>&1
}

# rabbit_join N -> makes node N a member of node 1's cluster, unless it is one already.
rabbit_join() {
  local n=$1 one
  one=$(rabbit_node_name 1)
  if rabbit_ctl 1 cluster_status --formatter json 2>/dev/null | grep -qF "\"$(rabbit_node_name "$n")\""; then
    return 0
  fi
  log "rabbitmq: joining $(rabbit_node_name "$n") to $one"
  # rabbitmqctl reports the peers' transient complaints while a node rejoins: shown on failure only.
  local out
  if ! out=$(rabbit_ctl "$n" stop_app 2>&1 && rabbit_ctl "$n" reset 2>&1 &&
    rabbit_ctl "$n" join_cluster "$one" 2>&1 && rabbit_ctl "$n" start_app 2>&1); then
    err "rabbitmq: $(rabbit_node_name "$n") could not join $one (log: $(rabbit_node_dir "$n")/log):"
    printf '%s\n' "$out" | tail -n 20 >&2
    return 1
  fi
}

rabbitmq_cluster_up() {
  [ -x "$(rabbit_bin rabbitmq-server)" ] || apt_install rabbitmq-server || return 1
  local n port running=0 cookie
  for n in "${RABBIT_CLUSTER_NODES[@]}"; do
    if rabbit_node_pid "$n" >/dev/null; then running=$((running + 1)); fi
  done
  [ "$running" -gt 0 ] || rm -rf "$CLUSTERS_DIR"/rabbitmq-[0-9]
  cookie=$(cat "$(rabbit_node_dir 1)/home/.erlang.cookie" 2>/dev/null ||
    head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr '[:lower:]' '[:upper:]')
  for n in "${RABBIT_CLUSTER_NODES[@]}"; do
    rabbit_node_pid "$n" >/dev/null && continue
    port=$(rabbit_node_port "$n")
    if port_open "$port" || port_open $((27030 + n)); then
      err "rabbitmq: port $port or $((27030 + n)) is held by a process this script did not start"
      return 1
    fi
    rabbit_prepare "$n" "$cookie"
    rabbit_node_start "$n"
  done
  for n in "${RABBIT_CLUSTER_NODES[@]}"; do
    until_true "$CLUSTER_START_TIMEOUT" "rabbitmq: node $(rabbit_node_name "$n") booted" rabbit_node_booted "$n" || {
      tail -n 20 "$(rabbit_node_dir "$n")"/log/*.log >&2 2>/dev/null || true
      return 1
    }
  done
  for n in "${RABBIT_CLUSTER_NODES[@]:1}"; do rabbit_join "$n" || return 1; done
  until_true "$CLUSTER_START_TIMEOUT" "rabbitmq: 3 running nodes in cluster_status" rabbitmq_cluster_healthy
}

# Members stop one by one, node 1 last; a later cold start wipes the data, so the order in
# which RabbitMQ would want them back does not matter.
rabbitmq_cluster_down() {
  local n pid stopped=0
  for n in 3 2 1; do
    pid=$(rabbit_node_pid "$n") || continue
    rabbit_ctl "$n" stop >/dev/null 2>&1 || true
    stop_pid "$pid" 60
    stopped=$((stopped + 1))
  done
  log "rabbitmq: stopped $stopped node(s) started by this script"
}
