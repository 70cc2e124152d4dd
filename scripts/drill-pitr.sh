#!/usr/bin/env bash
# Backup and point-in-time recovery drill (runbooks/backup-restore.md), with PostgreSQL's own tools, in one run:
#   1. a fresh primary cluster with WAL archiving (archive_mode on, each segment copied into the archive folder,
#      archive_timeout ARCHIVE_TIMEOUT s) holding the service's schema; `filestore serve` on it, local blob store;
#   2. a client uploading small files through the real API, logging each acknowledged id with its time, for
#      WRITE_SECONDS; a base backup (pg_basebackup, tar, gzip) taken BACKUP_AT seconds in;
#   3. the recovery point T, RECOVER_AT seconds in, while the writes go on (its WAL segment archived a few seconds
#      later, as archive_timeout would); then the primary is lost: killed, its data folder (and with it the WAL
#      not archived yet) gone;
#   4. two restores into fresh folders from the base backup and the archive: to T (a point in time: "undo what
#      happened after T") and to the end of the archive (the primary lost);
#   5. measured for each: RTO, from the start of the restore (unpacking included) to a cluster that serves the
#      schema (`filestore migrate --status` exit 0); and the data: acknowledged uploads up to T all present and none
#      after T (point in time), and for the loss the acknowledged uploads missing and the time they span (RPO);
#   6. `filestore blobs check` on the point-in-time restore: the uploads after T are orphans (the object store is
#      not rewound); `--repair --grace 0` removes them; a second check must be clean.
# Prints the figures and writes them under "pitr" in perf/baseline.json (OUT). Targets: RPO <= 5 min, RTO <= 30 min.
# Knobs: PORT=5592 API_PORT=18391 WRITE_SECONDS=40 BACKUP_AT=10 RECOVER_AT=25 ARCHIVE_TIMEOUT=60 OUT=perf/baseline.json
# FILESTORE_BIN (default: the debug build).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
ensure_packages

PORT=${PORT:-5592}
RPORT=$((PORT + 1))
API_PORT=${API_PORT:-18391}
WRITE_SECONDS=${WRITE_SECONDS:-40}
BACKUP_AT=${BACKUP_AT:-10}
RECOVER_AT=${RECOVER_AT:-25}
ARCHIVE_TIMEOUT=${ARCHIVE_TIMEOUT:-60}
OUT=${OUT:-perf/baseline.json}
BIN=${FILESTORE_BIN:-$(swift build --show-bin-path)/filestore}
[[ -x $BIN ]] || { log "no filestore binary at $BIN: swift build first (or set FILESTORE_BIN)"; exit 1; }
((BACKUP_AT < RECOVER_AT && RECOVER_AT < WRITE_SECONDS)) || { log "need BACKUP_AT < RECOVER_AT < WRITE_SECONDS"; exit 2; }
WORK=$REPO/.data/drill-pitr
as_pg() { if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi; }

SERVE_PID= WRITER_PID=
cleanup() {
  if [[ -n $WRITER_PID ]]; then kill "$WRITER_PID" 2>/dev/null || true; fi
  if [[ -n $SERVE_PID ]]; then kill "$SERVE_PID" 2>/dev/null || true; fi
  for d in primary restore-pit restore-latest; do
    if [[ -s $WORK/$d/PG_VERSION ]]; then as_pg "$PGBIN/pg_ctl" -D "$WORK/$d" -m immediate -w stop >/dev/null 2>&1 || true; fi
  done
  true
}
trap cleanup EXIT
cleanup
rm -rf "$WORK"
mkdir -p "$WORK"/{primary,archive,base,blobs}
chown postgres: "$WORK" "$WORK"/{primary,archive,base}; chmod 700 "$WORK/primary"
as_pg test -w "$WORK/primary" || { log "the postgres user cannot write $WORK (a parent folder is not traversable)"; exit 1; }

log "1/6 primary on 127.0.0.1:$PORT with WAL archiving into $WORK/archive (archive_timeout ${ARCHIVE_TIMEOUT}s)"
as_pg "$PGBIN/initdb" -D "$WORK/primary" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >>"$WORK/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK/primary'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $WORK/archive/%f && cp %p $WORK/archive/%f.tmp && mv $WORK/archive/%f.tmp $WORK/archive/%f'
archive_timeout = $ARCHIVE_TIMEOUT
max_wal_senders = 4
CONF
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -l "$WORK/primary.log" -w start >/dev/null
psql_at() { psql -h 127.0.0.1 -p "$1" -U postgres -d "${2:-postgres}" -v ON_ERROR_STOP=1 -qAt -c "$3"; }
psql_at "$PORT" postgres "CREATE ROLE filestore LOGIN CREATEDB; CREATE ROLE filestore_app LOGIN; CREATE ROLE filestore_system LOGIN"
psql_at "$PORT" postgres "CREATE DATABASE filestore OWNER filestore"
OWNER_URL=postgres://filestore@127.0.0.1:$PORT/filestore
LOG_LEVEL=warning "$BIN" migrate --database-url "$OWNER_URL" >/dev/null
export DATABASE_URL=postgres://filestore_app@127.0.0.1:$PORT/filestore MIGRATE_DATABASE_URL=$OWNER_URL
export FILESTORE_JWT_KEYS="drill=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
export FILESTORE_URL_KEYS="drill=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')"
export FILESTORE_BLOB_DIR=$WORK/blobs LOG_LEVEL=warning
"$BIN" serve --api-port "$API_PORT" --rate-limits off >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/healthz" && break; sleep 0.2; done
TOKEN=$("$BIN" token issue --tenant drill --scope files:write files:read --ttl 2h --subject drill)

