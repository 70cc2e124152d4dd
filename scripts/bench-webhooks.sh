#!/usr/bin/env bash
# Webhook delivery against a fast local receiver, in one run (issue 14; docs/EVENTS.md "Benchmark"):
#   1. the receiver: nginx (Debian's nginx-light) answering 204 to every POST, one access-log line per request
#      ("$msec $http_webhook_id $uri");
#   2. its ceiling: wrk (THREADS threads, CONNS connections, DURATION s) POSTing a webhook-sized body to it;
#   3. the relay: WebhookBenchmark (Tests/FileStoreTests/WebhookBenchmark.swift) writes events as uploads do
#      and runs the real `filestore work --queues webhooks` process: idle commit→arrival p50/p99 (IDLE samples,
#      one at a time), events/s to one endpoint (a backlog of N), deliveries/s to 100 endpoints (N/100 events
#      each to all 100), arrivals timed by the receiver's own log;
#   4. wrk again, right after, on the same receiver.
# Appends the run to perf/webhooks-results.jsonl, writes it with the ratios under the key "webhooks" of
# perf/baseline.json (other keys kept) and prints it. The relay binary is the debug build unless RELEASE=1
# (then `swift build -c release --product filestore`, passed as FILESTORE_BIN); the figures say which ("build").
# Uses the PostgreSQL of scripts/pg.sh (TEST_DATABASE_URL; started only if none answers). Knobs: N=2000
# IDLE=200 DURATION=10 CONNS=32 THREADS=2 RECEIVER_PORT=18190 RELEASE=1 SKIP_BUILD=1 OUT=perf/baseline.json
#   scripts/bench-webhooks.sh
#   SKIP_BUILD=1 N=500 IDLE=50 OUT=/tmp/b.json scripts/bench-webhooks.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
command -v wrk >/dev/null 2>&1 && [[ -x /usr/sbin/nginx ]] || ensure_packages

N=${N:-2000}
IDLE=${IDLE:-200}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
RECEIVER_PORT=${RECEIVER_PORT:-18190}
OUT=${OUT:-perf/baseline.json}
RESULTS=${RESULTS:-perf/webhooks-results.jsonl}
PGPORT=${FILESTORE_PG_PORT:-5544}
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://filestore@127.0.0.1:$PGPORT/filestore}
WORK=$REPO/.data/bench-webhooks

if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; then bash scripts/pg.sh start; fi
BUILD=debug
if [[ -n ${RELEASE:-} ]]; then
  BUILD=release
  [[ -n ${SKIP_BUILD:-} ]] || { log "building filestore (release)"; swift build -c release --product filestore; }
  export FILESTORE_BIN
  FILESTORE_BIN="$(swift build -c release --show-bin-path)/filestore"
fi
if [[ -z ${SKIP_BUILD:-} ]]; then
  log "building the tests and filestore (debug)"
  swift build --build-tests
fi

