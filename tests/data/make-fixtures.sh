#!/bin/sh
# $COMMON and the fixture argument lists are split into words on purpose:
# shellcheck disable=SC2086
#
# make-fixtures.sh - (re)make the small REAL migration-stream fixtures in tests/data/.
#
# How to run (Debian bookworm, as root for the first step):
#   sh tools/install-qemu.sh          # QEMU 7.2 in /usr/bin, QEMU 10.0.2 under /opt/qemu-10.0
#   sh tests/data/make-fixtures.sh    # from anywhere; writes tests/data/*.qevm.xz, one
#                                     # *.qcow2.xz (savevm snapshot) and fixtures.json
#
# Environment: QEMU72_BIN_DIR (default /usr/bin) and QEMU10_BIN_DIR (default
# /opt/qemu-10.0/bin, i.e. $PREFIX/bin of install-qemu.sh) say where the two releases are.
# Needs python3, xz; uses TCG only (no KVM), so results do not depend on the host.
#
# Procedure for every fixture (as for the shared corpus): QEMU is started in a fresh temporary
# directory with -S and "-qmp unix:qmp.sock,server=on,wait=off"; tools/qmp-migrate.py sends
# qmp_capabilities, cont, waits 1 s, stop, migrate "exec:cat > NAME.qevm", polls query-migrate
# until "completed", quit. The stream is checked for the QEVM v3 header and stored as
# NAME.qevm.xz (xz -9e). Re-running overwrites every output. Streams are not byte-identical
# between runs (guest timers, CPU state), only the command lines are fixed.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
HELPER="$ROOT/tools/qmp-migrate.py"
Q72=${QEMU72_BIN_DIR:-/usr/bin}
Q100=${QEMU10_BIN_DIR:-/opt/qemu-10.0/bin}

for b in "$Q72/qemu-system-x86_64" "$Q72/qemu-system-aarch64" \
         "$Q100/qemu-system-x86_64" "$Q100/qemu-system-aarch64"; do
  [ -x "$b" ] || { echo "make-fixtures: $b missing; run tools/install-qemu.sh first" >&2; exit 1; }
