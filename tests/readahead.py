#!/usr/bin/env python3
"""A compressed regular file is read on a second thread (src/input-
readahead.c; not xz, whose decoder has threads of its own): whatever the
compressor, the result is the one read on a
single thread (VMSTATE_INSPECT_READAHEAD=0), byte for byte, on a stream of
8 MiB of random RAM whose compressed file is many times the thread's four
128 KiB buffers (RAM digests: every page byte counts); and a file cut short
gives the same error, with the same exit status, both ways."""
import os, random, shutil, struct, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

TOOLS = {"gzip": ["gzip", "-1", "-c"], "bzip2": ["bzip2", "-1", "-c"],
         "xz": ["xz", "-0", "-T2", "--block-size=1MiB", "-c"], "zstd": ["zstd", "-1", "-q", "-c"],
         "lzop": ["lzop", "-1", "-c"]}
PAGE, RAM_PAGE, RAM_MEM_SIZE, RAM_EOS, RAM_CONTINUE = 4096, 0x08, 0x04, 0x10, 0x20


def be32(v): return struct.pack(">I", v)
def be64(v): return struct.pack(">Q", v)
def cstr(s): return bytes([len(s)]) + s.encode()


def stream(mib):
    rnd = random.Random(7)
    size = mib << 20
    out = [b"QEVM" + be32(3), b"\x07" + be32(10) + b"pc-q35-7.2",
           b"\x01" + be32(2) + cstr("ram") + be32(0) + be32(4),
           be64(size | RAM_MEM_SIZE) + cstr("pc.ram") + be64(size) + be64(RAM_EOS),
           b"\x7e" + be32(2), b"\x02" + be32(2)]
    for i in range(size // PAGE):
        hdr = be64(RAM_PAGE) + cstr("pc.ram") if i == 0 else \
            be64(i * PAGE | RAM_PAGE | RAM_CONTINUE)
        out.append(hdr + rnd.randbytes(PAGE))
    out += [be64(RAM_EOS) + b"\x7e" + be32(2),
            b"\x03" + be32(2) + be64(RAM_EOS) + b"\x7e" + be32(2), b"\x00"]
    return b"".join(out)


def both(path):
    """(single thread, read ahead): each (exit status, stdout, stderr)."""
    args = ("dump", "--format", "json", "--digests", path)
    return (vt.run_bytes(*args, env={"VMSTATE_INSPECT_READAHEAD": "0"}),
            vt.run_bytes(*args, env={"VMSTATE_INSPECT_READAHEAD": None}))


def main():
    d = vt.tmpdir()
    raw = stream(8)
    ran = 0
    for name, cmd in TOOLS.items():
        if not shutil.which(cmd[0]):
            print(f"# {cmd[0]} is not installed: {name} left out")
            continue
        packed = subprocess.run(cmd, input=raw, stdout=subprocess.PIPE, check=True).stdout
        whole = os.path.join(d, "s." + name)
        with open(whole, "wb") as f:
            f.write(packed)
        one, ahead = both(whole)
        check(one[0] == 0 and len(packed) > 8 * 128 * 1024,
              f"{name}: {len(packed)} compressed bytes dumped on one thread", one[2])
        check(ahead == one, f"{name}: read ahead, the same exit status, JSON and stderr",
              ahead[2][:300])
        cut = os.path.join(d, "cut." + name)
        with open(cut, "wb") as f:
            f.write(packed[:len(packed) * 3 // 5])
        one, ahead = both(cut)
        check(one[0] != 0 and one[2].strip(), f"{name}: cut short, an error on one thread",
              one[2])
        check(ahead == one, f"{name}: cut short, read ahead: the same error",
              f"{one[0]} {one[2]!r} / {ahead[0]} {ahead[2]!r}")
        ran += 1
        if name == "zstd" and shutil.which("strace"):	# the thread is there
            threads = []
            for ra in ("0", "1"):
                rc, _, err = vt.run_argv(["strace", "-f", "-e", "trace=clone,clone3",
                                          vt.need_bin(), "dump", "--format", "json", whole],
                                         env={"VMSTATE_INSPECT_READAHEAD": ra})
                threads.append(err.count(b"CLONE_THREAD"))
            check(threads == [0, 1], "zstd: one thread started to read ahead, none with "
                  "VMSTATE_INSPECT_READAHEAD=0", threads)
    if not ran:
        vt.skip("no compressor installed (tools/install-deps.sh installs them)")
    return vt.done("readahead")


if __name__ == "__main__":
    sys.exit(main())
