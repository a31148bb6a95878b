#!/bin/sh
# gen-schemas.sh - regenerate the device schemas schemas/qemu-RELEASE/ARCH.json (see
# schemas/README.md) and their source-extracted inputs schemas/extra/qemu-RELEASE-ARCH.json
# from the real QEMU binaries and their Debian sources.
#
# How to run (Debian bookworm, as root: the first run adds a deb-src apt source and fetches
# sources with apt-get):
#   sh tools/install-qemu.sh --sources  # every release, wrappers qemu-REL-ARCH; 5.2's and
#                                       # 11.1's sources (their chroots' suites)
#   sh tools/gen-schemas.sh             # the 7.2 and 10.0 x86_64/aarch64 targets
#   sh tools/gen-schemas.sh qemu-5.2/ppc64 ...   # these (REL 5.2 7.2 10.0 11.1; ARCH x86_64
#                                                # aarch64 ppc64 s390x riscv64)
#
# Environment:
#   VI_QEMU_BINDIR  the wrappers qemu-REL-ARCH of tools/install-qemu.sh (default
#                   /var/cache/vmstate-inspect/bin); each names its executable in a
#                   "# binary:" line, whose strings steps 3 and 5 read
#   QEMU_SRC_DIR    where the Debian sources are fetched and unpacked, outside the repository
#                   (default /var/cache/vmstate-inspect/src): qemu-REL/ (the layout
#                   tools/gen-machines.sh reads too), libslirp-VERSION/ and download/. A tree
#                   is reused when its .gen-schemas-source file or its debian/changelog names
#                   the wanted version, otherwise fetched again (7.2 and 10.0 from this
#                   machine's suites; 5.2's and 11.1's come from install-qemu.sh --sources).
#   RUN_SECONDS     how long each guest runs before it is stopped and migrated (default 2)
#   KEEP_WORK=1     keep the temporary directory (raw dumps, streams, logs) and print its path
#   REUSE_WORK=DIR  a directory KEEP_WORK=1 kept: its streams are used again (step 2 skipped)
#   REUSE_EXTRA=1   keep the committed schemas/extra/*.json (step 3) instead of fetching the
#                   sources again: for re-running steps 1, 2 and 4 after a change to the tool
#   VI              the vmstate-inspect binary to use (default: src/vmstate-inspect, built
#                   in the source tree); e.g. VI=build/src/vmstate-inspect for a VPATH build
#
# For each target (release, arch) -> machine: x86_64 pc-q35-REL, aarch64 virt-REL, ppc64
# pseries-REL, s390x s390-ccw-virtio-REL, riscv64 virt (unversioned):
#  1. qemu-system-ARCH -M MACHINE -nodefaults -dump-vmstate FILE (in a temporary directory).
#  2. tools/schema-streams.py makes several REAL streams with that binary (TCG, -S, QMP via
#     tools/qmp-migrate.py: cont, run RUN_SECONDS, stop, migrate to a file, quit), each with
#     as many devices as the binary can start and migrate; devices that fail are dropped and
#     reported. Their VMDESCRIPTION trailers give field types, array counts, buffer sizes.
#     Streams stay in the temporary directory; they are never committed.
#  3. tools/vmsd-versions-from-source.py reads the exact Debian source of that QEMU
#     (apt-get source qemu=<the version in --version>; if the archive no longer has it, the
#     nearest version with the same upstream release, else the upstream tarball alone, and
#     the "source" text says which) and libslirp's, and writes
#     schemas/extra/qemu-RELEASE-ARCH.json: version_id/minimum_version_id of every vmstate
#     the binary registers without a device class (timer, cpu, cpu_common, apic, PCIBUS,
#     i2c_bus, acpi_build, globalstate, ram, slirp, configuration, ...), i.e. that
#     -dump-vmstate misses. One file per arch because names such as "cpu" differ per
#     target. It fails if a stream holds a section neither -dump-vmstate nor the source has.
#  4. vmstate-inspect schema import merges the dump, the streams and the extra file into
#     schemas/qemu-RELEASE/ARCH.json, with the exact QEMU command lines (binary as a bare
#     name, relative paths only) as provenance.
#  5. tools/schema-subsection-names.py adds, for those vmstates, every "<vmsd>/..." string of
#     the binary as "subsection_names" (a complete list; the streams show only some).
#  6. tools/schema-cpregs.py adds, on ARM, each generated stream's CPU register list per
#     -cpu model to the "cpu" vmsd ("cpreg_index_sets"), for check without --dest-stream.
#  7. tools/schema-release-facts.py adds "release_facts": the binary's migration capabilities
#     (QMP) and, from the source, the validated capabilities, MIG_CMD table and virtio
#     subsection lists: what `check` knows of a release besides its vmstates.
# Re-running overwrites the outputs. Results differ between runs only where guest timing
# does (observed values); versions, names and sizes do not.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BINDIR=${VI_QEMU_BINDIR:-/var/cache/vmstate-inspect/bin}
SRC=${QEMU_SRC_DIR:-/var/cache/vmstate-inspect/src}
RUN_SECONDS=${RUN_SECONDS:-2}
VI=${VI:-}

