#!/usr/bin/env bash
# Reruns the upload benchmark (release build, the local cluster of scripts/pg.sh): REPS runs (3 by default) of
# `filestore-bench upload` (one 1 GiB streamed upload against dd with fsync, 2000 small uploads from 16 clients,
# through a real `filestore serve`), written to perf/upload-results.jsonl.
#   scripts/bench-upload.sh
#   REPS=1 ARGS="--size-mib 256 --small-files 500" scripts/bench-upload.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_packages
bash scripts/pg.sh start
log "building filestore and filestore-bench (release)"
swift build -c release --product filestore
swift build -c release --product filestore-bench
BIN_DIR="$(swift build -c release --show-bin-path)"
OUT=${OUT:-perf/upload-results.jsonl}
: > "$OUT.new"
for ((i = 1; i <= ${REPS:-3}; i++)); do
  log "run $i"
  # shellcheck disable=SC2086
  "$BIN_DIR/filestore-bench" upload --filestore "$BIN_DIR/filestore" ${ARGS:-} >> "$OUT.new"
done
mv "$OUT.new" "$OUT"
log "results: $OUT"
