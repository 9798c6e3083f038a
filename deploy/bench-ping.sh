#!/usr/bin/env bash
# `npm run bench:ping`: the latency from ConsentGiven being stored to the ping arriving at the
# client, over Kafka, everything on this machine (test/bench/ping-latency.bench.mjs measures):
# - builds (npm run build);
# - Kafka on 127.0.0.1:9192 of its own and, unless DATABASE_URL is set, an embedded PostgreSQL on
#   54339 (fresh database), both from deploy/bench-infra.sh and stopped at the end;
# - the six services and the HTTPS receiver are started and stopped by the bench itself.
# BENCH_FLOWS (default 200) and BENCH_CONCURRENCY (default 8) size the run.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/bench-infra.sh
bench_infra_init

echo "== build"
npm run --silent build

echo "== infrastructure"
bench_kafka_start
bench_postgres_start

echo "== bench"
BENCH_WORK_DIR="$BENCH_WORK" node test/bench/ping-latency.bench.mjs
