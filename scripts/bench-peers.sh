#!/usr/bin/env bash
# Reruns the side-by-side queue benchmark: PgQueuer, Procrastinate, Oban, Chancy and filestore's JobKit in one
# run of shared/bench/peers/run_all.sh (N=20000, 3 interleaved reps by default), with durable commits.
#   scripts/bench-peers.sh              # everything
#   N=1000000 REPS=1 ONLY=filestore scripts/bench-peers.sh   # the backlog run
# Needs ../shared/bench/peers (the peers' harness) beside the repository.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
PEERS=${PEERS:-$REPO/../shared/bench/peers}
[[ -d $PEERS ]] || { log "no peer harness at $PEERS (set PEERS)"; exit 1; }
ensure_packages
log "building filestore (release)"
swift build -c release --product filestore
BIN="$(swift build -c release --show-bin-path)/filestore"
[[ -x /tmp/peervenv/bin/python ]] || bash "$PEERS/setup.sh"
"$PEERS/pg.sh" start
export FILESTORE_BENCH="$BIN bench queue --procs ${FILESTORE_PROCS:-2} --concurrency ${FILESTORE_CONCURRENCY:-1000}"
log "FILESTORE_BENCH='$FILESTORE_BENCH'"
cd "$PEERS" && ./run_all.sh
