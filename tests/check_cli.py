#!/usr/bin/env python3
"""check, diff, machines and schema loading, on the repository's own data.

- Schemas are input too: malformed, deeply nested, huge or mistyped schema
  JSON, unknown targets and machine types give exit 2 and one clear line.
- check on the real fixtures of tests/data against the shipped schemas:
  same release accepts; byte mutations aimed at each class are rejected
  with that class at the mutated byte; the JSON, SARIF 2.1.0 and JUnit
  outputs are well formed and say the same thing.
- diff of the shipped 7.2 and 10.0 x86_64 schemas runs both ways.
- What check models beyond vmstate names and versions, on fixtures and
  mutated copies: the target page bits, unknown commands, the virtio
  payload's subsections, the ARM cpreg post_load; and the machine-property
  findings of compat rules (schemas/compat-rules.json), several effect
  kinds, with the property, its value, the compat array and the offending
  bytes.  Two documented limits of tests/live/live.py are pinned here too.
- RAMBlock length mismatches with --dest-stream, a machine type the
  destination release lacks, migration capabilities (configuration/
  capabilities inserted into copies of the fixtures).
"""
import json, lzma, os, shutil, subprocess, sys, tempfile, xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect  # noqa: E402

BIN = vt.need_bin()
SRC = vt.SRC
DATA = vt.DATA


def run(*args, stdin=None):
    return vt.run_bytes(*args, stdin=stdin, cpu=120)


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
    # "timer" is registered with the literal instance id 0 (registered_instance_id): no
    # destination has a timer instance 1, as QEMU's find_se() says
    timer = next(s for s in secs if s["name"] == "timer")
    inst_at = timer["offset"] + 1 + 4 + 1 + len(timer["name"])
    out.append(("fixed-instance-id", put(inst_at, (1).to_bytes(4, "big")), "unknown-section",
                timer["offset"]))
    out.append(("bad-footer", put(foot, b"\x7f"), "bad-footer", foot))
    out.append(("truncated", raw[:secs[5]["offset"] + 10], "truncated", None))
    # no format the tool knows: no verdict, exit 3 and the error in the document
    # (issue 12: it used to be "reject" with bad-magic, exit 1)
    out.append(("bad-magic", put(0, b"QEVX"), "unreadable", 0))
    return out


def formats(stream, target, *extra):
    rc, js, _ = run("check", "--format", "json", "--target", target, *extra, stream)
    doc = json.loads(js)
    rc2, sarif, _ = run("check", "--format", "sarif", "--target", target, *extra, stream)
    s = json.loads(sarif)
    res = s["runs"][0]["results"]
    expect("sarif 2.1.0", s["version"] == "2.1.0" and len(res) == len(doc["findings"]) and
           all(r["ruleId"] and r["level"] in ("error", "warning", "note") and
               r["locations"][0]["physicalLocation"]["region"]["byteOffset"] >= 0 for r in res))
    rules = {r["id"] for r in s["runs"][0]["tool"]["driver"]["rules"]}
    expect("sarif rules cover results", all(r["ruleId"] in rules for r in res))
    rc3, junit, _ = run("check", "--format", "junit", "--target", target, *extra, stream)
    root = ET.fromstring(junit)
    fails = root.findall(".//failure")
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    expect("junit", root.tag == "testsuites" and len(fails) == len(errors) and
           rc == rc2 == rc3, f"{len(fails)} failures for {len(errors)} errors")


# ---------------------------------------------------------------- helpers

def nodes(n):
    """Every named node of a dump --format json document, in stream order."""
    if isinstance(n, dict):
        if "name" in n and "type" in n:
            yield n
        for v in n.values():
            if isinstance(v, (dict, list)):
                yield from nodes(v)
    elif isinstance(n, list):
        for v in n:
            yield from nodes(v)


def fixture(name):
    path = os.path.join(DATA, name)
    raw = lzma.decompress(open(path, "rb").read())
    rc, out, _ = run("dump", "--format", "json", path)
    return path, raw, json.loads(out)


def section(doc, suffix):
    return next(s for s in doc["sections"] if s["name"].endswith(suffix)
                and s["type"] in ("full", "start"))


def put(raw, off, b):
    return raw[:off] + b + raw[off + len(b):]


def check_json(*args):
    rc, out, err = run("check", "--format", "json", *args)
    if rc not in (0, 1):
        return rc, {"findings": [], "failure_class": None, "verdict": None}, err
    return rc, json.loads(out)["files"][0], err


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    open(path, "wb").write(data)
    return path


