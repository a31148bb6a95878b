#!/usr/bin/env python3
"""extract: every RAMBlock file of every fixture (and corpus stream) has the
stream's digest, recomputed here from the documented definition (man page,
RAM DIGESTS) with libxxhash through ctypes; hostile idstrs stay inside DIR;
nothing is overwritten; the input's own directory is refused."""
import ctypes
import ctypes.util
import glob
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check, run  # noqa: E402

VI = vt.need_bin()
SRC = vt.SRC
CORPUS = vt.CORPUS


class U128(ctypes.Structure):
    _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]


name = ctypes.util.find_library("xxhash")
if not name:
    vt.skip("libxxhash not found")
xx = ctypes.CDLL(name)
xx.XXH3_64bits.restype = ctypes.c_uint64
xx.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
xx.XXH3_128bits.restype = U128
xx.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def digest_file(path, page):
    """The documented digest of a block file."""
    parts = []
    size = os.path.getsize(path)
    zero = bytes(page)
    with open(path, "rb") as f:
        i = 0
        while True:
            buf = f.read(page)
            if not buf:
                break
            buf = buf.ljust(page, b"\0")
            if buf != zero:
                parts.append(struct.pack("<QQ", i, xx.XXH3_64bits(buf, page)))
            i += 1
    parts.append(struct.pack("<QQ", size, page))
    data = b"".join(parts)
    h = xx.XXH3_128bits(data, len(data))
    return "%016x%016x" % (h.high64, h.low64)


def extract_and_verify(stream, label):
    rc, out, err = run("dump", "--digests", "--format", "json", stream)
    if rc != 0:
        return None		# damaged on purpose (mutations): not extractable
    dumped = {b["name"]: b for b in json.loads(out)["ram"]["blocks"]}
    with tempfile.TemporaryDirectory(prefix="vi-extract.") as tmp:
        d = os.path.join(tmp, "out")
        rc, out, err = run("extract", d, stream)
        if not check(rc == 0, f"{label}: extract exits 0 ({rc}: {err.strip()})"):
            return False
        manifest = json.load(open(os.path.join(d, "blocks.json")))
        page = manifest["page_size"]
        json.load(open(os.path.join(d, "devices.json")))
        check(os.path.exists(os.path.join(d, "trailer.json")) ==
              ("vmdesc" in json.load(open(os.path.join(d, "devices.json"))) and
               json.load(open(os.path.join(d, "devices.json")))["vmdesc"] is not None),
              f"{label}: trailer.json exactly when the stream has a trailer")
        ok = True
        want = {n for n, b in dumped.items() if "xxh3_128" in b}
        got = {b["name"] for b in manifest["blocks"]}
        ok &= check(want == got, f"{label}: blocks extracted {sorted(got)} == {sorted(want)}")
        for b in manifest["blocks"]:
            path = os.path.join(d, b["file"])
            st = os.stat(path)
            ok &= check(st.st_size == dumped[b["name"]]["used_length"],
                        f"{label}: {b['file']} size")
            ok &= check(digest_file(path, page) == dumped[b["name"]]["xxh3_128"],
                        f"{label}: {b['file']} digest equals the stream's")
            # sparse: no more allocated than the non-zero pages (and a little)
            ok &= check(st.st_blocks * 512 <= b["nonzero_pages"] * page + 65536,
                        f"{label}: {b['file']} is sparse ({st.st_blocks * 512} bytes allocated)")
        return ok


def be32(v): return struct.pack(">I", v)
def be64(v): return struct.pack(">Q", v)
def cstr(s): return bytes([len(s)]) + s


def hostile_stream(names):
    """A stream with one RAMBlock per name, block i's page 1 filled with i+1."""
    PAGE = 4096
    out = b"QEVM" + be32(3) + b"\x07" + be32(10) + b"pc-q35-7.2"
    out += b"\x01" + be32(2) + cstr(b"ram") + be32(0) + be32(4)
    out += be64(len(names) * 2 * PAGE | 0x04)
    for n in names:
        out += cstr(n) + be64(2 * PAGE)
    out += be64(0x10) + b"\x7e" + be32(2)
    out += b"\x02" + be32(2)
    for i, n in enumerate(names):
        out += be64(PAGE | 0x08) + cstr(n) + bytes([i + 1]) * PAGE
        out += be64(0 | 0x02 | 0x20) + b"\x00"
    out += be64(0x10) + b"\x7e" + be32(2) + b"\x00"
    return out


