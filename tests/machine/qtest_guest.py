"""qtest_guest.py - a few register writes in place of a guest driver (QEMU's qtest protocol).

Plain python3, standard library only.  Used by tests/machine/evidence.py: QEMU is started
paused (-S, so no firmware runs) with "-qtest chardev:qt" on a unix socket, and this module
writes PCI configuration space, MMIO registers and guest memory the way a driver would:

  virtio_init(slot)            virtio 1.0 handshake up to DRIVER_OK, no queues
  virtio_scsi(slot, cmds, ..)  a virtio-scsi driver with one request queue that sends SCSI
                               commands to target 0 LUN 0 and waits for each to complete;
                               the last one may be left in flight on purpose
  pci_command(slot, value), writel(addr, value)
  qmp(socket, command)         one QMP command on a second monitor (e.g. block_resize), in
                               order with the register writes

Addresses: BARs are mapped at 0xc0000000 + slot * 1 MiB; rings and buffers live in guest RAM
from 1 MiB up (every machine here has at least 64 MiB).
"""

import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import qmp as qmp_client  # noqa: E402  (tools/qmp.py, the one QMP client)


class Fail(Exception):
    pass


# virtio-pci capability types (virtio 1.0, 4.1.4)
CAP_COMMON, CAP_NOTIFY = 1, 2
# virtio status bits
ACK, DRIVER, DRIVER_OK, FEATURES_OK = 1, 2, 4, 8
VIRTIO_F_VERSION_1 = 1 << 32
# split ring
DESC_F_NEXT, DESC_F_WRITE = 1, 2
QSIZE = 16
RINGS = 0x100000          # queue q: descriptors at RINGS + q * 0x4000, avail +0x1000, used +0x2000
BUFS = 0x200000           # request buffers, 0x10000 per request
SCSI_CDB = 32             # virtio-scsi default cdb_size
SCSI_SENSE = 96           # virtio-scsi default sense_size


