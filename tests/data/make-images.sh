#!/bin/sh
# make-images.sh - (re)make the REAL libvirt save images in tests/data/images/.
#
# How to run (Debian bookworm, as root: it starts libvirtd and edits
# /etc/libvirt/qemu.conf, restoring it afterwards):
#   apt-get install --no-install-recommends libvirt-daemon-system libvirt-clients \
#           qemu-system-x86 lzop xz-utils bzip2 gzip
#   sh tests/data/make-images.sh
#
# What it does: starts libvirtd itself (no systemd; stdio_handler "file", so no
# virtlogd), defines a tiny TCG guest without disk or network (q35-7.2, 16 MiB,
# 1 vCPU, QEMU 7.2 from /usr/bin), and for each save_image_format of
# qemu.conf (raw, gzip, bzip2, xz, lzop, then zstd if this libvirt knows it)
# restarts libvirtd with that format, starts the guest, lets it run 1 s and
# runs `virsh save --running`, then again with `virsh save --paused`; last
# `virsh managedsave` (raw).  Images of the raw and sparse formats are stored
# xz -9e compressed (NAME.sav.xz), the compressed formats as libvirt wrote them.
# images.json records each image (format, was_running, how it was made).
# The tests cut each image's stream out by the header's data length and
# decompress it with the real tool to get its raw twin (tests/twins.py).
#
# Images of a format this libvirt refuses are kept from an earlier run.
# FORMATS="zstd sparse" makes only those (and keeps the other images and
# their records): for a newer libvirt than bookworm's 9.0, which refuses
# zstd and predates sparse, e.g. inside a Debian trixie chroot (libvirt 11,
# QEMU 10.0):
#   debootstrap --variant=minbase trixie ROOT && mount --bind /proc ROOT/proc
#   (and /sys, /dev, /dev/pts); chroot ROOT apt-get install --no-install-recommends
#   libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
#   xz-utils zstd python3 procps; copy this script and tests/data/images into
#   ROOT, chroot ROOT env FORMATS="zstd sparse" sh make-images.sh, copy back.
# EMULATOR (default: qemu-system-x86_64 on PATH) is the QEMU the guest runs on.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/images"
CONF=/etc/libvirt/qemu.conf
DOM=vi-tiny
[ "$(id -u)" -eq 0 ] || { echo "make-images: run as root (libvirtd, qemu.conf)" >&2; exit 1; }
FORMATS=${FORMATS:-raw gzip bzip2 xz lzop zstd sparse}
EMULATOR=${EMULATOR:-$(command -v qemu-system-x86_64 || true)}
[ -x "$EMULATOR" ] || { echo "make-images: no qemu-system-x86_64" >&2; exit 1; }
for c in virsh libvirtd xz python3; do
  command -v $c >/dev/null || { echo "make-images: $c missing" >&2; exit 1; }
done
[ -f "$CONF" ] || { echo "make-images: $CONF missing (libvirt-daemon-system)" >&2; exit 1; }

