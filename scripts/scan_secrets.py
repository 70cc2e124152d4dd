#!/usr/bin/env python3
"""Fails when a tracked file holds a secret that .secrets.baseline does not list (detect-secrets, pinned in
scripts/test.sh). Findings are compared by file and hashed secret, not by line, so edits that move an audited
test fixture do not fail the run. Refresh after auditing a new fixture:
    .data/venv/bin/detect-secrets scan $(git ls-files | grep -vx .secrets.baseline) > .secrets.baseline
"""
import json
import subprocess
import sys

repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
files = [f for f in subprocess.run(["git", "ls-files", "-z"], capture_output=True, text=True, check=True, cwd=repo).stdout.split("\0")
         if f and f != ".secrets.baseline"]
detect = sys.argv[1] if len(sys.argv) > 1 else "detect-secrets"
scan = json.loads(subprocess.run([detect, "scan", *files], capture_output=True, text=True, check=True, cwd=repo).stdout)
with open(f"{repo}/.secrets.baseline") as f:
    baseline = json.load(f)
known = {(name, s["hashed_secret"]) for name, found in baseline["results"].items() for s in found}
new = [(name, s["type"], s["line_number"]) for name, found in scan["results"].items() for s in found
       if (name, s["hashed_secret"]) not in known]
for name, kind, line in new:
    print(f"secret? {name}:{line}: {kind} (not in .secrets.baseline)")
if new:
    print(f"{len(new)} finding(s) not in .secrets.baseline: remove the secret, or audit it and refresh the baseline (see scripts/scan_secrets.py)")
    sys.exit(1)
print(f"no secrets beyond the {len(known)} audited fixtures of .secrets.baseline in {len(files)} tracked files")
