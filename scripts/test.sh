#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a used one:
#   installs missing Debian packages, starts the tests' own PostgreSQL (scripts/pg.sh, see below), builds with code coverage,
#   runs every test, then writes an llvm-cov line/region/branch report per source target into .data/coverage/
#   (TARGET.txt, summary.tsv) and prints one summary table. The exit status is the tests'.
# Extra arguments go to `swift test` (e.g. --filter WorkerTests). COVERAGE=0 builds and tests without coverage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
# The tests' PostgreSQL: a cluster of their own (port $FILESTORE_TEST_PG_PORT, default 5545, data .data/pg-test),
# apart from the one `scripts/dev.sh` runs, so a test run neither disturbs nor waits on a running service. Its data
# is thrown away, so it runs with fsync off: every test creates and drops a database, each DROP DATABASE forces a
# checkpoint, and with fsync on those checkpoints stalled the whole suite behind the disk on a 2-core CI machine
# (one run saw 137 tests end in the same second, a minute in, and a worker test time out). Commits are still
# synchronous_commit = on, as the product runs them. TEST_DATABASE_URL names another server instead.
if [[ -z ${TEST_DATABASE_URL:-} ]]; then
  test_pg() { FILESTORE_PG_PORT=${FILESTORE_TEST_PG_PORT:-5545} FILESTORE_PG_DATA=${FILESTORE_TEST_PG_DATA:-$REPO/.data/pg-test} \
    FILESTORE_PG_FSYNC=off "$REPO/scripts/pg.sh" "$@"; }
  test_pg start
  TEST_DATABASE_URL=$(test_pg url)
  export TEST_DATABASE_URL
  # Databases left by an earlier run that was killed before it could drop them.
  leftovers=$(psql "$TEST_DATABASE_URL" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE 'filestore\_t\_%' OR datname LIKE 'filestore\_tmpl\_%'")
  for db in $leftovers; do psql "$TEST_DATABASE_URL" -qAtc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null; done
fi
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
# The SRE console's browser test drives Chromium with Selenium (Tests/console/console_browser.py).
if ! "$VENV/bin/python" -c 'import selenium' 2>/dev/null; then
  log "installing selenium into $VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check selenium==4.51.0
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
log "checking the dashboards (infra/grafana) against the code's metric catalog"
python3 "$REPO/scripts/check-dashboards.py"
log "validating the deployment files (infra/k8s, infra/systemd)"
VENV=$VENV "$REPO/scripts/check-infra.sh"
# The S3 backend's tests run against a single-node Ceph (monitor, OSD, RADOS Gateway: scripts/ceph.sh) started once
# per run and stopped at the end; TEST_S3_ENDPOINT (with TEST_S3_BUCKET and AWS_*) names another gateway instead.
if [[ -z ${TEST_S3_ENDPOINT:-} ]]; then
  "$REPO/scripts/ceph.sh" start
  trap '"$REPO/scripts/ceph.sh" stop' EXIT
  eval "$("$REPO/scripts/ceph.sh" env)"
fi
log "S3 tests against $TEST_S3_ENDPOINT (bucket $TEST_S3_BUCKET)"
COVERAGE_FLAG=--enable-code-coverage
[[ ${COVERAGE:-1} == 0 ]] && COVERAGE_FLAG=
log "building (first build of the dependencies takes several minutes)"
swift build --build-tests $COVERAGE_FLAG
# How many tests run at once (Swift Testing runs every test at once by default): on a 2-core machine ~300 tests,
# each with its own database, pools and workers, all started together made each one ~20x slower than alone and the
# timing-sensitive ones time out (a completion test's 20 s, the replicas' refusal window). 8 keeps both cores busy.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${FILESTORE_TEST_PARALLELISM:-8}
log "running tests against $TEST_DATABASE_URL ($SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH at a time)"
status=0
swift test --skip-build $COVERAGE_FLAG "$@" || status=$?
if [[ -n $COVERAGE_FLAG ]]; then
  coverage_report || log "coverage report failed (the tests' status is kept)"
fi
exit $status
