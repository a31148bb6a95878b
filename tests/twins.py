#!/usr/bin/env python3
"""Every packaging of a stream reads exactly like the raw stream ("its raw
twin"): the same decoded tree (dump --format json), the same check verdict
and findings (check --target), the same report, from the file and through a
pipe (cat FILE | vmstate-inspect dump -).

Twins compared:
  - each raw fixture in tests/data, compressed here by the real gzip, bzip2,
    lzop, zstd and xz tools (and gzip inside xz);
  - the real libvirt save images of tests/data/images (make-images.sh), each
    against the raw stream it holds (images.json names it; the stream is cut
    out of the image by the header's data length, never by this tool).
Only the facts about the packaging may differ: file, container, filters,
file_offset (check: null for a stream that was unpacked),
stream_offset, file_size, the libvirt header."""
import json, os, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

VI = vt.need_bin()
SRC = vt.SRC
DATA = vt.DATA
TOOLS = [("gzip", ["gzip", "-c"]), ("bzip2", ["bzip2", "-c"]), ("lzop", ["lzop", "-c"]),
         ("zstd", ["zstd", "-q", "-c"]), ("xz", ["xz", "-c"])]
PACKAGING = {"file", "file_size", "container", "filters", "stream_offset", "file_offset", "libvirt",
             "snapshot", "detail"}


def vi(args, stdin=None):
    return vt.run(*args, stdin_file=stdin)


def strip(o):
    return vt.strip_keys(o, PACKAGING)


def views(path, target, pipe=False):
    """(exit, normalised JSON) of dump, check and report for one input."""
    out = {}
    cmds = {"dump": ["dump", "--format", "json"],
            "check": ["check", "--target", target, "--format", "json"],
            "report": ["report", "--target", target, "--format", "json"]}
    for name, args in cmds.items():
        if pipe:
            with open(path, "rb") as f:
                rc, o, e = vi(args + ["-"], stdin=f)
        else:
            rc, o, e = vi(args + [path])
        try:
            doc = strip(json.loads(o))
        except ValueError:
            doc = f"not JSON: {o[:200]!r} {e.strip()}"
        out[name] = (rc, doc)
    return out


