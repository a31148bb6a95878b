#!/usr/bin/env python3
"""The CI contract (issue 12): every command over every bad input, in every
output format.

- An input that cannot be judged (missing, empty, a directory, not a format
  the tool knows, an unsupported container, a truncated or corrupt xz layer,
  unreadable) is exit 3, one stderr line naming the file, and the error in the
  document: JSON a top-level "error" and no "verdict", JUnit <error>, SARIF an
  invocation with executionSuccessful false and a toolExecutionNotification.
- A stream that was found but is damaged (truncated) is a verdict for check:
  reject, exit 1; dump and report say exit 3 with what was read.
- diff's SRC/DST that cannot be read as schemas: exit 2, the error in the
  document.  machines, targets and schema import on bad data: exit 2.
- Writes: -o /dev/full, standard output on /dev/full or closed: exit 2 and
  one line, in every command; an existing -o is untouched when no document
  is made, replaced whole when one is; -o naming any file the run reads
  (stream, --dest-stream, --target FILE, a schema --schemas resolves) is
  refused.
- JUnit: one test case per (file, target), counts fixed by the command line;
  SARIF: the rules are the class table, which is what the code can emit
  (every VI_C_ name used in src/) and what the man page lists.
- Offsets in a libvirt image name the stream and the file offset.
Every SARIF and JUnit document made here is validated (docvalid.py).
"""
import glob, hashlib, json, lzma, os, re, shutil, stat, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect  # noqa: E402
import docvalid  # noqa: E402

BIN = vt.need_bin()
SRC = vt.SRC
DATA = vt.DATA
FIXTURE = os.path.join(DATA, "v72-x86-q35-7.2-minimal.qevm.xz")
TARGET = "qemu-7.2/x86_64"
FORMATS = {"dump": ["text", "json"], "check": ["text", "json", "sarif", "junit"],
           "report": ["text", "json"], "diff": ["text", "json", "sarif", "junit"],
           "machines": ["text", "json"], "targets": ["text", "json"]}
validated = {"sarif": 0, "junit": 0, "json": 0, "text": 0}
TMP = tempfile.mkdtemp(prefix="vi-contract.")


def run(args, user=None, shell_redirect=None):
    cmd = [BIN, *args]
    if user:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups", *cmd]
    if shell_redirect:   # e.g. '>/dev/full' or '>&-'
        cmd = ["sh", "-c", 'exec "$@" ' + shell_redirect, "sh", *cmd]
        p = subprocess.run(cmd, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120)
        return p.returncode, b"", p.stderr
    p = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    return p.returncode, p.stdout, p.stderr


def doc_of(fmt, out):
    try:
        d = docvalid.any_doc(fmt, out, TMP)
        validated[fmt] += 1
        return d, None
    except docvalid.Invalid as e:
        return None, str(e)


def one_line(err, path):
    lines = err.decode(errors="replace").splitlines()
    return len(lines) == 1 and lines[0].startswith("vmstate-inspect: " + path)


