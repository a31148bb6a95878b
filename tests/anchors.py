#!/usr/bin/env python3
"""`diff` against QEMU's own vmstate-static-checker on its test data.

For both directions of ../shared/anchors/vmstate-static-checker-data, every
line scripts/vmstate-static-checker.py printed (its recorded output) must be
among diff's findings, errors as errors and the machine-type warning as a
warning, and diff must exit 1 (incompatible) where the checker exited
non-zero.  diff may report more (fields added without a version bump).
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

BIN = vt.need_bin()
SRC = vt.SRC
DATA = os.path.join(vt.CORPUS, "..", "anchors", "vmstate-static-checker-data")


def expected(path):
    status, lines = None, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# exit status:"):
            status = int(line.split(":")[1])
        elif line and not line.startswith("#"):
            lines.append(line)
    return status, lines


def main():
    if not os.path.isdir(DATA):
        vt.skip(f"no anchors at {DATA}")
    for a, b in (("dump1", "dump2"), ("dump2", "dump1")):
        status, want = expected(os.path.join(DATA, f"expected-{a}-to-{b}.txt"))
        rc, out, _ = vt.run("diff", "--format", "json", os.path.join(DATA, a + ".json"),
                            os.path.join(DATA, b + ".json"))
        out = json.loads(out)
        got = {(f["message"], f["severity"]) for f in out["findings"]}
        for line in want:
            sev = "warning" if line.startswith("Warning:") else "error"
            check((line, sev) in got, f"{a}->{b}: {sev}: {line}")
        check((rc == 1) == (status != 0), f"{a}->{b}: exit {rc}, checker exited {status}")
        extra = [m for m, s in got if s == "error" and m not in want]
        print(f"{a}->{b}: {len(want)} checker lines, {len(extra)} more from diff")
        for m in extra:
            print("   more:", m)
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
