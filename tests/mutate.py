#!/usr/bin/env python3
"""mutate.py - hostile variants of real streams must never crash the tool.

With a fixed seed, every stream in tests/data/*.qevm.xz and (when present)
the shared corpus's streams/*.qevm is varied: random byte flips, truncations,
inflated length fields (section-name length bytes, be32 section/instance/
version words, the configuration name length, subsection name lengths,
command and PACKAGED lengths, the VMDESCRIPTION length, MEM_SIZE totals,
RAMBlock lengths) and structured edits of the VMDESCRIPTION JSON.  Where the
fields lie is learnt from `dump --format json` of the original.

Most variants are made from a "shrunk" copy of each stream (RAM PART/END
payloads replaced by a few page records and EOS, everything else byte-exact),
so a run costs milliseconds; a few are made from the full stream so that the
RAM walker sees real page records.

Each variant is run as `VI_BIN dump`, `VI_BIN dump --format json`,
`VI_BIN check --target qemu-10.0/x86_64` and `VI_BIN report --format json
--target qemu-10.0/x86_64` (schemas from $VMSTATE_INSPECT_SCHEMAS, else
SRCDIR/schemas; --no-check leaves the last two out)
with a timeout.  A run fails if it exits outside 0-3, dies by a signal,
times out, or prints a sanitizer report.  Failing variants are saved
(--save) with a line saying how they were made.  Exit: 0 pass, 1 failures, 77 nothing to do.

Also a small library: make-seeds.py (tests/fuzz) imports load_stream,
dump_json, shrink and subset.  Python 3 standard library only.
"""
import argparse
import json
import lzma
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SAN_MARKERS = (b"runtime error", b"AddressSanitizer", b"LeakSanitizer",
               b"UndefinedBehaviorSanitizer", b"MemorySanitizer",
               b"ThreadSanitizer", b"ERROR: libFuzzer")

RAM_ZERO, RAM_MEM_SIZE, RAM_PAGE, RAM_EOS, RAM_CONTINUE = 0x02, 0x04, 0x08, 0x10, 0x20


def be16(v):
    return struct.pack(">H", v & 0xffff)


def be32(v):
    return struct.pack(">I", v & 0xffffffff)


def be64(v):
    return struct.pack(">Q", v & 0xffffffffffffffff)


