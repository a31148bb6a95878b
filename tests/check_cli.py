#!/usr/bin/env python3
"""check, diff, machines and schema loading, on the repository's own data.

- Schemas are input too: malformed, deeply nested, huge or mistyped schema
  JSON, unknown targets and machine types give exit 2 and one clear line.
- check on the real fixtures of tests/data against the shipped schemas:
  same release accepts; byte mutations aimed at each class are rejected
  with that class at the mutated byte; the JSON, SARIF 2.1.0 and JUnit
  outputs are well formed and say the same thing.
- diff of the shipped 7.2 and 10.0 x86_64 schemas runs both ways.
"""
import json, lzma, os, subprocess, sys, tempfile, xml.etree.ElementTree as ET

BIN = os.environ["VI_BIN"]
SRC = os.environ.get("VI_SRCDIR", ".")
DATA = os.path.join(SRC, "tests", "data")
results = []


def run(*args, stdin=None):
    p = subprocess.run([BIN, *args], capture_output=True, timeout=120, input=stdin)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def expect(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def bad_schemas(tmp):
    cases = {
        "not JSON": b"{nope",
        "no vmsds": b'{"target": "t/x", "qemu_version": "q"}',
        "vmsds not object": b'{"target": "t/x", "qemu_version": "q", "vmsds": []}',
        "huge version": b'{"target": "t/x", "qemu_version": "q", "vmsds": {"a": {"name": "a", "version_id": 100000000000000000000}}}',
        "negative size": b'{"target": "t/x", "qemu_version": "q", "vmsds": {"a": {"name": "a", "version_id": 1, "fields": [{"name": "f", "size": -4}]}}}',
        "fields wrong type": b'{"target": "t/x", "qemu_version": "q", "vmsds": {"a": {"name": "a", "version_id": 1, "fields": 5}}}',
        "type not string": b'{"target": "t/x", "qemu_version": "q", "vmsds": {"a": {"name": "a", "version_id": 1, "fields": [{"name": "f", "type": 7}]}}}',
        "deep nesting": ('{"target": "t/x", "qemu_version": "q", "vmsds": {"a": ' +
                         '{"name": "a", "version_id": 1, "fields": [{"name": "f", "struct": ' * 60 +
                         '{"name": "z", "version_id": 1}' + '}]}' * 60 + '}}').encode(),
        "json bomb depth": b"[" * 100000 + b"]" * 100000,
        "raw dump without names": b'{"vmschkmachine": {"Name": "m"}, "dev": {"Description": {"Fields": 3}}}',
    }
    stream = os.path.join(DATA, "v72-x86-q35-7.2-minimal.qevm.xz")
    for name, body in cases.items():
        path = os.path.join(tmp, "schema.json")
        open(path, "wb").write(body)
        rc, out, err = run("check", "--target", path, stream)
        expect(f"bad schema: {name}", rc == 2 and err.count("\n") == 1 and "schema" in err,
               f"exit {rc}: {err.strip()[:200]}")
        rc, out, err = run("diff", path, path)
        expect(f"bad schema (diff): {name}", rc == 2, f"exit {rc}")
    for name, args in {"unknown target": ["check", "--target", "qemu-0.1/vax", stream],
                       "target with ..": ["check", "--target", "../../etc/passwd", stream],
                       "no target": ["check", stream],
                       "unknown machine": ["check", "--target", "qemu-10.0/x86_64",
                                           "--machine", "pc-q35-0.0", stream],
                       "bad format": ["check", "--target", "qemu-10.0/x86_64", "--format",
                                      "html", stream],
                       "diff one arg": ["diff", "qemu-7.2/x86_64"],
                       "machines unknown": ["machines", "qemu-10.0/x86_64", "nope-1.0"]}.items():
        rc, _, err = run(*args)
        expect(f"usage: {name}", rc == 2 and err.strip(), f"exit {rc}: {err.strip()[:200]}")


def mutate(raw, doc, tmp):
    """(name, bytes, class, offset) mutations of a real stream."""
    secs = [s for s in doc["sections"] if s["type"] == "full"]
    hpet = next(s for s in secs if s["name"] == "hpet")
    ver_at = hpet["offset"] + 1 + 4 + 1 + len(hpet["name"]) + 4
    name_at = hpet["offset"] + 1 + 4 + 1
    foot = secs[3]["footer"]["offset"]
    out = []

    def put(off, b):
        return raw[:off] + b + raw[off + len(b):]
    out.append(("version-too-new", put(ver_at, (hpet["version_id"] + 1).to_bytes(4, "big")),
                "version-too-new", hpet["offset"]))
    out.append(("version-too-old", put(ver_at, (0).to_bytes(4, "big")), "version-too-old",
                hpet["offset"]))
    out.append(("unknown-section", put(name_at, b"X"), "unknown-section", hpet["offset"]))
    out.append(("bad-footer", put(foot, b"\x7f"), "bad-footer", foot))
    out.append(("truncated", raw[:secs[5]["offset"] + 10], "truncated", None))
    out.append(("bad-magic", put(0, b"QEVX"), "bad-magic", 0))
    return out


def formats(stream, target):
    rc, js, _ = run("check", "--format", "json", "--target", target, stream)
    doc = json.loads(js)
    rc2, sarif, _ = run("check", "--format", "sarif", "--target", target, stream)
    s = json.loads(sarif)
    res = s["runs"][0]["results"]
    expect("sarif 2.1.0", s["version"] == "2.1.0" and len(res) == len(doc["findings"]) and
           all(r["ruleId"] and r["level"] in ("error", "warning", "note") and
               r["locations"][0]["physicalLocation"]["region"]["byteOffset"] >= 0 for r in res))
    rules = {r["id"] for r in s["runs"][0]["tool"]["driver"]["rules"]}
    expect("sarif rules cover results", all(r["ruleId"] in rules for r in res))
    rc3, junit, _ = run("check", "--format", "junit", "--target", target, stream)
    root = ET.fromstring(junit)
    fails = root.findall(".//failure")
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    expect("junit", root.tag == "testsuites" and len(fails) == len(errors) and
           rc == rc2 == rc3, f"{len(fails)} failures for {len(errors)} errors")


def main():
    tmp = tempfile.mkdtemp(prefix="vi-check.")
    bad_schemas(tmp)
    have = lambda t: run("check", "--target", t, "/dev/null")[0] != 2
    for rel in ("7.2", "10.0"):
        target = f"qemu-{rel}/x86_64"
        if not have(target):
            expect(f"target {target} installed", False, "no shipped schema")
            continue
        fixture = os.path.join(DATA, f"v{rel.replace('.', '')}-x86-q35-{rel}-minimal.qevm.xz")
        raw = lzma.decompress(open(fixture, "rb").read())
        rc, out, err = run("check", "--format", "json", "--target", target, fixture)
        doc = json.loads(out)
        expect(f"{rel}: same release accepts", rc == 0 and doc["verdict"] == "accept",
               [f["message"] for f in doc["findings"] if f["severity"] == "error"][:3])
        rc, out, err = run("dump", "--format", "json", fixture)
        sdoc = json.loads(out)
        for name, data, cls, off in mutate(raw, sdoc, tmp):
            path = os.path.join(tmp, f"{rel}-{name}.qevm")
            open(path, "wb").write(data)
            rc, out, err = run("check", "--format", "json", "--target", target, path)
            f = json.loads(out)["files"][0] if rc in (0, 1) else {}
            first = next((x for x in f.get("findings", []) if x["severity"] == "error"), {})
            ok = rc == 1 and f.get("failure_class") == cls and (off is None or first.get("offset") == off)
            expect(f"{rel}: {name}", ok, f"exit {rc}, class {f.get('failure_class')}, "
                   f"offset {first.get('offset')} (want {off}): {first.get('message')}")
        formats(fixture, target)
        # aarch64 too
        a64 = os.path.join(DATA, f"v{rel.replace('.', '')}-aarch64-virt-{rel}-minimal.qevm.xz")
        if have(f"qemu-{rel}/aarch64") and os.path.exists(a64):
            rc, out, _ = run("check", "--format", "json", "--target", f"qemu-{rel}/aarch64", a64)
            expect(f"{rel}: aarch64 same release accepts", rc == 0, out[:300])
    if have("qemu-7.2/x86_64") and have("qemu-10.0/x86_64"):
        for a, b in (("7.2", "10.0"), ("10.0", "7.2")):
            rc, out, err = run("diff", "--format", "json", f"qemu-{a}/x86_64", f"qemu-{b}/x86_64")
            expect(f"diff {a} -> {b} runs", rc in (0, 1) and json.loads(out)["verdict"], err)
    for name, ok, detail in results:
        print(("PASS" if ok else "FAIL"), name, "" if ok else detail)
    failed = sum(1 for r in results if not r[1])
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
