#!/usr/bin/env python3
"""Speed and memory targets of `vmstate-inspect dump`, `check` and `report`,
checked on big streams.

Makes (sparse, so it costs little disk) a stream of --gib GiB of guest RAM
sent as normal pages, and runs `dump --format json`, `check --target
qemu-7.2/x86_64` and `report` on it.  Targets (fail if missed):
  - wall time     <= 20 s for 4 GiB on this machine class (report: 40 s, it
                  walks the stream once more per destination it checks)
  - max RSS       <= 64 MiB for each (memory must not grow with RAM size)
  - bytes read    <= 1 % of the stream (page contents are skipped, not read)
Usage: bench/bench.py [--bin PATH] [--gib N]
"""
import argparse, json, os, resource, struct, subprocess, sys, tempfile, time

PAGE = 4096
RAM_PAGE, RAM_MEM_SIZE, RAM_EOS, RAM_CONTINUE = 0x08, 0x04, 0x10, 0x20


def be32(v): return struct.pack(">I", v)
def be64(v): return struct.pack(">Q", v)
def cstr(s): return bytes([len(s)]) + s.encode()


def make_stream(path, gib):
    size = gib << 30
    with open(path, "wb") as f:
        f.write(b"QEVM" + be32(3))
        f.write(b"\x07" + be32(10) + b"pc-q35-7.2")
        # START ram: MEM_SIZE list with one block
        f.write(b"\x01" + be32(2) + cstr("ram") + be32(0) + be32(4))
        f.write(be64(size | RAM_MEM_SIZE) + cstr("pc.ram") + be64(size) + be64(RAM_EOS))
        f.write(b"\x7e" + be32(2))
        # PART ram: every page, contents left as holes
        f.write(b"\x02" + be32(2))
        for i in range(size // PAGE):
            if i == 0:
                f.write(be64(RAM_PAGE) + cstr("pc.ram"))
            else:
                f.write(be64(i * PAGE | RAM_PAGE | RAM_CONTINUE))
            f.seek(PAGE, 1)
        f.write(be64(RAM_EOS) + b"\x7e" + be32(2))
        f.write(b"\x03" + be32(2) + be64(RAM_EOS) + b"\x7e" + be32(2))
        f.write(b"\x00")


def run(binary, args, env):
    """(exit code, stdout, stderr, wall seconds, max RSS MiB) of one run; the child is
    reaped with wait4() so that its own resource usage is measured."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.time()
        p = subprocess.Popen([binary] + args, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.time() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read(), err.read(), wall, ru.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "src",
                                                  "vmstate-inspect"))
    ap.add_argument("--gib", type=int, default=4)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vi-bench.")
    path = os.path.join(tmp, "big.qevm")
    t = time.time()
    make_stream(path, a.gib)
    print(f"made {a.gib} GiB stream in {time.time() - t:.1f} s "
          f"({os.stat(path).st_blocks * 512 >> 20} MiB on disk)")
    env = dict(os.environ, VMSTATE_INSPECT_STATS="1")
    runs = {}
    for name, args in (("dump", ["dump", "--format", "json"]),
                       ("check", ["check", "--format", "json", "--target", "qemu-7.2/x86_64"]),
                       ("report", ["report", "--format", "json"]),
                       ("dump --digests", ["dump", "--format", "json", "--digests"])):
        runs[name] = run(a.bin, args + [path], env)
    os.unlink(path)
    os.rmdir(tmp)
    rc, out, err, wall, rss_mib = runs["dump"]
    if rc != 0:
        print("dump failed:", err.decode())
        return 1
    stats = dict(kv.split("=") for line in err.decode().splitlines()
                 if line.startswith("stats:") for kv in line.split()[1:])
    read = int(stats.get("bytes_read", "-1"))
    doc = json.loads(out)
    pages = doc["ram"]["blocks"][0]["pages"]
    size = doc["stream_size"]
    checks = [
        ("pages counted", pages == (a.gib << 30) // PAGE, f"{pages}"),
        ("bytes read <= 1 %", 0 <= read <= size // 100, f"{read} of {size}"),
    ]
    for name, limit in (("dump", 20), ("check", 20), ("report", 40), ("dump --digests", 40)):
        rc, out, err, wall, rss = runs[name]
        checks += [
            (f"{name} exits 0", rc == 0, f"{rc}" + (f" {err.decode()[-200:]}" if rc else "")),
            (f"{name} wall time <= {limit} s", wall <= limit, f"{wall:.2f} s"),
            (f"{name} max RSS <= 64 MiB", rss <= 64, f"{rss:.1f} MiB"),
        ]
    if runs["dump --digests"][0] == 0:
        blk = json.loads(runs["dump --digests"][1])["ram"]["blocks"][0]
        checks.append(("dump --digests gives a digest", "xxh3_128" in blk,
                       blk.get("xxh3_128", blk.get("digest_unavailable"))))
    failed = 0
    for name, ok, got in checks:
        print(f"{'PASS' if ok else 'FAIL'} {name}: {got}")
        failed += not ok
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
