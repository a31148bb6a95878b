#!/usr/bin/env python3
"""A pipe or a compressed input is walked in one pass (input-reader-stream.c):

  - no temporary bytes: each run has TMPDIR pointed at an empty directory
    that must stay empty, and a file size limit of 0 (any file written
    kills the tool with SIGXFSZ); `VMSTATE_INSPECT_STATS` must say
    temp_bytes=0;
  - the same JSON as the uncompressed file (dump, and check with two
    targets, which walks the kept bytes a second time);
  - the cap on what is kept (VMSTATE_INSPECT_MAX_KEPT, in MiB): a trailer
    header followed by 4 MiB is refused with 1 MiB allowed, exit 3, one
    line naming the stream offset; with 8 MiB it is read to its end."""
import json, os, re, shutil, struct, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

VI = vt.need_bin()
SRC = vt.SRC
FIXTURE = os.path.join(SRC, "tests", "data", "v72-x86-i440fx-7.2-devices.qevm.xz")
PACKAGING = {"file", "file_size", "container", "filters", "stream_offset", "file_offset",
             "detail"}


def strip(o):
    return vt.strip_keys(o, PACKAGING)


def run(args, tmp, stdin_path=None, env=None):
    """The tool with TMPDIR tmp and a file size limit of 0, stdin piped from
    stdin_path by cat (a pipe, not a file)."""
    e = dict(TMPDIR=tmp, VMSTATE_INSPECT_STATS="1", **(env or {}))
    cat = subprocess.Popen(["cat", stdin_path], stdout=subprocess.PIPE) if stdin_path else None
    try:
        return vt.run(*args, env=e, fsize=0, cpu=120, stdin_file=cat.stdout if cat else None)
    finally:
        if cat:
            cat.stdout.close()
            cat.wait()


def main():
    for tool in ("zstd", "gzip", "xz"):
        if not shutil.which(tool):
            vt.skip(f"{tool} is not installed (tools/install-deps.sh installs it)")
    work = vt.tmpdir("vi-onepass.")
    tmp = os.path.join(work, "tmp")
    os.mkdir(tmp)
    raw = os.path.join(work, "s.qevm")
    with open(raw, "wb") as f:
        subprocess.run(["xz", "-dc", FIXTURE], stdout=f, check=True)
    for tool, ext in (("zstd", "zst"), ("gzip", "gz")):
        with open(raw, "rb") as i, open(f"{raw}.{ext}", "wb") as o:
            subprocess.run([tool, "-c"], stdin=i, stdout=o, check=True)
    dump = ["dump", "--format", "json"]
    rc, ref, err = run(dump + [raw], tmp)
    check(rc == 0, f"raw file: exit {rc} {err.strip()[:200]}")
    ref = strip(json.loads(ref))
    targets = ["check", "--format", "json", "--target", "qemu-7.2/x86_64",
               "--target", "qemu-10.0/x86_64"]
    rc, cref, err = run(targets + [raw], tmp)
    cref = strip(json.loads(cref)) if cref.startswith("{") else cref
    views = [("a pipe", ["-"], raw), ("a .zst file", [raw + ".zst"], None),
             ("a .gz through a pipe", ["-"], raw + ".gz"), ("an .xz file", [FIXTURE], None)]
    for label, arg, stdin in views:
        rc, out, err = run(dump + arg, tmp, stdin)
        same = rc == 0 and out.startswith("{") and strip(json.loads(out)) == ref
        check(same, f"{label}: dump exit {rc}, same tree as the file: {same} "
              f"{err.strip()[:200] if rc else ''}")
        check("temp_bytes=0 " in err and " kept_bytes=0" not in err,
              f"{label}: read once (kept_bytes > 0), stats say temp_bytes=0 "
              f"({[l for l in err.splitlines() if l.startswith('stats:')]})")
        check(os.listdir(tmp) == [], f"{label}: TMPDIR stays empty")
        rc, out, err = run(targets + arg, tmp, stdin)
        got = strip(json.loads(out)) if out.startswith("{") else out
        check(got == cref, f"{label}: check with two targets as from the file (exit {rc})")
    # no trailer: report walks again with the target's schema; the
    # page contents went by in the first walk, its digests are kept
    nv = os.path.join(work, "nv.qevm")
    with open(nv, "wb") as f:
        subprocess.run(["xz", "-dc", os.path.join(SRC, "tests", "data",
                                                  "v100-x86-q35-10.0-novmdesc.qevm.xz")],
                       stdout=f, check=True)
    rep = ["report", "--digests", "--format", "json", "--target", "qemu-10.0/x86_64"]
    rc, rref, err = run(rep + [nv], tmp)
    rc2, rpipe, err2 = run(rep + ["-"], tmp, nv)
    same = rc == rc2 == 0 and strip(json.loads(rref)).get("bytes") == \
        strip(json.loads(rpipe)).get("bytes") and "xxh3_128" in rpipe
    check(same, f"report --digests walked again: a pipe's digests as the file's "
          f"(exit {rc2} {err2.strip()[:200]})")
    # the cap on what is kept
    head = b"QEVM\0\0\0\3" + b"\0\6" + struct.pack(">I", 1000) + b"{"
    blob = os.path.join(work, "trail.zst")
    with open(blob, "wb") as o:
        subprocess.run(["zstd", "-q", "-c"], input=head + bytes(4 << 20), stdout=o,
                       check=True)
    for label, arg, stdin in (("file", [blob], None), ("pipe", ["-"], blob)):
        rc, out, err = run(["dump"] + arg, tmp, stdin, {"VMSTATE_INSPECT_MAX_KEPT": "1"})
        lines = [l for l in err.splitlines() if not l.startswith("stats:")]
        at = re.search(r": byte (\d+) \(0x", lines[0]) if len(lines) == 1 else None
        check(rc == 3 and at and "more than 1 MiB of this stream kept in memory"
              in lines[0] and 0 < int(at.group(1)) <= 1 << 20,
              f"kept-tail cap, {label}: exit {rc}, {lines}")
        rc, out, err = run(["dump"] + arg, tmp, stdin, {"VMSTATE_INSPECT_MAX_KEPT": "8"})
        check(rc == 3 and "kept in memory" not in err and "VMDESCRIPTION" in err,
              f"under the cap, {label}: read to the end, then judged (exit {rc}, "
              f"{err.strip().splitlines()[-1] if err.strip() else ''})")
    check(os.listdir(tmp) == [], "TMPDIR empty at the end")
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
