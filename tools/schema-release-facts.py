#!/usr/bin/env python3
"""schema-release-facts.py - write, into a generated schema, the facts of its QEMU release
that `check` needs and no -dump-vmstate has, so that no C code knows releases:

    "release_facts": {
      "migration_capabilities": [names],   QMP query-migrate-capabilities of the binary, in
                                           its order (get_capability() fails the load on a
                                           name not in it)
      "validated_capabilities": [names],   the cases of should_validate_capability()
                                           (migration/savevm.c or options.c): the ones
                                           configuration_post_load compares with its own
      "migration_commands": [{"name", "len"}],  mig_cmd_args[] (migration/savevm.c) in
                                           enum qemu_vm_cmd order, index = MIG_CMD number,
                                           without MAX (an enum value without an entry
                                           is named from the enum, len 0); a number past
                                           the list fails ("MIG_CMD 0x%x unknown")
      "virtio_subsections": [{"parent", "name", "version_id", "minimum_version_id"}],
                                           the .subsections of vmstate_virtio
                                           (hw/virtio/virtio.c), vmstate_virtio_pci and
                                           vmstate_virtio_mmio, in declaration order:
                                           virtio_load() reads them by hand
      "provenance": {key: where it came from}}

A key whose source is missing (no --src) is left out: `check` then treats that fact as
unknown, as for a schema made by `schema import`.

    python3 tools/schema-release-facts.py --run QEMU-WRAPPER [--src QEMU-SOURCE] SCHEMA.json
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schema_file import write_with_note  # noqa: E402
import qmp  # noqa: E402


def qmp_capabilities(run):
    """query-migrate-capabilities of `run -M none`, names in the order QEMU lists them."""
    with tempfile.TemporaryDirectory(prefix="vi-facts-") as d:
        sock = os.path.join(d, "qmp.sock")
        p = subprocess.Popen([run, "-M", "none", "-nodefaults", "-display", "none", "-S",
                              "-chardev", "socket,id=qmp,path=qmp.sock,server=on,wait=off",
                              "-mon", "chardev=qmp,mode=control"], cwd=d,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        try:
            q = qmp.connect(sock, p, timeout=30)
            r = q.execute("query-migrate-capabilities")
            try:
                q.execute("quit")
            except EOFError:        # QEMU may close before it answers
                pass
            q.close()
        except qmp.QMPError:
            raise SystemExit("schema-release-facts: %s exited: %s"
                             % (run, p.stderr.read().decode(errors="replace")))
        finally:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    if "return" not in r:
        raise SystemExit("schema-release-facts: query-migrate-capabilities: %s" % r)
    return [c["capability"] for c in r["return"]]


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def read(src, rel):
    with open(os.path.join(src, rel), errors="replace") as f:
        return strip_comments(f.read())


def body_after(text, i):
    """the text between the brace at or after i and its match"""
    i = text.index("{", i)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    raise ValueError("unbalanced braces")


def cap_name(enum):
    return enum.lower().replace("_", "-")


def validated_capabilities(src):
    for rel in ("migration/options.c", "migration/savevm.c"):
        if not os.path.exists(os.path.join(src, rel)):
            continue
        t = read(src, rel)
        m = re.search(r"\bbool\s+should_validate_capability\s*\([^)]*\)\s*{", t)
        if not m:
            continue
        body = body_after(t, m.end() - 1)
        out, pending = [], []
        for tok in re.finditer(r"case\s+MIGRATION_CAPABILITY_(\w+)\s*:|return\s+(true|false)", body):
            if tok.group(1):
                pending.append(cap_name(tok.group(1)))
            else:
                if tok.group(2) == "true":
                    out += pending
                pending = []
        return out, "%s should_validate_capability()" % rel
    raise SystemExit("schema-release-facts: no should_validate_capability() in %s" % src)


def migration_commands(src):
    t = read(src, "migration/savevm.c")
    m = re.search(r"enum\s+qemu_vm_cmd\s*{", t)
    order = re.findall(r"\b(MIG_CMD_\w+)", body_after(t, m.end() - 1))
    m = re.search(r"mig_cmd_args\s*\[\s*\]\s*=\s*{", t)
    table = {}
    for e in re.finditer(r"\[\s*(MIG_CMD_\w+)\s*\]\s*=\s*{([^}]*)}", body_after(t, m.end() - 1)):
        name = re.search(r'\.name\s*=\s*"([^"]*)"', e.group(2)).group(1)
        ln = re.search(r"\.len\s*=\s*([^,}]+)", e.group(2)).group(1).strip()
        sizes = {"sizeof(uint32_t)": 4, "sizeof(uint64_t)": 8, "sizeof(uint16_t)": 2}
        table[e.group(1)] = {"name": name, "len": sizes.get(ln, None if not re.fullmatch(r"-?\d+", ln) else int(ln))}
    out = []
    for e in order:
        if e == "MIG_CMD_MAX":
            break
        if e not in table:      # no entry: zero-initialised, len 0 (ENABLE_COLO)
            out.append({"name": e[len("MIG_CMD_"):], "len": 0})
        elif table[e]["len"] is None:
            raise SystemExit("schema-release-facts: mig_cmd_args: %s has an unknown .len" % e)
        else:
            out.append(table[e])
    return out, "migration/savevm.c enum qemu_vm_cmd and mig_cmd_args[]"


def vmsds(text):
    """ident -> body of every 'VMStateDescription ident = {...}' in text"""
    out = {}
    for m in re.finditer(r"VMStateDescription\s+(\w+)\s*=\s*{", text):
        out[m.group(1)] = body_after(text, m.end() - 1)
    return out


def num(body, key):
    m = re.search(r"\.%s\s*=\s*(\d+)" % key, body)
    return int(m.group(1)) if m else 0


def virtio_subsections(src):
    out, used = [], []
    for rel, ident in (("hw/virtio/virtio.c", "vmstate_virtio"),
                       ("hw/virtio/virtio-pci.c", "vmstate_virtio_pci"),
                       ("hw/virtio/virtio-mmio.c", "vmstate_virtio_mmio")):
        if not os.path.exists(os.path.join(src, rel)):
            continue
        d = vmsds(read(src, rel))
        if ident not in d:
            continue
        parent = re.search(r'\.name\s*=\s*"([^"]*)"', d[ident]).group(1)
        m = re.search(r"\.subsections\s*=\s*\([^)]*\)\s*{", d[ident])
        if not m:
            continue
        used.append(rel + " " + ident)
        for sub in re.findall(r"&(\w+)", body_after(d[ident], m.end() - 1)):
            b = d.get(sub)
            if b is None:
                raise SystemExit("schema-release-facts: %s: %s not defined" % (rel, sub))
            out.append({"parent": parent,
                        "name": re.search(r'\.name\s*=\s*"([^"]*)"', b).group(1),
                        "version_id": num(b, "version_id"),
                        "minimum_version_id": num(b, "minimum_version_id")})
    if not out:
        raise SystemExit("schema-release-facts: no virtio subsections in %s" % src)
    return out, "the .subsections of " + ", ".join(used)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", required=True, help="the release's qemu-system-ARCH (a wrapper)")
    ap.add_argument("--src", help="that QEMU's source tree")
    ap.add_argument("--src-desc", default="", help="what the source tree is (provenance)")
    ap.add_argument("schema")
    a = ap.parse_args()
    with open(a.schema) as f:
        doc = json.load(f)
    facts, prov = {}, {}
    facts["migration_capabilities"] = qmp_capabilities(a.run)
    arch = doc.get("target", "/ARCH").split("/")[-1]
    prov["migration_capabilities"] = "QMP query-migrate-capabilities of qemu-system-%s -M none" % arch
    if a.src:
        where = " of " + (a.src_desc or "the QEMU source")
        for key, fn in (("validated_capabilities", validated_capabilities),
                        ("migration_commands", migration_commands),
                        ("virtio_subsections", virtio_subsections)):
            facts[key], p = fn(a.src)
            prov[key] = p + where
    else:
        prov["missing"] = ("validated_capabilities, migration_commands, virtio_subsections: "
                           "no source of this QEMU")
    facts["provenance"] = prov
    doc["release_facts"] = facts
    write_with_note(a.schema, doc, "release_facts: tools/schema-release-facts.py")
    print("schema-release-facts: %s: %d capabilities, %s" % (
        a.schema, len(facts["migration_capabilities"]),
        ", ".join("%d %s" % (len(facts[k]), k) for k in
                  ("validated_capabilities", "migration_commands", "virtio_subsections")
                  if k in facts)), file=sys.stderr)


if __name__ == "__main__":
    main()
