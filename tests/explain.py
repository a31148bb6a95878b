#!/usr/bin/env python3
"""explain: every QEMU error text of the shared corpus's oracle cases is
recognised line by line and located in its stream, and the location is the
right one: the mutated bytes for mutations, the PCI config byte holding the
value QEMU read, the configuration record for machine types, the RAMBlock
named.  Prints the figure."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

VI = vt.need_bin()
SRC = vt.SRC
CORPUS = vt.CORPUS


def explain(text, path, stdin=False):
    rc, out, err = vt.run_bytes("explain", "--format", "json", *([] if stdin else [text]), path,
                                stdin=text.encode() if stdin else None)
    return rc, json.loads(out) if out else None, err


def overlaps(line, lo, hi):
    return line["offset"] <= hi and line["offset"] + line["length"] - 1 >= lo


def check_case(case, stream):
    path = os.path.join(CORPUS, stream["file"])
    rc, doc, err = explain(case["qemu_error"], path)
    cid = case["id"]
    if not check(doc is not None, f"{cid}: explain printed JSON ({rc}: {err.strip()})"):
        return 0, 0, 0
    lines = doc["lines"]
    n = len(lines)
    rec = sum(l["recognised"] for l in lines)
    loc = sum(l["recognised"] and l["located"] for l in lines)
    check(n == len([x for x in case["qemu_error"].splitlines() if x.strip()]), f"{cid}: one entry per line")
    for l in lines:
        check(l["recognised"], f"{cid}: recognised: {l['text']}")
        check(l["located"], f"{cid}: located: {l['text']}")
    check(rc == 0, f"{cid}: exit 0 when all is recognised and located ({rc})")
    first = lines[0]
    data = vt.read_stream(path)
    mut = case.get("mutation") or ""
    m = re.search(r"bytes (\d+)\.\.(\d+)", mut)
    if m and "header at byte" not in mut:
        check(overlaps(first, int(m[1]), int(m[2])), f"{cid}: first line points at the mutated bytes {m[1]}..{m[2]} ({first['offset']}+{first['length']})")
    m = re.search(r"header at byte (\d+)", mut)
    if m:
        lo = int(m[1])
        hi = int(re.search(r"bytes \d+\.\.(\d+)", mut)[1]) if "bytes" in mut else lo + 300
        check(lo <= first["offset"] <= hi, f"{cid}: first line points into the mutated header at {lo} ({first['offset']})")
    m = re.search(r"at byte (\d+)", mut)
    if m and "header at byte" not in mut:
        b = int(m[1])
        check(overlaps(first, b, b + 4), f"{cid}: first line points at byte {b} ({first['offset']})")
    m = re.search(r"truncated to (\d+) bytes", mut)
    if m:
        check(first["offset"] <= int(m[1]) or any(l["offset"] == int(m[1]) for l in lines),
              f"{cid}: points within the truncated stream")
        check(any(l["offset"] == int(m[1]) or (l["message"] in ("load-section-id",)) for l in lines),
              f"{cid}: some line points where the stream ends ({int(m[1])})")
    for l in lines:
        if l["message"] == "pci-config":
            read = int(re.search(r"read: ([0-9a-fA-F]+)", l["text"])[1], 16)
            check(data[l["offset"]] == read, f"{cid}: the PCI config byte at {l['offset']} is {data[l['offset']]:#x}, QEMU read {read:#x}")
        if l["message"] == "machine-type":
            check(l["path"] == "configuration", f"{cid}: machine type located at the configuration ({l['path']})")
            received = re.search(r"received is '([^']*)'", l["text"])[1]
            check(received.encode() in data[l["offset"]:l["offset"] + l["length"]],
                  f"{cid}: {received} lies in the bytes pointed at")
        if l["message"] == "ramblock-unknown":
            name = re.search(r'ramblock "([^"]*)"', l["text"])[1]
            check(data[l["offset"] + 1:l["offset"] + 1 + len(name)] == name.encode(),
                  f"{cid}: RAMBlock {name} named at {l['offset']}")
        if l["message"] in ("unknown-section", "load-instance"):
            name = re.search(r"'([^']*)'", l["text"])[1]
            check(name.encode() in data[l["offset"]:l["offset"] + 7 + len(name)],
                  f"{cid}: section {name} starts at {l['offset']}")
    return n, rec, loc


def main():
    manifest = os.path.join(CORPUS, "manifest.json")
    if not os.path.exists(manifest):
        vt.skip(f"no shared corpus at {CORPUS}")
    entries = json.load(open(manifest))
    streams = {e["id"]: e for e in entries if e["type"] == "stream"}
    cases = [e for e in entries if e.get("qemu_error")]
    tot = rec = loc = 0
    for case in cases:
        if not check(case["stream"] in streams, f"{case['id']}: stream {case['stream']} in the manifest"):
            continue
        n, r, l = check_case(case, streams[case["stream"]])
        tot, rec, loc = tot + n, rec + r, loc + l
    # the error text on stdin gives the same answer
    case = cases[0]
    a = explain(case["qemu_error"], os.path.join(CORPUS, streams[case["stream"]]["file"]))[1]
    b = explain(case["qemu_error"], os.path.join(CORPUS, streams[case["stream"]]["file"]), stdin=True)[1]
    check(a == b, "the text on stdin is explained the same")
    # a line QEMU never prints is not recognised, and the exit status says so
    rc, doc, _ = explain("qemu-system-x86_64: the moon is made of cheese",
                         os.path.join(CORPUS, streams[case["stream"]]["file"]))
    check(rc == 1 and not doc["lines"][0]["recognised"], "an unknown line is not recognised (exit 1)")
    print(f"explain: {len(cases)} QEMU error texts, {tot} lines: {rec} recognised "
          f"({100.0 * rec / max(tot, 1):.0f} %), {loc} located ({100.0 * loc / max(tot, 1):.0f} %); "
          f"{len(vt.failures)} failure(s)")
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
