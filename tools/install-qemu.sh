#!/bin/sh
# install-qemu.sh - make every QEMU release vmstate-inspect targets runnable here, one command,
# idempotent and cached.  As root, on Debian bookworm (amd64):
#
#   sh tools/install-qemu.sh                 # all releases: 5.2 7.2 10.0 11.1
#   sh tools/install-qemu.sh 7.2 10.0        # only these
#   sh tools/install-qemu.sh --sources ...   # also the chroot releases' sources (below)
#
#   QEMU 7.2   bookworm's packages, installed normally in /usr/bin.
#   QEMU 10.0  bookworm-backports' packages, NOT installed but extracted side by side under
#              $PREFIX (default /opt/qemu-10.0) with wrappers $PREFIX/bin/qemu-system-ARCH and
#              $PREFIX/bin/qemu-img that point QEMU at its own modules, firmware and libraries.
#   QEMU 5.2   a minbase debootstrap chroot of bullseye, $VI_QEMU_CACHE/bullseye.
#   QEMU 11.1  a minbase debootstrap chroot of sid,      $VI_QEMU_CACHE/sid.
#
# Whatever the release, the result is one directory of wrappers, $VI_QEMU_BINDIR:
#   qemu-REL-ARCH   (REL 5.2 7.2 10.0 11.1, ARCH x86_64 aarch64 ppc64 s390x riscv64 where that
#                   release has it): that release's qemu-system-ARCH, run in the caller's current
#                   directory with the caller's arguments;
#   qemu-img-REL    that release's qemu-img.
# A chroot wrapper makes sure, on every call, that /proc, /dev, /tmp, the caller's current
# directory and the shared directories are bind-mounted at the same paths inside the chroot
# (so QMP sockets, disks and streams are seen alike on both sides; after a reboot the mounts
# come back by themselves).  Shared directories: this repository's top directory and those in
# $VI_QEMU_SHARED.  Other absolute paths in the arguments are not visible inside a chroot.
# The wrappers need root (chroot).  The QEMU process keeps the wrapper's PID (exec all along).
#
# A release that cannot be installed (no network, a suite gone from the archive) is reported
# ("install-qemu: QEMU 11.1 NOT installed: ...") and the rest carries on; the exit status is 0
# unless an argument is wrong.  Tests that need a missing release skip (77) and name it.
# Cached: a chroot is reused when its .vi-complete file exists; the 10.0 extraction when
# $PREFIX/.qemu-version names the wanted version and every wrapper is there.  Delete
# those to start over.
#
# Environment:
#   VI_QEMU_BINDIR  the wrapper directory          (default /var/cache/vmstate-inspect/bin)
#   VI_QEMU_CACHE   where the chroots are kept     (default /var/cache/vmstate-inspect)
#   VI_QEMU_SHARED  more host directories to bind into the chroots (space separated)
#   PREFIX          where QEMU 10.0 is extracted   (default /opt/qemu-10.0)
#   QEMU10_VERSION  exact Debian version of the 10.0 debs (default below; if the archive no
#                   longer has it, the newest 1:10.0.* in bookworm-backports is used)
#   QEMU_SRC_DIR    with --sources: where the sources of 5.2's and 11.1's QEMU and libslirp
#                   are unpacked, outside the repository (default $VI_QEMU_CACHE/src, where
#                   tools/gen-schemas.sh and gen-machines.sh look): qemu-REL/, libslirp-VER/
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
CACHE=${VI_QEMU_CACHE:-/var/cache/vmstate-inspect}
BINDIR=${VI_QEMU_BINDIR:-$CACHE/bin}
PREFIX=${PREFIX:-/opt/qemu-10.0}
QEMU10_VERSION=${QEMU10_VERSION:-'1:10.0.2+ds-2+deb13u1~bpo12+1'}
SRCDIR=${QEMU_SRC_DIR:-$CACHE/src}
ARCHES='x86_64 aarch64 ppc64 s390x riscv64'
# Debian packages extracted under $PREFIX for 10.0. The module packages matter: QEMU searches
# its module directory list in order and, when a module is missing from 10.0's directory,
# finds 7.2's copy in the system directory and refuses/aborts on the version mismatch.
QEMU10_PKGS='qemu-system-x86 qemu-system-arm qemu-system-ppc qemu-system-s390x qemu-system-riscv
qemu-system-common qemu-system-data qemu-system-modules-opengl qemu-system-modules-spice
qemu-system-gui qemu-block-extra qemu-utils'
QEMU10_BINS="qemu-img $(for a in $ARCHES; do echo "qemu-system-$a"; done)"
# Wanted in each chroot (filtered through the suite's apt-cache: names vary by suite). Firmware
# is named because --no-install-recommends would leave it out.
CHROOT_PKGS='qemu-system-x86 qemu-system-arm qemu-system-ppc qemu-system-s390x qemu-system-riscv
qemu-utils seabios ipxe-qemu qemu-slof opensbi'
APT='apt-get -y -qq -o DPkg::Lock::Timeout=900'

