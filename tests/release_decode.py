#!/usr/bin/env python3
"""release_decode.py - every shipped target decodes the streams its own release writes
without the trailer exactly as the trailer does.

For each schemas/qemu-REL/ARCH.json whose QEMU is installed (tools/install-qemu.sh:
$VI_QEMU_BINDIR/qemu-REL-ARCH), one stream is made now with that real QEMU (its versioned
machine type, a few devices of the kind each architecture uses, -S, cont 1 s, stop,
migrate to a file through tools/qmp-migrate.py).  Then `dump --format json` (decoded from
the VMDESCRIPTION trailer) and `dump --format json --ignore-vmdesc --target qemu-REL/ARCH`
(decoded from the schema) must give, for every section the trailer decodes, the same
values at the same offsets, with no undecoded bytes.  Prints one line per target
(sections agreeing / sections compared); targets whose QEMU is not installed are named.
"""
import json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

BIN = vt.need_bin()
SRC = vt.SRC
SCHEMAS = vt.SCHEMAS
QBIN = vt.QBIN
NET = "-netdev user,id=n0 -device {0},netdev=n0"
DISK = "-drive if=none,id=d0,file=d0.raw,format=raw -device {0},drive=d0"
# arch -> (machine, its other arguments)
MIX = {
    "x86_64": ("pc-q35-{rel}", "-m 128M -smp 2 -device VGA " + NET.format("virtio-net-pci") +
               " " + DISK.format("virtio-blk-pci") + " -device e1000,netdev=n1 "
               "-netdev user,id=n1 -device qemu-xhci,id=x -device usb-tablet,bus=x.0"),
    "aarch64": ("virt-{rel}", "-cpu cortex-a57 -m 256M -smp 2 " + NET.format("virtio-net-pci") +
                " " + DISK.format("virtio-blk-device")),
    "ppc64": ("pseries-{rel}", "-m 512M -smp 2 " + NET.format("virtio-net-pci") +
              " -device spapr-vscsi,id=s " + "-drive if=none,id=d0,file=d0.raw,format=raw "
              "-device scsi-hd,bus=s.0,drive=d0"),
    "s390x": ("s390-ccw-virtio-{rel}", "-m 256M -smp 2 -no-shutdown " +
              NET.format("virtio-net-ccw") + " " + DISK.format("virtio-blk-ccw")),
    "riscv64": ("virt", "-m 256M -smp 2 " + NET.format("virtio-net-pci") + " " +
                DISK.format("virtio-blk-device")),
}
LIMITS = {"ide"}     # as tests/check_dump.py: identify_data exists only after IDENTIFY
# Known disagreements (target, vmsd) -> why.  Each must still occur: a fixed one fails the
# test until it is taken out of this list.
KNOWN = {
    # every release's s390x (key: the architecture)
    ("s390x", "cpu"): "S390CPU's irqstate is a VMSTATE_VBUFFER_UINT32 whose length is "
        "the irqstate_saved_size field: -dump-vmstate does not say which field, so the "
        "schema has no size for it without a trailer",
    ("qemu-10.0/s390x", "qemu-s390-flic"): "the schema's layout ends before the footer: "
        "the flic's hand-written part (10.0 and later) is not described by -dump-vmstate",
    ("qemu-11.1/s390x", "qemu-s390-flic"): "as 10.0's",
    ("s390x", "s390_css"): "the channel subsystem's nested, counted arrays are longer "
        "in the schema than in this stream (sizes observed in the generated stream)",
}


def known(t, base):
    return KNOWN.get((t, base)) or KNOWN.get((t.split("/")[1], base))


def leaves(node, out):
    for key in ("fields", "subsections", "elements", "records"):
        for k in node.get(key) or []:
            if k.get("value") is not None or k.get("hex") is not None:
                out[(k["offset"], k["length"])] = (k.get("value"), k.get("hex"))
            leaves(k, out)
    return out


def as_bytes(value, length):
    """The big-endian bytes a trailer-typed integer or bool was read from, or None."""
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int) or length <= 0 or length > 8:
        return None
    return (value % (1 << (8 * length))).to_bytes(length, "big").hex()


