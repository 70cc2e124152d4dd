#!/usr/bin/env bash
# Reruns the pipeline benchmark (release build, the local cluster of scripts/pg.sh): REPS runs (3 by default) of
# `filestore-bench pipeline` (which drives the `filestore` binary beside it) appended to
# perf/pipeline-results.jsonl, then summarised into perf/baseline.json.
#   scripts/bench-pipeline.sh
#   REPS=1 ARGS="--images 20 --concurrency 1" scripts/bench-pipeline.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_packages
bash scripts/pg.sh start
log "building filestore and filestore-bench (release)"
swift build -c release --product filestore
swift build -c release --product filestore-bench
BIN_DIR="$(swift build -c release --show-bin-path)"
OUT=perf/pipeline-results.jsonl
: > "$OUT.new"
for ((i = 1; i <= ${REPS:-3}; i++)); do
  log "run $i"
  # shellcheck disable=SC2086
  "$BIN_DIR/filestore-bench" pipeline --filestore "$BIN_DIR/filestore" ${ARGS:-} >> "$OUT.new"
done
mv "$OUT.new" "$OUT"
python3 perf/pipeline_summary.py "$OUT" "scripts/bench-pipeline.sh  (.build/release/filestore-bench pipeline ${ARGS:-})"
log "results: $OUT; summary in perf/baseline.json (pipeline)"
