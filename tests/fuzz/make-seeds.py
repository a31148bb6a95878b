#!/usr/bin/env python3
"""make-seeds.py - (re)generate the small seed corpora of the fuzz harnesses.

    tests/fuzz/make-seeds.py VI_BIN [STREAM...]

VI_BIN is a built vmstate-inspect (its `dump --format json` view tells where
records lie).  STREAMs default to tests/data/*.qevm.xz and, when present, the
shared corpus's streams/*.qevm (../shared/corpus beside the source tree).
Writes, next to this script:

  corpus-stream/  whole files for fuzz-stream: real streams with the RAM
                  pages cut to a few records and only some device sections
                  (with their VMDESCRIPTION entries) kept, plus synthetic
                  streams for paths the real ones never take (commands,
                  PACKAGED, capabilities, XBZRLE/compressed pages, mapped-ram,
                  hugepage sizes, no trailer)
  corpus-vmdesc/  inputs of fuzz-vmdesc: be24 payload length, one real
                  device section's payload, its VMDESCRIPTION entry as JSON
  corpus-input/   inputs of fuzz-input: mode byte + a container (libvirt
                  save image variants, xz, xz in xz, qcow2, raw)
  corpus-libvirt/ corpus-qcow2/  the libvirt and qcow2 ones of those, mode
                  byte (bit 0: walk) + the file without its magic
  corpus-diff/    SRC "\n@@@@\n" DST: pieces of the shared corpus's
                  -dump-vmstate files (7.2 against 10.0) and the hostile
                  classes (same-named subsections, device types sharing a
                  vmsd, size x count overflow)
  corpus-schema/  a -dump-vmstate piece "\n@@@@\n" a small stream

The -dump-vmstate pieces come from the shared corpus's schemas/ directory
($VI_SHARED_CORPUS, default ../shared/corpus beside the source tree).

Real streams are ~1 MB; the seeds stay a few KB each so libFuzzer mutates
quickly.  Python 3 standard library only.
"""
import bz2
import gzip
import hashlib
import json
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import mutate  # noqa: E402  (tests/mutate.py)

be16, be32, be64 = mutate.be16, mutate.be32, mutate.be64
MAX_SEED = 60000
MID_FROM = ("q35-10.0-minimal", "aarch64-virt-10.0", "i440fx-7.2-devices",
            "q35-10.0-virtio", "novmdesc", "i440fx-2.10-legacy")


def cstr(s):
    if isinstance(s, str):
        s = s.encode()
    return bytes([len(s)]) + s


def write(dirname, name, data):
    d = os.path.join(HERE, dirname)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def short_name(path):
    n = os.path.basename(path)
    for suf in (".xz", ".qevm"):
        if n.endswith(suf):
            n = n[:-len(suf)]
    return n


# ------------------------------------------------------------ synthetic streams

HEADER = b"QEVM" + be32(3)


def config(machine="pc-q35-10.0", page_bits=None, caps=(), uuid=None):
    out = b"\x07" + be32(len(machine)) + machine.encode()
    if page_bits is not None:
        out += b"\x05" + cstr("configuration/target-page-bits") + be32(1) + be32(page_bits)
    if caps:
        out += b"\x05" + cstr("configuration/capabilities") + be32(1) + be32(len(caps))
        out += b"".join(cstr(c) for c in caps)
    if uuid is not None:
        out += b"\x05" + cstr("configuration/uuid") + be32(1) + uuid
    return out


def section(kind, sid, payload, name=None, instance=0, version=1, footer=True):
    out = bytes([kind]) + be32(sid)
    if kind in (1, 4):
        out += cstr(name) + be32(instance) + be32(version)
    out += payload
    if footer:
        out += b"\x7e" + be32(sid)
    return out


def command(cmd, payload=b""):
    return b"\x08" + be16(cmd) + be16(len(payload)) + payload


def mem_size(blocks, extra=lambda name: b""):
    total = sum(size for _, size in blocks)
    out = be64(total | 0x04)
    for name, size in blocks:
        out += cstr(name) + be64(size) + extra(name)
    return out