done
command -v xz >/dev/null || { echo "make-fixtures: xz missing" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM
RECORDS="$WORK/records.tsv"
: > "$RECORDS"

QMP='-qmp unix:qmp.sock,server=on,wait=off'
COMMON='-nodefaults -nographic -accel tcg'

# fixture NAME RELEASE(7.2|10.0) ARCH MACHINE NOTES -- ARGS (without binary, -S and -qmp)
# ONLY=NAME[,NAME...] makes just those and keeps the others' records in fixtures.json.
fixture() {
  name=$1 rel=$2 arch=$3 machine=$4 notes=$5
  shift 6
  if [ -n "${ONLY:-}" ]; then
    case ",$ONLY," in *,"$name",*) ;; *) return 0 ;; esac
  fi
  case $rel in 7.2) dir=$Q72 ;; 10.0) dir=$Q100 ;; esac
  bin=qemu-system-$arch
  wd="$WORK/$name"
  mkdir -p "$wd/disks"
  # small raw disk for fixtures that use one (path relative to QEMU's cwd)
  case " $* " in *disks/disk.raw*) truncate -s 1M "$wd/disks/disk.raw" ;; esac
  args="$* -S $QMP"
  echo "== $name ($bin $rel)"
  if [ -n "${SAVEVM:-}" ]; then
    # savevm into a qcow2 disk: the fixture is the image, the stream sits in its VM
    # state area (the image's own qemu-img; both releases read each other's qcow2)
    qimg=$dir/qemu-img
    [ -x "$qimg" ] || qimg=$(command -v qemu-img)
    "$qimg" create -q -f qcow2 "$wd/disks/disk.qcow2" 16M
    # shellcheck disable=SC2086
    python3 "$HELPER" --workdir "$wd" --savevm "$SAVEVM" --run 1 -- "$dir/$bin" $args \
        > "$wd/summary.json"
    [ "$(od -An -tx1 -N4 "$wd/disks/disk.qcow2" | tr -d ' \n')" = 514649fb ] ||
      { echo "make-fixtures: $name: not a qcow2 image" >&2; exit 1; }
    rm -f "$HERE/$name.qcow2.xz"
    xz -9e -T1 -c "$wd/disks/disk.qcow2" > "$HERE/$name.qcow2.xz"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name.qcow2.xz" \
      "$("$dir/$bin" --version | head -n1)" "$arch" "$machine" "$bin $args" true "$notes" \
      "$(stat -c %s "$wd/disks/disk.qcow2")" \
      "$(sha256sum "$wd/disks/disk.qcow2" | cut -d' ' -f1)" >> "$RECORDS"
    return 0
  fi
  # shellcheck disable=SC2086
  python3 "$HELPER" --workdir "$wd" --out "$name.qevm" --run 1 -- "$dir/$bin" $args \
      > "$wd/summary.json"
  head8=$(od -An -tx1 -N8 "$wd/$name.qevm" | tr -d ' \n')
  [ "$head8" = 5145564d00000003 ] ||
    { echo "make-fixtures: $name: bad header $head8" >&2; exit 1; }
  version=$("$dir/$bin" --version | head -n1)
  raw_size=$(stat -c %s "$wd/$name.qevm")
  raw_sha=$(sha256sum "$wd/$name.qevm" | cut -d' ' -f1)
  # vmdesc trailer = EOF byte 0x00, then 0x06, be32 len, len bytes of JSON, end of stream
  has_vmdesc=$(python3 - "$wd/$name.qevm" <<'EOF2'
import struct, sys
d = open(sys.argv[1], "rb").read()
ok, pos = False, len(d)
while True:
    n = d.rfind(b"\x06", 0, pos)
    if n < 1 or len(d) - n > (16 << 20):
        break
    if len(d) - n >= 5:
        (ln,) = struct.unpack(">I", d[n + 1:n + 5])
        if n + 5 + ln == len(d) and d[n - 1] == 0 and d[n + 5:n + 6] == b"{":
            ok = True
            break
    pos = n
print("true" if ok else "false")
EOF2
)
  rm -f "$HERE/$name.qevm.xz"
  xz -9e -T1 -c "$wd/$name.qevm" > "$HERE/$name.qevm.xz"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name.qevm.xz" "$version" "$arch" "$machine" \
    "$bin $args" "$has_vmdesc" "$notes" "$raw_size" "$raw_sha" >> "$RECORDS"
}

fixture v72-x86-q35-7.2-minimal 7.2 x86_64 pc-q35-7.2 \
  "minimal q35, 1 vCPU, 16 MiB" -- \
  $COMMON -machine pc-q35-7.2 -m 16M -smp 1

fixture v100-x86-q35-10.0-minimal 10.0 x86_64 pc-q35-10.0 \
  "minimal q35, 1 vCPU, 16 MiB" -- \
  $COMMON -machine pc-q35-10.0 -m 16M -smp 1

fixture v72-x86-i440fx-7.2-devices 7.2 x86_64 pc-i440fx-7.2 \
  "i440fx with e1000, virtio-net-pci, virtio-blk-pci (1 MiB raw disk), usb-ehci + usb-tablet; 2 vCPUs" -- \
  $COMMON -machine pc-i440fx-7.2 -m 16M -smp 2 \
  -netdev user,id=n0 -device e1000,netdev=n0,id=e1000_0,mac=52:54:00:12:34:01 \
  -netdev user,id=n1 -device virtio-net-pci,netdev=n1,id=vnet0,mac=52:54:00:12:34:02 \
  -drive file=disks/disk.raw,format=raw,if=none,id=d0 -device virtio-blk-pci,drive=d0,id=vblk0 \
  -device usb-ehci,id=ehci -device usb-tablet,bus=ehci.0,id=tablet0

