#!/usr/bin/env bash
# Engine load time and peak RSS at a realistic signature count (docs/PIPELINE.md, "Which backend"): generates a
# synthetic ClamAV database set (HASHES MD5 signatures, BODIES body patterns; defaults 2 000 000 and 40 000),
# then loads it with libclamav in-process (clamscan -d) and with one clamd scanning STREAMS files at once.
set -euo pipefail
HASHES=${HASHES:-2000000} BODIES=${BODIES:-40000} STREAMS=${STREAMS:-4}
dir=$(mktemp -d)
trap 'kill "$(cat "$dir/clamd.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"' EXIT
mkdir "$dir/db"
python3 - "$dir/db" "$HASHES" "$BODIES" <<'PY'
import os, random, sys
d, hashes, bodies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(12)
with open(f"{d}/synthetic.hdb", "w") as f:
    for i in range(hashes):
        f.write("%032x:%d:Synthetic.Hash-%d\n" % (r.getrandbits(128), r.randint(1000, 50_000_000), i))
with open(f"{d}/synthetic.ndb", "w") as f:
    for i in range(bodies):
        f.write("Synthetic.Body-%d:0:*:%s\n" % (i, os.urandom(r.randint(12, 32)).hex()))
PY
head -c 20000 /dev/urandom > "$dir/probe.bin"
echo "== libclamav in-process (clamscan): $HASHES hashes, $BODIES body patterns"
/usr/bin/time -v clamscan --no-summary -d "$dir/db" "$dir/probe.bin" 2>&1 >/dev/null | grep -E "User time|System time|Elapsed|Maximum resident"
cat > "$dir/clamd.conf" <<CONF
Foreground yes
LocalSocket $dir/clamd.sock
DatabaseDirectory $dir/db
MaxThreads $STREAMS
Bytecode no
CONF
clamd -c "$dir/clamd.conf" >/dev/null 2>&1 & echo $! > "$dir/clamd.pid"
start=$(date +%s.%N)
until [ -S "$dir/clamd.sock" ]; do sleep 0.2; done
echo "== clamd: ready after $(echo "$(date +%s.%N) - $start" | bc) s"
for _ in $(seq "$STREAMS"); do clamdscan --no-summary -c "$dir/clamd.conf" --stream "$dir/probe.bin" >/dev/null 2>&1 & done
wait $(jobs -p | grep -v "$(cat "$dir/clamd.pid")") 2>/dev/null || true
grep VmHWM "/proc/$(cat "$dir/clamd.pid")/status"
