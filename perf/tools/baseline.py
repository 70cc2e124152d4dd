"""Writes one benchmark's summary under its key of perf/baseline.json, keeping the other keys (atomic rename)."""
import json
import os


def store(out, key, result):
    """Sets `key` of the JSON object in `out` (created if missing or unreadable) to `result`."""
    try:
        with open(out) as fh:
            baseline = json.load(fh)
    except (FileNotFoundError, json.JSONDecodeError):
        baseline = {}
    baseline[key] = result
    with open(out + ".new", "w") as fh:
        json.dump(baseline, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(out + ".new", out)
