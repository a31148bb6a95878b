#!/usr/bin/env python3
"""Run `vmstate-inspect dump` over real streams and check what it claims.

--fixtures DIR   every *.qevm / *.qevm.xz in DIR, and savevm snapshots in
                 *.qcow2 / *.qcow2.xz (fixtures.json, when present, says which
                 have a trailer)
--manifest FILE  every stream of the shared corpus manifest: originals must
                 dump cleanly, format-breaking mutations must fail with exit 3
                 at the mutated byte
Checks, per stream: exit 0; records tile the stream from byte 8 to EOF and
the trailer; with a trailer every FULL section is decoded from it, with
undecoded_bytes 0 and its fields/subsections tiling the payload exactly; the
footer-only walk (--ignore-vmdesc) finds the same section boundaries; the
text view works too; RAM blocks saw every page at least once.  When the
stream's QEMU release has a shipped schema, `dump --ignore-vmdesc --target`
decodes every section the trailer decodes to the same values at the same
offsets (sections in SCHEMA_LIMITS excepted, each with its reason).
"""
import json, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

BIN = vt.need_bin()
problems = []      # of the stream being checked


def fail(label, msg):
    problems.append(msg)


def one_check(fn):
    """A stream is one check: passed when fn found no problem with it."""
    def checked(label, *args):
        del problems[:]
        fn(label, *args)
        check(not problems, label, "; ".join(problems))
    return checked


# Sections the shipped schemas cannot decode without a trailer, and why.
SCHEMA_LIMITS = {
    "ide": "the IDE drive's identify_data exists only once a guest sent IDENTIFY "
           "(field_exists is_identify_set): no generated stream showed it, so the "
           "schema does not know its type or where its presence is decided",
}


def target_of(version_line, arch):
    rel = vt.release(version_line)
    if not rel or arch not in ("x86_64", "aarch64"):
        return None
    t = f"qemu-{rel}/{arch}"
    return t if vt.has_target(t) else None


def leaves(node, out):
    for key in ("fields", "subsections", "elements", "records"):
        for k in node.get(key) or []:
            if k.get("value") is not None or k.get("hex") is not None:
                out.add((k["offset"], k["length"], json.dumps(k.get("value", k.get("hex")))))
            leaves(k, out)
    return out


def check_schema_decode(label, path, doc, target):
    rc, out, err = run("dump", "--format", "json", "--ignore-vmdesc", "--target", target, path)
    if rc != 0:
        return fail(label, f"--ignore-vmdesc --target {target}: exit {rc}: {err.strip()}")
    by_off = {s["offset"]: s for s in json.loads(out)["sections"]}
    for s in doc["sections"]:
        if s.get("decoded_by") != "vmdesc":
            continue
        base = s["name"].rsplit("/", 1)[-1]
        t = by_off.get(s["offset"])
        if base in SCHEMA_LIMITS:
            continue
        if not t or t.get("decoded_by") != "schema" or t.get("undecoded_bytes"):
            fail(label, f"--target {target}: section {s['name']} not decoded from the schema")
        elif leaves(s, set()) != leaves(t, set()):
            fail(label, f"--target {target}: section {s['name']} decodes differently "
                        "from its trailer")


def run(*args):
    return vt.run_bytes(*args, cpu=120)


def kids(node):
    out = []
    for key in ("fields", "elements", "subsections"):
        out += node.get(key, [])
    return sorted(out, key=lambda k: k["offset"])


def tile(label, node, start, end):
    """Children of node must cover [start, end) with no gap or overlap."""
    pos = start
    for k in kids(node):
        if k["offset"] != pos:
            fail(label, f"{node['name']}: gap/overlap at {pos} (child {k['name']} at {k['offset']})")
            return
        sub = kids(k)
        if sub:
            first = k["offset"]
            if k["type"] == "subsection":  # 0x05, len, name, be32 version
                first += 2 + len(k["name"]) + 4
            tile(label, k, first, k["offset"] + k["length"])
        pos += k["length"]
    if pos != end:
        fail(label, f"{node['name']}: children end at {pos}, payload ends at {end}")


def records(doc):
    recs = list(doc["sections"]) + list(doc["commands"])
    if doc["configuration"]:
        recs.append(doc["configuration"])
    if doc["eof"]:
        recs.append(doc["eof"])
    return sorted(recs, key=lambda r: r["offset"])


