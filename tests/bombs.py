#!/usr/bin/env python3
"""Decompression bombs of every compressor the tool reads, made with the real
tools from a few MiB of input and then repeated (concatenated members, frames
or streams; repeated lzop blocks), each decompressing to 1 GiB or more:

  zeros:  only zeros           -> refused at the first bytes (not a stream)
  qevm:   "QEVM" + zeros       -> an EOF record, then garbage: refused at once
  trail:  "QEVM", EOF, a trailer header + zeros -> read once into memory up
          to the cap on what is kept, then refused (the cap set to 32 MiB
          here, VMSTATE_INSPECT_MAX_KEPT: the default 256 MiB takes a
          sanitizer build past the time limit on a loaded machine)
  nested: the qevm bomb inside xz, and inside a libvirt image inside xz

Nothing is spooled: each run must exit 3 with the expected message within
10 s of CPU time (other load on the machine does not count), under a file
size limit of 0 (any file written kills the tool with SIGXFSZ) and with an
empty private TMPDIR afterwards."""
import os, resource, shutil, struct, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402

VI = vt.need_bin()
TOOLS = {"gzip": ["gzip", "-9", "-c"], "bzip2": ["bzip2", "-9", "-c"],
         "xz": ["xz", "-9", "-c"], "zstd": ["zstd", "-19", "-q", "-c"],
         "lzop": ["lzop", "-c"]}
for name, cmd in TOOLS.items():
    if not shutil.which(cmd[0]):
        vt.skip(f"{cmd[0]} is not installed (tools/install-deps.sh installs it)")

MiB = 1 << 20
HEAD = b"QEVM\0\0\0\3"
KEPT = "more than 32 MiB of this stream kept in memory"
TRAIL = HEAD + b"\0\6" + struct.pack(">I", 1000) + b"{"


def pack(name, data):
    return subprocess.run(TOOLS[name], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def bomb(name, head, total=1 << 30):
    """head + zeros to `total` bytes, compressed by `name`, built from repeats."""
    if name == "lzop":	# one file: header, blocks of 256 KiB, end marker
        blk = 256 * 1024
        one = pack(name, head + bytes(blk - len(head)))
        two = pack(name, head + bytes(2 * blk - len(head)))
        zero_block = two[len(one) - 4:len(two) - 4]
        return two[:-4] + zero_block * (total // blk - 2) + two[-4:]
    chunk = 16 * MiB
    first = pack(name, head + bytes(chunk - len(head)))
    rest = pack(name, bytes(chunk))
    return first + rest * (total // chunk - 1)


def libvirt_image(payload, fmt):
    xml = b"<domain type='qemu'><name>bomb</name></domain>\n"
    xml += bytes(-len(xml) % 4096)
    hdr = b"LibvirtQemudSave" + struct.pack("<5I", 2, len(xml), 0, fmt, 0) + bytes(56)
    return hdr + xml + payload


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(path, tmp, kept=None):
    """exit status, stderr, CPU seconds of `dump path` (killed past 10 s of CPU)."""
    t = cpu_children()
    rc, _, err = vt.run("dump", path, env={"TMPDIR": tmp, "VMSTATE_INSPECT_MAX_KEPT": kept},
                        fsize=0, cpu=10, wall=600)
    return rc, err, cpu_children() - t


def main():
    work = vt.tmpdir("vi-bombs.")
    tmp = os.path.join(work, "tmp")
    os.mkdir(tmp)
    cases = []
    for name in TOOLS:
        cases.append((f"{name}-zeros", bomb(name, b""), "not a QEMU migration stream"))
        q = bomb(name, HEAD)
        cases.append((f"{name}-qevm", q, "unexpected bytes after EOF"))
        cases.append((f"{name}-trail", bomb(name, TRAIL), KEPT))
        if name == "gzip":
            cases.append(("gzip-qevm-in-xz", pack("xz", q), "unexpected bytes after EOF"))
            lv = libvirt_image(q, 1)
            cases.append(("libvirt-gzip-qevm-in-xz", pack("xz", lv),
                          "unexpected bytes after EOF"))
            lv = libvirt_image(bomb(name, TRAIL), 1)
            cases.append(("libvirt-gzip-trail-in-xz", pack("xz", lv), KEPT))
        if name == "xz":
            cases.append(("xz-qevm-in-xz", pack("xz", q), "unexpected bytes after EOF"))
    for label, data, want in cases:
        path = os.path.join(work, label)
        with open(path, "wb") as f:
            f.write(data)
        rc, err, secs = run(path, tmp, "32" if "trail" in label else None)
        left = os.listdir(tmp)
        check(rc == 3 and want in err and secs < 10 and not left,
              f"{label}: {len(data)} bytes, exit {rc}, {secs:.2f} s of CPU, {err.strip()}"
              + (f" (left in TMPDIR: {left})" if left else ""))
        os.unlink(path)
    print(f"{len(cases) - len(vt.failures)}/{len(cases)} bombs refused")
    return vt.done()


if __name__ == "__main__":
    sys.exit(main())
