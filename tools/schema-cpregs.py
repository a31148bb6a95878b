#!/usr/bin/env python3
"""schema-cpregs.py - record, in an ARM schema, the CPU register list of each CPU model
the generated streams ran.

An ARM "cpu" section carries cpreg_vmstate_indexes, the coprocessor registers of the
source CPU; the destination's cpu_post_load (target/arm/machine.c) fails the load when
one of them is not in its own CPU's list, and the cpreg_vmstate_array_len field fails it
earlier when the list is longer than the destination's.  Those lists depend on the CPU
model and change between releases, so `check` needs the destination release's list for
the source's CPU model.  This script takes the streams tools/schema-streams.py made
(streams.json: their command lines) and writes, into the schema's "cpu" vmsd,

    "cpreg_index_sets": [{"cpu": "cortex-a57", "indexes": [...]}, ...]

one per -cpu model (the sorted indexes of the first CPU of the first stream with it).
Schemas without ARM CPU sections are left alone.

    python3 tools/schema-cpregs.py --vi BIN --streams DIR SCHEMA.json
"""
import argparse, json, os, re, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schema_file import write_with_note  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vi", required=True, help="the vmstate-inspect binary")
    ap.add_argument("--streams", required=True, help="directory with streams.json")
    ap.add_argument("schema")
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.streams, "streams.json")))
    sets = {}
    for s in meta["streams"]:
        m = re.search(r"-cpu\s+(\S+)", s["command_line"])
        model = m.group(1).split(",")[0] if m else "default"
        if model in sets:
            continue
        p = subprocess.run([a.vi, "dump", "--format", "json",
                            os.path.join(a.streams, s["file"])], capture_output=True)
        if p.returncode != 0:
            continue
        for sec in json.loads(p.stdout)["sections"]:
            if sec["name"] != "cpu":
                continue
            f = next((x for x in sec.get("fields", [])
                      if x["name"] == "cpreg_vmstate_indexes"), None)
            if f and isinstance(f.get("value"), list):
                sets[model] = [int(v) for v in f["value"]]
            break
    if not sets:
        return
    doc = json.load(open(a.schema))
    cpu = doc["vmsds"].get("cpu")
    if cpu is None:
        return
    cpu["cpreg_index_sets"] = [{"cpu": k, "indexes": sorted(v)} for k, v in sorted(sets.items())]
    write_with_note(a.schema, doc,
                    "cpreg_index_sets: the cpu section's cpreg_vmstate_indexes of a generated "
                    "stream per -cpu model (tools/schema-cpregs.py)")
    print(f"schema-cpregs: {', '.join(sorted(sets))}", file=sys.stderr)


if __name__ == "__main__":
    main()
