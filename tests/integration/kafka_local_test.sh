#!/usr/bin/env bash
# Smoke test of tools/kafka-local against a real 3-broker KRaft cluster:
# up, idempotent up, kill/start, pause/resume, a replicated topic, down.
# Needs Java and the Kafka jars (tools/kafka-local setup). Uses ports
# $SLUICE_KAFKA_PORT.. (default 39092-39094, controllers 39192-39194), not
# kafka-local's defaults, so a developer's own cluster is never touched.
# Prints "N passed, M failed" last; exits non-zero when anything failed. The
# cluster is always taken down on exit. ctest runs it as
# real_kafka.kafka_local_smoke (label real-kafka).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KL=${ROOT}/tools/kafka-local
# A run folder of its own, so the test never touches a developer's cluster data.
OWN_RUN=
if [[ -z ${SLUICE_KAFKA_RUN:-} ]]; then
  OWN_RUN=$(mktemp -d "${TMPDIR:-/tmp}/kafka-local-test.XXXXXX")
  export SLUICE_KAFKA_RUN=${OWN_RUN}/run
fi
export SLUICE_KAFKA_PORT=${SLUICE_KAFKA_PORT:-39092}
# The warm-up runs as it does for a user, with a burst small enough for the
# suite (200,000 records take about 25 s here; the fixture's cluster for
# the other real-kafka tests warms up in full).
export SLUICE_KAFKA_WARMUP_RECORDS=${SLUICE_KAFKA_WARMUP_RECORDS:-5000}
P=$SLUICE_KAFKA_PORT
EXPECTED=127.0.0.1:${P},127.0.0.1:$((P + 1)),127.0.0.1:$((P + 2))

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

cleanup() {
  "$KL" down >/dev/null 2>&1 || true
  if [[ -n $OWN_RUN ]]; then
    if ((failed > 0)); then
      [[ -d ${SLUICE_KAFKA_RUN}/logs ]] && echo "broker logs kept in ${SLUICE_KAFKA_RUN}/logs"
    else
      rm -rf "$OWN_RUN"
    fi
  fi
}
finish() {
  cleanup
  printf '%s passed, %s failed\n' "$passed" "$failed"
  if ((failed == 0)); then exit 0; else exit 1; fi
}
trap 'fail "interrupted"; exit 130' INT TERM
trap 'finish' EXIT

broker_state() { "$KL" status 2>/dev/null | sed -n "s/^broker $1: \([a-z]*\) .*/\1/p"; }
state_is() { [[ $(broker_state "$1") == "$2" ]]; }

# up prints the bootstrap list as its last stdout line.
out=$("$KL" up --brokers 3 2>"${TMPDIR:-/tmp}/kafka-local-up.$$") || { fail "up --brokers 3"; exit 1; }
pass "up --brokers 3"
check "up warmed the brokers it started" grep -q "brokers warmed up in" "${TMPDIR:-/tmp}/kafka-local-up.$$"
rm -f "${TMPDIR:-/tmp}/kafka-local-up.$$"
check "up prints the bootstrap list" [ "$(tail -n 1 <<<"$out")" = "$EXPECTED" ]
check "bootstrap prints the same list" [ "$("$KL" bootstrap)" = "$EXPECTED" ]

out=$("$KL" up --brokers 3 2>/dev/null)
check "a second up reuses the cluster" [ "$(tail -n 1 <<<"$out")" = "$EXPECTED" ]
check "up with another broker count fails" bash -c "! '$KL' up --brokers 1 2>/dev/null"
for n in 1 2 3; do check "broker $n running" state_is "$n" running; done

# A replicated topic takes writes with acks=all.
check "create a topic with replication 3" "$KL" topics --create --topic smoke \
  --partitions 3 --replication-factor 3 --config min.insync.replicas=2
produce() {
  "$KL" tool org.apache.kafka.tools.ProducerPerformance --topic smoke \
    --num-records "$1" --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$EXPECTED" acks=all \
    delivery.timeout.ms=60000 request.timeout.ms=10000 2>&1 | tail -n 1 |
    grep -q "^$1 records sent"
}
check "produce to it with acks=all" produce 2000

check "kill 2" "$KL" kill 2
check "status shows broker 2 down" state_is 2 down
check "bootstrap still answers" [ "$("$KL" bootstrap)" = "$EXPECTED" ]
check "produce with broker 2 down" produce 1000
check "start 2" "$KL" start 2
check "status shows broker 2 running" state_is 2 running

check "pause 3" "$KL" pause 3
check "status shows broker 3 paused" state_is 3 paused
check "resume 3" "$KL" resume 3
check "status shows broker 3 running" state_is 3 running
check "produce after the faults" produce 1000

check "down" "$KL" down
check "status after down says no cluster" bash -c "'$KL' status | grep -qx 'no cluster'"
