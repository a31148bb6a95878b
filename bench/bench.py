#!/usr/bin/env python3
"""Speed and memory of `dump`, `check` and `report` against `cat` and
`xxhsum -H3` on the same files, in one run (issue 16's targets).

Inputs (bench_streams.py; cached in --cache, made on first use): real
streams of 1, 2 and 4 GiB x86_64 guests full of random data saved by QEMU
7.2, streams of 25 000 / 50 000 / 100 000 sections, and streams ending in a
12 / 25 / 50 MiB VMDESCRIPTION trailer.  Each command runs --runs times on
a file already in the page cache (read in by cat; the 1 GiB stream also
read in through the mapping), as the tool reads by default (a mapping or
pread, whichever its first window measures cheaper: both are printed); the
medians of wall and CPU (user+sys) time are kept, and the peak RSS.  On a shared machine wall time mostly
measures the other jobs, so the targets are judged on CPU time (both are
printed).

Targets (printed as PASS/MISS; no exit status, this is a measurement):
  - dump, check, report on 1 GiB      <= 0.75 x xxhsum -H3
  - the same with --digests           <= 1.25 x xxhsum -H3
  - linear: the middle size's time within 10 % (or 20 ms, the noise) of
    the line through the smallest and the largest (which leaves start-up
    out)
  - peak RSS <= 64 MiB for every command on every input
  - compressed input (the 1 GiB stream as .zst and as multi-block .xz,
    made once with zstd / xz -T0): dump's wall time <= 1.1 x the
    decompressor's alone (`zstd -dc` / `xz -dc` to /dev/null); judged on
    wall time, what a user waits for (the tool decodes xz blocks on
    several threads, so its CPU time is printed beside it)

Writes bench/RESULTS.md (--results) with the machine it ran on.
Usage: bench/bench.py [--bin PATH] [--cache DIR] [--gib 1,2,4] [--runs N] [--mmap 0|1]
"""
import argparse, re, os, platform, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_streams as bs  # noqa: E402

TARGET = ["--target", "qemu-7.2/x86_64", "--machine", "pc"]
COMMANDS = [
    ("dump", ["dump", "--format", "json"], 0.75),
    ("check", ["check", "--format", "json"] + TARGET, 0.75),
    ("report", ["report", "--format", "json"], 0.75),
    ("dump --digests", ["dump", "--format", "json", "--digests"], 1.25),
    ("report --digests", ["report", "--format", "json", "--digests"], 1.25),
]
RSS_LIMIT = 64
# Compressed input: within 1.1x the decompressor alone (wall time; the
# tool decodes multi-block xz with liblzma's threaded decoder).
COMPRESSORS = [("zstd", "zst", ["zstd", "-q", "-T0", "-3", "-c"]),
               ("xz", "xz", ["xz", "-q", "-T0", "-1", "-c"])]
COMPRESSED_LIMIT = 1.1


