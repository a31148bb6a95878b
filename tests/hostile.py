#!/usr/bin/env python3
"""Crafted hostile inputs (issue 15): bounded memory, linear time.

    tests/hostile.py SRCDIR                 run the test (VI_BIN set)
    tests/hostile.py --make CLASS N DIR     write one class's input(s) of size N,
                                            print [argv, [files read]] as JSON
    tests/hostile.py --measure CLASS N      make, run once, print seconds, RSS, bytes

Each class builds what an attacker would send to make one record type or
one command grow: N repeated configuration subsections, an N-block RAM
MEM_SIZE list, N command records, an N-device trailer, N sections with
subsections, a schema file of N vmsds, N device types sharing one vmsd in
a -dump-vmstate file, N same-named subsections on both sides of a diff,
a section of N fields for schema import --stream, N findings from check.
Every input is made here at test time; nothing is committed.  The smaller
checks (SMALL) each reproduce one bug of the issue: a FIFO in a schemas
directory, trailer garbage, an unreadable --dest-stream, diff's size x
count overflow, a JSON file over the budget, a qcow2 L1 table beyond the
file, the findings cap.

For each class the test runs the command at two sizes 4x apart and checks:
  - the exit status is 0-3 and the run takes under 10 s of CPU time (wall
    time on a loaded machine says little; it must stay under 60 s);
  - peak RSS (wait4) is at most 160 MiB + 8 x the stream bytes + 32 x the
    JSON bytes (schemas, -dump-vmstate files) the run reads: the bound the
    man page documents (LIMITS);
  - CPU time (user + system, from wait4: other load on the machine does not
    count) grows by at most 6x (a linear run grows ~4x; a quadratic one
    16x).  Times under 0.15 s are counted as 0.15 s, so start-up noise
    cannot fail it; the sizes are chosen so the large run takes a
    measurable time.
"""
import json, os, resource, struct, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402
import mutate  # noqa: E402

be16, be32, be64 = mutate.be16, mutate.be32, mutate.be64
HEADER = b"QEVM" + be32(3)
MIB = 1 << 20
RSS_BASE, RSS_PER_BYTE, RSS_PER_JSON_BYTE = 160 * MIB, 8, 32
# Growth compares CPU seconds of two sizes 4x apart: linear is ~4x, quadratic
# 16x.  Below TIME_FLOOR a run is mostly start-up (schemas, jansson), so the
# smaller run counts as at least that: 0.17 s -> 1.03 s (a clean-clone run at
# load 4, -dump-vmstate with a shared vmsd) is start-up plus linear work.
MAX_SECONDS, MAX_GROWTH, TIME_FLOOR = 10.0, 6.0, 0.3


def cstr(s):
    s = s.encode() if isinstance(s, str) else s
    return bytes([len(s)]) + s


def config(machine="pc-q35-10.0", extra=b""):
    return b"\x07" + be32(len(machine)) + machine.encode() + extra


def section(kind, sid, payload, name=None, instance=0, version=1):
    out = bytes([kind]) + be32(sid)
    if kind in (1, 4):
        out += cstr(name) + be32(instance) + be32(version)
    return out + payload + b"\x7e" + be32(sid)


def wfile(d, name, data):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else json.dumps(data).encode())
    return p


# ---------------------------------------------------------------- classes
# Each returns (argv after the binary, [files the run reads]).

def c_config(n, d):
    """N configuration/capabilities subsections of 8 capabilities each."""
    caps = b"".join(cstr("cap%d" % i) for i in range(8))
    sub = b"\x05" + cstr("configuration/capabilities") + be32(1) + be32(8) + caps
    p = wfile(d, "config.qevm", HEADER + config(extra=sub * n) + b"\x00")
    return ["dump", "--format", "json", p], [p]


