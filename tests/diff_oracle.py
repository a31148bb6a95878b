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
import json, os, re, subprocess, sys

BIN = os.environ["VI_BIN"]
SRC = os.environ.get("VI_SRCDIR", ".")
CORPUS = os.environ.get("VI_CORPUS", os.path.join(SRC, "..", "shared", "corpus"))
SCHEMAS = os.environ.get("VMSTATE_INSPECT_SCHEMAS", os.path.join(SRC, "schemas"))


def release(line):
    m = re.search(r"version (\d+)\.(\d+)", line or "")
    return f"{m.group(1)}.{m.group(2)}" if m else None


def machine_of(cmdline):
    a = (cmdline or "").split()
    for i, x in enumerate(a):
        if x in ("-machine", "-M") and i + 1 < len(a):
            return a[i + 1].split(",")[0]
    return None


def main():
    man = os.path.join(CORPUS, "manifest.json")
    if not os.path.exists(man):
        print(f"no shared corpus at {CORPUS}: skipped")
        return 77
    entries = json.load(open(man))
    streams = {e["id"]: e for e in entries if e["type"] == "stream"}
    passed = failed = 0
    for c in entries:
        if c["type"] != "oracle":
            continue
        s = streams[c["stream"]]
        src_rel, dst_rel = release(s.get("qemu_version")), release(c.get("dest_qemu_version"))
        if not src_rel or not dst_rel or src_rel == dst_rel or s.get("mutation_of"):
            continue
        if c.get("failure_class") == "machine-mismatch":
            continue
        arch = s.get("arch") or "x86_64"
        st, dt = f"qemu-{src_rel}/{arch}", f"qemu-{dst_rel}/{arch}"
        m = machine_of(c.get("dest_command_line")) or s.get("machine")
        p = subprocess.run([BIN, "dump", "--format", "json", os.path.join(CORPUS, s["file"])],
                           capture_output=True)
        if p.returncode != 0:
            print(f"FAIL {c['id']}: dump exit {p.returncode}")
            failed += 1
            continue
        names = {x["name"].rsplit("/", 1)[-1] for x in json.loads(p.stdout)["sections"]}
        qom = json.load(open(os.path.join(SCHEMAS, st + ".json"))).get("qom", {})
        keys = names | {k for k, v in qom.items() if v.get("vmsd") in names}
        p = subprocess.run([BIN, "diff", "--format", "json", st, dt, "--machine", m],
                           capture_output=True)
        if p.returncode not in (0, 1):
            print(f"FAIL {c['id']}: diff exit {p.returncode}: {p.stderr.decode().strip()}")
            failed += 1
            continue
        errs = [f for f in json.loads(p.stdout)["findings"]
                if f["severity"] == "error" and (f.get("path") or "").split("/")[0] in keys]
        if c["expect"] == "accept" and errs:
            print(f"FAIL {c['id']}: QEMU loaded the stream; diff {st} -> {dt} says: "
                  + "; ".join(f["message"] for f in errs[:3]))
            failed += 1
        elif c["expect"] == "reject" and not errs:
            print(f"FAIL {c['id']}: QEMU refused it ({c['failure_class']}); diff found nothing")
            failed += 1
        else:
            print(f"ok {c['id']}: QEMU {c['expect']}, diff {st} -> {dt} "
                  f"{'agrees' if not errs else 'reports ' + str(len(errs)) + ' errors'}")
            passed += 1
    if passed + failed == 0:
        print("no cross-release oracle cases")
        return 77
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
