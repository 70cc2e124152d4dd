#!/usr/bin/env bash
# The compliance benchmark (issue 15; docs/COMPLIANCE.md "Benchmarks"): a subject with N files (default 10,000) erased
# by the real dsr.erase handler — files erased per second, job start to signed receipt — then N files whose
# retention expired swept by the real retention.sweep handler — files deleted per second. Both run in the test
# build (ComplianceBenchmark in Tests/FileStoreTests), against the PostgreSQL of scripts/pg.sh (started if none
# answers; BENCH_DATABASE_URL names another). Appends the run to perf/compliance-results.jsonl, writes it under the key
# "compliance" of perf/baseline.json (other keys kept) and prints it. Knobs: N=10000 SKIP_BUILD=1 OUT=perf/baseline.json
#   scripts/bench-compliance.sh
#   SKIP_BUILD=1 N=1000 OUT=/tmp/b.json scripts/bench-compliance.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
N=${N:-10000}
OUT=${OUT:-perf/baseline.json}
RESULTS=${RESULTS:-perf/compliance-results.jsonl}
# The service's own cluster (fsync on, as production commits), not the tests' throw-away one; BENCH_DATABASE_URL
# names another server.
PGPORT=${FILESTORE_PG_PORT:-5544}
export TEST_DATABASE_URL=${BENCH_DATABASE_URL:-postgres://filestore@127.0.0.1:$PGPORT/filestore}
if [[ -z ${BENCH_DATABASE_URL:-} ]] && ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then bash scripts/pg.sh start; fi
if [[ -z ${SKIP_BUILD:-} ]]; then
  log "building the tests (debug)"
  swift build --build-tests
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
log "erasing a subject's $N files, then sweeping $N expired files"
FILESTORE_COMPLIANCE_BENCH=1 FILESTORE_COMPLIANCE_BENCH_N=$N FILESTORE_COMPLIANCE_BENCH_OUT=$WORK/run.jsonl \
  swift test --skip-build --filter ComplianceBenchmark >"$WORK/run.txt" 2>&1 || { tail -40 "$WORK/run.txt" >&2; log "the compliance benchmark failed"; exit 1; }
cat "$WORK/run.jsonl" >>"$RESULTS"
python3 - "$WORK/run.jsonl" "$OUT" <<'PY'
import json, sys
sys.path.insert(0, "perf/tools")
from baseline import store
run = json.loads(open(sys.argv[1]).read().splitlines()[-1])
run["command"] = "scripts/bench-compliance.sh"
store(sys.argv[2], "compliance", run)
print(json.dumps(run, indent=2, sort_keys=True))
PY
