#!/usr/bin/env python3
"""Agreement of `vmstate-inspect check` with real QEMU on the oracle cases.

Every oracle case of the shared corpus manifest records what a real
destination QEMU did with a stream: accept, or reject with a failure class.
For each, run `check --target qemu-R/x86_64 --machine M --dest-stream D S`
and compare verdict and (on reject) the first error's class.  Prints the
agreement as a figure and fails on any disagreement not listed in
KNOWN_LIMITS below (each with the reason).

Options: --schemas DIR (default: the repository's schemas/); --no-dest (run
without --dest-stream, i.e. from schemas alone, and report that figure too).
"""
import json, os, re, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import vitest as vt  # noqa: E402  (tests/vitest.py)

BIN = vt.need_bin()
SRC = vt.SRC
CORPUS = vt.CORPUS

# Cases the tool cannot decide the way QEMU did, and why.  Keep this short.
KNOWN_LIMITS = {}


def materialise(path, tmp):
    """check reads .xz itself, but --dest-stream must be cheap to re-read."""
    return path


def main():
    use_dest = "--no-dest" not in sys.argv
    if "--schemas" in sys.argv:
        os.environ["VMSTATE_INSPECT_SCHEMAS"] = sys.argv[sys.argv.index("--schemas") + 1]
    else:
        os.environ.setdefault("VMSTATE_INSPECT_SCHEMAS", os.path.join(SRC, "schemas"))
    man = os.path.join(CORPUS, "manifest.json")
    if not os.path.exists(man):
        print(f"no shared corpus at {CORPUS}: skipped")
        return 77
    entries = json.load(open(man))
    streams = {e["id"]: e for e in entries if e["type"] == "stream"}
    cases = [e for e in entries if e["type"] == "oracle"]
    agree, disagree = 0, []
    for c in cases:
        s = streams[c["stream"]]
        rel = vt.release(c["dest_qemu_version"])
        args = ["check", "--format", "json", "--target", f"qemu-{rel}/x86_64"]
        m = vt.machine_of(c["dest_command_line"])
        if m:
            args += ["--machine", m]
        if use_dest and c.get("dest_stream"):
            args += ["--dest-stream", os.path.join(CORPUS, c["dest_stream"])]
        args.append(os.path.join(CORPUS, s["file"]))
        p = subprocess.run([BIN, *args], capture_output=True, timeout=120)
        if p.returncode == 3 and (c["expect"], c["failure_class"]) == ("reject", "bad-magic"):
            # A file that is no stream gets no verdict but exit 3 and the error
            # in the document (issue 12); QEMU refuses it as "Not a migration
            # stream": both refuse it, for the same reason.
            err = (json.loads(p.stdout) if p.stdout else {}).get("error") or {}
            if err.get("class") == "unreadable" and \
                    "not a QEMU migration stream" in err.get("message", ""):
                agree += 1
                continue
        if p.returncode not in (0, 1):
            disagree.append((c["id"], f"exit {p.returncode}: {p.stderr.decode().strip()}"))
            continue
        out = json.loads(p.stdout)
        f = out["files"][0]
        got = (f["verdict"], f["failure_class"] or "none")
        want = (c["expect"], c["failure_class"])
        if got == want:
            agree += 1
        else:
            first = next((x for x in f["findings"] if x["severity"] == "error"), None)
            disagree.append((c["id"], f"QEMU {want}, check {got}"
                             + (f": {first['message']}" if first else "")))
    total = len(cases)
    print(f"oracle agreement{'' if use_dest else ' (schemas only)'}: "
          f"{agree}/{total} = {100.0 * agree / total:.1f}%")
    unexpected = [d for d in disagree if d[0] not in KNOWN_LIMITS]
    for cid, why in disagree:
        tag = "LIMIT" if cid in KNOWN_LIMITS else "FAIL"
        print(f"{tag} {cid}: {why}" + (f" ({KNOWN_LIMITS[cid]})" if cid in KNOWN_LIMITS else ""))
    print(f"{agree} passed, {len(unexpected)} failed")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
