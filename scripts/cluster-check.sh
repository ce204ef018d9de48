#!/usr/bin/env bash
# Runs the conformance suite (test/conformance/<broker>.test.ts) against the local clusters of
# scripts/clusters.sh, one broker after the other, through the same variables a user sets:
#
#   npm run brokers -- up --cluster            # start the clusters first
#   bash scripts/cluster-check.sh [kafka|rabbitmq|redis|sentinel ...]   # default: all four
#
# Each suite runs with CI=true, so a cluster that does not answer fails its suite instead of
# skipping it. A suite's full mocha output goes to .cache/clusters/check/<broker>.log; the
# summary lists the passing and failing counts and the titles of the failing tests. Exits non-zero
# when any suite failed. Not part of .ci/run: the clusters take minutes and ~1.5 GiB to start.
#
# After a broker's conformance suite come its own cluster tests (test/clusters/<broker>-*.cluster.ts,
# where there are any), then its node-loss run (test/clusters/<broker>-node-loss.cluster.ts,
# where one exists) kills one node with SIGKILL under load and checks that no acknowledged message
# was lost; the script then starts the killed node again. CLUSTER_CHECK_NODE_LOSS=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK_DIR=.cache/clusters/check
ALL=(redis rabbitmq kafka sentinel)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")

# cluster_env NAME -> the variables that point the suite at the cluster, as VAR=value words
# (sentinel: the Sentinels in REDIS_URL and the primary's name; the suite is the Redis one).
cluster_env() {
  case $1 in
    redis) echo "REDIS_URL=redis://127.0.0.1:27001,redis://127.0.0.1:27002,redis://127.0.0.1:27003" ;;
    rabbitmq) echo "RABBITMQ_URL=amqp://guest:guest@127.0.0.1:27021" ;;
    kafka) echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:27041,127.0.0.1:27042,127.0.0.1:27043" ;;
    sentinel) echo "REDIS_URL=redis://127.0.0.1:27071,redis://127.0.0.1:27072,redis://127.0.0.1:27073 REDIS_SENTINEL_NAME=eventwire" ;;
    *)
      echo "cluster-check: unknown broker '$1' (expected kafka, rabbitmq, redis or sentinel)" >&2
      exit 2
      ;;
  esac
}

# kafka_replication -> the replication factors of the topics the suite created (cf-*), counted:
# eventwire sets none, so the cluster's default.replication.factor decides.
kafka_replication() {
  timeout 60 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile=.cache/clusters/kafka-tools-log4j2.properties -cp ".cache/kafka/lib/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:27041 --describe --topic 'cf-.*' 2>/dev/null |
    sed -n 's/^Topic:.*ReplicationFactor: *\([0-9]*\).*/\1/p' | sort | uniq -c |
    awk '{ printf "%s%d topic(s) with replication factor %d", (NR > 1 ? ", " : ""), $1, $2 }'
}

# run_suite NAME KIND FILE LOG -> runs one mocha file against NAME's cluster, adds its counts and
# the titles of its failing tests to the summary, and sets failed=1 when it fails.
run_suite() {
  local name=$1 kind=$2 file=$3 log=$4 start=$SECONDS code=0 passing failing
  echo "== $kind: $name cluster ($(cluster_env "$name")), output in $log"
  local vars
  read -r -a vars <<<"$(cluster_env "$name")"
  env CI=true "${vars[@]}" npx mocha --no-config --import=tsx \
    --require test/support/open-handles.ts --timeout 30000 --reporter spec --no-color \
    "$file" >"$log" 2>&1 || code=$?
  passing=$(sed -n 's/^ *\([0-9]*\) passing.*/\1/p' "$log" | tail -n 1)
  failing=$(sed -n 's/^ *\([0-9]*\) failing.*/\1/p' "$log" | tail -n 1)
  summary+=("$(printf '%-9s %3s passing %3s failing  exit %d  %4ds  %s' "$name" "${passing:-0}" "${failing:-0}" "$code" $((SECONDS - start)) "$kind")")
  # Mocha's numbered failure headings after the counts: "  1) conformance: redis" followed by
  # the test's title, or a hook's own heading ('13) "after all" hook in "{root}":').
  while IFS= read -r line; do summary+=("            $line"); done < <(
    awk 'seen && /^ *[0-9]+\) / {
           if ($0 ~ /\) conformance: [a-z]+$/) { getline t; sub(/^ +/, "", t); print t }
           else { sub(/^ *[0-9]+\) /, ""); print }
         }
         /^ *[0-9]+ failing/ { seen = 1 }' "$log"
  )
  [ "$code" -eq 0 ] || failed=1
}

for name in "${names[@]}"; do cluster_env "$name" >/dev/null; done
mkdir -p "$CHECK_DIR"
summary=()
failed=0
for name in "${names[@]}"; do
  if ! bash scripts/clusters.sh status "$name" >/dev/null; then
    echo "cluster-check: the $name cluster is not healthy; start it with: npm run brokers -- up --cluster $name" >&2
    summary+=("$(printf '%-9s not run: the cluster is not healthy' "$name")")
    failed=1
    continue
  fi
  suite=$name
  [ "$name" != sentinel ] || suite=redis
  run_suite "$name" "conformance" "test/conformance/$suite.test.ts" "$CHECK_DIR/$name.log"
  [ "$name" != kafka ] || summary+=("            the suite's topics: $(kafka_replication)")
  # The broker's own cluster tests (test/clusters/<broker>-*.cluster.ts), the node-loss run aside.
  for extra in test/clusters/"$name"-*.cluster.ts; do
    [ -f "$extra" ] && [ "$extra" != "test/clusters/$name-node-loss.cluster.ts" ] || continue
    run_suite "$name" "cluster tests" "$extra" "$CHECK_DIR/$(basename "$extra" .cluster.ts).log"
    # Measurements such a test prints (sentinel-lagging-replica's loss), as for the node-loss run.
    while IFS= read -r line; do summary+=("            $line"); done < <(sed -n "s/^ *$name: \(.*\)/\1/p" "$CHECK_DIR/$(basename "$extra" .cluster.ts).log")
  done
  loss="test/clusters/$name-node-loss.cluster.ts"
  if [ -f "$loss" ] && [ "${CLUSTER_CHECK_NODE_LOSS:-1}" = 1 ]; then
    run_suite "$name" "node loss" "$loss" "$CHECK_DIR/$name-node-loss.log"
    # The run's own measurements (lost, duplicates, recovery), printed by the test.
    while IFS= read -r line; do summary+=("            $line"); done < <(sed -n "s/^ *$name: \(.*\)/\1/p" "$CHECK_DIR/$name-node-loss.log")
    echo "== restarting the killed $name node"
    bash scripts/clusters.sh up "$name" >/dev/null || { summary+=("            the killed node did not come back: npm run brokers -- up --cluster $name"); failed=1; }
  fi
done
echo "== cluster-check summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
