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
  ((${#need[@]})) || return 0
  log "installing ${need[*]}"
  local sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  # Debian's package starts a cluster of its own on 5432; the project uses its own, so stop that one.
  $sudo pg_ctlcluster 15 main stop 2>/dev/null || true
}

command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
