#!/usr/bin/env python3
"""Turns a run_all.sh results.jsonl into perf/baseline.json: per config, the median of each headline figure
over its reps, plus filestore's ratios against the best peer. Usage: make_baseline.py RESULTS.jsonl COMMAND [BACKLOG.jsonl [DURABLE_FETCH.jsonl]]"""
import json, statistics, sys, datetime

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
command = sys.argv[2]
fields = ["jobs_per_s", "enqueue_per_s", "lat_p50_ms", "lat_p99_ms", "db_commits_per_job", "wal_syncs_per_job", "wal_bytes_per_job"]
by = {}
for r in rows:
    by.setdefault(r.get("label"), []).append(r)
configs = {}
for label, rs in by.items():
    ok = [r for r in rs if r.get("complete")]
    c = {"reps": len(rs), "complete_reps": len(ok)}
    for f in fields:
        vals = [r[f] for r in ok if r.get(f) is not None]
        if vals:
            c[f] = {"median": round(statistics.median(vals), 2), "min": min(vals), "max": max(vals)}
    rss = [max(r.get("worker_peak_rss_kb") or [0]) for r in ok if r.get("worker_peak_rss_kb")]
    if rss:
        c["worker_peak_rss_kb_max"] = max(rss)
    configs[label] = c
peers = {k: v for k, v in configs.items() if not k.startswith("filestore")}
ours = configs.get("filestore", {})
def best(field, higher=True):
    vals = [(v[field]["median"], k) for k, v in peers.items() if field in v]
    return (max if higher else min)(vals) if vals else (None, None)
ratios = {}
for field, higher in [("jobs_per_s", True), ("enqueue_per_s", True), ("lat_p50_ms", False), ("lat_p99_ms", False)]:
    b, who = best(field, higher)
    if b and field in ours:
        ratios[field] = {"filestore": ours[field]["median"], "best_peer": who, "best_peer_value": b,
                         "ratio": round(ours[field]["median"] / b, 3)}
out = {"generated": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "command": command,
       "protocol": "shared/bench/peers/README.md; medians of interleaved reps; fsync and synchronous_commit on",
       "configs": configs, "filestore_vs_best_peer": ratios}
keys = ["n", "jobs_per_s", "enqueue_per_s", "lat_p50_ms", "lat_p99_ms", "complete", "worker_peak_rss_kb", "settings"]
if len(sys.argv) > 3:
    extra = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
    out["backlog_runs"] = [{k: r.get(k) for k in keys} for r in extra]
    if "jobs_per_s" in ours:
        ref = ours["jobs_per_s"]["median"]
        out["backlog_vs_20k"] = [round(r["jobs_per_s"] / ref, 3) for r in extra if r.get("jobs_per_s")]
if len(sys.argv) > 4:
    extra = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
    out["durable_fetch_variant_runs"] = [{k: r.get(k) for k in keys} for r in extra]
print(json.dumps(out, indent=2, sort_keys=True))
