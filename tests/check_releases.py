#!/usr/bin/env python3
"""check and report across releases, on the committed fixtures (no QEMU run).

- ARM ID registers (op0 3, op1 0, CRn 0) are constant under TCG: an incoming
  value other than the destination's own fails cpu_post_load, as a 5.2
  cortex-a57 stream does in QEMU 7.2 (ID_DFR0).  With --dest-stream check
  rejects with field-mismatch; without it, it cannot know the destination's
  value (the documented limit of tests/live/matrix.py, pinned here).
- An int32 the destination bounds ("int32 le" in its own trailer) is bounded
  whatever type the source's trailer gives it (11.1 writes
  cpreg_vmstate_array_len as a plain int32).
- A stream from a release that is not installed: with a --schemas directory
  holding only one release, report names the closest installed release and
  says the stream was written by another; check judges it against the
  installed target; dump decodes it fully from its trailer.
"""
import json, lzma, os, re, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect, run  # noqa: E402

BIN = vt.need_bin()
SRC = vt.SRC
DATA = vt.DATA


def dump(path):
    rc, out, _ = run("dump", "--format", "json", path)
    return json.loads(out)


def field(node, name):
    for f in node.get("fields", []):
        if f.get("name") == name:
            return f
    return None


def check_json(*args):
    rc, out, err = run("check", "--format", "json", *args)
    f = json.loads(out)["files"][0] if rc in (0, 1) else {}
    return rc, f, err


def first_error(f):
    return next((x for x in f.get("findings", []) if x["severity"] == "error"), {})


def id_registers(tmp):
    path = os.path.join(DATA, "v72-aarch64-virt-7.2-minimal.qevm.xz")
    raw = bytearray(lzma.decompress(open(path, "rb").read()))
    cpu = next(s for s in dump(path)["sections"] if s["name"] == "cpu")
    idx, val = field(cpu, "cpreg_vmstate_indexes"), field(cpu, "cpreg_vmstate_values")
    k = idx["value"].index(0x603000000013c00a)          # ID_DFR0_EL1
    off = val["offset"] + 8 * k
    old = int.from_bytes(raw[off:off + 8], "big")
    expect("ID_DFR0 found in the fixture", old == val["value"][k], f"{old:#x}")
    raw[off:off + 8] = (old ^ 0x60).to_bytes(8, "big")  # 5.2 vs 7.2: 0x3010066 / 0x3010006
    mut = os.path.join(tmp, "id-dfr0.qevm")
    open(mut, "wb").write(raw)
    rc, f, _ = check_json("--target", "qemu-7.2/aarch64", "--dest-stream", path, mut)
    e = first_error(f)
    expect("ID register differing from the destination's: field-mismatch", rc == 1 and
           f.get("failure_class") == "field-mismatch" and "ID register 0x603000000013c00a"
           in e.get("message", "") and f"value at byte {off}" in e.get("message", ""), str(e))
    rc, f, _ = check_json("--target", "qemu-7.2/aarch64", "--dest-stream", path, path)
    expect("same ID registers: accept", rc == 0, str(first_error(f)))
    rc, f, _ = check_json("--target", "qemu-7.2/aarch64", mut)
    expect("limit: without --dest-stream the ID register value is not known (accept)",
           rc == 0, str(first_error(f)))


def int32_bound(tmp):
    """The destination's int32 le bound applies to a source's plain int32."""
    path = os.path.join(DATA, "v100-aarch64-virt-10.0-minimal.qevm.xz")
    dest = os.path.join(DATA, "v72-aarch64-virt-7.2-minimal.qevm.xz")
    raw = lzma.decompress(open(path, "rb").read())
    old = b'"name": "cpreg_vmstate_array_len", "type": "int32 le"'
    new = b'"name": "cpreg_vmstate_array_len", "type": "int32"   '
    expect("the trailer names cpreg_vmstate_array_len int32 le", raw.count(old) >= 1)
    plain = os.path.join(tmp, "plain-int32.qevm")
    open(plain, "wb").write(raw.replace(old, new))   # as 11.1 writes it
    for name, p in (("int32 le", path), ("plain int32", plain)):
        rc, f, _ = check_json("--target", "qemu-7.2/aarch64", "--machine", "virt-7.2",
                              "--dest-stream", dest, p)
        e = next((x for x in f.get("findings", []) if x["class"] == "field-mismatch"), {})
        expect(f"10.0 stream ({name}) into 7.2: Invalid value ... <= 258",
               rc == 1 and re.match(r"Invalid value \d+ expecting positive value <= 258$",
                                    e.get("message", "")), str(e)[:300])


