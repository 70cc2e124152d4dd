#!/usr/bin/env bash
# From nothing to a running filestore on one machine: installs missing Debian packages, builds, starts the
# project's PostgreSQL under .data/, migrates (as the schema owner), and runs the file API and the workers in
# one process (`filestore dev`) as the service's own role, filestore_app (row-level security applies).
# Extra arguments go to `filestore dev` (e.g. --api-port 8081 --queues default,scan).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
"$REPO/scripts/pg.sh" start
port=${FILESTORE_PG_PORT:-5544}
export MIGRATE_DATABASE_URL=${MIGRATE_DATABASE_URL:-postgres://filestore@127.0.0.1:$port/filestore}
export DATABASE_URL=${DATABASE_URL:-postgres://filestore_app@127.0.0.1:$port/filestore}
# A development signing key, made once and kept (git-ignored) under .data/.
if [[ -z ${FILESTORE_JWT_KEYS:-} && -z ${FILESTORE_JWT_KEYS_FILE:-} ]]; then
  [[ -s .data/jwt-keys ]] || { umask 077; echo "dev=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" > .data/jwt-keys; }
  export FILESTORE_JWT_KEYS_FILE=$REPO/.data/jwt-keys
fi
if [[ -z ${FILESTORE_URL_KEYS:-} && -z ${FILESTORE_URL_KEYS_FILE:-} ]]; then
  [[ -s .data/url-keys ]] || { umask 077; echo "dev=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" > .data/url-keys; }
  export FILESTORE_URL_KEYS_FILE=$REPO/.data/url-keys
fi
# The operator key that seals webhook signing secrets at rest (docs/SECURITY.md).
if [[ -z ${FILESTORE_ENCRYPTION_KEYS:-} && -z ${FILESTORE_ENCRYPTION_KEYS_FILE:-} ]]; then
  [[ -s .data/encryption-keys ]] || { umask 077; echo "dev=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" > .data/encryption-keys; }
  export FILESTORE_ENCRYPTION_KEYS_FILE=$REPO/.data/encryption-keys
fi
export FILESTORE_BLOB_DIR=${FILESTORE_BLOB_DIR:-$REPO/.data/blobs}
# Signed URLs come back absolute, on the address dev listens on (set it yourself when passing --api-port/--api-host).
export FILESTORE_PUBLIC_URL=${FILESTORE_PUBLIC_URL:-http://${FILESTORE_HTTP_HOST:-127.0.0.1}:${FILESTORE_HTTP_PORT:-8080}}
# Virus signatures: freshclam's folder when it has databases; otherwise (a fresh or offline machine) a
# development folder with one test signature, so that uploads still go through the whole pipeline.
if [[ -z ${FILESTORE_CLAMAV_DB:-} ]]; then
  if compgen -G "/var/lib/clamav/*.c[vl]d" >/dev/null; then
    export FILESTORE_CLAMAV_DB=/var/lib/clamav
  else
    mkdir -p .data/clamav-dev
    # The EICAR test string's body, as an .ndb signature (hex, so this script is not itself a test virus).
    printf 'Filestore.Dev.EICAR:0:*:%s\n' "$(printf 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' | od -An -tx1 | tr -d ' \n')" > .data/clamav-dev/dev.ndb
    export FILESTORE_CLAMAV_DB=$REPO/.data/clamav-dev
    log "no ClamAV databases in /var/lib/clamav (run freshclam for real signatures): development scans use only the EICAR test signature in .data/clamav-dev"
  fi
fi
log "building"
swift build --product filestore
bin="$(swift build --show-bin-path)/filestore"
log "effective settings (secrets redacted): $bin config   (every variable: docs/CONFIGURATION.md)"
log "a token for tenant 'demo': $bin token issue --tenant demo --scope files:read files:write   (with FILESTORE_JWT_KEYS_FILE=$FILESTORE_JWT_KEYS_FILE)"
exec "$bin" dev "$@"
