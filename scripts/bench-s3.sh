#!/usr/bin/env bash
# The S3 backend against Ceph's RADOS Gateway on this machine, in one run (issue 17; docs/STORAGE.md):
#   1. `filestore serve` with FILESTORE_BLOB_STORE=s3 (FILESTORE_S3_PART_SIZE, FILESTORE_S3_PARTS_IN_FLIGHT as set);
#   2. a BIG_MIB file up and down, REPS times, alternating: `aws s3 cp` to the gateway and back (the reference:
#      awscli's own multipart, 10 threads, 8 MiB parts), then the same file through serve — a streamed upload
#      (curl -T, POST /v1/files) and a streamed download (signed URL, curl to a file), each compared byte for byte;
#      serve's peak RSS (VmHWM);
#   3. 4 KiB uploads per second with CONNS clients (wrk, perf/tools/wrk_json.lua) for DURATION s.
# Writes the figures under the key "s3" of perf/baseline.json (other keys kept) and prints them.
# Starts Ceph (scripts/ceph.sh) and PostgreSQL only if none answers, and stops what it started.
# Knobs: BIG_MIB=1024 REPS=2 CONNS=16 THREADS=2 DURATION=10 CONFIG=release|debug SKIP_BUILD=1 FILESTORE_BIN=path
#        OUT=perf/baseline.json API_PORT=18281.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_packages
BIG_MIB=${BIG_MIB:-1024}
REPS=${REPS:-2}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10}
CONFIG=${CONFIG:-release}
OUT=${OUT:-perf/baseline.json}
PGPORT=${FILESTORE_PG_PORT:-5544}
API_PORT=${API_PORT:-18281}
DB=filestore_bench_s3
WORK=$REPO/.data/bench-s3
OWNER_URL=postgres://filestore@127.0.0.1:$PGPORT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT")

if [[ -n ${FILESTORE_BIN:-} ]]; then
  BIN=$FILESTORE_BIN
else
  if [[ -z ${SKIP_BUILD:-} ]]; then log "building filestore ($CONFIG)"; swift build -c "$CONFIG" --product filestore; fi
  BIN="$(swift build -c "$CONFIG" --show-bin-path)/filestore"
fi
[[ -x $BIN ]] || { log "no build at $BIN"; exit 1; }
if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then bash scripts/pg.sh start; fi
VENV=$REPO/.data/venv
AWS=$(command -v aws || true)
if [[ -z $AWS ]]; then
  [[ -x $VENV/bin/aws ]] || { python3 -m venv "$VENV" 2>/dev/null || true; "$VENV/bin/pip" install -q --disable-pip-version-check awscli; }
  AWS=$VENV/bin/aws
fi

STARTED_CEPH=
if ! curl -s -o /dev/null "$(scripts/ceph.sh url)/"; then scripts/ceph.sh start; STARTED_CEPH=1; fi
eval "$(scripts/ceph.sh env)"
# awscli ≥ 1.36 adds flexible checksums by default; Ceph 16 ignores them. Keep the client's behaviour explicit.
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
A=("$AWS" --endpoint-url "$TEST_S3_ENDPOINT")

# What this benchmark stores (awscli's copies, serve's files under its key prefix) is removed at the end, and any left
# by an interrupted run at the start: a single-OSD test cluster fills up otherwise.
clear_objects() { "${A[@]}" s3 rm --only-show-errors --recursive "s3://$TEST_S3_BUCKET/bench/" >/dev/null 2>&1 || true; }
clear_objects
SERVE_PID=
cleanup() {
  clear_objects
  if [[ -n $SERVE_PID ]] && kill "$SERVE_PID" 2>/dev/null; then
    local rc=0; wait "$SERVE_PID" 2>/dev/null || rc=$?
    log "serve stopped (exit status $rc)"
  fi
  "${PSQL[@]}" -U filestore -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
  rm -rf "$WORK"
  [[ -n $STARTED_CEPH ]] && scripts/ceph.sh stop
  return 0
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK/results"
R=$WORK/results
head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big.bin"
# MiB/s of a command that moves BIG_MIB.
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); python3 -c "print(round($BIG_MIB / ($t1 - $t0), 1))"; }