die() { echo "gen-schemas: $*" >&2; exit 1; }
log() { echo "gen-schemas: $*" >&2; }

TARGETS=${*:-qemu-7.2/x86_64 qemu-7.2/aarch64 qemu-10.0/x86_64 qemu-10.0/aarch64}
for t in $TARGETS; do
  case $t in
    qemu-5.2/*|qemu-7.2/*|qemu-10.0/*|qemu-11.1/*) ;;
    *) die "unknown target '$t' (qemu-REL/ARCH, REL 5.2 7.2 10.0 11.1)" ;;
  esac
  case ${t#*/} in
    x86_64|aarch64|ppc64|s390x|riscv64) ;;
    *) die "unknown target '$t' (ARCH x86_64 aarch64 ppc64 s390x riscv64)" ;;
  esac
done

command -v python3 >/dev/null || die "python3 missing"
if [ "${REUSE_EXTRA:-}" != 1 ]; then
  command -v apt-get >/dev/null || die "apt-get missing (this script is for Debian)"
  command -v dpkg-source >/dev/null || die "dpkg-source missing (apt-get install dpkg-dev)"
fi
if [ -z "$VI" ]; then
  VI="$ROOT/src/vmstate-inspect"
  (cd "$ROOT" && make -s src/vmstate-inspect) || die "cannot build src/vmstate-inspect"
fi
"$VI" schema import --help >/dev/null 2>&1 || die "$VI has no 'schema import'"

WORK=${REUSE_WORK:-$(mktemp -d)}
if [ "${KEEP_WORK:-}" = 1 ] || [ -n "${REUSE_WORK:-}" ]; then
  trap 'log "work directory kept: $WORK"' EXIT
else
  trap 'rm -rf "$WORK"' EXIT
fi
trap 'exit 1' INT TERM

# --- sources ---------------------------------------------------------------------------------

