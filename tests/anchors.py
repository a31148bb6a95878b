#!/usr/bin/env python3
"""`diff` against QEMU's own vmstate-static-checker on its test data.

For both directions of ../shared/anchors/vmstate-static-checker-data, every
line scripts/vmstate-static-checker.py printed (its recorded output) must be
among diff's findings, errors as errors and the machine-type warning as a
warning, and diff must exit 1 (incompatible) where the checker exited
non-zero.  diff may report more (fields added without a version bump).
"""
import json, os, subprocess, sys

BIN = os.environ["VI_BIN"]
SRC = os.environ.get("VI_SRCDIR", ".")
DATA = os.path.join(os.environ.get("VI_CORPUS", os.path.join(SRC, "..", "shared", "corpus")),
                    "..", "anchors", "vmstate-static-checker-data")


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
        print(f"no anchors at {DATA}: skipped")
        return 77
    passed = failed = 0
    for a, b in (("dump1", "dump2"), ("dump2", "dump1")):
        status, want = expected(os.path.join(DATA, f"expected-{a}-to-{b}.txt"))
        p = subprocess.run([BIN, "diff", "--format", "json", os.path.join(DATA, a + ".json"),
                            os.path.join(DATA, b + ".json")], capture_output=True)
        out = json.loads(p.stdout)
        got = {(f["message"], f["severity"]) for f in out["findings"]}
        for line in want:
            sev = "warning" if line.startswith("Warning:") else "error"
            if (line, sev) in got:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {a}->{b}: missing {sev}: {line}")
        ok = (p.returncode == 1) == (status != 0)
        passed += ok
        failed += not ok
        if not ok:
            print(f"FAIL {a}->{b}: exit {p.returncode}, checker exited {status}")
        extra = [m for m, s in got if s == "error" and m not in want]
        print(f"{a}->{b}: {len(want)} checker lines, {len(extra)} more from diff")
        for m in extra:
            print("   more:", m)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
