#!/usr/bin/env python3
"""report.py - `vmstate-inspect report` on the real fixtures of tests/data.

The report must agree with the tool's other views of the same stream: its machine type,
device sections and byte counts with `dump --format json`, its per-destination verdicts
with `check --target`; the release it names must include the one that wrote the fixture
(and exclude a release that lacks the fixture's machine type); a truncated copy gives the
one-line error (file, byte offset, exit 3) and still a report of what was read; a file
that is no stream gives the error and no report; -o writes what stdout shows; the input
is never changed.
"""
import hashlib, json, lzma, os, re, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect, run  # noqa: E402

BIN = vt.need_bin()
DATA = vt.DATA
def installed():
    rc, out, _ = run("targets")
    return set(re.findall(r"^(qemu-\S+/\S+)\s", out, re.M))


def one_fixture(path, targets):
    name = os.path.basename(path)
    m = re.match(r"v(72|100)-(x86|aarch64)-", name)
    rel = {"72": "7.2", "100": "10.0"}[m.group(1)]
    arch = {"x86": "x86_64", "aarch64": "aarch64"}[m.group(2)]
    own = "qemu-%s/%s" % (rel, arch)
    rc, out, err = run("report", "--format", "json", path)
    expect(name + ": exit 0", rc == 0, err.strip()[-200:])
    if rc != 0:
        return
    r = json.loads(out)
    rc, out, _ = run("dump", "--format", "json", path)
    d = json.loads(out)
    expect(name + ": machine type as dump", r["source"]["machine"] ==
           d["configuration"].get("machine_type"), r["source"]["machine"])
    devs = [(s["name"], s["instance_id"]) for s in d["sections"]
            if s["type"] in ("full", "start") and s["name"] != "ram"]
    expect(name + ": devices as dump", [(x["section"], x["instance_id"])
                                         for x in r["devices"]] == devs,
           "%d vs %d" % (len(r["devices"]), len(devs)))
    b = r["bytes"]
    parts = (b["header_and_configuration"] + b["ram"]["bytes"] + b["devices"] + b["trailer"] +
             b["commands_and_end"] + b["not_walked"])
    expect(name + ": bytes add up to the stream", parts == b["stream"] == d["stream_size"],
           "%d parts, %d stream" % (parts, b["stream"]))
    ram_dump = sum(s["length"] for s in d["sections"] if s["name"] == "ram")
    expect(name + ": RAM bytes as dump", b["ram"]["bytes"] == ram_dump,
           "%d vs %d" % (b["ram"]["bytes"], ram_dump))
    fit = r["source"]["release"]["consistent_with"]
    if own in targets:
        expect(name + ": names the release that wrote it", own in fit, str(fit))
    for t in r["source"]["release"]["by_target"]:
        same_arch = t["target"].endswith("/" + arch)
        expect(name + ": cpu fields tell the architecture (%s)" % t["target"],
               t["cpu_fields_match"] is None or t["cpu_fields_match"] == same_arch,
               str(t["cpu_fields_match"]))
        if t["target"] in fit:
            expect(name + ": a consistent release knows the machine type (%s)" % t["target"],
                   t["machine_known"], str(t))
    # every destination's verdict is check's
    checked = [x["target"] for x in r["destinations"]]
    expect(name + ": checks only its architecture",
           all(c.endswith("/" + arch) for c in checked), str(checked))
    expect(name + ": checks its own release", own not in targets or own in checked, str(checked))
    for x in r["destinations"]:
        rc, out, _ = run("check", "--format", "json", "--target", x["target"], path)
        c = json.loads(out)
        cerr = [f for f in c["files"][0]["findings"] if f["severity"] == "error"]
        expect("%s: verdict for %s as check" % (name, x["target"]),
               x["verdict"] == c["files"][0]["verdict"] and x["errors"] == len(cerr),
               "%s/%d vs %s/%d" % (x["verdict"], x["errors"], c["files"][0]["verdict"], len(cerr)))
    return r


def many_unknown(tmp, n):
    """A stream of n FULL sections of a device no release has: n errors each."""
    be32 = lambda v: v.to_bytes(4, "big")
    out = bytearray(b"QEVM" + be32(3) + b"\x07" + be32(10) + b"pc-q35-7.2")
    for s in range(n):
        out += b"\x04" + be32(s + 1) + bytes([12]) + b"nosuch-dev-x" + be32(s) + be32(1)
        out += be32(s) + b"\x7e" + be32(s + 1)
    out += b"\x00"
    path = os.path.join(tmp, "many.qevm")
    open(path, "wb").write(bytes(out))
    return path


