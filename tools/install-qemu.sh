#!/bin/sh
# install-qemu.sh - install the two real QEMU releases vmstate-inspect is tested against.
#
#   QEMU 7.2    Debian bookworm packages, installed normally:
#                 /usr/bin/qemu-system-x86_64, /usr/bin/qemu-system-aarch64, qemu-img, ...
#   QEMU 10.0.2 Debian bookworm-backports packages, NOT installed but extracted side by side
#               under $PREFIX (default /opt/qemu-10.0), with wrapper scripts
#                 $PREFIX/bin/qemu-system-x86_64, $PREFIX/bin/qemu-system-aarch64
#               that point QEMU at its own modules, firmware and data files.
#
# Also installs qemu-utils and xz-utils.
#
# Usage (as root, Debian bookworm):
#   sh tools/install-qemu.sh                    # or: PREFIX=/somewhere sh tools/install-qemu.sh
#
# Environment:
#   PREFIX          where QEMU 10.0 is extracted           (default /opt/qemu-10.0)
#   QEMU10_VERSION  exact Debian version of the 10.0 debs  (default below; if the archive no
#                   longer has it, the newest 1:10.0.* in bookworm-backports is used)
#
# Idempotent: the backports source is added once, apt installs are no-ops when already
# done, and the extraction is skipped when $PREFIX/.qemu-version already names the version.
# The bookworm-backports source reuses the Debian archive address already configured in
# this machine's apt sources.
set -eu

PREFIX=${PREFIX:-/opt/qemu-10.0}
QEMU10_VERSION=${QEMU10_VERSION:-'1:10.0.2+ds-2+deb13u1~bpo12+1'}
# Debian packages extracted under $PREFIX. The module packages matter: QEMU searches its
# module directory list in order and, when a module is missing from 10.0's directory,
# finds 7.2's copy in the system directory and refuses/aborts on the version mismatch.
QEMU10_PKGS='qemu-system-x86 qemu-system-arm qemu-system-common qemu-system-data
qemu-system-modules-opengl qemu-system-modules-spice qemu-system-gui qemu-block-extra'

die() { echo "install-qemu: $*" >&2; exit 1; }
log() { echo "install-qemu: $*"; }

[ "$(id -u)" = 0 ] || die "must run as root"
# shellcheck source=/dev/null
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || die "this script is for Debian bookworm (found '${VERSION_CODENAME:-?}')"
export DEBIAN_FRONTEND=noninteractive

case "$(dpkg --print-architecture)" in
  amd64) MA=x86_64-linux-gnu ;;
  arm64) MA=aarch64-linux-gnu ;;
  *) die "unsupported host architecture $(dpkg --print-architecture)" ;;
esac

# --- 1. bookworm-backports apt source -------------------------------------------------------
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
  uri=''
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # first URIs: line of a stanza that is not a security archive
    uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
          awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ {
                 for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }')
  fi
  [ -n "$uri" ] || die "cannot find the Debian archive address in the apt sources"
  log "adding bookworm-backports from $uri"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" > /etc/apt/sources.list.d/bookworm-backports.sources
fi
# An unrelated unreachable source must not stop us; the checks below catch what matters.
apt-get update -qq || log "warning: apt-get update reported errors, continuing"

# --- 2. QEMU 7.2 from bookworm (backports has a lower pin priority, so this is 7.2) -------
apt-get install -y -qq qemu-system-x86 qemu-system-arm qemu-utils xz-utils >/dev/null
/usr/bin/qemu-system-x86_64 --version | head -n1 | grep -q 'version 7\.2' ||
  die "/usr/bin/qemu-system-x86_64 is not QEMU 7.2"

# --- 3. QEMU 10.0 from bookworm-backports, extracted under $PREFIX -------------------------
bpo_versions() {  # all bookworm-backports versions of package $1, newest first
  apt-cache madison "$1" | awk -F'|' '$3 ~ /bookworm-backports/ { gsub(/ /, "", $2); print $2 }'
}
if ! bpo_versions qemu-system-x86 | grep -qxF "$QEMU10_VERSION"; then
  v=$(bpo_versions qemu-system-x86 | grep '^1:10\.0\.' | head -n1 || true)
  [ -n "$v" ] || die "bookworm-backports has no qemu-system-x86 1:10.0.*"
  log "warning: $QEMU10_VERSION not in the archive, using $v"
  QEMU10_VERSION=$v
fi

if [ "$(cat "$PREFIX/.qemu-version" 2>/dev/null || true)" != "$QEMU10_VERSION" ]; then
  # seabios: 10.0 wants >= 1.16.3 (bios-256k.bin); take backports' if it has one.
  sb=$(bpo_versions seabios | head -n1)
  pkgs=''
  for p in $QEMU10_PKGS; do pkgs="$pkgs $p=$QEMU10_VERSION"; done
  [ -n "$sb" ] && pkgs="$pkgs seabios=$sb"

  # Shared libraries the extracted binaries and modules link against, from bookworm.
  # (first alternative of each dependency, minus qemu/firmware packages)
  # shellcheck disable=SC2086
  libs=$(apt-cache show $pkgs | sed -n 's/^Depends: //p' | tr ',' '\n' |
         sed 's/|.*//; s/(.*//; s/ //g' |
         grep -v -e '^$' -e '^qemu-' -e '^seabios' -e '^ipxe' -e '^ovmf' | sort -u)
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $libs ipxe-qemu >/dev/null

  D=$(mktemp -d); chmod 755 "$D"   # apt-get download runs as _apt
  trap 'rm -rf "$D"' EXIT
  # shellcheck disable=SC2086
  ( cd "$D" && apt-get download -qq $pkgs )
  rm -rf "$PREFIX"
  mkdir -p "$PREFIX/bin"
  for f in "$D"/*.deb; do dpkg-deb -x "$f" "$PREFIX"; done

  for b in qemu-system-x86_64 qemu-system-aarch64; do
    [ -x "$PREFIX/usr/bin/$b" ] || die "$b missing from the extracted packages"
    cat > "$PREFIX/bin/$b" <<EOF
#!/bin/sh
# QEMU $QEMU10_VERSION extracted by install-qemu.sh; do not install over it.
P=$PREFIX
export QEMU_MODULE_DIR=\$P/usr/lib/$MA/qemu
export LD_LIBRARY_PATH=\$P/usr/lib/$MA\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
exec \$P/usr/bin/$b -L \$P/usr/share/qemu -L \$P/usr/share/seabios -L /usr/lib/ipxe/qemu "\$@"
EOF
    chmod 755 "$PREFIX/bin/$b"
    if LD_LIBRARY_PATH="$PREFIX/usr/lib/$MA" ldd "$PREFIX/usr/bin/$b" | grep 'not found'; then
      die "$b has unresolved shared libraries"
    fi
  done
  echo "$QEMU10_VERSION" > "$PREFIX/.qemu-version"
  log "QEMU $QEMU10_VERSION extracted under $PREFIX"
else
  log "QEMU $QEMU10_VERSION already under $PREFIX"
fi

# --- 4. report --------------------------------------------------------------------------------
for b in /usr/bin/qemu-system-x86_64 /usr/bin/qemu-system-aarch64 \
         "$PREFIX/bin/qemu-system-x86_64" "$PREFIX/bin/qemu-system-aarch64"; do
  printf '%-40s %s\n' "$b" "$("$b" --version | head -n1)"
done