def synthetic():
    seeds = {}
    ps = 4096
    # RAM with every record kind, commands, PACKAGED, no trailer
    ram = mem_size([("pc.ram", 64 * ps), ("vga.vram", 4 * ps)])
    part = be64(0x02) + cstr("pc.ram") + b"\x00"
    part += be64(ps | 0x22) + b"\x07"                       # zero, nonzero fill
    part += be64(2 * ps | 0x20 | 0x40) + b"\x01" + be16(6) + b"\x00\x01\x02\x00\x01\x02"
    part += be64(3 * ps | 0x20 | 0x100) + be32(8) + b"\x78\x9c\x03\x00\x00\x00\x00\x01"
    part += be64(0x200) + be64(0x80)                        # multifd flush, hook
    part += be64(0x08) + cstr("vga.vram") + bytes(ps)       # one normal page
    part += be64(0x10)
    packaged = section(4, 5, b"\x01\x02\x03\x04", name="timer") + b"\x00"
    s = HEADER + config() + section(1, 2, ram + be64(0x10), name="ram", version=4)
    s += command(2, be32(0x11223344)) + command(3, be64(0x1000) + be64(0x1000))
    s += section(2, 2, part) + command(11)
    s += command(7, be32(len(packaged))) + packaged
    s += section(3, 2, be64(0x10))
    s += section(4, 3, b"\xaa" * 20, name="0000:00:02.0/dev", instance=1, version=3)
    s += b"\x00"
    seeds["synthetic-commands-pages.qevm"] = s
    # arm-like: target-page-bits 16, capabilities, uuid, hugepage sizes
    ps = 1 << 16
    ram = mem_size([("mach-virt.ram", 8 * ps), ("ram2", 2 * ps)],
                   extra=lambda n: be64(1 << 21) if n == "mach-virt.ram" else b"")
    s = HEADER + config("virt-10.0", 16, (), bytes(range(16)))
    s += section(1, 1, ram + be64(0x10), name="ram", version=4)
    s += section(2, 1, be64(0x02) + cstr("ram2") + b"\x00" + be64(0x10))
    desc = {"page_size": ps, "devices": [
        {"name": "dev", "instance_id": 0, "vmsd_name": "dev", "version": 1,
         "fields": [{"name": "a", "type": "uint32", "size": 4},
                    {"name": "b", "type": "struct", "size": 6, "array_len": 2,
                     "struct": {"vmsd_name": "s", "version": 1,
                                "fields": [{"name": "x", "type": "uint16", "size": 2},
                                           {"name": "y", "type": "int32", "size": 4}]}}],
         "subsections": [{"vmsd_name": "dev/sub", "version": 1,
                          "fields": [{"name": "c", "type": "bool", "size": 1}]}]}]}
    payload = be32(7) + b"\x00\x01\xff\xff\xff\xfe" * 2 + b"\x05" + cstr("dev/sub") + be32(1) + b"\x01"
    s += section(4, 4, payload, name="dev") + b"\x00"
    seeds["synthetic-arm-hugepages.qevm"] = mutate.with_trailer(s, desc)
    # x-ignore-shared (mr_addr after each block) and mapped-ram
    ps = 4096
    s = HEADER + config(caps=("x-ignore-shared",))
    s += section(1, 1, mem_size([("pc.ram", 4 * ps), ("pc.bios", 64 * ps)],
                                extra=lambda n: be64(0 if n == "pc.ram" else 0xfffc0000))
                 + be64(0x10), name="ram", version=4)
    s += b"\x00"
    seeds["synthetic-ignore-shared.qevm"] = s
    pre = HEADER + config(caps=("mapped-ram",)) + b"\x01" + be32(1) + cstr("ram") + be32(0) + be32(4)
    used = 2 * ps
    blk = be64(used | 0x04) + cstr("pc.ram") + be64(used)
    hdr_off = len(pre) + len(blk)
    pages_off = (hdr_off + 28 + ps - 1) // ps * ps
    body = blk + be32(1) + be64(ps) + be64(hdr_off + 28) + be64(pages_off)
    s = pre + body
    s += bytes(pages_off - len(s)) + bytes(range(256)) * (used // 256)
    s += be64(0x10) + b"\x7e" + be32(1) + b"\x00"
    seeds["synthetic-mapped-ram.qevm"] = s
    # old-style section without footers and without a trailer entry
    s = HEADER + config() + section(4, 0, b"\x01" * 9, name="slirp", footer=False) + b"\x00"
    seeds["synthetic-nofooter.qevm"] = s
    # live sections written by hand: ppc64's hash page table, s390x's storage attributes
    s = HEADER + config("pseries-7.2") + section(1, 1, be32(18), name="spapr/htab")
    s += section(2, 1, be32(0) + be32(40) + be16(2) + be16(3) + bytes(range(32)) +
                 be32(0) + be16(0) + be16(0))
    s += section(3, 1, be32(0xffffffff))
    s += section(1, 2, be64(0x01), name="s390-storage_attributes", version=0)
    s += section(2, 2, be64((5 << 12) | 0x02) + be64(3) + b"\x01\x02\x03" + be64(0x01))
    s += section(3, 2, be64(0x08) + be64(0x01)) + b"\x00"
    seeds["synthetic-live-htab-stattrib.qevm"] = s
    return seeds


# ------------------------------------------------------------ from real streams

def synthetic_vmdesc():
    """fuzz-vmdesc seeds for a hand-written payload that small real streams do not carry:
    SCSI request lists (src/decode-scsi-requests.c) as put_scsi_requests() writes them, with
    no HBA part and with virtio-scsi's (queue index + 49168-byte element)."""
    def req(marker, op, hba, part, buflen=0, data=b""):
        r = bytes([marker, op]) + bytes(15) + be32(7) + be32(0)
        if hba:
            r += be32(0) + bytes(hba - 4)
        if part:
            r += be64(100) + be32(0) + be32(buflen) + data
        return r
    lists = {
        "scsi-requests-emulated": req(1, 0x35, 0, True, 4096) +
        req(2, 0x28, 0, True, 8, be32(3) + b"abc") + b"\0",
        "scsi-requests-emulated-nopart": req(1, 0x35, 0, False) + req(1, 0x2a, 0, True) + b"\0",
        "scsi-requests-virtio": req(1, 0x35, 4 + 49168, True, 4096) + b"\0",
    }
    seeds = {}
    for name, lst in lists.items():
        flags = ("media_changed", "media_event", "eject_request", "tray_open", "tray_locked")
        fields = [{"name": "requests", "type": "scsi-requests", "size": len(lst)}] + \
            [{"name": n, "type": "bool", "size": 1} for n in flags]
        e = {"name": "dev", "instance_id": 0, "vmsd_name": "scsi-disk", "version": 1,
             "fields": fields}
        j = json.dumps({"page_size": 4096, "devices": [e]}, separators=(",", ":")).encode()
        payload = lst + bytes(len(flags))
        seeds[name + ".bin"] = be32(len(payload))[1:] + payload + j
    return seeds


def small_sections(doc, limit):
    return [s for s in doc["sections"] if s["type"] == "full"
            and s["length"] <= limit]


def real_seeds(vi_bin, paths, tmp):
    stream_seeds, vmdesc_seeds = {}, {}
    tiny_best = None
    seen_desc = set()
    for p in paths:
        data = mutate.load_stream(p)
        doc = mutate.dump_json(vi_bin, data, tmp)
        if not doc or doc.get("error"):
            print("skipping %s: it does not decode cleanly" % p)
            continue
        name = short_name(p)
        small = mutate.shrink(data, doc)
        sdoc = mutate.dump_json(vi_bin, small, tmp) if small else None
        if not sdoc or sdoc.get("error"):
            print("skipping %s: shrinking failed" % p)
            continue
        # tiny: the first few small sections plus one with subsections
        fulls = small_sections(sdoc, 300)
        keep = {s["offset"] for s in fulls[:4]}
        withsub = [s for s in sdoc["sections"] if s["type"] == "full"
                   and s.get("length", 0) < 700 and any(
                       n.get("type") == "subsection" for n in mutate.walk_nodes(s))]
        if withsub:
            keep.add(withsub[0]["offset"])
        tiny = mutate.subset(small, sdoc, lambda s: s["offset"] in keep)
        if tiny and len(tiny) <= MAX_SEED:
            stream_seeds[name + "-tiny.qevm"] = tiny
            if tiny_best is None or len(tiny) < len(tiny_best):
                tiny_best = tiny
        # virtio: the smallest virtio device section (decode-virtio.c decodes it)
        virt = sorted((s for s in sdoc["sections"] if s["type"] == "full"
                       and "virtio" in s["name"]), key=lambda s: s["length"])
        if virt and any(k in name for k in MID_FROM):
            vo = virt[0]["offset"]
            vs = mutate.subset(small, sdoc, lambda s: s["offset"] in keep or s["offset"] == vo)
            if vs and len(vs) <= MAX_SEED + 20000:
                stream_seeds[name + "-virtio.qevm"] = vs
        # mid: every section under 2 KB (with one normal page), for a few
        if not any(k in name for k in MID_FROM):
            small_p = None
        else:
            small_p = mutate.shrink(data, doc, with_page=True)
        pdoc = mutate.dump_json(vi_bin, small_p, tmp) if small_p else None
        if pdoc and not pdoc.get("error"):
            keep2 = {s["offset"] for s in small_sections(pdoc, 2048)}
            mid = mutate.subset(small_p, pdoc, lambda s: s["offset"] in keep2)
            if mid and len(mid) <= MAX_SEED:
                stream_seeds[name + "-mid.qevm"] = mid
        # one vmdesc seed per distinct (vmsd, payload length)
        tr = mutate.trailer(sdoc, small)
        if not tr:
            continue
        devices = [d for d in tr[1].get("devices", []) if isinstance(d, dict)]
        ps = tr[1].get("page_size", 4096)
        di = 0
        for s in sdoc["sections"]:
            if s["type"] != "full" or s.get("decoded_by") != "vmdesc":
                continue
            entry = next((d for d in devices[di:] if d.get("name") == s["name"]
                          and d.get("instance_id") == s["instance_id"]), None)
            if entry is None:
                continue
            di = devices.index(entry) + 1
            plen = s["payload_length"]
            key = (entry.get("vmsd_name"), plen)
            if plen > 0x7fffff or key in seen_desc:
                continue
            seen_desc.add(key)
            e = dict(entry, name="dev", instance_id=0)
            j = json.dumps({"page_size": ps, "devices": [e]}, separators=(",", ":")).encode()
            payload = small[s["payload_offset"]:s["payload_offset"] + plen]
            seed = be32(plen)[1:] + payload + j
            if len(seed) <= MAX_SEED:
                vmd = str(entry.get("vmsd_name") or s["name"]).replace("/", "_")
                vmdesc_seeds["%s-%d.bin" % (vmd, plen)] = seed
    return stream_seeds, vmdesc_seeds, tiny_best


def libvirt(payload, version=2, fmt=0, data_len=256, magic=b"LibvirtQemudSave",
            swap=False):
    xml = b"<domain type='kvm'><name>fuzz</name></domain>\x00"
    words = [version, data_len, 1, fmt, 0] + [0] * 14
    pack = ">" if swap else "<"
    hdr = magic + struct.pack(pack + "19I", *words)
    return hdr + (xml + bytes(data_len))[:data_len] + payload


def qcow2(stream, disk_size=1 << 20):
    """A qcow2 v3 image (512-byte clusters) with one snapshot whose VM state is `stream`:
    header, snapshot table, the snapshot's L1 table, one L2 table, the state's clusters
    (block/qcow2.h qcow2_vm_state_offset: the VM state starts past the disk, at what one
    L1 entry covers rounded up)."""
    cb, cs = 9, 512
    per_l1 = cs * (cs // 8)
    l1_index = (disk_size + per_l1 - 1) // per_l1
    nclusters = (len(stream) + cs - 1) // cs
    table, l1_off, l2_off, data_off = cs, 2 * cs, 3 * cs, 4 * cs
    hdr = b"QFI\xfb" + be32(3) + be64(0) + be32(0) + be32(cb) + be64(disk_size)
    hdr += be32(0) + be32(0) + be64(0) + be64(0) + be32(0) + be32(1) + be64(table)
    hdr += be64(0) * 3 + be32(4) + be32(104)
    snap = be64(l1_off) + be32(l1_index + 1) + be16(1) + be16(1) + be32(0) + be32(0)
    snap += be64(0) + be32(len(stream)) + be32(16) + be64(len(stream)) + be64(disk_size)
    snap += b"1s"
    l1 = bytes(8 * l1_index) + be64(l2_off | (1 << 63))
    l2 = b"".join(be64((data_off + i * cs) | (1 << 63)) for i in range(nclusters))
    img = hdr.ljust(table, b"\0") + snap.ljust(cs, b"\0") + l1.ljust(cs, b"\0")
    img += l2.ljust(cs, b"\0") + stream.ljust(nclusters * cs, b"\0")
    return img


def input_seeds(tiny):
    xz = lambda b: lzma.compress(b, format=lzma.FORMAT_XZ, preset=1)
    return {
        "raw.bin": b"\x00" + tiny,
        "raw-pipe-walk.bin": b"\x03" + tiny,
        "xz.bin": b"\x00" + xz(tiny),
        "xz-pipe.bin": b"\x01" + xz(tiny),
        "xz-in-xz-walk.bin": b"\x02" + xz(xz(tiny)),
        "libvirt-raw.bin": b"\x00" + libvirt(tiny),
        "libvirt-raw-walk.bin": b"\x02" + libvirt(tiny),
        "libvirt-v1.bin": b"\x00" + libvirt(tiny, version=1, fmt=3),
        "libvirt-xz-walk.bin": b"\x02" + libvirt(xz(tiny), fmt=3),
        "libvirt-xz-pipe.bin": b"\x01" + libvirt(xz(tiny), fmt=3),
        "libvirt-swapped.bin": b"\x00" + libvirt(tiny, swap=True),
        "libvirt-gzip.bin": b"\x00" + libvirt(tiny[:64], fmt=1),
        "libvirt-sparse.bin": b"\x00" + libvirt(tiny, fmt=6),
        "libvirt-partial.bin": b"\x00" + libvirt(tiny[:64], magic=b"LibvirtQemudPart"),
        "libvirt-short.bin": b"\x00" + libvirt(b"")[:60],
        "xz-libvirt.bin": b"\x00" + xz(libvirt(tiny)),
        "qcow2.bin": b"\x00QFI\xfb" + be32(3) + bytes(96),
        "qcow2-savevm-walk.bin": b"\x02" + qcow2(tiny),
        "empty.bin": b"\x00",
        # the other filters, alone and as libvirt payloads (formats 1, 2, 4, 5)
        "gzip.bin": b"\x00" + gzip.compress(tiny, mtime=0),
        "gzip-pipe-walk.bin": b"\x03" + gzip.compress(tiny, mtime=0),
        "bzip2.bin": b"\x00" + bz2.compress(tiny),
        "libvirt-gzip-walk.bin": b"\x02" + libvirt(gzip.compress(tiny, mtime=0), fmt=1),
        "libvirt-bzip2.bin": b"\x00" + libvirt(bz2.compress(tiny), fmt=2),
        **{name: mode + (libvirt(tool_pack(cmd, tiny), fmt=fmt) if fmt else tool_pack(cmd, tiny))
           for name, mode, cmd, fmt in (("zstd.bin", b"\x00", ["zstd", "-q", "-c"], 0),
                                        ("libvirt-zstd.bin", b"\x00", ["zstd", "-q", "-c"], 5),
                                        ("lzop.bin", b"\x00", ["lzop", "-c"], 0),
                                        ("libvirt-lzop-walk.bin", b"\x02", ["lzop", "-c"], 4))
           if shutil.which(cmd[0])},
    }


def tool_pack(cmd, data):
    """data compressed by a real tool (zstd, lzop: no module in the stdlib)"""
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


SEP = b"\n@@@@\n"


def dump_vmstate_files():
    d = os.path.join(os.environ.get("VI_SHARED_CORPUS") or os.path.join(
        os.path.dirname(os.path.dirname(HERE)), "..", "shared", "corpus"), "schemas")
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".json"))