def first_diff(a, b, where=""):
    if type(a) is not type(b):
        return f"{where}: {str(a)[:80]} != {str(b)[:80]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}/{k}: only on one side"
            d = first_diff(a[k], b[k], f"{where}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{where}: {str(a)[:80]} != {str(b)[:80]}"


def compare(label, twin, raw_views, target):
    """One check: the twin's views, from the file and through a pipe, are the raw twin's."""
    problems = []
    for pipe in (False, True):
        v = views(twin, target, pipe)
        for cmd in ("dump", "check", "report"):
            (rc0, d0), (rc1, d1) = raw_views[cmd], v[cmd]
            how = f"{cmd}{' (pipe)' if pipe else ''}"
            if rc0 != rc1:
                problems.append(f"{how}: exit {rc1}, raw twin {rc0}")
            elif d0 != d1:
                problems.append(f"{how}: differs from the raw twin: {first_diff(d0, d1)}")
    check(not problems, label, "; ".join(problems))


def target_of(meta):
    rel = "7.2" if meta["qemu_version"].split("version ")[1].startswith("7.2") else "10.0"
    return f"qemu-{rel}/{meta['arch']}"


def main():
    for name, cmd in TOOLS:
        if not shutil.which(cmd[0]):
            vt.skip(f"{cmd[0]} is not installed (tools/install-deps.sh installs it)")
    work = tempfile.mkdtemp(prefix="vi-twins.")
    n = 0
    try:
        fixtures = json.load(open(os.path.join(DATA, "fixtures.json")))["fixtures"]
        picked = [f for f in fixtures if f["file"].endswith(".qevm.xz")][:3]
        for meta in picked:
            raw = os.path.join(work, meta["file"][:-3])
            with open(raw, "wb") as f:
                subprocess.run(["xz", "-dc", os.path.join(DATA, meta["file"])], stdout=f,
                               check=True)
            target = target_of(meta)
            base = views(raw, target)
            if not check(base["dump"][0] == 0, f"{meta['file']}: raw twin dumps",
                         f"exit {base['dump'][0]}"):
                continue
            for tool, cmd in TOOLS:
                twin = f"{raw}.{tool}"
                with open(raw, "rb") as i, open(twin, "wb") as o:
                    subprocess.run(cmd, stdin=i, stdout=o, check=True)
                compare(os.path.basename(twin), twin, base, target)
                n += 1
            nested = f"{raw}.gzip.xz"
            with open(f"{raw}.gzip", "rb") as i, open(nested, "wb") as o:
                subprocess.run(["xz", "-c"], stdin=i, stdout=o, check=True)
            compare(os.path.basename(nested), nested, base, target)
            n += 1
        n += images(work)
    finally:
        shutil.rmtree(work)
    print(f"{n} twins compared, {len(vt.failures)} failures")
    return vt.done()


TOOL_OF = {"gzip": "gzip", "bzip2": "bzip2", "xz": "xz", "lzop": "lzop", "zstd": "zstd"}


def images(work):
    """libvirt save images made by make-images.sh, each against its raw twin:
    the bytes after the header's data_len, through the real decompressor."""
    idx = os.path.join(DATA, "images", "images.json")
    if not os.path.exists(idx):
        print("note: tests/data/images/images.json absent: no libvirt images compared")
        return 0
    n = 0
    for img in json.load(open(idx))["images"]:
        path = os.path.join(DATA, "images", img["file"])
        if img.get("stored_xz"):	# kept small in git: unpack to the real image
            data = subprocess.run(["xz", "-dc", path], stdout=subprocess.PIPE,
                                  check=True).stdout
        else:
            data = open(path, "rb").read()
        src = os.path.join(work, img["file"].removesuffix(".xz"))
        open(src, "wb").write(data)
        data_len = int.from_bytes(data[20:24], "little")
        payload = data[92 + data_len:]
        if img["format"] == "sparse":
            # mapped-ram: the stream names file offsets of its pages, so it
            # cannot be cut out; the image is its own twin (file vs pipe)
            base = views(src, img["target"])
            check(all(base[c][0] == 0 for c in base), f"{img['file']}: every view exits 0",
                  ", ".join(f"{c} exit {base[c][0]}" for c in base))
            compare(img["file"], src, base, img["target"])
            n += 1
            # gzip'd for a bug report: mostly holes, so it expands >1000:1;
            # read once, it reads the same (no ratio cap, nothing spooled)
            gz = src + ".gz"
            with open(src, "rb") as i, open(gz, "wb") as o:
                subprocess.run(["gzip", "-c"], stdin=i, stdout=o, check=True)
            compare(img["file"] + ".gz", gz, base, img["target"])
            n += 1
            continue
        if img["format"] in TOOL_OF:
            payload = subprocess.run([TOOL_OF[img["format"]], "-dc"], input=payload,
                                     stdout=subprocess.PIPE, check=True).stdout
        raw = src + ".twin.qevm"
        open(raw, "wb").write(payload)
        if not check(payload[:4] == b"QEVM", f"{img['file']}: its raw twin starts with QEVM"):
            continue
        compare(img["file"], src, views(raw, img["target"]), img["target"])
        # what the header says, as dump --format json shows it
        rc, o, e = vi(["dump", "--format", "json", src])
        lv = json.loads(o).get("libvirt") or {}
        dom = lv.get("domain") or {}
        want = {"format": img["format"], "was_running": img["was_running"],
                "version": img["header_version"], "data_length": img["data_len"]}
        got = {k: lv.get(k) for k in want}
        check(got == want and dom.get("name") == img["domain"] and dom.get("uuid") == img["uuid"]
              and dom.get("machine") == img["machine"], f"{img['file']}: libvirt header",
              f"{got} {dom}, expected {want}")
        rc, o, e = vi(["dump", "--domain-xml", src])
        check(rc == 0 and f"<name>{img['domain']}</name>" in o and o.startswith("<domain"),
              f"{img['file']}: dump --domain-xml", f"exit {rc} {e.strip()}")
        rc, o, e = vi(["report", "--target", img["target"], src])
        state = "running" if img["was_running"] else "paused"
        check(rc == 0 and f"guest {state} when saved" in o and img["uuid"] in o,
              f"{img['file']}: report has the domain and its run state")
        n += 1
    return n


if __name__ == "__main__":
    sys.exit(main())
