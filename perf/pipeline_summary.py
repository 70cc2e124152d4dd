#!/usr/bin/env python3
"""Merges pipeline benchmark runs (JSON lines of `filestore-bench pipeline`) into perf/baseline.json under
"pipeline": per worker concurrency, the median, min and max of each figure over the runs, and the runs.
Usage: pipeline_summary.py RESULTS.jsonl COMMAND"""
import datetime, json, statistics, sys

runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
fields = ["scan_mb_per_s", "scan_vs_libclamav_loop", "images_per_s", "images_vs_vipsthumbnail",
          "scan_worker_peak_rss_kib", "optimize_worker_peak_rss_kib"]
by = {}
for r in runs:
    for c in r["runs"]:
        by.setdefault(c["concurrency"], []).append(c)
summary = {}
for conc, rows in sorted(by.items()):
    summary[f"concurrency_{conc}"] = {f: {"median": statistics.median(x[f] for x in rows), "min": min(x[f] for x in rows),
                                          "max": max(x[f] for x in rows)} for f in fields}
refs = {"libclamav_loop_mb_per_s": [r["libclamav_loop"]["mb_per_s"] for r in runs],
        "vipsthumbnail_images_per_s": [r["vipsthumbnail"]["images_per_s"] for r in runs]}
baseline = json.load(open("perf/baseline.json"))
baseline["pipeline"] = {
    "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "command": sys.argv[2],
    "targets": "images/s through optimize >= 0.8x vipsthumbnail making the same outputs; scan MB/s >= 0.8x a plain "
               "libclamav loop (engine compiled once, one thread); worker peak RSS reported",
    "corpus": runs[0]["corpus"], "signatures": runs[0]["signatures"],
    "references": refs, "by_worker_concurrency": summary, "runs": runs,
}
with open("perf/baseline.json", "w") as f:
    json.dump(baseline, f, indent=2, sort_keys=True)
    f.write("\n")
print(json.dumps(summary, indent=2))
