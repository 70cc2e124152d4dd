#!/usr/bin/env bash
# The SRE console with a large job table (issue 18; docs/CONSOLE.md "Searches and their cost"):
# `filestore-bench console` fills a fresh database with JOBS jobs, starts a real `filestore serve`, times the
# console's pages (overview, filtered searches, dead letters, a job) through one keep-alive curl (p50/p95/max
# of REQUESTS requests each), then runs a 100,000-job bulk retry through the admin API beside a `filestore work`
# draining a noop queue and reports that queue's completions per second before and during it.
# Appends the run to perf/console-results.jsonl and writes it under the key "console" of perf/baseline.json
# (perf/tools/baseline.py, other keys kept). Release build unless DEBUG=1. Uses the PostgreSQL of scripts/pg.sh
# (started only if none answers on FILESTORE_PG_PORT, default 5544). Knobs: JOBS=1000000 REQUESTS=60 DEBUG=1
# SKIP_BUILD=1 OUT=perf/baseline.json
#   scripts/bench-console.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
JOBS=${JOBS:-1000000}
REQUESTS=${REQUESTS:-60}
OUT=${OUT:-perf/baseline.json}
RESULTS=${RESULTS:-perf/console-results.jsonl}
PGPORT=${FILESTORE_PG_PORT:-5544}
if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then bash scripts/pg.sh start; fi
CONFIG=release; BUILD_FLAGS=(-c release --scratch-path "${SCRATCH:-.build-release}")
[[ -n ${DEBUG:-} ]] && { CONFIG=debug; BUILD_FLAGS=(); }
if [[ -z ${SKIP_BUILD:-} ]]; then
  log "building filestore and filestore-bench ($CONFIG)"
  swift build "${BUILD_FLAGS[@]}" --product filestore-bench
  swift build "${BUILD_FLAGS[@]}" --product filestore
fi
BIN=$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)
line=$("$BIN/filestore-bench" console --jobs "$JOBS" --requests "$REQUESTS" --label "filestore-$CONFIG" \
  --dsn-base "postgresql://filestore@127.0.0.1:$PGPORT" --filestore "$BIN/filestore")
echo "$line" >>"$RESULTS"
python3 - "$OUT" "$CONFIG" "$line" <<'PY'
import json, sys
sys.path.insert(0, "perf/tools")
from baseline import store
out, build, line = sys.argv[1], sys.argv[2], sys.argv[3]
result = json.loads(line)
result["build"] = build
result["command"] = "scripts/bench-console.sh"
store(out, "console", result)
print(json.dumps(result, indent=2, sort_keys=True))
PY
