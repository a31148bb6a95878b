#!/usr/bin/env python3
"""The progress line: shown on a terminal while a compressed file or a pipe
is unpacked or copied (VMSTATE_INSPECT_PROGRESS_AFTER_MS=0 shows it at once
instead of after a second), erased when done so the output and an error
line start clean; never with -q/--quiet, never when stderr is not a
terminal; standard output is the same either way."""
import os, pty, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vitest as vt  # noqa: E402
from vitest import expect  # noqa: E402

VI = vt.need_bin()
DATA = vt.DATA
XZ = os.path.join(DATA, "v72-x86-q35-7.2-minimal.qevm.xz")


def on_pty(args, env_extra=None, stdin=None):
    """(exit, stdout bytes, what the terminal on stderr saw)"""
    m, s = pty.openpty()
    env = dict(os.environ, **(env_extra or {}))
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=s, stdin=stdin, env=env)
    os.close(s)
    seen = b""
    while True:
        try:
            d = os.read(m, 65536)
        except OSError:
            break
        if not d:
            break
        seen += d
    os.close(m)
    return p.returncode, p.stdout, seen.decode(errors="replace")


now = {"VMSTATE_INSPECT_PROGRESS_AFTER_MS": "0"}
ref = subprocess.run([VI, "dump", "--format", "json", XZ], capture_output=True)
rc, out, tty = on_pty([VI, "dump", "--format", "json", XZ], now)
expect("xz file on a terminal: a progress line", rc == 0 and "xz: " in tty and "MiB/s" in tty
       and tty.startswith("\r"), tty)
expect("the line is erased at the end", tty.rstrip(" ").endswith("\r") and
       tty.split("\r")[-2].strip() == "", tty)
expect("standard output unchanged", out == ref.stdout and ref.stderr == b"", ref.stderr)
for q in ("-q", "--quiet"):
    rc, out, tty = on_pty([VI, "dump", q, "--format", "json", XZ], now)
    expect(f"dump {q}: nothing on the terminal", rc == 0 and tty == "" and out == ref.stdout,
           tty)
rc, out, tty = on_pty([VI, "check", "-q", "--target", "qemu-7.2/x86_64", XZ], now)
expect("check -q: no progress line", "MiB/s" not in tty, tty)
cat = subprocess.Popen(["cat", XZ], stdout=subprocess.PIPE)
rc, out, tty = on_pty([VI, "dump", "--format", "json", "-"], now, stdin=cat.stdout)
cat.stdout.close()
cat.wait()
expect("a pipe of xz: read once, the xz layer shown", rc == 0 and "xz: " in tty and
       "MiB/s" in tty and out == ref.stdout.replace(XZ.encode(), b"-"), tty)
with tempfile.NamedTemporaryFile(suffix=".qevm") as t:
    t.write(subprocess.run(["xz", "-dc", XZ], capture_output=True).stdout)
    t.flush()
    cat = subprocess.Popen(["cat", t.name], stdout=subprocess.PIPE)
    rc, out, tty = on_pty([VI, "dump", "--format", "json", "-"], now, stdin=cat.stdout)
    cat.stdout.close()
    cat.wait()
expect("an uncompressed pipe: bytes read shown", rc == 0 and "reading: " in tty and
       "MiB/s" in tty, tty)
rc, out, tty = on_pty([VI, "dump", "--format", "json", XZ])
expect("default delay: a fast input shows nothing", rc == 0 and tty == "", tty)
with tempfile.NamedTemporaryFile(suffix=".xz") as t:
    t.write(open(XZ, "rb").read()[:40000])
    t.flush()
    rc, out, tty = on_pty([VI, "dump", t.name], now)
    parts = tty.rstrip("\r\n").split("\r")
    expect("an error after the line: on a clean line of its own",
           rc == 3 and len(parts) >= 3 and parts[-2].strip() == "" and
           parts[-1].startswith(f"vmstate-inspect: {t.name}: byte"), tty)
p = subprocess.run([VI, "dump", "--format", "json", XZ], capture_output=True,
                   env=dict(os.environ, **now))
expect("stderr not a terminal: nothing", p.returncode == 0 and p.stderr == b"", p.stderr)
sys.exit(vt.done())