die() { echo "install-qemu: $*" >&2; exit 2; }
log() { echo "install-qemu: $*"; }
failed=''
fail() { echo "install-qemu: QEMU $1 NOT installed: $2" >&2; failed="$failed $1"; }

SOURCES=0
RELS=''
for a in "$@"; do
  case $a in
    --sources) SOURCES=1 ;;
    5.2|7.2|10.0|11.1) RELS="$RELS $a" ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$a' (releases: 5.2 7.2 10.0 11.1; --sources)" ;;
  esac
done
[ -n "$RELS" ] || RELS='5.2 7.2 10.0 11.1'

[ "$(id -u)" = 0 ] || die "must run as root"
# shellcheck source=/dev/null
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || die "this script is for Debian bookworm (found '${VERSION_CODENAME:-?}')"
export DEBIAN_FRONTEND=noninteractive
case "$(dpkg --print-architecture)" in
  amd64) MA=x86_64-linux-gnu ;;
  *) die "unsupported host architecture $(dpkg --print-architecture) (amd64 only)" ;;
esac
mkdir -p "$CACHE" "$BINDIR"

# The Debian archive address already configured in this machine's apt sources.
archive_uri() {
  uri=''
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '/^URIs:/ && $2 ~ /debian/ && $2 !~ /security/ { print $2; exit }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
          awk '$1 == "deb" && $0 ~ /bookworm/ && $0 !~ /security/ {
                 for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }')
  fi
  echo "$uri"
}
URI=$(archive_uri)
[ -n "$URI" ] || die "cannot find the Debian archive address in the apt sources"

# wrapper NAME ELF COMMAND...: $BINDIR/NAME runs COMMAND with the caller's arguments; its
# "# binary:" line names the executable itself (the generators read its strings).
wrapper() {
  name=$1 elf=$2; shift 2
  { echo '#!/bin/sh'
    echo "# $name: made by vmstate-inspect's tools/install-qemu.sh"
    echo "# binary: $elf"
    echo "exec $* \"\$@\""; } > "$BINDIR/$name.tmp"
  chmod 755 "$BINDIR/$name.tmp"
  mv -f "$BINDIR/$name.tmp" "$BINDIR/$name"
}

