#!/usr/bin/env bash
# Local 3-node clusters for eventwire's cluster work (issue 16), next to, never instead of, the
# single brokers of scripts/brokers.sh:
#
#   npm run brokers -- up     --cluster [kafka|rabbitmq|redis|sentinel ...]   # default: all four
#   npm run brokers -- down   --cluster [kafka|rabbitmq|redis|sentinel ...]
#   npm run brokers -- status --cluster [kafka|rabbitmq|redis|sentinel ...]
#   (the same as: bash scripts/clusters.sh up|down|status [...])
#
# From the same sources as the single brokers: Kafka's jars in .cache/kafka/lib (fetched from
# Maven Central by scripts/brokers.sh), Debian's redis-server and rabbitmq-server. Every node
# listens on 127.0.0.1 in the range 27000-27099, which collides with neither the standard
# ports (6379, 5672, 9092, 9093, RabbitMQ's 25672 and epmd's 4369), nor the fault runner's slot
# ports (21000-25999), nor Linux's ephemeral ports (32768 and up):
#
#   redis     6 nodes (3 primaries, 3 replicas)  clients 27001-27006, cluster bus 27011-27016
#   rabbitmq  3 nodes                            AMQP    27021-27023, Erlang dist 27031-27033
#   kafka     3 KRaft nodes (broker+controller)  clients 27041-27043, controller  27051-27053
#   sentinel  3 Redis nodes (1 primary, 2 repl.)  clients 27061-27063, Sentinels   27071-27073
#
# Each node keeps its config, data, log and pid file in .cache/clusters/<broker>-<n>. `up` reuses
# the nodes that already run (started by this script: pid file and command line both match),
# starts the others, waits until each cluster is healthy and prints its connection strings; it
# fails when a foreign process holds one of the ports. A cold start (no node of that cluster
# running) wipes the cluster's data first, like brokers.sh does for Kafka, so runs never see each
# other's topics, queues or keys. `down` stops only the nodes whose pid files this script wrote.
# `status` checks health and prints each cluster's resident memory (sum of its nodes' RSS).
#
# Environment knobs (all optional):
#   CLUSTER_KAFKA_HEAP_OPTS   JVM heap of each Kafka node (default: -Xmx512m -Xms256m)
#   CLUSTER_START_TIMEOUT     seconds to wait for each cluster to become healthy (default: 180)
set -euo pipefail

LOG_TAG=clusters
# shellcheck source=brokers.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/brokers.sh"

CLUSTERS_DIR="$CACHE_DIR/clusters"
CLUSTER_START_TIMEOUT="${CLUSTER_START_TIMEOUT:-180}"
ALL_CLUSTERS=(redis rabbitmq kafka sentinel)

# owned_pid PIDFILE PATTERN -> prints the pid when it is alive and its command line contains
# PATTERN, so that a reused pid never makes `down` stop a stranger.
owned_pid() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(tr -d '[:space:]' <"$1")
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  printf '%s' "$pid"
}

# stop_pid PID SECONDS -> SIGTERM, then SIGKILL once SECONDS have passed; returns once it exited.
stop_pid() {
  local pid=$1 deadline=$((SECONDS + $2))
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      err "pid $pid ignored SIGTERM for $2s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.5
  done
}

# rss_mib PID... -> the summed resident memory of the processes, in MiB.
rss_mib() {
  local pid kib=0 rss
  for pid in "$@"; do
    rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
    kib=$((kib + ${rss:-0}))
  done
  printf '%d' $((kib / 1024))
}

# until_true SECONDS WHAT COMMAND... -> 0 once COMMAND succeeds; 1 (with WHAT logged) on timeout
# or as soon as COMMAND returns 2, its way of saying that waiting longer cannot help.
until_true() {
  local limit=$1 what=$2 deadline=$((SECONDS + $1)) code
  shift 2
  while :; do
    code=0
    "$@" || code=$?
    [ "$code" -ne 0 ] || return 0
    if [ "$code" -eq 2 ]; then
      err "$what: gave up (the process exited)"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      err "$what: not reached within ${limit}s"
      return 1
    fi
    sleep 1
  done
}

# shellcheck source=clusters/redis.sh
source "$ROOT_DIR/scripts/clusters/redis.sh"
# shellcheck source=clusters/rabbitmq.sh
source "$ROOT_DIR/scripts/clusters/rabbitmq.sh"
# shellcheck source=clusters/kafka.sh
source "$ROOT_DIR/scripts/clusters/kafka.sh"
# shellcheck source=clusters/sentinel.sh
source "$ROOT_DIR/scripts/clusters/sentinel.sh"

cluster_usage() {
  echo "usage: bash scripts/clusters.sh up|down|status [kafka|redis|rabbitmq|sentinel ...]" >&2
  exit 2
}

# cluster_report NAME -> one line: health, RSS of its nodes, connection string; 1 when unhealthy.
cluster_report() {
  local name=$1 pids=() state=up code=0
  mapfile -t pids < <("${name}_cluster_pids")
  "${name}_cluster_healthy" || { state=down; code=1; }
  printf '%-9s %-5s %d/%d nodes  RSS %5s MiB  %s\n' "$name" "$state" "${#pids[@]}" \
    "$("${name}_cluster_size")" "$(rss_mib "${pids[@]}")" "$("${name}_cluster_connection")"
  return "$code"
}

cluster_main() {
  [ $# -ge 1 ] || cluster_usage
  local action=$1 n
  shift
  case $action in up | down | status) ;; *) cluster_usage ;; esac
  local names=("$@")
  [ ${#names[@]} -gt 0 ] || names=("${ALL_CLUSTERS[@]}")
  for n in "${names[@]}"; do
    case $n in redis | rabbitmq | kafka | sentinel) ;; *)
      err "unknown cluster '$n' (expected kafka, redis, rabbitmq or sentinel)"
      cluster_usage
      ;;
    esac
  done
  mkdir -p "$CLUSTERS_DIR"
  local failed=() start
  for n in "${names[@]}"; do
    case $action in
      up)
        start=$SECONDS
        if "${n}_cluster_up"; then
          log "$n: healthy after $((SECONDS - start))s"
        else
          failed+=("$n")
        fi
        ;;
      down) "${n}_cluster_down" || failed+=("$n") ;;
      status) ;;
    esac
  done
  if [ "$action" != down ]; then
    for n in "${names[@]}"; do
      cluster_report "$n" || { [ "$action" = up ] || failed+=("$n"); }
    done
  fi
  if [ ${#failed[@]} -gt 0 ]; then
    [ "$action" = status ] || err "could not $action: ${failed[*]}"
    exit 1
  fi
}

cluster_main "$@"
