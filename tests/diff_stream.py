#!/usr/bin/env python3
"""diff of two streams, on saves made now by real QEMU 7.2 and 10.0 on each
architecture: one idle guest is started, run, stopped and saved twice (a, b),
then a device is hot-added and it is saved again (c).

  x86_64   pc-i440fx, SeaBIOS with nothing to boot, saved with the CPU in HLT
  aarch64  virt, a two-instruction guest (wfi; b .-4) put in RAM with
           -device loader, a pcie-root-port to hot-plug into
  riscv64  virt -bios none, the same (wfi; j .-4), a pcie-root-port
  s390x    s390-ccw-virtio, the firmware finds nothing to boot and waits
  ppc64    pseries, a firmware image of one instruction (b . at 0x100)

  - a vs b differ only in fields the documented default ignore set covers
    (with --no-default-ignore every difference matches one of its
    patterns; with the default set: exit 0, "same");
  - b vs c shows exactly the added device: its section only in c, nothing
    else but what the arch's hotplug controller records (HOTPLUG below);
  - a stream against itself is the same; the JSON and text agree on the
    verdict; offsets point at the fields in each file.

Each (release, arch) whose QEMU is not installed (tools/install-qemu.sh) is
skipped and said so; exit 77 when none is."""
import fnmatch
import json
import os
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
RELEASES = ("7.2", "10.0")
ARCHES = ("x86_64", "aarch64", "ppc64", "s390x", "riscv64")
# What adding a device changes besides its own section: the hotplug
# controller of each machine (sections matched by suffix, field patterns).
HOTPLUG = {
    "x86_64": ((), ("*piix4_pm/ar.gpe/sts", "*piix4_pm/acpi_pci_hotplug*")),
    # the root port's config space: slot status, presence detect
    "aarch64": ((), ("*/pcie-root-port/*",)),
    "riscv64": ((), ("*/pcie-root-port/*",)),
    # a channel report word pending, the channel path now in use
    "s390x": ((), ("qemu-s390-flic/*", "s390_css/*")),
    # the slot's dynamic reconfiguration connector, its event interrupt
    "ppc64": (("spapr_drc", "spapr_drc/physical"), ("ics/irqs/*", "spapr/spapr_pending_events")),
}


def qemu_binary(rel, arch):
    if arch == "x86_64":    # the CI image's own builds, else the installed wrappers
        own = {"10.0": os.path.join(os.environ.get("QEMU10_BIN_DIR", "/opt/qemu-10.0/bin"),
                                    "qemu-system-x86_64"),
               "7.2": os.path.join(os.environ.get("QEMU72_BIN_DIR", "/usr/bin"),
                                   "qemu-system-x86_64")}[rel]
        if os.access(own, os.X_OK):
            return own
    return os.path.join(QBIN, f"qemu-{rel}-{arch}")


def guest(rel, arch, wd):
    """(machine arguments, device_add arguments, whether to wait for HLT)."""
    def image(name, words, big=False, at=0):
        with open(os.path.join(wd, name), "wb") as f:
            f.write(bytes(at) + b"".join(w.to_bytes(4, "big" if big else "little") for w in words))
    if arch == "x86_64":
        return (["-machine", "pc-i440fx-" + rel, "-m", "64M"],
                dict(driver="virtio-rng-pci", id="rng0"), True)
    if arch in ("aarch64", "riscv64"):
        # below the device tree virt puts at the start of RAM
        base = 0x44000000 if arch == "aarch64" else 0x80000000
        if arch == "aarch64":
            image("g.bin", [0xd503207f, 0x17ffffff])              # wfi; b .-4
            m = ["-machine", "virt-" + rel, "-cpu", "cortex-a57"]
        else:
            image("g.bin", [0x10500073, 0xffdff06f])              # wfi; j .-4
            m = ["-machine", "virt", "-bios", "none"]
        return (m + ["-m", "128M", "-device", f"loader,file=g.bin,addr={base:#x}",
                     "-device", f"loader,addr={base:#x},cpu-num=0",
                     "-device", "pcie-root-port,id=rp0,chassis=1"],
                dict(driver="virtio-rng-pci", id="rng0", bus="rp0"), False)
    if arch == "s390x":   # the firmware's disabled wait must not end QEMU
        return (["-machine", "s390-ccw-virtio-" + rel, "-m", "128M", "-no-shutdown"],
                dict(driver="virtio-rng-ccw", id="rng0"), False)
    image("fw.bin", [0x48000000], big=True, at=0x100)            # b . at the entry
    # a 128 MiB DMA window: the default 1 GiB one is a 2 MiB TCE table of
    # 262144 values, over the decoded-value limit (vi-limits.h)
    return (["-machine", "pseries-" + rel, "-bios", "fw.bin", "-m", "256M",
             "-global", "spapr-pci-host-bridge.dma_win_size=0x8000000"],
            dict(driver="virtio-rng-pci", id="rng0"), False)


def stop_halted(q):
    """Stop the guest while its CPU sits in HLT: an idle guest wakes for
    every timer tick, and a save taken inside the interrupt handler differs
    in registers, not only in clocks."""
    for _ in range(100):
        q.cmd("stop")
        regs = q.cmd("human-monitor-command", **{"command-line": "info registers"})
        if "HLT=1" in regs:
            return
        q.cmd("cont")
        time.sleep(0.05)
    raise RuntimeError("the guest never halted")