# deb-src stanzas for the Debian (bookworm*) suites this machine already uses (same URIs)
ensure_deb_src() {
  pkg=$1 ver=$2
  if apt-cache showsrc "$pkg" 2>/dev/null | grep -qx "Version: $ver"; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "need root to add a deb-src source and run apt-get update"
  f=/etc/apt/sources.list.d/gen-schemas-deb-src.sources
  if [ ! -f "$f" ]; then
    log "adding $f (deb-src for the configured Debian suites) and running apt-get update"
    {
      echo "# added by vmstate-inspect's tools/gen-schemas.sh: Debian sources of QEMU"
      for s in /etc/apt/sources.list.d/*.sources; do
        [ -f "$s" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|$|\n)/ && /(^|\n)Suites:[^\n]*bookworm/ &&
             /(^|\n)URIs:[^\n]*debian/ &&
             !/(^|\n)Enabled:[ \t]*no/ {
               out = ""
               for (i = 1; i <= NF; i++) {
                 if ($i ~ /^#/) continue
                 if ($i ~ /^Types:/) out = out "Types: deb-src\n"; else out = out $i "\n"
               }
               print out
             }' "$s"
      done
      for s in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$s" ] || continue
        awk '$1 == "deb" && /bookworm/ && /debian/ {
               i = 2
               if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
               printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
               for (j = i + 2; j <= NF; j++) printf " %s", $j
               printf "\n\n" }' "$s"
      done
    } > "$f"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
}

# stanza of `apt-cache showsrc PKG` for version VER
showsrc() {
  apt-cache showsrc "$1" 2>/dev/null | awk -v v="$2" 'BEGIN { RS = ""; ORS = "\n\n" }
    index("\n" $0 "\n", "\nVersion: " v "\n") { print; exit }'
}

# fetch_src PKG VERSION DIR -> unpacks into DIR, writes DIR/.gen-schemas-source (one line)
# (sh has no local variables: fetch_src and ensure_deb_src use names the caller does not)
fetch_src() {
  pkg=$1 want=$2 fdir=$3
  if [ -s "$fdir/.gen-schemas-source" ] &&
     grep -qF "$pkg $want" "$fdir/.gen-schemas-source"; then
    return 0
  fi
  # a tree unpacked by hand (dpkg-source -x) of exactly this version is adopted
  if [ -f "$fdir/debian/changelog" ] &&
     [ "$(dpkg-parsechangelog -l "$fdir/debian/changelog" -S Version 2>/dev/null)" = "$want" ]; then
    printf '%s\n' "Debian source package $pkg $want (apt-get source; dpkg-source -x, Debian patches applied)" > "$fdir/.gen-schemas-source"
    log "$fdir: adopted (debian/changelog says $want)"
    return 0
  fi
  [ -e "$fdir" ] && log "$fdir: not the source of $pkg $want; fetching it again"
  ensure_deb_src "$pkg" "$want"
  dl="$SRC/download"
  mkdir -p "$dl"
  new="$fdir.new"      # unpacked beside, swapped in at the end
  rm -rf "$new"
  got='' tried=''
  for v in "$want" $(apt-cache showsrc "$pkg" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -ruV); do
    case " $tried " in *" $v "*) continue ;; esac
    tried="$tried $v"
    [ "$v" = "$want" ] || [ "${v%-*}" = "${want%-*}" ] || continue
    if (cd "$dl" && apt-get source -qq --download-only "$pkg=$v" >&2); then
      dsc=$(showsrc "$pkg" "$v" | awk '/^Files:/ { f = 1; next } /^[^ ]/ { f = 0 } f && $3 ~ /\.dsc$/ { print $3 }')
      dpkg-source -x "$dl/$dsc" "$new" >/dev/null || die "dpkg-source -x $dsc failed"
      if [ "$v" = "$want" ]; then
        got="Debian source package $pkg $v (apt-get source; dpkg-source -x, Debian patches applied)"
      else
        got="Debian source package $pkg $v (apt-get source; dpkg-source -x, Debian patches applied; nearest available to $pkg $want, which the archive no longer has)"
      fi
      break
    fi
  done
  if [ -z "$got" ]; then
    # the archive lists the version but serves only part of it: use the upstream tarball
    orig=$(showsrc "$pkg" "$want" | awk '/^Checksums-Sha256:/ { f = 1; next } /^[^ ]/ { f = 0 } f && $3 ~ /\.orig\.tar\./ { print $1, $3; exit }')
    [ -n "$orig" ] || die "no source of $pkg $want (nor of another ${want%-*}) could be fetched"
    sha=${orig% *} file=${orig#* }
    [ -f "$dl/$file" ] || die "source of $pkg $want not fetchable and $file not downloaded"
    [ "$(sha256sum "$dl/$file" | cut -d' ' -f1)" = "$sha" ] || die "$file: sha256 mismatch"
    mkdir -p "$new"
    tar -xf "$dl/$file" -C "$new" --strip-components=1
    got="upstream tarball $file (sha256 $sha, as listed in the archive's Sources index) of Debian source package $pkg $want; the package's .dsc and .debian.tar.xz were not downloadable from the archive, so Debian's patches are not applied"
  fi
  printf '%s\n' "$got" > "$new/.gen-schemas-source"
  rm -rf "$fdir"
  mv "$new" "$fdir"
  log "$fdir: $got"
}

debian_version() {   # "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" -> source version
  sed -n '1s/.*(Debian \([^)]*\)).*/\1/p' | sed 's/+b[0-9]*$//'
}

# --- targets ---------------------------------------------------------------------------------

mkdir -p "$ROOT/schemas/extra"
# This machine's libslirp (what 7.2 and 10.0 link), the fallback for a chroot release whose
# own libslirp source is not to be had.
HOST_SLIRP_VER=$(dpkg-query -W -f='${Version}' libslirp0 2>/dev/null || true)
HOST_SLIRP_DIR=''
if [ -n "$HOST_SLIRP_VER" ] && [ "${REUSE_EXTRA:-}" != 1 ]; then
  HOST_SLIRP_DIR="$SRC/libslirp-${HOST_SLIRP_VER#*:}"
  fetch_src libslirp "$HOST_SLIRP_VER" "$HOST_SLIRP_DIR"
fi

for t in $TARGETS; do
  rel=${t#qemu-}; rel=${rel%/*}; arch=${t#*/}
  case $arch in
    x86_64) machine=pc-q35-$rel ;; aarch64) machine=virt-$rel ;; ppc64) machine=pseries-$rel ;;
    s390x) machine=s390-ccw-virtio-$rel ;; riscv64) machine=virt ;;
  esac
  bin=qemu-system-$arch
  run="$BINDIR/qemu-$rel-$arch"          # runs it (a chroot's, an extracted tree's, /usr/bin's)
  [ -x "$run" ] || die "$run missing; run tools/install-qemu.sh first"
  elf=$(sed -n 's/^# binary: //p' "$run")
  [ -f "$elf" ] || die "$run names no executable in a '# binary:' line"
  version=$("$run" --version | head -n1)
  case $version in *"version $rel"*) ;; *) die "$run is '$version', not QEMU $rel" ;; esac
  debver=$(printf '%s\n' "$version" | debian_version)
  [ -n "$debver" ] || die "$run: no Debian version in '$version'"
  log "== $t: $version"

  # libslirp: the release's own (a chroot's dpkg database), else this machine's
  SLIRP_DIR='' SLIRP_DESC=''
  broot=${elf%/usr/bin/*}
  if [ "${REUSE_EXTRA:-}" != 1 ]; then
    sv=''
    [ -f "$broot/var/lib/dpkg/status" ] &&
      sv=$(dpkg-query --admindir="$broot/var/lib/dpkg" -W -f='${Version}' libslirp0 2>/dev/null | sed 's/+b[0-9]*$//')
    if [ -n "$sv" ] && [ -f "$SRC/libslirp-${sv#*:}/.gen-schemas-source" ]; then
      SLIRP_DIR="$SRC/libslirp-${sv#*:}"
      SLIRP_DESC="; libslirp (slirp section): $(cat "$SLIRP_DIR/.gen-schemas-source")"
    elif [ -n "$HOST_SLIRP_DIR" ]; then
      SLIRP_DIR=$HOST_SLIRP_DIR
      SLIRP_DESC="; libslirp (slirp section): $(cat "$SLIRP_DIR/.gen-schemas-source")"
      [ -z "$sv" ] || SLIRP_DESC="$SLIRP_DESC, in place of the release's own libslirp $sv, whose source the archive did not serve"
    fi
  fi

  # 3a. sources of this QEMU
  qsrc="$SRC/qemu-$rel"
  extra="$ROOT/schemas/extra/qemu-$rel-$arch.json"
  nosrc=''
  if [ "${REUSE_EXTRA:-}" = 1 ]; then
    [ -f "$extra" ] || die "REUSE_EXTRA=1 but $extra is missing"
  elif [ -f "$broot/var/lib/dpkg/status" ] && [ "$broot" != "" ]; then
    # a chroot's release: its source comes from install-qemu.sh --sources, if at all
    if [ -s "$qsrc/.gen-schemas-source" ] && grep -qF "qemu $debver" "$qsrc/.gen-schemas-source"; then :; else
      nosrc="no source of qemu $debver (tools/install-qemu.sh --sources found none in the archive)"
      log "$t: $nosrc: the vmstates -dump-vmstate misses are known from the streams alone"
      rm -f "$extra"
    fi
  else
    fetch_src qemu "$debver" "$qsrc"
  fi

  w="$WORK/qemu-$rel-$arch"
  mkdir -p "$w"

  # 1. -dump-vmstate
  raw="qemu-$rel-$arch.dump-vmstate.json"
  (cd "$w" && "$run" -M "$machine" -nodefaults -dump-vmstate "$raw") ||
    die "$bin -dump-vmstate failed"
  dump_cmd="$bin -M $machine -nodefaults -dump-vmstate $raw"

  # 2. streams
  if [ -n "${REUSE_WORK:-}" ] && [ -s "$w/streams/streams.json" ]; then
    log "$t: reusing the streams in $w/streams"
  else
  python3 "$HERE/schema-streams.py" --release "$rel" --arch "$arch" --bin "$run" \
      --outdir "$w/streams" --run "$RUN_SECONDS" -v 2> "$w/streams.log" ||
    { tail -n 30 "$w/streams.log" >&2; die "$t: no stream could be made"; }
  grep -E 'dropped|SKIPPED' "$w/streams.log" >&2 || true
  fi

  # 3b. versions of the vmstates -dump-vmstate misses
  set --
  for s in "$w"/streams/*.qevm; do set -- "$@" --stream "$s"; done
  [ "${REUSE_EXTRA:-}" = 1 ] || [ -n "$nosrc" ] || python3 "$HERE/vmsd-versions-from-source.py" --src "$qsrc" --arch "$arch" \
      ${SLIRP_DIR:+--slirp-src "$SLIRP_DIR"} \
      --source-desc "$(cat "$qsrc/.gen-schemas-source")$SLIRP_DESC; VMStateDescription definitions and their non-qdev registrations (vmstate_register*, register_savevm_live, legacy_vmsd) in the files built for $arch, extracted by tools/vmsd-versions-from-source.py and checked against $bin's binary and the generated streams" \
      --dump-vmstate "$w/$raw" --binary "$elf" "$@" -o "$extra" ||
    die "$t: vmsd-versions-from-source.py failed"

  # 4. import
  set -- --dump-vmstate "$w/$raw" --qemu-version "$version" --target "$t" \
      --provenance "dump-vmstate: $dump_cmd"
  if [ -n "$nosrc" ]; then
    set -- "$@" --provenance "extra: none, $nosrc"
  else
    set -- "$@" --extra "$extra" \
      --provenance "extra: schemas/extra/qemu-$rel-$arch.json, made by tools/vmsd-versions-from-source.py"
  fi
  python3 - "$w/streams/streams.json" > "$w/import-args.tsv" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for s in d["streams"]:
    text = "stream %s: %s; %s" % (s["file"], s["command_line"], s["procedure"])
    if s["dropped"]:
        text += "; devices left out because this binary could not start or migrate them: " + \
            ", ".join(x["unit"] for x in s["dropped"])
    print("stream\t" + s["file"])
    print("provenance\t" + text.replace("\n", " "))
EOF
  while IFS='	' read -r kind val; do
    case $kind in
      stream) set -- "$@" --stream "$w/streams/$val" ;;
      provenance) set -- "$@" --provenance "$val" ;;
    esac
  done < "$w/import-args.tsv"
  set -- "$@" --provenance "generator: tools/gen-schemas.sh (RUN_SECONDS=$RUN_SECONDS)"
  mkdir -p "$ROOT/schemas/qemu-$rel"
  out="$ROOT/schemas/qemu-$rel/$arch.json"
  "$VI" schema import "$@" -o "$out.tmp" || { rm -f "$out.tmp"; die "$t: schema import failed"; }
  # 5. subsection names of the vmstates -dump-vmstate misses, from the binary's strings
  python3 "$HERE/schema-subsection-names.py" --binary "$elf" "$out.tmp" ||
    { rm -f "$out.tmp"; die "$t: schema-subsection-names.py failed"; }
  # 6. ARM CPU register lists per -cpu model, from the generated streams
  python3 "$HERE/schema-cpregs.py" --vi "$VI" --streams "$w/streams" "$out.tmp" ||
    { rm -f "$out.tmp"; die "$t: schema-cpregs.py failed"; }
  # 7. release facts: capabilities (QMP), validated capabilities, MIG_CMDs, virtio subsections
  if [ -n "$nosrc" ] || [ "${REUSE_EXTRA:-}" = 1 ]; then
    python3 "$HERE/schema-release-facts.py" --run "$run" "$out.tmp"
  else
    python3 "$HERE/schema-release-facts.py" --run "$run" --src "$qsrc" \
      --src-desc "$(sed 's/ (.*//' "$qsrc/.gen-schemas-source")" "$out.tmp"
  fi || { rm -f "$out.tmp"; die "$t: schema-release-facts.py failed"; }
  mv "$out.tmp" "$out"

  # nothing of this machine may leak into the committed files
  for f in "$out" $([ -n "$nosrc" ] || echo "$extra"); do
    if grep -nE '"/|[ =:(]/(usr|opt|tmp|work|home|root|var|etc)/|https?://|\.debian\.org' "$f" | head -n 3 | grep .; then
      die "$f contains an absolute path or a host name"
    fi
  done
  log "$t: wrote schemas/qemu-$rel/$arch.json$([ -n "$nosrc" ] || echo " and schemas/extra/qemu-$rel-$arch.json")"
done