def c_ramblocks(n, d):
    """A MEM_SIZE list of N RAMBlocks with 200-byte names (no page after)."""
    ps = 4096
    blocks = [("b%05d" % i + "x" * 194, ps) for i in range(n)]
    out = be64(sum(s for _, s in blocks) | 0x04) + b"".join(
        cstr(name) + be64(size) for name, size in blocks)
    p = wfile(d, "ram.qevm", HEADER + config() +
              section(1, 1, out + be64(0x10), name="ram", version=4) + b"\x00")
    return ["dump", "--format", "json", p], [p]


def c_commands(n, d):
    """N command records (MIG_CMD_PING with a 4-byte payload)."""
    cmd = b"\x08" + be16(2) + be16(4) + be32(7)
    p = wfile(d, "cmds.qevm", HEADER + config() + cmd * n + b"\x00")
    return ["dump", "--format", "json", p], [p]


def device_stream(n, nfields=1, value=0):
    """N device sections "devI" of nfields uint32 fields, with a trailer."""
    parts = [HEADER + config()]
    devs = []
    for i in range(n):
        parts.append(section(4, i + 1, be32(value) * nfields, name="dev%d" % i))
        devs.append({"name": "dev%d" % i, "instance_id": 0, "vmsd_name": "dev%d" % i,
                     "version": 1, "fields": [{"name": "f%d" % j, "type": "uint32",
                                               "size": 4} for j in range(nfields)]})
    return mutate.with_trailer(b"".join(parts) + b"\x00", {"page_size": 4096, "devices": devs})


def c_trailer(n, d):
    """N device sections and their N trailer entries."""
    p = wfile(d, "trailer.qevm", device_stream(n))
    return ["dump", "--format", "json", p], [p]


def c_subsections(n, d):
    """One section with N subsections (and a trailer that lists them)."""
    payload = [be32(1)]
    subs = []
    for i in range(n):
        payload.append(b"\x05" + cstr("dev/s%d" % i) + be32(1) + be32(i))
        subs.append({"vmsd_name": "dev/s%d" % i, "version": 1,
                     "fields": [{"name": "x", "type": "uint32", "size": 4}]})
    desc = {"page_size": 4096, "devices": [{
        "name": "dev", "instance_id": 0, "vmsd_name": "dev", "version": 1,
        "fields": [{"name": "a", "type": "uint32", "size": 4}], "subsections": subs}]}
    s = mutate.with_trailer(HEADER + config() + section(4, 1, b"".join(payload), name="dev") +
                            b"\x00",
                            desc)
    p = wfile(d, "subs.qevm", s)
    return ["dump", "--format", "json", p], [p]


def c_import_subsections(n, d):
    """schema import --stream: one section with N subsections its
    -dump-vmstate entry does not list (each is looked up, then added)."""
    argv, files = c_subsections(n, d)
    dv = wfile(d, "import-subs.json", dump_vmstate({"dev": {
        "version_id": 1, "minimum_version_id": 1, "Description": desc("dev", ["a"])}}))
    out = os.path.join(d, "import-subs-out.json")
    return (["schema", "import", "--dump-vmstate", dv, "--stream", files[0],
             "--qemu-version", "x", "--target", "qemu-x/x86_64", "-o", out], [dv, files[0]])


def dump_vmstate(devices):
    doc = {"vmschkmachine": {"Name": "pc-q35-10.0"}}
    doc.update(devices)
    return doc


def desc(name, fields=(), subsections=None):
    d = {"name": name, "version_id": 1, "minimum_version_id": 1,
         "Fields": [{"field": f, "version_id": 0, "field_exists": False, "size": 4}
                    for f in fields]}
    if subsections is not None:
        d["Subsections"] = subsections
    return d


def c_shared_vmsd(n, d):
    """N device types whose Description is one vmsd of 20 fields (diff A A)."""
    fields = ["f%d" % i for i in range(20)]
    doc = dump_vmstate({"type%d" % i: {"version_id": 1, "minimum_version_id": 1,
                                       "Description": desc("shared", fields)}
                        for i in range(n)})
    p = wfile(d, "shared.json", doc)
    return ["diff", p, p], [p, p]


