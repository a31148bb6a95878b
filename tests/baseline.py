#!/usr/bin/env python3
"""check --baseline / --write-baseline (CI baselines), on streams with real
findings: the repository's aarch64 QEMU 10.0 fixture against QEMU 7.2 (six
errors), and the corpus's streams (../shared/corpus, when there) against
--all-targets and two --target options.

  - round trip: --write-baseline writes every finding shown; --baseline of
    that file then exits 0, every finding marked suppressed, none dropped;
  - every format shows the same suppression: text "[suppressed: ...]", JSON
    suppressed/justification, SARIF suppressions (kind external; the document
    validated against the OASIS SARIF 2.1.0 schema), JUnit (a suppressed
    error is no failure; the counts follow the unsuppressed ones);
  - a partial baseline suppresses only what it names, for the target it
    names ("*" for every target), and the verdict follows what is left;
  - an entry matching nothing is reported as unused, a note in every format;
  - a malformed baseline line is one error naming FILE:LINE, exit 2, no
    report written; --write-baseline is replaced only once complete."""
import glob
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402
import docvalid  # noqa: E402

VI = vt.need_bin()
SRC = vt.SRC
CORPUS = vt.CORPUS
FIX = os.path.join(SRC, "tests", "data", "v100-aarch64-virt-10.0-minimal.qevm.xz")
TMP = tempfile.mkdtemp(prefix="vi-baseline.")


def run(*args):
    return vt.run("check", *args)


def formats(args):
    """rc and the four documents of one check."""
    out = {}
    rcs = set()
    for fmt in ("text", "json", "sarif", "junit"):
        rc, doc, err = run("-f", fmt, *args)
        rcs.add(rc)
        out[fmt] = doc
        if fmt in ("sarif", "junit"):
            try:
                docvalid.any_doc(fmt, doc.encode(), TMP)
            except docvalid.Invalid as e:
                check(False, f"{fmt} document valid: {e}")
    check(len(rcs) == 1, f"one exit status in every format ({sorted(rcs)})")
    return rcs.pop(), out


def suppression_views(docs):
    """(shown, suppressed) per format, and the JUnit failure count."""
    j = json.loads(docs["json"])
    js = [f for f in j["findings"]]
    sarif = json.loads(docs["sarif"])["runs"][0]["results"]
    text = [ln for ln in docs["text"].splitlines() if re.match(r"  (error|warning|note) ", ln)]
    junit_lines = re.findall(r"(?:^|>)((?:error|warning|note) [a-z-]+ byte [^\n]*)",
                             docs["junit"], re.M)
    fails = int(re.search(r'<testsuites [^>]*failures="(\d+)"', docs["junit"]).group(1))
    views = {
        "text": (len(text), sum("[suppressed: baseline " in ln for ln in text)),
        "json": (len(js), sum(f.get("suppressed") is True for f in js)),
        "sarif": (len(sarif), sum(bool(r.get("suppressions")) for r in sarif)),
        "junit": (len(junit_lines), sum("[suppressed: baseline " in ln for ln in junit_lines)),
    }
    return views, fails, j, sarif


def same_suppression(label, docs):
    views, fails, j, sarif = suppression_views(docs)
    check(len(set(views.values())) == 1, f"{label}: every format shows the same suppression {views}")
    # JSON: each finding's justification names the entry; SARIF's the same, kind external
    just = sorted(f["justification"] for f in j["findings"] if f["suppressed"])
    sj = sorted(r["suppressions"][0]["justification"] for r in sarif if r.get("suppressions"))
    check(just == sj and all(r["suppressions"][0]["kind"] == "external" for r in sarif
                             if r.get("suppressions")),
          f"{label}: SARIF suppressions (external) carry JSON's justifications")
    # JUnit: a failure per (file, target) with an unsuppressed error
    unsup = sum(1 for f in j["files"] if any(x["severity"] == "error" and not x["suppressed"]
                                             for x in f["findings"]))
    check(fails == unsup, f"{label}: JUnit failures {fails} = results with an unsuppressed error {unsup}")
    return views, j


def notes_everywhere(docs, needle):
    j = json.loads(docs["json"])
    s = json.loads(docs["sarif"])["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    return (any(needle in n["message"] for n in j["notes"]) and
            any(needle in n["message"]["text"] for n in s) and needle in docs["text"])


def round_trip(label, args):
    bl = os.path.join(TMP, re.sub(r"[^a-z0-9.]+", "_", label) + ".baseline")
    rc0, doc0, _ = run("-f", "json", *args)
    j0 = json.loads(doc0)
    n0 = len(j0["findings"])
    errs0 = sum(f["severity"] == "error" for f in j0["findings"])
    rc, _, err = run("--write-baseline", bl, "-o", os.path.join(TMP, "r.json"), "-f", "json", *args)
    check(rc == rc0, f"{label}: --write-baseline does not change the exit status ({rc0} -> {rc})")
    lines = [ln for ln in open(bl) if ln.strip() and not ln.startswith("#")]
    print(f"{label}: {n0} finding(s), {errs0} error(s), exit {rc0}; baseline of {len(lines)} entries")
    check(errs0 > 0 and len(lines) > 0, f"{label}: the stream has real findings to accept")
    rc, docs = formats(["--baseline", bl, *args])
    views, j = same_suppression(label, docs)
    check(rc == 0 and j["verdict"] == "accept",
          f"{label}: check --baseline of its own findings exits 0 ({rc}, {j.get('verdict')})")
    check(views["json"] == (n0, n0), f"{label}: every finding shown and suppressed {views['json']} of {n0}")
    check(j["findings"] and all(f["justification"].startswith("baseline " + bl + ":")
                                for f in j["findings"]), f"{label}: each names its baseline line")
    check(not any("is unused" in n["message"] for n in j["notes"]), f"{label}: no entry unused")
    return bl, j0


