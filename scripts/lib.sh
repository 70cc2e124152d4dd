# Shared helpers for the project's scripts. Source it; do not run it.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=/usr/lib/postgresql/15/bin

log() { printf '[filestore] %s\n' "$*" >&2; }

# Installs the Debian packages the project needs, if any is missing (root, or sudo).
ensure_packages() {
  local need=()
  [[ -x $PGBIN/postgres ]] || need+=(postgresql-15)
  command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  [[ -f /usr/include/clamav.h ]] || need+=(libclamav-dev)
  [[ -d /usr/share/clamav-testfiles ]] || need+=(clamav-testfiles)
  [[ -x /usr/sbin/clamd ]] || need+=(clamav-daemon)
  [[ -f /usr/include/vips/vips.h ]] || need+=(libvips-dev)
  [[ -f /usr/include/libexif/exif-data.h ]] || need+=(libexif-dev)
  command -v vips >/dev/null 2>&1 || need+=(libvips-tools)
  command -v exiftool >/dev/null 2>&1 || need+=(libimage-exiftool-perl)
  command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
  # promtool (alert rule checks) comes with Debian's prometheus package, which also starts a server of its
  # own: install it without recommends and stop that server; the project only needs the tool.
  if ! command -v promtool >/dev/null 2>&1; then
    local sudo_=; [[ $(id -u) -eq 0 ]] || sudo_=sudo
    log "installing prometheus (for promtool)"
    $sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    pkill -x prometheus 2>/dev/null || true
  fi
  # scripts/bench-http.sh: the load generator, the reference web server, the profiler.
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
  command -v perf >/dev/null 2>&1 || need+=(linux-perf)
  command -v cc >/dev/null 2>&1 || need+=(gcc)
  # The SRE console's browser test (Tests/console): headless Chromium and its WebDriver.
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
  [[ -x /usr/bin/chromedriver ]] || need+=(chromium-driver)
  # scripts/ceph.sh: a single-node Ceph (monitor, OSD, RADOS Gateway) for the S3 backend's tests.
  command -v ceph-mon >/dev/null 2>&1 || need+=(ceph-mon)
  command -v ceph-osd >/dev/null 2>&1 || need+=(ceph-osd)
  command -v radosgw >/dev/null 2>&1 || need+=(radosgw)
  command -v ceph >/dev/null 2>&1 || need+=(ceph-common)
  command -v uuidgen >/dev/null 2>&1 || need+=(uuid-runtime)
  ((${#need[@]})) || return 0
  log "installing ${need[*]}"
  local sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  # Debian's package starts a cluster of its own on 5432; the project uses its own, so stop that one.
  $sudo pg_ctlcluster 15 main stop 2>/dev/null || true
}

command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH

# Writes the llvm-cov report of the last `swift test --enable-code-coverage` run: per source target (every
# Sources/<Target> with Swift files) its report in .data/coverage/<Target>.txt, all of them in
# .data/coverage/summary.tsv, and a table on stderr. The objects are the test binary and the `filestore` binary
# (tests also run it as a child process). Lines, regions and functions are Swift's counters; llvm-cov's branch
# column stays "-" for Swift code (the Swift compiler emits no branch counters). A target that no test links
# is listed as such. JobKit and Domain are held to COVERAGE_MIN (85%) of lines: a line says when one is below.
coverage_report() {
  local bin_dir profdata llvm_cov llvm_profdata out=$REPO/.data/coverage
  bin_dir=$(swift build --show-bin-path)
  llvm_cov=$(dirname "$(command -v swift)")/llvm-cov
  llvm_profdata=$(dirname "$(command -v swift)")/llvm-profdata
  local binary=$bin_dir/filestorePackageTests.xctest objects=()
  [[ -x $binary ]] || { log "coverage: no test binary at $binary"; return 1; }
  [[ -x $bin_dir/filestore ]] && objects=(-object "$bin_dir/filestore")
  profdata=$bin_dir/codecov/default.profdata
  # swift test merges the raw profiles only after a passing run; merge them here when it did not.
  if [[ ! -f $profdata ]] || [[ -n $(find "$bin_dir/codecov" -name '*.profraw' -newer "$profdata" -print -quit) ]]; then
    "$llvm_profdata" merge -sparse -o "$profdata" "$bin_dir"/codecov/*.profraw
  fi
  mkdir -p "$out"
  printf 'target\tlines\tlines_%%\tregions_%%\tbranches_%%\tfunctions_%%\n' > "$out/summary.tsv"
  local dir target total below=()
  for dir in "$REPO"/Sources/*/; do
    target=$(basename "$dir")
    [[ -n $(find "$dir" -name '*.swift' -print -quit) ]] || continue
    [[ $target == filestore-bench ]] && continue   # the benchmarks: no test runs them
    "$llvm_cov" report "$binary" "${objects[@]}" -instr-profile="$profdata" -show-branch-summary "$dir" > "$out/$target.txt" 2>/dev/null || true
    # TOTAL  regions missed cover  functions missed cover  lines missed cover  branches missed cover
    total=$(awk '$1 == "TOTAL" { print $8 "\t" $10 "\t" $4 "\t" ($11 > 0 ? $13 : "-") "\t" $7 }' "$out/$target.txt")
    # Given only files that no object contains, llvm-cov reports every file it knows (dependencies included).
    if [[ -z $total ]] || grep -q '\.build/' "$out/$target.txt"; then
      echo "no test links $target" > "$out/$target.txt"
      total=$'0\tnot linked by the tests\t-\t-\t-'
    fi
    printf '%s\t%s\n' "$target" "$total" >> "$out/summary.tsv"
  done
  {
    printf '\ncoverage (%s, report per target in %s)\n' "$(basename "$profdata")" "${out#"$REPO"/}"
    column -t -s $'\t' "$out/summary.tsv"
  } >&2
  local min=${COVERAGE_MIN:-85} pct
  for target in JobKit Domain; do
    pct=$(awk -F'\t' -v t="$target" '$1 == t { sub("%", "", $3); print $3 }' "$out/summary.tsv")
    if [[ -z $pct || $pct == - ]] || awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p < m) }'; then below+=("$target ${pct:-?}%"); fi
  done
  if ((${#below[@]})); then
    log "coverage below ${min}% of lines: ${below[*]}"
  else
    log "coverage: JobKit and Domain at ${min}% of lines or more"
  fi
}