def dump_piece(doc, names):
    out = {"vmschkmachine": doc.get("vmschkmachine", {"Name": "pc"})}
    for n in names:
        if n in doc:
            out[n] = doc[n]
    return json.dumps(out, separators=(",", ":")).encode()


def hostile_dumps():
    """-dump-vmstate documents of the classes a hostile diff/import meets."""
    sub = {"name": "d/s", "version_id": 1, "minimum_version_id": 1,
           "Fields": [{"field": "x", "version_id": 0, "field_exists": False, "size": 4}]}
    same = {"vmschkmachine": {"Name": "pc"},
            "dev": {"version_id": 1, "minimum_version_id": 1,
                    "Description": {"name": "d", "version_id": 1, "minimum_version_id": 1,
                                    "Fields": [], "Subsections": [sub] * 40}}}
    shared = {"vmschkmachine": {"Name": "pc"}}
    for i in range(40):
        shared["t%d" % i] = {"version_id": 1, "minimum_version_id": 1,
                             "Description": {"name": "v", "version_id": 1,
                                             "minimum_version_id": 1, "Fields": []}}
    big = {"vmschkmachine": {"Name": "pc"},
           "dev": {"version_id": 1, "minimum_version_id": 1,
                   "Description": {"name": "d", "version_id": 1, "minimum_version_id": 1,
                                   "Fields": [{"field": "a", "version_id": 0,
                                               "field_exists": False, "size": 2147483647,
                                               "num": 2147483647}]}}}
    big2 = json.loads(json.dumps(big))
    big2["dev"]["Description"]["Fields"][0]["size"] = 1
    j = lambda d: json.dumps(d, separators=(",", ":")).encode()
    return {"hostile-same-subsections.bin": j(same) + SEP + j(same),
            "hostile-shared-vmsd.bin": j(shared) + SEP + j(shared),
            "hostile-size-overflow.bin": j(big) + SEP + j(big2)}