class QTest:
    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.time() > deadline:
                    raise Fail("qtest socket %s never came up" % path)
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile("rw")
        self.dir = os.path.dirname(path)

    def cmd(self, line):
        self.f.write(line + "\n")
        self.f.flush()
        while True:
            r = self.f.readline()
            if not r:
                raise Fail("qtest connection closed at %r" % line)
            if r.startswith("IRQ"):
                continue
            r = r.strip()
            if not r.startswith("OK"):
                raise Fail("qtest %r -> %r" % (line, r))
            parts = r.split()
            return int(parts[1], 16) if len(parts) > 1 else None

    def close(self):
        self.sock.close()

    # guest memory
    def write_mem(self, addr, data):
        self.cmd("write 0x%x 0x%x 0x%s" % (addr, len(data), data.hex()))

    def read_mem(self, addr, size):
        self.f.write("read 0x%x 0x%x\n" % (addr, size))
        self.f.flush()
        while True:
            r = self.f.readline()
            if not r:
                raise Fail("qtest connection closed reading 0x%x" % addr)
            if not r.startswith("IRQ"):
                break
        parts = r.split()
        if len(parts) != 2 or parts[0] != "OK":
            raise Fail("qtest read 0x%x -> %r" % (addr, r.strip()))
        return bytes.fromhex(parts[1][2:])

    # PCI configuration mechanism #1 (0xcf8/0xcfc), bus 0
    def cfg_read(self, slot, off, size):
        self.cmd("outl 0xcf8 0x%x" % (0x80000000 | (slot << 11) | (off & 0xfc)))
        v = self.cmd("inl 0xcfc")
        return (v >> ((off & 3) * 8)) & ((1 << (8 * size)) - 1)

    def cfg_write(self, slot, off, size, val):
        self.cmd("outl 0xcf8 0x%x" % (0x80000000 | (slot << 11) | (off & 0xfc)))
        op = {1: "outb", 2: "outw", 4: "outl"}[size]
        self.cmd("%s 0x%x 0x%x" % (op, 0xcfc + (off & 3), val))

    def virtio_caps(self, slot):
        """{cfg_type: (bar, offset, cap position)} of the device's virtio capabilities."""
        caps = {}
        p = self.cfg_read(slot, 0x34, 1)
        while p:
            if self.cfg_read(slot, p, 1) == 0x09:
                t = self.cfg_read(slot, p + 3, 1)
                caps.setdefault(t, (self.cfg_read(slot, p + 4, 1), self.cfg_read(slot, p + 8, 4),
                                    p))
            p = self.cfg_read(slot, p + 1, 1)
        if CAP_COMMON not in caps:
            raise Fail("slot %d: no virtio common configuration capability" % slot)
        return caps

    def map_bar(self, slot, bar):
        base = 0xc0000000 + (slot << 20)
        reg = 0x10 + 4 * bar
        self.cfg_write(slot, reg, 4, base)
        if self.cfg_read(slot, reg, 4) & 0x6 == 0x4:      # 64-bit BAR
            self.cfg_write(slot, reg + 4, 4, 0)
        self.cfg_write(slot, 0x04, 2, 0x0007)               # IO, MEM, bus master
        return base

    def virtio_handshake(self, slot, accept=None):
        """Reset, ACKNOWLEDGE, DRIVER, features (all offered, or offered & accept),
        FEATURES_OK.  Returns (common cfg address, caps, base, offered features)."""
        caps = self.virtio_caps(slot)
        bar, off, _ = caps[CAP_COMMON]
        base = self.map_bar(slot, bar)
        c = base + off
        self.cmd("writeb 0x%x 0x0" % (c + 0x14))             # reset
        self.cmd("writeb 0x%x 0x%x" % (c + 0x14, ACK))
        self.cmd("writeb 0x%x 0x%x" % (c + 0x14, ACK | DRIVER))
        feats = 0
        for sel in (0, 1):
            self.cmd("writel 0x%x 0x%x" % (c + 0x00, sel))
            f = self.cmd("readl 0x%x" % (c + 0x04))
            feats |= f << (32 * sel)
            want = f if accept is None else f & (accept >> (32 * sel))
            self.cmd("writel 0x%x 0x%x" % (c + 0x08, sel))
            self.cmd("writel 0x%x 0x%x" % (c + 0x0c, want))
        self.cmd("writeb 0x%x 0x%x" % (c + 0x14, ACK | DRIVER | FEATURES_OK))
        st = self.cmd("readb 0x%x" % (c + 0x14))
        if not st & FEATURES_OK:
            raise Fail("slot %d: device refused FEATURES_OK (status 0x%x)" % (slot, st))
        return c, caps, base, feats

    def virtio_init(self, slot):
        """What a virtio 1.0 PCI driver does up to DRIVER_OK: map the modern BAR, accept
        every feature the device offers, FEATURES_OK, DRIVER_OK."""
        c, _, _, feats = self.virtio_handshake(slot)
        self.cmd("writeb 0x%x 0x%x" % (c + 0x14, ACK | DRIVER | FEATURES_OK | DRIVER_OK))
        return feats

    # -----------------------------------------------------------------------------------
    # virtio-scsi

    def virtio_scsi(self, slot, cmds, block_size, leave_last=False, timeout=2.0):
        """Send each CDB of `cmds` (bytes) to target 0 LUN 0 through request queue 0
        (virtqueue 2) of the virtio-scsi device at `slot`.  A WRITE carries one block of
        `block_size` bytes.  Every command but a left-in-flight last one must end GOOD;
        CHECK CONDITION (the unit attention a fresh device reports) is answered by sending
        the command again, at most 4 times.  With leave_last, the last command must still
        be unanswered `timeout` seconds after it was sent.  Returns a log."""
        c, caps, base, _ = self.virtio_handshake(slot, accept=VIRTIO_F_VERSION_1)
        if CAP_NOTIFY not in caps:
            raise Fail("slot %d: no virtio notify capability" % slot)
        nbar, noff, npos = caps[CAP_NOTIFY]
        if nbar != caps[CAP_COMMON][0]:
            base_n = self.map_bar(slot, nbar)
        else:
            base_n = base
        mult = self.cfg_read(slot, npos + 16, 4)
        q = 2
        self.cmd("writew 0x%x 0x%x" % (c + 0x16, q))            # queue_select
        if self.cmd("readw 0x%x" % (c + 0x18)) < QSIZE:
            raise Fail("slot %d: queue %d smaller than %d" % (slot, q, QSIZE))
        ring = RINGS + q * 0x4000
        self.cmd("writew 0x%x 0x%x" % (c + 0x18, QSIZE))        # queue_size
        for reg, addr in ((0x20, ring), (0x28, ring + 0x1000), (0x30, ring + 0x2000)):
            self.cmd("writel 0x%x 0x%x" % (c + reg, addr))
            self.cmd("writel 0x%x 0x0" % (c + reg + 4))
        self.write_mem(ring, bytes(16 * QSIZE))
        self.write_mem(ring + 0x1000, bytes(6 + 2 * QSIZE))
        self.write_mem(ring + 0x2000, bytes(6 + 8 * QSIZE))
        self.cmd("writew 0x%x 0x1" % (c + 0x1c))                # queue_enable
        notify = base_n + noff + self.cmd("readw 0x%x" % (c + 0x1e)) * mult
        self.cmd("writeb 0x%x 0x%x" % (c + 0x14, ACK | DRIVER | FEATURES_OK | DRIVER_OK))

        state = {"avail": 0, "used": 0, "desc": 0, "tag": 0}
        log = []

        def submit(cdb):
            state["tag"] += 1
            buf = BUFS + 0x10000 * (state["tag"] % 16)
            hdr = struct.pack("<8sQBBB", bytes([1, 0, 0, 0, 0, 0, 0, 0]), state["tag"], 0, 0, 0)
            hdr += cdb.ljust(SCSI_CDB, b"\0")
            resp_len = 12 + SCSI_SENSE
            chain = [(buf, len(hdr), 0)]
            self.write_mem(buf, hdr)
            if cdb[0] in (0x2a, 0xaa, 0x8a):                  # WRITE(10/12/16): one block out
                data = bytes((i * 7) & 0xff for i in range(block_size))
                self.write_mem(buf + 0x100, data)
                chain.append((buf + 0x100, block_size, 0))
            chain.append((buf + 0x8000, resp_len, DESC_F_WRITE))
            self.write_mem(buf + 0x8000, b"\xff" * resp_len)
            head = state["desc"]
            for i, (addr, ln, fl) in enumerate(chain):
                d = (head + i) % QSIZE
                nxt = (head + i + 1) % QSIZE
                last = i == len(chain) - 1
                self.write_mem(ring + 16 * d, struct.pack(
                    "<QIHH", addr, ln, fl | (0 if last else DESC_F_NEXT), 0 if last else nxt))
            state["desc"] = (head + len(chain)) % QSIZE
            self.write_mem(ring + 0x1000 + 4 + 2 * (state["avail"] % QSIZE),
                           struct.pack("<H", head))
            state["avail"] += 1
            self.write_mem(ring + 0x1000 + 2, struct.pack("<H", state["avail"] & 0xffff))
            self.cmd("writew 0x%x 0x%x" % (notify, q))
            return buf + 0x8000

        def wait_used(limit):
            deadline = time.time() + limit
            while time.time() < deadline:
                idx = struct.unpack("<H", self.read_mem(ring + 0x2000 + 2, 2))[0]
                if idx != state["used"]:
                    state["used"] = idx
                    return True
                time.sleep(0.02)
            return False

        for n, cdb in enumerate(cmds):
            last = n == len(cmds) - 1
            for attempt in range(5):
                resp = submit(cdb)
                if last and leave_last:
                    if wait_used(timeout):
                        st = self.read_mem(resp, 12)
                        raise Fail("SCSI command %s completed (status 0x%x, response %d); "
                                   "it was to stay in flight" % (cdb.hex(), st[10], st[11]))
                    log.append("slot %d: SCSI %s sent, still in flight after %g s"
                               % (slot, cdb.hex(), timeout))
                    break
                if not wait_used(timeout):
                    raise Fail("SCSI command %s: no answer in %g s" % (cdb.hex(), timeout))
                st = self.read_mem(resp, 12 + 18)
                if st[11] != 0:
                    raise Fail("SCSI command %s: virtio-scsi response %d" % (cdb.hex(), st[11]))
                if st[10] == 0:
                    log.append("slot %d: SCSI %s GOOD" % (slot, cdb.hex()))
                    break
                sense = "sense %x/%02x/%02x" % (st[14] & 0xf, st[24], st[25])
                log.append("slot %d: SCSI %s status 0x%x (%s), again"
                           % (slot, cdb.hex(), st[10], sense))
            else:
                raise Fail("SCSI command %s never ended GOOD (status 0x%x, %s)"
                           % (cdb.hex(), st[10], sense))
        return log

    def qmp(self, sock_name, command):
        """Run one QMP command on the monitor socket `sock_name` (next to the qtest socket)
        and return its "return" value."""
        try:
            q = qmp_client.connect(os.path.join(self.dir, sock_name), timeout=0, cmd_timeout=30,
                                   error=Fail)
        except OSError as e:
            raise Fail("QMP %s: %s" % (sock_name, e))
        try:
            return q.cmd(command["execute"], **command.get("arguments", {}))
        except EOFError:
            raise Fail("QMP %s closed at %s" % (sock_name, command["execute"]))
        except OSError as e:
            raise Fail("QMP %s: %s" % (sock_name, e))
        finally:
            q.close()

    def run(self, actions):
        log = []
        for a in actions:
            if a[0] == "virtio-init":
                log.append("slot %d: offered features 0x%x" % (a[1], self.virtio_init(a[1])))
            elif a[0] == "virtio-scsi":
                log += self.virtio_scsi(a[1], [bytes.fromhex(x) for x in a[2]], a[3],
                                        leave_last=True)
            elif a[0] == "qmp":
                r = self.qmp(a[1], a[2])
                if isinstance(r, str) and r.strip():      # human-monitor-command's output
                    raise Fail("QMP %s: %s" % (json.dumps(a[2]), r.strip()))
                log.append("QMP %s" % json.dumps(a[2]))
            elif a[0] == "pci-command":
                self.cfg_write(a[1], 0x04, 2, a[2])
                log.append("slot %d: PCI command 0x%x" % (a[1], a[2]))
            elif a[0] == "writel":
                self.cmd("writel 0x%x 0x%x" % (a[1], a[2]))
                log.append("writel 0x%x 0x%x" % (a[1], a[2]))
            else:
                raise Fail("unknown qtest action %r" % (a[0],))
        return log