def capped_counts(tmp):
    """Past the 10 000 findings a list keeps, the counts stay true."""
    n = 10500
    rc, out, err = run("report", "--format", "json", "--target", "qemu-10.0/x86_64",
                       many_unknown(tmp, n))
    expect("many findings: exit 0", rc == 0, err[-200:])
    if rc != 0:
        return
    x = json.loads(out)["destinations"][0]
    kept = [f for f in x["findings"] if f["severity"] == "error"]
    expect("many findings: the list is capped", len(x["findings"]) <= 10000 and
           "more findings" in x["findings"][-1]["message"], str(len(x["findings"])))
    expect("many findings: errors counts every one (%d), not those listed (%d)" % (n, len(kept)),
           x["errors"] == n and x["verdict"] == "reject", str(x["errors"]))


def main():
    targets = installed()
    if not targets:
        print("report: no targets installed")
        return 77
    fixtures = sorted(os.path.join(DATA, f) for f in os.listdir(DATA) if f.endswith(".qevm.xz"))
    for f in fixtures:
        one_fixture(f, targets)

    tmp = tempfile.mkdtemp(prefix="vi-report.")
    try:
        if "qemu-10.0/x86_64" in targets:
            capped_counts(tmp)
        src = os.path.join(DATA, "v100-x86-q35-10.0-minimal.qevm.xz")
        raw = lzma.decompress(open(src, "rb").read())
        # a 10.0 stream with a 10.0-only machine type is not from 7.2
        if "qemu-7.2/x86_64" in targets:
            rc, out, _ = run("report", "--format", "json", src)
            r = json.loads(out)
            expect("10.0 machine type: not consistent with 7.2",
                   "qemu-7.2/x86_64" not in r["source"]["release"]["consistent_with"],
                   str(r["source"]["release"]))
            rc, out, _ = run("report", "--format", "json", "--target", "qemu-7.2/x86_64", src)
            r = json.loads(out)
            dst = r["destinations"][0] if r["destinations"] else {}
            expect("--target qemu-7.2: rejects for the machine type",
                   rc == 0 and dst.get("verdict") == "reject" and
                   (dst.get("first_error") or {}).get("class") == "machine-mismatch", str(dst)[:300])

        # a machine type newer than every installed release: no release "wrote" it
        i = raw.find(b"pc-q35-10.0")
        t = os.path.join(tmp, "newer.qevm")
        open(t, "wb").write(raw[:i] + b"pc-q35-99.9" + raw[i + 11:])
        rc, out, _ = run("report", "--format", "json", t)
        rel = json.loads(out)["source"]["release"] if rc == 0 else {}
        expect("machine type of 99.9: newer than the installed releases",
               rel.get("newer_than_installed") is True and rel.get("consistent_with") == [],
               str(rel)[:300])

        # truncated: the error line, exit 3, and a report of what was read
        cut = len(raw) * 2 // 3
        t = os.path.join(tmp, "cut.qevm")
        open(t, "wb").write(raw[:cut])
        before = hashlib.sha256(raw[:cut]).hexdigest()
        rc, out, err = run("report", t)
        m = re.match(r"vmstate-inspect: (.*): byte (\d+) \(0x[0-9a-f]+\): .+\n$", err)
        expect("truncated: one-line error naming file and offset, exit 3",
               rc == 3 and m and m.group(1) == t and int(m.group(2)) <= cut, "%d %r" % (rc, err))
        expect("truncated: still a report", "problems" in out and "error" in out, out[:200])
        rc, out, err = run("report", "--format", "json", t)
        r = json.loads(out)
        expect("truncated: JSON names the error at the same byte",
               rc == 3 and r["error"] and m and r["error"]["offset"] == int(m.group(2)) and
               any(p["severity"] == "error" for p in r["problems"]), str(r.get("error")))
        expect("input unchanged", hashlib.sha256(open(t, "rb").read()).hexdigest() == before)

        # not a stream: error only
        t2 = os.path.join(tmp, "text.qevm")
        open(t2, "w").write("not a migration stream\n")
        rc, out, err = run("report", t2)
        expect("not a stream: exit 3, no report", rc == 3 and out == "" and
               err.count("\n") == 1 and "byte 0" in err, "%d %r %r" % (rc, out[:80], err))
        rc, out, err = run("report", "--format", "json", t2)
        expect("not a stream: JSON error", rc == 3 and json.loads(out)["error"]["offset"] == 0,
               out[:200])

        # standard input (a pipe, read once): the same report as the file
        for fx in ("v100-x86-q35-10.0-minimal.qevm.xz", "v100-x86-q35-10.0-novmdesc.qevm.xz"):
            data = lzma.decompress(open(os.path.join(DATA, fx), "rb").read())
            p = subprocess.run([BIN, "report", "--format", "json", "-"], input=data,
                               capture_output=True, timeout=300)
            rf = json.loads(run("report", "--format", "json", os.path.join(DATA, fx))[1])
            rp = json.loads(p.stdout) if p.returncode == 0 else {}
            strip = lambda r: {k: v for k, v in r.items() if k != "input"}
            expect("stdin: %s as the file" % fx, p.returncode == 0 and strip(rp) == strip(rf),
                   "%d %s" % (p.returncode, p.stderr[-200:]))

        # a savevm snapshot in a qcow2 image (tests/data/make-fixtures.sh)
        q = os.path.join(DATA, "v100-x86-q35-10.0-savevm.qcow2.xz")
        rc, out, err = run("report", "--format", "json", q)
        r = json.loads(out) if rc == 0 else {}
        expect("qcow2 savevm: read from the image", rc == 0 and
               r["input"]["container"] == "qcow2" and "'snap1'" in r["input"].get("detail", "")
               and r["source"]["machine"] == "pc-q35-10.0" and
               "qemu-10.0/x86_64" in [d["target"] for d in r["destinations"]] and
               {d["verdict"] for d in r["destinations"]} == {"accept"}, err or str(r.get("input")))
        env = dict(os.environ, VMSTATE_INSPECT_SNAPSHOT="snap1")
        p = subprocess.run([BIN, "dump", q], capture_output=True, text=True, env=env)
        expect("qcow2: VMSTATE_INSPECT_SNAPSHOT=snap1", p.returncode == 0 and
               "'snap1' (id 1), named by" in p.stdout.splitlines()[0], p.stdout[:200])
        env["VMSTATE_INSPECT_SNAPSHOT"] = "snap9"
        p = subprocess.run([BIN, "dump", q], capture_output=True, text=True, env=env)
        expect("qcow2: no snapshot snap9: exit 3", p.returncode == 3 and "snap9" in p.stderr,
               p.stderr)
        qraw = lzma.decompress(open(q, "rb").read())
        nb_at, table_at = 60, int.from_bytes(qraw[64:72], "big")
        # the L2 entry of the VM state's first cluster (block/qcow2.h qcow2_vm_state_offset)
        cb, disk = int.from_bytes(qraw[20:24], "big"), int.from_bytes(qraw[24:32], "big")
        shift = 2 * cb - 3
        vm_start = ((disk + (1 << shift) - 1) >> shift) << shift
        l1_off = int.from_bytes(qraw[table_at:table_at + 8], "big") + 8 * (vm_start >> shift)
        l2_off = int.from_bytes(qraw[l1_off:l1_off + 8], "big") & 0x00fffffffffffe00
        l2e_at = l2_off + 8 * ((vm_start >> cb) & ((1 << (cb - 3)) - 1))
        for label, data, want_off in (
                ("no snapshots", qraw[:nb_at] + b"\0\0\0\0" + qraw[nb_at + 4:], nb_at),
                ("cut in the snapshot table", qraw[:table_at + 20], table_at),
                ("cluster_bits 40", qraw[:20] + (40).to_bytes(4, "big") + qraw[24:], 20),
                ("version 9", qraw[:4] + (9).to_bytes(4, "big") + qraw[8:], 4),
                ("a 1 TiB VM state", qraw[:table_at + 40] + (1 << 40).to_bytes(8, "big") +
                 qraw[table_at + 48:], table_at),
                ("a compressed VM state cluster", qraw[:l2e_at] + bytes([qraw[l2e_at] | 0x40]) +
                 qraw[l2e_at + 1:], l2e_at)):
            t = os.path.join(tmp, "bad.qcow2")
            open(t, "wb").write(data)
            rc, out, err = run("dump", t)
            m = re.match(r"vmstate-inspect: .*: byte (\d+) \(0x[0-9a-f]+\): qcow2.*\n$", err)
            expect("qcow2 %s: exit 3, one line at byte %d" % (label, want_off),
                   rc == 3 and m and int(m.group(1)) == want_off, "%d %r" % (rc, err))

        # -o writes what stdout shows
        o = os.path.join(tmp, "r.txt")
        rc1, out1, _ = run("report", src)
        rc2, out2, _ = run("report", "-o", o, src)
        expect("-o FILE", rc1 == rc2 == 0 and out2 == "" and open(o).read() == out1)
        for line in ("  machine ", "  source ", "  bytes ", "  problems ", "  destinations",
                     "  devices "):
            expect("text has %r" % line.strip(), line in out1)

        # usage errors
        for args in (["report"], ["report", "--format", "xml", src], ["report", src, src],
                     ["report", "--target", "qemu-0.1/x86_64", src],
                     ["report", "-o", os.path.join(tmp, "no", "such", "dir"), src]):
            rc, _, err = run(*args)
            expect("usage: %s" % " ".join(args[1:])[:60], rc == 2 and err.strip(), err)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
