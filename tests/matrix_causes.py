#!/usr/bin/env python3
"""The causes of the release matrix's former disagreements (issue 11), on
streams made here and the committed fixtures (no QEMU run; each is also
judged against real QEMU by tests/live/matrix.py when the releases are
installed).

- A PowerPC cpu section whose PVR (env.spr[287]) is not the destination's CPU
  model's is refused (cpu_post_load): without --dest-stream against the
  machine type's default CPU (QEMU 10.0's pseries-5.2 runs power9_v2.2, PVR
  0x004e1202, where 7.2 ran power9_v2.0, 0x004e1200), with it against the
  destination stream's own PVR; not when the stream sets a compatibility
  mode (cpu/compat).
- An idstr no vmsd matches is named by what follows its bus path:
  'icp/server' stays whole, '0000:00:02.0/nosuchdev' is 'nosuchdev'.
- Integer arrays of 65536+ elements are one value (a pseries TCE table is
  262144 uint64): two such streams, source and --dest-stream, stay under the
  decoded-values limit; a shorter array keeps its value list.
- A struct array written one trailer entry per element without "index" (as
  11.1 writes ich9_ahci's ports and xhci's interrupters) is imported with
  its length, so the schema decodes such a stream without the trailer.
- Without --dest-stream an ARM cpu's register list is compared with the
  destination's closest list: a 7.2 cortex-a57 stream (258 registers) and a
  10.0 max one (328) are refused by 5.2 (228 and 251), as QEMU 5.2 does.
"""
import json, lzma, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vitest as vt  # noqa: E402
from vitest import expect, run  # noqa: E402
import mutate  # noqa: E402

BIN = vt.need_bin()
DATA = vt.DATA
be32, be64 = mutate.be32, mutate.be64
HEADER = b"QEVM" + be32(3)


def findings(*args):
    rc, out, err = run("check", "--format", "json", *args)
    if rc not in (0, 1):
        return rc, [], err
    return rc, json.loads(out)["files"][0].get("findings", []), err


def cstr(s):
    s = s.encode()
    return bytes([len(s)]) + s


def stream(machine, sections):
    """sections: [(idstr, instance, payload bytes, trailer fields[, subsections])]."""
    parts = [HEADER, b"\x07" + be32(len(machine)) + machine.encode()]
    devs = []
    for i, (name, inst, payload, fields, *subs) in enumerate(sections):
        parts.append(b"\x04" + be32(i + 1) + cstr(name) + be32(inst) + be32(5) + payload +
                     b"\x7e" + be32(i + 1))
        d = {"name": name, "instance_id": inst, "vmsd_name": name, "version": 5,
             "fields": fields}
        if subs:
            d["subsections"] = subs[0]
        devs.append(d)
    return mutate.with_trailer(b"".join(parts) + b"\x00", {"page_size": 4096, "devices": devs})


def ppc_cpu(pvr, compat=None):
    spr = [0] * 1024
    spr[287] = pvr
    payload = b"".join(be64(v) for v in spr)
    fields = [{"name": "env.spr", "type": "uint64", "size": 8, "array_len": 1024}]
    if compat is None:
        return ("cpu", 0, payload, fields)
    payload += b"\x05" + cstr("cpu/compat") + be32(1) + be32(compat)
    return ("cpu", 0, payload, fields, [{"vmsd_name": "cpu/compat", "version": 1, "fields": [
        {"name": "compat_pvr", "type": "uint32", "size": 4}]}])


def write(d, name, data):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def pvr_findings(fs):
    return [f for f in fs if f.get("path", "").endswith("env.spr[287]")]


