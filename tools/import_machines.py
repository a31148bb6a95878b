#!/usr/bin/env python3
"""import_machines.py - machine data (schemas/machines/ format, schemas/README-compat.md)
for a QEMU binary alone, without its source tree: the import of a user's own build
(tools/import-qemu.sh).

    import_machines.py --target qemu-R/ARCH --binary QEMU --out FILE

Machine types, aliases, default and deprecation come from `-machine help` and QMP
query-machines; each machine's accumulated compat properties from query-machines
{"compat-props": true} where the binary has it (QEMU 9.1 and later).  Older binaries get
empty compat property lists, and provenance.limits says so: check then sees no
machine-property findings for them.  Without a source tree no property is attributed to
its compat array ("array": "unknown").  Standard library only.
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_machines as gm  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    helped = gm.machine_help(a.binary)
    limits = []
    try:
        q = gm.qmp_query(a.binary, {"compat-props": True})
        with_props = True
    except RuntimeError:
        q = gm.qmp_query(a.binary, {})
        with_props = False
        limits.append("this binary's query-machines has no compat-props (QEMU < 9.1): "
                      "compat_props are empty, so check gives no machine-property findings")
    version = gm.subprocess.run([a.binary, "--version"], capture_output=True,
                                text=True).stdout.split("\n")[0]
    machines = {}
    for m in sorted(q, key=lambda m: gm.version_key(m["name"])):
        name = m["name"]
        h = helped.get(name, {})
        aliases = sorted(set(h.get("aliases", []) + ([m["alias"]] if m.get("alias") else [])))
        props = [{"driver": p["qom-type"], "property": p["property"], "value": p["value"],
                  "array": "unknown"} for p in m.get("compat-props", [])]
        machines[name] = {"aliases": aliases, "default": bool(m.get("is-default")),
                          "deprecated": bool(m.get("deprecated", h.get("deprecated", False))),
                          "compat_props": props}
    doc = {"format": "vmstate-inspect-machines", "format_version": 1, "target": a.target,
           "qemu_version": version,
           "provenance": {"tool": "tools/import_machines.py",
                          "inputs": "-machine help, QMP query-machines%s of the binary alone"
                                    % (" {compat-props: true}" if with_props else ""),
                          "limits": limits},
           "machines": machines}
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(gm.dump_json(doc) + "\n")
    os.replace(tmp, a.out)
    print("import_machines: %d machine types%s -> %s"
          % (len(machines), " with compat properties" if with_props else "", a.out),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
