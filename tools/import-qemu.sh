#!/bin/sh
# import-qemu.sh - make a complete check target from a QEMU binary you can run: your
# distribution's patched build, a release Debian lacks, your own tree.
#
#   sh tools/import-qemu.sh BINARY qemu-RELEASE/ARCH OUTDIR [QEMU-SOURCE-DIR]
#   vmstate-inspect check --schemas OUTDIR --target qemu-RELEASE/ARCH guest.qevm
#
# BINARY is qemu-system-ARCH (or a wrapper that runs it in the current directory, such as
# tools/install-qemu.sh's qemu-REL-ARCH).  Writes, in OUTDIR:
#   qemu-RELEASE/ARCH.json           the device schema: BINARY -dump-vmstate, merged by
#                                    `vmstate-inspect schema import` with the streams BINARY
#                                    itself writes (tools/schema-streams.py: every recipe of
#                                    that architecture, units BINARY cannot run are dropped),
#                                    which give the vmstates -dump-vmstate misses (ram, timer,
#                                    cpu, apic, slirp, ...) and every field's type and size;
#                                    then tools/schema-subsection-names.py (the binary's
#                                    subsection names) and, on ARM, tools/schema-cpregs.py
#   machines/qemu-RELEASE/ARCH.json  machine types, aliases and, from QEMU 9.1, their compat
#                                    properties (tools/import_machines.py: -machine help, QMP
#                                    query-machines)
#   compat-rules.json                a copy of the repository's (what properties change)
# What the binary alone cannot tell: the minimum_version_id of the vmstates -dump-vmstate
# misses (a stream names only its version; check then cannot say "version-too-old" for
# them) unless QEMU-SOURCE-DIR, the source tree BINARY was built from, is given
# (tools/vmsd-versions-from-source.py reads them there); the compat array of each property,
# and before 9.1 the compat properties themselves (no machine-property findings).
#
# A schema made with `vmstate-inspect schema import --dump-vmstate FILE` alone lacks all of
# the streams' part: it rejects every stream (ram, timer, cpu, apic... as unknown sections)
# and, with too few streams, still rejects sections it never saw (slirp without a -netdev
# user stream).  Use this script instead.
#
# Environment: VI (the vmstate-inspect binary; default src/vmstate-inspect, then
# build/src/vmstate-inspect, then vmstate-inspect on PATH), RUN_SECONDS (guest run time per
# stream, default 2), KEEP_WORK=1 (keep the work directory).  Exit 0 done, 1 failure,
# 2 usage.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
die() { echo "import-qemu: $*" >&2; exit 1; }
log() { echo "import-qemu: $*" >&2; }
usage() { echo "usage: sh tools/import-qemu.sh BINARY qemu-RELEASE/ARCH OUTDIR [QEMU-SOURCE-DIR]" >&2; exit 2; }

[ $# -ge 3 ] && [ $# -le 4 ] || usage
BIN=$1 TARGET=$2 OUT=$3 QSRC=${4:-}
case $TARGET in qemu-*/*) ;; *) echo "import-qemu: target '$TARGET' is not qemu-RELEASE/ARCH" >&2; usage ;; esac
REL=${TARGET#qemu-}; REL=${REL%%/*}; ARCH=${TARGET#*/}
case $BIN in /*) ;; */*) BIN=$(pwd)/$BIN ;; *) BIN=$(command -v "$BIN") || die "no $1 on PATH" ;; esac
[ -x "$BIN" ] || die "$BIN is not executable"
[ -z "$QSRC" ] || [ -f "$QSRC/hw/core/machine.c" ] || die "$QSRC is no QEMU source tree"
if [ -z "${VI:-}" ]; then
  for v in "$ROOT/src/vmstate-inspect" "$ROOT/build/src/vmstate-inspect"; do
    [ -x "$v" ] && { VI=$v; break; }
  done
  [ -n "${VI:-}" ] || VI=$(command -v vmstate-inspect) || die "no vmstate-inspect built (set VI)"
fi
# The executable whose strings give the subsection names: BINARY itself, or the one a
# wrapper script execs (seen as the running process's /proc/PID/exe).
REAL=$BIN
if ! head -c 4 "$BIN" | grep -q ELF; then
  (cd /tmp && exec "$BIN" -M none -nodefaults -display none -S </dev/null >/dev/null 2>&1) &
  pid=$!
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    REAL=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    case $REAL in */qemu-system-*) break ;; esac
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  case $REAL in */qemu-system-*) [ -f "$REAL" ] || die "$BIN runs $REAL, which is not readable here" ;;
    *) die "$BIN is a script and no qemu-system-* process could be seen running it" ;; esac