def ppc(tmp):
    t = ["--target", "qemu-10.0/ppc64", "--machine", "pseries-5.2"]
    old = write(tmp, "pvr-old.qevm", stream("pseries-5.2", [ppc_cpu(0x004e1200)]))
    new = write(tmp, "pvr-new.qevm", stream("pseries-5.2", [ppc_cpu(0x004e1202)]))
    compat = write(tmp, "pvr-compat.qevm",
                   stream("pseries-5.2", [ppc_cpu(0x004e1200, compat=0x0f000005)]))
    rc, fs, err = findings(*t, old)
    p = pvr_findings(fs)
    expect("ppc: power9_v2.0's PVR against 10.0's pseries-5.2 (power9_v2.2): field-mismatch",
           rc == 1 and p and p[0]["class"] == "field-mismatch" and p[0]["severity"] == "error"
           and "0x004e1202" in p[0]["message"] and "power9_v2.2" in p[0]["message"],
           "rc %s %s %s" % (rc, p, err))
    rc, fs, err = findings(*t, new)
    expect("ppc: the same PVR as the default CPU's: no PVR finding", not pvr_findings(fs),
           "%s %s" % (pvr_findings(fs), err))
    rc, fs, err = findings("--target", "qemu-7.2/ppc64", "--machine", "pseries-5.2", old)
    expect("ppc: power9_v2.0's PVR against 7.2's pseries-5.2 (power9_v2.0): no PVR finding",
           not pvr_findings(fs), "%s %s" % (pvr_findings(fs), err))
    rc, fs, err = findings(*t, compat)
    expect("ppc: a stream in a compatibility mode (cpu/compat): no PVR finding",
           not pvr_findings(fs), "%s %s" % (pvr_findings(fs), err))
    rc, fs, err = findings(*t, "--dest-stream", old, new)
    p = pvr_findings(fs)
    expect("ppc: --dest-stream with another PVR: field-mismatch naming the destination's",
           p and p[0]["class"] == "field-mismatch" and "0x004e1200" in p[0]["message"] and
           "own stream" in p[0]["message"], "%s %s" % (p, err))
    rc, fs, err = findings(*t, "--dest-stream", new, new)
    expect("ppc: --dest-stream with the same PVR: no PVR finding", not pvr_findings(fs),
           "%s %s" % (pvr_findings(fs), err))


def names(tmp):
    s = write(tmp, "names.qevm", stream("pseries-5.2", [
        ("icp/server", 0, be32(0), [{"name": "xirr", "type": "uint32", "size": 4}]),
        ("pci@800000020000000:02.0/nosuchdev", 0, be32(0),
         [{"name": "x", "type": "uint32", "size": 4}])]))
    rc, fs, err = findings("--target", "qemu-10.0/ppc64", "--machine", "pseries-5.2", s)
    msgs = [f["message"] for f in fs if f["class"] == "unknown-section"]
    expect("names: 'icp/server' is looked up and named whole",
           any("no vmstate named 'icp/server'" in m for m in msgs), "%s %s" % (msgs, err))
    expect("names: a bus path is left out ('nosuchdev')",
           any("no vmstate named 'nosuchdev'" in m for m in msgs), "%s %s" % (msgs, err))


def packed(tmp):
    n = 300000
    big = write(tmp, "tce.qevm", stream("pseries-5.2", [
        ("spapr_iommu", 0, be64(7) * n, [{"name": "mig_table", "type": "uint64", "size": 8,
                                          "array_len": n}]),
        ("small", 0, be32(3) * 1000, [{"name": "t", "type": "uint32", "size": 4,
                                       "array_len": 1000}])]))
    rc, out, err = run("dump", "--format", "json", big)
    secs = json.loads(out)["sections"] if rc == 0 else []
    f = {s["name"]: s["fields"][0] for s in secs if s.get("fields")}
    tce, small = f.get("spapr_iommu", {}), f.get("small", {})
    expect("packed: a 300000-element uint64 array is one value (array_len, hex)",
           rc == 0 and tce.get("array_len") == n and tce.get("length") == 8 * n and
           tce.get("hex", "").startswith("0000000000000007") and "elements" not in tce and
           "value" not in tce, "rc %s %s %s" % (rc, {k: v for k, v in tce.items()
                                                       if k != "hex"}, err))
    expect("packed: a 1000-element array keeps its value list",
           small.get("value") == [3] * 1000, str(small)[:200])
    rc, fs, err = findings("--target", "qemu-10.0/ppc64", "--machine", "pseries-5.2",
                           "--dest-stream", big, big)
    expect("packed: source and --dest-stream of two such arrays: no limit finding",
           rc in (0, 1) and not [x for x in fs if x["class"] == "limit"],
           "rc %s %s %s" % (rc, [x for x in fs if x["class"] == "limit"], err))