def first_error(f):
    return next((x for x in f["findings"] if x["severity"] == "error"), {})


# ------------------------------------------------- what check models itself

def models(tmp):
    """Page bits, commands, virtio subsections, ARM cpregs."""
    # configuration/target-page-bits (aarch64 sends it): 12 -> 16
    path, raw, doc = fixture("v100-aarch64-virt-10.0-minimal.qevm.xz")
    tpb = next(n for n in nodes(doc["configuration"]) if n["name"] == "target_page_bits")
    bad = write(tmp, "page-bits.qevm", put(raw, tpb["offset"], (16).to_bytes(4, "big")))
    for extra in ([], ["--dest-stream", path]):
        rc, f, err = check_json("--target", "qemu-10.0/aarch64", *extra, bad)
        e = first_error(f)
        expect(f"page bits 16 vs 12 {extra[:1]}", f["failure_class"] == "machine-mismatch" and
               e.get("offset") == tpb["offset"] and "TARGET_PAGE_BITS is 16 but local is 12"
               in e.get("message", ""), f"{f['failure_class']}: {e}")
    # SWITCHOVER_START (0xb) -> 0x40: QEMU's "MIG_CMD 0x40 unknown"
    path, raw, doc = fixture("v100-x86-q35-10.0-minimal.qevm.xz")
    cmd = next(c for c in doc["commands"] if c.get("command") == 11)
    bad = write(tmp, "cmd.qevm", put(raw, cmd["offset"] + 1, (0x40).to_bytes(2, "big")))
    rc, f, err = check_json("--target", "qemu-10.0/x86_64", bad)
    expect("unknown command is unsupported-command", f["failure_class"] == "unsupported-command"
           and "MIG_CMD 0x40 unknown" in first_error(f).get("message", ""), str(f)[:300])
    # the virtio payload's subsections (decode-virtio.c's table per release)
    path, raw, doc = fixture("v72-x86-i440fx-7.2-devices.qevm.xz")
    net = section(doc, "/virtio-net")
    sub = next(n for n in nodes(net) if n["name"] == "virtio/64bit_features")
    dis = next(n for n in nodes(net) if n["name"] == "virtio/disabled")
    for name, data, cls, off in (
            ("renamed", put(raw, sub["offset"] + 2, b"virtio/64bit_featureX"),
             "unknown-subsection", sub["offset"]),
            ("version 2", put(raw, sub["offset"] + 2 + 21, (2).to_bytes(4, "big")),
             "version-too-new", sub["offset"]),
            # a name not starting with "virtio" ends virtio_load's loop; the
            # bytes left over fail the footer check
            ("not virtio's", put(raw, dis["offset"] + 2, b"virtiX"), "bad-footer",
             dis["offset"])):
        bad = write(tmp, "virtio-sub.qevm", data)
        for target in ("qemu-7.2/x86_64", "qemu-10.0/x86_64"):
            rc, f, err = check_json("--target", target, "--machine", "pc-i440fx-7.2", bad)
            e = first_error(f)
            expect(f"virtio subsection {name} ({target})", rc == 1 and f["failure_class"] == cls
                   and e.get("offset") == off, f"{f['failure_class']}: {e}")
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", path)
    expect("virtio subsections of a real stream are known", rc == 0 and not any(
        x["class"] == "unknown-subsection" for x in f["findings"]), str(f["findings"])[:300])
    # ARM cpu_post_load: an incoming cpreg the destination CPU lacks (7.2 ->
    # 10.0), a longer list than the destination's (10.0 -> 7.2).  With the
    # destination's own stream, from its list; without it, from the schema's
    # list for the same CPU model (cpreg_index_sets).
    a72 = os.path.join(DATA, "v72-aarch64-virt-7.2-minimal.qevm.xz")
    a100 = os.path.join(DATA, "v100-aarch64-virt-10.0-minimal.qevm.xz")
    for name, target, dest, src, want in (
            ("7.2 -> 10.0", "qemu-10.0/aarch64", a100, a72, "is not one of the destination CPU's"),
            ("10.0 -> 7.2", "qemu-7.2/aarch64", a72, a100, "expecting positive value <=")):
        rc, f, _ = check_json("--target", target, "--dest-stream", dest, src)
        hit = [x for x in f["findings"] if x["class"] == "field-mismatch" and x["severity"] ==
               "error" and x["path"].startswith("cpu[0]/cpreg_vmstate") and want in x["message"]]
        expect(f"arm cpregs {name} with --dest-stream", len(hit) == 1, str(f["findings"])[:400])
        rc, f, _ = check_json("--target", target, src)
        hit = [x for x in f["findings"] if x["class"] == "field-mismatch" and x["severity"] ==
               "error" and x["path"].startswith("cpu[0]/cpreg_vmstate") and want.split(" the")[0]
               in x["message"] and "the source's CPU model" in x["message"]]
        expect(f"arm cpregs {name} from the schema's register lists", rc == 1 and len(hit) == 1,
               str(f["findings"])[:400])
        rc, f, _ = check_json("--target", target.replace("10.0", "X").replace("7.2", "10.0")
                              .replace("X", "7.2"), "--machine", doc_machine(src), src)
        expect(f"arm cpregs {name}: same release accepts", not any(
            x["path"].startswith("cpu[0]/cpreg") for x in f["findings"]), str(f["findings"])[:300])


