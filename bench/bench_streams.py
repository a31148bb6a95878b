"""bench_streams.py - the inputs of bench/bench.py, made once and cached.

Real streams: an x86_64 "pc" guest of 1, 2 or 4 GiB started paused (-S, TCG)
whose RAM is a private mapping of a file of random bytes (a
memory-backend-file), saved with `migrate` through tools/qmp-migrate.py.
Every page of such a stream is a normal page of incompressible data.

Synthetic streams (made here, no QEMU): N device sections (half FULL
sections of a device no schema knows, half PART sections of "ram" carrying
four pages each; section ids stay under the walker's limit of distinct ids),
and a stream that ends in a VMDESCRIPTION trailer of N MiB.
"""
import os, shutil, struct, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = 4096
RAM_ZERO, RAM_MEM_SIZE, RAM_PAGE, RAM_EOS, RAM_CONTINUE = 0x02, 0x04, 0x08, 0x10, 0x20
GIB, MIB = 1 << 30, 1 << 20


def be32(v): return struct.pack(">I", v)
def be64(v): return struct.pack(">Q", v)
def cstr(s): return bytes([len(s)]) + s.encode()


def random_file(path, size):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    tmp = path + ".tmp"
    with open("/dev/urandom", "rb") as src, open(tmp, "wb") as dst:
        left = size
        while left:
            chunk = src.read(min(left, 16 * MIB))
            dst.write(chunk)
            left -= len(chunk)
    os.rename(tmp, path)


def qemu_stream(cache, gib, qemu, log=print):
    """A real stream of a gib-GiB guest full of random data; its path."""
    out = os.path.join(cache, f"qemu-{gib}g.qevm")
    if os.path.exists(out) and os.path.getsize(out) > gib * GIB:
        return out
    # The guest RAM is a private mapping of a file of random bytes (one file,
    # the size of the largest guest, serves them all): nothing to copy at
    # start-up, and every page of RAM is a normal page of random data.
    rnd = os.path.join(cache, "random.bin")
    random_file(rnd, max(gib, 4) * GIB)
    log(f"making {out} with {qemu} ...")
    work = os.path.join(cache, "qemu-work")
    os.makedirs(work, exist_ok=True)
    argv = [sys.executable, os.path.join(HERE, "..", "tools", "qmp-migrate.py"),
            "--workdir", work, "--out", out + ".tmp", "--timeout", "900",
            "--param", "max-bandwidth=1099511627776", "--",
            qemu, "-machine", "pc,memory-backend=ram", "-accel", "tcg", "-m", f"{gib}G",
            "-object", f"memory-backend-file,id=ram,size={gib}G,mem-path={rnd},share=off",
            "-S", "-nodefaults", "-display", "none",
            "-qmp", "unix:qmp.sock,server=on,wait=off"]
    r = subprocess.run(argv, stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError(f"qmp-migrate.py failed ({r.returncode}); see {work}/qemu.log")
    os.rename(out + ".tmp", out)
    return out


def _head(f):
    f.write(b"QEVM" + be32(3))
    f.write(b"\x07" + be32(10) + b"pc-q35-7.2")


def sections_stream(cache, n):
    """n sections: n/2 FULL sections of an unknown device, n/2 ram PARTs."""
    out = os.path.join(cache, f"sections-{n}.qevm")
    if os.path.exists(out):
        return out
    full = n // 2
    parts = n - full
    pages = parts * 4
    size = pages * PAGE
    with open(out + ".tmp", "wb") as f:
        _head(f)
        f.write(b"\x01" + be32(1) + cstr("ram") + be32(0) + be32(4))
        f.write(be64(size | RAM_MEM_SIZE) + cstr("pc.ram") + be64(size) + be64(RAM_EOS))
        f.write(b"\x7e" + be32(1))
        page = bytes(range(256)) * (PAGE // 256)
        p = 0
        for s in range(parts):
            f.write(b"\x02" + be32(1))
            for k in range(4):
                if p == 0:
                    f.write(be64(RAM_PAGE) + cstr("pc.ram"))
                else:
                    f.write(be64(p * PAGE | RAM_PAGE | RAM_CONTINUE))
                f.write(page)
                p += 1
            f.write(be64(RAM_EOS) + b"\x7e" + be32(1))
        f.write(b"\x03" + be32(1) + be64(RAM_EOS) + b"\x7e" + be32(1))
        for s in range(full):
            sid = 2 + s
            f.write(b"\x04" + be32(sid) + cstr("bench-device") + be32(s) + be32(1))
            f.write(be32(s) + be32(0x01020304) + be64(s * 3))
            f.write(b"\x7e" + be32(sid))
        f.write(b"\x00")
    os.rename(out + ".tmp", out)
    return out


def trailer_stream(cache, mib):
    """a small stream whose VMDESCRIPTION trailer is mib MiB of JSON."""
    out = os.path.join(cache, f"trailer-{mib}m.qevm")
    if os.path.exists(out):
        return out
    size = 16 * PAGE
    head = b'{"page_size": 4096, "devices": [], "padding": "'
    tail = b'"}'
    pad = mib * MIB - len(head) - len(tail)
    with open(out + ".tmp", "wb") as f:
        _head(f)
        f.write(b"\x01" + be32(1) + cstr("ram") + be32(0) + be32(4))
        f.write(be64(size | RAM_MEM_SIZE) + cstr("pc.ram") + be64(size) + be64(RAM_EOS))
        f.write(b"\x7e" + be32(1))
        f.write(b"\x03" + be32(1))
        for p in range(16):
            f.write(be64(p * PAGE | RAM_PAGE | (RAM_CONTINUE if p else 0)))
            if not p:
                f.write(cstr("pc.ram"))
            f.write(bytes([p + 1]) * PAGE)
        f.write(be64(RAM_EOS) + b"\x7e" + be32(1))
        f.write(b"\x00\x06" + be32(mib * MIB) + head)
        chunk = b"x" * MIB
        while pad:
            k = min(pad, len(chunk))
            f.write(chunk[:k])
            pad -= k
        f.write(tail)
    os.rename(out + ".tmp", out)
    return out


def free_gib(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / GIB


def default_qemu():
    for q in ("/var/cache/vmstate-inspect/bin/qemu-7.2-x86_64",
              shutil.which("qemu-system-x86_64") or ""):
        if q and os.access(q, os.X_OK):
            return q
    return None
