#!/usr/bin/env python3
"""evidence.py - show with the real QEMU that every rule of schemas/compat-rules.json holds.

Plain python3, standard library only.  Run from anywhere:

    python3 tests/machine/evidence.py [--keep DIR] [--only RULE-ID ...] [--verbose]

For each rule the case named in its "evidence" ("tests/machine/<case>") says how to start
the real QEMU twice: once where the compat property applies ("with": an old machine type
whose compat properties contain it, or -global driver.property=value) and once where it
does not ("without": the next machine type, or no -global).  Both runs are migrated to a
file with tools/qmp-migrate.py (multifd cases: to a TCP listener that keeps the main
channel), both streams are decoded with `src/vmstate-inspect dump --format json`, and the
rule's effect is evaluated on both: it must hold for "with" and must not hold for
"without".  Before running, the machine data (schemas/machines/) is checked too: the "with"
machine must carry the rule's compat property (with the rule's "when" value) and the
"without" machine must not.  Then `vmstate-inspect check --machine <the "with" machine>`
(src/check-compat*.c) must report the rule on the "without" stream and not on the "with" one.

Guest activity some effects need (a driver negotiating virtio features, setting DRIVER_OK,
clearing PCI bus mastering, enabling the HPET, sending SCSI commands through virtio-scsi) is
produced without a guest OS through QEMU's qtest protocol (-qtest on a socket, VM kept
paused with -S so no firmware runs): qtest_guest.py writes PCI configuration, MMIO
registers and guest memory the way a driver would.  An emulated SCSI request is kept in
flight by a flush that fails once (blkdebug) on a device with werror=stop.  One case runs SeaBIOS
under TCG for two seconds (SMI count).  The vhost-user cases run qemu-storage-daemon
(QSD_BIN, else next to QEMU or on PATH; SKIP without it) as the backend, exporting a small
image as vhost-user-blk.  Output: one "PASS|FAIL|SKIP <rule id>: <detail>" line per rule,
then "K skipped" and "N passed, M failed".  Exit status 0 if nothing failed, 1 otherwise, 77
when QEMU or vmstate-inspect is missing.

QEMU is found as for tools/gen-machines.sh: QEMU72_BIN_DIR (default: PATH) and
QEMU10_BIN_DIR (default: $PREFIX/bin of tools/install-qemu.sh).
"""

import argparse
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from qtest_guest import Fail, QTest
import qmp  # noqa: E402  (tools/qmp.py, put on sys.path by qtest_guest)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
INSPECT = os.environ.get("VI_BIN") or os.path.join(ROOT, "src", "vmstate-inspect")
QMP_MIGRATE = os.path.join(ROOT, "tools", "qmp-migrate.py")
RULES = os.path.join(ROOT, "schemas", "compat-rules.json")
MACHINES = os.path.join(ROOT, "schemas", "machines")

X86 = ["-nodefaults", "-nographic", "-m", "64M"]
ARM = ["-nodefaults", "-nographic", "-m", "128M", "-cpu", "cortex-a57"]
NULL_BLK = ["-blockdev", "driver=null-co,node-name=d0"]
VMEM = ["-m", "64M,maxmem=512M", "-object", "memory-backend-ram,id=mem0,size=128M",
        "-device", "virtio-mem-pci,memdev=mem0,id=vmem0,addr=0x4"]
ROOT_PORT = ["-device", "pcie-root-port,id=rp0,chassis=1,addr=0x5"]


# An emulated SCSI request in flight when the VM stops: disk.raw under blkdebug, whose one
# injected error fails the first flush (once: the flush of migration's own vm_stop must
# pass); the device stops the VM on it (werror=stop) and keeps the request for a retry.
# A flush only reaches blkdebug once the node was written to: scsi-hd gets a WRITE(10) of
# one block; scsi-cd (read-only to the guest, share-rw=on) a qemu-io write through a second
# QMP monitor.  The driver (qtest_guest.virtio_scsi) sends TEST UNIT READY
# (takes the unit attention), that WRITE, then SYNCHRONIZE CACHE(10), which scsi-disk
# emulates (scsi_disk_emulate_reqops) and which stays in flight.
def SCSI_FLUSH_FAILS(dev, extra=""):
    bd = {"driver": "blkdebug", "node-name": "d0",
          "image": {"driver": "file", "filename": "disk.raw"},
          "inject-error": [{"event": "none", "iotype": "flush", "errno": 5, "once": True}]}
    return ["-blockdev", json.dumps(bd, separators=(",", ":")),
            "-device", "virtio-scsi-pci,id=vs,addr=0x4",
            "-device", "%s,bus=vs.0,drive=d0,werror=stop%s" % (dev, extra)]


TUR, WRITE10, SYNC10 = "00" * 6, "2a00" + "00" * 4 + "00" + "0001" + "00", "35" + "00" * 9
QEMU_IO_WRITE = {"execute": "human-monitor-command",
                 "arguments": {"command-line": 'qemu-io d0 "write 0 512"'}}


def pair(old, new, **kw):
    d = {"with": {"machine": old}, "without": {"machine": new}}
    d.update(kw)
    return d


def q35(v):
    return "pc-q35-%s" % v