def doc_machine(path):
    return "virt-7.2" if "v72-" in os.path.basename(path) else "virt-10.0"


def limits(tmp):
    """The x86 cpu's subsections; a documented limit of tests/live/live.py,
    pinned so a change shows."""
    # x86 'cpu' is not in -dump-vmstate: its subsections come from the lists
    # of check-engine.c (every "cpu/..." name of the 7.2 and 10.0 binaries)
    path, raw, doc = fixture("v72-x86-i440fx-7.2-devices.qevm.xz")
    cpu = section(doc, "cpu")
    sub = next(n for n in nodes(cpu) if n["name"] == "cpu/poll_control_msr")
    bad = write(tmp, "cpu-sub.qevm", put(raw, sub["offset"] + 2 + len(sub["name"]) - 1, b"X"))
    for target in ("qemu-7.2/x86_64", "qemu-10.0/x86_64"):
        rc, f, _ = check_json("--target", target, "--machine", "pc-i440fx-7.2", bad)
        e = first_error(f)
        expect(f"unknown x86 cpu subsection ({target})", rc == 1 and f["failure_class"] ==
               "unknown-subsection" and e.get("offset") == sub["offset"], str(e)[:300])
    # a renamed RAMBlock: only --dest-stream knows the destination's names
    # (test_limit_ramblock_renamed)
    blk = next(n for n in nodes(section(doc, "ram")) if n["name"] == "/rom@etc/acpi/tables")
    at = raw.index(b"/rom@etc/acpi/tables", blk["offset"])
    bad = write(tmp, "ramblock.qevm", put(raw, at, b"/rom@etc/acpi/tableX"))
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", bad)
    expect("limit: renamed RAMBlock without --dest-stream is malformed",
           f["failure_class"] == "malformed", f"{f['failure_class']}")
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", "--dest-stream", path, bad)
    expect("renamed RAMBlock with --dest-stream is unknown-section",
           f["failure_class"] == "unknown-section" and "Unknown ramblock" in
           first_error(f).get("message", ""), f"{f['failure_class']}")


# ------------------------- RAMBlock lengths, machine types, capabilities

def ram_lengths(tmp):
    """RAMBlock lengths in qemu_ram_resize's words (real QEMU 7.2 and 10.0
    gave "Size mismatch: pc.bios: 0x80000 != 0x40000: Invalid argument" for
    the larger copy): pc.bios 256 KiB -> 512 KiB, the MEM_SIZE total with it."""
    for rel in ("7.2", "10.0"):
        path, raw, doc = fixture(f"v{rel.replace('.', '')}-x86-q35-{rel}-minimal.qevm.xz")
        lst = next(n for n in nodes(section(doc, "ram")) if n["type"] == "ramblock list")
        bios = next(n for n in lst["blocks"] if n["name"] == "pc.bios")
        ln = bios["offset"] + 1 + len("pc.bios")
        total = int.from_bytes(raw[lst["offset"]:lst["offset"] + 8], "big")
        old = int.from_bytes(raw[ln:ln + 8], "big")
        data = put(put(raw, lst["offset"], (total + old).to_bytes(8, "big")), ln,
                   (2 * old).to_bytes(8, "big"))
        big = write(tmp, f"bios-{rel}.qevm", data)
        for name, src, dest, want in (("larger", big, path, (2 * old, old)),
                                      ("smaller", path, big, (old, 2 * old))):
            rc, f, _ = check_json("--target", f"qemu-{rel}/x86_64", "--dest-stream", dest, src)
            e = first_error(f)
            msg = "Size mismatch: pc.bios: 0x%x != 0x%x: Invalid argument" % want
            expect(f"{rel}: RAMBlock {name} than the destination's", rc == 1 and
                   f["failure_class"] == "field-mismatch" and e.get("offset") == bios["offset"]
                   and e.get("message", "").startswith(msg), str(e)[:300])