def alike(trailer, schema, untyped):
    """Same values at the same offsets.  A field the schema has no type for (a
    subsection QEMU sent to none of the streams the schema was made from, so
    -dump-vmstate gave its size only) is shown as hex: it agrees when its bytes
    are those the trailer's typed value was read from; counted in `untyped`."""
    if set(trailer) != set(schema):
        return False
    for key, (tv, th) in trailer.items():
        sv, sh = schema[key]
        if (tv, th) == (sv, sh):
            continue
        if sv is None and sh is not None and as_bytes(tv, key[1]) == sh.lower():
            untyped.append(key)
            continue
        return False
    return True


def dump(*args):
    return vt.run_bytes("dump", "--format", "json", *args)


def main():
    targets = sorted("%s/%s" % (d, f[:-5]) for d in os.listdir(SCHEMAS)
                     if d.startswith("qemu-") and os.path.isdir(os.path.join(SCHEMAS, d))
                     for f in os.listdir(os.path.join(SCHEMAS, d)) if f.endswith(".json"))
    missing, known_seen = [], []
    for t in targets:
        rel, arch = t[len("qemu-"):].split("/")
        run = vt.qemu(rel, arch)
        if not run or arch not in MIX:
            missing.append(t)
            continue
        problems = []
        machine, extra = MIX[arch]
        with tempfile.TemporaryDirectory(prefix="vi-reldecode-") as d:
            with open(os.path.join(d, "d0.raw"), "wb") as f:
                f.truncate(1 << 20)
            cmd = [sys.executable, os.path.join(vt.TOOLS, "qmp-migrate.py"), "--workdir", d,
                   "--out", "s.qevm", "--run", "1", "--", run, "-nodefaults", "-nographic",
                   "-accel", "tcg", "-machine", machine.format(rel=rel), *extra.split(),
                   "-S", "-qmp", "unix:qmp.sock,server=on,wait=off"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            path = os.path.join(d, "s.qevm")
            if p.returncode != 0:
                log = open(os.path.join(d, "qemu.log"), errors="replace").read()[-600:] \
                    if os.path.exists(os.path.join(d, "qemu.log")) else ""
                check(False, "%s: no stream: %s %s" % (t, p.stderr.strip()[-300:], log))
                continue
            rc, out, err = dump(path)
            rc2, out2, err2 = dump("--ignore-vmdesc", "--target", t, path)
        if rc != 0 or rc2 != 0:
            check(False, "%s: dump exit %d / --ignore-vmdesc --target exit %d: %s%s"
                  % (t, rc, rc2, err.strip(), err2.strip()))
            continue
        doc, doc2 = json.loads(out), json.loads(out2)
        by_off = {s["offset"]: s for s in doc2["sections"]}
        n = agree = 0
        untyped = []
        for s in doc["sections"]:
            base = s["name"].rsplit("/", 1)[-1]
            if s.get("decoded_by") != "vmdesc" or base in LIMITS:
                continue
            n += 1
            o = by_off.get(s["offset"])
            why = None
            if not o or o.get("decoded_by") != "schema" or o.get("undecoded_bytes"):
                why = "section %s not decoded from the schema" % s["name"]
            elif not alike(leaves(s, {}), leaves(o, {}), untyped):
                why = "section %s decodes differently from its trailer" % s["name"]
            if why and known(t, base):
                known_seen.append((t, base))
                print("LIMIT %s: %s: %s" % (t, why, known(t, base)))
            elif why:
                problems.append(why)
            else:
                agree += 1
                if known(t, base):
                    problems.append("%s now decodes alike: take it out of KNOWN" % base)
        if n == 0:
            problems.append("the trailer decoded no section")
        lim = len([k for k in known_seen if k[0] == t])
        check(not problems, "%s: %d/%d sections decode alike without the trailer%s%s"
              % (t, agree, n, " (%d known limits)" % lim if lim else "",
                 "; %d untyped fields agree by their bytes" % len(untyped) if untyped else ""),
              "; ".join(problems))
    for t in missing:
        print("SKIP %s: %s not installed (tools/install-qemu.sh)" % (t, "qemu-%s-%s" % tuple(
            t[len("qemu-"):].split("/"))))
    if sum(vt.counts()) == 0:
        vt.skip("no target's QEMU is installed")
    sys.exit(vt.done())


if __name__ == "__main__":
    main()
