#!/bin/sh
# The command of Backchannel's image (and of deploy/image/reproduce.sh, and of the bench's
# distributed topology): the first argument names the service to run, `migrate` (every pending
# migration, then exit), or `ops` and its arguments. Node runs as the process itself (exec), so the
# service's own SIGTERM handling (Nest's shutdown hooks) ends it cleanly; in the image tini is PID 1.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
# next to dist/ in the image; in a checkout (the bench), the repository's
[ -d "$here/dist" ] || here="$(cd "$here/../.." && pwd)"
service="${1:-}"
case "$service" in
  backchannel | token | notifier | approvals | ping-delivery | gateway)
    shift
    # V8's heap sized for one service, inside the chart's 384Mi memory limit: a young generation of
    # 8 MB semi-spaces (16 by default), and the old generation capped at 256 MB. The cap also makes
    # V8 collect before garbage piles up: on a machine with gigabytes free it lets the heap grow to
    # about four times what is live first. Peak RSS per service under `npm run bench` 149-181 MB ->
    # 129-143, for 6-9 % more CPU per flow in the services, spent collecting (docs/performance.md,
    # "A heap sized for a service"). An operator's NODE_OPTIONS come after these, and win.
    export NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256${NODE_OPTIONS:+ $NODE_OPTIONS}"
    exec node "$here/dist/apps/$service/src/main.js" "$@"
    ;;
  ops)
    shift
    exec node "$here/dist/apps/ops/src/main.js" "$@"
    ;;
  migrate)
    exec node "$here/dist/apps/embedded/src/migrate.main.js"
    ;;
  *)
    echo "usage: <backchannel | token | notifier | approvals | ping-delivery | gateway | migrate | ops> [arguments]" >&2
    exit 64
    ;;
esac