log "1/3 filestore serve ($BIN) with FILESTORE_BLOB_STORE=s3"
"${PSQL[@]}" -U filestore -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
LOG_LEVEL=warning "$BIN" migrate --database-url "$OWNER_URL/$DB" >/dev/null
export DATABASE_URL=postgres://filestore_app@127.0.0.1:$PGPORT/$DB MIGRATE_DATABASE_URL=$OWNER_URL/$DB
export FILESTORE_JWT_KEYS="bench=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
export FILESTORE_URL_KEYS="bench=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
export FILESTORE_BLOB_DIR=$WORK/staging LOG_LEVEL=warning
export FILESTORE_BLOB_STORE=s3 FILESTORE_S3_ENDPOINT=$TEST_S3_ENDPOINT FILESTORE_S3_BUCKET=$TEST_S3_BUCKET FILESTORE_S3_KEY_PREFIX=bench/serve/
BASE=http://127.0.0.1:$API_PORT
"$BIN" serve --api-port "$API_PORT" --rate-limits off --max-upload-bytes $(((BIG_MIB + 1) << 20)) >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
TOKEN=$("$BIN" token issue --tenant bench --scope files:write files:read --ttl 2h --subject bench)
for _ in $(seq 1 300); do [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz") == 200 ]] && break; sleep 0.1; done
rss() { awk '/^VmHWM:/ {print $2}' "/proc/$SERVE_PID/status"; }
RSS_START=$(rss)
TENANT_SQL="SELECT set_config('app.tenant_id', 'bench', false)"
log "2/3 $BIG_MIB MiB up and down, aws s3 cp and filestore alternating, $REPS times each"
: >"$R/serve.txt"
: >"$R/aws.txt"
for ((i = 1; i <= REPS; i++)); do
  aws_up=$(timed "${A[@]}" s3 cp --only-show-errors "$WORK/big.bin" "s3://$TEST_S3_BUCKET/bench/aws-$i.bin")
  t0=$(date +%s.%N)
  ID=$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/octet-stream' -T "$WORK/big.bin" "$BASE/v1/files" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  t1=$(date +%s.%N)
  up=$(python3 -c "print(round($BIG_MIB / ($t1 - $t0), 1))")
  [[ $i == 1 ]] && RSS_UPLOAD=$(rss)
  aws_down=$(timed "${A[@]}" s3 cp --only-show-errors "s3://$TEST_S3_BUCKET/bench/aws-$i.bin" "$WORK/aws-back.bin")
  cmp -s "$WORK/big.bin" "$WORK/aws-back.bin" || { log "aws s3 cp did not return the same bytes"; exit 1; }
  rm -f "$WORK/aws-back.bin"
  # serve runs no pipeline: the file is made servable as scan and optimize would leave it.
  "${PSQL[@]}" -U filestore -d "$DB" -c "$TENANT_SQL" -c "UPDATE files SET state = 'ready', scanned_at = now() WHERE id = '$ID'" >/dev/null
  URL=$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"ttl_seconds": 7200}' \
    "$BASE/v1/files/$ID/urls" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
  [[ $URL == http* ]] || URL=$BASE$URL
  down=$(timed curl -sf -o "$WORK/serve-back.bin" "$URL")
  cmp -s "$WORK/big.bin" "$WORK/serve-back.bin" || { log "filestore did not return the same bytes"; exit 1; }
  rm -f "$WORK/serve-back.bin"
  echo "aws $aws_up $aws_down" | tee -a "$R/aws.txt" >&2
  echo "serve $up $down" | tee -a "$R/serve.txt" >&2
done
RSS_BIG=$(rss)

log "3/3 4 KiB uploads, $CONNS clients, ${DURATION}s"
WRK_OUT=$R/small.json WRK_TOKEN=$TOKEN WRK_BODY=4096 \
  wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --timeout 10s -s perf/tools/wrk_json.lua "$BASE/v1/files" >"$R/small.txt"
cat "$R/small.json" >&2
RSS_END=$(rss)
STORED=$("${PSQL[@]}" -U filestore -d "$DB" -At -c "$TENANT_SQL" -c "SELECT count(*) FROM files" | tail -1)

python3 - "$R" "$OUT" "$BIG_MIB" "$RSS_START" "$RSS_BIG" "$RSS_END" "$CONFIG" "$BIN" "$STORED" "$RSS_UPLOAD" <<'PY'
import json, os, statistics, sys, time
r, out, big_mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
rss_start, rss_big, rss_end = map(int, sys.argv[4:7])
config, binary, stored, rss_upload = sys.argv[7], sys.argv[8], int(sys.argv[9]), int(sys.argv[10])
def rows(name):
    return [tuple(map(float, line.split()[1:])) for line in open(os.path.join(r, name))]
aws, serve = rows("aws.txt"), rows("serve.txt")
med = lambda xs: round(statistics.median(xs), 1)
small = json.load(open(os.path.join(r, "small.json")))
result = {
    "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "command": "scripts/bench-s3.sh",
    "build": config, "binary": binary,
    "gateway": "Ceph 16.2 RADOS Gateway (beast), single node, BlueStore on a sparse file, loopback",
    "big_file_mib": big_mib, "cores": os.cpu_count(), "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
    "aws_s3_cp_mib_per_s": {"upload": [a[0] for a in aws], "download": [a[1] for a in aws],
                            "upload_median": med([a[0] for a in aws]), "download_median": med([a[1] for a in aws])},
    "filestore_mib_per_s": {"upload": [s[0] for s in serve], "download": [s[1] for s in serve],
                            "upload_median": med([s[0] for s in serve]), "download_median": med([s[1] for s in serve])},
    "serve_peak_rss_kib": {"start": rss_start, "after_first_big_upload": rss_upload, "after_big_files": rss_big, "end": rss_end},
    "part_size": os.environ.get("FILESTORE_S3_PART_SIZE", "16MiB"),
    "small_uploads": {"body_bytes": 4096, "clients": int(os.environ.get("CONNS", 16)), **small, "files_recorded": stored},
}
result["ratios"] = {
    "upload_vs_aws": round(result["filestore_mib_per_s"]["upload_median"] / result["aws_s3_cp_mib_per_s"]["upload_median"], 3),
    "download_vs_aws": round(result["filestore_mib_per_s"]["download_median"] / result["aws_s3_cp_mib_per_s"]["download_median"], 3),
}
result["targets"] = {"ratio_min": 0.8, "rss_max_mib": 100,
                     "upload_ratio_met": result["ratios"]["upload_vs_aws"] >= 0.8,
                     "download_ratio_met": result["ratios"]["download_vs_aws"] >= 0.8,
                     "rss_met": rss_end < 100 * 1024}
try:
    baseline = json.load(open(out))
except FileNotFoundError:
    baseline = {}
baseline["s3"] = result
with open(out, "w") as f:
    json.dump(baseline, f, indent=2, sort_keys=True)
    f.write("\n")
print(json.dumps(result, indent=2))
PY
