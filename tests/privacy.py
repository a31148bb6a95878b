#!/usr/bin/env python3
"""Privacy: markers put where guest data lives are in the streams real QEMU
10.0 saves, `dump` shows them (or, for the NE2000 frame, which lies past the
64 bytes a buffer's preview shows, the value dump --redact replaced holds its
bytes), and `dump --redact` (text and JSON) and `report` (text, JSON,
markdown, HTML) contain none of them.  One row of
render-redact.c's table is proven live per marker:

  x86_64 pc-i440fx-10.0 (one run):
    guest RAM           a marker put in RAM with -device loader (RAM pages
                        are never printed: this also stands for vga.vram and
                        every other framebuffer, which are RAMBlocks)
    keyboard queue      keystrokes typed with HMP sendkey stay in the PS/2
                        queue (row "*ps2*/queue.data")
    serial FIFO         the 16550's FIFO enabled (HMP "o" to its FCR) and
                        bytes sent to its chardev on standard input stay in
                        recv_fifo (row "*serial*/*fifo*")
    IDE disk request    a READ SECTORS PIO command written to the primary
                        channel's ports with HMP "o": the sector, whose
                        bytes are a marker, waits in the drive's io_buffer
                        (row "*/io_buffer*")
    NE2000 frame        the NIC's receive ring set up and started with HMP
                        "o", a broadcast frame sent to its datagram netdev:
                        the frame lies in the packet memory (row "*ne2000*/mem")
  consoles, one run each, bytes sent to the console's chardev on standard input:
    aarch64 virt        a five-instruction guest enables the PL011's FIFO
                        (LCR_H.FEN, CR.UARTEN|RXE); the bytes stay in
                        read_fifo (row "*pl011*/read_fifo*")
    ppc64 pseries       the hypervisor console's input buffer (spapr_vty buf)
    s390x               the SCLP console's input buffer (sclpconsole iov)

The other rows (network frames of e1000 and pcnet; SCSI and virtio
request buffers; USB transfers; the pseries NVRAM) have no live proof here:
filling them needs a guest driver.

Exit 77 when QEMU 10.0 is not installed (tools/install-qemu.sh); the aarch64
part is skipped, and said so, without qemu-10.0-aarch64."""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import check  # noqa: E402
import qmp  # noqa: E402

VI = vt.need_bin()
QBIN = vt.QBIN
QEMU = os.path.join(os.environ.get("QEMU10_BIN_DIR", "/opt/qemu-10.0/bin"), "qemu-system-x86_64")
if not os.access(QEMU, os.X_OK):
    QEMU = os.path.join(QBIN, "qemu-10.0-x86_64")
MARKER = b"VI-PRIVACY-MARKER-7d3f9c"
DISK = b"VI-DISK-SECTOR-MARKER-4e1b"
NET = b"VI-NET-FRAME-MARKER-9a2c"
SERIAL = b"VISERIALMARK"          # fits the 16550's 14-byte trigger level
CONSOLE = b"VICONSOLE-MARK"       # fits the PL011's 16 entries, the vty's 16 bytes
KEYS = "marker"


def start(argv, wd, sock):
    return subprocess.Popen(argv + ["-qmp", f"unix:{sock},server=on,wait=off"], cwd=wd,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def finish(p, q, out):
    q.cmd("stop")
    qmp.migrate_to_file(q, out)
    q.cmd("quit")
    p.wait(30)


def save_x86(wd):
    open(os.path.join(wd, "marker.bin"), "wb").write((MARKER + b" ") * 160)
    open(os.path.join(wd, "disk.raw"), "wb").write((DISK + b" ") * 18 + bytes(512 * 128))
    sock = os.path.join(wd, "qmp.sock")
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)    # the network's other end
    peer.bind(os.path.join(wd, "net-t.sock"))
    p = start([QEMU, "-nodefaults", "-display", "none", "-accel", "tcg", "-machine",
               "pc-i440fx-10.0", "-m", "64M", "-S",
               "-device", "loader,file=marker.bin,addr=0x300000",
               "-drive", "file=disk.raw,format=raw,if=ide,index=0",
               "-chardev", "stdio,id=s0,signal=off", "-device", "isa-serial,chardev=s0",
               # frames come in on a datagram socket; no option ROM drives the NIC
               "-netdev", f"dgram,id=n0,local.type=unix,local.path={wd}/net-q.sock,"
               f"remote.type=unix,remote.path={wd}/net-t.sock",
               "-device", "ne2k_pci,netdev=n0,romfile="], wd, sock)

    try:
        q = qmp.connect(sock, error=RuntimeError)
        hmp = lambda c: q.cmd("human-monitor-command", **{"command-line": c})  # noqa: E731
        q.cmd("cont")
        time.sleep(2)           # the firmware has set the keyboard up and found no boot sector
        for k in KEYS:          # delivered on the guest's clock: it must run
            hmp("sendkey " + k)
        hmp("o /b 0x3fa 0xc7")  # 16550 FCR: FIFO on, cleared, trigger level 14
        p.stdin.write(SERIAL)
        p.stdin.flush()
        # ATA READ SECTORS (PIO), LBA 0, one sector, drive 0 of the primary channel
        for port, val in ((0x1f6, 0xe0), (0x1f2, 1), (0x1f3, 0), (0x1f4, 0), (0x1f5, 0),
                          (0x1f7, 0x20)):
            hmp(f"o /b {port:#x} {val:#x}")
        # NE2000: receive ring 0x4000-0x8000 of its packet memory, promiscuous,
        # started; then one broadcast frame whose payload is a marker
        m = re.search(r"Ethernet controller.*?BAR0: I/O at (0x[0-9a-f]+)", hmp("info pci"), re.S)
        base = int(m.group(1), 16)
        for off, val in ((0, 0x21), (1, 0x40), (2, 0x80), (3, 0x40), (0x0c, 0x14), (0, 0x61),
                         (7, 0x40), (0, 0x22)):
            hmp(f"o /b {base + off:#x} {val:#x}")
        peer.sendto(b"\xff" * 6 + bytes.fromhex("525400aabbcc88b5") + (NET + b" ") * 8,
                    os.path.join(wd, "net-q.sock"))
        time.sleep(1)
        check("0x58" in hmp("i /b 0x1f7"), "IDE: the sector waits for the guest (DRQ)")
        hmp(f"o /b {base:#x} 0x62")
        check("= 0x41" in hmp(f"i /b {base + 7:#x}"), "NE2000: the frame took one ring page")
        finish(p, q, os.path.join(wd, "s.qevm"))
    finally:
        peer.close()
        if p.poll() is None:
            p.kill()
    return os.path.join(wd, "s.qevm")


