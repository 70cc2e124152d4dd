#!/usr/bin/env bash
# A single-node Ceph cluster for the S3 backend's tests and benchmarks: one monitor, one OSD (BlueStore on a sparse
# file) and a RADOS Gateway (beast) on loopback, from Debian's packages (Ceph 16 Pacific), data under the
# repository's ignored .data/ceph. About 20 s to start and ~200 MiB of memory.
#   scripts/ceph.sh start   wipe the data folder, bootstrap, start, create the S3 user and the bucket (idempotent:
#                           a running cluster is kept)
#   scripts/ceph.sh stop    stop every daemon started here (by PID file)
#   scripts/ceph.sh url     the gateway's endpoint, http://127.0.0.1:$PORT
#   scripts/ceph.sh env     export lines for the tests: TEST_S3_ENDPOINT, TEST_S3_BUCKET, TEST_S3_REGION, AWS_*, and the
#                           principals and keys of the bucket-policy test (TEST_S3_*_PRINCIPAL, TEST_S3_TENANT_*)
#   scripts/ceph.sh status
# Env: FILESTORE_TEST_S3_PORT (gateway port, default 7480; the monitor listens on PORT+10 and PORT+11),
#      FILESTORE_CEPH_DIR (default .data/ceph), FILESTORE_TEST_S3_BUCKET (default filestore-test).
# The credentials are fixed, low-entropy fixtures for a loopback-only throw-away cluster (never a real secret).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR=${FILESTORE_CEPH_DIR:-$REPO/.data/ceph}
PORT=${FILESTORE_TEST_S3_PORT:-7480}
MON_V2_PORT=$((PORT + 10))
MON_V1_PORT=$((PORT + 11))
BUCKET=${FILESTORE_TEST_S3_BUCKET:-filestore-test}
ACCESS_KEY=FILESTORETESTACCESS1
SECRET_KEY=filestore-test-secret-key-not-a-secret-000
# A second user standing for a per-tenant principal of infra/s3/bucket-policy.example.json (S3BucketPolicyTests).
TENANT_ACCESS_KEY=FILESTORETENANTACME1
TENANT_SECRET_KEY=filestore-tenant-acme-key-not-a-secret-0
CONF=$DIR/ceph.conf
ENDPOINT=http://127.0.0.1:$PORT
DAEMONS="client.rgw.gw osd.0 mon.a"   # stop order

ceph_() { ceph -c "$CONF" --connect-timeout 10 "$@"; }

wait_for() {  # wait_for <seconds> <what> <command...>
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then log "ceph: timeout waiting for $what (logs: $DIR/log)"; return 1; fi
    sleep 1
  done
}

running() {
  local n=$1
  [[ -f $DIR/run/$n.pid ]] && kill -0 "$(cat "$DIR/run/$n.pid")" 2>/dev/null
}

