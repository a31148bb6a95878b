#!/usr/bin/env python3
"""Privacy: a marker written into guest RAM (-device loader) and keystrokes
typed into the PS/2 keyboard's queue (HMP sendkey; their scancodes stay in
the queue's buffer) are in the stream QEMU 10.0 saves, and `dump` shows the
keystrokes; `dump --redact` (text and JSON) and `report` (text, JSON,
markdown, HTML) contain neither.

Exit 77 when QEMU 10.0 is not installed (tools/install-qemu.sh)."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diff_stream import QMP  # noqa: E402

VI = os.environ["VI_BIN"]
QEMU = os.path.join(os.environ.get("QEMU10_BIN_DIR", "/opt/qemu-10.0/bin"), "qemu-system-x86_64")
MARKER = b"VI-PRIVACY-MARKER-7d3f9c"
KEYS = "marker"
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)
    return ok


def save(wd):
    open(os.path.join(wd, "marker.bin"), "wb").write((MARKER + b" ") * 160)
    sock = os.path.join(wd, "qmp.sock")
    p = subprocess.Popen([QEMU, "-nodefaults", "-nographic", "-accel", "tcg", "-machine",
                          "pc-q35-10.0", "-m", "64M", "-S",
                          "-device", "loader,file=marker.bin,addr=0x300000",
                          "-qmp", f"unix:{sock},server=on,wait=off"],
                         cwd=wd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        q = QMP(sock)
        q.cmd("cont")
        time.sleep(2)           # the firmware has set the keyboard up
        for k in KEYS:          # delivered on the guest's clock: it must run
            q.cmd("human-monitor-command", **{"command-line": "sendkey " + k})
        time.sleep(1)
        q.cmd("stop")
        q.migrate(os.path.join(wd, "s.qevm"))
        q.cmd("quit")
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
    return os.path.join(wd, "s.qevm")


def vi(*args):
    p = subprocess.run([VI, *args], capture_output=True)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    if not os.access(QEMU, os.X_OK):
        print("QEMU 10.0 is needed (tools/install-qemu.sh): skipped")
        return 77
    with tempfile.TemporaryDirectory(prefix="vi-privacy.") as wd:
        stream = save(wd)
        data = open(stream, "rb").read()
        check(MARKER in data, "the RAM marker is in the stream")
        rc, plain = vi("dump", "--format", "json", stream)
        # the scancodes of the keys typed, make and break: m a r k e r
        keys = "32b21e9e139325a512921393"
        check(rc == 0 and keys in plain, "dump shows the keystrokes in the keyboard queue")
        forms = [MARKER.decode(), MARKER.hex(), keys, keys[:8]]
        outputs = {
            "dump --redact": vi("dump", "--redact", stream),
            "dump --redact json": vi("dump", "--redact", "--format", "json", stream),
            "report": vi("report", stream),
            "report json": vi("report", "--format", "json", stream),
            "report markdown": vi("report", "--format", "markdown", stream),
            "report html": vi("report", "--format", "html", stream),
        }
        for name, (rc, out) in outputs.items():
            check(rc == 0 and len(out) > 500, f"{name} ran ({rc})")
            for f in forms:
                check(f not in out, f"{name} does not contain {f}")
        red = outputs["dump --redact"][1]
        check("redacted=keyboard/mouse queue" in red, "dump --redact says what it redacted")
        n = red.count("redacted_xxh3_128=")
        print(f"privacy: markers in RAM and in the PS/2 queue; dump --redact replaced {n} "
              f"value(s); {len(outputs)} outputs checked; {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
