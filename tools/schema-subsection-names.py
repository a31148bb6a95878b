#!/usr/bin/env python3
"""schema-subsection-names.py - list, in a schema, every subsection a binary knows
for the vmstates -dump-vmstate leaves out.

-dump-vmstate lists device classes only, so what a schema knows of "cpu",
"timer", "apic", ... comes from the streams tools/schema-streams.py made, and
those carry only the subsections whose needed() test was true at the time.
A subsection's name is a string constant of its VMStateDescription, and by
QEMU's convention it begins with its parent's name and a slash ("cpu/pkru"):
every NUL-terminated string "<vmsd>/<name>" in the binary is one (nested ones
such as cpu/kvm_nested_state/vmx included).  This script writes them, sorted,
as "subsection_names" into each such vmsd of the schema (in place), for
`check` to tell a subsection the destination lacks from one its streams
never sent.  vmsds from -dump-vmstate are left alone: their subsection list
is complete.

    python3 tools/schema-subsection-names.py --binary qemu-system-x86_64 SCHEMA.json
"""
import argparse, glob, importlib.util, json, os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schema_file import write_with_note  # noqa: E402


def executables(path):
    """The executable behind a binary or a tools/install-qemu.sh wrapper, and its modules."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "vsrc", os.path.join(here, "vmsd-versions-from-source.py"))
    vsrc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vsrc)
    exe, *mods = vsrc.resolve_binary(path)
    return [exe] + sorted(f for d in mods for f in glob.glob(os.path.join(d, "*.so")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("schema")
    a = ap.parse_args()
    strings = set()
    for f in executables(a.binary):
        data = open(f, "rb").read()
        strings |= set(m.group(1).decode() for m in re.finditer(rb"(?<=\x00)([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)(?=\x00)", data))
    strings = {s for s in strings if not re.search(r"\.[a-z]{1,3}$", s)}  # file names
    doc = json.load(open(a.schema))
    n = 0
    for name, v in doc["vmsds"].items():
        if v.get("origin") == "dump-vmstate" or "/" in name:
            continue
        names = sorted(s for s in strings if s.startswith(name + "/"))
        seen = {s["name"] for s in v.get("subsections", [])}
        if not names or not seen <= set(names):
            continue  # no convention-following names: nothing to claim
        v["subsection_names"] = names
        n += 1
    write_with_note(a.schema, doc,
                    "subsection_names: every NUL-terminated \"<vmsd>/...\" string of the "
                    "binary, for vmsds -dump-vmstate does not list "
                    "(tools/schema-subsection-names.py)")
    print(f"schema-subsection-names: {n} vmsds", file=sys.stderr)


if __name__ == "__main__":
    main()