fixture v72-aarch64-virt-7.2-minimal 7.2 aarch64 virt-7.2 \
  "minimal arm virt, cortex-a57, 1 vCPU, 16 MiB, no firmware (CPU runs from empty flash for 1 s)" -- \
  $COMMON -machine virt-7.2 -cpu cortex-a57 -m 16M -smp 1

fixture v100-aarch64-virt-10.0-minimal 10.0 aarch64 virt-10.0 \
  "minimal arm virt, -cpu max (SVE/SME state), 2 vCPUs, 16 MiB, no firmware (CPU runs from empty flash for 1 s)" -- \
  $COMMON -machine virt-10.0 -cpu max -m 16M -smp 2

fixture v100-x86-q35-10.0-novmdesc 10.0 x86_64 pc-q35-10.0 \
  "minimal q35 with suppress-vmdesc=on: no VMDESCRIPTION trailer, the stream ends right after the EOF byte" -- \
  $COMMON -machine pc-q35-10.0,suppress-vmdesc=on -m 16M -smp 1

fixture v72-x86-i440fx-2.10-smp2 7.2 x86_64 pc-i440fx-2.10 \
  "old i440fx machine type (piix4_pm without acpi_index), 2 vCPUs, 16 MiB" -- \
  $COMMON -machine pc-i440fx-2.10 -m 16M -smp 2

fixture v100-aarch64-virt-10.0-gic3-smp3 10.0 aarch64 virt-10.0 \
  "arm virt with GICv3 and 3 vCPUs (the GIC's per-CPU array is sized by the vCPU count), 16 MiB" -- \
  $COMMON -machine virt-10.0,gic-version=3 -cpu max -m 16M -smp 3

SAVEVM=snap1
fixture v100-x86-q35-10.0-savevm 10.0 x86_64 pc-q35-10.0 \
  "savevm snapshot 'snap1' in a 16 MiB qcow2 disk (virtio-blk), minimal q35: the stream is read from the image's VM state area" -- \
  $COMMON -machine pc-q35-10.0 -m 16M -smp 1 \
  -drive file=disks/disk.qcow2,format=qcow2,if=none,id=d0 -device virtio-blk-pci,drive=d0
SAVEVM=

python3 - "$RECORDS" "$HERE/fixtures.json" <<'EOF'
import json, os, sys
recs = []
made = {line.split("\t", 1)[0] for line in open(sys.argv[1])}
if os.environ.get("ONLY") and os.path.exists(sys.argv[2]):
    recs = [r for r in json.load(open(sys.argv[2]))["fixtures"] if r["file"] not in made]
for line in open(sys.argv[1]):
    f, ver, arch, machine, cmd, vmdesc, notes, raw_size, raw_sha = line.rstrip("\n").split("\t")
    recs.append({
        "file": f,
        "qemu_version": ver,
        "arch": arch,
        "machine": machine,
        "command_line": cmd,
        "has_vmdesc": vmdesc == "true",
        "notes": notes,
        "compression": "xz",
        "size": os.path.getsize(os.path.join(os.path.dirname(sys.argv[2]), f)),
        "raw_size": int(raw_size),
        "raw_sha256": raw_sha,
        "container": "qcow2" if ".qcow2" in f else "raw",
        "procedure": ("QEMU started with -S in an empty directory with a 16 MiB qcow2 disk "
                      "(qemu-img create); QMP: qmp_capabilities, cont, run 1 s, stop, "
                      "human-monitor-command 'savevm snap1', quit" if ".qcow2" in f else
                      "QEMU started with -S in an empty directory; QMP: qmp_capabilities, "
                      "cont, run 1 s, stop, migrate uri=exec:cat > " + f[:-3] +
                      ", poll query-migrate until completed, quit"),
    })
with open(sys.argv[2], "w") as o:
    json.dump({"generator": "tests/data/make-fixtures.sh", "fixtures": recs}, o, indent=1)
    o.write("\n")
EOF
echo "make-fixtures: wrote $(wc -l < "$RECORDS") fixtures and fixtures.json to $HERE"