# Major.minor from a `--version` line.
release_of() { sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p'; }

# --- host apt sources: bookworm-backports (for 10.0) -------------------------------------------
need_update=1
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
  log "adding bookworm-backports from $URI"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$URI" > /etc/apt/sources.list.d/bookworm-backports.sources
fi
apt_update() {
  [ $need_update = 1 ] || return 0
  need_update=0
  # An unrelated unreachable source must not stop us; the checks below catch what matters.
  apt-get update -qq -o DPkg::Lock::Timeout=900 || log "warning: apt-get update reported errors, continuing"
}

# --- QEMU 7.2: bookworm, /usr/bin ----------------------------------------------------------------
install_72() {
  apt_update
  $APT install qemu-system-x86 qemu-system-arm qemu-system-ppc qemu-system-misc qemu-utils \
    seabios ipxe-qemu xz-utils >/dev/null || { fail 7.2 "apt-get install failed"; return 0; }
  /usr/bin/qemu-system-x86_64 --version | head -n1 | grep -q 'version 7\.2' ||
    { fail 7.2 "/usr/bin/qemu-system-x86_64 is not QEMU 7.2"; return 0; }
  for a in $ARCHES; do
    [ -x "/usr/bin/qemu-system-$a" ] &&
      wrapper "qemu-7.2-$a" "/usr/bin/qemu-system-$a" "/usr/bin/qemu-system-$a"
  done
  wrapper qemu-img-7.2 /usr/bin/qemu-img /usr/bin/qemu-img
}

# --- QEMU 10.0: bookworm-backports, extracted under $PREFIX ------------------------------------
bpo_versions() {  # all bookworm-backports versions of package $1, newest first
  apt-cache madison "$1" | awk -F'|' '$3 ~ /bookworm-backports/ { gsub(/ /, "", $2); print $2 }'
}
extract_100() {
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
  $APT install --no-install-recommends $libs ipxe-qemu >/dev/null || return 1
  D=$(mktemp -d); chmod 755 "$D"   # apt-get download runs as _apt
  # shellcheck disable=SC2086
  ( cd "$D" && apt-get download -qq -o APT::Sandbox::User=root $pkgs ) || { rm -rf "$D"; return 1; }
  # Extracted beside $PREFIX and renamed into place: a QEMU running from $PREFIX meanwhile
  # keeps working.
  N=$PREFIX.new
  rm -rf "$N"
  mkdir -p "$N/bin"
  for f in "$D"/*.deb; do dpkg-deb -x "$f" "$N"; done
  rm -rf "$D"
  for b in $QEMU10_BINS; do
    [ -x "$N/usr/bin/$b" ] || { log "$b missing from the extracted packages"; return 1; }
    flags=''
    [ "$b" = qemu-img ] || flags="-L \$P/usr/share/qemu -L \$P/usr/share/seabios -L /usr/lib/ipxe/qemu"
    cat > "$N/bin/$b" <<EOF
#!/bin/sh
# QEMU $QEMU10_VERSION extracted by install-qemu.sh; do not install over it.
P=$PREFIX
export QEMU_MODULE_DIR=\$P/usr/lib/$MA/qemu
export LD_LIBRARY_PATH=\$P/usr/lib/$MA\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
exec \$P/usr/bin/$b $flags "\$@"
EOF
    chmod 755 "$N/bin/$b"
    if LD_LIBRARY_PATH="$N/usr/lib/$MA" ldd "$N/usr/bin/$b" | grep 'not found'; then
      log "$b has unresolved shared libraries"; return 1
    fi
  done
  echo "$QEMU10_VERSION" > "$N/.qemu-version"
  rm -rf "$PREFIX.old"
  [ ! -e "$PREFIX" ] || mv "$PREFIX" "$PREFIX.old"
  mv "$N" "$PREFIX"
  rm -rf "$PREFIX.old"
  log "QEMU $QEMU10_VERSION extracted under $PREFIX"
}
install_100() {
  apt_update
  if ! bpo_versions qemu-system-x86 | grep -qxF "$QEMU10_VERSION"; then
    v=$(bpo_versions qemu-system-x86 | grep '^1:10\.0\.' | head -n1 || true)
    [ -n "$v" ] || { fail 10.0 "bookworm-backports has no qemu-system-x86 1:10.0.*"; return 0; }
    log "warning: $QEMU10_VERSION not in the archive, using $v"
    QEMU10_VERSION=$v
  fi
  have=1
  for b in $QEMU10_BINS; do [ -x "$PREFIX/bin/$b" ] || have=0; done
  if [ $have = 0 ] || [ "$(cat "$PREFIX/.qemu-version" 2>/dev/null || true)" != "$QEMU10_VERSION" ]; then
    extract_100 || { fail 10.0 "extracting bookworm-backports' packages failed"; return 0; }
  else
    log "QEMU $QEMU10_VERSION already under $PREFIX"
  fi
  for a in $ARCHES; do
    wrapper "qemu-10.0-$a" "$PREFIX/usr/bin/qemu-system-$a" "$PREFIX/bin/qemu-system-$a"
  done
  wrapper qemu-img-10.0 "$PREFIX/usr/bin/qemu-img" "$PREFIX/bin/qemu-img"
}

# --- QEMU 5.2 and 11.1: debootstrap chroots -----------------------------------------------------
# Unmount everything below $1, then remove it without crossing into another file system.
remove_root() {
  findmnt -rn -o TARGET | awk -v r="$1/" 'index($0, r) == 1' | sort -r |
    while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$1"
}
# The helper every chroot wrapper calls: mounts, then the command in the caller's directory.
write_chroot_run() {
  cat > "$BINDIR/.chroot-run.tmp" <<'EOF'
#!/bin/sh
# .chroot-run ROOT COMMAND ARGS...: made by vmstate-inspect's tools/install-qemu.sh.
# Runs COMMAND inside the chroot ROOT in the caller's current directory, after bind-mounting
# /dev, /tmp, that directory and those listed in ROOT/.vi-shared at the same paths (once).
set -eu
root=$1; shift
[ "$(id -u)" = 0 ] || { echo "${0##*/}: needs root (chroot $root)" >&2; exit 126; }
same() { [ "$(stat -Lc %d:%i "$1" 2>/dev/null)" = "$(stat -Lc %d:%i "$root$1" 2>/dev/null || echo -)" ]; }
bind() {
  [ "$1" != / ] && [ -d "$1" ] || return 0
  same "$1" && return 0
  mkdir -p "$root$1" && mount --bind "$1" "$root$1"
}
here=$(pwd -P)
if ! { mountpoint -q "$root/proc" && same /dev && same /tmp && same "$here"; }; then
  exec 9>"$root/.vi-mount.lock"
  flock 9
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  bind /dev; bind /tmp
  if [ -f "$root/.vi-shared" ]; then
    while read -r d; do bind "$d"; done < "$root/.vi-shared"
  fi
  bind "$here"
  exec 9>&-
fi
unset LD_LIBRARY_PATH QEMU_MODULE_DIR
exec chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$here" "$@"
EOF
  chmod 755 "$BINDIR/.chroot-run.tmp"
  mv -f "$BINDIR/.chroot-run.tmp" "$BINDIR/.chroot-run"
}
install_chroot() {  # REL SUITE
  rel=$1 suite=$2 root=$CACHE/$suite
  if [ -f "$root/.vi-complete" ]; then
    log "QEMU $rel: reusing the $suite chroot $root"
  else
    [ -e "$root" ] && remove_root "$root"
    log "QEMU $rel: debootstrap $suite into $root (a few minutes)"
    if ! debootstrap --variant=minbase "$suite" "$root" "$URI" >"$CACHE/$suite.log" 2>&1; then
      fail "$rel" "debootstrap $suite failed (see $CACHE/$suite.log)"; return 0
    fi
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
    mountpoint -q "$root/dev" || mount --bind /dev "$root/dev"
    # a mirror may serve a suite (sid) whose Release file is past its Valid-Until
    echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99vmstate-inspect"
    want=''
    for p in $CHROOT_PKGS; do
      chroot "$root" apt-cache show "$p" >/dev/null 2>&1 && want="$want $p"
    done
    # bullseye has no qemu-system-s390x/-riscv: they are in qemu-system-misc there.
    case " $want " in *' qemu-system-s390x '*) ;; *) want="$want qemu-system-misc" ;; esac
    # shellcheck disable=SC2086
    if ! chroot "$root" env DEBIAN_FRONTEND=noninteractive $APT install --no-install-recommends \
         $want >>"$CACHE/$suite.log" 2>&1; then
      fail "$rel" "apt-get install in the $suite chroot failed (see $CACHE/$suite.log)"; return 0
    fi
    chroot "$root" apt-get clean
    date -u +%FT%TZ > "$root/.vi-complete"
  fi
  # minbase has no /etc/hosts: QEMU's default VNC display resolves localhost
  [ -s "$root/etc/hosts" ] || printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
  touch "$root/.vi-shared"
  { echo "$TOP"; for d in ${VI_QEMU_SHARED:-}; do echo "$d"; done; } |
    sort -u - "$root/.vi-shared" > "$root/.vi-shared.new"
  mv -f "$root/.vi-shared.new" "$root/.vi-shared"
  write_chroot_run
  found=$(chroot "$root" /usr/bin/qemu-system-x86_64 --version | release_of)
  [ "$found" = "$rel" ] ||
    log "warning: $suite's QEMU is $found, not $rel: wrappers are named qemu-$found-ARCH"
  for a in $ARCHES; do
    [ -x "$root/usr/bin/qemu-system-$a" ] &&
      wrapper "qemu-$found-$a" "$root/usr/bin/qemu-system-$a" \
        "\"$BINDIR/.chroot-run\" \"$root\" /usr/bin/qemu-system-$a"
  done
  wrapper "qemu-img-$found" "$root/usr/bin/qemu-img" "\"$BINDIR/.chroot-run\" \"$root\" /usr/bin/qemu-img"
}

