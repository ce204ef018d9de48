#!/usr/bin/env bash
# Local/CI message brokers for the eventwire integration tests.
#
#   bash scripts/brokers.sh up     [kafka|redis|rabbitmq ...]   # default: all three
#   bash scripts/brokers.sh down   [kafka|redis|rabbitmq ...]
#   bash scripts/brokers.sh status [kafka|redis|rabbitmq ...]
#   bash scripts/brokers.sh clients   # the third-party clients of test/interop (see clients_up)
#   bash scripts/brokers.sh up|down|status --cluster [kafka|redis|rabbitmq|sentinel ...]
#                                  # the 3-node clusters instead: see scripts/clusters.sh
#
# Each broker ends up reachable on its standard port on 127.0.0.1:
#   redis     127.0.0.1:6379   distro redis-server (apt-installed if missing and root)
#   rabbitmq  127.0.0.1:5672   distro rabbitmq-server (apt-installed if missing and root)
#   kafka     127.0.0.1:9092   Apache Kafka 4.x, KRaft, single combined broker+controller,
#                              run from Apache's own jars fetched from Maven Central with
#                              `mvn dependency:copy-dependencies` (scripts/kafka/pom.xml).
#
# Anything already answering on a port is left alone and reused. `down` only stops
# what this script started itself (marker / pid files under .cache/brokers and
# .cache/kafka), so a machine-wide Redis/RabbitMQ service is never touched.
#
# `up` exits non-zero if any requested broker could not be made reachable;
# `status` prints one line per broker and exits non-zero if any of them is down.
#
# Environment knobs (all optional):
#   KAFKA_VERSION        Kafka version to fetch (default: the one in scripts/kafka/pom.xml)
#   KAFKA_HEAP_OPTS      JVM heap for the broker       (default: -Xmx512m -Xms256m)
#   KAFKA_KEEP_DATA=1    keep .cache/kafka/data between starts instead of wiping it
#   KAFKA_START_TIMEOUT  seconds to wait for Kafka to become ready (default: 120)
#   KAFKA_INSTANCE_DIR   a second Kafka's own folder (config, data, log, pid); the jars stay
#                        shared in .cache/kafka/lib. With KAFKA_PORT and KAFKA_CONTROLLER_PORT
#                        the fault runner starts and restarts a Kafka of its own this way,
#                        leaving the project's broker on 9092 to the other tests.
#   MAVEN_OPTS           passed through to mvn as usual; mvn always runs with -B
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$ROOT_DIR/.cache"
STATE_DIR="$CACHE_DIR/brokers"          # markers for services we started
KAFKA_LIB="$CACHE_DIR/kafka/lib"
KAFKA_DIR="${KAFKA_INSTANCE_DIR:-$CACHE_DIR/kafka}"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PID_FILE="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log"
KAFKA_POM="$ROOT_DIR/scripts/kafka/pom.xml"

HOST=127.0.0.1
REDIS_PORT=6379
RABBIT_PORT=5672
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"

ALL_BROKERS=(redis rabbitmq kafka)

# ---------------------------------------------------------------- helpers ---