fi

VERSION=$(cd /tmp && "$BIN" --version | head -n1)
case $VERSION in "QEMU emulator version "*) ;; *) die "$BIN --version says '$VERSION'" ;; esac
XY=$(printf '%s\n' "$VERSION" | sed -n 's/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')
case $REL in "$XY"|"$XY"[!0-9]*) ;; *) log "warning: $BIN is QEMU $XY, the target says $REL" ;; esac
case $ARCH in
  x86_64) alias=q35 ;; aarch64) alias=virt ;; ppc64) alias=pseries ;;
  s390x) alias=s390-ccw-virtio ;; *) alias= ;;
esac
MACHINE=$(cd /tmp && "$BIN" -machine help | awk -v a="$alias" '$1 == a && /alias of/ {
  sub(/.*alias of /, ""); sub(/\).*/, ""); print; exit }')
[ -n "$MACHINE" ] || MACHINE=$(cd /tmp && "$BIN" -machine help | awk '/\(default\)/ { print $1; exit }')
[ -n "$MACHINE" ] || die "no machine type to dump with (-machine help)"
log "$TARGET: $VERSION, machine $MACHINE"

WORK=$(mktemp -d)
if [ "${KEEP_WORK:-}" = 1 ]; then trap 'log "work directory kept: $WORK"' EXIT
else trap 'rm -rf "$WORK"' EXIT; fi
trap 'exit 1' INT TERM
mkdir -p "$OUT/qemu-$REL" "$OUT/machines/qemu-$REL" "$WORK/streams"

(cd "$WORK" && "$BIN" -machine "$MACHINE" -nodefaults -dump-vmstate dump.json) ||
  die "-dump-vmstate failed"
python3 "$HERE/schema-streams.py" --release "$XY" --arch "$ARCH" --bin "$BIN" \
  --outdir "$WORK/streams" --run "${RUN_SECONDS:-2}" -v 2> "$WORK/streams.log" ||
  { tail -n 20 "$WORK/streams.log" >&2; die "no stream could be made"; }
grep -E 'dropped|SKIPPED' "$WORK/streams.log" >&2 || true
set --
for s in "$WORK"/streams/*.qevm; do set -- "$@" --stream "$s"; done
log "$(($# / 2)) streams"
if [ -n "$QSRC" ]; then
  python3 "$HERE/vmsd-versions-from-source.py" --src "$QSRC" --arch "$ARCH" \
    --source-desc "source tree given to tools/import-qemu.sh" \
    --dump-vmstate "$WORK/dump.json" --binary "$REAL" "$@" -o "$WORK/extra.json" ||
    die "vmsd-versions-from-source.py failed"
  set -- "$@" --extra "$WORK/extra.json"
fi
schema=$OUT/qemu-$REL/$ARCH.json
"$VI" schema import --target "$TARGET" --qemu-version "$VERSION" \
  --dump-vmstate "$WORK/dump.json" \
  --provenance "tools/import-qemu.sh: qemu-system-$ARCH -machine $MACHINE -nodefaults -dump-vmstate, streams of tools/schema-streams.py${QSRC:+, minimum versions from its source tree}" \
  "$@" -o "$schema.tmp" || { rm -f "$schema.tmp"; die "schema import failed"; }
python3 "$HERE/schema-subsection-names.py" --binary "$REAL" "$schema.tmp" ||
  { rm -f "$schema.tmp"; die "schema-subsection-names.py failed"; }
if [ "$ARCH" = aarch64 ]; then
  python3 "$HERE/schema-cpregs.py" --vi "$VI" --streams "$WORK/streams" "$schema.tmp" ||
    { rm -f "$schema.tmp"; die "schema-cpregs.py failed"; }
fi
mv "$schema.tmp" "$schema"
(cd "$WORK" && python3 "$HERE/import_machines.py" --target "$TARGET" --binary "$BIN" \
  --out "$OUT/machines/qemu-$REL/$ARCH.json") || die "import_machines.py failed"
cp "$ROOT/schemas/compat-rules.json" "$OUT/compat-rules.json"
log "wrote $schema, $OUT/machines/qemu-$REL/$ARCH.json; use: vmstate-inspect check --schemas $OUT --target $TARGET FILE"
