#!/usr/bin/env python3
"""`diff` on the shipped schemas against real QEMU's cross-release loads.

Every oracle case of the shared corpus that loads a stream of one release
into the other (QEMU 7.2 <-> 10.0, same machine type) records what real QEMU
did.  For each, `diff SRC-TARGET DST-TARGET --machine M` must report no error
for the vmstates that stream contains when QEMU accepted it, and at least one
error (or a machine finding) for them when QEMU rejected it for a reason of
layout or version.  Machine-type mismatches are `check`'s business and are
left out here.
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

BIN = vt.need_bin()
SRC = vt.SRC
CORPUS = vt.CORPUS
SCHEMAS = vt.SCHEMAS


def main():
    entries = vt.manifest()
    streams = {e["id"]: e for e in entries if e["type"] == "stream"}
    for c in entries:
        if c["type"] != "oracle":
            continue
        s = streams[c["stream"]]
        src_rel, dst_rel = vt.release(s.get("qemu_version")), vt.release(c.get("dest_qemu_version"))
        if not src_rel or not dst_rel or src_rel == dst_rel or s.get("mutation_of"):
            continue
        if c.get("failure_class") == "machine-mismatch":
            continue
        arch = s.get("arch") or "x86_64"
        st, dt = f"qemu-{src_rel}/{arch}", f"qemu-{dst_rel}/{arch}"
        m = vt.machine_of(c.get("dest_command_line")) or s.get("machine")
        rc, out, _ = vt.run("dump", "--format", "json", os.path.join(CORPUS, s["file"]))
        if rc != 0:
            check(False, f"{c['id']}: dump exit {rc}")
            continue
        names = {x["name"].rsplit("/", 1)[-1] for x in json.loads(out)["sections"]}
        qom = json.load(open(os.path.join(SCHEMAS, st + ".json"))).get("qom", {})
        keys = names | {k for k, v in qom.items() if v.get("vmsd") in names}
        rc, out, err = vt.run("diff", "--format", "json", st, dt, "--machine", m)
        if rc not in (0, 1):
            check(False, f"{c['id']}: diff exit {rc}: {err.strip()}")
            continue
        errs = [f for f in json.loads(out)["findings"]
                if f["severity"] == "error" and (f.get("path") or "").split("/")[0] in keys]
        if c["expect"] == "accept":
            check(not errs, f"{c['id']}: QEMU loaded the stream; diff {st} -> {dt} agrees",
                  "; ".join(f["message"] for f in errs[:3]))
        else:
            check(errs, f"{c['id']}: QEMU refused it ({c['failure_class']}); diff {st} -> {dt} "
                  f"reports {len(errs)} errors")
    if sum(vt.counts()) == 0:
        vt.skip("no cross-release oracle cases")
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