WORK=$(mktemp -d)
cp "$CONF" "$WORK/qemu.conf.orig"
PIDFILE="$WORK/libvirtd.pid"
stop_daemon() {
  if [ -s "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    kill "$pid" 2>/dev/null || true
    i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
    rm -f "$PIDFILE"
  fi
}
cleanup() {
  virsh destroy $DOM >/dev/null 2>&1 || true
  virsh managedsave-remove $DOM >/dev/null 2>&1 || true
  virsh undefine $DOM >/dev/null 2>&1 || true
  stop_daemon
  cp "$WORK/qemu.conf.orig" "$CONF"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

start_daemon() {  # start_daemon FORMAT
  stop_daemon
  { cat "$WORK/qemu.conf.orig"
    printf 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n'
    printf 'stdio_handler = "file"\nremember_owner = 0\nnamespaces = []\n'
    printf 'save_image_format = "%s"\n' "$1"
  } > "$CONF"
  libvirtd -d --pid-file "$PIDFILE"
  i=0; until virsh -q version >/dev/null 2>&1; do
    sleep 0.3; i=$((i+1)); [ $i -lt 50 ] || { echo "make-images: libvirtd did not start" >&2; exit 1; }
  done
}

cat > "$WORK/$DOM.xml" <<XML
<domain type='qemu'>
  <name>$DOM</name>
  <uuid>6d5f4a1e-2b7c-4c1a-9e0d-7a3b9c1d2e4f</uuid>
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>$EMULATOR</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML

mkdir -p "$OUT"
RECORDS="$WORK/records.tsv"
: > "$RECORDS"
LIBVIRT_VERSION=$(libvirtd --version | sed 's/.* //')

shut_off() {  # a saved guest's QEMU may take a moment to go
  i=0; until virsh -q domstate $DOM 2>/dev/null | grep -q "shut off"; do
    sleep 0.3; i=$((i+1)); [ $i -lt 50 ] || { echo "make-images: $DOM does not stop" >&2; exit 1; }
  done
}

save_one() {  # save_one FORMAT running|paused
  shut_off
  virsh -q start $DOM >/dev/null
  sleep 1
  f="libvirt-$1-$2.sav"
  virsh -q save $DOM "$WORK/$f" --$2 >/dev/null
  printf '%s\t%s\t%s\tvirsh save --%s\n' "$f" "$1" "$2" "$2" >> "$RECORDS"
  echo "== $f"
}

for fmt in $FORMATS; do
  start_daemon $fmt
  virsh -q define "$WORK/$DOM.xml" >/dev/null
  case $fmt in zstd|sparse)   # libvirt 9.0 refuses them: try, keep what works
    shut_off
    virsh -q start $DOM >/dev/null
    sleep 1
    f=libvirt-$fmt-running.sav
    if virsh -q save $DOM "$WORK/$f" --running >/dev/null 2>"$WORK/$fmt.err"; then
      printf '%s\t%s\trunning\tvirsh save --running\n' $f $fmt >> "$RECORDS"
      echo "== $f"
      save_one $fmt paused
    else
      echo "make-images: libvirt $LIBVIRT_VERSION cannot save $fmt: $(tr '\n' ' ' < "$WORK/$fmt.err")"
      virsh -q destroy $DOM >/dev/null 2>&1 || true
    fi
    continue ;;
  esac
  save_one $fmt running
  save_one $fmt paused
  if [ $fmt = raw ]; then
    shut_off
    virsh -q start $DOM >/dev/null
    sleep 1
    virsh -q managedsave $DOM >/dev/null
    cp "/var/lib/libvirt/qemu/save/$DOM.save" "$WORK/libvirt-raw-managedsave.sav"
    virsh -q managedsave-remove $DOM >/dev/null
    printf '%s\traw\trunning\tvirsh managedsave\n' libvirt-raw-managedsave.sav >> "$RECORDS"
    echo "== libvirt-raw-managedsave.sav"
  fi
done

python3 - "$RECORDS" "$WORK" "$OUT" "$LIBVIRT_VERSION" "$("$EMULATOR" --version | head -1)" <<'PY'
import json, os, re, shutil, struct, subprocess, sys
records, work, out, lv_version, qemu = sys.argv[1:6]
idx = os.path.join(out, "images.json")
old = json.load(open(idx))["images"] if os.path.exists(idx) else []
images = [i for i in old if os.path.exists(os.path.join(out, i["file"]))]
release = re.search(r"version (\d+\.\d+)", qemu).group(1)
for line in open(records):
    name, fmt, state, how = line.rstrip("\n").split("\t")
    src = os.path.join(work, name)
    head = open(src, "rb").read(92)
    assert head[:16] == b"LibvirtQemudSave", name
    version, data_len, was_running, code = struct.unpack("<4I", head[16:32])
    stored = name
    images = [i for i in images if i["file"] not in (name, name + ".xz")]
    if fmt in ("raw", "sparse"):
        stored = name + ".xz"
        subprocess.run(["xz", "-9e", "-k", "-c", src], stdout=open(os.path.join(out, stored), "wb"),
                       check=True)
    else:
        shutil.copy(src, os.path.join(out, stored))
    images.append({"file": stored, "stored_xz": fmt in ("raw", "sparse"), "format": fmt,
                   "format_code": code, "header_version": version,
                   "was_running": bool(was_running), "state": state, "made_by": how,
                   "size": os.path.getsize(src), "data_len": data_len,
                   "target": f"qemu-{release}/x86_64", "machine": "pc-q35-7.2",
                   "domain": "vi-tiny", "uuid": "6d5f4a1e-2b7c-4c1a-9e0d-7a3b9c1d2e4f",
                   "libvirt_version": lv_version, "qemu_version": qemu})
images.sort(key=lambda i: i["file"])
json.dump({"generator": "tests/data/make-images.sh", "images": images},
          open(os.path.join(out, "images.json"), "w"), indent=1)
print(f"{len(images)} images in {out}")
PY
ls -l "$OUT"