def run(argv, env=None):
    """(exit code, wall s, cpu s, max RSS MiB, stderr) of one run, stdout
    discarded.  Run under GNU time for the peak RSS: a child forked from
    this Python process would count its RSS too; CPU time from wait4
    (time's and its child's)."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as tf:
        t = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%x %M", "-o", tf.name] + argv,
                             stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        err.seek(0)
        msg = err.read()
        last = tf.read().split()
    rc, rss = int(last[-2]), int(last[-1]) / 1024
    return rc, wall, ru.ru_utime + ru.ru_stime, rss, msg


def summary(res):
    """The medians (and the peak RSS) of runs of one command."""
    return {"rc": res[0][0], "wall": statistics.median(r[1] for r in res),
            "cpu": statistics.median(r[2] for r in res),
            "rss": max(r[3] for r in res), "err": res[0][4].decode(errors="replace")}


def run_cached(argv, env, cached):
    """One run of argv, cached read (cat) first, untimed: this machine's
    kernel reclaims cold page cache on its own (DAMON), and a run that reads
    from disk measures the disk."""
    subprocess.run(["cat", cached], stdout=subprocess.DEVNULL)
    return run(argv, env)


def measure(argv, runs, env=None, cached=None):
    """argv's medians over runs (cached: as run_cached)."""
    return summary([run_cached(argv, env, cached) if cached else run(argv, env)
                    for _ in range(runs)])


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    virt = ""
    try:
        virt = subprocess.run(["systemd-detect-virt"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (f"{cpu}, {os.cpu_count()} cores, Linux {platform.release()}"
            + (f", virtualised ({virt})" if virt and virt != "none" else "")
            + f", load average {load:.1f} at the start")


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)


def warm(path, state, binary):
    """Put path in the page cache: read in by cat ("read"), or read in
    through vmstate-inspect's mapping ("mapped": 2 MiB page-cache folios,
    which the kernel maps with one entry each, so the reader keeps its
    mapping; read in by cat the folios are small and it falls back to
    pread).  Both are states a stream file is found in."""
    evict(path)
    if state == "mapped":
        subprocess.run([binary, "dump", "--format", "json", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=dict(os.environ, VMSTATE_INSPECT_MMAP="1"))
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL)


def reader_choice(path, state, binary, force=None):
    """What the default reader did with path in this state: its first big
    window measures whether mapping costs less than copying (bytes handed
    out of a mapping are the few read; by pread, all of them)."""
    env = dict(os.environ, VMSTATE_INSPECT_STATS="1")
    if force:
        env["VMSTATE_INSPECT_MMAP"] = force
    warm(path, state, binary)
    r = subprocess.run([binary, "dump", "--format", "json", path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, env=env)
    m = re.search(r"bytes_read=(\d+)", r.stderr)
    if not m:
        return "(unknown)"
    return ("the mapping" if int(m.group(1)) < os.path.getsize(path) // 2 else "pread")


def compressed(path):
    """path compressed by each compressor found (made once, beside it;
    multi-threaded, so xz writes several blocks)."""
    out = []
    for tool, ext, argv in COMPRESSORS:
        if not shutil.which(tool):
            continue
        dst = f"{path}.{ext}"
        if not os.path.exists(dst):
            with open(dst + ".tmp", "wb") as f:
                subprocess.run(argv + [path], stdout=f, check=True)
            os.rename(dst + ".tmp", dst)
        out.append((tool, dst))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "src", "vmstate-inspect"))
    ap.add_argument("--cache", default="/var/tmp/vmstate-inspect-bench")
    ap.add_argument("--gib", default="1,2,4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mmap", choices=("0", "1"),
                    help="force the reader: 0 pread, 1 the mapping (default: the tool decides)")
    ap.add_argument("--qemu", default=bs.default_qemu())
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--note", action="append", default=[],
                    help="a line for RESULTS.md (e.g. what else ran on the machine)")
    a = ap.parse_args()
    if not os.access("/usr/bin/time", os.X_OK):
        print("/usr/bin/time (GNU time) not found")
        return 77
    if not shutil.which("xxhsum"):
        print("xxhsum not found (Debian package xxhash)")
        return 77
    if not a.qemu:
        print("no qemu-system-x86_64 to make the streams with")
        return 77
    os.makedirs(a.cache, exist_ok=True)
    gibs = [int(g) for g in a.gib.split(",")]
    notes = []
    # Each GiB takes ~2 GiB of disk (random data and the stream).
    have = {g for g in gibs
            if os.path.exists(os.path.join(a.cache, f"qemu-{g}g.qevm"))}
    need = sum(2 * g for g in gibs if g not in have) + 1
    while gibs and need > bs.free_gib(a.cache):
        dropped = gibs.pop()
        need -= 2 * dropped
        notes.append(f"{dropped} GiB stream left out: {bs.free_gib(a.cache):.0f} GiB free "
                     f"in {a.cache}")
    reals = [(g, bs.qemu_stream(a.cache, g, a.qemu)) for g in gibs]
    sections = [(n, bs.sections_stream(a.cache, n)) for n in (25000, 50000, 100000)]
    trailers = [(m, bs.trailer_stream(a.cache, m)) for m in (12, 25, 50)]

    rows = []      # (input, command, result)
    env = {k: v for k, v in os.environ.items() if k != "VMSTATE_INSPECT_MMAP"}
    if a.mmap:
        env["VMSTATE_INSPECT_MMAP"] = a.mmap
    argvs = [("cat", ["cat"], None), ("xxhsum -H3", ["xxhsum", "-q", "-H3"], None)] + \
        [(name, [a.bin] + args, env) for name, args, _ in COMMANDS]

    def bench_series(items, state="read"):
        """items: (size, label, path).  Every command runs --runs times on
        every file, interleaved (each command once on each file, then
        again): a machine whose speed drifts over minutes shifts every size
        alike, not one size of the series.  [(size, bytes, {command: result})]"""
        for _, _, path in items:
            warm(path, state, a.bin)
        res = {(path, name): [] for _, _, path in items for name, _, _ in argvs}
        for _ in range(a.runs):
            for _, _, path in items:
                for name, argv, e in argvs:
                    res[(path, name)].append(run_cached(argv + [path], e, path))
        out = []
        for size, label, path in items:
            base = {name: summary(res[(path, name)]) for name, _, _ in argvs}
            rows.extend((label, name, r) for name, r in base.items())
            out.append((size, os.path.getsize(path), base))
        return out

    states = ("read", "mapped")
    series = {
        "real read": bench_series([(g, f"{g} GiB (read)", path) for g, path in reals]),
        "real mapped": bench_series([(g, f"{g} GiB (mapped)", path) for g, path in reals[:1]],
                                    "mapped"),
        "sections": bench_series([(n, f"{n} sections", path) for n, path in sections]),
        "trailer": bench_series([(m, f"{m} MiB trailer", path) for m, path in trailers]),
    }
    packed = []    # (tool, path, decompressor alone, dump)
    for tool, path in compressed(reals[0][1]) if reals else ():
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL)
        alone = measure([tool, "-dc", path], a.runs, cached=path)
        mine = measure([a.bin, "dump", "--format", "json", path], a.runs, cached=path)
        rows.append((os.path.basename(path), "dump", mine))
        packed.append((tool, path, alone, mine))

    out = []
    def p(s=""):
        print(s)
        out.append(s)
    p(f"Machine: {machine()}")
    p(f"Binary: {os.path.relpath(a.bin)}; {a.runs} runs each, medians; streams made by "
      f"{os.path.basename(a.qemu)} (-accel tcg)")
    # Installed schemas are parsed lazily only where `make` left
    # validated.idx (beside the binary's build tree or the install).
    lists = [d for d in (os.path.join(os.path.dirname(os.path.abspath(a.bin)), "..", "schemas"),
                         os.environ.get("VMSTATE_INSPECT_SCHEMAS", ""))
             if d and os.path.exists(os.path.join(d, "validated.idx"))]
    p("Schemas: " + (os.environ.get("VMSTATE_INSPECT_SCHEMAS") or "the binary's default")
      + "; validated.idx " + ("found: parsed as needed" if lists else
                               "not found: every schema read whole"))
    for n in notes + a.note:
        p(f"Note: {n}")
    p()
    for st in states if reals else ():
        one = series[f"real {st}"][0][2]
        x = one["xxhsum -H3"]
        p(f"### {gibs[0]} GiB real stream ({os.path.getsize(reals[0][1]):,} bytes), "
          + ("file read in by cat" if st == "read" else
             "file read in through the tool's mapping (2 MiB folios)")
          + f"; the reader {'was forced to' if a.mmap else 'chose'} "
          + reader_choice(reals[0][1], st, a.bin, a.mmap))
        p()
        p("| command | wall s | CPU s | wall / xxhsum | CPU / xxhsum | target (CPU) | peak RSS MiB | exit |")
        p("|---|---|---|---|---|---|---|---|")
        for name in ["cat", "xxhsum -H3"] + [c[0] for c in COMMANDS]:
            r = one[name]
            lim = next((c[2] for c in COMMANDS if c[0] == name), None)
            verdict = "" if lim is None else \
                f"<= {lim} {'PASS' if r['cpu'] <= lim * x['cpu'] else 'MISS'}"
            p(f"| {name} | {r['wall']:.3f} | {r['cpu']:.3f} | {r['wall'] / x['wall']:.2f} | "
              f"{r['cpu'] / x['cpu']:.2f} | {verdict} | {r['rss']:.1f} | {r['rc']} |")
        p()
    units = {"real read": "GiB (read)", "real mapped": "GiB (mapped)",
             "sections": "sections", "trailer": "MiB trailer"}
    p("### Size against time (CPU seconds, medians)")
    p()
    for key, rowsx in series.items():
        if not rowsx:
            continue
        names = [c[0] for c in COMMANDS]
        p(f"| {units[key]} | bytes | xxhsum | " + " | ".join(names) + " |")
        p("|---" * (3 + len(names)) + "|")
        for size, nbytes, res in rowsx:
            p(f"| {size} | {nbytes:,} | {res['xxhsum -H3']['cpu']:.3f} | "
              + " | ".join(f"{res[nm]['cpu']:.3f}" for nm in names) + " |")
        p()
        p(f"| {units[key]}: peak RSS MiB | " + " | ".join(names) + " |")
        p("|---" * (1 + len(names)) + "|")
        for size, nbytes, res in rowsx:
            p(f"| {size} | " + " | ".join(f"{res[nm]['rss']:.1f}" for nm in names) + " |")
        if len(rowsx) >= 2:
            (s0, _, r0), (s1, _, r1) = rowsx[0], rowsx[-1]
            parts = []
            for nm in ["xxhsum -H3"] + names:
                # per-unit cost from the two ends: start-up cancels out
                slope = (r1[nm]["cpu"] - r0[nm]["cpu"]) / (s1 - s0)
                fixed = r0[nm]["cpu"] - slope * s0
                mid = rowsx[len(rowsx) // 2]
                pm = fixed + slope * mid[0]
                off = abs(mid[2][nm]["cpu"] - pm)
                dev = off / max(pm, 1e-3)
                # 20 ms: below that, CPU time here is noise
                ok = dev <= 0.10 or off <= 0.02
                parts.append(f"{nm}: {slope * 1000:.3f} ms/{units[key].split()[0]} + "
                             f"{fixed:.3f} s, middle point off by {dev * 100:.0f} % "
                             f"({off * 1000:.0f} ms) {'PASS' if ok else 'MISS'}")
            p()
            for x in parts:
                p(f"- {x}")
        p()
    if packed:
        p(f"### Compressed input: the {gibs[0]} GiB stream, `dump --format json` against "
          f"the decompressor alone (`TOOL -dc FILE > /dev/null`)")
        p()
        p("| file | bytes | decompressor wall s | CPU s | dump wall s | CPU s | "
          "wall ratio | CPU ratio | target (wall) | peak RSS MiB |")
        p("|---|---|---|---|---|---|---|---|---|---|")
        for tool, path, alone, mine in packed:
            ratio = mine["wall"] / alone["wall"]
            p(f"| {os.path.basename(path)} | {os.path.getsize(path):,} | {alone['wall']:.3f} | "
              f"{alone['cpu']:.3f} | {mine['wall']:.3f} | {mine['cpu']:.3f} | {ratio:.2f} | "
              f"{mine['cpu'] / alone['cpu']:.2f} | <= {COMPRESSED_LIMIT} "
              f"{'PASS' if ratio <= COMPRESSED_LIMIT else 'MISS'} | {mine['rss']:.1f} |")
        p()
    bad = [(lab, nm, r) for lab, nm, r in rows
           if nm not in ("cat", "xxhsum -H3") and r["rss"] > RSS_LIMIT]
    fails = [(lab, nm, r) for lab, nm, r in rows
             if nm not in ("cat", "xxhsum -H3") and r["rc"] not in (0, 1)]
    p(f"Peak RSS over {RSS_LIMIT} MiB: " + (", ".join(f"{nm} on {lab} ({r['rss']:.0f} MiB)"
                                                   for lab, nm, r in bad) or "none"))
    p("Exit codes other than 0/1: " + (", ".join(
        f"{nm} on {lab}: {r['rc']} ({r['err'].strip().splitlines()[-1].replace(a.cache + os.sep, '')[:120] if r['err'].strip() else ''})"
        for lab, nm, r in fails) or "none"))
    with open(a.results, "w") as f:
        f.write("# Benchmark results\n\nWritten by `bench/bench.py` "
                f"on {time.strftime('%Y-%m-%d')}.\n\n" + "\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
