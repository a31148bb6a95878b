"""The one harness of the Python tests (tests/*.py).

Where things are: BIN (the built tool, $VI_BIN), SRC (the source tree,
$VI_SRCDIR, else this file's parent), DATA (tests/data), CORPUS (the shared
corpus: $VI_CORPUS, else ../shared/corpus beside the source tree), SCHEMAS
($VMSTATE_INSPECT_SCHEMAS, else SRC/schemas), QBIN (the QEMU wrappers of
tools/install-qemu.sh, $VI_QEMU_BINDIR).

Running the tool: run() and run_bytes() give (exit status, stdout, stderr)
with a CPU-time limit (RLIMIT_CPU: other load on the machine does not count)
and a generous wall-clock guard against a hang.

Counting: check(ok, what, detail) and expect(what, ok, detail) print
"ok N - what" or "not ok N - what # detail" and count; done() prints
"P passed, F failed" and gives the exit status (1 when any failed).
skip(reason) exits 77 saying why.  tmpdir() makes a directory removed at
exit.  tools/ is put on sys.path, so that a test can `import qmp` (the
one QMP client).  A test imports it after putting its own directory on sys.path:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import vitest as vt  # noqa: E402
"""
import atexit
import lzma
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("VI_BIN", "")
SRC = os.environ.get("VI_SRCDIR") or os.path.dirname(HERE)
DATA = os.path.join(SRC, "tests", "data")
CORPUS = os.environ.get("VI_CORPUS") or os.path.join(SRC, "..", "shared", "corpus")
SCHEMAS = os.environ.get("VMSTATE_INSPECT_SCHEMAS") or os.path.join(SRC, "schemas")
QBIN = os.environ.get("VI_QEMU_BINDIR", "/var/cache/vmstate-inspect/bin")
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
if TOOLS not in sys.path:      # tools/qmp.py, the one QMP client
    sys.path.append(TOOLS)

CPU_LIMIT = 300       # seconds of CPU time a run of the tool may take by default
WALL_LIMIT = 1800     # a run blocked that long (not computing) is a hang


def need_bin():
    if not BIN:
        print("VI_BIN must name the built vmstate-inspect")
        sys.exit(2)
    return BIN


def _limits(cpu, fsize):
    def pre():
        if cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return pre


def run_argv(argv, stdin=None, env=None, cpu=CPU_LIMIT, wall=WALL_LIMIT, fsize=None,
             stdin_file=None, cwd=None):
    """Run argv; (exit status, stdout bytes, stderr bytes).  stdin: bytes fed
    to it, or stdin_file: an open file (default: /dev/null when neither);
    env: variables added to this environment (a value None removes one)."""
    e = dict(os.environ)
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    p = subprocess.run(argv, input=stdin,
                       stdin=stdin_file if stdin is None and stdin_file is not None
                       else (subprocess.DEVNULL if stdin is None else None),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, cwd=cwd,
                       timeout=wall, preexec_fn=_limits(cpu, fsize))
    return p.returncode, p.stdout, p.stderr


def run_bytes(*args, **kw):
    """The tool with args: (exit status, stdout bytes, stderr text)."""
    rc, out, err = run_argv([need_bin(), *args], **kw)
    return rc, out, err.decode(errors="replace")


def run(*args, **kw):
    """The tool with args: (exit status, stdout text, stderr text)."""
    rc, out, err = run_argv([need_bin(), *args], **kw)
    return rc, out.decode(errors="replace"), err.decode(errors="replace")


# -- counting -------------------------------------------------------------------

_count = {"ok": 0, "failed": 0}
failures = []          # the failed checks' names, in order
QUIET = False          # True: print only the failed checks


def check(ok, what, detail=""):
    ok = bool(ok)
    n = _count["ok"] + _count["failed"] + 1
    if ok:
        _count["ok"] += 1
        if not QUIET:
            print("ok %d - %s" % (n, what))
    else:
        _count["failed"] += 1
        failures.append(what)
        d = str(detail).strip()
        print("not ok %d - %s%s" % (n, what, " # " + d[:2000] if d else ""))
    sys.stdout.flush()
    return ok


def expect(what, ok, detail=""):
    return check(ok, what, detail)


def counts():
    """(checks passed, checks failed) so far."""
    return _count["ok"], _count["failed"]


def done(label=""):
    """Print the summary line; the exit status for sys.exit."""
    p, f = counts()
    print("%s%d passed, %d failed" % (label + ": " if label else "", p, f))
    return 1 if f else 0


def skip(reason):
    print("SKIP: " + reason)
    sys.stdout.flush()
    sys.exit(77)


# -- files ----------------------------------------------------------------------

_tmpdirs = []


def tmpdir(prefix="vi-test."):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append(d)
    return d


@atexit.register
def _cleanup():
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


def read_stream(path):
    """A stream's bytes, unpacked when the file is .xz."""
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def strip_keys(o, keys):
    """o without the dict keys named in keys, at any depth."""
    if isinstance(o, dict):
        return {k: strip_keys(v, keys) for k, v in o.items() if k not in keys}
    if isinstance(o, list):
        return [strip_keys(v, keys) for v in o]
    return o


# -- the corpus, releases, QEMU ---------------------------------------------------

def manifest(required=True):
    """The shared corpus's manifest entries; skip (77) without a corpus."""
    path = os.path.join(CORPUS, "manifest.json")
    if not os.path.exists(path):
        if required:
            skip("no shared corpus at %s" % CORPUS)
        return None
    import json
    with open(path) as f:
        return json.load(f)


def release(version_line):
    """'7.2' from a QEMU version line ('QEMU emulator version 7.2.0 ...')."""
    m = re.search(r"version (\d+)\.(\d+)", version_line or "")
    return "%s.%s" % m.groups() if m else None


def machine_of(cmdline):
    """The machine type of a QEMU command line (-machine/-M TYPE,...)."""
    a = (cmdline or "").split()
    for i, x in enumerate(a):
        if x in ("-machine", "-M") and i + 1 < len(a):
            return a[i + 1].split(",")[0]
    return None


def qemu(rel, arch):
    """The wrapper of QEMU rel for arch, or None when it is not installed."""
    p = os.path.join(QBIN, "qemu-%s-%s" % (rel, arch))
    return p if os.access(p, os.X_OK) else None


def has_target(target):
    """Whether the shipped (or $VMSTATE_INSPECT_SCHEMAS) schemas hold target."""
    return os.path.exists(os.path.join(SCHEMAS, target + ".json"))
