#!/usr/bin/env bash
# `npm run bench:ping`: the latency from ConsentGiven being stored to the ping arriving at the
# client, over Kafka, everything on this machine (test/bench/ping-latency.bench.mjs measures):
# - builds (npm run build);
# - Kafka: uses the broker on 127.0.0.1:${KAFKA_PORT:-9092} when one answers there, otherwise starts
#   one with deploy/kafka/kafka.sh and stops it at the end;
# - PostgreSQL: DATABASE_URL when set, otherwise an embedded PostgreSQL (fresh database) for the run;
# - the six services and the HTTPS receiver are started and stopped by the bench itself.
# BENCH_FLOWS (default 200) and BENCH_CONCURRENCY (default 8) size the run.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/backchannel-bench-ping.XXXXXX")"
kafka_port="${KAFKA_PORT:-9092}"
started_kafka=""
pg_pid=""

cleanup() {
  local status=$?
  # the bench stops its services itself; this catches any left behind if it was killed
  if [ -f "$work/pids" ]; then
    while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done <"$work/pids"
  fi
  if [ -n "$pg_pid" ]; then kill "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
  if [ -n "$started_kafka" ]; then bash deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true; fi
  rm -rf "$work/postgres" "$work/kafka"
  if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "bench-ping: logs kept in $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build"
npm run --silent build

echo "== infrastructure"
if (exec 3<>"/dev/tcp/127.0.0.1/$kafka_port") 2>/dev/null; then
  echo "kafka: using the broker already on 127.0.0.1:$kafka_port"
else
  # a broker of its own (data, log and pid under the work folder), so stopping it touches no other
  export KAFKA_HOME="$work/kafka" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((kafka_port + 1))}"
  started_kafka=yes
  bash deploy/kafka/kafka.sh start
fi
export KAFKA_BROKERS="127.0.0.1:$kafka_port"
if [ -z "${DATABASE_URL:-}" ]; then
  node dist/apps/embedded/src/postgres.main.js "$work/postgres" "${BENCH_POSTGRES_PORT:-54339}" backchannel_bench \
    >"$work/postgres.log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 1 120); do grep -q '^ready ' "$work/postgres.log" && break; sleep 0.5; done
  grep -q '^ready ' "$work/postgres.log" || { cat "$work/postgres.log"; exit 1; }
  DATABASE_URL="$(sed -n 's/^ready //p' "$work/postgres.log")"
  export DATABASE_URL
  echo "postgres: embedded, $DATABASE_URL"
else
  echo "postgres: DATABASE_URL from the environment"
fi

echo "== bench"
BENCH_WORK_DIR="$work" node test/bench/ping-latency.bench.mjs