def check_doc(label, doc, has_vmdesc):
    if doc["error"] is not None:
        return fail(label, f"error {doc['error']}")
    if doc["header"]["version"] != 3:
        fail(label, "header version is not 3")
    pos = 8
    for r in records(doc):
        if r["offset"] != pos:
            return fail(label, f"record {r['name']} at {r['offset']}, expected {pos}")
        pos += r["length"]
    end = doc["vmdesc"]["offset"] + doc["vmdesc"]["length"] if doc["vmdesc"] else pos
    if end != doc["stream_size"]:
        fail(label, f"records and trailer end at {end}, stream has {doc['stream_size']} bytes")
    if has_vmdesc is not None and bool(doc["vmdesc"]) != has_vmdesc:
        fail(label, f"trailer expected={has_vmdesc}, found={bool(doc['vmdesc'])}")
    for s in doc["sections"]:
        if s["type"] != "full":
            continue
        if doc["vmdesc"]:
            if s.get("decoded_by") != "vmdesc" or s["undecoded_bytes"] != 0:
                fail(label, f"section {s['name']}: decoded_by={s.get('decoded_by')} "
                     f"undecoded_bytes={s['undecoded_bytes']}")
                continue
            tile(label + ":" + s["name"], s, s["payload_offset"],
                 s["payload_offset"] + s["payload_length"])
    if doc["vmdesc"] and doc["undecoded_bytes"] != 0:
        fail(label, f"undecoded_bytes {doc['undecoded_bytes']} with a trailer")
    ram = doc["ram"]
    if ram and not ram.get("x_ignore_shared"):  # shared blocks are not sent
        ps = ram["page_size"]
        for b in ram["blocks"]:
            if b["pages"] < b["used_length"] // ps:
                fail(label, f"RAM block {b['name']}: {b['pages']} pages for "
                     f"{b['used_length']} bytes")
            if b["pages"] != b["zero_pages"] + b["normal_pages"] + b.get("xbzrle_pages", 0) \
                    + b.get("compressed_pages", 0):
                fail(label, f"RAM block {b['name']}: page counts do not add up")


def bounds(doc):
    return [(s["offset"], s["length"], s["name"]) for s in doc["sections"]]


@one_check
def check_stream(label, path, has_vmdesc=None, target=None):
    rc, out, err = run("dump", "--format", "json", path)
    if rc != 0:
        return fail(label, f"exit {rc}: {err.strip()}")
    doc = json.loads(out)
    check_doc(label, doc, has_vmdesc)
    rc2, out2, err2 = run("dump", "--format", "json", "--ignore-vmdesc", path)
    if rc2 != 0:
        return fail(label, f"--ignore-vmdesc: exit {rc2}: {err2.strip()}")
    if bounds(json.loads(out2)) != bounds(doc):
        fail(label, "section boundaries differ between trailer and footer-only walks")
    if target:
        check_schema_decode(label, path, doc, target)
    rc3, out3, _ = run("dump", path)
    if rc3 != 0 or b"undecoded bytes in device sections" not in out3:
        fail(label, f"text view: exit {rc3}")


@one_check
def check_mutation(label, path, entry):
    """A mutation that breaks the format must be refused at its byte."""
    target = entry.get("failure_class_target")
    rc, out, err = run("dump", "--format", "json", path)
    if target not in ("bad-footer", "truncated", "bad-magic"):
        # Loadability findings (unknown section, versions, machine) are for
        # `check`; the stream itself is well formed.
        if rc != 0:
            fail(label, f"well-formed mutation: exit {rc}: {err.strip()}")
        return
    if rc != 3:
        return fail(label, f"{target}: exit {rc}, expected 3")
    if not re.match(r"vmstate-inspect: .*: byte \d+ \(0x[0-9a-f]+\): .+", err.strip()):
        fail(label, f"error line not in the documented form: {err.strip()}")
    doc = json.loads(out)
    off = doc["error"]["offset"]
    m = re.search(r"at byte (\d+)", entry.get("mutation", ""))
    if target in ("bad-footer",) and m:
        mutated = int(m.group(1))
        if off not in (mutated, mutated + 1):
            fail(label, f"bad footer at byte {mutated}, error names byte {off}")
    if target == "bad-magic" and off != 0:
        fail(label, f"bad magic: error names byte {off}")
    if target == "truncated":
        size = entry.get("raw_size") or doc["stream_size"]
        if not (0 <= off <= size):
            fail(label, f"truncated at {size}, error names byte {off}")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--fixtures"]:
        d = args[1]
        meta = {}
        if os.path.exists(os.path.join(d, "fixtures.json")):
            m = json.load(open(os.path.join(d, "fixtures.json")))
            for e in (m.get("fixtures", []) if isinstance(m, dict) else m):
                meta[os.path.basename(e["file"])] = e
        files = sorted(f for f in os.listdir(d)
                       if f.endswith((".qevm", ".qevm.xz", ".qcow2", ".qcow2.xz")))
        if not files:
            print("no fixtures found")
            return 99
        for f in files:
            e = meta.get(f, {})
            check_stream(f, os.path.join(d, f), e.get("has_vmdesc"),
                         target_of(e.get("qemu_version"), e.get("arch")))
    elif args[:1] == ["--manifest"]:
        root = os.path.dirname(args[1])
        for e in json.load(open(args[1])):
            if e.get("type") != "stream":
                continue
            path = os.path.join(root, e["file"])
            if e.get("mutation_of"):
                check_mutation(e["id"], path, e)
            else:
                arch = e.get("arch") or ("aarch64" if "aarch64" in e["file"] else "x86_64")
                check_stream(e["id"], path, None, target_of(e.get("qemu_version"), arch))
    else:
        print(__doc__)
        return 2
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
