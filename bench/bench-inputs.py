#!/usr/bin/env python3
"""What compressed and piped input costs: time, peak RSS and temporary bytes
of `dump --format json` on one stream of --gib GiB of guest RAM (normal
pages of a pattern that compresses about 8x, as real guest memory might),
read as a raw file, through a pipe, as .zst and .gz files, and as .zst
through a pipe.  No targets are checked: it reports (issue 13's one-pass
reader, not built yet, would bring the temporary bytes of the last four to
zero).  Needs zstd and gzip; takes about 3 x --gib GiB of disk while it runs.
Usage: bench/bench-inputs.py [--bin PATH] [--gib N]
"""
import argparse, os, random, shutil, struct, subprocess, sys, tempfile, time

PAGE = 4096
RAM_PAGE, RAM_MEM_SIZE, RAM_EOS, RAM_CONTINUE = 0x08, 0x04, 0x10, 0x20


def be32(v): return struct.pack(">I", v)
def be64(v): return struct.pack(">Q", v)
def cstr(s): return bytes([len(s)]) + s.encode()


def make_stream(path, gib):
    size = gib << 30
    rnd = random.Random(13)
    pool = [bytes(rnd.getrandbits(8) for _ in range(512)) * 8 for _ in range(64)]
    with open(path, "wb") as f:
        f.write(b"QEVM" + be32(3))
        f.write(b"\x07" + be32(10) + b"pc-q35-7.2")
        f.write(b"\x01" + be32(2) + cstr("ram") + be32(0) + be32(4))
        f.write(be64(size | RAM_MEM_SIZE) + cstr("pc.ram") + be64(size) + be64(RAM_EOS))
        f.write(b"\x7e" + be32(2))
        f.write(b"\x02" + be32(2))
        for i in range(size // PAGE):
            hdr = be64(RAM_PAGE) + cstr("pc.ram") if i == 0 else \
                be64(i * PAGE | RAM_PAGE | RAM_CONTINUE)
            f.write(hdr + pool[i % 64])
        f.write(be64(RAM_EOS) + b"\x7e" + be32(2))
        f.write(b"\x03" + be32(2) + be64(RAM_EOS) + b"\x7e" + be32(2))
        f.write(b"\x00")


def run(binary, path, pipe_from=None):
    """(exit, wall s, max RSS MiB, temporary bytes) of dump on path, or on
    standard input fed by `cat path` / `zstd -dc path`."""
    env = dict(os.environ, VMSTATE_INSPECT_STATS="1")
    with tempfile.TemporaryFile() as err:
        t = time.time()
        feeder = subprocess.Popen(pipe_from + [path], stdout=subprocess.PIPE) \
            if pipe_from else None
        p = subprocess.Popen([binary, "dump", "--format", "json", "-" if feeder else path],
                             stdin=feeder.stdout if feeder else None,
                             stdout=subprocess.DEVNULL, stderr=err, env=env)
        if feeder:
            feeder.stdout.close()
        _, status, ru = os.wait4(p.pid, 0)
        if feeder:
            feeder.wait()
        wall = time.time() - t
        err.seek(0)
        text = err.read().decode(errors="replace")
    stats = dict(kv.split("=") for line in text.splitlines() if line.startswith("stats:")
                 for kv in line.split()[1:])
    return os.waitstatus_to_exitcode(status), wall, ru.ru_maxrss / 1024, \
        int(stats.get("temp_bytes", -1)), text if "stats:" not in text else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "src",
                                                  "vmstate-inspect"))
    ap.add_argument("--gib", type=int, default=1)
    a = ap.parse_args()
    for tool in ("zstd", "gzip"):
        if not shutil.which(tool):
            print(f"{tool} is needed")
            return 77
    tmp = tempfile.mkdtemp(prefix="vi-bench-inputs.")
    try:
        raw = os.path.join(tmp, "big.qevm")
        t = time.time()
        make_stream(raw, a.gib)
        print(f"made a {a.gib} GiB stream ({os.path.getsize(raw)} bytes) in "
              f"{time.time() - t:.1f} s")
        subprocess.run(["zstd", "-q", "-1", "-T2", "-k", raw], check=True)
        subprocess.run(["sh", "-c", f"gzip -1 -c '{raw}' > '{raw}.gz'"], check=True)
        print(f"zstd -1: {os.path.getsize(raw + '.zst')} bytes, gzip -1: "
              f"{os.path.getsize(raw + '.gz')} bytes")
        cases = [("raw file", raw, None), ("raw through a pipe", raw, ["cat"]),
                 (".zst file", raw + ".zst", None), (".gz file", raw + ".gz", None),
                 (".zst through a pipe", raw + ".zst", ["cat"])]
        print(f"{'input':24} {'exit':>4} {'wall s':>7} {'max RSS MiB':>12} {'temp bytes':>12}")
        for label, path, feeder in cases:
            rc, wall, rss, temp, err = run(a.bin, path, feeder)
            print(f"{label:24} {rc:4} {wall:7.2f} {rss:12.1f} {temp:12}" +
                  (f"  {err.strip()[:200]}" if rc else ""))
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
