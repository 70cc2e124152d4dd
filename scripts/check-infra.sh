#!/usr/bin/env bash
# Validates the deployment files offline (part of the test command, scripts/test.sh):
#   infra/k8s/*.yaml   against Kubernetes' schemas (PyPI kubernetes-validate, strict: unknown fields fail)
#                      and for misconfigurations (PyPI checkov); every finding accepted is listed, with its
#                      reason, in infra/k8s/.checkov.yaml — anything else fails
#   infra/systemd/*.service with `systemd-analyze verify`
# Needs the venv that scripts/test.sh makes (VENV, default .data/venv).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
VENV=${VENV:-$REPO/.data/venv}
K8S_VERSION=${K8S_VERSION:-1.30.0}
"$VENV/bin/kubernetes-validate" --strict --kubernetes-version "$K8S_VERSION" infra/k8s/*.yaml
"$VENV/bin/checkov" --quiet --compact --framework kubernetes --config-file infra/k8s/.checkov.yaml -d infra/k8s
if command -v systemd-analyze >/dev/null; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  # verify checks that ExecStart's binary exists; the units name the install path, so point it at a stand-in.
  for unit in infra/systemd/*.service; do sed 's#/usr/local/bin/filestore#/bin/true#' "$unit" > "$tmp/$(basename "$unit")"; done
  out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$tmp"/*.service 2>&1) || { echo "$out"; exit 1; }
  [[ -z $out ]] || { echo "$out"; log "systemd-analyze verify printed warnings"; exit 1; }
else
  log "systemd-analyze not found: systemd units not verified"
fi
log "deployment files validated (kubernetes $K8S_VERSION schemas, checkov, systemd)"
