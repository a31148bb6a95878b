#!/usr/bin/env python3
"""Terminal and format injection (issue 15): strings from input reach every
output escaped by its format, once.

Hostile strings: ESC (CSI colours), OSC (a window title ending in BEL), CR/LF
forging a verdict line, C0/DEL/C1 control bytes, bytes that are not UTF-8,
XML metacharacters and 1 KiB names.  They arrive as file names (existing,
missing, nested 1 KiB paths), as the stream's machine type (configuration
record), as --machine and machine-type arguments, as device names in
-dump-vmstate files (diff) and as target directory names (targets).  Every
command runs in every format; stdout and stderr must be valid for their
format (docvalid.py): text UTF-8 without control bytes and no forged line,
JSON strict UTF-8, SARIF valid against the OASIS schema with valid URIs,
JUnit parsed by junitparser."""
import json, lzma, os, shutil, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect  # noqa: E402
import docvalid  # noqa: E402

BIN = vt.need_bin()
SRC = vt.SRC
FIXTURE = os.path.join(SRC, "tests", "data", "v72-x86-q35-7.2-minimal.qevm.xz")
TMP = tempfile.mkdtemp(prefix="vi-inject.")
FORGED = b"forged: accept"
HOSTILE = {
    "esc": b"\x1b[31mRED\x1b[0m",
    "osc": b"\x1b]0;pwned\x07",
    "crlf": b"x\r\n" + FORGED + b"\r\n",
    "ctrl": b"\x01\x02\x08\x7f\x9b",
    "invalid-utf8": b"\xff\xfe\xc3(\xe2\x82",
    "xml": b"<a href=\"&amp;'\">]]></testcase>",
}
counts = {"runs": 0, "documents": 0}


def run(args):
    counts["runs"] += 1
    return vt.run_argv([BIN.encode(), *args], cpu=120)


def check_out(name, fmt, rc, out, err, rcs=(0, 1, 2, 3)):
    problems = []
    if rc not in rcs:
        problems.append("exit %d" % rc)
    # a usage or input error before any document: the one stderr line
    docs = (("stdout", out, fmt), ("stderr", err, "text")) if out or rc not in (2, 3) \
        else (("stderr", err, "text"),)
    for label, data, f in docs:
        try:
            docvalid.any_doc(f, data, TMP)
            counts["documents"] += 1
        except docvalid.Invalid as e:
            problems.append("%s: %s" % (label, e))
        for line in data.split(b"\n"):
            if line.startswith(FORGED) or line.startswith(b"vmstate-inspect: " + FORGED):
                problems.append("%s: a forged line" % label)
    if len(err.splitlines()) > 1:
        problems.append("stderr has %d lines" % len(err.splitlines()))
    expect(name, not problems, "; ".join(problems)[:500])


def with_machine(raw, name):
    """raw with its configuration's machine type replaced by name."""
    assert raw[8] == 7
    old = int.from_bytes(raw[9:13], "big")
    return raw[:9] + len(name).to_bytes(4, "big") + name + raw[13 + old:]