def hostile():
    names = [b"../evil", b"a/b", b"/", b"..", b".", b".hidden", b"%2F", b"\x01\x1b[2J\x7f",
             b"x" * 255, b"/" * 255, b"/" * 254 + b"y", b"\xff\xfe", b"sp ace\ttab"]
    with tempfile.TemporaryDirectory(prefix="vi-extract.") as tmp:
        src = os.path.join(tmp, "in")
        os.mkdir(src)
        stream = os.path.join(src, "hostile.qevm")
        open(stream, "wb").write(hostile_stream(names))
        d = os.path.join(tmp, "out")
        rc, out, err = run("extract", d, stream)
        check(rc == 0, f"hostile: extract exits 0 ({rc}: {err.strip()})")
        check(sorted(os.listdir(tmp)) == ["in", "out"], f"hostile: nothing outside DIR: {os.listdir(tmp)}")
        check(os.listdir(src) == ["hostile.qevm"], "hostile: nothing beside the input")
        files = os.listdir(d)
        check(len(files) == len(names) + 2, f"hostile: {len(files)} files for {len(names)} blocks")
        for f in files:
            check(len(f.encode()) <= 255 and "/" not in f and f not in (".", "..") and not f.startswith(".")
                  and all(0x20 < ord(c) < 0x7f for c in f), f"hostile: safe file name {f!r}")
            check(os.path.isfile(os.path.join(d, f)) and not os.path.islink(os.path.join(d, f)),
                  f"hostile: {f!r} is a regular file")
        manifest = json.load(open(os.path.join(d, "blocks.json")))
        check(len({b["file"] for b in manifest["blocks"]}) == len(names), "hostile: one file per block")
        for i, b in enumerate(manifest["blocks"]):
            data = open(os.path.join(d, b["file"]), "rb").read()
            check(data == bytes(4096) + bytes([i + 1]) * 4096, f"hostile: contents of block {i}")
            check(digest_file(os.path.join(d, b["file"]), 4096) == b["xxh3_128"], f"hostile: digest of block {i}")

        # never overwrite: a second run fails, leaves the files as they were
        before = {f: os.stat(os.path.join(d, f)).st_mtime_ns for f in os.listdir(d)}
        rc, out, err = run("extract", d, stream)
        check(rc == 2 and "never overwrites" in err, f"hostile: second extract refused ({rc}: {err.strip()})")
        check(before == {f: os.stat(os.path.join(d, f)).st_mtime_ns for f in os.listdir(d)},
              "hostile: existing files untouched, none added")
        # an existing file in a fresh DIR: refused, and what was made is removed
        d2 = os.path.join(tmp, "out2")
        os.mkdir(d2)
        open(os.path.join(d2, "devices.json"), "w").write("mine")
        rc, out, err = run("extract", d2, stream)
        check(rc == 2 and os.listdir(d2) == ["devices.json"] and
              open(os.path.join(d2, "devices.json")).read() == "mine",
              f"hostile: clash leaves DIR as it was ({rc}, {os.listdir(d2)})")
        # the input's own directory, by any spelling
        for spelling in (src, src + "/", os.path.join(src, "..", "in")):
            rc, out, err = run("extract", spelling, stream)
            check(rc == 2 and os.listdir(src) == ["hostile.qevm"], f"hostile: input's dir {spelling} refused")
        # --block: that block only
        d3 = os.path.join(tmp, "out3")
        rc, out, err = run("extract", "--block", "../evil", d3, stream)
        check(rc == 0 and os.listdir(d3) == ["%2E.%2Fevil.ram"], f"hostile: --block ({rc}, {os.listdir(d3) if os.path.isdir(d3) else None})")
        rc, out, err = run("extract", "--block", "nope", os.path.join(tmp, "out4"), stream)
        check(rc == 2, f"hostile: unknown --block refused ({rc})")


def main():
    n = 0
    fixtures = sorted(glob.glob(os.path.join(SRC, "tests", "data", "*.xz")))
    for f in fixtures:
        r = extract_and_verify(f, os.path.basename(f))
        n += r is not None
    corpus = os.path.join(CORPUS, "manifest.json")
    if os.path.exists(corpus):
        for e in json.load(open(corpus)):
            if e["type"] == "stream":
                r = extract_and_verify(os.path.join(CORPUS, e["file"]), e["id"])
                n += r is not None
    else:
        print(f"no shared corpus at {CORPUS}: fixtures only")
    hostile()
    print(f"{n} streams extracted and verified; hostile names checked; {len(vt.failures)} failure(s)")
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
