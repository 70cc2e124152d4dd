#!/usr/bin/env bash
# The request path against the machine, in one run (issue 19; docs/PERFORMANCE.md):
#   1. the disk-pattern loop: mkdir + write + fsync + rename + fsync of the folder and its parent, 16 writers
#      (perf/tools/disk_pattern.c, built here), in the blob directory's filesystem;
#   2. pgbench: one-row INSERT commits, 16 clients, on the project's cluster (a scratch database);
#   3. nginx (Debian's nginx-light) serving the blob files filestore stored, 4 KiB and 1 GiB;
#   4. wrk (THREADS threads, CONNS connections, DURATION s) against the release `filestore serve` (rate limits off,
#      the service role filestore_app): 4 KiB uploads, signed downloads, bearer downloads, GET /v1/files/{id};
#      then one 1 GiB download (curl to /dev/null), alternating with nginx, REPS_BIG times each.
# Writes the figures and ratios under the key "http" of perf/baseline.json (other keys kept) and prints them.
# Installs what it needs (scripts/lib.sh ensure_packages), starts PostgreSQL only if none answers on the port,
# cleans up what it started. Knobs: DURATION=10 CONNS=16 THREADS=2 BIG_MIB=1024 REPS_BIG=3 SKIP_BUILD=1
# FILESTORE_BIN=path (a binary to measure instead, for A/B runs) LOG_LEVEL=info (serve's) SERVE_ARGS="…" (extra serve flags) OUT=perf/baseline.json.
#   scripts/bench-http.sh
#   DURATION=5 BIG_MIB=256 SKIP_BUILD=1 OUT=/tmp/b.json scripts/bench-http.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_packages

DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
BIG_MIB=${BIG_MIB:-1024}
REPS_BIG=${REPS_BIG:-3}
OUT=${OUT:-perf/baseline.json}
PGPORT=${FILESTORE_PG_PORT:-5544}
API_PORT=${API_PORT:-18181}
NGINX_PORT=${NGINX_PORT:-18182}
DB=filestore_bench_http
WORK=$REPO/.data/bench-http
OWNER_URL=postgres://filestore@127.0.0.1:$PGPORT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT")

if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then bash scripts/pg.sh start; fi
if [[ -n ${FILESTORE_BIN:-} ]]; then
  BIN=$FILESTORE_BIN
else
  if [[ -z ${SKIP_BUILD:-} ]]; then
    log "building filestore (release)"
    swift build -c release --product filestore
  fi
  BIN="$(swift build -c release --show-bin-path)/filestore"
fi
[[ -x $BIN ]] || { log "no release build at $BIN"; exit 1; }

