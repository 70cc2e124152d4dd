#!/usr/bin/env bash
# The project's own PostgreSQL 15 cluster, under the repository's ignored .data/ folder.
#   scripts/pg.sh start    initdb if needed, start (idempotent), create role and database `filestore`
#   scripts/pg.sh stop | status | destroy | url
# Port: $FILESTORE_PG_PORT (default 5544), data $FILESTORE_PG_DATA (default .data/pg), loopback only, trust auth.
# Commits are durable (fsync on) unless FILESTORE_PG_FSYNC=off: scripts/test.sh runs its own throw-away cluster
# that way (see there); never set it for a cluster that holds data you keep.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT=${FILESTORE_PG_PORT:-5544}
DATA=${FILESTORE_PG_DATA:-$REPO/.data/pg}
OS_USER=postgres
FSYNC=${FILESTORE_PG_FSYNC:-on}
[[ $FSYNC == on || $FSYNC == off ]] || { echo "FILESTORE_PG_FSYNC must be on or off, not '$FSYNC'" >&2; exit 2; }

as_pg() { if [[ $(id -un) == "$OS_USER" ]]; then "$@"; else runuser -u "$OS_USER" -- "$@"; fi; }
running() { as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
psql_admin() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

start() {
  ensure_packages
  if [[ ! -s $DATA/PG_VERSION ]]; then
    mkdir -p "$DATA"
    chown "$OS_USER": "$DATA"; chmod 700 "$DATA"
    # PostgreSQL refuses to run as root: the postgres user must reach the data folder.
    if ! as_pg test -w "$DATA"; then
      log "the postgres user cannot write $DATA (a parent folder is not traversable); set FILESTORE_PG_DATA"; exit 1
    fi
    as_pg "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$DATA/postgresql.conf" <<CONF
# --- filestore ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 300
fsync = on
synchronous_commit = on
shared_buffers = 512MB
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_timeout = 15min
CONF
  fi
  if ! running; then
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 -o "-c fsync=$FSYNC" start >/dev/null
    log "postgres started on 127.0.0.1:$PORT (data $DATA, fsync $FSYNC)"
  fi
  # filestore owns the schema (migrations); filestore_app is the service's role: owns nothing, no BYPASSRLS;
  # filestore_system is the leader tasks' cross-tenant role: no table rights, only the functions of migration
  # 0008 (docs/DATABASE_ROLES.md).
  psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='filestore') THEN CREATE ROLE filestore LOGIN CREATEDB; END IF; END\$\$;"
  psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='filestore_app') THEN CREATE ROLE filestore_app LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END\$\$;"
  psql_admin -c "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='filestore_system') THEN CREATE ROLE filestore_system LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END\$\$;"
  # A cluster made before the role existed may hold it from migration 0008 as NOLOGIN.
  psql_admin -c "ALTER ROLE filestore_system LOGIN"
  # The owner drops test databases WITH (FORCE), which ends the sessions on them: the worker processes of the
  # tests hold sessions of filestore_app and filestore_system, which only pg_signal_backend lets a non-superuser end.
  psql_admin -c "GRANT pg_signal_backend TO filestore"
  psql_admin -tc "SELECT 1 FROM pg_database WHERE datname='filestore'" | grep -q 1 || psql_admin -c "CREATE DATABASE filestore OWNER filestore"
}

stop() { if [[ -s $DATA/PG_VERSION ]] && running; then as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; log "postgres stopped"; fi; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo running; else echo stopped; exit 3; fi ;;
  destroy) stop; rm -rf "$DATA" ;;
  url) echo "postgres://filestore@127.0.0.1:$PORT/filestore" ;;
  *) echo "usage: $0 [start|stop|status|destroy|url]" >&2; exit 2 ;;
esac
