#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a used one:
#   installs missing Debian packages, starts the project's PostgreSQL (scripts/pg.sh), builds, runs every test.
# Extra arguments go to `swift test` (e.g. --filter WorkerTests).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
"$REPO/scripts/pg.sh" start
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-$("$REPO/scripts/pg.sh" url)}
log "building (first build of the dependencies takes several minutes)"
swift build --build-tests
log "running tests against $TEST_DATABASE_URL"
swift test --skip-build "$@"
