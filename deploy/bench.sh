#!/usr/bin/env bash
# `npm run bench`: complete CIBA flows against the embedded profile, the distributed topology and
# the oidc-provider peer (../shared/bench/oidc-provider-peer.mjs) in one run, figures printed and
# never asserted (test/bench/poll-flow.bench.mjs; docs/performance.md says how to read them).
# - builds (npm run build);
# - when BENCH_TOPOLOGY names `distributed`: Kafka on 127.0.0.1:9192 and an embedded PostgreSQL on
#   54339 of its own (deploy/bench-infra.sh), stopped at the end;
# - the services, the peer and the HTTPS receivers are started and stopped by the bench itself.
# BENCH_FLOWS, BENCH_CONCURRENCY, BENCH_TOPOLOGY, BENCH_WARMUP, BENCH_PING_SHARE, BENCH_PROFILE_DIR,
# BENCH_LIGHT_FLOWS, BENCH_LIGHT_CONCURRENCY: see the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/bench-infra.sh
bench_infra_init

echo "== build"
npm run --silent build

topology="${BENCH_TOPOLOGY:-embedded,distributed,peer}"
if [[ ",$topology," == *",distributed,"* ]]; then
  echo "== infrastructure (distributed topology)"
  bench_kafka_start
  bench_postgres_start
fi

echo "== bench"
BENCH_WORK_DIR="$BENCH_WORK" node test/bench/poll-flow.bench.mjs
