#!/bin/sh
# The command of Backchannel's image (and of deploy/image/reproduce.sh): the first argument names
# the service to run, `migrate` (every pending migration, then exit), or `ops` and its arguments. Node runs as the process itself (exec), so the
# service's own SIGTERM handling (Nest's shutdown hooks) ends it cleanly; in the image tini is PID 1.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
service="${1:-}"
case "$service" in
  backchannel | token | notifier | approvals | ping-delivery | gateway | ops)
    shift
    exec node "$here/dist/apps/$service/src/main.js" "$@"
    ;;
  migrate)
    exec node "$here/dist/apps/embedded/src/migrate.main.js"
    ;;
  *)
    echo "usage: <backchannel | token | notifier | approvals | ping-delivery | gateway | migrate | ops> [arguments]" >&2
    exit 64
    ;;
esac
