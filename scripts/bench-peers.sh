#!/usr/bin/env bash
# Reruns the side-by-side queue benchmark: PgQueuer, Procrastinate, Oban, Chancy and filestore's JobKit in one
# run of shared/bench/peers/run_all.sh (N=20000, 3 interleaved reps by default), with durable commits.
# JobKit's side is `filestore-bench queue` (release build); it migrates its fresh databases with the
# `filestore` binary beside it.
#   scripts/bench-peers.sh              # everything
#   N=1000000 REPS=1 ONLY=filestore scripts/bench-peers.sh   # the backlog run
#   SMOKE=1 scripts/bench-peers.sh      # filestore alone, N=2000, 1 rep, no peer venv needed: checks the wiring
# Needs ../shared/bench/peers (the peers' harness) beside the repository. Results: $RESULTS_DIR (default
# /tmp/peerbench; /tmp/peerbench-smoke for SMOKE=1), results.jsonl and summary.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
PEERS=${PEERS:-$REPO/../shared/bench/peers}
[[ -d $PEERS ]] || { log "no peer harness at $PEERS (set PEERS)"; exit 1; }
ensure_packages
log "building filestore and filestore-bench (release)"
swift build -c release --product filestore
swift build -c release --product filestore-bench
BIN_DIR="$(swift build -c release --show-bin-path)"
if [[ -n ${SMOKE:-} ]]; then
  export ONLY=filestore N=${N:-2000} REPS=${REPS:-1} PY=${PY:-python3} RESULTS_DIR=${RESULTS_DIR:-/tmp/peerbench-smoke}
else
  [[ -x /tmp/peervenv/bin/python ]] || bash "$PEERS/setup.sh"
fi
"$PEERS/pg.sh" start
export FILESTORE_BENCH="$BIN_DIR/filestore-bench queue --filestore $BIN_DIR/filestore --procs ${FILESTORE_PROCS:-2} --concurrency ${FILESTORE_CONCURRENCY:-1000}"
log "FILESTORE_BENCH='$FILESTORE_BENCH'"
cd "$PEERS" && ./run_all.sh
