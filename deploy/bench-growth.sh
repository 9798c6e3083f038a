#!/usr/bin/env bash
# The cost of growth, on this machine, on ports of its own (so it runs beside the tests and other benches):
#   deploy/bench-growth.sh growth   npm run bench:growth: the embedded profile on a log grown to
#                                   0, 10k and 1M events (test/bench/log-growth.bench.mjs); its
#                                   embedded PostgreSQL on BENCH_POSTGRES_PORT (default 54349)
#   deploy/bench-growth.sh rebuild  npm run bench:rebuild: an embedded PostgreSQL on BENCH_POSTGRES_PORT
#                                   (54349), then test/bench/rebuild.bench.mjs (ops rebuild's rate)
#   deploy/bench-growth.sh relay    npm run bench:relay: Kafka on KAFKA_PORT (default 9292, controller
#                                   9293, data under a temporary KAFKA_HOME) and an embedded PostgreSQL
#                                   on BENCH_POSTGRES_PORT (54349), then test/bench/relay.bench.mjs
# Both build first and stop what they started at the end. The benches' own settings (BENCH_FLOWS,
# BENCH_SIZES, BENCH_EVENTS, BENCH_RELAY_SETTINGS, ...) are described at the top of each bench.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in growth | relay | rebuild) ;; *) echo "usage: $0 growth|relay|rebuild" >&2; exit 2 ;; esac
work="$(mktemp -d "${TMPDIR:-/tmp}/backchannel-bench-$mode.XXXXXX")"
chmod 755 "$work" # the embedded PostgreSQL runs as its own user and must reach its folder
pg_port="${BENCH_POSTGRES_PORT:-54349}"
export KAFKA_PORT="${KAFKA_PORT:-9292}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9293}" KAFKA_HOME="$work/kafka"
started_kafka=""
pg_pid=""

cleanup() {
  local status=$?
  if [ -n "$pg_pid" ]; then kill "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
  if [ -n "$started_kafka" ]; then bash deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true; fi
  rm -rf "$work/postgres" "$work/kafka" "$work/embedded"
  if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "bench-growth: logs kept in $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build"
npm run --silent build
echo "== load: $(uptime)"

if [ "$mode" = growth ]; then
  BENCH_WORK_DIR="$work" BENCH_POSTGRES_PORT="$pg_port" node test/bench/log-growth.bench.mjs
  exit 0
fi

echo "== infrastructure"
if [ "$mode" = relay ]; then
  mkdir -p "$KAFKA_HOME"
  started_kafka=yes
  bash deploy/kafka/kafka.sh start
  export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
fi
node dist/apps/embedded/src/postgres.main.js "$work/postgres" "$pg_port" "backchannel_${mode}_bench" >"$work/postgres.log" 2>&1 &
pg_pid=$!
for _ in $(seq 1 120); do grep -q '^ready ' "$work/postgres.log" && break; sleep 0.5; done
grep -q '^ready ' "$work/postgres.log" || { cat "$work/postgres.log"; exit 1; }
DATABASE_URL="$(sed -n 's/^ready //p' "$work/postgres.log")"
export DATABASE_URL
echo "postgres: embedded, $DATABASE_URL; kafka: ${KAFKA_BROKERS:-none}"

echo "== bench"
if [ "$mode" = rebuild ]; then
  node test/bench/rebuild.bench.mjs
else
  BENCH_WORK_DIR="$work" node test/bench/relay.bench.mjs
fi