def diff_seeds():
    seeds = hostile_dumps()
    files = dump_vmstate_files()
    old = [f for f in files if "qemu7.2" in f]
    new = [f for f in files if "qemu10.0" in f]
    if not old or not new:
        return seeds
    a = json.load(open(old[0]))
    b = json.load(open(new[0]))
    common = sorted(k for k in a if k in b and k != "vmschkmachine")
    for i in range(0, min(len(common), 120), 4):
        names = common[i:i + 4]
        seed = dump_piece(a, names) + SEP + dump_piece(b, names)
        if len(seed) <= MAX_SEED:
            seeds["dump-%03d.bin" % i] = seed
    return seeds


def schema_seeds(streams):
    """The smallest streams with a trailer, each after the -dump-vmstate
    entries of the vmsds it names."""
    files = dump_vmstate_files()
    withdesc = sorted((len(b), n, b) for n, b in streams.items() if b'"devices"' in b)[:4]
    if not files or not withdesc:
        return {}
    doc = json.load(open(files[0]))
    seeds = {}
    for _, n, stream in withdesc:
        names = [k for k, v in doc.items() if isinstance(v, dict) and
                 isinstance(v.get("Description"), dict) and
                 ('"%s"' % v["Description"].get("name", "")).encode() in stream]
        seed = dump_piece(doc, names[:30]) + SEP + stream
        if len(seed) <= MAX_SEED:
            seeds[n] = seed
    return seeds