def c_schema_file(n, d):
    """A schema in our own format with N vmsds of 10 fields (diff A A)."""
    doc = {"format": "vmstate-inspect-schema", "format_version": 1,
           "target": "qemu-x/x86_64", "qemu_version": "x",
           "vmsds": {"v%d" % i: {"name": "v%d" % i, "version_id": 1, "minimum_version_id": 1,
                                 "fields": [{"name": "f%d" % j, "version_id": 0, "size": 4}
                                            for j in range(10)], "subsections": []}
                     for i in range(n)}}
    p = wfile(d, "schema.json", doc)
    return ["diff", p, p], [p, p]


def c_schema_qom_shared(n, d):
    """A schema in our format whose N device types (qom) all name one vmsd
    of 2000 fields: diff compared that vmsd N times (N x M)."""
    doc = {"format": "vmstate-inspect-schema", "format_version": 1,
           "target": "qemu-x/x86_64", "qemu_version": "x",
           "vmsds": {"v": {"name": "v", "version_id": 1, "minimum_version_id": 1,
                           "fields": [{"name": "f%d" % j, "version_id": 0, "size": 4}
                                      for j in range(2000)], "subsections": []}},
           "qom": {"t%d" % i: {"vmsd": "v"} for i in range(n)}}
    p = wfile(d, "qom-shared.json", doc)
    return ["diff", p, p], [p, p]


def c_diff_subsections(n, d):
    """One device with N subsections of one name on both sides of a diff."""
    doc = dump_vmstate({"dev": {"version_id": 1, "minimum_version_id": 1,
                                "Description": desc("dev", ["a"],
                                                    [desc("dev/s", ["x"])] * n)}})
    a = wfile(d, "same-a.json", doc)
    b = wfile(d, "same-b.json", doc)
    return ["diff", a, b], [a, b]


def c_diff_findings(n, d):
    """N device types in SRC that DST lacks: N findings."""
    a = wfile(d, "many-a.json", dump_vmstate({
        "t%d" % i: {"version_id": 1, "minimum_version_id": 1,
                    "Description": desc("v%d" % i, ["a"])} for i in range(n)}))
    b = wfile(d, "many-b.json", dump_vmstate({}))
    return ["diff", a, b], [a, b]


def c_import_fields(n, d):
    """schema import --stream: one section of N equal-valued uint32 fields
    (every earlier sibling is a candidate count for every later one)."""
    s = HEADER + config() + section(4, 1, be32(1) * n, name="dev") + b"\x00"
    devs = [{"name": "dev", "instance_id": 0, "vmsd_name": "dev", "version": 1,
             "fields": [{"name": "f%d" % j, "type": "uint32", "size": 4, "array_len": 1}
                        for j in range(n)]}]
    st = wfile(d, "import.qevm", mutate.with_trailer(s, {"page_size": 4096, "devices": devs}))
    dv = wfile(d, "import.json", dump_vmstate({"dev": {
        "version_id": 1, "minimum_version_id": 1,
        "Description": desc("dev", ["f%d" % j for j in range(n)])}}))
    out = os.path.join(d, "import-out.json")
    return (["schema", "import", "--dump-vmstate", dv, "--stream", st, "--qemu-version",
             "x", "--target", "qemu-x/x86_64", "-o", out], [dv, st])


def c_check_findings(n, d):
    """check: N device sections the destination does not know (N findings)."""
    s = HEADER + config() + b"".join(section(4, i + 1, b"", name="nosuchdev%d" % i)
                                     for i in range(n))
    p = wfile(d, "unknown.qevm", s + b"\x00")
    return (["check", "--target", "qemu-10.0/x86_64", "--machine", "pc-q35-10.0",
             "--format", "json", p], [p])