def main():
    if not os.path.exists(FIX):
        vt.skip("the aarch64 fixture is missing")
    # 1. the fixture: QEMU 10.0's aarch64 stream into QEMU 7.2 and 10.0
    args = ["--target", "qemu-7.2/aarch64", "--target", "qemu-10.0/aarch64", FIX]
    bl, j0 = round_trip("aarch64 10.0 fixture", args)
    # a partial baseline: one class for one target, a line for another
    # target, one matching nothing, comments of both kinds
    part = os.path.join(TMP, "partial.baseline")
    with open(part, "w") as f:
        f.write("# accepted: the 7.2 destination's cpreg list\n\n"
                "field-mismatch  cpu\\[*\\]/cpreg_vmstate_array_len\tqemu-7.2/aarch64  # both vCPUs\n"
                "unknown-subsection */wfxt-timer qemu-10.0/aarch64\n"
                "bad-footer nothing/here *\n")
    rc, docs = formats(["--baseline", part, *args])
    views, j = same_suppression("partial", docs)
    sup = [(f["target"], f["path"]) for f in j["findings"] if f["suppressed"]]
    check(sorted(sup) == [("qemu-7.2/aarch64", "cpu[0]/cpreg_vmstate_array_len"),
                          ("qemu-7.2/aarch64", "cpu[1]/cpreg_vmstate_array_len")],
          f"partial: only the entry's class, path and target are suppressed ({sup})")
    check(rc == 1 and j["verdict"] == "reject", "partial: the rest still rejects (exit 1)")
    f72 = next(f for f in j["files"] if f["target"] == "qemu-7.2/aarch64")
    check(f72["failure_class"] == "machine-mismatch", "partial: failure_class is the first unsuppressed error")
    check(notes_everywhere(docs, "partial.baseline:5 is unused"),
          "partial: the entry matching nothing is an unused note in text, JSON and SARIF")
    check(notes_everywhere(docs, "partial.baseline:4 is unused"),
          "partial: an entry for a target whose findings lack it is unused too")
    # "*" as the target: every target
    star = os.path.join(TMP, "star.baseline")
    with open(star, "w") as f:
        f.write("".join(ln.rsplit(" ", 1)[0] + " *\n" for ln in open(bl) if not ln.startswith("#")))
    rc, docs = formats(["--baseline", star, *args])
    check(rc == 0, f"a baseline with target * accepts for every target (exit {rc})")
    # --min-severity: what is not shown is not written
    rc, _, _ = run("--min-severity", "error", "--write-baseline", os.path.join(TMP, "e.bl"),
                   "-o", os.path.join(TMP, "e.txt"), *args)
    check(all(ln.split()[0] in {f["class"] for f in j0["findings"] if f["severity"] == "error"}
              for ln in open(os.path.join(TMP, "e.bl")) if not ln.startswith("#")),
          "--write-baseline writes the findings shown")
    # 2. malformed lines: one error naming FILE:LINE, exit 2, nothing written
    out = os.path.join(TMP, "keep.json")
    for text, lineno, what in (("field-mismatch onlytwo\n", 1, "two fields"),
                               ("# ok\nno-such-class a *\n", 2, "unknown finding class"),
                               ("\n\nfield-mismatch a b c\n", 3, "more than three fields"),
                               ("field-mismatch a\\", 1, "backslash"),
                               ("field-mismatch a *\x00\n", 1, "NUL"),
                               ("x" * 5000 + "\n", 1, "longer than")):
        bad = os.path.join(TMP, "bad.baseline")
        with open(bad, "w") as f:
            f.write(text)
        with open(out, "w") as f:
            f.write("before\n")
        for fmt in ("text", "json", "sarif", "junit"):
            rc, doc, err = run("-f", fmt, "-o", out, "--baseline", bad, *args)
            check(rc == 2 and err.count("\n") == 1 and f"{bad}:{lineno}:" in err and what in err
                  and open(out).read() == "before\n",
                  f"malformed ({what}, {fmt}): exit {rc}, one line naming FILE:LINE, -o untouched: {err.strip()[:120]}")
    rc, _, err = run("--baseline", os.path.join(TMP, "missing"), *args)
    check(rc == 2 and "missing" in err, f"a missing baseline is a usage error ({rc})")
    # --write-baseline: replaced only once complete; never over an input
    wb = os.path.join(TMP, "wb.baseline")
    with open(wb, "w") as f:
        f.write("old\n")
    rc, _, _ = run("--write-baseline", wb, "--target", "qemu-0.0/none", FIX)
    check(rc == 2 and open(wb).read() == "old\n", "--write-baseline: a usage error leaves the file as it was")
    rc, _, err = run("--write-baseline", bl, "--baseline", bl, *args)
    check(rc == 2 and open(bl).read().count("\n") > 3, "--write-baseline may not replace the --baseline it reads")
    rc, _, err = run("--write-baseline", wb, "-o", wb, *args)
    check(rc == 2 and open(wb).read() == "old\n", "--write-baseline and -o may not name one file")
    # 3. the corpus: real streams against --all-targets and two targets
    streams = sorted(glob.glob(os.path.join(CORPUS, "streams", "v*-x86-*.qevm")))
    if not streams:
        print(f"no corpus at {CORPUS}: its round trip skipped")
    else:
        pick = [s for s in streams if re.search(r"virtio|legacy", s)][:2]
        for s in pick:
            name = os.path.basename(s)
            round_trip(name + " --all-targets", ["--all-targets", s])
        round_trip("corpus, two targets", ["--target", "qemu-7.2/x86_64", "--target",
                                           "qemu-5.2/x86_64", *pick])
    print(f"baseline: {len(vt.failures)} failure(s)")
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
