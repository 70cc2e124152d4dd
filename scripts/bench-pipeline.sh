#!/usr/bin/env bash
# Reruns the pipeline benchmark (release build, the local cluster of scripts/pg.sh): REPS runs (3 by default) of
# `filestore bench pipeline` appended to perf/pipeline-results.jsonl, then summarised into perf/baseline.json.
#   scripts/bench-pipeline.sh
#   REPS=1 ARGS="--images 20 --concurrency 1" scripts/bench-pipeline.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_packages
bash scripts/pg.sh start
log "building filestore (release)"
swift build -c release --product filestore
BIN="$(swift build -c release --show-bin-path)/filestore"
OUT=perf/pipeline-results.jsonl
: > "$OUT.new"
for ((i = 1; i <= ${REPS:-3}; i++)); do
  log "run $i"
  # shellcheck disable=SC2086
  "$BIN" bench pipeline ${ARGS:-} >> "$OUT.new"
done
mv "$OUT.new" "$OUT"
python3 perf/pipeline_summary.py "$OUT" "scripts/bench-pipeline.sh  (.build/release/filestore bench pipeline ${ARGS:-})"
log "results: $OUT; summary in perf/baseline.json (pipeline)"