def w(name, data):
    p = os.path.join(TMP, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


# ------------------------------------------------------------------ inputs

def inputs():
    raw = lzma.decompress(open(FIXTURE, "rb").read())
    xz = open(FIXTURE, "rb").read()
    os.mkdir(os.path.join(TMP, "dir"))
    lv = b"LibvirtQemudSave" + (2).to_bytes(4, "little") + (0).to_bytes(4, "little") + \
        (0).to_bytes(4, "little") + (1).to_bytes(4, "little") + bytes(92 - 32)
    corrupt = bytearray(xz)
    for i in range(len(xz) // 2, len(xz) // 2 + 64):
        corrupt[i] ^= 0x55
    unjudged = {
        "missing": os.path.join(TMP, "missing.qevm"),
        "empty": w("empty.qevm", b""),
        "directory": os.path.join(TMP, "dir"),
        "not a stream": w("text.qevm", b"hello, this is no stream\n" * 4),
        "unsupported container": w("gzip.img", lv + b"\x1f\x8b" + bytes(200)),
        "truncated xz": w("cut.qevm.xz", xz[:len(xz) // 2]),
        "corrupt xz": w("corrupt.qevm.xz", bytes(corrupt)),
        "unreadable": w("unreadable.qevm", raw),
    }
    os.chmod(unjudged["unreadable"], 0)
    found = {"truncated stream": w("truncated.qevm", raw[:len(raw) // 2])}
    return raw, unjudged, found


def nobody():
    """A user a 0000 file really is unreadable to (root reads it anyway)."""
    if os.geteuid() != 0:
        return None
    if not shutil.which("setpriv"):
        return -1
    return 65534


# ------------------------------------------------------- stream commands

def stream_cmds(path, target=TARGET):
    return {"dump": ["dump", path], "check": ["check", "--target", target, path],
            "report": ["report", path]}


def target_copy():
    """The target's schema as a file in TMP: the unprivileged user that runs
    the "unreadable" case may not reach the schema directory (a clone under a
    0700 directory), and that would be a usage error before the input is
    opened, not the case under test."""
    out = subprocess.run([BIN, "targets", "-f", "json"], capture_output=True)
    src = os.path.join(json.loads(out.stdout)["directory"], TARGET + ".json")
    dst = os.path.join(TMP, "target.json")
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)
    return dst


def unjudged_cases(cases):
    user = nobody()
    os.chmod(TMP, 0o755)
    for what, path in cases.items():
        as_user = None
        if what == "unreadable":
            if user == -1:
                expect("unreadable: skipped (running as root without setpriv to drop "
                       "privileges; chmod 0 does not stop root)", True)
                continue
            as_user = user
        for cmd, args in stream_cmds(path, target_copy() if as_user else TARGET).items():
            for fmt in FORMATS[cmd]:
                name = f"{what}: {cmd} -f {fmt}"
                rc, out, err = run(args[:1] + ["-f", fmt] + args[1:], user=as_user)
                if rc != 3 or not one_line(err, path):
                    expect(name, False, f"exit {rc}, stderr {err[:300]!r}")
                    continue
                if fmt == "text" and cmd in ("dump", "report"):
                    expect(name, out == b"", f"text for an input that cannot be read: {out[:200]!r}")
                    continue
                d, bad = doc_of(fmt, out)
                if bad:
                    expect(name, False, bad)
                    continue
                if cmd == "dump":
                    ok = d["error"] and d["error"]["exit_code"] == 3 and d["error"]["class"] == "unreadable"
                elif cmd == "report":
                    ok = d.get("error") and "input" not in d and d["error"]["class"] == "unreadable"
                elif fmt == "text":
                    ok = ": unreadable (" in d
                elif fmt == "json":
                    ok = "verdict" not in d and d["error"]["class"] == "unreadable" and \
                        d["error"]["exit_code"] == 3 and d["files"][0].get("error") and \
                        "verdict" not in d["files"][0]
                elif fmt == "sarif":
                    inv = d["runs"][0]["invocations"][0]
                    n = inv["toolExecutionNotifications"]
                    ok = inv["executionSuccessful"] is False and inv["exitCode"] == 3 and \
                        [x["level"] for x in n if x["level"] == "error"] == ["error"] and \
                        d["runs"][0]["results"] == []
                else:
                    tests, fails, errors, c = d
                    ok = (tests, fails, errors) == (1, 0, 1) and c[0][2] == ["Error"]
                expect(name, ok, str(d)[:400])
        # schema import --stream of it: exit 3, nothing written
        rc, out, err = run(["schema", "import", "--dump-vmstate", DUMP, "--stream", path,
                            "--qemu-version", "q", "--target", "t/x"], user=as_user)
        expect(f"{what}: schema import --stream", rc == 3 and out == b"" and one_line(err, path),
               f"exit {rc} {err[:200]!r}")


def found_cases(cases):
    for what, path in cases.items():
        for cmd, args in stream_cmds(path).items():
            for fmt in FORMATS[cmd]:
                name = f"{what}: {cmd} -f {fmt}"
                rc, out, err = run(args[:1] + ["-f", fmt] + args[1:])
                d, bad = doc_of(fmt, out)
                if bad:
                    expect(name, False, bad)
                    continue
                if cmd == "check":      # a verdict: reject, class truncated
                    if fmt == "json":
                        ok = d["verdict"] == "reject" and d["files"][0]["failure_class"] == "truncated"
                    elif fmt == "sarif":
                        ok = d["runs"][0]["invocations"][0]["executionSuccessful"] is True and \
                            any(r["ruleId"] == "truncated" and r["level"] == "error"
                                for r in d["runs"][0]["results"])
                    elif fmt == "junit":
                        ok = d[:3] == (1, 1, 0)
                    else:
                        ok = ": reject (" in d
                    expect(name, rc == 1 and err == b"" and ok, f"exit {rc} {err[:200]!r} {str(d)[:300]}")
                else:                   # what was read, and the error
                    if fmt == "json":
                        ok = d["error"] and d["error"]["class"] == "truncated" if cmd == "dump" \
                            else d["error"] and "input" in d
                    else:
                        ok = "error" in d
                    expect(name, rc == 3 and one_line(err, path) and ok,
                           f"exit {rc} {err[:200]!r} {str(d)[:300]}")


# --------------------------------------------------------------- diff

def diff_cases():
    good = DUMP
    bad = {"missing": os.path.join(TMP, "nodump.json"), "empty": w("empty.json", b""),
           "directory": os.path.join(TMP, "dir"), "not JSON": w("nojson.json", b"{nope"),
           "truncated JSON": w("cut.json", open(good, "rb").read()[:40])}
    diff_unjudged("", good, bad, 2, lambda d: d["error"]["message"], lambda inv: True)


def diff_unjudged(label, good, bad, rc_want, json_ok, sarif_ok):
    """diff of good with each input of bad, as SRC and as DST, in every
    format: exit rc_want, one stderr line naming it, the error in the
    document (no verdict)."""
    for what, path in bad.items():
        for order in ((good, path), (path, good)):
            for fmt in FORMATS["diff"]:
                name = f"diff {label}{what} ({'DST' if order[1] == path else 'SRC'}) -f {fmt}"
                rc, out, err = run(["diff", "-f", fmt, *order])
                d, bad_doc = doc_of(fmt, out)
                if rc != rc_want or not one_line(err, path) or bad_doc:
                    expect(name, False, f"exit {rc} {err[:200]!r} {bad_doc}")
                    continue
                if fmt == "json":
                    ok = "verdict" not in d and json_ok(d)
                elif fmt == "sarif":
                    inv = d["runs"][0]["invocations"][0]
                    ok = inv["executionSuccessful"] is False and sarif_ok(inv)
                elif fmt == "junit":
                    ok = d[:3] == (1, 0, 1)
                else:
                    ok = "unreadable" in d
                expect(name, ok, str(d)[:300])


# ------------------------------------------------- machines, targets

def data_cases():
    for what, body in (("empty", b""), ("not JSON", b"{"), ("no machines", b"{}")):
        d = os.path.join(TMP, "sch-" + what.replace(" ", "-"))
        os.makedirs(os.path.join(d, "machines", "qemu-10.0"))
        w(os.path.join(d, "machines", "qemu-10.0", "x86_64.json"), body)
        for fmt in FORMATS["machines"]:
            rc, out, err = run(["machines", "--schemas", d, "-f", fmt, "qemu-10.0/x86_64"])
            expect(f"machines: {what} machine data -f {fmt}", rc == 2 and out == b"" and
                   len(err.splitlines()) == 1, f"exit {rc} {err[:200]!r}")
        os.makedirs(os.path.join(d, "qemu-9.9"))
        w(os.path.join(d, "qemu-9.9", "x86_64.json"), body)
        for fmt in FORMATS["targets"]:
            rc, out, err = run(["targets", "--schemas", d, "-f", fmt])
            doc, bad = doc_of(fmt, out)
            ok = not bad and (("unreadable" in doc) if fmt == "text" else
                              any(t.get("error") for t in doc["targets"]))
            expect(f"targets: {what} schema -f {fmt}", rc == 0 and ok, f"exit {rc} {bad}")


# ----------------------------------------------------------- writes

def good_cmds(stream):
    return {
        "dump": ["dump", stream], "check": ["check", "--target", TARGET, stream],
        "report": ["report", stream], "diff": ["diff", "qemu-7.2/x86_64", "qemu-10.0/x86_64"],
        "machines": ["machines", "qemu-10.0/x86_64"], "targets": ["targets"],
        "schema import": ["schema", "import", "--dump-vmstate", DUMP, "--qemu-version", "q",
                          "--target", "t/x"],
    }


def write_cases(stream):
    for cmd, args in good_cmds(stream).items():
        fmts = FORMATS.get(cmd, [None])
        for fmt in fmts:
            a = args if fmt is None else args[:1] + ["-f", fmt] + args[1:]
            if cmd == "schema import":
                a = args
            rc, out, err = run(a + ["-o", "/dev/full"])
            expect(f"{cmd} -f {fmt} -o /dev/full", rc == 2 and err.decode().splitlines() ==
                   ["vmstate-inspect: /dev/full: cannot write: No space left on device"],
                   f"exit {rc} {err[:300]!r}")
            rc, out, err = run(a, shell_redirect=">/dev/full")
            expect(f"{cmd} -f {fmt} >/dev/full", rc == 2 and err.decode().splitlines() ==
                   ["vmstate-inspect: standard output: cannot write: No space left on device"],
                   f"exit {rc} {err[:300]!r}")
            rc, out, err = run(a, shell_redirect=">&-")
            expect(f"{cmd} -f {fmt} with standard output closed", rc == 2 and
                   err.decode().startswith("vmstate-inspect: standard output: cannot write:") and
                   len(err.splitlines()) == 1, f"exit {rc} {err[:300]!r}")
            rc, out, err = run(a + ["-o", "-"])
            expect(f"{cmd} -f {fmt} -o -", rc in ((0, 1) if cmd == "diff" else (0,)) and out,
                   f"exit {rc} {err[:200]!r}")


def atomic_cases(stream, raw):
    d = os.path.join(TMP, "out")
    os.mkdir(d)
    o = os.path.join(d, "result.txt")

    def old():
        with open(o, "wb") as f:
            f.write(b"OLD")
        os.chmod(o, 0o640)

    def same():
        return open(o, "rb").read() == b"OLD"

    def clean():
        return sorted(os.listdir(d)) == ["result.txt"]

    miss = os.path.join(TMP, "missing.qevm")
    for name, args, want_rc, kept in (
            ("dump text, missing input", ["dump", miss], 3, True),
            ("report text, missing input", ["report", miss], 3, True),
            ("check, unknown target", ["check", "--target", "qemu-0.1/vax", stream], 2, True),
            ("dump, unknown option", ["dump", "--bogus", stream], 2, True),
            ("dump json, missing input: the error document", ["dump", "-f", "json", miss], 3, False),
            ("check junit, missing input: the error document", ["check", "-f", "junit",
                                                                "--target", TARGET, miss], 3, False),
            ("dump, good input", ["dump", stream], 0, False)):
        old()
        rc, out, err = run(args + ["-o", o])
        ok = rc == want_rc and clean() and (same() if kept else not same())
        if not kept and ok:
            ok = stat.S_IMODE(os.stat(o).st_mode) == 0o640
        expect(f"-o: {name}: {'untouched' if kept else 'replaced whole'}", ok,
               f"exit {rc}, {os.listdir(d)}, {open(o, 'rb').read()[:60]!r}")
    # -o naming a file the run reads
    sch = os.path.join(TMP, "schemas")
    shutil.copytree(os.path.join(SRC, "schemas"), sch)
    tfile = os.path.join(sch, "qemu-7.2", "x86_64.json")
    before = hashlib.sha256(open(tfile, "rb").read()).hexdigest()
    mfile = os.path.join(sch, "machines", "qemu-7.2", "x86_64.json")
    for name, args, victim in (
            ("the schema --schemas resolves", ["check", "--schemas", sch, "--target", TARGET,
                                               "-o", tfile, stream], tfile),
            ("the machine data --schemas resolves", ["check", "--schemas", sch, "--target",
                                                     TARGET, "-o", mfile, stream], mfile),
            ("--target FILE", ["check", "--target", tfile, "-o", tfile, stream], tfile),
            ("the compat rules --schemas resolves", ["check", "--schemas", sch, "--target",
                                                     TARGET, "-o", os.path.join(sch, "compat-rules.json"),
                                                     stream], os.path.join(sch, "compat-rules.json")),
            ("report's schema", ["report", "--schemas", sch, "--target", TARGET, "-o", tfile,
                                 stream], tfile),
            ("dump --target FILE", ["dump", "--target", tfile, "-o", tfile, stream], tfile),
            ("--dest-stream", ["check", "--target", TARGET, "--dest-stream", raw, "-o", raw,
                               stream], raw),
            ("diff's DST file", ["diff", DUMP, tfile, "-o", tfile], tfile)):
        h = hashlib.sha256(open(victim, "rb").read()).hexdigest()
        rc, out, err = run(args)
        expect(f"-o naming {name}: refused", rc == 2 and len(err.splitlines()) == 1 and
               b"refusing to overwrite" in err and
               hashlib.sha256(open(victim, "rb").read()).hexdigest() == h,
               f"exit {rc} {err[:300]!r}")
    expect("schema untouched", hashlib.sha256(open(tfile, "rb").read()).hexdigest() == before)


# -------------------------------------------------- JUnit, SARIF, classes

def shape_cases(stream, raw):
    miss = os.path.join(TMP, "missing.qevm")
    mut = bytearray(raw)
    # a rejected stream: its hpet section one version too new is found by the check
    rc, out, _ = run(["dump", "-f", "json", stream])
    hpet = next(s for s in json.loads(out)["sections"] if s["name"] == "hpet")
    at = hpet["offset"] + 1 + 4 + 1 + len("hpet") + 4
    mut[at:at + 4] = (hpet["version_id"] + 1).to_bytes(4, "big")
    rej = w("reject.qevm", bytes(mut))
    for files, want in (([stream, miss], (4, 0, 2)), ([stream, rej], (4, 2, 0)),
                        ([rej, miss], (4, 2, 2))):
        rc, out, err = run(["check", "-f", "junit", "--target", "qemu-7.2/x86_64",
                            "--target", "qemu-10.0/x86_64", *files])
        d, bad = doc_of("junit", out)
        expect(f"junit: 2 files x 2 targets: tests/failures/errors {want}", not bad and
               d[:3] == want and all(c[1].startswith("loads into qemu-") for c in d[3]),
               f"{bad} {d and d[:3]}")
        rc2, out2, _ = run(["check", "-f", "json", "--target", "qemu-7.2/x86_64",
                            "--target", "qemu-10.0/x86_64", *files])
        j = json.loads(out2)
        worst = 3 if miss in files else 1 if rej in files else 0
        expect(f"several targets: exit the worst of all ({worst})", rc == rc2 == worst and
               len(j["files"]) == 4 and {f["target"] for f in j["files"]} ==
               {"qemu-7.2/x86_64", "qemu-10.0/x86_64"}, f"exit {rc} {rc2}")
    rc, out, err = run(["check", "-f", "json", "--all-targets", stream])
    j = json.loads(out) if out else {}
    rc_t, out_t, _ = run(["targets"])
    x86 = sorted(l.split()[0] for l in out_t.decode().splitlines() if l.startswith("qemu-") and
                 l.split()[0].endswith("/x86_64"))
    files = j.get("files", [])
    worst = 1 if any(f.get("verdict") == "reject" for f in files) else 0
    expect("--all-targets: the installed x86_64 targets, exit the worst", rc == worst and
           "qemu-7.2/x86_64" in x86 and sorted(f["target"] for f in files) == x86,
           f"exit {rc} {err[:200]!r}")
    # notes once per run, --min-severity, -q
    rc, out, _ = run(["check", "-f", "json", "--target", TARGET, stream, stream, stream])
    j = json.loads(out)
    expect("assumption notes once per run", len(j["notes"]) == 2 and not any(
        f["class"] == "assumption" for f in j["findings"]), str(j["notes"])[:300])
    rc, out, _ = run(["check", "--target", TARGET, stream, stream])
    expect("text: notes once", out.decode().count("note: ") == 2, out[:400])
    rc, out, _ = run(["check", "-f", "sarif", "--min-severity", "error", "--target", TARGET, rej])
    d, bad = doc_of("sarif", out)
    expect("--min-severity error: errors only", not bad and d["runs"][0]["results"] and all(
        r["level"] == "error" for r in d["runs"][0]["results"]) and
        d["runs"][0]["invocations"][0]["toolExecutionNotifications"] == [], bad or "")
    rc, out, _ = run(["check", "-q", "--target", TARGET, rej, stream])
    lines = out.decode().splitlines()
    expect("-q: the verdicts only", rc == 1 and len(lines) == 3 and lines[0].endswith(
        "reject (qemu-7.2/x86_64, machine pc-q35-7.2)") and lines[2] == "verdict: reject", lines)
    # the class table: SARIF rules, what the code uses, the man page
    rc, out, _ = run(["help", "classes"])
    table = [l.split()[0] for l in out.decode().splitlines()]
    rc, out, _ = run(["check", "-f", "sarif", "--target", TARGET, stream])
    rules = [r["id"] for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]]
    expect("SARIF rules are the class table", rules == table and len(table) >= 15, rules)
    hdr = open(os.path.join(SRC, "src", "vi-findings.h")).read()
    declared = set(re.findall(r"X\(([A-Z_]+), \"[a-z-]+\", VI_SEV_", hdr))
    used = set()
    for f in glob.glob(os.path.join(SRC, "src", "*.c")):
        used |= set(re.findall(r"\bVI_C_([A-Z_]+)\b", open(f).read()))
    used -= {"COUNT"}
    expect("every class the code can emit is in the table", used <= declared and
           len(declared) == len(table), f"not declared: {used - declared}")
    literal = []
    for f in glob.glob(os.path.join(SRC, "src", "*.c")):
        literal += re.findall(r"(?:vi_finding_add|vi_error_class|ERR|WARN)\([^;]*?\"(%s)\"" %
                              "|".join(map(re.escape, table)), open(f).read())
    expect("no class named by a string literal", not literal, literal)
    man = open(os.path.join(SRC, "man", "vmstate-inspect.1")).read().replace("\\-", "-")
    expect("the man page lists every class", all(("\\fB%s\\fR" % c) in man for c in table),
           [c for c in table if ("\\fB%s\\fR" % c) not in man])
    # help, man page and usage errors agree
    for cmd in ("dump", "check", "report", "diff", "machines", "targets", "schema"):
        args = [cmd, "import", "--help"] if cmd == "schema" else [cmd, "--help"]
        rc, out, err = run(args)
        opts = set(re.findall(r"--([a-z][a-z-]+)", out.decode())) - {"help", "usage", "version"}
        rc2, out2, _ = run(["help", cmd])
        rc3, out3, _ = run(args[:-1] + ["-h"])
        missing = [o for o in sorted(opts) if "\\-\\-" + o.replace("-", "\\-") not in
                   open(os.path.join(SRC, "man", "vmstate-inspect.1")).read()]
        expect(f"{cmd}: --help, -h and 'help {cmd}' agree; every option in the man page",
               rc == rc2 == rc3 == 0 and out == out2 == out3 and opts and not missing,
               f"exit {rc}/{rc2}/{rc3}, not in the man page: {missing}")
        help_out = out
        bad = args[:-1] + ["--no-such-option"]
        rc, out, err = run(bad)
        m = re.search(r"Try `(vmstate-inspect [a-z ]+) --help'", err.decode())
        ok = rc == 2 and m is not None
        if ok:
            rc4, out4, _ = run(m.group(1).split()[1:] + ["--help"])
            ok = rc4 == 0 and out4 == help_out
        expect(f"{cmd}: a usage error points to a command that exists", ok, err[:300])
    # bash completion (installed by make install)
    bc = "/usr/share/bash-completion/bash_completion"
    if os.path.exists(bc) and shutil.which("bash"):
        script = ('source %s; source "$1"; PATH="$2:$PATH"; COMP_WORDS=(vmstate-inspect "$3" "$4");'
                  ' COMP_CWORD=2; [ -z "$4" ] && COMP_CWORD=1 && COMP_WORDS=(vmstate-inspect "$3");'
                  ' COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; _vmstate_inspect;'
                  ' echo "${COMPREPLY[*]}"' % bc)
        comp = os.path.join(SRC, "completion", "vmstate-inspect")
        bindir = os.path.join(TMP, "bin")
        os.makedirs(bindir, exist_ok=True)
        if not os.path.exists(os.path.join(bindir, "vmstate-inspect")):
            os.symlink(BIN, os.path.join(bindir, "vmstate-inspect"))
        for words, want in ((["ch", ""], "check"), (["check", "--min"], "--min-severity"),
                            (["diff", "qemu-1"], "qemu-10.0/x86_64")):
            p = subprocess.run(["bash", "-c", script, "bash", comp, bindir, *words],
                               capture_output=True, text=True)
            expect(f"bash completion: {' '.join(words).strip()} -> {want}",
                   want in p.stdout.split(), p.stdout + p.stderr[-200:])
    else:
        expect("bash completion: skipped, bash-completion is not installed", True)
    # every document of the real fixtures validates
    for fx in sorted(glob.glob(os.path.join(DATA, "*.xz"))):
        for fmt in ("sarif", "junit", "json"):
            rc, out, err = run(["check", "-f", fmt, "--all-targets", fx])
            d, bad = doc_of(fmt, out)
            expect(f"valid {fmt}: check --all-targets {os.path.basename(fx)}",
                   rc in (0, 1) and not bad, f"exit {rc} {bad} {err[:200]!r}")
    for a, b in (("7.2", "10.0"), ("10.0", "7.2")):
        for fmt in ("sarif", "junit"):
            rc, out, err = run(["diff", "--both", "-f", fmt, f"qemu-{a}/x86_64", f"qemu-{b}/x86_64"])
            d, bad = doc_of(fmt, out)
            expect(f"valid {fmt}: diff --both {a} {b}", rc in (0, 1) and not bad, bad)


def offset_cases(raw):
    """A libvirt save image: offsets name the stream and the file byte."""
    xml = b"<domain/>".ljust(4096 - 92, b"\0")
    base = 92 + len(xml)
    hdr = b"LibvirtQemudSave" + (2).to_bytes(4, "little") + len(xml).to_bytes(4, "little") + \
        (0).to_bytes(4, "little") + (0).to_bytes(4, "little") + bytes(92 - 32)
    cut = len(raw) // 2
    img = w("guest.img", hdr + xml + raw[:cut])
    rc, out, err = run(["dump", img])
    m = re.match(r"vmstate-inspect: .*: stream byte (\d+) \(0x[0-9a-f]+\), file byte (\d+) "
                 r"\(0x[0-9a-f]+\): ", err.decode())
    expect("libvirt: the error names stream and file offsets", rc == 3 and m and
           int(m.group(2)) == int(m.group(1)) + base, err[:300])
    rc, out, err = run(["check", "-f", "json", "--target", TARGET, img])
    j = json.loads(out)
    expect("libvirt: JSON says where the stream lies", rc == 1 and
           j["files"][0]["stream"]["file_offset"] == base and
           j["files"][0]["stream"]["container"] == "libvirt-save", str(j["files"][0].get("stream")))
    rc, out, err = run(["check", "-f", "sarif", "--target", TARGET, img])
    d, bad = doc_of("sarif", out)
    arts = d["runs"][0]["artifacts"] if d else []
    res = d["runs"][0]["results"] if d else []
    expect("libvirt: SARIF nests the stream in the file; byteOffset counts the stream",
           not bad and len(arts) == 2 and arts[1]["parentIndex"] == 0 and arts[1]["offset"] == base
           and res and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["index"] == 1
                           for r in res) and
           all(r["locations"][0]["physicalLocation"]["properties"]["fileOffset"] ==
               r["locations"][0]["physicalLocation"]["region"]["byteOffset"] + base for r in res),
           bad or str(arts)[:300])


def dest_stream_cases(stream, cases):
    """An unjudgeable --dest-stream: exit 3, one stderr line naming it, and in
    every format an error (naming --dest-stream) instead of a verdict."""
    for what, path in cases.items():
        if what == "unreadable":
            continue
        for fmt in FORMATS["check"]:
            name = f"--dest-stream {what}: check -f {fmt}"
            rc, out, err = run(["check", "-f", fmt, "--target", TARGET, "--dest-stream", path, stream])
            if rc != 3 or not one_line(err, path):
                expect(name, False, f"exit {rc}, stderr {err[:300]!r}")
                continue
            d, bad = doc_of(fmt, out)
            if bad:
                expect(name, False, bad)
                continue
            if fmt == "text":
                ok = ": unreadable (" in d and "--dest-stream" in d and "accept" not in d
            elif fmt == "json":
                ok = "verdict" not in d and d["error"]["exit_code"] == 3 and \
                    d["error"]["message"].startswith("--dest-stream ") and \
                    "verdict" not in d["files"][0]
            elif fmt == "sarif":
                inv = d["runs"][0]["invocations"][0]
                ok = inv["executionSuccessful"] is False and inv["exitCode"] == 3 and \
                    d["runs"][0]["results"] == []
            else:
                tests, fails, errors, c = d
                ok = (tests, fails, errors) == (1, 0, 1) and c[0][2] == ["Error"]
            expect(name, ok, str(d)[:400])


def diff_stream_cases(stream, cases):
    """diff of a stream with an input that is no stream: exit 3, its one
    stderr line, and the error in every format (a schema operand there is a
    usage error, exit 2)."""
    diff_unjudged("stream with ", stream, {k: v for k, v in cases.items() if k != "unreadable"},
                  3, lambda d: d["error"]["exit_code"] == 3, lambda inv: inv["exitCode"] == 3)
    rc, out, err = run(["diff", stream, TARGET])
    expect("diff stream with a target: usage error", rc == 2 and out == b"", f"exit {rc}")


def main():
    global DUMP
    DUMP = w("dump.json", json.dumps({
        "vmschkmachine": {"Name": "pc-q35-7.2"},
        "fw_cfg": {"Name": "fw_cfg", "version_id": 2, "minimum_version_id": 1,
                   "Description": {"name": "fw_cfg", "version_id": 2, "minimum_version_id": 1,
                                   "Fields": [{"field": "cur_entry", "version_id": 0,
                                               "field_exists": False, "size": 2}]}}}).encode())
    raw, unjudged, found = inputs()
    stream = w("good.qevm", raw)
    unjudged_cases(unjudged)
    dest_stream_cases(stream, unjudged)
    found_cases(found)
    diff_cases()
    diff_stream_cases(stream, unjudged)
    data_cases()
    write_cases(stream)
    atomic_cases(stream, w("dest.qevm", raw))
    shape_cases(stream, raw)
    offset_cases(raw)
    print("validated: %(sarif)d SARIF, %(junit)d JUnit, %(json)d JSON, %(text)d text documents"
          % validated)
    return vt.done()


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        for root, dirs, files in os.walk(TMP):
            for n in files:
                p = os.path.join(root, n)
                if not os.path.islink(p):   # bin/vmstate-inspect is the tool itself
                    os.chmod(p, 0o600)
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(rc)