def main():
    raw = lzma.decompress(open(FIXTURE, "rb").read())
    tmpb = TMP.encode()
    names = dict(HOSTILE)
    names["long"] = (b"\x1b[1m" + b"\xff" + b"<&>" + b"\r\n") * 20 + b"x" * 100  # ~300 B, cut below
    # file names: each hostile string as a file (255-byte component limit)
    files = {}
    for k, v in names.items():
        p = tmpb + b"/" + v.replace(b"/", b"_")[:200] + b".qevm"
        with open(p, "wb") as f:
            f.write(raw)
        files["file name " + k] = p
    deep = tmpb
    for i in range(5):      # a path of more than 1 KiB, every component hostile
        deep += b"/" + (HOSTILE["osc"] + HOSTILE["invalid-utf8"] + HOSTILE["crlf"]) * 4
        os.makedirs(deep, exist_ok=True)
    with open(deep + b"/s.qevm", "wb") as f:
        f.write(raw)
    files["1 KiB path"] = deep + b"/s.qevm"
    files["missing hostile name"] = tmpb + b"/" + HOSTILE["osc"] + HOSTILE["crlf"] + b"\xff.qevm"
    # machine types in the stream
    for k, v in list(HOSTILE.items()) + [("1 KiB", (b"\x1b]0;t\x07\xff<" * 128)[:1024])]:
        p = tmpb + b"/machine-" + k.encode() + b".qevm"
        with open(p, "wb") as f:
            f.write(with_machine(raw, b"pc-" + v))
        files["machine type " + k] = p
    formats = {"dump": ["text", "json"], "check": ["text", "json", "sarif", "junit"],
               "report": ["text", "json"]}
    for what, path in files.items():
        for cmd, fmts in formats.items():
            for fmt in fmts:
                args = [cmd.encode(), b"-f", fmt.encode()]
                if cmd == "check":
                    args += [b"--target", b"qemu-7.2/x86_64"]
                rc, out, err = run(args + [path])
                check_out(f"{what}: {cmd} -f {fmt}", fmt, rc, out, err)
        rc, out, err = run([b"check", b"-f", b"sarif", b"--target", b"qemu-7.2/x86_64",
                            b"--dest-stream", path, path])
        check_out(f"{what}: check --dest-stream", "sarif", rc, out, err)
    # arguments
    for k, v in HOSTILE.items():
        for fmt in ("text", "json", "sarif", "junit"):
            rc, out, err = run([b"check", b"-f", fmt.encode(), b"--target", b"qemu-7.2/x86_64",
                                b"--machine", b"pc-" + v, files["file name esc"]])
            check_out(f"--machine {k}: check -f {fmt}", fmt, rc, out, err)
        for fmt in ("text", "json"):
            rc, out, err = run([b"machines", b"-f", fmt.encode(), b"qemu-7.2/x86_64", b"pc-" + v])
            check_out(f"machines TYPE {k} -f {fmt}", fmt, rc, out, err)
        rc, out, err = run([b"check", b"--target", b"qemu-" + v + b"/x86_64", files["file name esc"]])
        check_out(f"--target {k}", "text", rc, out, err)
        rc, out, err = run([b"dump", b"-o", tmpb + b"/no/" + v, files["file name esc"]])
        check_out(f"-o {k}", "text", rc, out, err)
        rc, out, err = run([b"help", v])
        check_out(f"help {k}", "text", rc, out, err)
        rc, out, err = run([v])
        check_out(f"command {k}", "text", rc, out, err)
    # device names in -dump-vmstate files (JSON: any code point but not bytes)
    dev = lambda s: s.decode("utf-8", "replace") + "\u009b1m\u2028"
    for k, v in list(HOSTILE.items()) + [("1 KiB", b"\x1b]0;x\x07<&>" * 100)]:
        name = dev(v)
        d1 = {"vmschkmachine": {"Name": name},
              name: {"Name": name, "version_id": 2, "minimum_version_id": 1,
                     "Description": {"name": name, "version_id": 2, "minimum_version_id": 1,
                                     "Fields": [{"field": name, "version_id": 0,
                                                 "field_exists": False, "size": 2}]}}}
        d2 = json.loads(json.dumps(d1))
        d2[name]["version_id"] = d2[name]["Description"]["version_id"] = 3
        d2[name]["minimum_version_id"] = d2[name]["Description"]["minimum_version_id"] = 3
        d2[name]["Description"]["Fields"][0]["field"] += "X"
        p1 = tmpb + b"/d1-" + v.replace(b"/", b"_")[:100] + b".json"
        p2 = tmpb + b"/d2-" + k.encode() + b".json"
        for p, d in ((p1, d1), (p2, d2)):
            with open(p, "w") as f:
                json.dump(d, f)
        for fmt in ("text", "json", "sarif", "junit"):
            rc, out, err = run([b"diff", b"--both", b"-f", fmt.encode(), p1, p2])
            check_out(f"diff device names {k} -f {fmt}", fmt, rc, out, err, rcs=(1,))
    # target directories named with hostile strings
    sch = tmpb + b"/schemas"
    for k, v in HOSTILE.items():
        d = sch + b"/qemu-" + v.replace(b"/", b"_")
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(SRC, "schemas", "qemu-7.2", "x86_64.json").encode(),
                    d + b"/x86_64.json")
    for fmt in ("text", "json"):
        rc, out, err = run([b"targets", b"--schemas", sch, b"-f", fmt.encode()])
        check_out(f"targets with hostile directory names -f {fmt}", fmt, rc, out, err, rcs=(0,))
    print("%(runs)d runs, %(documents)d documents validated" % counts)
    return vt.done()


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        shutil.rmtree(TMP.encode(), ignore_errors=True)
    sys.exit(rc)
