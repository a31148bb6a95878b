#!/usr/bin/env python3
"""Bad input and bad usage: documented exit codes, one error line naming the
file and the byte offset, no crash, input left untouched.

Mutations are made from a real fixture stream (tests/data), at offsets taken
from the tool's own walk of the intact stream, so they land in the header,
the configuration, the RAM section, device sections, footers and trailer.
"""
import hashlib, json, lzma, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect  # noqa: E402

BIN = vt.need_bin()
FIXTURE = "v72-x86-q35-7.2-minimal.qevm.xz"
ERR_RE = re.compile(r"^vmstate-inspect: (.+): byte (\d+) \(0x([0-9a-f]+)\): (.+)$")


def run(args, stdin=None):
    return vt.run_bytes(*args, stdin=stdin, cpu=30)


def expect_input_error(name, path, lo, hi):
    """exit 3, one documented error line, offset within [lo, hi]."""
    rc, out, err = run(["dump", "--format", "json", path])
    lines = err.strip().splitlines()
    m = ERR_RE.match(lines[0]) if len(lines) == 1 else None
    if rc != 3 or not m:
        return expect(name, False, f"exit {rc}, stderr {err.strip()!r}")
    off = int(m.group(2))
    if m.group(1) != path or int(m.group(3), 16) != off:
        return expect(name, False, f"error line names {m.group(1)} / hex offset wrong")
    doc = json.loads(out)
    if doc["error"]["offset"] != off or doc["error"]["exit_code"] != 3:
        return expect(name, False, f"JSON error {doc['error']} disagrees with stderr")
    expect(name, lo <= off <= hi, f"offset {off} not in [{lo}, {hi}]: {m.group(4)}")


def main():
    src = os.path.join(sys.argv[1], FIXTURE)
    if not os.path.exists(src):
        print(f"fixture {src} missing")
        return 99
    raw = lzma.decompress(open(src, "rb").read())
    tmp = vt.tmpdir("vi-badinput.")
    good = os.path.join(tmp, "good.qevm")
    open(good, "wb").write(raw)
    before = hashlib.sha256(raw).hexdigest()
    rc, out, err = run(["dump", "--format", "json", good])
    assert rc == 0, err
    doc = json.loads(out)
    secs = doc["sections"]
    full = [s for s in secs if s["type"] == "full"]
    ram_part = next(s for s in secs if s["name"] == "ram" and s["type"] == "part")
    cfg, eof, vmd = doc["configuration"], doc["eof"], doc["vmdesc"]

    def mutant(name, data):
        p = os.path.join(tmp, name + ".qevm")
        open(p, "wb").write(data)
        return p

    def patched(off, new):
        return raw[:off] + new + raw[off + len(new):]

    # Header.
    expect_input_error("bad magic", mutant("magic", patched(3, b"X")), 0, 0)
    expect_input_error("version 2", mutant("v2", patched(4, b"\0\0\0\2")), 4, 4)
    expect_input_error("version 7", mutant("v7", patched(4, b"\0\0\0\7")), 4, 4)

    # Truncations, each inside a different part of the stream: the error
    # must point at the read that found the end (at or before the cut, at
    # or after the start of the record that was cut).
    cuts = {
        "magic": (2, 0), "version": (6, 4),
        "configuration": (cfg["offset"] + 7, cfg["offset"]),
        "RAM block list": (secs[0]["offset"] + 40, secs[0]["offset"]),
        "RAM page": (ram_part["offset"] + ram_part["length"] // 2, ram_part["offset"]),
        "device section": (full[3]["payload_offset"] + 2, full[3]["offset"]),
        "footer": (full[5]["footer"]["offset"] + 3, full[5]["offset"]),
        "before EOF": (eof["offset"], eof["offset"]),
        "trailer length": (vmd["offset"] + 3, vmd["offset"]),
        "trailer JSON": (vmd["offset"] + vmd["length"] // 2, vmd["offset"]),
    }
    for what, (cut, lo) in cuts.items():
        expect_input_error(f"truncated in {what}", mutant("cut%d" % cut, raw[:cut]), lo, cut)

    # Corrupted footers: the marker byte and the section id.
    f = full[7]["footer"]["offset"]
    expect_input_error("footer marker", mutant("fmark", patched(f, b"\x7f")), f, f)
    expect_input_error("footer id", mutant("fid", patched(f + 1, b"\x01\x02")), f, f + 1)
    # An unknown record type where a section starts.
    t = full[10]["offset"]
    expect_input_error("record type", mutant("rtype", patched(t, b"\x09")), t, t)
    # Trailer: a length that disagrees with the file, and broken JSON.
    v = vmd["offset"]
    expect_input_error("trailer length", mutant("vlen", patched(v + 1, b"\x7f\0\0\0")), v, v + 1)
    expect_input_error("trailer JSON", mutant("vjson", patched(v + 6, b"#")), v + 5, v + 7)
    # A huge RAMBlock length in the MEM_SIZE list.
    blk = secs[0]["fields"][0]["blocks"][0]
    lenoff = blk["offset"] + 1 + len(blk["name"])
    expect_input_error("RAMBlock length", mutant("blen", patched(lenoff, b"\xff" * 8)),
                       blk["offset"], lenoff + 8)

    # Not a stream at all, empty, missing, a directory.
    expect_input_error("text file", mutant("text", b"hello, this is not a stream\n"), 0, 0)
    empty = mutant("empty", b"")
    rc, _, err = run(["dump", empty])
    expect("empty file", rc == 3 and empty in err and err.count("\n") == 1, err)
    rc, _, err = run(["dump", os.path.join(tmp, "missing.qevm")])
    expect("missing file", rc == 3 and "cannot open" in err, err)
    rc, _, err = run(["dump", tmp])
    expect("directory", rc == 3 and "directory" in err, err)

    # Usage errors: exit 2.
    for name, args in {"no command": [], "unknown command": ["frobnicate"],
                       "no file": ["dump"], "two files": ["dump", good, good],
                       "bad format": ["dump", "--format", "xml", good],
                       "bad option": ["dump", "--bogus", good],
                       "unwritable output": ["dump", "-o", os.path.join(tmp, "no/such/dir"), good]}.items():
        rc, _, err = run(args)
        expect(f"usage: {name}", rc == 2 and err.strip() != "", f"exit {rc}: {err.strip()}")

    # Help and version succeed.
    for args in (["--help"], ["--version"], ["dump", "--help"]):
        rc, out, _ = run(args)
        expect("ok: " + " ".join(args), rc == 0 and out, f"exit {rc}")

    # A pipe gives the same decode as the file.
    rc, out_pipe, err = run(["dump", "--format", "json", "-"], stdin=raw)
    a, b = json.loads(out_pipe), doc
    a.pop("file"), b.pop("file")
    expect("stdin pipe", rc == 0 and a == b, err)

    # The input was never written.
    expect("input unchanged", hashlib.sha256(open(good, "rb").read()).hexdigest() == before)

    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