# name: (maker, small N); the large run uses 4 x N.
CLASSES = {
    "configuration": (c_config, 20000),
    "ram-block-list": (c_ramblocks, 1000),
    "commands": (c_commands, 80000),
    "trailer": (c_trailer, 8000),
    "subsections": (c_subsections, 8000),
    "dump-vmstate-shared-vmsd": (c_shared_vmsd, 1000),
    "schema-file": (c_schema_file, 2000),
    "schema-qom-shared-vmsd": (c_schema_qom_shared, 20000),
    "diff-same-subsections": (c_diff_subsections, 2000),
    "diff-findings": (c_diff_findings, 2500),
    "import-fields": (c_import_fields, 2000),
    "import-subsections": (c_import_subsections, 2000),
    "check-findings": (c_check_findings, 20000),
}


def run_one(vi_bin, argv):
    """Run, return (exit, wall seconds, CPU seconds, peak RSS bytes, stderr)."""
    t0 = time.monotonic()
    with open(os.devnull, "wb") as null, tempfile.TemporaryFile() as errf:
        pid = os.posix_spawn(vi_bin, [vi_bin, *argv], os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, null.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, errf.fileno(), 2)])
        deadline = t0 + 60
        while True:
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
            if wpid:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                _, status, ru = os.wait4(pid, 0)
                break
            time.sleep(0.01)
        secs = time.monotonic() - t0
        errf.seek(0)
        err = errf.read().decode(errors="replace").strip()
    code = os.waitstatus_to_exitcode(status)
    return code, secs, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024, err


def run_class(vi_bin, cls, n, d):
    # Made by another process: wait4's peak RSS starts from the peak of the
    # process that spawns the tool, so this one must stay small.
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--make", cls, str(n), d],
                         check=True, capture_output=True, text=True).stdout
    argv, files = json.loads(out)
    if "check" in argv:     # the schema and machine data it reads
        files += [os.path.join(os.environ["VMSTATE_INSPECT_SCHEMAS"], p) for p in
                  ("qemu-10.0/x86_64.json", "machines/qemu-10.0/x86_64.json",
                   "compat-rules.json")]
    nbytes = sum(os.path.getsize(f) for f in files)
    njson = sum(os.path.getsize(f) for f in files if f.endswith(".json"))
    code, secs, cpu, rss, err = run_one(vi_bin, argv)
    bound = RSS_BASE + RSS_PER_BYTE * (nbytes - njson) + RSS_PER_JSON_BYTE * njson
    return code, secs, cpu, rss, nbytes, bound, err


# ---------------------------------------------------------------- smaller ones
# Each returns None when fine, else what is wrong.

def spawn(vi_bin, argv, timeout=10, pre=None):
    try:
        p = subprocess.run([vi_bin, *argv], capture_output=True, timeout=timeout,
                           preexec_fn=pre)
    except subprocess.TimeoutExpired:
        return None, "", "timeout after %d s" % timeout
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def s_fifo(vi_bin, d):
    """A FIFO for the machine data or the compat rules in a schemas
    directory: check, machines and report refuse it (exit 2), never hang."""
    real = os.environ["VMSTATE_INSPECT_SCHEMAS"]
    stream = os.path.join(d, "fifo-stream.qevm")
    wfile(d, "fifo-stream.qevm", device_stream(1))
    for fifo in ("machines/qemu-10.0/x86_64.json", "compat-rules.json"):
        sd = os.path.join(d, "schemas-" + fifo.replace("/", "-"))
        for f in ("qemu-10.0/x86_64.json", "machines/qemu-10.0/x86_64.json",
                  "compat-rules.json"):
            os.makedirs(os.path.dirname(os.path.join(sd, f)), exist_ok=True)
            if f == fifo:
                os.mkfifo(os.path.join(sd, f))
            else:
                os.symlink(os.path.join(real, f), os.path.join(sd, f))
        for argv in (["check", "--schemas", sd, "--target", "qemu-10.0/x86_64",
                      "--machine", "pc-q35-10.0", stream],
                     ["machines", "--schemas", sd, "qemu-10.0/x86_64"],
                     ["report", "--schemas", sd, stream]):
            code, out, err = spawn(vi_bin, argv)
            if code != 2 or "not a regular file" not in err:
                return "%s with a FIFO %s: exit %s, %r" % (argv[0], fifo, code, err[:200])
    return None