# case name -> how to make the two streams.
#   release/arch: which QEMU;  mode: paused (-S, migrate at once), run (TCG, cont, run
#   `run` seconds), qtest (paused VM; `qtest` actions through the qtest socket before
#   migrating),
#   multifd (multifd capability, TCP listener);  args: common extra arguments;
#   files: {name: size} empty files made in QEMU's working directory first;
#   monitors: more QMP sockets there, for qtest ("qmp", socket, command) actions;
#   vhost_user: N starts a vhost-user block backend with N queues (qemu-storage-daemon,
#   see VhostUserBackend) on chardev "vu0" and gives QEMU shared guest memory;
#   with/without: machine and extra args of each side;  check: special evaluation;
#   skip: reason the case cannot run here.
CASES = {
    "switchover-start": pair(q35("9.2"), q35("10.0")),
    "balloon-vectors": pair(q35("9.2"), q35("10.0"),
                            args=["-device", "virtio-balloon-pci,addr=0x4"]),
    "balloon-transitional-vectors": pair(
        q35("9.2"), q35("10.0"), args=["-device", "virtio-balloon-pci-transitional,addr=0x4"]),
    "balloon-non-transitional-vectors": pair(
        q35("9.2"), q35("10.0"),
        args=["-device", "virtio-balloon-pci-non-transitional,addr=0x4"]),
    "virtio-mem-vectors": pair(q35("9.2"), q35("10.0"), args=VMEM),
    "pcie-ext-tag": pair(q35("9.1"), q35("9.2"), args=ROOT_PORT),
    "scsi-hd-emulated-request": pair(q35("9.0"), q35("9.1"), mode="qtest",
                                     files={"disk.raw": 1 << 20}, args=SCSI_FLUSH_FAILS("scsi-hd"),
                                     qtest=[("virtio-scsi", 4, [TUR, WRITE10, SYNC10], 512)]),
    "scsi-cd-emulated-request": pair(q35("9.0"), q35("9.1"), mode="qtest",
                                     files={"disk.raw": 1 << 20}, monitors=["qmp2.sock"],
                                     args=SCSI_FLUSH_FAILS("scsi-cd", ",share-rw=on"),
                                     qtest=[("qmp", "qmp2.sock", QEMU_IO_WRITE),
                                            ("virtio-scsi", 4, [TUR, SYNC10], 2048)]),
    "virtio-gpu-scanout": pair(q35("8.2"), q35("9.0"),
                               args=["-device", "virtio-gpu-pci,addr=0x4"],
                               check="virtio-gpu-scanout"),
    "ramfb-migrate": pair(q35("8.1"), q35("8.2"), args=["-device", "ramfb"]),
    "virtio-net-uso": pair(q35("8.1"), q35("8.2"), mode="qtest", tap=True,
                           args=["-device", "virtio-net-pci,netdev=n0,addr=0x4"],
                           qtest=[("virtio-init", 4)]),
    "multifd-flush": pair(q35("8.0"), q35("8.1"), mode="multifd",
                          no_load="needs a multifd destination"),
    "e1000e-timadj": pair(q35("7.2"), q35("8.0"), args=["-device", "e1000e,addr=0x4"]),
    "virtio-mem-early": pair(q35("7.2"), q35("8.0"), args=VMEM),
    "rng-vectors": pair(q35("7.1"), q35("7.2"), args=["-device", "virtio-rng-pci,addr=0x4"]),
    "rng-transitional-vectors": pair(
        q35("7.1"), q35("7.2"), args=["-device", "virtio-rng-pci-transitional,addr=0x4"]),
    "rng-non-transitional-vectors": pair(
        q35("7.1"), q35("7.2"), args=["-device", "virtio-rng-pci-non-transitional,addr=0x4"]),
    "virtio-queue-reset": pair(q35("7.1"), q35("7.2"), mode="qtest",
                               args=["-device", "virtio-rng-pci,addr=0x4"],
                               qtest=[("virtio-init", 4)]),
    "piix4-acpi-index": pair("pc-i440fx-6.2", "pc-i440fx-7.0"),
    "i8042-extended-state": pair(q35("6.0"), q35("6.1")),
    "e1000-init-vet": pair(q35("6.0"), q35("6.1"), args=["-device", "e1000,addr=0x4"]),
    "e1000e-init-vet": pair(q35("6.0"), q35("6.1"), args=["-device", "e1000e,addr=0x4"]),
    "virtio-net-vectors": pair(q35("5.2"), q35("6.0"),
                               args=["-device", "virtio-net-pci,addr=0x4"]),
    "virtio-blk-num-queues": pair(q35("5.1"), q35("5.2"), args=["-smp", "4"] + NULL_BLK +
                                  ["-device", "virtio-blk-pci,drive=d0,addr=0x4"]),
    "virtio-scsi-num-queues": pair(q35("5.1"), q35("5.2"),
                                   args=["-smp", "4", "-device", "virtio-scsi-pci,addr=0x4"]),
    "vhost-user-blk-num-queues": pair(q35("5.1"), q35("5.2"), vhost_user=4,
                                      no_load="needs a vhost-user backend",
                                      args=["-smp", "4", "-device",
                                            "vhost-user-blk-pci,chardev=vu0,addr=0x4"]),
    "vhost-scsi-num-queues": {
        "skip": "needs the kernel vhost-scsi (LIO) target and migratable=on"},
    # no vhost-user SCSI backend is packaged: the block one stands in (VhostUserBackend)
    "vhost-user-scsi-num-queues": pair(q35("5.1"), q35("5.2"), vhost_user=6,
                                       no_load="needs a vhost-user backend",
                                       args=["-smp", "4", "-device",
                                             "vhost-user-scsi-pci,chardev=vu0,addr=0x4"]),
    "pl011-clock": pair("virt-5.1", "virt-5.2", arch="aarch64"),
    "pci-host-config-reg": pair(q35("5.0"), q35("5.1")),
    "fw-cfg-acpi-mr": pair(q35("4.2"), q35("5.0")),
    "virtio-disabled": pair(q35("4.2"), q35("5.0"), mode="qtest",
                            args=["-device", "virtio-rng-pci,addr=0x4"],
                            qtest=[("pci-command", 4, 0x0003)]),
    "virtio-blk-queue-size": pair(q35("4.2"), q35("5.0"), args=NULL_BLK +
                                  ["-device", "virtio-blk-pci,drive=d0,addr=0x4"]),
    "virtio-scsi-virtqueue-size": pair(q35("4.2"), q35("5.0"),
                                       args=["-device", "virtio-scsi-pci,addr=0x4"]),
    "virtio-started": pair(q35("4.0"), q35("4.1"), mode="qtest",
                           args=["-device", "virtio-rng-pci,addr=0x4"],
                           qtest=[("virtio-init", 4)]),
    "pl031-tick-offset": pair("virt-4.0", "virt-4.1", arch="aarch64"),
    "vga-global-vmstate": pair(q35("2.12"), q35("3.0"), args=["-device", "VGA,addr=0x2"]),
    "cirrus-global-vmstate": pair(q35("2.12"), q35("3.0"),
                                  args=["-device", "cirrus-vga,addr=0x2"]),
    "vmware-svga-global-vmstate": pair(q35("2.12"), q35("3.0"),
                                       args=["-device", "vmware-svga,addr=0x2"]),
    "qxl-vga-global-vmstate": pair(q35("2.12"), q35("3.0"),
                                   args=["-device", "qxl-vga,addr=0x2"]),
    "smi-count": pair(q35("2.11"), q35("2.12"), mode="run", run=2.0),
    "hpet-offset": pair(q35("2.11"), q35("2.12"), mode="qtest",
                        qtest=[("writel", 0xfed00010, 1)]),
    "e1000-tso": pair(q35("2.11"), q35("2.12"), args=["-device", "e1000,addr=0x4"]),
    "virtio-blk-vectors": pair(q35("2.11"), q35("2.12"), args=NULL_BLK + [
        "-device", "virtio-blk-pci,drive=d0,num-queues=4,addr=0x4"]),
    "vhost-user-blk-vectors": pair(q35("2.11"), q35("2.12"), vhost_user=4,
                                   no_load="needs a vhost-user backend", args=[
        "-device", "vhost-user-blk-pci,chardev=vu0,num-queues=4,addr=0x4"]),
    "root-port-msix": pair(q35("2.9"), q35("2.10"), args=ROOT_PORT),
    "e1000-full-mac": pair(q35("2.4"), q35("2.5"), args=["-device", "e1000,addr=0x4"]),
    "virtio-extra-state": pair(q35("2.4"), q35("2.5"),
                               args=["-device", "virtio-rng-pci,addr=0x4"]),
    "fw-cfg-io-dma": pair(q35("2.4"), q35("2.5")),
    "fw-cfg-mem-dma": {"arch": "aarch64",
                       "with": {"machine": "virt-10.0", "global": "fw_cfg_mem.dma_enabled=off"},
                       "without": {"machine": "virt-10.0"}},
}


