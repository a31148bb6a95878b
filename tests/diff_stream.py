#!/usr/bin/env python3
"""diff of two streams, on saves made now by real QEMU (7.2 and 10.0,
x86_64 i440fx, whose PCI bus takes hot-plugged devices): one guest is started, run, stopped and saved twice (a, b),
then a virtio-rng-pci is hot-added and it is saved again (c); each save is
taken with the CPU halted (idle, not inside its timer interrupt).

  - a vs b differ only in fields the documented default ignore set covers
    (with --no-default-ignore every difference matches one of its
    patterns; with the default set: exit 0, "same");
  - b vs c shows exactly the added device: one section only in c, no
    field, version or RAM difference outside it;
  - a stream against itself is the same; the JSON and text agree on the
    verdict; offsets point at the fields in each file.

Exit 77 when the QEMU binaries are not installed (tools/install-qemu.sh)."""
import fnmatch
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

VI = os.environ["VI_BIN"]
QEMUS = {"10.0": os.path.join(os.environ.get("QEMU10_BIN_DIR", "/opt/qemu-10.0/bin"),
                              "qemu-system-x86_64"),
         "7.2": os.path.join(os.environ.get("QEMU72_BIN_DIR", "/usr/bin"), "qemu-system-x86_64")}
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)
    return ok


class QMP:
    def __init__(self, path):
        for _ in range(300):
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError(f"{name}: {r['error']}")

    def migrate(self, out):
        self.cmd("migrate", uri="exec:cat > " + out)
        for _ in range(1200):
            st = self.cmd("query-migrate").get("status")
            if st == "completed":
                return
            if st in ("failed", "cancelled"):
                raise RuntimeError("migration " + st)
            time.sleep(0.1)
        raise RuntimeError("migration did not complete")


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


def save_three(qemu, rel, wd):
    sock = os.path.join(wd, "qmp.sock")
    p = subprocess.Popen([qemu, "-nodefaults", "-nographic", "-accel", "tcg",
                          "-machine", "pc-i440fx-" + rel, "-m", "64M", "-smp", "1", "-S",
                          "-qmp", f"unix:{sock},server=on,wait=off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=wd)
    try:
        q = QMP(sock)
        q.cmd("cont")
        time.sleep(2)
        stop_halted(q)
        q.migrate(os.path.join(wd, "a.qevm"))
        q.cmd("cont")
        time.sleep(1)
        stop_halted(q)
        q.migrate(os.path.join(wd, "b.qevm"))
        q.cmd("cont")         # a VM paused by a migration is not migrated again
        q.cmd("device_add", driver="virtio-rng-pci", id="rng0")
        time.sleep(1)
        stop_halted(q)
        q.migrate(os.path.join(wd, "c.qevm"))
        q.cmd("quit")
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
    return [os.path.join(wd, n + ".qevm") for n in "abc"]


def diff(*args):
    p = subprocess.run([VI, "diff", *args], capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def djson(*args):
    rc, out, err = diff("--format", "json", *args)
    return rc, json.loads(out) if out.strip() else None, err


def main():
    if not all(os.access(q, os.X_OK) for q in QEMUS.values()):
        print("QEMU 7.2 and 10.0 are needed (tools/install-qemu.sh): skipped")
        return 77
    for rel, qemu in QEMUS.items():
        with tempfile.TemporaryDirectory(prefix="vi-diff.") as wd:
            a, b, c = save_three(qemu, rel, wd)
            label = f"qemu-{rel}"
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
            check(rc == 1 and len(only) == 1 and only[0].endswith("/virtio-rng"),
                  f"{label}: b -> c adds exactly the virtio-rng section ({only})")
            # adding a device is recorded by the ACPI PCI hotplug controller too
            hp = ("*piix4_pm/ar.gpe/sts", "*piix4_pm/acpi_pci_hotplug*")
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
    print(f"diff of streams: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