def console_argv(arch, wd):
    """The machine of each console proof: (argv after the binary, row)."""
    if arch == "aarch64":
        # movz x0,#0x0900,lsl 16; mov w1,#0x70; str w1,[x0,#0x2c] (LCR_H: FIFO, 8 bits);
        # mov w1,#0x301; str w1,[x0,#0x30] (CR: UARTEN, TXE, RXE); wfi; b .-4
        code = [0xd2a12000, 0x52800e01, 0xb9002c01, 0x52806021, 0xb9003001, 0xd503207f,
                0x17ffffff]
        open(os.path.join(wd, "pl.bin"), "wb").write(b"".join(w.to_bytes(4, "little")
                                                             for w in code))
        return (["-machine", "virt-10.0", "-cpu", "cortex-a57", "-m", "128M",
                 "-serial", "chardev:s0", "-device", "loader,file=pl.bin,addr=0x44000000",
                 "-device", "loader,addr=0x44000000,cpu-num=0"], "serial FIFO (PL011)")
    if arch == "ppc64":   # a firmware of one instruction (b . at the entry point)
        open(os.path.join(wd, "fw.bin"), "wb").write(bytes(0x100) + (0x48000000).to_bytes(4, "big"))
        return (["-machine", "pseries-10.0", "-bios", "fw.bin", "-m", "256M",
                 "-global", "spapr-pci-host-bridge.dma_win_size=0x8000000",
                 "-serial", "chardev:s0"], "serial FIFO (pseries vty)")
    return (["-machine", "s390-ccw-virtio-10.0", "-m", "128M", "-no-shutdown",
             "-device", "sclpconsole,chardev=s0"], "serial console buffer (s390x SCLP)")


def save_console(arch, wd):
    """Bytes sent to the machine's console on standard input, saved."""
    argv, row = console_argv(arch, wd)
    sock = os.path.join(wd, f"qmp-{arch}.sock")
    out = os.path.join(wd, f"{arch}.qevm")
    p = start([os.path.join(QBIN, f"qemu-10.0-{arch}"), "-nodefaults", "-display", "none",
               "-accel", "tcg", "-S", "-chardev", "stdio,id=s0,signal=off", *argv], wd, sock)
    try:
        q = qmp.connect(sock, error=RuntimeError)
        q.cmd("cont")
        time.sleep(1)
        p.stdin.write(CONSOLE)
        p.stdin.flush()
        time.sleep(1)
        finish(p, q, out)
    finally:
        if p.poll() is None:
            p.kill()
    return out, row


def vi(*args):
    return vt.run(*args)[:2]


def forms(b, n=8):
    """How n bytes of a marker can appear: as text, hex, the text dump's
    array ("86 (0x56), 73 (0x49)") and a JSON array of numbers ([86,73])."""
    b = b[:n]
    return [b.decode(), b.hex(), ", ".join(f"{c} ({c:#x})" for c in b),
            ",".join(str(c) for c in b), b[:4].hex() + " " + b[4:8].hex()]


def compact(out):
    """A JSON document without blanks (arrays of numbers on one line)."""
    try:
        return json.dumps(json.loads(out), separators=(",", ":"))
    except ValueError:
        return out