def errors(f, cls):
    return [x for x in f["findings"] if x["class"] == cls and x["severity"] == "error"]


def machine_type(tmp):
    """The stream's own machine type missing from the destination release."""
    path, raw, doc = fixture("v100-x86-q35-10.0-minimal.qevm.xz")
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", path)
    e = first_error(f)
    expect("7.2 has no pc-q35-10.0", rc == 1 and f["failure_class"] == "machine-mismatch" and
           e.get("offset") == doc["configuration"]["offset"] and
           "QEMU 7.2 has no machine type pc-q35-10.0" in e.get("message", ""), str(e)[:300])
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", "--machine", "pc-q35-7.2", path)
    expect("with --machine: Machine type received", "Machine type received is 'pc-q35-10.0' "
           "and local is 'pc-q35-7.2'" in first_error(f).get("message", ""), str(f)[:300])
    # QEMU 7.2 will not start with it: a verdict (real QEMU: "unsupported machine type")
    for m in ("pc-q35-10.0", "pc-q35-0.0"):
        rc, f, err = check_json("--target", "qemu-7.2/x86_64", "--machine", m, path)
        e = first_error(f)
        expect(f"--machine {m} the release lacks is a reject", rc == 1 and
               f["failure_class"] == "machine-mismatch" and e.get("offset") ==
               doc["configuration"]["offset"] and f'unsupported machine type: "{m}"' in
               e.get("message", "") and not err.strip(), f"exit {rc}: {str(f)[:300]} {err}")
    # aliases resolve as the release does (schemas/machines/)
    p72 = fixture("v72-x86-q35-7.2-minimal.qevm.xz")[0]
    a100 = fixture("v100-aarch64-virt-10.0-minimal.qevm.xz")[0]
    for tgt, alias, stream, want in (("qemu-10.0/x86_64", "q35", path, None),
                                     ("qemu-7.2/x86_64", "q35", p72, None),
                                     ("qemu-10.0/aarch64", "virt", a100, None),
                                     ("qemu-10.0/x86_64", "pc", path, "pc-i440fx-10.0"),
                                     ("qemu-7.2/x86_64", "q35", path, "pc-q35-7.2")):
        rc, out, err = run("check", "--format", "json", "--target", tgt, "--machine", alias,
                           stream)
        d = json.loads(out) if rc in (0, 1) else {}
        f = d.get("files", [{}])[0]
        if want is None:
            ok = rc == 0 and not errors(f, "machine-mismatch")
        else:
            ok = rc == 1 and (f"Machine type received is 'pc-q35-10.0' and local is "
                              f"'{want}'") in first_error(f).get("message", "")
        expect(f"alias {alias} on {tgt}", ok, f"exit {rc}: {out[:300]} {err[:200]}")
    rc, f, _ = check_json("--target", "qemu-10.0/x86_64", path)
    expect("10.0 has pc-q35-10.0", rc == 0 and not errors(f, "machine-mismatch"), str(f)[:300])


CAPS_SUB = b"configuration/capabilities"


def with_caps(raw, doc, caps):
    """raw with a configuration/capabilities subsection listing caps (what
    configuration_pre_save writes); x-ignore-shared also puts a be64 guest
    address after each RAMBlock's length, as ram_save_setup does.  Returns
    (bytes, offset of the subsection, offset of each capability name)."""
    cfg = doc["configuration"]
    at = cfg["offset"] + cfg["length"]
    sub = bytes([5, len(CAPS_SUB)]) + CAPS_SUB + (1).to_bytes(4, "big")
    sub += len(caps).to_bytes(4, "big")
    names = []
    for c in caps:
        names.append(at + len(sub))
        sub += bytes([len(c)]) + c.encode()
    inserts = [(at, sub)]
    if "x-ignore-shared" in caps:
        inserts += [(b["offset"] + b["length"], bytes(8))
                    for b in nodes(section(doc, "ram")) if b["type"] == "ramblock"]
    for off, b in sorted(inserts, reverse=True):
        raw = raw[:off] + b + raw[off:]
    return raw, at, names