# scripts/clusters.sh sources this file for its helpers and sets its own tag.
LOG_TAG="${LOG_TAG:-brokers}"
log() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }
err() { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# True if something accepts TCP connections on $HOST:$1 (uses bash's /dev/tcp,
# so no netcat is needed).
port_open() {
  timeout 2 bash -c ": >/dev/tcp/$HOST/$1" 2>/dev/null
}

# wait_port PORT SECONDS -> 0 once the port answers, 1 on timeout.
wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  until port_open "$port"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

apt_install() {
  if ! is_root; then
    err "'$1' is not installed and this script is not running as root; install it (apt-get install $1) and retry"
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    err "'$1' is not installed and apt-get is not available"
    return 1
  fi
  log "installing $1 via apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# ------------------------------------------------------------------ redis ---

redis_up() {
  if port_open "$REDIS_PORT"; then
    log "redis: already reachable on $HOST:$REDIS_PORT"
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server || return 1
    # The package's maintainer scripts may have started the service already.
    if wait_port "$REDIS_PORT" 3; then
      log "redis: reachable on $HOST:$REDIS_PORT after install"
      return 0
    fi
  fi
  mkdir -p /var/lib/redis /var/log/redis
  log "redis: starting redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || {
    err "redis: redis-server failed to start"
    return 1
  }
  if ! wait_port "$REDIS_PORT" 30; then
    err "redis: redis-server did not open $HOST:$REDIS_PORT within 30s"
    tail -n 20 /var/log/redis/ci.log >&2 2>/dev/null || true
    return 1
  fi
  local pid=""
  if command -v redis-cli >/dev/null 2>&1; then
    pid=$(redis-cli -h "$HOST" -p "$REDIS_PORT" info server 2>/dev/null |
      tr -d '\r' | sed -n 's/^process_id://p') || true
  fi
  echo "${pid}" >"$STATE_DIR/redis.started"
  log "redis: up on $HOST:$REDIS_PORT${pid:+ (pid $pid)}"
}

redis_down() {
  local marker="$STATE_DIR/redis.started"
  if [ ! -f "$marker" ]; then
    log "redis: not started by this script, leaving it alone"
    return 0
  fi
  local pid
  pid=$(cat "$marker")
  log "redis: stopping"
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h "$HOST" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  if pid_alive "$pid"; then
    sleep 1
    if pid_alive "$pid"; then kill "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$marker"
}

# --------------------------------------------------------------- rabbitmq ---

rabbitmq_up() {
  if port_open "$RABBIT_PORT"; then
    log "rabbitmq: already reachable on $HOST:$RABBIT_PORT"
    return 0
  fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    # Debian puts it in /usr/sbin, which a non-login PATH may lack.
    if [ -x /usr/sbin/rabbitmq-server ]; then
      PATH="$PATH:/usr/sbin"
    else
      apt_install rabbitmq-server || return 1
      PATH="$PATH:/usr/sbin"
      if wait_port "$RABBIT_PORT" 10; then
        log "rabbitmq: reachable on $HOST:$RABBIT_PORT after install"
        return 0
      fi
    fi
  fi
  log "rabbitmq: starting rabbitmq-server -detached"
  rabbitmq-server -detached || {
    err "rabbitmq: 'rabbitmq-server -detached' failed"
    return 1
  }
  : >"$STATE_DIR/rabbitmq.started"
  if ! wait_port "$RABBIT_PORT" 120; then
    err "rabbitmq: $HOST:$RABBIT_PORT did not answer within 120s"
    tail -n 30 /var/log/rabbitmq/*.log >&2 2>/dev/null || true
    return 1
  fi
  if command -v rabbitmqctl >/dev/null 2>&1; then
    if ! rabbitmqctl await_startup --timeout 60 >/dev/null 2>&1; then
      err "rabbitmq: port is open but 'rabbitmqctl await_startup' did not succeed"
      return 1
    fi
  fi
  log "rabbitmq: up on $HOST:$RABBIT_PORT"
}

rabbitmq_down() {
  local marker="$STATE_DIR/rabbitmq.started"
  if [ ! -f "$marker" ]; then
    log "rabbitmq: not started by this script, leaving it alone"
    return 0
  fi
  log "rabbitmq: stopping"
  PATH="$PATH:/usr/sbin" rabbitmqctl stop >/dev/null 2>&1 || true
  rm -f "$marker"
}

# ------------------------------------------------------------------ kafka ---

# java_major -> e.g. 17
java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n 1
}

kafka_ensure_tools() {
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    apt_install openjdk-17-jre-headless maven || return 1
  fi
  local major
  major=$(java_major)
  if [ -z "$major" ] || [ "$major" -lt 17 ]; then
    err "kafka: Kafka 4.x needs Java 17+, found: $(java -version 2>&1 | head -n 1)"
    return 1
  fi
}

# Download the jars once; later runs reuse .cache/kafka/lib. The stamp file
# records the version so a KAFKA_VERSION change triggers a refetch.
kafka_fetch() {
  local version="${KAFKA_VERSION:-}" stamp="$KAFKA_LIB/.complete" want
  want="${version:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n 1)}"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "kafka: fetching Kafka $want jars from Maven Central (one-off)"
  local tmp="$KAFKA_LIB.tmp.$$" start=$SECONDS
  mkdir -p "$(dirname "$KAFKA_LIB")"
  rm -rf "$tmp"
  local mvn_args=(-B -q -Dstyle.color=never -f "$KAFKA_POM"
    dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp")
  [ -n "$version" ] && mvn_args+=("-Dkafka.version=$version")
  # Maven's output (even with -q) goes to a file and is shown only on failure.
  if ! mvn "${mvn_args[@]}" >"$KAFKA_DIR/mvn.log" 2>&1; then
    rm -rf "$tmp"
    err "kafka: 'mvn dependency:copy-dependencies' failed (is Maven Central reachable?):"
    tail -n 30 "$KAFKA_DIR/mvn.log" >&2 || true
    return 1
  fi
  if ! ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1; then
    rm -rf "$tmp"
    err "kafka: Maven finished but no kafka_2.13 jar was copied"
    return 1
  fi
  echo "$want" >"$tmp/.complete"
  rm -rf "$KAFKA_LIB"
  mv "$tmp" "$KAFKA_LIB"
  local jars=("$KAFKA_LIB"/*.jar)
  log "kafka: fetched ${#jars[@]} jars in $((SECONDS - start))s"
}

kafka_write_configs() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by scripts/brokers.sh -- single-node KRaft (combined broker+controller).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DATA/logs
metadata.log.dir=$KAFKA_DATA/metadata
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
EOF
  # Broker log: INFO to stdout (redirected to kafka.log), noisy loggers quieter.
  cat >"$KAFKA_DIR/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
  kafka_write_tools_log4j "$KAFKA_DIR/tools-log4j2.properties"
}

# kafka_write_tools_log4j FILE -> log settings for Kafka's CLI tools (readiness probes): only
# warnings, on stderr. The cluster script (scripts/clusters/kafka.sh) uses it too.
kafka_write_tools_log4j() {
  cat >"$1" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = STDERR
EOF
}

# A Kafka cluster id is 16 random bytes in URL-safe base64 without padding
# (22 chars). Avoid a leading '-' so it can never be mistaken for a CLI flag.
kafka_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id:0:1}" != "-" ] && break
  done
  printf '%s' "$id"
}

# Short-lived JVM for a Kafka CLI main class, tuned for fast startup.
KAFKA_TOOL_JAVA=(java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  "-Dlog4j2.configurationFile=$KAFKA_DIR/tools-log4j2.properties"
  -cp "$KAFKA_LIB/*")

# Storage handling: by default every cold start wipes .cache/kafka/data and
# formats it afresh with a new cluster id. That keeps test runs hermetic (no
# topics/offsets leaking between runs) and sidesteps cluster-id / metadata
# version mismatches after a Kafka version bump. Set KAFKA_KEEP_DATA=1 to keep
# the data; the directory is then only formatted when it has never been.
kafka_format() {
  if [ "${KAFKA_KEEP_DATA:-0}" = "1" ] && [ -f "$KAFKA_DATA/metadata/meta.properties" ]; then
    log "kafka: reusing formatted storage in $KAFKA_DATA (KAFKA_KEEP_DATA=1)"
    return 0
  fi
  rm -rf "$KAFKA_DATA"
  mkdir -p "$KAFKA_DATA"
  local out
  if ! out=$("${KAFKA_TOOL_JAVA[@]}" kafka.tools.StorageTool format \
    -t "$(kafka_cluster_id)" -c "$KAFKA_DIR/server.properties" 2>&1); then
    err "kafka: storage format failed:"
    printf '%s\n' "$out" >&2
    return 1
  fi
}

kafka_pid() {
  local pid
  [ -f "$KAFKA_PID_FILE" ] || return 1
  pid=$(cat "$KAFKA_PID_FILE")
  pid_alive "$pid" || return 1
  # Guard against pid reuse: it must still be our kafka.Kafka process.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $KAFKA_DIR/server.properties" || return 1
  printf '%s' "$pid"
}

kafka_fail() {
  err "kafka: $*"
  if [ -f "$KAFKA_LOG" ]; then
    printf -- '----- last 40 lines of %s -----\n' "$KAFKA_LOG" >&2
    tail -n 40 "$KAFKA_LOG" >&2 || true
    printf -- '-----\n' >&2
  fi
  return 1
}

# Ready = process alive, PLAINTEXT port open, server logged that it started,
# and an AdminClient round trip (TopicCommand --list) succeeds.
kafka_wait_ready() {
  local pid=$1 timeout=${KAFKA_START_TIMEOUT:-120}
  local deadline=$((SECONDS + timeout)) start=$SECONDS
  while :; do
    if ! pid_alive "$pid"; then
      kafka_fail "broker process $pid exited during startup"
      return 1
    fi
    if port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null; then
      if timeout 30 "${KAFKA_TOOL_JAVA[@]}" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "$HOST:$KAFKA_PORT" --list >/dev/null 2>&1; then
        # Warm-up (best effort): a group lookup makes the broker create and
        # load __consumer_offsets now, so the first consumer group in the
        # tests does not hit COORDINATOR_NOT_AVAILABLE while that happens.
        # ("Group ... not found" on stderr is expected and discarded.)
        timeout 30 "${KAFKA_TOOL_JAVA[@]}" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
          --bootstrap-server "$HOST:$KAFKA_PORT" --describe --group brokers-sh-warmup >/dev/null 2>&1 || true
        log "kafka: ready after $((SECONDS - start))s"
        return 0
      fi
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kafka_fail "not ready within ${timeout}s"
      return 1
    fi
    sleep 1
  done
}

kafka_up_locked() {
  local pid
  if pid=$(kafka_pid); then
    if port_open "$KAFKA_PORT"; then
      log "kafka: already running (pid $pid) on $HOST:$KAFKA_PORT"
      return 0
    fi
    log "kafka: our broker (pid $pid) is running but not answering yet; waiting"
    kafka_wait_ready "$pid"
    return
  fi
  if port_open "$KAFKA_PORT"; then
    log "kafka: already reachable on $HOST:$KAFKA_PORT (not started by this script)"
    return 0
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    err "kafka: controller port $HOST:$KAFKA_CONTROLLER_PORT is already in use by another process"
    return 1
  fi
  rm -f "$KAFKA_PID_FILE"

  kafka_ensure_tools || return 1
  kafka_fetch || return 1
  kafka_write_configs
  kafka_format || return 1

  log "kafka: starting broker (log: ${KAFKA_LOG#"$ROOT_DIR"/})"
  local heap
  # shellcheck disable=SC2206 # intentional word splitting of JVM flags
  heap=(${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m})
  # setsid: own session, so the broker outlives the calling shell/CI step and
  # does not receive its terminal signals. In a non-interactive script the
  # background child is not a process-group leader, so setsid execs in place
  # and $! is the JVM's pid.
  (
    cd "$KAFKA_DIR"
    exec setsid nohup java "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
      -Djava.awt.headless=true \
      "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.properties" \
      "-Dkafka.logs.dir=$KAFKA_DIR" \
      -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_DIR/server.properties"
  ) >"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PID_FILE"
  kafka_wait_ready "$pid" || {
    kafka_stop_pid "$pid"
    rm -f "$KAFKA_PID_FILE"
    return 1
  }
  log "kafka: up on $HOST:$KAFKA_PORT (pid $pid)"
}

kafka_up() {
  mkdir -p "$KAFKA_DIR"
  # Serialise concurrent `up` calls (e.g. parallel CI jobs); the broker itself
  # must not inherit fd 9, see the `9>&-` below.
  if command -v flock >/dev/null 2>&1; then
    (
      flock -w 300 9 || { err "kafka: could not acquire $KAFKA_DIR/.lock"; exit 1; }
      kafka_up_locked
    ) 9>"$KAFKA_DIR/.lock"
  else
    kafka_up_locked
  fi
}

# SIGTERM triggers Kafka's controlled shutdown; give it time, then SIGKILL.
kafka_stop_pid() {
  local pid=$1 deadline=$((SECONDS + 60))
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      err "kafka: pid $pid ignored SIGTERM for 60s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
}

kafka_down() {
  local pid
  if ! pid=$(kafka_pid); then
    rm -f "$KAFKA_PID_FILE"
    log "kafka: not started by this script (no live pid file), leaving it alone"
    return 0
  fi
  log "kafka: stopping pid $pid"
  kafka_stop_pid "$pid"
  rm -f "$KAFKA_PID_FILE"
  log "kafka: stopped"
}

# ---------------------------------------------------------------- clients ---

# The clients test/interop writes with (Debian packages, for Debian's /usr/bin/python3):
# pika, redis-py, confluent-kafka, kcat and redis-cli, and Kafka's Java console tools (Java 17
# and the jars in .cache/kafka/lib, as for the broker). Installs whichever is missing; fails
# when one is missing and cannot be installed, since CI requires every interop client.
clients_up() {
  local missing=() module package
  for module in pika:python3-pika redis:python3-redis confluent_kafka:python3-confluent-kafka; do
    package=${module#*:}
    /usr/bin/python3 -c "import ${module%%:*}" >/dev/null 2>&1 || missing+=("$package")
  done
  command -v kcat >/dev/null 2>&1 || missing+=(kcat)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  if [ ${#missing[@]} -eq 0 ]; then
    log "clients: pika, redis-py, confluent-kafka, kcat and redis-cli are installed"
  else
    apt_install "${missing[@]}" || return 1
  fi
  # Kafka's own console producer runs from the broker's jars, also when KAFKA_BOOTSTRAP_SERVERS
  # names a Kafka that this script did not start (no-op when they are fetched already).
  kafka_ensure_tools && kafka_fetch
}

# ----------------------------------------------------------------- status ---

broker_port() {
  case $1 in
    redis) echo "$REDIS_PORT" ;;
    rabbitmq) echo "$RABBIT_PORT" ;;
    kafka) echo "$KAFKA_PORT" ;;
  esac
}

# ------------------------------------------------------------------- main ---

usage() {
  echo "usage: bash scripts/brokers.sh up|down|status [kafka|redis|rabbitmq ...] | clients" >&2
  exit 2
}

main() {
  [ $# -ge 1 ] || usage
  local arg
  for arg in "$@"; do
    if [ "$arg" = "--cluster" ]; then
      local rest=()
      for arg in "$@"; do [ "$arg" = "--cluster" ] || rest+=("$arg"); done
      exec bash "$ROOT_DIR/scripts/clusters.sh" "${rest[@]}"
    fi
  done
  local action=$1
  shift
  if [ "$action" = clients ]; then
    clients_up
    return
  fi
  case $action in up | down | status) ;; *) usage ;; esac

  local names=("$@") n
  [ ${#names[@]} -gt 0 ] || names=("${ALL_BROKERS[@]}")
  for n in "${names[@]}"; do
    case $n in redis | rabbitmq | kafka) ;; *)
      err "unknown broker '$n' (expected kafka, redis or rabbitmq)"
      usage
      ;;
    esac
  done

  mkdir -p "$STATE_DIR"
  local failed=()
  for n in "${names[@]}"; do
    case $action in
      up) "${n}_up" || failed+=("$n") ;;
      down) "${n}_down" || failed+=("$n") ;;
      status)
        local port
        port=$(broker_port "$n")
        if port_open "$port"; then
          printf '%-9s up    %s:%s\n' "$n" "$HOST" "$port"
        else
          printf '%-9s down  %s:%s\n' "$n" "$HOST" "$port"
          failed+=("$n")
        fi
        ;;
    esac
  done

  if [ ${#failed[@]} -gt 0 ]; then
    case $action in
      up) err "could not start: ${failed[*]}" ;;
      down) err "could not stop: ${failed[*]}" ;;
    esac
    exit 1
  fi
}

# Sourced (by scripts/clusters.sh, for its helpers), it defines functions only.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
