#!/usr/bin/env python3
"""Fails when a Grafana dashboard under infra/grafana/ is not a dashboard (JSON with panels, a uid and a title,
every panel with at least one query) or when one of its queries reads a metric the code does not export. The
exported metrics are the code's catalog, Sources/API/MetricCatalog.swift (MetricCatalog.help), which a test
checks against a live scrape (MetricsExportTests). Part of the test command (scripts/test.sh); the readiness row
O5 applies the same rule (Sources/Readiness/RepositoryChecks.swift).
"""
import json
import pathlib
import re
import sys

repo = pathlib.Path(__file__).resolve().parent.parent
catalog_text = (repo / "Sources/API/MetricCatalog.swift").read_text()
help_block = catalog_text.split("public static let help", 1)[1]
known = set(re.findall(r'^\s*"([a-z_:][a-z0-9_:]*)":\s*"', help_block, re.M))
if not known:
    sys.exit("check-dashboards: no metric found in Sources/API/MetricCatalog.swift")
namespaces = {name.split("_", 1)[0] for name in known}


def metric_names(expr):
    """The metrics a PromQL expression reads: identifiers in the catalog's namespaces, outside label matchers,
    grouping clauses and strings; histogram series (_bucket, _sum, _count) map to their metric."""
    text = re.sub(r"\{[^}]*\}", " ", expr)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r'"[^"]*"', " ", text)
    out = set()
    for name in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        if "_" not in name or name.split("_", 1)[0] not in namespaces:
            continue
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[: -len(suffix)] in known:
                name = name[: -len(suffix)]
        out.add(name)
    return out


def expressions(value):
    if isinstance(value, dict):
        for key, v in value.items():
            if key == "expr" and isinstance(v, str):
                yield v
            else:
                yield from expressions(v)
    elif isinstance(value, list):
        for v in value:
            yield from expressions(v)


# Self-test of the extraction, so the check cannot silently pass everything.
assert metric_names('sum by (http_route) (rate(http_server_requests_total{http_response_status_code=~"5.."}[5m]))') == {"http_server_requests_total"}
assert metric_names("rate(jobkit_job_duration_seconds_bucket[5m]) + jobkit_not_a_metric") == {"jobkit_job_duration_seconds", "jobkit_not_a_metric"}

dashboards = sorted((repo / "infra/grafana").glob("*.json"))
if not dashboards:
    sys.exit("check-dashboards: no dashboards under infra/grafana/")
problems = []
used = set()
for path in dashboards:
    name = path.relative_to(repo)
    try:
        d = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        problems.append(f"{name}: not JSON ({e})")
        continue
    if not isinstance(d.get("panels"), list) or not d["panels"] or not d.get("uid") or not d.get("title"):
        problems.append(f"{name}: not a dashboard (needs uid, title and panels)")
        continue
    for panel in d["panels"]:
        if not list(expressions(panel)):
            problems.append(f"{name}: panel '{panel.get('title')}' has no query")
    for expr in expressions(d):
        names = metric_names(expr)
        used |= names
        for unknown in sorted(names - known):
            problems.append(f"{name}: '{unknown}' is not exported by the code (Sources/API/MetricCatalog.swift): {expr}")
for p in problems:
    print(p)
if problems:
    sys.exit(f"check-dashboards: {len(problems)} problem(s)")
print(f"dashboards: {len(dashboards)} files read {len(used)} of the {len(known)} exported metrics, none unknown")
