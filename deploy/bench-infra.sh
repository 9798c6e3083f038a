#!/usr/bin/env bash
# Sourced by the bench scripts (deploy/bench.sh, deploy/bench-ping.sh): the infrastructure of the
# distributed topology, on ports of its own so it never touches a broker or database someone else
# runs (npm test's Kafka on 9092, PostgreSQL on 54329):
#   bench_infra_init          a work folder ($BENCH_WORK), and the cleanup trap (EXIT, INT, TERM)
#   bench_kafka_start         Kafka on 127.0.0.1:${BENCH_KAFKA_PORT:-9192} (controller +1), KAFKA_HOME
#                             under $BENCH_WORK; exports KAFKA_BROKERS and BENCH_KAFKA_PID
#   bench_postgres_start      embedded PostgreSQL on ${BENCH_POSTGRES_PORT:-54339}, fresh database;
#                             exports DATABASE_URL and BENCH_POSTGRES_PID (DATABASE_URL set: used as is)
# Processes the bench itself starts are listed in $BENCH_WORK/pids (one process group each) and
# killed by the cleanup if the bench did not stop them. Logs are kept when the run failed.

bench_infra_init() {
  BENCH_WORK="$(mktemp -d "${TMPDIR:-/tmp}/backchannel-bench.XXXXXX")"
  chmod 755 "$BENCH_WORK" # PostgreSQL runs as its own user when started by root
  export BENCH_WORK
  _bench_kafka_started=""
  _bench_pg_pid=""
  trap _bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

_bench_cleanup() {
  local status=$?
  if [ -f "$BENCH_WORK/pids" ]; then
    while read -r pid; do kill -KILL -- "-$pid" 2>/dev/null || true; done <"$BENCH_WORK/pids"
  fi
  if [ -n "$_bench_pg_pid" ]; then
    kill "$_bench_pg_pid" 2>/dev/null || true
    wait "$_bench_pg_pid" 2>/dev/null || true
  fi
  if [ -n "$_bench_kafka_started" ]; then
    KAFKA_HOME="$BENCH_WORK/kafka" KAFKA_PORT="$BENCH_KAFKA_PORT" KAFKA_CONTROLLER_PORT="$BENCH_KAFKA_CONTROLLER_PORT" \
      bash deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true
  fi
  rm -rf "$BENCH_WORK/postgres" "$BENCH_WORK/kafka/data"
  if [ "$status" -eq 0 ]; then rm -rf "$BENCH_WORK"; else echo "bench: logs kept in $BENCH_WORK" >&2; fi
}

bench_kafka_start() {
  BENCH_KAFKA_PORT="${BENCH_KAFKA_PORT:-9192}"
  BENCH_KAFKA_CONTROLLER_PORT="${BENCH_KAFKA_CONTROLLER_PORT:-$((BENCH_KAFKA_PORT + 1))}"
  if (exec 3<>"/dev/tcp/127.0.0.1/$BENCH_KAFKA_PORT") 2>/dev/null; then
    echo "bench: port $BENCH_KAFKA_PORT is taken; set BENCH_KAFKA_PORT to a free one" >&2
    return 1
  fi
  mkdir -p "$BENCH_WORK/kafka"
  _bench_kafka_started=yes
  KAFKA_HOME="$BENCH_WORK/kafka" KAFKA_PORT="$BENCH_KAFKA_PORT" KAFKA_CONTROLLER_PORT="$BENCH_KAFKA_CONTROLLER_PORT" \
    bash deploy/kafka/kafka.sh start
  export KAFKA_BROKERS="127.0.0.1:$BENCH_KAFKA_PORT"
  BENCH_KAFKA_PID="$(cat "$BENCH_WORK/kafka/kafka.pid")"
  export BENCH_KAFKA_PID
}

bench_postgres_start() {
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "postgres: DATABASE_URL from the environment"
    return 0
  fi
  local port="${BENCH_POSTGRES_PORT:-54339}"
  node dist/apps/embedded/src/postgres.main.js "$BENCH_WORK/postgres" "$port" backchannel_bench \
    >"$BENCH_WORK/postgres.log" 2>&1 &
  _bench_pg_pid=$!
  for _ in $(seq 1 120); do grep -q '^ready ' "$BENCH_WORK/postgres.log" && break; sleep 0.5; done
  grep -q '^ready ' "$BENCH_WORK/postgres.log" || { cat "$BENCH_WORK/postgres.log" >&2; return 1; }
  DATABASE_URL="$(sed -n 's/^ready //p' "$BENCH_WORK/postgres.log")"
  export DATABASE_URL
  export BENCH_POSTGRES_PID="$_bench_pg_pid"
  echo "postgres: embedded, $DATABASE_URL"
}
