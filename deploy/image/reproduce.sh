#!/usr/bin/env bash
# What the Dockerfile's runtime stage does, without Docker (none runs on these machines), in the test
# command: the built output and package manifests copied to a fresh folder, production dependencies
# only installed there, then every service started from there with deploy/image/entrypoint.sh
# against the test PostgreSQL and Kafka (DATABASE_URL, KAFKA_BROKERS), after the `migrate` job, each until /health/ready,
# and stopped with SIGTERM, which must end it cleanly (no error logged); `ops --help` too. A runtime import
# of a devDependency, or of a file outside the build output, fails here. Needs `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DATABASE_URL:?DATABASE_URL is needed}" "${KAFKA_BROKERS:?KAFKA_BROKERS is needed}"
[ -f dist/apps/gateway/src/main.js ] || { echo "reproduce: run npm run build first" >&2; exit 1; }

app="$(mktemp -d "${TMPDIR:-/tmp}/backchannel-image.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$app"
}
trap cleanup EXIT

# the runtime stage's COPY lines
cp package.json package-lock.json deploy/image/entrypoint.sh "$app/"
cp -R dist "$app/dist"
(cd "$app" && npm install --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
echo "image: production dependencies installed in $app ($(du -sh "$app/node_modules" | cut -f1))"

# below the ephemeral range, so no outgoing connection takes it first, and from one process, which
# never hands out the same port twice (libs/testing freePort)
declare -A ports
services=(backchannel token notifier approvals ping-delivery gateway)
read -r -a picked <<<"$(node --input-type=module -e "import('./dist/libs/testing/src/free-port.js').then(async (m) => {
  const ports = [];
  for (let i = 0; i < ${#services[@]}; i++) ports.push(await m.freePort());
  console.log(ports.join(' '));
})")"
for index in "${!services[@]}"; do ports[${services[$index]}]="${picked[$index]}"; done
export BACKCHANNEL_PROFILE=test NODE_ENV=production
export BACKCHANNEL_ADMIN_TOKEN="$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")"
# the tests' key: the signing keys this run stores in the test database must open for the tests after it
BACKCHANNEL_KEY_ENCRYPTION_KEY="$(node --input-type=module -e \
  "import('./dist/libs/testing/src/test-config.js').then((m) => console.log(m.TEST_KEY_ENCRYPTION_KEY))")"
export BACKCHANNEL_KEY_ENCRYPTION_KEY
export BACKCHANNEL_ISSUER="http://127.0.0.1:${ports[gateway]}"
export BACKCHANNEL_URL="http://127.0.0.1:${ports[backchannel]}" TOKEN_URL="http://127.0.0.1:${ports[token]}"
export APPROVALS_URL="http://127.0.0.1:${ports[approvals]}"

# as the chart deploys them: the migration job first, then services that do not migrate
sh "$app/entrypoint.sh" migrate >"$app/migrate.log" 2>&1 || { cat "$app/migrate.log"; exit 1; }
export DATABASE_MIGRATE_ON_START=false
for service in "${services[@]}"; do
  PORT="${ports[$service]}" sh "$app/entrypoint.sh" "$service" >"$app/$service.log" 2>&1 &
  pids+=($!)
done
for index in "${!services[@]}"; do
  service="${services[$index]}"
  ready=""
  for _ in $(seq 1 240); do
    if node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
      "http://127.0.0.1:${ports[$service]}/health/ready"; then ready=yes; break; fi
    kill -0 "${pids[$index]}" 2>/dev/null || break
    sleep 0.25
  done
  [ -n "$ready" ] || { echo "image: $service did not get ready"; tail -30 "$app/$service.log"; exit 1; }
done
echo "image: ${services[*]} ready"
# each runs with the heap the entrypoint sizes for a service (its NODE_OPTIONS, seen by the process)
for index in "${!services[@]}"; do
  tr '\0' '\n' <"/proc/${pids[$index]}/environ" | grep -q '^NODE_OPTIONS=.*--max-old-space-size=256' ||
    { echo "image: ${services[$index]} runs without the entrypoint's node options"; exit 1; }
done
# Nest closes the application on SIGTERM, then raises the signal again: 143 is the clean end
# (only what the shutdown logged counts: kafkajs logs a tolerated race at start as an error)
for index in "${!services[@]}"; do
  log="$app/${services[$index]}.log"
  before="$(wc -l <"$log")"
  kill -TERM "${pids[$index]}"
  status=0
  wait "${pids[$index]}" || status=$?
  if [ "$status" -ne 143 ] || tail -n "+$((before + 1))" "$log" | grep -q '"level":"error"'; then
    echo "image: ${services[$index]} ended with $status on SIGTERM"
    tail -30 "$log"
    exit 1
  fi
done
pids=()
sh "$app/entrypoint.sh" ops --help >/dev/null
echo "image: every service started from production dependencies and stopped cleanly; ops runs"