def load_stream(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        data = lzma.decompress(data)
    return data


def run_tool(vi_bin, path, args, timeout, command="dump"):
    """Run the tool; returns (exit code or None on timeout, stdout, stderr)."""
    try:
        p = subprocess.run([vi_bin, command] + args + [path], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", e.stderr or b""


def dump_json(vi_bin, data, tmpdir, timeout=30):
    """The JSON view of a stream given as bytes, or None."""
    path = os.path.join(tmpdir, "probe.qevm")
    with open(path, "wb") as f:
        f.write(data)
    rc, out, _ = run_tool(vi_bin, path, ["--format", "json"], timeout)
    os.unlink(path)
    if rc is None:
        return None
    try:
        return json.loads(out)
    except ValueError:
        return None


# ------------------------------------------------------------ stream layout

def walk_nodes(node, depth=0):
    """Every node of a JSON view subtree (dicts with offset/length)."""
    if isinstance(node, dict):
        if "offset" in node and "length" in node:
            yield node
        for k, v in node.items():
            if isinstance(v, (dict, list)) and k != "value":
                yield from walk_nodes(v, depth + 1)
    elif isinstance(node, list):
        for v in node:
            yield from walk_nodes(v, depth + 1)


def records(doc):
    """Top-level records (sections, commands) in stream order."""
    recs = [("s", s) for s in doc.get("sections") or []]
    recs += [("c", c) for c in doc.get("commands") or []]
    return sorted(recs, key=lambda r: r[1]["offset"])


def length_fields(data, doc):
    """(offset, width, label) of every length-like field the view lets us find."""
    out = []
    size = len(data)

    def add(off, width, label):
        if 0 <= off and off + width <= size:
            out.append((off, width, label))

    cfg = doc.get("configuration")
    if cfg:
        add(cfg["offset"] + 1, 4, "configuration name length")
        for sub in cfg.get("subsections") or []:
            add(sub["offset"] + 1, 1, "configuration subsection name length")
        for n in walk_nodes(cfg):
            if n.get("name") == "caps_count":
                add(n["offset"], 4, "capability count")
            if n.get("type") == "capability" and n.get("name", "").startswith("["):
                add(n["offset"], 1, "capability name length")
    for kind, r in records(doc):
        off = r["offset"]
        if kind == "c":
            add(off + 1, 2, "command number")
            add(off + 3, 2, "command length")
            if r.get("command") == 7:
                add(off + 5, 4, "PACKAGED length")
            continue
        add(off + 1, 4, "section id")
        if r["type"] in ("start", "full") and off + 5 < size:
            nlen = data[off + 5]
            add(off + 5, 1, "section name length")
            add(off + 6 + nlen, 4, "instance id")
            add(off + 10 + nlen, 4, "section version")
        for n in walk_nodes(r.get("fields") or []):
            if n.get("type") == "ramblock list":
                add(n["offset"], 8, "MEM_SIZE total")
            elif n.get("type") == "ramblock" and n["offset"] < size:
                nlen = data[n["offset"]]
                add(n["offset"], 1, "RAMBlock name length")
                add(n["offset"] + 1 + nlen, 8, "RAMBlock length")
        for n in walk_nodes(r.get("subsections") or []):
            if n.get("type") == "subsection":
                add(n["offset"] + 1, 1, "subsection name length")
        if r.get("footer"):
            add(r["footer"]["offset"] + 1, 4, "footer section id")
    vmd = doc.get("vmdesc")
    if vmd:
        add(vmd["offset"] + 1, 4, "VMDESCRIPTION length")
    return out


def structural_ranges(doc, size):
    """Byte ranges worth flipping: everything except bulk RAM page data."""
    ranges = []
    for kind, r in records(doc):
        if kind == "s" and r["name"] == "ram" and r["type"] in ("part", "end") \
                and r["length"] > 4096:
            ranges.append((r["offset"], r["offset"] + 64))
            ranges.append((r["offset"] + r["length"] - 64, r["offset"] + r["length"]))
        else:
            ranges.append((r["offset"], r["offset"] + r["length"]))
    cfg = doc.get("configuration")
    ranges.append((0, cfg["offset"] + cfg["length"] if cfg else 8))
    for key in ("eof", "vmdesc"):
        if doc.get(key):
            ranges.append((doc[key]["offset"], doc[key]["offset"] + doc[key]["length"]))
    return [(a, min(b, size)) for a, b in ranges if a < min(b, size)]


def trailer(doc, data):
    """(offset of the 0x06 byte, parsed JSON) of the vmdesc trailer, or None."""
    vmd = doc.get("vmdesc")
    if not vmd:
        return None
    off = vmd["offset"]
    try:
        return off, json.loads(data[off + 5:].decode("utf-8"))
    except ValueError:
        return None


def with_trailer(prefix, desc):
    j = json.dumps(desc, separators=(",", ":")).encode()
    return bytes(prefix) + b"\x06" + be32(len(j)) + j


# ------------------------------------------------------------ shrinking

def ram_block_names(data, doc):
    names = []
    for kind, r in records(doc):
        if kind == "s" and r["name"] == "ram":
            for n in walk_nodes(r.get("fields") or []):
                if n.get("type") == "ramblock":
                    off = n["offset"]
                    nlen = data[off]
                    used = struct.unpack(">Q", data[off + 1 + nlen:off + 9 + nlen])[0]
                    names.append((data[off + 1:off + 1 + nlen], used))
    return names


def page_size_of(doc):
    for src in (doc.get("ram"), doc.get("vmdesc")):
        if src and src.get("page_size"):
            return src["page_size"]
    return 4096


def ram_records(data, doc, with_page):
    """A few page records for the first RAMBlock: two ZERO pages and,
    if with_page, one normal page; or nothing if there is no block."""
    blocks = ram_block_names(data, doc)
    ps = page_size_of(doc)
    if not blocks or blocks[0][1] < 3 * ps:
        return b""
    name = blocks[0][0]
    out = be64(RAM_ZERO) + bytes([len(name)]) + name + b"\x00"
    out += be64(ps | RAM_CONTINUE | RAM_ZERO) + b"\x00"
    if with_page:
        out += be64(2 * ps | RAM_CONTINUE | RAM_PAGE) + bytes(range(256)) * (ps // 256)
    return out


def shrink(data, doc, with_page=False):
    """The stream with RAM PART/END payloads cut down to a few records and
    EOS; every other byte kept.  None if the view does not allow it."""
    if not doc or doc.get("error") or not doc.get("eof"):
        return None
    recs = records(doc)
    if any(kind == "c" and r.get("command") == 7 for kind, r in recs):
        return None     # PACKAGED: records nest, keep as is
    if not recs:
        return None
    out = bytearray(data[:recs[0][1]["offset"]])
    pos = recs[0][1]["offset"]
    pages_done = False
    for kind, r in recs:
        off, length = r["offset"], r["length"]
        if off != pos:
            return None
        if kind == "s" and r["name"] == "ram" and r["type"] in ("part", "end"):
            out += data[off:off + 5]
            if not pages_done:
                out += ram_records(data, doc, with_page)
                pages_done = True
            out += be64(RAM_EOS)
            if r.get("footer"):
                out += data[off + length - 5:off + length]
        else:
            out += data[off:off + length]
        pos = off + length
    if doc["eof"]["offset"] != pos:
        return None
    out += data[pos:]
    return bytes(out)


def subset(data, doc, keep):
    """The stream with only the FULL sections for which keep(section) is
    true, and only their VMDESCRIPTION entries.  None if not possible."""
    if not doc or doc.get("error") or not doc.get("eof"):
        return None
    tr = trailer(doc, data)
    devices = list(tr[1].get("devices", [])) if tr else None
    drop = []
    out = bytearray()
    pos = 0
    for kind, r in records(doc):
        off, length = r["offset"], r["length"]
        if kind == "c" and r.get("command") == 7:
            return None
        out += data[pos:off]
        pos = off + length
        if kind == "s" and r["type"] == "full" and not keep(r):
            drop.append(r)
            continue
        out += data[off:pos]
    eof = doc["eof"]["offset"]
    out += data[pos:eof + 1]
    if tr is None:
        return bytes(out) + data[eof + 1:]
    for r in drop:
        if r.get("decoded_by") != "vmdesc":
            continue
        for i, d in enumerate(devices):
            if isinstance(d, dict) and d.get("name") == r["name"] and \
                    d.get("instance_id") == r["instance_id"]:
                del devices[i]
                break
    desc = dict(tr[1])
    desc["devices"] = devices
    return with_trailer(out, desc)


# ------------------------------------------------------------ mutations

INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x10,
                     0x20, 0x7e, 0x7f, 0x80, 0xfe, 0xff)


def inflate(data, off, width, rng):
    v = int.from_bytes(data[off:off + width], "big")
    rest = len(data) - off
    top = (1 << (8 * width)) - 1
    cands = [v + 1, 2 * v + 1, top, top >> 1, (top >> 1) + 1, rest, rest + 1,
             v + 4096, v + (1 << 20), 0]
    if width == 8:
        # keep the flag bits of a RAM word, inflate the address part
        flags = v & 0xfff
        cands += [(v & ~0xfff) * 2 | flags, (1 << 63) | flags, (top & ~0xfff) | flags,
                  ((v & ~0xfff) + 0x1000) | flags]
    nv = rng.choice(cands) & top
    if nv == v:
        nv = (v + 1) & top
    b = bytearray(data)
    b[off:off + width] = nv.to_bytes(width, "big")
    return bytes(b), "0x%x -> 0x%x" % (v, nv)


def flip(data, ranges, rng):
    b = bytearray(data)
    n = rng.randint(1, 8)
    where = []
    for _ in range(n):
        if ranges and rng.random() < 0.8:
            a, e = rng.choice(ranges)
            off = rng.randrange(a, e)
        else:
            off = rng.randrange(len(b))
        if rng.random() < 0.5:
            b[off] ^= rng.randint(1, 255)
        else:
            b[off] = rng.choice(INTERESTING_BYTES)
        where.append(off)
    return bytes(b), "bytes at %s" % ",".join(str(w) for w in sorted(where))


def truncate(data, doc, rng):
    cuts = [rng.randrange(1, len(data))]
    for _, r in records(doc or {}):
        cuts += [r["offset"], r["offset"] + 1, r["offset"] + 5, r["offset"] + r["length"] - 1]
    if doc and doc.get("vmdesc"):
        v = doc["vmdesc"]["offset"]
        cuts += [v, v + 3, v + 6, len(data) - 1, len(data) - 100]
    cuts = [c for c in cuts if 0 < c < len(data)]
    c = rng.choice(cuts) if rng.random() < 0.7 else cuts[0]
    return data[:c], "truncated to %d bytes" % c


def edit_desc(desc, rng):
    """One structured edit of a parsed VMDESCRIPTION; returns a label."""
    devs = desc.get("devices")
    if not isinstance(devs, list) or not devs:
        desc["devices"] = [{"name": "x", "instance_id": 0, "fields": []}]
        return "devices replaced"
    dev = rng.choice(devs)
    fields = []
    for n in walk_desc_fields(dev):
        fields.append(n)
    what = rng.randrange(12)
    if what == 0 and fields:
        f = rng.choice(fields)
        f["size"] = rng.choice([0, f.get("size", 0) + 1, max(0, f.get("size", 1) - 1),
                                2147483647, 2147483648, -1, "4", 1 << 40])
        return "field size of %s" % f.get("name")
    if what == 1 and fields:
        f = rng.choice(fields)
        f["array_len"] = rng.choice([0, -1, 4096, 65536, 2147483647, 1 << 33, 2.5])
        return "array_len of %s" % f.get("name")
    if what == 2 and fields:
        f = rng.choice(fields)
        f["type"] = rng.choice(["struct", "vstruct", "tmp", "nullptr", "uint64",
                                "bool", "CPU_Double_U", 7, None])
        return "type of %s" % f.get("name")
    if what == 3 and fields:
        f = rng.choice(fields)
        f["struct"] = {"vmsd_name": "x", "fields": [dict(f, struct=None)]}
        return "struct nested in %s" % f.get("name")
    if what == 4:
        chain = {"fields": []}
        for i in range(rng.choice([31, 32, 33, 40])):
            chain = {"vmsd_name": "n%d" % i, "fields": [
                {"name": "n", "type": "struct", "size": 0, "struct": chain}]}
        dev.setdefault("fields", []).insert(0, {"name": "deep", "type": "struct",
                                                "size": 0, "struct": chain})
        return "deep nesting"
    if what == 5:
        dev.setdefault("subsections", []).append(
            rng.choice([{"vmsd_name": "bogus", "fields": []}, {"fields": []}, 5]))
        return "extra subsection"
    if what == 6:
        dev["fields"] = rng.choice(["fields", {}, None, [1, 2, 3], [{}]])
        return "fields replaced"
    if what == 7:
        desc["page_size"] = rng.choice([0, 1, 511, 3, 4096 * 3, 1 << 31, -4096, "4096"])
        return "page_size %r" % (desc["page_size"],)
    if what == 8 and len(devs) > 1:
        i, j = rng.sample(range(len(devs)), 2)
        devs[i], devs[j] = devs[j], devs[i]
        return "devices %d and %d swapped" % (i, j)
    if what == 9:
        dev["name"] = rng.choice([None, 0, "", "x" * 300, "\u00e9\u0000"])
        dev["instance_id"] = rng.choice([-1, 1 << 40, "0", None])
        return "device name/instance"
    if what == 10 and fields:
        f = rng.choice(fields)
        f["index"] = rng.choice([-1, 1 << 31, 5])
        f["name"] = rng.choice(["", "\u00ff" * 100, "a" * 1000, None])
        return "field name/index"
    del devs[rng.randrange(len(devs))]
    return "one device entry dropped"


def walk_desc_fields(d, depth=0):
    if depth > 40 or not isinstance(d, dict):
        return
    for f in d.get("fields") or [] if isinstance(d.get("fields"), list) else []:
        if isinstance(f, dict):
            yield f
            yield from walk_desc_fields(f.get("struct"), depth + 1)
    subs = d.get("subsections")
    if isinstance(subs, list):
        for s in subs:
            yield from walk_desc_fields(s, depth + 1)


def variants(name, data, doc, small, small_doc, rounds, rng):
    """Yield (label, bytes)."""
    base = [("full", data, doc)]
    if small is not None:
        base.append(("shrunk", small, small_doc))
    for r in range(rounds):
        for tag, d, dd in base:
            # full streams get RAM-related work only, shrunk ones everything
            lf = length_fields(d, dd) if dd else []
            ranges = structural_ranges(dd, len(d)) if dd else []
            if tag == "full" and small is not None:
                ram = [f for f in lf if f[2].startswith(("MEM_SIZE", "RAMBlock"))]
                if ram and r % 2 == 0:
                    off, w, label = rng.choice(ram)
                    m, how = inflate(d, off, w, rng)
                    yield "%s/%s: %s at %d: %s" % (name, tag, label, off, how), m
                if r % 3 == 0:
                    m, how = flip(d, ranges, rng)
                    yield "%s/%s: flip %s" % (name, tag, how), m
                continue
            for _ in range(3):
                m, how = flip(d, ranges, rng)
                yield "%s/%s: flip %s" % (name, tag, how), m
            m, how = truncate(d, dd, rng)
            yield "%s/%s: %s" % (name, tag, how), m
            for _ in range(4):
                if not lf:
                    break
                off, w, label = rng.choice(lf)
                m, how = inflate(d, off, w, rng)
                yield "%s/%s: %s at %d: %s" % (name, tag, label, off, how), m
            tr = trailer(dd, d) if dd else None
            if tr:
                desc = json.loads(json.dumps(tr[1]))
                how = edit_desc(desc, rng)
                yield "%s/%s: vmdesc edit: %s" % (name, tag, how), with_trailer(d[:tr[0]], desc)


# ------------------------------------------------------------ driver

def find_streams(srcdir, corpus):
    found = []
    ddir = os.path.join(srcdir, "tests", "data")
    if os.path.isdir(ddir):
        found += sorted(os.path.join(ddir, f) for f in os.listdir(ddir)
                        if f.endswith(".qevm.xz"))
    sdir = os.path.join(corpus, "streams") if corpus else None
    if sdir and os.path.isdir(sdir):
        found += sorted(os.path.join(sdir, f) for f in os.listdir(sdir)
                        if f.endswith(".qevm"))
    return found


CHECK_TARGET = "qemu-10.0/x86_64"


def check(vi_bin, path, timeout, schemas=None):
    """None if every run behaves, else a reason."""
    runs = [("dump", []), ("dump", ["--format", "json"])]
    if schemas is not None:
        runs.append(("check", ["--target", CHECK_TARGET] +
                     (["--schemas", schemas] if schemas else [])))
        runs.append(("report", ["--format", "json", "--target", CHECK_TARGET] +
                     (["--schemas", schemas] if schemas else [])))
    for command, args in runs:
        t0 = time.monotonic()
        rc, _, err = run_tool(vi_bin, path, args, timeout, command)
        what = " ".join([command] + args)
        if rc is None:
            return "%s: timed out after %.0f s" % (what, time.monotonic() - t0)
        if rc < 0:
            return "%s: killed by signal %d" % (what, -rc)
        if rc > 3:
            return "%s: exit code %d (outside 0-3)" % (what, rc)
        for m in SAN_MARKERS:
            if m in err:
                line = next((l for l in err.splitlines() if m in l), m)
                return "%s: sanitizer report: %s" % (what, line.decode("utf-8", "replace"))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vi_bin")
    ap.add_argument("srcdir")
    ap.add_argument("--corpus", default=os.environ.get("VI_CORPUS"),
                    help="shared corpus directory (default $VI_CORPUS or SRCDIR/../shared/corpus)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("MUTATE_SEED", "20240611")))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("MUTATE_ROUNDS", "2")))
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--save", default="mutate-failures",
                    help="directory for failing variants (created on failure)")
    ap.add_argument("--stream", action="append", help="only these stream files")
    ap.add_argument("--no-check", action="store_true",
                    help="run only dump, not check --target %s" % CHECK_TARGET)
    a = ap.parse_args()
    corpus = a.corpus or os.path.join(a.srcdir, "..", "shared", "corpus")
    paths = a.stream or find_streams(a.srcdir, corpus)
    if not os.path.isdir(os.path.join(corpus, "streams")) and not a.stream:
        print("shared corpus not found (%s): fixtures only" % corpus)
    if not paths:
        print("no streams found: nothing to mutate")
        return 77
    # check --target needs the schemas: $VMSTATE_INSPECT_SCHEMAS (make check
    # sets it), else SRCDIR/schemas, else the installed ones.
    schemas = None
    if not a.no_check:
        schemas = os.environ.get("VMSTATE_INSPECT_SCHEMAS") or ""
        if not schemas and os.path.isdir(os.path.join(a.srcdir, "schemas")):
            schemas = os.path.join(a.srcdir, "schemas")
        rc, _, err = run_tool(a.vi_bin, paths[0], ["--target", CHECK_TARGET] +
                              (["--schemas", schemas] if schemas else []), 60, "check")
        if rc is None or rc == 2:
            why = (err.decode("utf-8", "replace").strip().splitlines() or ["timed out"])[-1]
            print("check --target %s unusable (%s): dump only" % (CHECK_TARGET, why))
            schemas = None
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    failures = []
    nvar = 0
    t0 = time.monotonic()
    seen = set()
    with tempfile.TemporaryDirectory(prefix="vi-mutate.") as tmp:
        for p in paths:
            data = load_stream(p)
            digest = zlib.crc32(data)
            if digest in seen:
                continue
            seen.add(digest)
            name = os.path.basename(p)
            rng = random.Random("%d:%s" % (a.seed, name))
            doc = dump_json(a.vi_bin, data, tmp)
            small = shrink(data, doc)
            small_doc = dump_json(a.vi_bin, small, tmp) if small else None
            if small_doc is None or (small_doc.get("error") and not doc.get("error")):
                small, small_doc = None, None
            vpath = os.path.join(tmp, "variant.qevm")
            for label, m in variants(name, data, doc, small, small_doc, a.rounds, rng):
                nvar += 1
                with open(vpath, "wb") as f:
                    f.write(m)
                why = check(a.vi_bin, vpath, a.timeout, schemas)
                if why:
                    os.makedirs(a.save, exist_ok=True)
                    keep = os.path.join(a.save, "%03d.qevm" % len(failures))
                    with open(keep, "wb") as f:
                        f.write(m)
                    with open(keep + ".txt", "w") as f:
                        f.write("%s\n%s\n" % (label, why))
                    failures.append((label, why, keep))
                    print("FAIL %s\n     %s\n     saved as %s" % (label, why, keep))
    print("%d variants of %d streams (seed %d, %d rounds%s) in %.0f s: %d failures"
          % (nvar, len(seen), a.seed, a.rounds,
             ", dump, check and report --target " + CHECK_TARGET if schemas is not None else ", dump",
             time.monotonic() - t0, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