class Skip(Exception):
    pass


# ---------------------------------------------------------------------------------------
# finding QEMU

def qemu_dirs():
    d72 = os.environ.get("QEMU72_BIN_DIR")
    if not d72:
        b = shutil.which("qemu-system-x86_64")
        d72 = os.path.dirname(b) if b else ""
    d100 = os.environ.get("QEMU10_BIN_DIR")
    if not d100:
        prefix = ""
        try:
            with open(os.path.join(ROOT, "tools", "install-qemu.sh")) as f:
                m = re.search(r"^PREFIX=\$\{PREFIX:-(.*)\}$", f.read(), re.M)
                prefix = m.group(1) if m else ""
        except OSError:
            pass
        d100 = os.path.join(prefix, "bin") if prefix else ""
    return {"7.2": d72, "10.0": d100}


def qemu_binary(dirs, release, arch):
    b = os.path.join(dirs.get(release, ""), "qemu-system-%s" % arch)
    if not os.access(b, os.X_OK):
        return None
    v = subprocess.run([b, "--version"], capture_output=True, text=True).stdout
    if ("version %s." % release) not in v.splitlines()[0] if v else True:
        return None
    return b


# ---------------------------------------------------------------------------------------
# making streams

class TcpSink:
    """Accept every connection on a local port; keep what each one sends."""

    def __init__(self, wd):
        self.wd = wd
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(32)
        self.srv.settimeout(0.2)
        self.port = self.srv.getsockname()[1]
        self.files = []
        self.threads = []
        self.stop = False
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            path = os.path.join(self.wd, "chan%d.bin" % len(self.files))
            self.files.append(path)
            t = threading.Thread(target=self.read, args=(c, path), daemon=True)
            t.start()
            self.threads.append(t)

    @staticmethod
    def read(c, path):
        with open(path, "wb") as f:
            while True:
                d = c.recv(1 << 20)
                if not d:
                    break
                f.write(d)
        c.close()

    def close(self):
        self.stop = True
        self.t.join()
        for t in self.threads:
            t.join(timeout=30)
        self.srv.close()