def imported(tmp):
    """A struct array written one trailer entry per element without "index" (11.1's
    ich9_ahci 'dev', xhci 'intr'): the imported schema knows its length and decodes
    the stream without the trailer as the trailer does."""
    elem = [{"name": "a", "type": "uint32", "size": 4}, {"name": "b", "type": "uint8",
                                                         "size": 1}]
    fields = [{"name": "dev", "type": "struct", "size": 5,
               "struct": {"vmsd_name": "port", "version": 1, "fields": elem}}] * 6 + \
        [{"name": "n", "type": "uint32 equal", "size": 4}]
    payload = b"".join(be32(i) + bytes([i]) for i in range(6)) + be32(6)
    st = write(tmp, "repeat.qevm", stream("pc-q35-11.1", [("ctl", 0, payload, fields)]))
    dv = os.path.join(tmp, "repeat-dv.json")
    with open(dv, "w") as f:
        json.dump({"vmschkmachine": {"Name": "pc-q35-11.1"}, "ctl": {
            "version_id": 5, "minimum_version_id": 5, "Description": {
                "name": "ctl", "version_id": 5, "minimum_version_id": 5, "Fields": [
                    {"field": "dev", "version_id": 0, "field_exists": False, "size": 5,
                     "Description": {"name": "port", "version_id": 1,
                                     "minimum_version_id": 1, "Fields": [
                                         {"field": "a", "version_id": 0,
                                          "field_exists": False, "size": 4},
                                         {"field": "b", "version_id": 0,
                                          "field_exists": False, "size": 1}]}},
                    {"field": "n", "version_id": 0, "field_exists": False, "size": 4}]}}}, f)
    out = os.path.join(tmp, "repeat-schema.json")
    rc, _, err = run("schema", "import", "--dump-vmstate", dv, "--stream", st,
                     "--qemu-version", "q", "--target", "qemu-q/x86_64", "-o", out)
    dev = {}
    if rc == 0:
        dev = next((f for f in json.load(open(out))["vmsds"]["ctl"]["fields"]
                    if f.get("name") == "dev"), {})
    expect("import: six 'dev' entries without index are an array of 6",
           dev.get("observed_array_len") == 6, "rc %s %s %s" % (rc, dev, err))
    rc, o, err = run("dump", "--format", "json", "--ignore-vmdesc", "--target", out, st)
    sec = next((x for x in json.loads(o)["sections"] if x["name"] == "ctl"), {}) if rc == 0 \
        else {}
    expect("import: the stream decodes from that schema to its footer",
           sec.get("decoded_by") == "schema" and not sec.get("undecoded_bytes"),
           "rc %s %s %s" % (rc, {k: v for k, v in sec.items() if k != "fields"}, err))


def arm(tmp):
    for fixture, regs, model, dest in (("v72-aarch64-virt-7.2-minimal", 258, "cortex-a57", 228),
                                       ("v100-aarch64-virt-10.0-minimal", 328, "max", 251)):
        p = write(tmp, fixture + ".qevm",
                  lzma.decompress(open(os.path.join(DATA, fixture + ".qevm.xz"), "rb").read()))
        rc, fs, err = findings("--target", "qemu-5.2/aarch64", p)
        hit = [f for f in fs if f.get("path", "").endswith("cpreg_vmstate_array_len")]
        expect("arm: %s's %d registers against 5.2's %s (%d): refused" % (fixture, regs, model,
                                                                          dest),
               hit and hit[0]["class"] == "field-mismatch" and
               ("Invalid value %d expecting positive value <= %d" % (regs, dest))
               in hit[0]["message"] and "5.2's %s" % model in hit[0]["message"],
               "%s %s" % (hit, err))


def main():
    have = lambda t: run("check", "--target", t, "/dev/null")[0] != 2
    missing = [t for t in ("qemu-7.2/ppc64", "qemu-10.0/ppc64", "qemu-5.2/aarch64")
               if not have(t)]
    if missing:
        print("matrix_causes: shipped targets missing (%s): skipped" % " ".join(missing))
        return 77
    tmp = vt.tmpdir("vi-causes.")
    ppc(tmp)
    names(tmp)
    packed(tmp)
    imported(tmp)
    arm(tmp)
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