log "2/6 uploads for ${WRITE_SECONDS}s (each acknowledged id logged with its time)"
writer() {
  local i=0 end=$(( $(date +%s) + WRITE_SECONDS )) body id
  while (( $(date +%s) < end )); do
    i=$((i + 1))
    body=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" -H "Upload-Filename: f$i.txt" --data-binary "drill file $i $(date +%s%N)" \
      "http://127.0.0.1:$API_PORT/v1/files") || continue
    id=$(printf '%s' "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null) || continue
    [[ $id == med_* ]] && printf '%s %s\n' "$(date +%s.%N)" "$id" >>"$WORK/acked.log"
  done
}
: >"$WORK/acked.log"
writer &
WRITER_PID=$!
START=$(date +%s.%N)
sleep "$BACKUP_AT"
log "   base backup (pg_basebackup -Ft -z) at +${BACKUP_AT}s"
B0=$(date +%s.%N)
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$WORK/base" -Ft -z -X fetch -c fast
B1=$(date +%s.%N)
sleep "$(python3 -c "print(max(0, $START + $RECOVER_AT - $(date +%s.%N)))")"
T=$(psql_at "$PORT" postgres "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
T_EPOCH=$(date +%s.%N)
log "3/6 recovery point T = $T; writes go on"
# Time passes: a few seconds after T the segment holding T is switched and archived (archive_timeout does this on
# its own within ARCHIVE_TIMEOUT s), so T is a point the archive can reach; what follows stays unarchived until
# the next switch — the primary is lost with it.
sleep 3
psql_at "$PORT" postgres "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 1 200); do
  [[ $(psql_at "$PORT" postgres "SELECT last_archived_wal >= pg_walfile_name(pg_current_wal_lsn()) OR failed_count > 0 FROM pg_stat_archiver") == t ]] && break
  [[ -n $(psql_at "$PORT" postgres "SELECT 1 FROM pg_stat_archiver WHERE last_archived_time > now() - interval '5 s'") ]] && break
  sleep 0.1
done
wait "$WRITER_PID" || true
WRITER_PID=
LAST_ACK=$(tail -n 1 "$WORK/acked.log" | cut -d' ' -f1)
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=
log "   the primary is lost (killed; its folder and unarchived WAL gone)"
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -m immediate -w stop >/dev/null
LOST_AT=$(date +%s.%N)
mv "$WORK/primary" "$WORK/primary-lost"

restore() {  # restore NAME TARGET_SQL_LINES…
  local name=$1; shift
  local dir=$WORK/$name t0 t1
  t0=$(date +%s.%N)
  mkdir -p "$dir"; chown postgres: "$dir"; chmod 700 "$dir"
  as_pg tar -xzf "$WORK/base/base.tar.gz" -C "$dir"
  cat >>"$dir/postgresql.conf" <<CONF
port = $RPORT
unix_socket_directories = '$dir'
archive_mode = off
restore_command = 'cp $WORK/archive/%f %p'
recovery_target_action = 'promote'
CONF
  printf '%s\n' "$@" >>"$dir/postgresql.conf"
  as_pg touch "$dir/recovery.signal"
  as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$WORK/$name.log" -w -t 1800 start >/dev/null
  # Ready when recovery has ended and the schema answers the service's gate.
  for _ in $(seq 1 18000); do
    [[ $(psql_at "$RPORT" postgres "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && break
    sleep 0.1
  done
  "$BIN" migrate --status --database-url "postgres://filestore@127.0.0.1:$RPORT/filestore" >/dev/null
  t1=$(date +%s.%N)
  python3 -c "print(round($t1 - $t0, 2))"
}
rows() { psql_at "$RPORT" filestore "SELECT id FROM files ORDER BY id" 2>/dev/null; }

log "4/6 restore to T (point in time)"
RTO_PIT=$(restore restore-pit "recovery_target_time = '$T'")
rows >"$WORK/restored-pit.txt"
log "   RTO $RTO_PIT s; 6/6 blobs check on it"
export DATABASE_URL=postgres://filestore_app@127.0.0.1:$RPORT/filestore MIGRATE_DATABASE_URL=postgres://filestore@127.0.0.1:$RPORT/filestore
set +e
"$BIN" blobs check --tenant drill --grace 0 --json >"$WORK/check-before.json"; CHECK_BEFORE=$?
"$BIN" blobs check --tenant drill --repair --grace 0 --json >"$WORK/check-repair.json"; CHECK_REPAIR=$?
"$BIN" blobs check --tenant drill --json >"$WORK/check-after.json"; CHECK_AFTER=$?
set -e
as_pg "$PGBIN/pg_ctl" -D "$WORK/restore-pit" -m fast -w stop >/dev/null

log "5/6 restore to the end of the archive (the primary lost)"
RTO_LATEST=$(restore restore-latest "recovery_target_timeline = 'latest'")
rows >"$WORK/restored-latest.txt"
as_pg "$PGBIN/pg_ctl" -D "$WORK/restore-latest" -m fast -w stop >/dev/null

python3 - "$WORK" "$OUT" "$T_EPOCH" "$LOST_AT" "$RTO_PIT" "$RTO_LATEST" "$CHECK_BEFORE" "$CHECK_REPAIR" "$CHECK_AFTER" "$B0" "$B1" "$ARCHIVE_TIMEOUT" <<'PY'
import json, os, sys, time
work, out = sys.argv[1:3]
t, lost_at, rto_pit, rto_latest = map(float, sys.argv[3:7])
check_before, check_repair, check_after = map(int, sys.argv[7:10])
b0, b1, archive_timeout = float(sys.argv[10]), float(sys.argv[11]), int(sys.argv[12])
acked = [(float(a), i) for a, i in (l.split() for l in open(os.path.join(work, "acked.log")) if l.strip())]
pit = set(open(os.path.join(work, "restored-pit.txt")).read().split())
latest = set(open(os.path.join(work, "restored-latest.txt")).read().split())
# An upload acknowledged before T committed before T; one acknowledged after T may have committed just before it.
before_t = [i for a, i in acked if a < t]
after_t = [i for a, i in acked if a >= t + 1.0]
missing_pit = [i for i in before_t if i not in pit]
extra_pit = [i for i in after_t if i in pit]
lost = [(a, i) for a, i in acked if i not in latest]
kept = [a for a, i in acked if i in latest]
rpo = (max(a for a, _ in acked) - max(kept)) if lost and kept else 0.0
checks = {n: json.load(open(os.path.join(work, f"check-{n}.json"))) for n in ("before", "repair", "after")}
def one(c): return c[0] if c else {}
result = {
    "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "command": "scripts/drill-pitr.sh",
    "method": "pg_basebackup -Ft -z -X fetch + WAL archiving (archive_command cp, archive_timeout %d s), restore_command from the archive" % archive_timeout,
    "uploads_acknowledged": len(acked),
    "base_backup_seconds": round(b1 - b0, 2),
    "point_in_time": {"rto_seconds": rto_pit, "acknowledged_before_t": len(before_t), "missing_before_t": len(missing_pit),
                      "acknowledged_after_t": len(after_t), "present_after_t": len(extra_pit)},
    "primary_lost": {"rto_seconds": rto_latest, "acknowledged_lost": len(lost), "rpo_seconds": round(rpo, 2),
                     "last_ack_to_loss_seconds": round(lost_at - max(a for a, _ in acked), 2) if acked else None},
    "blobs_check": {"exit_before": check_before, "orphans_before": len(one(checks["before"]).get("orphans", [])),
                    "missing_before": len(one(checks["before"]).get("missing", [])),
                    "exit_repair": check_repair, "removed": one(checks["repair"]).get("removed_objects"),
                    "exit_after": check_after, "orphans_after": len(one(checks["after"]).get("orphans", []))},
    "rpo_bound_seconds": archive_timeout,
    "targets": {"rpo_seconds": "<= 300", "rto_seconds": "<= 1800"},
}
result["targets_met"] = {"rpo": result["primary_lost"]["rpo_seconds"] <= 300,
                         "rto": max(rto_pit, rto_latest) <= 1800,
                         "point_in_time_exact": not missing_pit and not extra_pit,
                         "blobs_orphans_found": check_before == 3 and len(one(checks["before"]).get("orphans", [])) > 0,
                         "blobs_consistent_after_repair": check_repair == 0 and check_after == 0}
sys.path.insert(0, "perf/tools")
from baseline import store
store(out, "pitr", result)
print(json.dumps(result, indent=2, sort_keys=True))
ok = all(result["targets_met"].values())
sys.exit(0 if ok else 1)
PY