class VhostUserBackend:
    """A vhost-user block backend for the vhost-user cases: qemu-storage-daemon exporting a
    1 MiB raw image as vhost-user-blk with `queues` queues on the unix socket vu.sock in wd
    (relative, as QEMU runs in wd too: no socket path length limit to hit).  QEMU connects
    with "-chardev socket,id=vu0,path=vu.sock"; vhost-user needs guest memory the backend
    can map, hence a shared memfd backend as the machine's RAM.  The VM stays paused and no
    driver starts the device, so the backend sees only the vhost-user handshake (features,
    queue count); the migration is the front-end's.  That is also why this block backend can
    stand in for a vhost-user SCSI one (none is packaged) in the vhost-user-scsi case: the
    virtio-scsi payload QEMU writes (queue count, rings) comes from the front-end's own
    configuration, and the backend is only asked how many queues it can serve (QEMU warns
    that the backend offers VHOST_USER_PROTOCOL_F_CONFIG, which vhost-user-scsi does not
    use).  Stopped (SIGTERM) when the stream is made."""

    SOCK = "vu.sock"

    def __init__(self, qemu, queues, wd):
        self.bin = os.environ.get("QSD_BIN") or shutil.which(
            "qemu-storage-daemon",
            path=os.pathsep.join([os.path.dirname(qemu), os.environ.get("PATH", "")]))
        if not self.bin or not os.access(self.bin, os.X_OK):
            raise Skip("qemu-storage-daemon not installed (Debian: qemu-system-common; "
                       "or QSD_BIN)")
        with open(os.path.join(wd, "vu.img"), "wb") as f:
            f.truncate(1 << 20)
        sock = os.path.join(wd, self.SOCK)
        if os.path.exists(sock):
            os.unlink(sock)
        self.argv = [self.bin, "--blockdev", "driver=file,node-name=f,filename=vu.img",
                     "--export", "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,"
                     "addr.path=%s,writable=on,num-queues=%d" % (self.SOCK, queues)]
        self.log = os.path.join(wd, "qsd.log")
        with open(self.log, "w") as lf:
            self.p = subprocess.Popen(self.argv, cwd=wd, stdin=subprocess.DEVNULL,
                                      stdout=lf, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(sock):
            if self.p.poll() is not None or time.time() > deadline:
                self.stop()
                with open(self.log) as lf:
                    raise Fail("qemu-storage-daemon did not come up: %s"
                               % " | ".join(lf.read().strip().splitlines()[-3:]))
            time.sleep(0.05)

    def qemu_args(self, mem):
        return ["-object", "memory-backend-memfd,id=vumem,size=%s,share=on" % mem,
                "-chardev", "socket,id=vu0,path=%s" % self.SOCK]

    def cmdline(self):
        return " ".join([os.path.basename(self.bin)] + self.argv[1:])

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def make_stream(b, case, side, wd, verbose):
    os.makedirs(wd, exist_ok=True)
    backend = None
    if case.get("vhost_user"):
        backend = VhostUserBackend(b, case["vhost_user"], wd)
    try:
        return make_stream_1(b, case, side, wd, verbose, backend)
    finally:
        if backend:
            backend.stop()


def make_files(case, wd):
    for name, size in case.get("files", {}).items():
        with open(os.path.join(wd, name), "wb") as f:
            f.truncate(size)


def make_stream_1(b, case, side, wd, verbose, backend):
    spec = case[side]
    mode = case.get("mode", "paused")
    arch = case.get("arch", "x86_64")
    argv = [b] + (ARM if arch == "aarch64" else X86)
    extra = list(case.get("args", []))
    if "-m" in extra and "-m" in argv:            # the case sizes memory itself
        i = argv.index("-m")
        del argv[i:i + 2]
    make_files(case, wd)
    for stale in ("qtest.done", "stream.qevm"):
        if os.path.exists(os.path.join(wd, stale)):
            os.unlink(os.path.join(wd, stale))
    machine = spec["machine"]
    if backend:
        mem = argv[argv.index("-m") + 1].split(",")[0] if "-m" in argv else \
            extra[extra.index("-m") + 1].split(",")[0]
        extra = backend.qemu_args(mem) + extra
        machine += ",memory-backend=vumem"
    argv += ["-machine", machine] + extra
    if spec.get("global"):
        argv += ["-global", spec["global"]]
    if case.get("tap"):
        ifname = "vitap%d%s" % (os.getpid() % 10000, "w" if side == "with" else "o")
        argv += ["-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no,vnet_hdr=on" % ifname]
    argv += ["-qmp", "unix:qmp.sock,server=on,wait=off"]     # the first: tools/qmp-migrate.py's
    for m in case.get("monitors", []):
        argv += ["-qmp", "unix:%s,server=on,wait=off" % m]
    helper = [sys.executable, QMP_MIGRATE, "--workdir", wd, "--timeout", "120"]
    out = os.path.join(wd, "stream.qevm")
    sink = None
    if mode == "qtest":
        # -S: no vCPU ever runs, so no firmware touches the devices; -qtest without
        # "-accel qtest" (not available in Debian's build) keeps TCG, which is harmless
        # while the VM stays paused.  The qtest socket is served from the main loop only,
        # i.e. after machine init and its system reset.
        argv += ["-accel", "tcg", "-S",
                 "-chardev", "socket,id=qt,path=qtest.sock,server=on,wait=off",
                 "-qtest", "chardev:qt"]
        helper += ["--out", "stream.qevm", "--boot", "0", "--wait-for", "qtest.done:done",
                   "--wait-timeout", "60"]
    elif mode == "multifd":
        sink = TcpSink(wd)
        argv += ["-accel", "tcg", "-S"]
        helper += ["--uri", "tcp:127.0.0.1:%d" % sink.port, "--cap", "multifd"]
    elif mode == "run":
        argv += ["-accel", "tcg", "-S"]
        helper += ["--out", "stream.qevm", "--run", str(case.get("run", 1))]
    else:
        argv += ["-accel", "tcg", "-S"]
        helper += ["--out", "stream.qevm"]
    cmdline = " ".join(os.path.basename(argv[0]) if i == 0 else a for i, a in enumerate(argv))
    with open(os.path.join(wd, "cmdline.txt"), "w") as f:
        if backend:
            f.write(backend.cmdline() + "\n")
        f.write(cmdline + "\n")
    p = subprocess.Popen(helper + ["--"] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    note = []
    if mode == "qtest":
        qt = None
        qerr = None
        try:
            qt = QTest(os.path.join(wd, "qtest.sock"))
            note = qt.run(case.get("qtest", []))
        except (Fail, OSError) as e:
            qerr = e
        finally:
            # let tools/qmp-migrate.py go on in any case: it stops, migrates and quits QEMU
            with open(os.path.join(wd, "qtest.done"), "w") as f:
                f.write("done")
        try:
            outs, errs = p.communicate(timeout=180)
        finally:
            if qt:
                qt.close()
        if qerr is not None:
            raise Fail("qtest: %s" % qerr)
    else:
        outs, errs = p.communicate(timeout=180)
    if sink:
        sink.close()
    if p.returncode != 0:
        log = ""
        try:
            with open(os.path.join(wd, "qemu.log")) as f:
                log = f.read().strip().splitlines()[-3:]
        except OSError:
            pass
        msg = "%s: migration failed (%s) %s" % (side, errs.strip().splitlines()[-1:]
                                                 if errs else "", " | ".join(log))
        if case.get("tap") and "tap" in " ".join(log).lower():
            raise Skip("tap networking not available here: %s" % " | ".join(log))
        raise Fail(msg)
    if sink:
        main = None
        for fpath in sink.files:
            with open(fpath, "rb") as f:
                if f.read(4) == b"QEVM":
                    main = fpath
        if not main:
            raise Fail("%s: no main channel among %d connections" % (side, len(sink.files)))
        shutil.copyfile(main, out)
        note.append("%d channels, main channel kept" % len(sink.files))
    if verbose:
        if backend:
            print("   %s backend: %s" % (side, backend.cmdline()))
        print("   %s: %s" % (side, cmdline))
        for n in note:
            print("     %s" % n)
    return out, cmdline


def dump(path):
    r = subprocess.run([INSPECT, "dump", "--format", "json", path], capture_output=True,
                       text=True)
    try:
        d = json.loads(r.stdout)
    except ValueError:
        raise Fail("vmstate-inspect dump %s failed: %s" % (path, r.stderr.strip()[-200:]))
    if d.get("error"):
        raise Fail("vmstate-inspect dump %s: %s" % (path, d["error"]))
    with open(path, "rb") as f:
        d["_bytes"] = f.read()
    return d


def load_stream(b, case, stream, glob, wd):
    """Start QEMU configured like the "without" side plus `-global glob` as a migration
    destination for `stream`; return (accepted, message)."""
    os.makedirs(wd, exist_ok=True)
    make_files(case, wd)
    spec = case["without"]
    arch = case.get("arch", "x86_64")
    argv = [b] + (ARM if arch == "aarch64" else X86)
    extra = list(case.get("args", []))
    if "-m" in extra:
        i = argv.index("-m")
        del argv[i:i + 2]
    argv += ["-machine", spec["machine"]] + extra
    if spec.get("global"):
        argv += ["-global", spec["global"]]
    if case.get("tap"):
        argv += ["-netdev", "tap,id=n0,ifname=vitap%dd,script=no,downscript=no,vnet_hdr=on"
                 % (os.getpid() % 10000)]
    argv += ["-global", glob, "-accel", "tcg", "-S", "-display", "none",
             "-incoming", "exec:cat '%s'" % os.path.abspath(stream), "-qmp", "stdio"]
    errf = open(os.path.join(wd, "dest.log"), "w+")
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf,
                         text=True, cwd=wd)

    status = None
    try:
        try:
            q = qmp.stdio(p)
        except (EOFError, OSError, ValueError, qmp.QMPError):   # QEMU gone (failed load)
            q = None
        if q:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    r = q.execute("query-migrate")
                except (EOFError, OSError):
                    break
                status = r.get("return", {}).get("status")
                if status in ("completed", "failed"):
                    break
                time.sleep(0.1)
            try:
                q.execute("quit")
            except (EOFError, OSError):
                pass
    finally:
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    errf.seek(0)
    errs = [l.strip() for l in errf.read().splitlines()
            if l.strip() and "is deprecated" not in l and "warning:" not in l]
    errf.close()
    if status == "completed":
        return True, "loaded"
    return False, (errs[0] if errs else "status %s" % status)


# ---------------------------------------------------------------------------------------
# evaluating an effect on one decoded stream

def vmsd_of(section):
    return section["name"].rsplit("/", 1)[-1]


def device_sections(d, vmsd):
    return [s for s in d["sections"] if s["type"] in ("full", "start")
            and (vmsd == "*" or vmsd_of(s) == vmsd)]


def nodes(n):
    if isinstance(n, dict):
        if "name" in n and "type" in n:
            yield n
        for k, v in n.items():
            if k != "_bytes" and isinstance(v, (dict, list)):
                yield from nodes(v)
    elif isinstance(n, list):
        for v in n:
            yield from nodes(v)


def virtio_payloads(d, vmsd):
    out = []
    for s in device_sections(d, vmsd):
        for n in nodes(s):
            if n.get("type") == "virtio":
                out.append((s, n))
    return out


def features(payload):
    """Negotiated features: virtio/64bit_features (be64) if present, else the low 32 bits."""
    low = None
    for n in nodes(payload):
        if n.get("type") == "subsection" and n["name"] == "virtio/64bit_features":
            for c in nodes(n):
                if c["name"] == "data" and "hex" in c:
                    return int(c["hex"], 16)
        if n["name"] == "guest_features" and "value" in n and low is None:
            low = n["value"]
    return low or 0


def pci_caps(cfg):
    caps = {}
    p = cfg[0x34] if len(cfg) > 0x34 and cfg[6] & 0x10 else 0
    seen = set()
    while p and p not in seen and p + 1 < len(cfg):
        seen.add(p)
        caps.setdefault(cfg[p], p)
        p = cfg[p + 1]
    return caps


def evaluate(eff, d, value):
    """(holds, detail): whether the effect's constraint holds in stream d."""
    k = eff["kind"]
    if k == "subsection-absent":
        found = [s["name"] for s in device_sections(d, eff.get("vmsd", "*"))
                 for n in nodes(s) if n.get("type") == "subsection"
                 and n["name"] == eff["subsection"]]
        if not device_sections(d, eff.get("vmsd", "*")):
            raise Fail("no section %s in the stream" % eff.get("vmsd"))
        return (not found, "%s %s" % (eff["subsection"], "absent" if not found else
                                     "in " + ", ".join(sorted(set(found)))))
    if k == "section-absent":
        found = [s["name"] for s in device_sections(d, eff["vmsd"])]
        return (not found, "section %s %s" % (eff["vmsd"], "absent" if not found else
                                             "present as " + ", ".join(found)))
    if k == "command-absent":
        found = [c for c in d.get("commands", []) if c.get("command") == eff["command"]]
        return (not found, "command %d %s" % (eff["command"],
                                              "absent" if not found else "present"))
    if k == "ram-flag-absent":
        n = sum(s.get("multifd_flushes", 0) for s in d["sections"] if s["name"] == "ram")
        return (n == 0, "%d MULTIFD_FLUSH records" % n)
    if k in ("virtio-queue-count", "virtio-request-queue-count"):
        want = int(value, 0) + eff.get("fixed_queues", 0)
        ps = virtio_payloads(d, eff["vmsd"])
        if not ps:
            raise Fail("no %s virtio payload" % eff["vmsd"])
        got = [p.get("num_queues") for _, p in ps]
        return (all(g == want for g in got), "num_queues %s (expected %d)" % (got, want))
    if k == "msix-vectors":
        want = int(value, 0)
        ps = virtio_payloads(d, eff["vmsd"])
        if not ps:
            raise Fail("no %s virtio payload" % eff["vmsd"])
        got = []
        for _, p in ps:
            t = [n for n in nodes(p) if n["name"] == "transport"]
            got.append(t[0].get("msix_vectors", 0) if t else 0)
        return (all(g == want for g in got), "MSI-X vectors %s (value %d)" % (got, want))
    if k == "virtio-feature-bit":
        ps = virtio_payloads(d, eff["vmsd"])
        if not ps:
            raise Fail("no %s virtio payload" % eff["vmsd"])
        fs = [features(p) for _, p in ps]
        bit = eff["bit"]
        return (all(not (f >> bit) & 1 for f in fs),
                "features %s, bit %d %s" % (["0x%x" % f for f in fs], bit,
                                           "clear" if all(not (f >> bit) & 1 for f in fs)
                                           else "set"))
    if k == "field-value":
        m = re.match(r"(.*)\[(\d+)\]$", eff["path"])
        secs = device_sections(d, eff["vmsd"])
        if not secs:
            raise Fail("no section %s" % eff["vmsd"])
        vals = []
        for s in secs:
            for n in nodes(s):
                if n["name"] == eff["path"] and "value" in n:
                    vals.append(n["value"])
                elif m and n["name"] == m.group(1) and isinstance(n.get("value"), list):
                    vals.append(n["value"][int(m.group(2))])
        if not vals:
            raise Fail("no field %s in %s" % (eff["path"], eff["vmsd"]))
        return (all(v == eff["equals"] for v in vals),
                "%s = %s" % (eff["path"], ", ".join("0x%x" % v for v in vals)))
    if k == "field-absent":
        secs = device_sections(d, eff["vmsd"])
        if not secs:
            raise Fail("no section %s" % eff["vmsd"])
        found = sorted({n["name"] for s in secs for n in nodes(s) if n["name"] in eff["fields"]})
        return (not found, "fields %s" % (", ".join(found) + " present" if found
                                          else ", ".join(eff["fields"]) + " absent"))
    if k == "pci-config-bits":
        data = d["_bytes"]
        res = []
        for s in device_sections(d, eff["vmsd"]):
            for n in nodes(s):
                if n.get("type") != "pci config":
                    continue
                cfg = data[n["offset"]:n["offset"] + n["length"]]
                caps = pci_caps(cfg)
                if eff["capability"] not in caps:
                    continue
                at = caps[eff["capability"]] + eff["offset"]
                reg = int.from_bytes(cfg[at:at + eff["size"]], "little")
                res.append((s["name"], reg))
        if not res:
            raise Fail("no device with capability 0x%x" % eff["capability"])
        ok = all(r & eff["mask"] == eff["value"] for _, r in res)
        return (ok, "; ".join("%s reg 0x%x" % x for x in res))
    if k == "virtio-ring-size":
        want = int(value, 0)
        ps = virtio_payloads(d, eff["vmsd"])
        if not ps:
            raise Fail("no %s virtio payload" % eff["vmsd"])
        sizes = [n["value"] for _, p in ps for n in nodes(p)
                 if n["name"] == "num" and "value" in n]
        return (bool(sizes) and all(x <= want for x in sizes),
                "ring sizes %s (limit %d)" % (sorted(set(sizes)), want))
    if k == "ramblock-name":
        names = [b["name"] for s in d["sections"] if s["name"] == "ram"
                 for n in nodes(s) if n.get("type") == "ramblock list" for b in n["blocks"]]
        rb = eff["ramblock"]
        bare = rb in names
        pathed = [x for x in names if x.endswith("/" + rb)]
        holds = (bare and not pathed) if not eff.get("device_path") else (bool(pathed) and not bare)
        return (holds, "RAMBlocks %s" % ([x for x in names if x.endswith(rb)]))
    if k == "scsi-request-layout":
        lists = [n for s in device_sections(d, eff["vmsd"]) for n in nodes(s)
                 if n.get("type") == "scsi-requests"]
        readings = set()
        for n in lists:
            raw = d["_bytes"][n["offset"]:n["offset"] + n["length"]]
            for hba in SCSI_HBA_PARTS:
                for part in (False, True):
                    emu = scsi_requests(raw, hba, part)
                    if emu:
                        readings.add((part, ", ".join("%s %02x" % (r, op) for r, op in emu)))
        if len(readings) != 1:
            raise Fail("scsi-requests: want one reading with an emulated request in flight, "
                       "got %s" % (sorted(readings) or "none"))
        part, what = readings.pop()
        return (not part, "emulated request(s) in flight (%s) %s the disk part"
                % (what, "with" if part else "without"))
    raise Skip("effect kind %s cannot be evaluated" % k)


# hw/scsi/scsi-bus.c put_scsi_requests(), per request: s8 1 (retry) or 2, CDB[16], be32 tag,
# be32 lun, the HBA's part (virtio-scsi: be32 queue + VirtQueueElementOld, 49168 bytes on
# 64-bit hosts), scsi-disk's part (be64 sector, be32 count, be32 buflen, then data if
# buflen: TO_DEV: the buffer, else unless retrying be32 len + data); end: s8 0.
SCSI_HBA_PARTS = (0, 4 + 49168)
SCSI_DMA = {0x08, 0x0a, 0x28, 0x2a, 0xa8, 0xaa, 0x88, 0x8a, 0x2e, 0x2f, 0xae, 0xaf, 0x8e, 0x8f}
SCSI_TO_DEV = {0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae, 0x8e, 0x15, 0x55, 0x42, 0x3b, 0x41, 0x93,
               0x04}


def scsi_requests(raw, hba, emulated_part):
    """The emulated requests [(retry|new, opcode)] if `raw` parses exactly as a request list
    whose emulated requests carry the disk part (emulated_part) or not; else None."""
    p, emu = 0, []
    while p < len(raw):
        kind = raw[p]
        if kind == 0:
            return emu if p + 1 == len(raw) else None
        if kind not in (1, 2) or p + 25 > len(raw):
            return None
        op = raw[p + 1]
        p += 25 + hba
        if op not in SCSI_DMA:
            emu.append(("retry" if kind == 1 else "new", op))
            if not emulated_part:
                continue
        if p + 16 > len(raw):
            return None
        count, buflen = struct.unpack(">II", raw[p + 8:p + 16])
        p += 16
        if buflen and op in SCSI_TO_DEV:
            p += min(count * 512, buflen)
        elif buflen and kind == 2:
            p += 4 + struct.unpack(">I", raw[p:p + 4])[0]
    return None


def check_virtio_gpu_scanout(dw, dwo, eff):
    """x-scanout-vmstate-version=1: the 'virtio-gpu' field (hand-written save: resource
    list, then the scanouts vmstate) is 24 bytes shorter per output."""
    def one(d):
        for s in device_sections(d, eff["vmsd"]):
            for n in nodes(s):
                if n["name"] == "virtio-gpu" and n.get("type") == "virtio-gpu":
                    return n["length"], n.get("hex", "")
        raise Fail("no virtio-gpu field")
    lw, hw = one(dw)
    lo, ho = one(dwo)
    # layout: be32 0 (end of resources), be32 enable, be32 max_outputs, scanouts
    outputs = int(ho[16:24], 16) if len(ho) >= 24 else 1
    per = len(eff["fields"]) * 4
    ok = lo - lw == per * outputs
    return ok, "virtio-gpu field %d bytes (with) vs %d (without), %d output(s) x %d bytes" % (
        lw, lo, outputs, per)


def check_agrees(rule, case, release, arch, wd):
    """src/check-compat*.c must see the rule as evaluate() does: `check --machine` with the
    "with" machine type reports it (class machine-property) on the "without" stream and
    not on the "with" stream."""
    got = {}
    for side in ("with", "without"):
        r = subprocess.run([INSPECT, "check", "--format", "json", "--target",
                            "qemu-%s/%s" % (release, arch), "--machine",
                            case["with"]["machine"], os.path.join(wd, side, "stream.qevm")],
                           capture_output=True, text=True)
        try:
            fs = json.loads(r.stdout)["files"][0]["findings"]
        except (ValueError, KeyError, IndexError):
            raise Fail("vmstate-inspect check on the %s stream failed: %s"
                       % (side, r.stderr.strip()[-200:]))
        got[side] = [f for f in fs if f["class"] == "machine-property" and
                     " %s=" % rule["property"] in f["message"] and rule["driver"] in f["message"]]
    if got["with"] or not got["without"]:
        raise Fail("check --machine %s disagrees: %d finding(s) on the stream made with the "
                   "property, %d without" % (case["with"]["machine"], len(got["with"]),
                                            len(got["without"])))
    return "check: %d finding(s) without, none with" % len(got["without"])


# ---------------------------------------------------------------------------------------

def machine_doc(release, arch):
    p = os.path.join(MACHINES, "qemu-%s" % release, "%s.json" % arch)
    with open(p) as f:
        return json.load(f)


def property_value(rule, case, side, release, arch):
    """The value the property has on `side`, or None if the compat property is not set."""
    spec = case[side]
    if spec.get("global"):
        drv, rest = spec["global"].split(".", 1)
        prop, val = rest.split("=", 1)
        if drv == rule["driver"] and prop == rule["property"]:
            return val
    m = machine_doc(release, arch)["machines"].get(spec["machine"])
    if m is None:
        raise Fail("machine %s not in schemas/machines/qemu-%s/%s.json"
                   % (spec["machine"], release, arch))
    vals = [p["value"] for p in m["compat_props"]
            if p["driver"] == rule["driver"] and p["property"] == rule["property"]]
    return vals[-1] if vals else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", metavar="DIR", help="keep the streams and logs in DIR")
    ap.add_argument("--only", nargs="*", metavar="RULE-ID")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--rules", default=RULES, help="rules file (default schemas/compat-rules.json)")
    a = ap.parse_args()

    dirs = qemu_dirs()
    bins = {}
    for rel in ("7.2", "10.0"):
        for arch in ("x86_64", "aarch64"):
            bins[(rel, arch)] = qemu_binary(dirs, rel, arch)
    if not bins[("10.0", "x86_64")] or not bins[("10.0", "aarch64")]:
        print("evidence: QEMU 10.0 not found (tools/install-qemu.sh, QEMU10_BIN_DIR)")
        return 77
    if not os.access(INSPECT, os.X_OK):
        print("evidence: %s not built" % os.path.relpath(INSPECT, ROOT))
        return 77
    with open(a.rules) as f:
        rules = json.load(f)["rules"]
    if a.only:
        rules = [r for r in rules if r["id"] in a.only]

    work = a.keep or tempfile.mkdtemp(prefix="vmi-evidence-")
    os.makedirs(work, exist_ok=True)
    streams = {}
    passed = failed = skipped = 0
    for r in rules:
        case_name = r["evidence"].rsplit("/", 1)[-1]
        case = CASES.get(case_name)
        try:
            if case is None:
                raise Fail("no case %s in tests/machine/evidence.py" % case_name)
            if "skip" in case:
                raise Skip(case["skip"])
            release = case.get("release", "10.0")
            arch = case.get("arch", "x86_64")
            b = bins.get((release, arch))
            if not b:
                raise Skip("QEMU %s %s not installed" % (release, arch))
            vw = property_value(r, case, "with", release, arch)
            vo = property_value(r, case, "without", release, arch)
            if vw is None:
                raise Fail("%s does not set %s.%s" % (case["with"]["machine"], r["driver"],
                                                     r["property"]))
            if r["when"] is not None and vw != r["when"]:
                raise Fail("%s sets %s.%s=%s, rule is for %s" % (
                    case["with"]["machine"], r["driver"], r["property"], vw, r["when"]))
            if vo is not None and (r["when"] is None or vo == r["when"]):
                raise Fail("%s also sets %s.%s=%s" % (case["without"]["machine"], r["driver"],
                                                     r["property"], vo))
            if a.verbose:
                print("-- %s (case %s, QEMU %s %s)" % (r["id"], case_name, release, arch))
            if case_name not in streams:
                got = {}
                for side in ("with", "without"):
                    path, _ = make_stream(b, case, side, os.path.join(work, case_name, side),
                                          a.verbose)
                    got[side] = dump(path)
                streams[case_name] = got
            dw, dwo = streams[case_name]["with"], streams[case_name]["without"]
            if case.get("check") == "virtio-gpu-scanout":
                ok, detail = check_virtio_gpu_scanout(dw, dwo, r["effect"])
                if not ok:
                    raise Fail(detail)
            else:
                hw, detw = evaluate(r["effect"], dw, vw)
                ho, deto = evaluate(r["effect"], dwo, vw)
                detail = "%s=%s (%s): %s | %s: %s" % (
                    r["property"], vw, case["with"].get("global") or case["with"]["machine"],
                    detw, case["without"].get("global") or case["without"]["machine"], deto)
                if not hw:
                    raise Fail("effect does not hold where the property applies: " + detail)
                if ho:
                    raise Fail("no difference: the effect also holds without the "
                               "property: " + detail)
            if not case["with"].get("global"):
                detail += " | " + check_agrees(r, case, release, arch,
                                               os.path.join(work, case_name))
            expect = r.get("load_with_property")
            if expect in ("rejected", "accepted") and not case.get("no_load"):
                glob = "%s.%s=%s" % (r["driver"], r["property"], vw)
                accepted, msg = load_stream(
                    b, case, os.path.join(work, case_name, "without", "stream.qevm"), glob,
                    os.path.join(work, case_name, "load-" + r["id"]))
                got = "accepted" if accepted else "rejected"
                detail += " | QEMU %s %s -global %s: %s (%s)" % (
                    release, case["without"]["machine"], glob, got, msg)
                if got != expect:
                    raise Fail("destination with the property %s the stream made without "
                               "it, rule says %s: %s" % (got, expect, detail))
            print("PASS %s: %s" % (r["id"], detail))
            passed += 1
        except Skip as e:
            print("SKIP %s: %s" % (r["id"], e))
            skipped += 1
        except (Fail, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
            print("FAIL %s: %s" % (r["id"], e))
            failed += 1
        sys.stdout.flush()
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("%d skipped" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