SERVE_PID= NGINX_PID=
cleanup() {
  [[ -n $SERVE_PID ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null
  "${PSQL[@]}" -U filestore -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${DB}_pgbench WITH (FORCE)" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK/results"
R=$WORK/results

# wrk with the JSON summary of perf/tools/wrk_json.lua: wrk_json NAME URL [TOKEN] [BODY_BYTES]
wrk_json() {
  WRK_OUT=$R/$1.json WRK_TOKEN=${3:-} WRK_BODY=${4:-0} \
    wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --timeout 5s -s perf/tools/wrk_json.lua "$2" >"$R/$1.txt"
  cat "$R/$1.json" >&2
}

log "1/4 disk pattern (16 writers, ${DURATION}s)"
cc -O2 -pthread -o "$WORK/disk_pattern" perf/tools/disk_pattern.c
"$WORK/disk_pattern" "$WORK/disk" 16 "$DURATION" 4096 >"$R/disk.json"
rm -rf "$WORK/disk"
cat "$R/disk.json" >&2

log "2/4 pgbench (one-row commits, 16 clients, ${DURATION}s)"
"${PSQL[@]}" -U filestore -d postgres -c "DROP DATABASE IF EXISTS ${DB}_pgbench WITH (FORCE)" -c "CREATE DATABASE ${DB}_pgbench"
"${PSQL[@]}" -U filestore -d "${DB}_pgbench" -c "CREATE TABLE one_row (id bigserial PRIMARY KEY, v int8)"
echo 'INSERT INTO one_row (v) VALUES (1);' >"$WORK/pgbench.sql"
"$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U filestore -c 16 -j 2 -T "$DURATION" -f "$WORK/pgbench.sql" "${DB}_pgbench" >"$R/pgbench.txt" 2>&1
grep -E '^(tps|latency average)' "$R/pgbench.txt" >&2

log "3/4 filestore serve ($BIN) on a fresh database"
"${PSQL[@]}" -U filestore -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
LOG_LEVEL=warning "$BIN" migrate --database-url "$OWNER_URL/$DB" >/dev/null
export DATABASE_URL=postgres://filestore_app@127.0.0.1:$PGPORT/$DB MIGRATE_DATABASE_URL=$OWNER_URL/$DB
export FILESTORE_JWT_KEYS="bench=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
export FILESTORE_URL_KEYS="bench=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
export FILESTORE_BLOB_DIR=$WORK/blobs LOG_LEVEL=${LOG_LEVEL:-info}
BASE=http://127.0.0.1:$API_PORT
# shellcheck disable=SC2086
"$BIN" serve --api-port "$API_PORT" --rate-limits off --max-upload-bytes $(((BIG_MIB + 1) << 20)) ${SERVE_ARGS:-} >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
TOKEN=$("$BIN" token issue --tenant bench --scope files:write files:read --ttl 2h --subject bench)
for _ in $(seq 1 300); do [[ $(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz") == 200 ]] && break; sleep 0.1; done
rss() { awk '/^VmHWM:/ {print $2}' "/proc/$SERVE_PID/status"; }
RSS_START=$(rss)

head -c 4096 /dev/urandom >"$WORK/small.bin"
upload() { # upload FILE → file id
  curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$BASE/v1/files" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
SMALL_ID=$(upload "$WORK/small.bin")
log "uploads: wrk POST /v1/files, 4 KiB bodies"
wrk_json upload "$BASE/v1/files" "$TOKEN" 4096
RSS_UPLOAD=$(rss)

# The pipeline is not running (serve only): the seeded file is made servable directly, as the scan and
# optimize steps would leave it (ready, no variants: a 4 KiB non-image file is served as itself).
head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big.bin"
BIG_ID=$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/octet-stream' -T "$WORK/big.bin" "$BASE/v1/files" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# Row-level security is forced on the owner too: the tenant is set first.
TENANT_SQL="SELECT set_config('app.tenant_id', 'bench', false)"
"${PSQL[@]}" -U filestore -d "$DB" -c "$TENANT_SQL" -c "UPDATE files SET state = 'ready', scanned_at = now() WHERE id IN ('$SMALL_ID', '$BIG_ID')" >/dev/null
SIGNED=$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"ttl_seconds": 7200}' \
  "$BASE/v1/files/$SMALL_ID/urls" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
[[ $SIGNED == http* ]] || SIGNED=$BASE$SIGNED
SMALL_KEY=$("${PSQL[@]}" -U filestore -d "$DB" -At -c "$TENANT_SQL" -c "SELECT object_key FROM files WHERE id = '$SMALL_ID'" | tail -1)
BIG_KEY=$("${PSQL[@]}" -U filestore -d "$DB" -At -c "$TENANT_SQL" -c "SELECT object_key FROM files WHERE id = '$BIG_ID'" | tail -1)
cmp -s "$WORK/small.bin" <(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/v1/files/$SMALL_ID/content") ||
  { log "bearer download does not return the uploaded bytes"; exit 1; }

log "downloads: wrk signed, bearer, GET /v1/files/{id}"
wrk_json signed "$SIGNED"
wrk_json bearer "$BASE/v1/files/$SMALL_ID/content" "$TOKEN"
wrk_json file_get "$BASE/v1/files/$SMALL_ID" "$TOKEN"
RSS_DOWNLOAD=$(rss)

log "4/4 nginx on the same files"
mkdir -p "$WORK/nginx"
# The workers run as this user: the blobs are 0600, as filestore writes them.
NGINX_USER=; [[ $(id -u) -eq 0 ]] && NGINX_USER="user root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
$NGINX_USER
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/blobs; default_type application/octet-stream; }
}
EOF
/usr/sbin/nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
for _ in $(seq 1 100); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/$SMALL_KEY") == 200 ]] && break; sleep 0.1; done
wrk_json nginx_small "http://127.0.0.1:$NGINX_PORT/$SMALL_KEY"

log "1 GiB downloads: filestore (signed URL) and nginx, alternating, $REPS_BIG each"
BIG_SIGNED=$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"ttl_seconds": 7200}' \
  "$BASE/v1/files/$BIG_ID/urls" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
[[ $BIG_SIGNED == http* ]] || BIG_SIGNED=$BASE$BIG_SIGNED
: >"$R/big.txt"
for ((i = 1; i <= REPS_BIG; i++)); do
  echo "filestore $(curl -sf -o /dev/null -w '%{size_download} %{speed_download}' "$BIG_SIGNED")" >>"$R/big.txt"
  echo "nginx $(curl -sf -o /dev/null -w '%{size_download} %{speed_download}' "http://127.0.0.1:$NGINX_PORT/$BIG_KEY")" >>"$R/big.txt"
done
cat "$R/big.txt" >&2
RSS_END=$(rss)

python3 - "$R" "$OUT" "$RSS_START" "$RSS_UPLOAD" "$RSS_DOWNLOAD" "$RSS_END" "$BIG_MIB" <<'PY'
import json, os, re, statistics, sys, time
r, out = sys.argv[1], sys.argv[2]
rss_start, rss_upload, rss_download, rss_end, big_mib = map(int, sys.argv[3:8])
load = lambda n: json.load(open(os.path.join(r, n + ".json")))
pgb = open(os.path.join(r, "pgbench.txt")).read()
tps = float(re.search(r"tps = ([0-9.]+)", pgb).group(1))
disk = load("disk")
big = {"filestore": [], "nginx": []}
for line in open(os.path.join(r, "big.txt")):
    who, size, speed = line.split()
    if int(size) == big_mib << 20:
        big[who].append(float(speed) / 2**20)
med = lambda xs: round(statistics.median(xs), 1) if xs else None
f = {k: load(k) for k in ("upload", "signed", "bearer", "file_get", "nginx_small")}
ratio = lambda a, b: round(a / b, 4) if a and b else None
result = {
    "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "command": "scripts/bench-http.sh",
    "load": {"threads": int(os.environ.get("THREADS", 2)), "connections": int(os.environ.get("CONNS", 16)),
             "duration_s": int(os.environ.get("DURATION", 10)), "body_bytes": 4096, "loadavg_at_end": open("/proc/loadavg").read().split()[:3],
             "cores": os.cpu_count()},
    "disk_pattern": disk, "pgbench_one_row_commits_per_s": tps,
    "wrk": f,
    "big_download_mib_per_s": {"filestore": big["filestore"], "nginx": big["nginx"],
                               "filestore_median": med(big["filestore"]), "nginx_median": med(big["nginx"])},
    "serve_peak_rss_kib": {"start": rss_start, "after_uploads": rss_upload, "after_small_downloads": rss_download, "end": rss_end},
    "ratios": {
        "uploads_vs_disk_pattern": ratio(f["upload"]["requests_per_s"], disk["files_per_s"]),
        "uploads_vs_pgbench": ratio(f["upload"]["requests_per_s"], tps),
        "signed_vs_nginx": ratio(f["signed"]["requests_per_s"], f["nginx_small"]["requests_per_s"]),
        "bearer_vs_nginx": ratio(f["bearer"]["requests_per_s"], f["nginx_small"]["requests_per_s"]),
        "file_get_vs_nginx": ratio(f["file_get"]["requests_per_s"], f["nginx_small"]["requests_per_s"]),
        "big_download_vs_nginx": ratio(med(big["filestore"]), med(big["nginx"])),
    },
    "targets": {"uploads_per_s": ">= 2000, p99 < 50 ms", "small_downloads_per_s": ">= 10000, p99 < 10 ms",
                "big_download_vs_nginx": ">= 0.8", "serve_peak_rss_kib": "< 65536"},
}
sys.path.insert(0, "perf/tools")
from baseline import store
store(out, "http", result)
print(json.dumps(result, indent=2, sort_keys=True))
PY
