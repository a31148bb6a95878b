"""The one QMP client of tools/ and tests/ (QEMU's JSON monitor protocol).

    q = qmp.connect("qmp.sock", proc)     # -qmp unix:qmp.sock,server=on,wait=off
    q = qmp.stdio(proc)                   # -qmp stdio, proc made with stdin/stdout pipes
    q.cmd("query-migrate")                # the "return" value; QMPError on "error"
    q.execute("quit")                     # the whole answer ({"return"} or {"error"})
    q.close()

Both read the greeting and send qmp_capabilities (negotiate=False leaves
that to the caller).  Events are kept in q.events.  A closed connection is
EOFError; an error answer or a QEMU that exits before its socket answers is
QMPError, or the exception class given as error=.
"""
import json
import os
import socket
import time


class QMPError(Exception):
    pass


class QMP:
    """A QMP session over a binary reader and writer."""

    def __init__(self, read_line, write, close, error=QMPError):
        self._read_line, self._write, self._close = read_line, write, close
        self.error = error
        self.events = []

    def read(self):
        line = self._read_line()
        if not line:
            raise EOFError("QMP connection closed")
        return json.loads(line)

    def greet(self, negotiate=True):
        g = self.read()
        if "QMP" not in g:
            raise self.error("no QMP greeting: %r" % (g,))
        if negotiate:
            self.cmd("qmp_capabilities")
        return self

    def execute(self, name, args=None):
        """Send one command; its answer ({"return": ...} or {"error": ...})."""
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self._write(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.read()
            if "event" in r:
                self.events.append(r)
                continue
            if "return" in r or "error" in r:
                return r

    def cmd(self, name, /, **args):
        r = self.execute(name, args)
        if "error" in r:
            raise self.error("QMP %s: %s" % (name, r["error"].get("desc", r["error"])))
        return r.get("return")

    def close(self):
        try:
            self._close()
        except OSError:
            pass


def _socket_session(s, error):
    buf = [b""]

    def read_line():
        while b"\n" not in buf[0]:
            data = s.recv(65536)
            if not data:
                return b""
            buf[0] += data
        line, buf[0] = buf[0].split(b"\n", 1)
        return line

    return QMP(read_line, s.sendall, s.close, error)


def connect(path, proc=None, timeout=30, cmd_timeout=None, negotiate=True, error=QMPError):
    """Connect to QEMU's QMP unix socket at path, retrying until it answers
    (timeout seconds; at once an error when proc has exited meanwhile).  A
    path too long for a socket address is reached relative to the current
    directory.  cmd_timeout: seconds one answer may take (None: no limit)."""
    if len(path.encode()) >= 100:
        path = os.path.relpath(path)
    deadline = time.time() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise error("QEMU exited (status %d) before QMP was up" % proc.returncode)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(cmd_timeout)
        try:
            s.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.time() > deadline:
                raise error("no QMP socket %s after %gs" % (path, timeout))
            time.sleep(0.05)
    q = _socket_session(s, error)
    try:
        return q.greet(negotiate)
    except BaseException:
        q.close()
        raise


def stdio(proc, negotiate=True, error=QMPError):
    """A session with a QEMU started with -qmp stdio (proc's stdin and stdout
    pipes, text or binary)."""
    text = hasattr(proc.stdout, "encoding")

    def write(b):
        proc.stdin.write(b.decode() if text else b)
        proc.stdin.flush()

    def close():
        proc.stdin.close()

    q = QMP(proc.stdout.readline, write, close, error)
    return q.greet(negotiate)


def migrate_to_file(q, out, timeout=120):
    """migrate to exec:cat > out and wait until it completes (QMPError when it
    fails, is cancelled or takes longer than timeout seconds)."""
    q.cmd("migrate", uri="exec:cat > " + out)
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = q.cmd("query-migrate").get("status")
        if st == "completed":
            return
        if st in ("failed", "cancelled"):
            raise q.error("migration " + st)
        time.sleep(0.1)
    raise q.error("migration did not complete")
