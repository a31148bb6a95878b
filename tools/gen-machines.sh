#!/bin/sh
# gen-machines.sh - (re)generate schemas/machines/qemu-REL/ARCH.json: every machine type of
# a QEMU release with its accumulated compat properties, each naming the array
# (hw_compat_X_Y, pc_compat_X_Y, ...) it comes from; then schemas/compat-rules.json.  Never
# edit the outputs by hand; see schemas/README-compat.md for the format.
#
#   sh tools/gen-machines.sh                         # every target schemas/qemu-*/ has
#   sh tools/gen-machines.sh qemu-5.2/x86_64 ...     # only these
#
# Needs python3 (standard library only), the releases' wrappers (tools/install-qemu.sh) and
# their source trees (Debian source packages; tools/gen-schemas.sh fetches 7.2's and 10.0's,
# tools/install-qemu.sh --sources 5.2's and 11.1's):
#   VI_QEMU_BINDIR   the wrappers qemu-REL-ARCH (default /var/cache/vmstate-inspect/bin)
#   QEMU_SRC_DIR     directory holding qemu-REL/ (default /var/cache/vmstate-inspect/src)
#
# QEMU 10 and later: machines and compat properties from the binary (QMP query-machines with
# "compat-props": true); arrays named from the sources, whose own lists are compared with
# QMP's (differences are printed and kept in provenance.source_vs_qmp).  Without a source
# tree (the archive serves none of 11.1's) the arrays are inferred from QMP alone
# (tools/gen_machines.py says how, in provenance.method).
# Before 10 (no compat-props in QMP): from the sources, cross-checked with the binary's
# -machine help / query-machines.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BINDIR=${VI_QEMU_BINDIR:-/var/cache/vmstate-inspect/bin}
SRC=${QEMU_SRC_DIR:-/var/cache/vmstate-inspect/src}

TARGETS=${*:-$(cd "$ROOT/schemas" && ls -d qemu-*/*.json | sed 's/\.json$//')}
for t in $TARGETS; do
  rel=${t#qemu-}; rel=${rel%/*}; arch=${t#*/}
  run="$BINDIR/qemu-$rel-$arch"
  [ -x "$run" ] || { echo "gen-machines: $run missing (tools/install-qemu.sh)" >&2; exit 1; }
  "$run" --version | head -n1 | grep -q "version $rel\." ||
    { echo "gen-machines: $run is not QEMU $rel" >&2; exit 1; }
  set -- --target "$t" --binary "$run" --out "$ROOT/schemas/machines/qemu-$rel/$arch.json"
  if [ -f "$SRC/qemu-$rel/hw/core/machine.c" ]; then
    set -- "$@" --src "$SRC/qemu-$rel" --src-label "qemu-$rel"
  fi
  case $rel in
    [0-9].*) [ $# -gt 6 ] ||
      { echo "gen-machines: no QEMU $rel source tree at $SRC/qemu-$rel" >&2; exit 1; } ;;
    *) set -- "$@" --qmp-compat ;;
  esac
  python3 "$HERE/gen_machines.py" "$@"
done

# the rules' "arrays" come from the machine data just written
python3 "$HERE/gen_compat_rules.py"