def save_three(qemu, rel, arch, wd):
    sock = os.path.join(wd, "qmp.sock")
    machine, add, hlt = guest(rel, arch, wd)
    stop = stop_halted if hlt else (lambda q: q.cmd("stop"))
    p = subprocess.Popen([qemu, "-nodefaults", "-nographic", "-accel", "tcg", *machine,
                          "-smp", "1", "-S", "-qmp", f"unix:{sock},server=on,wait=off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=wd)
    try:
        q = qmp.connect(sock, error=RuntimeError)
        q.cmd("cont")
        time.sleep(2)
        stop(q)
        q.cmd("cont")         # s390x: "paused" in both saves, not guest-panicked in a
        stop(q)
        qmp.migrate_to_file(q, os.path.join(wd, "a.qevm"))
        q.cmd("cont")
        time.sleep(1)
        stop(q)
        qmp.migrate_to_file(q, os.path.join(wd, "b.qevm"))
        q.cmd("cont")         # a VM paused by a migration is not migrated again
        q.cmd("device_add", **add)
        time.sleep(1)
        stop(q)
        qmp.migrate_to_file(q, os.path.join(wd, "c.qevm"))
        q.cmd("quit")
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
    return [os.path.join(wd, n + ".qevm") for n in "abc"]


def diff(*args):
    return vt.run("diff", *args)


def djson(*args):
    rc, out, err = diff("--format", "json", *args)
    return rc, json.loads(out) if out.strip() else None, err


def main():
    ran = 0
    for arch in ARCHES:
        for rel in RELEASES:
            qemu = qemu_binary(rel, arch)
            if not os.access(qemu, os.X_OK):
                print(f"qemu-{rel}/{arch}: not installed (tools/install-qemu.sh): skipped")
                continue
            ran += 1
            one(qemu, rel, arch)
    print(f"diff of streams: {ran} release/arch pair(s), {len(vt.failures)} failure(s)")
    if not ran:
        vt.skip("no QEMU 7.2 or 10.0 is installed")
    return vt.done()


def one(qemu, rel, arch):
    if True:
        with tempfile.TemporaryDirectory(prefix="vi-diff.") as wd:
            a, b, c = save_three(qemu, rel, arch, wd)
            label = f"qemu-{rel}/{arch}"
            # a vs b, nothing ignored: every difference is a default-ignored field
            rc, raw, err = djson("--no-default-ignore", a, b)
            rc_d, dflt, _ = djson(a, b)
            patterns = dflt["ignore_patterns"]
            paths = [f["path"] for f in raw["fields"]]
            paths += ["ram/%s@0x%x" % (r["block"], addr) for r in raw["ram"] if not r["same"]
                      for addr in r.get("page_addresses", [])]
            print(f"{label}: two saves of one idle guest differ in {len(paths)} field(s): {paths}")
            for pth in paths:
                check(any(fnmatch.fnmatchcase(pth, pat) for pat in patterns),
                      f"{label}: {pth} is in the documented default ignore set")
            check(not raw["sections_only_in_a"] and not raw["sections_only_in_b"]
                  and not raw["versions"], f"{label}: same sections and versions")
            ram = [r for r in raw["ram"] if not r["same"]]
            check(all(r["pages_differ"] == len(r["page_addresses"]) for r in ram),
                  f"{label}: every differing page listed")
            check(rc_d == 0 and dflt["same"] and dflt["ignored"] == len(paths),
                  f"{label}: with the default ignore set a and b are the same (exit {rc_d}; "
                  f"{len(dflt['fields'])} field(s), ram {[r['block'] for r in dflt['ram'] if not r['same']]})")
            rc_t, text, _ = diff(a, b)
            check(rc_t == rc_d and text.rstrip().endswith("same"), f"{label}: text says same")
            # field offsets point into each file
            for f in raw["fields"][:5]:
                check(f["offset_a"] is not None and f["offset_b"] is not None,
                      f"{label}: {f['path']} has an offset in both files")
            # b vs c: exactly the added device
            rc, bc, _ = djson(b, c)
            only = [s["section"] for s in bc["sections_only_in_b"]]
            hp_secs, hp = HOTPLUG[arch]
            rng = [s for s in only if s.endswith("/virtio-rng")]
            rest = sorted(s for s in only if s not in rng)
            check(rc == 1 and len(rng) == 1 and rest == sorted(hp_secs),
                  f"{label}: b -> c adds exactly the virtio-rng section ({only})")
            # adding a device is recorded by the machine's hotplug controller too
            other = [f["path"] for f in bc["fields"]
                     if not any(fnmatch.fnmatchcase(f["path"], h) for h in hp)]
            print(f"{label}: b -> c: {only}, fields {[f['path'] for f in bc['fields']]}")
            check(not bc["sections_only_in_a"] and not bc["versions"] and not other,
                  f"{label}: nothing else differs ({other[:3]})")
            extra = [r["block"] for r in bc["ram"] if not r["same"]]
            check(all(r.get("only_in_b") and "virtio-rng" in r["block"] for r in bc["ram"]
                      if not r["same"]), f"{label}: RAM unchanged but for the device's own ({extra})")
            rc, self_, _ = djson(c, c)
            check(rc == 0 and self_["same"], f"{label}: a stream is the same as itself")
            # --ignore with a pattern hides the field
            if raw["fields"]:
                rc, ig, _ = djson("--no-default-ignore", "--ignore", "*", a, b)
                check(not ig["fields"] and ig["same"] and ig["ignored"] == len(paths),
                      f"{label}: --ignore '*' ({ig['ignored']} of {len(paths)})")


if __name__ == "__main__":
    sys.exit(main())
