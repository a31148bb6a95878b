#!/usr/bin/env python3
"""qmp-migrate.py - run a QEMU, migrate it to a file over QMP, quit.

Plain python3, standard library only.

    qmp-migrate.py [options] -- QEMU-BINARY ARG...

QEMU is started with its working directory set to --workdir (default: the current one), so
relative paths in its command line (disk images, the QMP socket) resolve there. The command
line must contain a QMP unix socket, e.g. "-qmp unix:qmp.sock,server=on,wait=off"; its path
is taken from there. Procedure:

  1. start QEMU, connect to QMP, qmp_capabilities
  2. migrate-set-capabilities (--cap) and migrate-set-parameters (--param), if any, then any
     extra QMP commands (--qmp)
  3. if --run S: cont, sleep S seconds, stop      (for a QEMU started with -S)
     if --boot S: [wait for --wait-for text], sleep S seconds (guest was started running),
     then stop unless --live
  4. migrate to --uri (default "exec:cat > OUT"), poll query-migrate until it completes;
     with --savevm NAME instead: HMP "savevm NAME", which writes the stream into the VM's
     qcow2 disk as an internal snapshot (no OUT)
  5. quit, wait for QEMU to exit

A JSON summary (final query-migrate answer, capabilities, parameters, run state before the
migration) is printed on stdout. QEMU's own stdout/stderr go to --log (default: qemu.log in
the work directory). Exit status is 0 only if the migration completed and OUT is non-empty.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMPError, connect  # noqa: E402


def qmp_socket_path(argv):
    for i, a in enumerate(argv[:-1]):
        if a in ("-qmp", "--qmp"):
            spec = argv[i + 1]
            if spec.startswith("unix:"):
                return spec[5:].split(",")[0]
    raise SystemExit("qmp-migrate: the QEMU command line needs -qmp unix:PATH,server=on,wait=off")


def parse_value(v):
    """'on'/'off'/'true'/'false' -> bool, integers -> int, else string."""
    lv = v.lower()
    if lv in ("on", "true", "yes"):
        return True
    if lv in ("off", "false", "no"):
        return False
    try:
        return int(v, 0)
    except ValueError:
        return v


def migrate(qmp, a, uri, params, summary):
    """migrate to uri, set --param-after parameters on time, wait for the end"""
    later = []
    for p in a.param_after:
        when, _, nv = p.partition(":")
        name, _, val = nv.partition("=")
        later.append((float(when), name, parse_value(val)))
    later.sort(key=lambda x: x[0])
    t0 = time.time()
    qmp.cmd("migrate", uri=uri)
    while True:
        st = qmp.cmd("query-migrate")
        s = st.get("status")
        if s in ("completed", "failed", "cancelled"):
            break
        while later and time.time() - t0 >= later[0][0]:
            when, name, val = later.pop(0)
            qmp.cmd("migrate-set-parameters", **{name: val})
            params["%s (after %gs)" % (name, when)] = val
        if time.time() - t0 > a.timeout:
            summary["query_migrate_at_timeout"] = st
            qmp.cmd("migrate_cancel")
            raise QMPError("migration timed out (status %s)" % s)
        time.sleep(0.1)
    summary["query_migrate"] = st
    if s != "completed":
        raise QMPError("migration %s: %s" % (s, st.get("error-desc", "")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default=".", help="QEMU's working directory")
    ap.add_argument("--out", help="stream file to write (relative to --workdir unless absolute)")
    ap.add_argument("--uri", help='migration URI (default "exec:cat > OUT")')
    ap.add_argument("--cap", action="append", default=[], metavar="NAME[=on|off]",
                    help="migration capability to set (repeatable)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="migration parameter to set (repeatable)")
    ap.add_argument("--qmp", action="append", default=[], metavar="JSON",
                    help='extra QMP command sent after the capabilities/parameters, e.g. '
                         '\'{"execute": "block-dirty-bitmap-add", "arguments": {...}}\' (repeatable)')
    ap.add_argument("--param-after", action="append", default=[], metavar="S:NAME=VALUE",
                    help="set a migration parameter S seconds after the migration started, e.g. "
                         "raise downtime-limit to make a live migration converge (repeatable)")
    ap.add_argument("--run", type=float, default=0, metavar="S",
                    help="cont, run S seconds, stop before migrating")
    ap.add_argument("--boot", type=float, default=0, metavar="S",
                    help="guest starts running: wait S seconds before migrating")
    ap.add_argument("--wait-for", metavar="FILE:TEXT",
                    help="before the --boot wait, wait until TEXT appears in FILE (e.g. a "
                         "-serial file: log, relative to --workdir)")
    ap.add_argument("--wait-timeout", type=float, default=120, metavar="S",
                    help="limit for --wait-for (default 120 s)")
    ap.add_argument("--live", action="store_true",
                    help="migrate while the guest runs (do not stop first)")
    ap.add_argument("--timeout", type=float, default=300, help="overall migration timeout")
    ap.add_argument("--log", help="QEMU stdout/stderr log (default WORKDIR/qemu.log)")
    ap.add_argument("--savevm", metavar="NAME",
                    help="instead of migrating, take an internal snapshot NAME (HMP savevm) "
                         "into the VM's qcow2 disk")
    ap.add_argument("qemu", nargs=argparse.REMAINDER)
    a = ap.parse_args()

    argv = a.qemu[1:] if a.qemu and a.qemu[0] == "--" else a.qemu
    if not argv:
        ap.error("no QEMU command line given")
    if not a.out and not a.uri and not a.savevm:
        ap.error("need --out, --uri or --savevm")

    workdir = os.path.abspath(a.workdir)
    sock_path = os.path.join(workdir, qmp_socket_path(argv))
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    out = os.path.join(workdir, a.out) if a.out else None
    uri = a.uri or "exec:cat > '%s'" % out
    if out and os.path.exists(out):
        os.unlink(out)
    log_path = os.path.abspath(a.log) if a.log else os.path.join(workdir, "qemu.log")

    os.chdir(workdir)       # every path above is absolute; see the QMP connect below
    log = open(log_path, "wb")
    proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)
    summary = {"uri": uri}
    qmp = None
    ok = False
    try:
        # a socket path longer than sun_path (108 bytes) is reached relative to it
        qmp = connect(sock_path, proc, timeout=30, cmd_timeout=30)

        caps = []
        for c in a.cap:
            name, _, val = c.partition("=")
            caps.append({"capability": name, "state": parse_value(val or "on")})
        if caps:
            qmp.cmd("migrate-set-capabilities", capabilities=caps)
        params = {}
        for p in a.param:
            name, _, val = p.partition("=")
            params[name] = parse_value(val)
        if params:
            qmp.cmd("migrate-set-parameters", **params)
        summary["capabilities"] = {c["capability"]: c["state"]
                                   for c in qmp.cmd("query-migrate-capabilities") if c["state"]}
        summary["parameters_set"] = params
        for c in a.qmp:
            c = json.loads(c)
            qmp.cmd(c["execute"], **c.get("arguments", {}))

        if a.run:
            qmp.cmd("cont")
            time.sleep(a.run)
            qmp.cmd("stop")
        elif a.boot or a.wait_for:
            if a.wait_for:
                wfile, _, text = a.wait_for.partition(":")
                wfile = os.path.join(workdir, wfile)
                t0 = time.time()
                while True:
                    try:
                        with open(wfile, "rb") as f:
                            if text.encode() in f.read():
                                break
                    except FileNotFoundError:
                        pass
                    if proc.poll() is not None:
                        raise QMPError("QEMU exited (status %d) before %r appeared"
                                       % (proc.returncode, text))
                    if time.time() - t0 > a.wait_timeout:
                        raise QMPError("%r did not appear in %s" % (text, wfile))
                    time.sleep(0.2)
                summary["wait_for_seconds"] = round(time.time() - t0, 1)
            time.sleep(a.boot)
            if proc.poll() is not None:
                raise QMPError("QEMU exited while the guest ran (status %d)" % proc.returncode)
            if not a.live:
                qmp.cmd("stop")
        summary["runstate_before"] = qmp.cmd("query-status")["status"]

        if a.savevm:
            r = qmp.cmd("human-monitor-command", **{"command-line": "savevm " + a.savevm})
            if r:                   # HMP prints nothing on success
                raise QMPError("savevm %s: %s" % (a.savevm, r.strip()))
            summary["savevm"] = a.savevm
        else:
            migrate(qmp, a, uri, params, summary)
        summary["events"] = sorted({e["event"] for e in qmp.events})
        ok = True
    except (QMPError, OSError, EOFError) as e:
        summary["error"] = str(e)
    finally:
        if qmp is not None:
            try:
                qmp.cmd("quit")
            except (QMPError, OSError, EOFError):
                pass
            qmp.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        if not ok and proc.returncode is not None and proc.returncode < 0 and "error" in summary:
            summary["error"] += " (QEMU killed by signal %d)" % -proc.returncode

    if ok and out and not a.savevm:
        # exec:cat is reaped by QEMU before "completed", but be safe about the last write
        last = -1
        for _ in range(50):
            size = os.path.getsize(out) if os.path.exists(out) else 0
            if size == last and size > 0:
                break
            last = size
            time.sleep(0.1)
        summary["size"] = last
        ok = last > 0
    json.dump(summary, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    if not ok:
        try:
            with open(log_path, "rb") as f:
                sys.stderr.write(f.read()[-4000:].decode(errors="replace"))
        except OSError:
            pass
        sys.stderr.write("qmp-migrate: %s\n" % summary.get("error", "empty output"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