# --- sources (--sources) -------------------------------------------------------------------------
# The Debian sources of a chroot's QEMU and libslirp (the generators need both), fetched inside
# the chroot (its own suite's deb-src) and unpacked here as $SRCDIR/qemu-REL and
# $SRCDIR/libslirp-VERSION, each with the .gen-schemas-source line tools/gen-schemas.sh reads.
# 7.2's and 10.0's are fetched by tools/gen-schemas.sh itself from this machine's suites.
unpack_source() {  # ROOT PKG VERSION DIR
  if [ -f "$4/.gen-schemas-source" ] && grep -qF "$2 $3" "$4/.gen-schemas-source"; then
    log "$4: already the source of $2 $3"; return 0
  fi
  # the version wanted, else (a mirror may list a source it no longer serves) the newest
  # other one of the same upstream X.Y
  xy=$(echo "${3#*:}" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
  for v in "$3" $(chroot "$1" apt-cache showsrc "$2" | sed -n 's/^Version: //p' | sort -ruV); do
    case ${v#*:} in "$xy".*|"$xy"+*|"$xy"-*) ;; *) continue ;; esac
    chroot "$1" sh -c "rm -rf /root/src && mkdir -p /root/src && cd /root/src &&
      apt-get source -qq --download-only -o APT::Sandbox::User=root $2=$v" >/dev/null 2>&1 || continue
    rm -rf "$4.new"
    ( cd "$1/root/src" && dpkg-source -x "${2}_${v#*:}.dsc" "$4.new" ) >/dev/null 2>&1 || return 1
    rm -f "${4%/*}/${2}_"*   # the copies of the tarballs dpkg-source leaves beside
    note=''
    [ "$v" = "$3" ] || note="; nearest available to $2 $3, which the archive does not serve"
    echo "Debian source package $2 $v (apt-get source; dpkg-source -x, Debian patches applied$note)" \
      > "$4.new/.gen-schemas-source"
    rm -rf "$4"; mv "$4.new" "$4"
    log "$4: $(cat "$4/.gen-schemas-source")"
    return 0
  done
  log "no source of $2 $3 (nor of another $xy) could be fetched"; return 1
}
fetch_source() {  # REL SUITE
  rel=$1 root=$CACHE/$2
  [ -f "$root/.vi-complete" ] || return 0
  command -v dpkg-source >/dev/null || $APT install --no-install-recommends dpkg-dev >/dev/null
  echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99vmstate-inspect"
  # the source versions: the binaries' without a binNMU suffix (+bN)
  qv=$(chroot "$root" dpkg-query -W -f='${Version}' qemu-system-x86 | sed 's/+b[0-9]*$//')
  sv=$(chroot "$root" dpkg-query -W -f='${Version}' libslirp0 | sed 's/+b[0-9]*$//')
  if ! grep -qs '^deb-src' "$root/etc/apt/sources.list"; then
    sed -n 's/^deb /deb-src /p' "$root/etc/apt/sources.list" >> "$root/etc/apt/sources.list"
  fi
  chroot "$root" apt-get update -qq >/dev/null || { log "apt-get update in $root failed"; return 0; }
  mkdir -p "$SRCDIR"
  unpack_source "$root" qemu "$qv" "$SRCDIR/qemu-$rel" || log "QEMU $rel: no source"
  unpack_source "$root" libslirp "$sv" "$SRCDIR/libslirp-${sv#*:}" || log "QEMU $rel: no libslirp source"
  rm -rf "$root/root/src"
}

# --- main ----------------------------------------------------------------------------------------
suite_of() { case $1 in 5.2) echo bullseye ;; 7.2) echo bookworm ;; 10.0) echo bookworm-backports ;; 11.1) echo sid ;; esac; }
for rel in $RELS; do
  t0=$(date +%s)
  case $rel in
    7.2) install_72 ;;
    10.0) install_100 ;;
    5.2|11.1)
      command -v debootstrap >/dev/null || { apt_update; $APT install debootstrap >/dev/null; } ||
        { fail "$rel" "cannot install debootstrap"; continue; }
      install_chroot "$rel" "$(suite_of "$rel")" ;;
  esac
  log "QEMU $rel: $(( $(date +%s) - t0 )) s"
done
if [ $SOURCES = 1 ]; then
  for rel in $RELS; do
    case $rel in 5.2|11.1) fetch_source "$rel" "$(suite_of "$rel")" ;; esac
  done
fi

# --- report --------------------------------------------------------------------------------------
for w in "$BINDIR"/qemu-*; do
  [ -x "$w" ] || continue
  printf '%-44s %s\n' "$w" "$("$w" --version 2>&1 | head -n1)"
done
[ -z "$failed" ] || log "NOT installed:$failed (tests that need them skip)"
exit 0