def s_trailer_garbage(vi_bin, d):
    """A trailer with garbage after its JSON (still ending in '}') is malformed."""
    base = device_stream(1)
    cut = base.rindex(b"\x06")
    j = base[cut + 5:] + b" junk}"
    p = wfile(d, "garbage.qevm", base[:cut] + b"\x06" + be32(len(j)) + j)
    code, out, err = spawn(vi_bin, ["dump", p])
    if code != 3 or "VMDESCRIPTION" not in err:
        return "exit %s, %r" % (code, err[:200])
    return None


def s_dest_stream(vi_bin, d):
    """An unreadable --dest-stream: exit 3 and exactly one stderr line."""
    p = wfile(d, "src.qevm", device_stream(1))
    code, out, err = spawn(vi_bin, ["check", "--target", "qemu-10.0/x86_64", "--machine",
                                    "pc-q35-10.0", "--dest-stream",
                                    os.path.join(d, "no-such-file"), p])
    if code != 3 or len(err.strip().splitlines()) != 1:
        return "exit %s, stderr %r" % (code, err)
    return None


def s_size_overflow(vi_bin, d):
    """diff: 65536 x 65536 bytes of 'unused' against a 0-byte field: the
    product (2^32) wrapped to 0 in an int and the diff said compatible."""
    def doc(fields):
        return dump_vmstate({"dev": {"version_id": 1, "minimum_version_id": 1,
                                     "Description": {"name": "dev", "version_id": 1,
                                                     "minimum_version_id": 1,
                                                     "Fields": fields}}})
    a = wfile(d, "ovf-a.json", doc([{"field": "unused", "version_id": 0,
                                     "field_exists": False, "size": 65536, "num": 65536}]))
    b = wfile(d, "ovf-b.json", doc([{"field": "x", "version_id": 0,
                                     "field_exists": False, "size": 0}]))
    code, out, err = spawn(vi_bin, ["diff", a, b])
    if code != 1:
        return "exit %s (expected 1, incompatible): %r" % (code, (out + err)[:300])
    return None


def s_json_budget(vi_bin, d):
    """A schema file of 2 M empty objects: jansson needs ~50 bytes per
    byte, over the budget: refused (exit 2, naming it), never used with
    values missing."""
    p = os.path.join(d, "objects.json")
    with open(p, "wb") as f:
        f.write(b'{"vmschkmachine": {"Name": "pc"}, "x": [' + b"{}," * 2000000 + b"{}]}")
    code, out, err = spawn(vi_bin, ["diff", p, p], timeout=30)
    if code != 2 or "would take more than" not in err:
        return "exit %s, %r" % (code, err[:200])
    return None


def s_qcow2_l1(vi_bin, d):
    """A 2.5 KB qcow2 image whose snapshot claims a 32 MiB L1 table: refused
    (exit 3) before the table is allocated, so it fits in 16 MiB of address
    space beyond what the tool needs to start (it needed 36 MiB)."""
    sys.path.insert(0, os.path.join(HERE, "fuzz"))
    import importlib.util
    spec = importlib.util.spec_from_file_location("seeds", os.path.join(HERE, "fuzz",
                                                                        "make-seeds.py"))
    seeds = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seeds)
    img = bytearray(seeds.qcow2(device_stream(1)))
    img[512 + 8:512 + 12] = be32(4 << 20)          # the snapshot's l1_size
    p = wfile(d, "l1.qcow2", bytes(img))
    code, out, err = spawn(vi_bin, ["dump", p])
    if code != 3 or "L1 table" not in err:
        return "exit %s, %r" % (code, err[:200])
    base = None
    for kb in range(4, 256, 2):       # the smallest cap (MiB) --version runs under
        c, _, _ = spawn(vi_bin, ["--version"], pre=lambda kb=kb: resource.setrlimit(
            resource.RLIMIT_AS, (kb << 20, kb << 20)))
        if c == 0:
            base = kb
            break
    if base is None:
        return None                   # no address-space cap here (ASan): nothing to say
    cap = (base + 16) << 20
    code, out, err = spawn(vi_bin, ["dump", p], pre=lambda: resource.setrlimit(
        resource.RLIMIT_AS, (cap, cap)))
    if code != 3 or "L1 table" not in err:
        return "under a %d MiB address-space cap: exit %s, %r" % (cap >> 20, code, err[:200])
    return None