def only_release(tmp, rel):
    """A --schemas directory holding one release (every architecture of it)."""
    d = os.path.join(tmp, "only-" + rel)
    if os.path.isdir(d):
        return d
    shutil.copytree(os.path.join(SRC, "schemas", "qemu-" + rel), os.path.join(d, "qemu-" + rel))
    shutil.copytree(os.path.join(SRC, "schemas", "machines", "qemu-" + rel),
                    os.path.join(d, "machines", "qemu-" + rel))
    shutil.copy(os.path.join(SRC, "schemas", "compat-rules.json"), d)
    return d


def not_installed(tmp):
    """Streams of a release that is not installed (with only the other one)."""
    for rel, other, stream, how in (
            ("7.2", "10.0", "v100-x86-q35-10.0-minimal.qevm.xz", "newer"),
            ("10.0", "7.2", "v72-x86-q35-7.2-minimal.qevm.xz", "older"),
            ("10.0", "7.2", "v72-x86-i440fx-7.2-devices.qevm.xz", "older"),
            ("7.2", "10.0", "v100-aarch64-virt-10.0-minimal.qevm.xz", "newer"),
            ("10.0", "7.2", "v72-aarch64-virt-7.2-minimal.qevm.xz", "older")):
        d = only_release(tmp, rel)
        path = os.path.join(DATA, stream)
        arch = "aarch64" if "aarch64" in stream else "x86_64"
        rc, out, err = run("report", "--schemas", d, "--format", "json", path)
        doc = json.loads(out) if rc == 0 else {}
        r = doc.get("source", {}).get("release", {})
        targets = [t["target"] for t in r.get("by_target", [])]
        expect(f"{stream} with only {rel}: compared with {rel} alone", rc == 0 and
               f"qemu-{rel}/{arch}" in targets and
               all(t.startswith(f"qemu-{rel}/") for t in targets), f"exit {rc}: {targets} {err[:200]}")
        expect(f"{stream} with only {rel}: not written by it, closest qemu-{rel}/{arch}",
               r.get("consistent_with") == [] and r.get("closest") == f"qemu-{rel}/{arch}",
               str(r)[:400])
        rc, text, _ = run("report", "--schemas", d, path)
        line = next((l for l in text.splitlines() if l.startswith("  source ")), "")
        want = ("newer than the installed releases" if how == "newer" else
                "written by a release that is not installed")
        expect(f"{stream} with only {rel}: report says so ({how})",
               want in line and f"qemu-{rel}/{arch}" in line, line)
        # with every release installed, the stream's own release is named and
        # the one it was not written by is not (a later release that writes the
        # same versions, 11.1 for a pc-q35-10.0 stream, may be named too)
        rc, out, _ = run("report", "--format", "json", path)
        r = json.loads(out)["source"]["release"] if rc == 0 else {}
        cw = r.get("consistent_with") or []
        expect(f"{stream} with all installed: written by qemu-{other}/{arch}, not qemu-{rel}/{arch}",
               f"qemu-{other}/{arch}" in cw and f"qemu-{rel}/{arch}" not in cw, str(r)[:300])
        # check judges it against what is installed; dump decodes it whole
        rc, f, err = check_json("--schemas", d, "--target", f"qemu-{rel}/{arch}", path)
        expect(f"{stream}: check against installed {rel} gives a verdict",
               rc in (0, 1) and f.get("verdict") in ("accept", "reject"), f"exit {rc} {err}")
        rc, out, _ = run("dump", "--format", "json", path)
        doc = json.loads(out) if rc == 0 else {}
        undecoded = [x["name"] for x in doc.get("sections", []) if x.get("decoded_by") == "none"]
        expect(f"{stream}: dump decodes every section from its trailer",
               rc == 0 and not undecoded and doc.get("undecoded_bytes") in (0, None),
               f"exit {rc} {undecoded[:5]} {doc.get('undecoded_bytes')}")


def main():
    tmp = vt.tmpdir("vi-rel.")
    have = lambda t: run("check", "--target", t, "/dev/null")[0] != 2
    if not all(have(t) for t in ("qemu-7.2/aarch64", "qemu-10.0/aarch64")):
        vt.skip("check_releases: shipped aarch64 targets missing")
    id_registers(tmp)
    int32_bound(tmp)
    not_installed(tmp)
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
