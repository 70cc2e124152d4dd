#!/usr/bin/env bash
# From nothing to a running filestore on one machine: installs missing Debian packages, builds, starts the
# project's PostgreSQL under .data/, migrates, and runs every part in one process (`filestore dev`).
# Extra arguments go to `filestore dev` (e.g. --queues default,scan --concurrency 20).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
"$REPO/scripts/pg.sh" start
export DATABASE_URL=${DATABASE_URL:-$("$REPO/scripts/pg.sh" url)}
log "building"
swift build --product filestore
exec "$(swift build --show-bin-path)/filestore" dev "$@"