def s_findings_cap(vi_bin, d):
    """diff with 10005 missing device types: 9999 findings and one that
    counts the other 6, all errors; the verdict is still incompatible."""
    argv, files = c_diff_findings(10005, d)
    code, out, err = spawn(vi_bin, argv, timeout=60)
    lines = [l for l in out.splitlines() if l.strip().startswith(("error", "warning"))]
    want = "... and 6 more findings (6 errors) not listed: only the first 9999 are kept"
    if code != 1 or len(lines) != 10000 or want not in out:
        return "exit %s, %d finding lines, count line %s" % (code, len(lines), want in out)
    return None


SMALL = {"findings-cap": s_findings_cap, "fifo-in-schemas": s_fifo, "trailer-garbage": s_trailer_garbage,
         "dest-stream-one-line": s_dest_stream, "diff-size-overflow": s_size_overflow,
         "json-over-budget": s_json_budget, "qcow2-l1-before-alloc": s_qcow2_l1}


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "--make":
        argv, files = CLASSES[sys.argv[2]][0](int(sys.argv[3]), sys.argv[4])
        print(json.dumps([argv, files]))
        return 0
    vi_bin = vt.need_bin()
    if len(sys.argv) >= 4 and sys.argv[1] == "--measure":
        with tempfile.TemporaryDirectory(prefix="vi-hostile.") as d:
            code, secs, cpu, rss, nbytes, bound, err = run_class(vi_bin, sys.argv[2],
                                                                 int(sys.argv[3]), d)
        print("%s n=%s exit %s %.2f s (CPU %.2f s) RSS %.1f MiB input %d bytes (%.1f x) %s" % (
            sys.argv[2], sys.argv[3], code, secs, cpu, rss / MIB, nbytes, rss / max(nbytes, 1),
            err.splitlines()[0] if err else ""))
        return 0
    only = sys.argv[2:] or list(CLASSES) + list(SMALL)
    # An ASan build cannot run under an address-space cap and takes several
    # times the memory: its RSS says nothing about the bound.
    asan = spawn(vi_bin, ["--version"], pre=lambda: resource.setrlimit(
        resource.RLIMIT_AS, (256 << 20, 256 << 20)))[0] != 0
    if asan:
        print("note: sanitizer build (no address-space cap possible): RSS bounds not checked")
    with tempfile.TemporaryDirectory(prefix="vi-hostile.") as d:
        for name in [c for c in only if c in SMALL]:
            why = SMALL[name](vi_bin, d)
            check(why is None, "%-26s %s" % (name, SMALL[name].__doc__.split("\n")[0]), why)
        for cls in [c for c in only if c in CLASSES]:
            n = CLASSES[cls][1]
            runs = []
            for size in (n, 4 * n):
                code, secs, cpu, rss, nbytes, bound, err = run_class(vi_bin, cls, size, d)
                if asan:
                    bound = float("inf")
                check(code in (0, 1, 2, 3) and cpu < MAX_SECONDS and secs < 60 and rss <= bound,
                      "%-26s n=%-6d exit %s  %6.2f s (CPU %6.2f s)  RSS %7.1f MiB  "
                      "input %9d bytes  bound %7.1f MiB" % (
                          cls, size, code, secs, cpu, rss / MIB,
                          nbytes, bound / MIB if not asan else float("nan")), err[:200])
                runs.append(cpu)
            growth = max(runs[1], TIME_FLOOR) / max(runs[0], TIME_FLOOR)
            check(growth <= MAX_GROWTH, "%-26s CPU time x%.1f for 4x the input (at most x%.0f)"
                  % (cls, growth, MAX_GROWTH))
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
