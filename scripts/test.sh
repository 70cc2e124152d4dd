#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a used one:
#   installs missing Debian packages, starts the project's PostgreSQL (scripts/pg.sh), builds with code coverage,
#   runs every test, then writes an llvm-cov line/region/branch report per source target into .data/coverage/
#   (TARGET.txt, summary.tsv) and prints one summary table. The exit status is the tests'.
# Extra arguments go to `swift test` (e.g. --filter WorkerTests). COVERAGE=0 builds and tests without coverage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
"$REPO/scripts/pg.sh" start
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-$("$REPO/scripts/pg.sh" url)}
# Python tools the tests use, from PyPI, in a venv under the ignored .data folder.
VENV=$REPO/.data/venv
if [[ ! -x $VENV/bin/openapi-spec-validator || ! -d $VENV/lib/python3*/site-packages/tusclient ]] 2>/dev/null; then
  log "installing openapi-spec-validator and tuspy into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check openapi-spec-validator==0.8.1 tuspy==1.1.0
fi
# Security tools (docs/SECURITY.md): the secrets scanner and Schemathesis, pinned.
if [[ ! -x $VENV/bin/detect-secrets || ! -x $VENV/bin/schemathesis ]]; then
  log "installing detect-secrets and schemathesis into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check detect-secrets==1.5.0 schemathesis==4.32.5
fi
# The webhook tests' receiver verifies signatures with the reference Standard Webhooks library.
if ! "$VENV/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
  log "installing standardwebhooks into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check standardwebhooks==1.1.0
fi
export FILESTORE_TEST_PYTHON=$VENV/bin/python
# The deployment files' offline validators (scripts/check-infra.sh).
if [[ ! -x $VENV/bin/kubernetes-validate || ! -x $VENV/bin/checkov ]]; then
  log "installing kubernetes-validate and checkov into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check kubernetes-validate==1.37.0 checkov==3.3.30
fi
log "scanning tracked files for secrets (detect-secrets against .secrets.baseline)"
"$VENV/bin/python" scripts/scan_secrets.py "$VENV/bin/detect-secrets"
log "validating openapi/v1.yaml"
"$VENV/bin/openapi-spec-validator" openapi/v1.yaml
log "checking the alert rules (promtool)"
"$REPO/scripts/check-alerts.sh"
log "validating the deployment files (infra/k8s, infra/systemd)"
VENV=$VENV "$REPO/scripts/check-infra.sh"
COVERAGE_FLAG=--enable-code-coverage
[[ ${COVERAGE:-1} == 0 ]] && COVERAGE_FLAG=
log "building (first build of the dependencies takes several minutes)"
swift build --build-tests $COVERAGE_FLAG
log "running tests against $TEST_DATABASE_URL"
status=0
swift test --skip-build $COVERAGE_FLAG "$@" || status=$?
if [[ -n $COVERAGE_FLAG ]]; then
  coverage_report || log "coverage report failed (the tests' status is kept)"
fi
exit $status
