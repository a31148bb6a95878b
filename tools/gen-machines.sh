#!/bin/sh
# gen-machines.sh - (re)generate schemas/machines/qemu-{7.2,10.0}/{x86_64,aarch64}.json:
# every machine type of the two QEMU releases with its accumulated compat properties, each
# naming the array (hw_compat_X_Y, pc_compat_X_Y, ...) it comes from.  Never edit the
# outputs by hand; see schemas/README-compat.md for the format.
#
#   sh tools/gen-machines.sh
#
# Needs python3 (standard library only), the two QEMU releases (tools/install-qemu.sh) and
# their source trees (Debian source packages, unpacked side by side):
#   QEMU72_BIN_DIR   directory of QEMU 7.2's qemu-system-*   (default: found on PATH)
#   QEMU10_BIN_DIR   directory of QEMU 10.0's qemu-system-*  (default: $PREFIX/bin of
#                    tools/install-qemu.sh)
#   QEMU_SRC_DIR     directory holding qemu-7.2/ and qemu-10.0/ (default: ../qemu-src,
#                    relative to the repository root), e.g. made with
#                      apt-get source qemu=1:7.2+dfsg-7+deb12u18 (-> qemu-7.2)
#                      apt-get source qemu=1:10.0.2+ds-2+deb13u1~bpo12+1 (-> qemu-10.0)
#   QEMU72_SRC, QEMU10_SRC   the two trees individually
#
# QEMU 10.0: machines and compat properties from the binary (QMP query-machines with
# "compat-props": true); arrays named from the 10.0 sources, whose own lists are compared
# with QMP's (differences are printed and kept in provenance.source_vs_qmp).
# QEMU 7.2 (no compat-props in QMP): from the 7.2 sources, cross-checked with the binary's
# -machine help / query-machines.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

find_dir() {   # directory of qemu-system-x86_64 on PATH
  b=$(command -v qemu-system-x86_64 || true)
  [ -n "$b" ] && dirname "$b"
}
Q72=${QEMU72_BIN_DIR:-$(find_dir)}
if [ -z "${QEMU10_BIN_DIR:-}" ]; then
  # shellcheck disable=SC2016  # the ${ } is text to match, not to expand
  prefix=$(sed -n 's/^PREFIX=\${PREFIX:-\(.*\)}$/\1/p' "$HERE/install-qemu.sh" | head -n1)
  QEMU10_BIN_DIR="$prefix/bin"
fi
Q100=$QEMU10_BIN_DIR
SRC=${QEMU_SRC_DIR:-$ROOT/../qemu-src}
SRC72=${QEMU72_SRC:-$SRC/qemu-7.2}
SRC100=${QEMU10_SRC:-$SRC/qemu-10.0}

for arch in x86_64 aarch64; do
  for b in "$Q72/qemu-system-$arch" "$Q100/qemu-system-$arch"; do
    [ -x "$b" ] || { echo "gen-machines: $b missing (tools/install-qemu.sh)" >&2; exit 1; }
  done
done
"$Q72/qemu-system-x86_64" --version | head -n1 | grep -q 'version 7\.2' ||
  { echo "gen-machines: $Q72/qemu-system-x86_64 is not QEMU 7.2" >&2; exit 1; }
"$Q100/qemu-system-x86_64" --version | head -n1 | grep -q 'version 10\.0' ||
  { echo "gen-machines: $Q100/qemu-system-x86_64 is not QEMU 10.0" >&2; exit 1; }
for d in "$SRC72" "$SRC100"; do
  [ -f "$d/hw/core/machine.c" ] ||
    { echo "gen-machines: no QEMU source tree at $d (see QEMU_SRC_DIR above)" >&2; exit 1; }
done

for arch in x86_64 aarch64; do
  python3 "$HERE/gen_machines.py" --target "qemu-7.2/$arch" \
    --binary "$Q72/qemu-system-$arch" --src "$SRC72" --src-label qemu-7.2 \
    --out "$ROOT/schemas/machines/qemu-7.2/$arch.json"
  python3 "$HERE/gen_machines.py" --target "qemu-10.0/$arch" --qmp-compat \
    --binary "$Q100/qemu-system-$arch" --src "$SRC100" --src-label qemu-10.0 \
    --out "$ROOT/schemas/machines/qemu-10.0/$arch.json"
done

# the rules' "arrays" come from the machine data just written
python3 "$HERE/gen_compat_rules.py"