NGINX_PID=
cleanup() {
  [[ -n $NGINX_PID ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK/nginx" "$WORK/results"
R=$WORK/results

log "1/4 receiver: nginx on 127.0.0.1:$RECEIVER_PORT answering 204"
NGINX_USER=; [[ $(id -u) -eq 0 ]] && NGINX_USER="user root;"
cat >"$WORK/nginx/nginx.conf" <<EOF
$NGINX_USER
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  log_format hook '\$msec \$http_webhook_id \$uri';
  access_log $WORK/nginx/access.log hook;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$RECEIVER_PORT; location / { return 204; } }
}
EOF
/usr/sbin/nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!
RECEIVER=http://127.0.0.1:$RECEIVER_PORT
for _ in $(seq 1 100); do [[ $(curl -s -o /dev/null -w '%{http_code}' -X POST "$RECEIVER/hook") == 204 ]] && break; sleep 0.1; done

# A webhook's size: the relay's body for a file.uploaded.v1 event is about 420 bytes.
wrk_json() {
  WRK_OUT=$R/$1.json WRK_BODY=420 wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --timeout 5s -s perf/tools/wrk_json.lua "$RECEIVER/ceiling" >"$R/$1.txt"
  cat "$R/$1.json" >&2
}
log "2/4 receiver ceiling: wrk -t$THREADS -c$CONNS -d${DURATION}s POST"
wrk_json ceiling_before

log "3/4 relay: WebhookBenchmark (N=$N, IDLE=$IDLE, relay build $BUILD)"
: >"$R/relay.jsonl"
FILESTORE_WEBHOOK_BENCH=1 FILESTORE_WEBHOOK_BENCH_N=$N FILESTORE_WEBHOOK_BENCH_IDLE=$IDLE FILESTORE_WEBHOOK_BENCH_RECEIVER=$RECEIVER \
  FILESTORE_WEBHOOK_BENCH_RECEIVER_LOG=$WORK/nginx/access.log FILESTORE_WEBHOOK_BENCH_OUT=$R/relay.jsonl \
  swift test --skip-build --filter WebhookBenchmark >"$R/relay.txt" 2>&1 || { tail -40 "$R/relay.txt" >&2; log "the relay benchmark failed"; exit 1; }
grep -E '^webhook benchmark:' "$R/relay.txt" >&2

log "4/4 receiver ceiling again, right after"
wrk_json ceiling_after

python3 - "$R" "$OUT" "$RESULTS" "$BUILD" <<'PY'
import json, os, statistics, sys, time
r, out, results, build = sys.argv[1:5]
relay = json.loads(open(os.path.join(r, "relay.jsonl")).read().strip().splitlines()[-1])
before, after = (json.load(open(os.path.join(r, n + ".json"))) for n in ("ceiling_before", "ceiling_after"))
ceiling = statistics.mean([before["requests_per_s"], after["requests_per_s"]])
ratio = lambda a: round(a / ceiling, 4) if a and ceiling else None
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
result = {
    "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "command": "scripts/bench-webhooks.sh",
    "build": build + " (the `filestore work` relay process; the event writer is the debug test bundle)",
    "machine": {"cores": os.cpu_count(), "cpu": cpu, "loadavg_before": relay.get("loadavg_before"), "loadavg_after": relay.get("loadavg_after")},
    "receiver": "nginx-light, return 204, access log per request (the arrival times)",
    "receiver_ceiling_requests_per_s": {"before": before["requests_per_s"], "after": after["requests_per_s"], "mean": round(ceiling, 1),
                                        "wrk": {"threads": int(os.environ.get("THREADS", 2)), "connections": int(os.environ.get("CONNS", 32)),
                                                "duration_s": int(os.environ.get("DURATION", 10)), "body_bytes": 420,
                                                "p99_ms_before": before["lat_p99_ms"], "p99_ms_after": after["lat_p99_ms"]}},
    "one_endpoint_events_per_s": relay["one_endpoint_events_per_s"],
    "one_endpoint_events": relay["n"],
    "hundred_endpoints_deliveries_per_s": relay["hundred_endpoints_deliveries_per_s"],
    "hundred_endpoints_events_per_s": relay["hundred_endpoints_events_per_s"],
    "hundred_endpoints_events": relay["hundred_endpoints_events"],
    "idle_commit_to_delivery_ms": {"p50": relay["idle_commit_to_delivery_p50_ms"], "p99": relay["idle_commit_to_delivery_p99_ms"],
                                   "max": relay["idle_commit_to_delivery_max_ms"], "samples": relay["idle_samples"]},
    "ratios": {"one_endpoint_vs_ceiling": ratio(relay["one_endpoint_events_per_s"]),
               "hundred_endpoints_deliveries_vs_ceiling": ratio(relay["hundred_endpoints_deliveries_per_s"])},
    "targets": {"delivered_vs_receiver_ceiling": ">= 0.5", "idle_commit_to_delivery_p99_ms": "< 50"},
}
result["targets_met"] = {"one_endpoint_vs_ceiling": (result["ratios"]["one_endpoint_vs_ceiling"] or 0) >= 0.5,
                         "hundred_endpoints_vs_ceiling": (result["ratios"]["hundred_endpoints_deliveries_vs_ceiling"] or 0) >= 0.5,
                         "idle_p99": relay["idle_commit_to_delivery_p99_ms"] < 50}
with open(results, "a") as fh:
    fh.write(json.dumps(result, sort_keys=True) + "\n")
sys.path.insert(0, "perf/tools")
from baseline import store
store(out, "webhooks", result)
print(json.dumps(result, indent=2, sort_keys=True))
PY