def capabilities(tmp):
    """configuration_validate_capabilities (x-ignore-shared in 7.2 and 10.0,
    mapped-ram in 10.0) and get_capability's unknown names.  Loaded once into
    real QEMU, these copies gave: x-ignore-shared accepted with the capability
    on (7.2, 10.0) and "Capability x-ignore-shared is off, but received
    capability is on" without; switchover-ack "Received unknown capability"
    on 7.2, accepted by 10.0; mapped-ram "Capability mapped-ram is off..." on
    10.0."""
    for rel in ("7.2", "10.0"):
        target = f"qemu-{rel}/x86_64"
        path, raw, doc = fixture(f"v{rel.replace('.', '')}-x86-q35-{rel}-minimal.qevm.xz")
        data, sub, names = with_caps(raw, doc, ["x-ignore-shared"])
        xis = write(tmp, f"xis-{rel}.qevm", data)
        # no --dest-stream: a warning that the destination must enable it
        rc, f, _ = check_json("--target", target, xis)
        w = [x for x in f["findings"] if x["class"] == "capability-mismatch"]
        expect(f"{rel}: x-ignore-shared without --dest-stream warns", rc == 0 and len(w) == 1 and
               w[0]["severity"] == "warning" and w[0]["offset"] == names[0] and
               "migrate-set-capabilities" in w[0]["message"] and "Capability x-ignore-shared "
               "is off, but received capability is on" in w[0]["message"], str(f["findings"])[:400])
        # a destination without it: QEMU's own words, at the subsection
        rc, f, _ = check_json("--target", target, "--dest-stream", path, xis)
        e = first_error(f)
        expect(f"{rel}: x-ignore-shared on, destination off", rc == 1 and
               f["failure_class"] == "capability-mismatch" and e.get("offset") == sub and
               e.get("path") == "configuration/capabilities" and e.get("message", "").startswith(
                   "Capability x-ignore-shared is off, but received capability is on"), str(e)[:300])
        # the other way: the destination has it on, the source did not send it
        rc, f, _ = check_json("--target", target, "--dest-stream", xis, path)
        e = first_error(f)
        cfg = doc["configuration"]
        expect(f"{rel}: x-ignore-shared off, destination on", rc == 1 and
               f["failure_class"] == "capability-mismatch" and
               e.get("offset") == cfg["offset"] + cfg["length"] and e.get("message", "").startswith(
                   "Capability x-ignore-shared is on, but received capability is off"), str(e)[:300])
        rc, f, _ = check_json("--target", target, "--dest-stream", xis, xis)
        expect(f"{rel}: x-ignore-shared on both sides accepts", rc == 0 and not [
            x for x in f["findings"] if x["class"] == "capability-mismatch"], str(f["findings"])[:300])
        formats(xis, target)                            # a warning
        formats(xis, target, "--dest-stream", path)     # an error
    # mapped-ram: validated by 10.0, unknown to 7.2 (get_capability fails
    # first).  switchover-ack: known to 10.0 but not validated, unknown to 7.2.
    path, raw, doc = fixture("v72-x86-q35-7.2-minimal.qevm.xz")
    data, sub, names = with_caps(raw, doc, ["switchover-ack"])
    sw = write(tmp, "switchover-ack.qevm", data)
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", sw)
    e = first_error(f)
    expect("7.2: unknown capability", rc == 1 and f["failure_class"] == "capability-mismatch" and
           e.get("offset") == names[0] and e.get("message", "").startswith(
               "Received unknown capability switchover-ack"), str(e)[:300])
    rc, f, _ = check_json("--target", "qemu-10.0/x86_64", "--machine", "pc-q35-7.2",
                          "--dest-stream", path, sw)
    expect("10.0: a capability it does not validate is ignored", rc == 0 and not [
        x for x in f["findings"] if x["class"] == "capability-mismatch"], str(f["findings"])[:300])
    path, raw, doc = fixture("v100-x86-q35-10.0-minimal.qevm.xz")
    data, sub, names = with_caps(raw, doc, ["mapped-ram"])
    mr = write(tmp, "mapped-ram.qevm", data)   # its RAM is not mapped-ram's layout: only the
    rc, f, _ = check_json("--target", "qemu-10.0/x86_64", "--dest-stream", path, mr)  # first error counts
    e = first_error(f)
    expect("10.0: mapped-ram on, destination off", f["failure_class"] == "capability-mismatch" and
           e.get("offset") == sub and e.get("message", "").startswith(
               "Capability mapped-ram is off, but received capability is on"), str(e)[:300])
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", "--machine", "pc-q35-7.2", mr)
    hit = errors(f, "capability-mismatch")
    expect("7.2: mapped-ram is an unknown capability", len(hit) == 1 and hit[0]["offset"] ==
           names[0] and "Received unknown capability mapped-ram" in hit[0]["message"],
           str(hit)[:300])


