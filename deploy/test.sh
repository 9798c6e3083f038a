#!/usr/bin/env bash
# The whole test suite (`npm test`): static checks and unit tests, then integration and end-to-end
# tests against a real PostgreSQL and a real Kafka broker, both started here when needed:
# - PostgreSQL: DATABASE_URL when set, otherwise an embedded PostgreSQL under .data/test-postgres;
# - Kafka: a single-node broker from Maven Central jars on 127.0.0.1:${KAFKA_PORT:-9092}.
# - Chromium (the authenticator's browser test): CHROMIUM_PATH, else Debian's package, installed when missing.
# The Dockerfile's runtime stage is reproduced without Docker (deploy/image/reproduce.sh) before the integration tests.
# Prints a closing line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
results="$root/.cache/test-results"
rm -rf "$results" && mkdir -p "$results"

pg_pid=""
cleanup() {
  bash deploy/kafka/kafka.sh stop >/dev/null 2>&1 || true
  if [ -n "$pg_pid" ]; then kill "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

summary() {
  node -e '
    const fs = require("node:fs"); let passed = 0, failed = 0;
    for (const f of fs.readdirSync(process.argv[1])) {
      const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
      passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    }
    console.log(`tests: ${passed} passed, ${failed} failed`);' "$results"
}

jest() {
  local project="$1"; shift
  node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects "$project" \
    --json --outputFile="$results/$project.json" "$@" || { summary; exit 1; }
}

echo "== build, types, lint"
npm run --silent build
# the type check and the linters side by side: each is one process, and the machine has two cores
npm run --silent typecheck >"$results/../typecheck.log" 2>&1 &
typecheck_pid=$!
npm run --silent lint
wait "$typecheck_pid" || { cat "$results/../typecheck.log"; exit 1; }

echo "== unit tests"
# pure and independent: two workers (Jest's default leaves one core to itself, so one worker here)
jest unit --maxWorkers=2

echo "== infrastructure"
bash deploy/kafka/kafka.sh start
export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}"
if [ -z "${DATABASE_URL:-}" ]; then
  node dist/apps/embedded/src/postgres.main.js .data/test-postgres 54329 backchannel_test >"$results/../postgres.log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 1 120); do grep -q '^ready ' "$results/../postgres.log" && break; sleep 0.5; done
  grep -q '^ready ' "$results/../postgres.log" || { cat "$results/../postgres.log"; exit 1; }
  DATABASE_URL="$(sed -n 's/^ready //p' "$results/../postgres.log")"
  export DATABASE_URL
  echo "postgres: embedded, $DATABASE_URL"
else
  echo "postgres: DATABASE_URL from the environment"
fi

echo "== image: the runtime stage's production install and start (deploy/image/reproduce.sh)"
bash deploy/image/reproduce.sh

echo "== integration tests (real PostgreSQL and Kafka)"
jest int --runInBand
echo "== end-to-end tests"
# The authenticator's browser test drives Debian's Chromium (playwright-core downloads no browser).
if [ -z "${CHROMIUM_PATH:-}" ]; then
  if ! command -v chromium >/dev/null; then
    echo "chromium: installing Debian's package"
    as_root=()
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && as_root=(sudo)
    apt_install() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
    apt_install || { "${as_root[@]}" apt-get update -q >/dev/null && apt_install; }
  fi
  CHROMIUM_PATH="$(command -v chromium)"
  export CHROMIUM_PATH
fi
jest e2e --runInBand
summary