# A signed request of our own (no awscli needed): curl's --aws-sigv4.
# (curl 7.88 does not send x-amz-content-sha256 itself; the gateway needs it: bodiless requests only.)
s3curl() { curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
  -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$@"; }

write_conf() {
  cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon initial members = a
mon host = [v2:127.0.0.1:$MON_V2_PORT,v1:127.0.0.1:$MON_V1_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
auth allow insecure global id reclaim = false

[mon]
keyring = \$mon_data/keyring
mon data avail warn = 2
mon data avail crit = 1

[osd]
keyring = \$osd_data/keyring
osd objectstore = bluestore
osd memory target = 939524096
bluestore block create = true
bluestore block size = 21474836480
bluestore cache autotune = true

[client.rgw.gw]
keyring = $DIR/rgw/keyring
rgw data = $DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw thread pool size = 64
CONF
}

start() {
  ensure_packages
  if running client.rgw.gw && s3curl -o /dev/null "$ENDPOINT/$BUCKET"; then
    log "ceph: already running at $ENDPOINT (bucket $BUCKET)"
    return 0
  fi
  stop_daemons
  local t0=$SECONDS
  rm -rf "$DIR"
  mkdir -p "$DIR"/{run,log,mon/ceph-a,osd/ceph-0,rgw}
  FSID=$(uuidgen)
  write_conf
  log "ceph: monitor on 127.0.0.1:$MON_V2_PORT"
  ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$DIR/mon.keyring" --import-keyring "$DIR/keyring" >/dev/null
  monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_V2_PORT,v1:127.0.0.1:$MON_V1_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring"
  ceph-mon -c "$CONF" -i a
  wait_for 60 "the monitor's quorum" ceph_ quorum_status
  log "ceph: OSD (BlueStore on a sparse file)"
  local osd_uuid osd_secret osd_id
  osd_uuid=$(uuidgen)
  osd_secret=$(ceph-authtool --gen-print-key)
  osd_id=$(echo "{\"cephx_secret\": \"$osd_secret\"}" | ceph_ osd new "$osd_uuid" -i -)
  [[ $osd_id == 0 ]] || { log "ceph: unexpected OSD id $osd_id"; exit 1; }
  ceph-authtool --create-keyring "$DIR/osd/ceph-0/keyring" --name osd.0 --add-key "$osd_secret" >/dev/null
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$DIR/log/osd-mkfs.out" 2>&1 || { cat "$DIR/log/osd-mkfs.out" >&2; exit 1; }
  ceph-osd -c "$CONF" -i 0
  wait_for 90 "osd.0 up" sh -c "ceph -c '$CONF' osd dump --format json | grep -q '\"up\":1'"
  log "ceph: RADOS Gateway on $ENDPOINT"
  ceph_ auth get-or-create client.rgw.gw mon 'allow rw' osd 'allow rwx' mgr 'allow rw' > "$DIR/rgw/keyring"
  radosgw -c "$CONF" -n client.rgw.gw
  wait_for 120 "the gateway" curl -sf -o /dev/null "$ENDPOINT/"
  radosgw-admin -c "$CONF" user create --uid=filestore --display-name="filestore tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$DIR/user.json"
  radosgw-admin -c "$CONF" user create --uid=tenant-acme --display-name="filestore tests: tenant acme" \
    --access-key="$TENANT_ACCESS_KEY" --secret-key="$TENANT_SECRET_KEY" >"$DIR/user-tenant.json"
  # The gateway caches users: wait until the key is accepted, then create the bucket.
  wait_for 30 "the S3 user" s3curl -o /dev/null "$ENDPOINT/"
  s3curl -X PUT -o /dev/null "$ENDPOINT/$BUCKET"
  log "ceph: ready in $((SECONDS - t0)) s: $ENDPOINT, bucket $BUCKET"
}

stop_daemons() {
  local n pid i
  for n in $DAEMONS; do
    [[ -f $DIR/run/$n.pid ]] || continue
    pid=$(cat "$DIR/run/$n.pid")
    if kill -0 "$pid" 2>/dev/null; then
      log "ceph: stopping $n (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/run/$n.pid"
  done
}

status() {
  local n pid
  for n in $DAEMONS; do
    if running "$n"; then
      pid=$(cat "$DIR/run/$n.pid")
      printf '%-14s pid %-7s rss %6s MiB\n' "$n" "$pid" "$(($(awk '/VmRSS/{print $2}' /proc/"$pid"/status) / 1024))"
    else
      printf '%-14s stopped\n' "$n"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons ;;
  status) status ;;
  url) echo "$ENDPOINT" ;;
  env)
    cat <<ENV
export TEST_S3_ENDPOINT=$ENDPOINT
export TEST_S3_BUCKET=$BUCKET
export TEST_S3_REGION=us-east-1
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1
export TEST_S3_SERVICE_PRINCIPAL=arn:aws:iam:::user/filestore
export TEST_S3_TENANT_PRINCIPAL=arn:aws:iam:::user/tenant-acme
export TEST_S3_TENANT_ACCESS_KEY_ID=$TENANT_ACCESS_KEY
export TEST_S3_TENANT_SECRET_ACCESS_KEY=$TENANT_SECRET_KEY
ENV
    ;;
  *) echo "usage: $0 start|stop|status|url|env" >&2; exit 2 ;;
esac
