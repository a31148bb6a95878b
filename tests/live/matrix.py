#!/usr/bin/env python3
"""The cross-release matrix: `vmstate-inspect check` against real QEMU.

For each architecture, every installed release saves a stream with a machine
type every release knows (pc-q35-5.2, pc-i440fx-5.2, virt-5.2, pseries-5.2,
s390-ccw-virtio-5.2) and the device mixes of tests/live/live.py, and every
other installed release loads it (both directions).  Then, for each pair of
an older destination and a newer source, the newer side's own machine type:
once with that name (the destination QEMU cannot even start: "unsupported
machine type") and once with the destination's alias (q35, virt...), which it
resolves to its own newest type.  For every pair `check --target
qemu-DST/ARCH --machine M` runs with --dest-stream (a stream the destination's
own configuration wrote, when it can start) and without, and must agree with
QEMU's verdict and class (classified as tests/live/live.py does).

Releases come from $VI_QEMU_BINDIR (default /var/cache/vmstate-inspect/bin,
tools/install-qemu.sh): qemu-REL-ARCH runs that release's qemu-system-ARCH.
Without it, 7.2 is /usr/bin and 10.0 /opt/qemu-10.0/bin.  A release that is not
installed is named and left out; with fewer than two releases of any
architecture the test skips (77).  A pair whose destination has no target
(schemas/qemu-DST/ARCH.json, or in --schemas DIR) is listed as not judged.

Prints every pair, then the matrix per architecture (pairs, agreements), the
time, and `N passed, M failed` (pairs).  Exit 0 when every judged pair agrees
or its disagreement is in KNOWN_LIMITS (each pinned by its own test); 1
otherwise.  Options: --schemas DIR, --arch ARCH (repeatable), --releases
5.2,7.2,..., --jobs N, --keep, --list, -v.  Python 3 standard library only.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live  # noqa: E402  (the QEMU harness: save, load, classify, check)

RELEASES = ["5.2", "7.2", "10.0", "11.1"]
BINDIR = os.environ.get("VI_QEMU_BINDIR") or "/var/cache/vmstate-inspect/bin"
FALLBACK = {"7.2": "/usr/bin/qemu-system-%s", "10.0": "/opt/qemu-10.0/bin/qemu-system-%s"}
T_TOTAL = 3600

DISK = live.DISK
ARCHES = {
    # arch: (alias of the newest machine type, [(common machine type, (label, devices))])
    "x86_64": ("q35", [("pc-q35-5.2", live.VIRTIO), ("pc-i440fx-5.2", live.LEGACY)]),
    "aarch64": ("virt", [("virt-5.2", live.VIRT_DEVS)]),
    "ppc64": ("pseries", [("pseries-5.2", ("virtio-rng,blk", live.RNG + DISK + live.VBLK))]),
    # the s390-ccw BIOS finds nothing to boot and the guest panics: -no-shutdown
    # keeps that QEMU (stopped) for the migration
    "s390x": ("s390-ccw-virtio", [("s390-ccw-virtio-5.2", (
        "virtio-rng,blk-ccw", ["-no-shutdown", "-device", "virtio-rng-ccw,id=rng0"] + DISK +
        ["-device", "virtio-blk-ccw,drive=d0,id=vblk0"]))]),
}
# SLOF needs a real mode area of 80 MiB or more, pseries RAM in 256 MiB steps
MEM = {"ppc64": "256M"}

# Disagreements that are understood, keyed by (pair id, "dest" | "nodest"),
# each with its reason and the test that pins it.  Anything else fails.
KNOWN_LIMITS = {
    ("aarch64 common 5.2->7.2 virt-5.2", "nodest"):
        "5.2's cortex-a57 ID_DFR0 is 0x3010066, 7.2's constant 0x3010006: only the "
        "destination's own stream has its ID register values (tests/check_releases.py, "
        "'limit: without --dest-stream the ID register value is not known')",
}


# Disagreements seen in the first run with every release installed and not yet
# understood or fixed: reported as OPEN (issue 11 stays open while any is
# here), never counted as agreement; a pair here that agrees says so, so the
# entry can go.  Anything not here or in KNOWN_LIMITS fails the test.
OPEN = {
}


def binary(rel, arch):
    w = os.path.join(BINDIR, "qemu-%s-%s" % (rel, arch))
    if os.access(w, os.X_OK):
        return w
    if rel in FALLBACK and os.access(FALLBACK[rel] % arch, os.X_OK):
        return FALLBACK[rel] % arch
    return None


class MConfig(live.Config):
    def __init__(self, rel, arch, machine, devs, path):
        super().__init__(rel, arch, machine, *devs[1], label=devs[0], mem=MEM.get(arch, "64M"))
        self.path = path

    @property
    def binary(self):
        return self.path


class Pair:
    def __init__(self, kind, src, dst, dest_cfg):
        self.kind, self.src, self.dst, self.dest_cfg = kind, src, dst, dest_cfg
        self.arch = src.arch
        self.id = "%s %s %s->%s %s%s" % (src.arch, kind, src.rel, dst.rel, src.machine_type,
                                         "" if dst.machine_type == src.machine_type
                                         else " into " + dst.machine_type)


def newest(path, alias):
    """The machine type `alias` stands for in that binary (-machine help)."""
    p = subprocess.run([path, "-machine", "help"], capture_output=True, timeout=60,
                       cwd=tempfile.gettempdir())
    for line in p.stdout.decode(errors="replace").splitlines():
        m = re.match(r"(\S+)\s.*\(alias of (\S+)\)", line)
        if m and m.group(1) == alias:
            return m.group(2)
    return None


def version_ok(path, rel):
    p = subprocess.run([path, "--version"], capture_output=True, timeout=60,
                       cwd=tempfile.gettempdir())
    return ("version %s." % rel) in p.stdout.decode(errors="replace").split("\n")[0]


def discover(releases, arches, say):
    """{arch: [release...]} of the installed ones, oldest first."""
    found = {}
    for arch in arches:
        have = []
        for rel in releases:
            path = binary(rel, arch)
            if not path:
                say("matrix: QEMU %s %s not installed (no %s/qemu-%s-%s): left out"
                    % (rel, arch, BINDIR, rel, arch))
            elif not version_ok(path, rel):
                say("matrix: %s is not QEMU %s: left out" % (path, rel))
            else:
                have.append(rel)
        found[arch] = have
    return found


def pairs(found):
    out = []
    for arch, rels in sorted(found.items()):
        alias, commons = ARCHES[arch]
        for mt, devs in commons:
            for s in rels:
                for d in rels:
                    if s == d:
                        continue
                    src = MConfig(s, arch, mt, devs, binary(s, arch))
                    dst = MConfig(d, arch, mt, devs, binary(d, arch))
                    out.append(Pair("common", src, dst, dst))
        mt0, devs = commons[0]
        news = {r: newest(binary(r, arch), alias) for r in rels}
        for i, d in enumerate(rels):
            for s in rels[i + 1:]:
                if not news[s] or not news[d]:
                    continue
                src = MConfig(s, arch, news[s], devs, binary(s, arch))
                # the newer type by name: the older QEMU cannot start
                out.append(Pair("newer-only", src, MConfig(d, arch, news[s], devs,
                                                           binary(d, arch)), None))
                # the destination's alias: its own newest type
                out.append(Pair("alias", src, MConfig(d, arch, alias, devs, binary(d, arch)),
                                MConfig(d, arch, news[d], devs, binary(d, arch))))
    return out


def import_target(rel, arch, out, log):
    """tools/import-qemu.sh of an installed release into out (the user's-build path)."""
    p = subprocess.run(["sh", os.path.join(live.SRC, "tools", "import-qemu.sh"), binary(rel, arch),
                        "qemu-%s/%s" % (rel, arch), out], capture_output=True, timeout=900,
                       env=dict(os.environ, VI=live.BIN, RUN_SECONDS="1"))
    with open(log, "wb") as f:
        f.write(p.stderr)
    if p.returncode != 0:
        raise live.HarnessError("import of qemu-%s/%s failed (%d): %s"
                                % (rel, arch, p.returncode, p.stderr.decode()[-800:]))


class Runner(live.Runner):
    imported = None     # directory of the imported targets, or None

    def run_pair(self, p):
        r = {"pair": p}
        stream = self.stream(p.src, "src")
        dest = self.stream(p.dest_cfg, "src") if p.dest_cfg else None
        status, stderr = live.load_stream(p.dst, self._dir("load"), stream)
        r["qemu_stderr"] = stderr
        r["qemu"] = ("accept", "none", "") if status == "completed" else \
            ("reject",) + live.classify(stderr)
        m = re.search(r"Assertion .* failed", stderr)
        if r["qemu"][1] == "other" and m:
            r["qemu"] = ("reject", "abort", m.group(0))
        sid = "qemu-%s/%s" % (p.dst.rel, p.arch)
        d = self.schemas_dir or os.path.join(live.SRC, "schemas")
        if not os.path.exists(os.path.join(d, sid + ".json")):
            r["unjudged"] = "no target %s in %s" % (sid, d)
            return r
        r["target"] = sid
        r["dest"] = live.run_check(sid, d, p.dst.machine_type, dest, stream) if dest else None
        r["nodest"] = live.run_check(sid, d, p.dst.machine_type, None, stream)
        if self.imported and os.path.exists(os.path.join(self.imported, sid + ".json")):
            r["imp_dest"] = live.run_check(sid, self.imported, p.dst.machine_type, dest,
                                           stream) if dest else None
            r["imp_nodest"] = live.run_check(sid, self.imported, p.dst.machine_type, None,
                                             stream)
        return r


def report(all_pairs, results, errors, verbose, elapsed):
    per = {}
    failed = set()
    for p in all_pairs:
        r = results.get(p.id)
        if r is None:
            continue
        st = per.setdefault(p.arch, {"pairs": 0, "judged": 0, "agree": 0, "dest": 0,
                                     "dest_agree": 0, "unjudged": 0, "aborts": 0,
                                     "imp": 0, "imp_same": 0, "open": 0})
        st["pairs"] += 1
        q = r["qemu"]
        print("== %s   [%s] -> [%s]" % (p.id, p.src.short(), p.dst.short()))
        print("   QEMU:                %s%s" % ("accept" if q[0] == "accept" else "reject " + q[1],
                                               (" | " + q[2]) if q[2] else ""))
        if "unjudged" in r:
            st["unjudged"] += 1
            print("   not judged: " + r["unjudged"])
            continue
        st["judged"] += 1
        all_ok = True
        for tag in ("dest", "nodest"):
            k = r[tag]
            if k is None:
                continue
            ok = live.agree(q, k)
            if tag == "dest":
                st["dest"] += 1
                st["dest_agree"] += ok
            line = "   %s %s" % ("check --dest-stream:" if tag == "dest" else "check, no dest:     ",
                                 k["verdict"] if k["verdict"] != "reject" else "reject " + k["class"])
            if k.get("error"):
                line += " | " + k["error"]
            if ok:
                v = "agree"
                if (p.id, tag) in OPEN:
                    v += " (listed as OPEN in matrix.py: remove the entry)"
            elif q[1] == "abort" and k["verdict"] == "reject":
                # QEMU died on an assert() instead of refusing with a message:
                # there is no class to compare, the load fails either way.
                v = "QEMU aborted (no class to compare); check rejects too"
                st["aborts"] += 1
            elif (p.id, tag) in KNOWN_LIMITS:
                v = "DISAGREE, known limit: " + KNOWN_LIMITS[(p.id, tag)]
            elif (p.id, tag) in OPEN:
                v = "DISAGREE, OPEN (issue 11): " + OPEN[(p.id, tag)]
                st["open"] += 1
            else:
                v = "DISAGREE"
                all_ok = False
                failed.add(p.id)
            print(line + "\n      -> " + v)
            all_ok &= ok
            if verbose and not ok:
                print("      cmd: " + k["cmd"])
        st["agree"] += all_ok
        for tag in ("dest", "nodest"):
            k, ki = r[tag], r.get("imp_" + tag)
            if k is None or ki is None:
                continue
            st["imp"] += 1
            if (k["verdict"], k["class"]) == (ki["verdict"], ki["class"]):
                st["imp_same"] += 1
            else:
                print("   imported target (%s): %s %s | %s\n      -> DIFFERS from the shipped "
                      "target's %s %s" % (tag, ki["verdict"], ki["class"], ki.get("error", ""),
                                          k["verdict"], k["class"]))
                if live.agree(q, k) and (p.id, "imported") not in KNOWN_LIMITS:
                    failed.add(p.id)
        if verbose and q[0] == "reject":
            for l in live.error_lines(r["qemu_stderr"]):
                print("      qemu: " + l)
    for pid, err in errors:
        print("== %s\n   HARNESS ERROR: %s" % (pid, err))
        failed.add(pid)
    print()
    print("matrix (pair = a stream of one release loaded by another; agree = check's verdict "
          "and class equal QEMU's with and without --dest-stream):")
    tot = {"pairs": 0, "judged": 0, "agree": 0}
    for arch, st in sorted(per.items()):
        print("  %-8s %3d pairs, %3d judged, %3d agree (--dest-stream alone: %d/%d)%s%s%s"
              % (arch, st["pairs"], st["judged"], st["agree"], st["dest_agree"], st["dest"],
                 ", %d not judged (no target)" % st["unjudged"] if st["unjudged"] else "",
                 ", %d runs where QEMU aborted" % st["aborts"] if st["aborts"] else "",
                 ", %d OPEN disagreements" % st.get("open", 0) if st.get("open") else ""))
        if st["imp"]:
            print("  %-8s imported target (tools/import-qemu.sh): %d/%d check runs give the "
                  "shipped target's verdict and class" % ("", st["imp_same"], st["imp"]))
        for k in tot:
            tot[k] += st[k]
    print("  %-8s %3d pairs, %3d judged, %3d agree" % ("all", tot["pairs"], tot["judged"],
                                                      tot["agree"]))
    print("time: %.0f s" % elapsed)
    print("%d passed, %d failed" % (len(results) - len(failed & set(results)), len(failed)))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schemas", help="look for qemu-R/ARCH schemas here (default: <src>/schemas)")
    ap.add_argument("--arch", action="append", default=[], choices=sorted(ARCHES))
    ap.add_argument("--releases", default=",".join(RELEASES))
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--import", dest="imp", action="store_true",
                    help="also import every installed release that has a shipped target with "
                    "tools/import-qemu.sh and compare its verdicts with the shipped target's")
    ap.add_argument("--import-arch", action="append", default=[], choices=sorted(ARCHES),
                    help="with --import: only these architectures (default: all)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    found = discover(a.releases.split(","), a.arch or sorted(ARCHES), print)
    for arch, rels in sorted(found.items()):
        if len(rels) < 2:
            print("matrix: %s: fewer than two releases installed (%s): skipped"
                  % (arch, ", ".join(rels) or "none"))
    found = {k: v for k, v in found.items() if len(v) >= 2}
    if not found:
        print("matrix: no architecture with two installed releases: skipped; run "
              "tools/install-qemu.sh")
        return 77
    all_pairs = pairs(found)
    if a.list:
        for p in all_pairs:
            print("%-60s [%s] -> [%s]" % (p.id, p.src.short(), p.dst.short()))
        return 0
    if not os.access(live.BIN, os.X_OK):
        print("matrix: %s is not built" % live.BIN)
        return 99
    base = tempfile.gettempdir()
    work = tempfile.mkdtemp(prefix="vi-matrix-", dir=base if len(base) <= 40 else "/tmp")
    t0 = time.time()

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    watchdog = threading.Timer(T_TOTAL, lambda: os.kill(os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()
    results, errors = {}, []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs))
    try:
        runner = Runner(work, a.schemas, a.jobs)
        if a.imp:
            runner.imported = os.path.join(work, "imported")
            sd = a.schemas or os.path.join(live.SRC, "schemas")
            todo = [(rel, arch) for arch, rels in sorted(found.items()) for rel in rels
                    if (not a.import_arch or arch in a.import_arch) and os.path.exists(os.path.join(sd, "qemu-%s" % rel, arch + ".json"))]
            ifuts = {pool.submit(import_target, rel, arch, runner.imported,
                                 os.path.join(work, "import-%s-%s.log" % (rel, arch))):
                     (rel, arch) for rel, arch in todo}
            for fu in concurrent.futures.as_completed(ifuts):
                try:
                    fu.result()
                    print("matrix: imported qemu-%s/%s" % ifuts[fu])
                except Exception as e:
                    errors.append(("import qemu-%s/%s" % ifuts[fu], str(e)))
        futs = {pool.submit(runner.run_pair, p): p for p in all_pairs}
        for fu in concurrent.futures.as_completed(futs):
            p = futs[fu]
            try:
                results[p.id] = fu.result()
            except Exception as e:
                errors.append((p.id, "%s: %s" % (type(e).__name__, e)))
        pool.shutdown(wait=True)
    except KeyboardInterrupt as e:
        print("matrix: interrupted (%s), cleaning up" % (e or "SIGINT"), file=sys.stderr)
        pool.shutdown(wait=False, cancel_futures=True)
        live.kill_all()
        return 1
    finally:
        watchdog.cancel()
        live.kill_all()
        if a.keep:
            print("matrix: work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report(all_pairs, results, errors, a.verbose, time.time() - t0)


if __name__ == "__main__":
    sys.exit(main())