# ----------------------------------------------- machine types, compat rules

def mp(f, needle):
    return [x for x in f["findings"] if x["class"] == "machine-property" and needle in x["message"]]


def machine_rules(tmp):
    path, raw, doc = fixture("v72-x86-i440fx-7.2-devices.qevm.xz")
    rc, f, _ = check_json("--target", "qemu-7.2/x86_64", "--machine", "pc-i440fx-2.4", path)
    e1000, net, blk = section(doc, "/e1000"), section(doc, "/virtio-net"), section(doc, "/virtio-blk")
    pm = section(doc, "/piix4_pm")
    fw = section(doc, "fw_cfg")
    at = lambda sec, name: next(n for n in nodes(sec) if n["name"] == name)
    want = {
        # kind: (needle in the message, offset of the offending bytes)
        "subsection-absent": ("e1000 extra_mac_registers=off (compat array hw_compat_2_4)",
                              at(e1000, "e1000/full_mac_state")["offset"]),
        "section-absent": ("pci-host-bridge x-config-reg-migration-enabled=off (compat array "
                           "hw_compat_5_0)", section(doc, "PCIHost")["offset"]),
        "msix-vectors": ("virtio-net-pci-base vectors=3 (compat array hw_compat_5_2)",
                         at(net, "msix_table")["offset"]),
        "virtio-queue-count": ("virtio-blk-device num-queues=1 (compat array hw_compat_5_1)",
                               at(blk, "num_queues")["offset"]),
        "virtio-ring-size": ("virtio-blk-device queue-size=128 (compat array hw_compat_4_2)",
                             at(blk, "num")["offset"]),
        "field-value": ("e1000 init-vet=off (compat array hw_compat_6_0)",
                        at(e1000, "mac_reg[VET]")["offset"]),
        "field-absent": ("PIIX4_PM x-not-migrate-acpi-index=on (compat array hw_compat_6_2)",
                         at(pm, "acpi_pci_hotplug.acpi_index")["offset"]),
    }
    for kind, (needle, off) in want.items():
        hit = mp(f, needle)
        expect(f"machine rule {kind}", len(hit) == 1 and hit[0]["offset"] == off and
               hit[0]["severity"] == "warning" and hit[0]["message"].startswith("pc-i440fx-2.4 sets"),
               f"{hit} (want offset {off})")
    # load_with_property words the finding
    hit = mp(f, "virtio-blk-device num-queues=1")
    expect("rejected rule: the destination rejects", hit and "rejects this stream" in
           hit[0]["message"], str(hit)[:300])
    hit = mp(f, "e1000 extra_mac_registers=off")
    expect("accepted rule: a warning naming the older release", hit and "only a warning" in
           hit[0]["message"] and "QEMU 2.4 or older" in hit[0]["message"], str(hit)[:300])
    # variant drivers of one array make one finding
    dma = at(fw, "fw_cfg/dma")["offset"]
    hit = [x for x in f["findings"] if x["class"] == "machine-property" and x["offset"] == dma]
    expect("identical warnings merged", len(hit) == 1 and "fw_cfg_mem, fw_cfg_io dma_enabled"
           in hit[0]["message"], str(hit)[:300])
    # machine-property findings are warnings: the machine name decides the verdict
    expect("machine-property never an error", not [x for x in f["findings"] if x["class"] ==
                                                     "machine-property" and x["severity"] == "error"])
    # the destination's own stream breaks the rule the same way: it overrides
    # the property like the source, no finding
    rc, f2, _ = check_json("--target", "qemu-7.2/x86_64", "--machine", "pc-i440fx-2.4",
                           "--dest-stream", path, path)
    expect("rule the destination breaks too is dropped", not mp(f2, "num-queues=1"),
           str(mp(f2, "num-queues=1"))[:300])
    # feature bits >= 32 live in virtio/64bit_features (be64): 7.2's
    # hw_compat_7_1 queue_reset=false (bit 40, any virtio device), 10.0's
    # hw_compat_8_1 host_uso=off (bit 56, virtio-net)
    data = at(at(net, "virtio/64bit_features"), "data")
    feats = int.from_bytes(raw[data["offset"]:data["offset"] + 8], "big")
    bad = write(tmp, "feat.qevm", put(raw, data["offset"], (feats | 1 << 40 | 1 << 56).to_bytes(8, "big")))
    for target, machine, needle, bit in (
            ("qemu-7.2/x86_64", "pc-i440fx-7.1", "virtio-device queue_reset=false", 40),
            ("qemu-10.0/x86_64", "pc-i440fx-8.1", "virtio-net-device host_uso=off", 56)):
        rc, f, _ = check_json("--target", target, "--machine", machine, bad)
        hit = mp(f, needle)
        expect(f"feature bit {bit} (64bit_features)", len(hit) == 1 and
               hit[0]["offset"] == data["offset"] + 7 - bit // 8 and hit[0]["length"] == 1,
               str(hit)[:300])
        rc, f, _ = check_json("--target", target, "--machine", machine, path)
        expect(f"feature bit {bit} clear: no finding", not mp(f, needle))
    # pci-config-bits: give e1000's config space a PCIe capability whose
    # DEVCAP has Extended Tag set; pc-q35-9.1 (x-pcie-ext-tag=false) forbids it
    cfg = next(n for n in nodes(e1000) if n["type"] == "pci config")
    c = cfg["offset"]
    b = put(raw, c + 6, bytes([raw[c + 6] | 0x10]))
    b = put(b, c + 0x34, b"\x40")
    b = put(b, c + 0x40, b"\x10\x00\x02\x00" + (0x20).to_bytes(4, "little"))
    bad = write(tmp, "extag.qevm", b)
    rc, f, _ = check_json("--target", "qemu-10.0/x86_64", "--machine", "pc-q35-9.1", bad)
    hit = mp(f, "pci-device x-pcie-ext-tag=false (compat array hw_compat_9_1)")
    expect("machine rule pci-config-bits", len(hit) == 1 and hit[0]["offset"] == c + 0x44 and
           hit[0]["length"] == 4, str(hit)[:300])
    # command-absent: a 10.0 stream sends SWITCHOVER_START, 9.2 types do not
    path, raw, doc = fixture("v100-x86-q35-10.0-minimal.qevm.xz")
    cmd = next(c for c in doc["commands"] if c.get("command") == 11)
    rc, f, _ = check_json("--target", "qemu-10.0/x86_64", "--machine", "pc-q35-9.2", path)
    hit = mp(f, "migration send-switchover-start=off (compat array hw_compat_9_2)")
    expect("machine rule command-absent", len(hit) == 1 and hit[0]["offset"] == cmd["offset"],
           str(hit)[:300])
    rc, f, _ = check_json("--target", "qemu-10.0/x86_64", "--machine", "pc-q35-10.0", path)
    expect("own machine type: no machine-property finding", rc == 0 and not [
        x for x in f["findings"] if x["class"] == "machine-property"], str(f["findings"])[:300])


def main():
    tmp = vt.tmpdir("vi-check.")
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
            if cls == "unreadable":
                d = json.loads(out) if out else {}
                e = d.get("error") or {}
                expect(f"{rel}: {name}", rc == 3 and "verdict" not in d and
                       e.get("class") == cls and e.get("offset") == off and
                       err.count("\n") == 1, f"exit {rc}, {e}, {err.strip()}")
                continue
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
    if all(have(t) for t in ("qemu-7.2/x86_64", "qemu-10.0/x86_64", "qemu-7.2/aarch64",
                             "qemu-10.0/aarch64")):
        models(tmp)
        limits(tmp)
        machine_rules(tmp)
        ram_lengths(tmp)
        machine_type(tmp)
        capabilities(tmp)
    if have("qemu-7.2/x86_64") and have("qemu-10.0/x86_64"):
        for a, b in (("7.2", "10.0"), ("10.0", "7.2")):
            rc, out, err = run("diff", "--format", "json", f"qemu-{a}/x86_64", f"qemu-{b}/x86_64")
            expect(f"diff {a} -> {b} runs", rc in (0, 1) and json.loads(out)["verdict"], err)
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
