#!/usr/bin/env python3
"""What compressed and piped input costs: time, peak RSS and the bytes
written to disk by `dump --format json` on one stream read as a raw file,
through a pipe, as .zst and .xz files and through pipes, and as a .gz file.

The stream is a real QEMU's (--qemu BINARY: an x86_64 q35 guest of --gib GiB
whose RAM is filled with random bytes through `-device loader`, migrated to a
file by tools/qmp-migrate.py), a given one (--stream FILE), or else a
synthetic one (normal pages of a pattern that compresses about 8x).

Temporary bytes are measured three ways: TMPDIR points at an empty directory
whose size is polled while the tool runs (its peak), the child's rusage
ru_oublock (blocks written through the page cache, x 512) and the tool's own
count (VMSTATE_INSPECT_STATS=1: temp_bytes; kept_bytes is what it held in
memory).  Needs zstd, xz and gzip; takes about 3 x the stream of disk.
Usage: bench/bench-inputs.py [--bin PATH] [--gib N] [--qemu BIN | --stream FILE]
"""
import argparse, os, random, shutil, struct, subprocess, sys, tempfile, threading, time

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


def make_qemu_stream(qemu, path, gib):
    """A real QEMU's stream: guest RAM filled with random bytes by a loader."""
    work = os.path.dirname(path)
    fill = os.path.join(work, "random.bin")
    with open(fill, "wb") as f:
        for _ in range((gib << 10) - 64):	# all but 64 MiB, loaded at 16 MiB
            f.write(os.urandom(1 << 20))
    tool = os.path.join(os.path.dirname(__file__), "..", "tools", "qmp-migrate.py")
    cmd = [sys.executable, tool, "--workdir", work, "--out", path, "--timeout", "900", "--",
           qemu, "-M", "q35", "-m", f"{gib}G", "-nodefaults", "-display", "none", "-S",
           "-qmp", "unix:qmp.sock,server=on,wait=off",
           "-device", "loader,file=random.bin,addr=0x1000000,force-raw=on"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    os.unlink(fill)


def dir_bytes(d):
    n = 0
    for name in os.listdir(d):
        try:
            n += os.lstat(os.path.join(d, name)).st_blocks * 512
        except OSError:
            pass
    return n


def run(binary, path, pipe_from=None):
    """(exit, wall s, max RSS MiB, TMPDIR peak bytes, rusage bytes written,
    stats) of dump on path, or on standard input fed by `cat path` etc."""
    tmpdir = tempfile.mkdtemp(prefix="vi-bench-tmpdir.")
    env = dict(os.environ, VMSTATE_INSPECT_STATS="1", TMPDIR=tmpdir)
    peak = [0]
    done = threading.Event()

    def watch():
        while not done.wait(0.05):
            peak[0] = max(peak[0], dir_bytes(tmpdir))
    w = threading.Thread(target=watch)
    w.start()
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
    done.set()
    w.join()
    peak[0] = max(peak[0], dir_bytes(tmpdir))
    shutil.rmtree(tmpdir)
    stats = dict(kv.split("=") for line in text.splitlines() if line.startswith("stats:")
                 for kv in line.split()[1:])
    return os.waitstatus_to_exitcode(status), wall, ru.ru_maxrss / 1024, peak[0], \
        ru.ru_oublock * 512, stats, text if "stats:" not in text else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "src",
                                                  "vmstate-inspect"))
    ap.add_argument("--gib", type=int, default=1)
    ap.add_argument("--qemu", help="make the stream with this QEMU (x86_64)")
    ap.add_argument("--stream", help="use this stream")
    a = ap.parse_args()
    for tool in ("zstd", "gzip", "xz"):
        if not shutil.which(tool):
            print(f"{tool} is needed")
            return 77
    tmp = tempfile.mkdtemp(prefix="vi-bench-inputs.")
    try:
        raw = os.path.join(tmp, "big.qevm")
        t = time.time()
        if a.stream:
            shutil.copyfile(a.stream, raw)
            how = f"copied {a.stream}"
        elif a.qemu:
            make_qemu_stream(a.qemu, raw, a.gib)
            how = f"real QEMU ({a.qemu}), {a.gib} GiB guest, RAM random"
        else:
            make_stream(raw, a.gib)
            how = "synthetic"
        print(f"stream: {how}, {os.path.getsize(raw)} bytes, made in {time.time() - t:.1f} s")
        subprocess.run(["zstd", "-q", "-1", "-T2", "-k", raw], check=True)
        subprocess.run(["xz", "-0", "-T2", "-k", raw], check=True)
        subprocess.run(["sh", "-c", f"gzip -1 -c '{raw}' > '{raw}.gz'"], check=True)
        print(f"zstd -1: {os.path.getsize(raw + '.zst')} bytes, xz -0: "
              f"{os.path.getsize(raw + '.xz')} bytes, gzip -1: "
              f"{os.path.getsize(raw + '.gz')} bytes")
        cases = [("raw file", raw, None), ("raw through a pipe", raw, ["cat"]),
                 (".zst file", raw + ".zst", None), (".zst through a pipe", raw + ".zst", ["cat"]),
                 (".xz file", raw + ".xz", None), (".xz through a pipe", raw + ".xz", ["cat"]),
                 (".gz file", raw + ".gz", None)]
        print(f"| input | exit | wall s | max RSS MiB | TMPDIR peak bytes | "
              f"rusage bytes written | temp_bytes | kept_bytes |")
        print("|---|---|---|---|---|---|---|---|")
        for label, path, feeder in cases:
            rc, wall, rss, peak, written, stats, err = run(a.bin, path, feeder)
            print(f"| {label} | {rc} | {wall:.2f} | {rss:.1f} | {peak} | {written} | "
                  f"{stats.get('temp_bytes', '?')} | {stats.get('kept_bytes', '?')} |" +
                  (f"  {err.strip()[:200]}" if rc else ""), flush=True)
    finally:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