def outputs(stream):
    return {
        "dump --redact": vi("dump", "--redact", stream),
        "dump --redact json": vi("dump", "--redact", "--format", "json", stream),
        "report": vi("report", stream),
        "report json": vi("report", "--format", "json", stream),
        "report markdown": vi("report", "--format", "markdown", stream),
        "report html": vi("report", "--format", "html", stream),
    }


def none_in(outs, forms, label):
    for name, (rc, out) in outs.items():
        check(rc == 0 and len(out) > 500, f"{label}: {name} ran ({rc})")
        if "json" in name:
            out = compact(out)
        bad = [f for f in forms if f in out]
        check(not bad, f"{label}: {name} contains none of {len(forms)} marker forms {bad[:2]}")


def redacted_at(stream, needle):
    """The kinds of the redacted values whose bytes hold needle."""
    data = open(stream, "rb").read()
    hits = [m.start() for m in re.finditer(re.escape(needle), data)]
    kinds = set()

    def walk(n):
        if isinstance(n, dict):
            if "redacted" in n and isinstance(n.get("offset"), int):
                o, ln = n["offset"], n.get("redacted_length", 0)
                if any(o <= h and h + len(needle) <= o + ln for h in hits):
                    kinds.add(n["redacted"])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)
    walk(json.loads(vi("dump", "--redact", "--format", "json", stream)[1]))
    return kinds


def redacted_rows(text):
    return {ln.split("redacted=")[1].rstrip("]") for ln in text.splitlines() if "redacted=" in ln}


def main():
    if not os.access(QEMU, os.X_OK):
        vt.skip("QEMU 10.0 is needed (tools/install-qemu.sh)")
    with tempfile.TemporaryDirectory(prefix="vi-privacy.") as wd:
        stream = save_x86(wd)
        data = open(stream, "rb").read()
        check(MARKER in data, "the RAM marker is in the stream")
        check(SERIAL in data, "the serial marker is in the stream")
        check(DISK in data, "the disk sector marker is in the stream")
        check(NET in data, "the network frame marker is in the stream")
        # the packet memory is 48 KiB: dump shows its first 64 bytes, so the
        # proof is that the frame's bytes lie inside the value redacted
        for marker, row in ((NET, "network packet memory"), (DISK, "disk request buffer (IDE)"),
                            (SERIAL, "serial FIFO")):
            kinds = redacted_at(stream, marker)
            check(row in kinds, f"x86_64: the bytes of {marker.decode()} are inside a "
                                f"value redacted as {row} ({sorted(kinds)})")
        rc, plain = vi("dump", "--format", "json", stream)
        text = vi("dump", stream)[1]
        # the scancodes of the keys typed, make and break: m a r k e r
        keys = "32b21e9e139325a512921393"
        check(rc == 0 and keys in plain, "dump shows the keystrokes in the keyboard queue")
        check(SERIAL.hex()[:24] in plain, "dump shows the serial FIFO's bytes")
        # io_buffer is an array of uint8 whose first bytes are the sector's: the dump
        # shows its first elements, or (128 KiB: an integer array packed as one value,
        # man LIMITS) its first bytes in hex
        d = forms(DISK)
        check((d[2] in text or d[4] in text) and (d[3] in compact(plain) or d[1] in plain),
              "dump (text and JSON) shows the IDE io_buffer's bytes")
        every = [keys, keys[:8]] + forms(MARKER) + forms(SERIAL) + forms(DISK) + forms(NET)
        outs = outputs(stream)
        none_in(outs, every, "x86_64")
        red = outs["dump --redact"][1]
        rows = redacted_rows(red)
        for row in ("keyboard/mouse queue", "serial FIFO", "disk request buffer (IDE)",
                    "network packet memory"):
            check(row in rows, f"x86_64: dump --redact redacted a {row} ({sorted(rows)})")
        n = red.count("redacted_xxh3_128=")
        print(f"privacy x86_64: markers in RAM, the PS/2 queue, the 16550 FIFO, the IDE "
              f"io_buffer and the NE2000's packet memory; dump --redact replaced {n} value(s); {len(outs)} outputs checked")
        for arch in ("aarch64", "ppc64", "s390x"):
            if not os.access(os.path.join(QBIN, f"qemu-10.0-{arch}"), os.X_OK):
                print(f"qemu-10.0-{arch} is not installed: its console proof skipped")
                continue
            stream, row = save_console(arch, wd)
            rc, plain = vi("dump", "--format", "json", stream)
            text = vi("dump", stream)[1]
            f = forms(CONSOLE)
            check(any(x in text for x in f) and any(x in compact(plain) for x in f),
                  f"{arch}: dump (text and JSON) shows the bytes sent to the console")
            outs = outputs(stream)
            none_in(outs, f, arch)
            check(row in redacted_rows(outs["dump --redact"][1]),
                  f"{arch}: dump --redact redacted the {row}")
    return vt.done("privacy")


if __name__ == "__main__":
    sys.exit(main())
