#!/usr/bin/env bash
# Checks the Prometheus alert rules under infra/prometheus/: promtool's syntax check, the promtool unit tests
# in infra/prometheus/tests/, and that every alert names a runbook (a `runbook_url` annotation whose file
# exists under runbooks/). Part of the test command (scripts/test.sh). Needs promtool (Debian's `prometheus`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
command -v promtool >/dev/null || { log "promtool is missing (Debian package prometheus)"; exit 1; }
shopt -s nullglob
rules=(infra/prometheus/*.yml)
tests=(infra/prometheus/tests/*.test.yml)
((${#rules[@]})) || { log "no alert rules under infra/prometheus/"; exit 1; }
promtool check rules "${rules[@]}"
((${#tests[@]})) && promtool test rules "${tests[@]}"
status=0
for f in "${rules[@]}"; do
  # Every alert has a runbook_url, none the old `runbook:` form, and each names an existing runbook.
  alerts=$(grep -c '^ *- alert:' "$f" || true)
  urls=$(grep -c 'runbook_url:' "$f" || true)
  if ((alerts != urls)); then log "$f: $alerts alerts but $urls runbook_url annotations"; status=1; fi
  if grep -q '^ *runbook:' "$f"; then log "$f: use runbook_url, not runbook"; status=1; fi
  while read -r book; do
    [[ -f runbooks/$book ]] || { log "$f: runbook_url names runbooks/$book, which does not exist"; status=1; }
  done < <(grep -o 'runbook_base }}/[A-Za-z0-9._-]*' "$f" | sed 's#.*}}/##')
done
# Every rule file has unit tests.
for f in "${rules[@]}"; do
  base=$(basename "$f" .yml)
  [[ -f infra/prometheus/tests/$base.test.yml ]] || { log "$f has no tests (infra/prometheus/tests/$base.test.yml)"; status=1; }
done
((status == 0)) && log "alert rules: syntax, unit tests and runbooks checked"
exit $status