def container_seeds(inputs, magic):
    """fuzz-libvirt / fuzz-qcow2 inputs from fuzz-input's: walk bit moves to bit 0."""
    out = {}
    for n, b in inputs.items():
        if b[1:1 + len(magic)] == magic:
            out[n] = bytes([(b[0] >> 1) & 1]) + b[1 + len(magic):]
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    vi_bin = sys.argv[1]
    paths = sys.argv[2:]
    if not paths:
        src = os.path.dirname(os.path.dirname(HERE))
        paths = mutate.find_streams(src, os.path.join(src, "..", "shared", "corpus"))
    # dedupe by content
    uniq, seen = [], set()
    for p in paths:
        h = hashlib.sha256(mutate.load_stream(p)).hexdigest()
        if h not in seen:
            seen.add(h)
            uniq.append(p)
    with tempfile.TemporaryDirectory(prefix="vi-seeds.") as tmp:
        stream_seeds, vmdesc_seeds, tiny = real_seeds(vi_bin, uniq, tmp)
    stream_seeds.update(synthetic())
    vmdesc_seeds.update(synthetic_vmdesc())
    dirs = ("corpus-stream", "corpus-vmdesc", "corpus-input", "corpus-libvirt",
            "corpus-qcow2", "corpus-diff", "corpus-schema")
    for d in dirs:
        full = os.path.join(HERE, d)
        if os.path.isdir(full):
            for f in os.listdir(full):
                os.unlink(os.path.join(full, f))
    for n, b in sorted(stream_seeds.items()):
        write("corpus-stream", n, b)
    for n, b in sorted(vmdesc_seeds.items()):
        write("corpus-vmdesc", n, b)
    if tiny:
        for n, b in sorted(input_seeds(tiny).items()):
            write("corpus-input", n, b)
        for n, b in sorted(container_seeds(input_seeds(tiny), b"LibvirtQemudSave").items()):
            write("corpus-libvirt", n, b)
        for n, b in sorted(container_seeds(input_seeds(tiny), b"QFI\xfb").items()):
            write("corpus-qcow2", n, b)
    for n, b in sorted(diff_seeds().items()):
        write("corpus-diff", n, b)
    for n, b in sorted(schema_seeds(stream_seeds).items()):
        write("corpus-schema", n, b)
    total = 0
    for d in dirs:
        full = os.path.join(HERE, d)
        files = os.listdir(full) if os.path.isdir(full) else []
        size = sum(os.path.getsize(os.path.join(full, f)) for f in files)
        total += size
        print("%s: %d seeds, %d bytes" % (d, len(files), size))
    print("total %d bytes" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
