#!/usr/bin/env python3
"""vmsd-versions-from-source.py - version_id / minimum_version_id of the vmstates that
`qemu-system-ARCH -dump-vmstate` does not list, read from the QEMU sources.

Plain python3, standard library only.

    vmsd-versions-from-source.py --src QEMU-SOURCE-DIR --arch x86_64|aarch64|ppc64|s390x|riscv64 \\
        --source-desc TEXT [--slirp-src LIBSLIRP-SOURCE-DIR] \\
        [--dump-vmstate RAW.json]... [--stream S.qevm]... [--binary QEMU]... -o OUT.json

-dump-vmstate lists only device classes with a vmsd (dc->vmsd). Streams also carry sections
registered without a device class: vmstate_register*(…, &vmstate_X, …) calls (timer, apic,
PCIBUS, i2c_bus, acpi_build, globalstate, cpu_common, ...), the CPU's legacy_vmsd ("cpu"),
old-style register_savevm_live("name", id, VERSION, …) handlers (ram, slirp, dirty-bitmap,
block), copies of a vmsd registered under a run-time name (eepro100: one per NIC model),
and the configuration record (savevm.c). This tool finds them in the source:

  * every `VMStateDescription IDENT = { .name = …, .version_id = …, .minimum_version_id = … }`
    (top-level keys only; macros such as EEPROM_VERSION or TYPE_FOO resolved from #defines
    of the same file first, then of any header; a missing key is 0, as in C);
  * the registration calls above, in the files that are built for ARCH (other targets'
    target/ and hw/ directories, tests/, stubs/, roms/, quilt's .pc/ and host accelerators
    of other operating systems (hvf, whpx, nvmm) are skipped);
  * with --binary (the executable, or a wrapper script of tools/install-qemu.sh that execs
    one, plus its module directory): a vmsd counts as built only if a pointer to its name
    string exists in the binary's static data (a RELATIVE relocation in a PIE; the linker
    may have merged the string into the tail of a longer one, so a bare string search would
    not do) and so does one to another .name string of the registering file; an old-style
    handler only if its name string is present. The rest is listed under "not_built";
  * for an old-style handler, the version argument (a literal, a #define, or a function
    whose value the same file asserts, e.g. g_assert(slirp_state_version() == 4)) and the
    minimum from its load function ("version_id != N" or "version_id < N" gives N; a load
    function handing version_id to libslirp is read in --slirp-src, whose vmstate_slirp
    has no minimum, i.e. 0; otherwise 0: QEMU checks only the upper bound of such sections).

Output (what `vmstate-inspect schema import --extra` reads; extra keys are ignored there):

  {"source": TEXT, "generator": "tools/vmsd-versions-from-source.py", "arch": ARCH,
   "vmsds": {NAME: {"version_id": N, "minimum_version_id": M,
                    "from": "relative/file.c:LINE IDENT (how registered)",
                    "instance_id": the registration's instance id when every call site
                                   gives the same literal (every instance is registered
                                   with it), or "any" (VMSTATE_INSTANCE_ID_ANY: numbered
                                   0, 1, ... at run time); absent when computed,
                    "observed_version": N (when a --stream has it)}, ...},
   "not_built": [names registered in the source but not built into --binary]}

NAME is kept only if no --dump-vmstate file has a vmsd of that name. When --stream files are
given, every non-dump-vmstate section of their VMDESCRIPTION trailers must be found in the
source with the same version, otherwise the tool fails (exit 1): nothing is guessed.
"""

import argparse
import json
import os
import re
import struct
import sys

ARCH_DIRS = {"alpha", "arm", "avr", "cris", "hexagon", "hppa", "i386", "loongarch",
             "loongarch64", "m68k", "microblaze", "mips", "nios2", "openrisc", "ppc", "riscv",
             "rx", "s390x", "sh4", "sparc", "sparc64", "tricore", "xtensa"}
KEEP = {"x86_64": {"i386"}, "aarch64": {"arm"}, "ppc64": {"ppc"}, "s390x": {"s390x"},
        "riscv64": {"riscv"}}
SKIP_TOP = {"tests", "roms", "subprojects", "stubs", "contrib", "linux-user", "bsd-user",
            "scripts", "docs", "build", "debian", ".pc", "tcg", "common-user", "python",
            "pc-bios", "qga", "tools", "storage-daemon", "fuzz"}
SKIP_ANY = {"hvf", "whpx", "nvmm"}      # host accelerators of macOS, Windows, NetBSD


def relevant(rel, arch):
    parts = rel.split("/")
    if parts[0] in SKIP_TOP or SKIP_ANY & set(parts[:-1]) or \
            any(p.startswith("hvf") or p.startswith("whpx") for p in parts):
        return False
    if parts[0] in ("target", "hw") and len(parts) > 2 and parts[1] in ARCH_DIRS:
        return parts[1] in KEEP[arch]
    return True


def strip_comments(text):
    # keep line numbers: replace comments by the same number of newlines
    def repl(m):
        s = m.group(0)
        if s.startswith("/"):
            return "\n" * s.count("\n") if s.startswith("/*") else ""
        return s
    return re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  repl, text, flags=re.S)


def matching(text, i, open_c="{", close_c="}"):
    """index just past the bracket closing the one at text[i]"""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == open_c:
            depth += 1
        elif c == close_c:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def top_level(body):
    """the text of body (without outer braces) with nested (), {} contents removed"""
    out, depth, i = [], 0, 0
    while i < len(body):
        c = body[i]
        if c == '"' and depth == 0:
            j = i + 1
            while j < len(body) and body[j] != '"':
                j += 2 if body[j] == "\\" else 1
            out.append(body[i:j + 1])
            i = j + 1
            continue
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif depth == 0:
            out.append(c)
        i += 1
    return "".join(out)


class Source:
    def __init__(self, root, arch, label):
        self.root, self.arch, self.label = root, arch, label
        self.files = {}           # rel -> comment-free text
        self.defines = {}         # rel -> {NAME: value text}
        self.global_defines = {}  # NAME -> [(rel, value)]
        self.vmsds = {}           # rel -> {IDENT: vmsd dict}
        for dp, dns, fns in os.walk(root):
            dns[:] = sorted(d for d in dns if not (dp == root and d in SKIP_TOP) and d != ".pc"
                            and d != ".git")
            for fn in sorted(fns):
                if fn.endswith((".c", ".h", ".c.inc", ".h.inc")):
                    path = os.path.join(dp, fn)
                    rel = os.path.relpath(path, root)
                    with open(path, encoding="utf-8", errors="replace") as f:
                        text = strip_comments(f.read())
                    self.files[rel] = text
                    d = {}
                    for m in re.finditer(r'^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+([^\n\\]+)$',
                                         text, re.M):
                        d[m.group(1)] = m.group(2).strip()
                        self.global_defines.setdefault(m.group(1), []).append(
                            (rel, m.group(2).strip()))
                    self.defines[rel] = d
        for rel, text in self.files.items():
            self.vmsds[rel] = self.parse_vmsds(rel, text)

    def resolve(self, rel, expr, depth=0):
        """evaluate a .name/.version_id expression: string literal, integer, macro, a+b"""
        expr = expr.strip()
        if depth > 8:
            return None
        m = re.fullmatch(r'"((?:\\.|[^"\\])*)"', expr)
        if m:
            return m.group(1)
        if re.fullmatch(r'\(.*\)', expr):
            return self.resolve(rel, expr[1:-1], depth + 1)
        if re.fullmatch(r'-?(0x[0-9a-fA-F]+|\d+)[uUlL]*', expr):
            return int(expr.rstrip("uUlL"), 0)
        if re.fullmatch(r'\w+', expr):
            if expr in self.defines.get(rel, {}):
                return self.resolve(rel, self.defines[rel][expr], depth + 1)
            vals = {v for _, v in self.global_defines.get(expr, [])}
            if len(vals) == 1:
                r0 = self.global_defines[expr][0][0]
                return self.resolve(r0, vals.pop(), depth + 1)
            # an enum constant or an ambiguous macro: give up rather than guess
            return None
        toks = re.findall(r'"(?:\\.|[^"\\])*"|\w+|\S', expr)
        if len(toks) > 1 and all(t.startswith('"') or re.fullmatch(r'[A-Za-z_]\w*', t)
                                 for t in toks):
            parts = [self.resolve(rel, t, depth + 1) for t in toks]   # "a" MACRO "b"
            if all(isinstance(p, str) for p in parts):
                return "".join(parts)
            return None
        m = re.fullmatch(r'(.+?)\s*([+-])\s*(\w+)', expr)
        if m:
            a, b = self.resolve(rel, m.group(1), depth + 1), self.resolve(rel, m.group(3), depth + 1)
            if isinstance(a, int) and isinstance(b, int):
                return a + b if m.group(2) == "+" else a - b
        return None

    def parse_vmsds(self, rel, text):
        out = {}
        for m in re.finditer(r'\bVMStateDescription\s+(\w+)\s*=\s*\{', text):
            start = m.end() - 1
            body = text[start + 1:matching(text, start) - 1]
            top = top_level(body)
            keys = {}
            for km in re.finditer(r'\.(name|version_id|minimum_version_id)\s*=\s*([^,]+)', top):
                keys[km.group(1)] = km.group(2)
            line = text.count("\n", 0, m.start()) + 1
            v = {"ident": m.group(1), "file": rel, "line": line}
            v["name"] = self.resolve(rel, keys["name"]) if "name" in keys else None
            v["version_id"] = self.resolve(rel, keys["version_id"]) if "version_id" in keys else 0
            v["minimum_version_id"] = (self.resolve(rel, keys["minimum_version_id"])
                                       if "minimum_version_id" in keys else 0)
            out[m.group(1)] = v
        return out

    def find_vmsd(self, rel, ident):
        """a VMStateDescription IDENT as seen from file rel: same file, else the unique one"""
        if ident in self.vmsds.get(rel, {}):
            return self.vmsds[rel][ident]
        cands = [v[ident] for r, v in self.vmsds.items() if ident in v and relevant(r, self.arch)]
        if len(cands) == 1:
            return cands[0]
        return None

    def function_body(self, rel, fname):
        text = self.files[rel]
        m = re.search(r'\b%s\s*\([^;{]*\)\s*\{' % re.escape(fname), text)
        if not m:
            return None
        return text[m.end() - 1:matching(text, m.end() - 1)]


def registrations(src):
    """[(name-or-None, how, rel, line, vmsd-or-None, extra, instance-id expression or "any"
    or None)] for every non-qdev registration"""
    out = []
    for rel, text in sorted(src.files.items()):
        if not relevant(rel, src.arch):
            continue
        for m in re.finditer(r'\b(vmstate_register(?:_any|_with_alias_id)?)\s*\(', text):
            call = text[m.end() - 1:matching(text, m.end() - 1, "(", ")")]
            line = text.count("\n", 0, m.start()) + 1
            refs = re.findall(r'&\s*(vmstate_\w+|\w+_vmstate\w*|\w*vmsd\w*|dbus_vmstate)\b', call)
            if re.search(r'^\s*(static\s+)?(inline\s+)?int\s+vmstate_register', text[
                    text.rfind("\n", 0, m.start()) + 1:m.end()]):
                continue        # the definition of the function itself
            if not refs:
                continue        # dc->vmsd (qdev) or a run-time copy, handled below
            v = src.find_vmsd(rel, refs[0])
            args = split_args(call[1:-1])
            inst = "any" if m.group(1) == "vmstate_register_any" else \
                (args[1] if len(args) > 1 else None)
            out.append((v["name"] if v else None, m.group(1), rel, line, v, refs[0], inst))
        # the CPU: cpu_vmstate_register() registers vmstate_cpu_common and the legacy_vmsd
        # (before 6.x: cpu_exec_realizefn registers CPUClass.vmsd, "cc->vmsd = &...")
        for m in re.finditer(r'(\.legacy_vmsd|\bcc->vmsd)\s*=\s*&\s*(\w+)', text):
            line = text.count("\n", 0, m.start()) + 1
            v = src.find_vmsd(rel, m.group(2))
            how = "SysemuCPUOps.legacy_vmsd" if m.group(1) == ".legacy_vmsd" else "CPUClass.vmsd"
            out.append((v["name"] if v else None, how, rel, line, v, m.group(2), None))
        # old-style handlers
        for m in re.finditer(r'\bregister_savevm_live\s*\(', text):
            call = text[m.end() - 1:matching(text, m.end() - 1, "(", ")")]
            line = text.count("\n", 0, m.start()) + 1
            args = split_args(call[1:-1])
            if len(args) < 4 or re.search(r'^\s*int\s+register_savevm_live',
                                          text[text.rfind("\n", 0, m.start()) + 1:m.end()]):
                continue
            name = src.resolve(rel, args[0])
            out.append((name if isinstance(name, str) else None, "register_savevm_live", rel,
                        line, None, {"args": args}, args[1]))
        # a vmsd copied and registered under a run-time name (eepro100: the NIC model)
        for m in re.finditer(r'(\w+)->vmstate\s*=\s*g_memdup2?\(\s*&\s*(\w+)', text):
            if not re.search(r'%s->vmstate->name\s*=' % re.escape(m.group(1)), text):
                continue
            v = src.find_vmsd(rel, m.group(2))
            line = text.count("\n", 0, m.start()) + 1
            # the models: the .name entries after it (eepro100.c: its e100_devices[] table)
            names = re.findall(r'\.name\s*=\s*"([^"]+)"', text[m.end():])
            for n in names:
                out.append((n, "copy of %s registered under the NIC model name" % m.group(2),
                            rel, line, v, m.group(2), None))
    return out


def split_args(s):
    args, depth, cur = [], 0, ""
    for c in s:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        args.append(cur.strip())
    return args


def old_style_versions(src, rel, args, slirp):
    """(version, minimum, how) of register_savevm_live(name, id, VERSION, &handlers, opaque)"""
    text = src.files[rel]
    ver_expr = args[2]
    ver = src.resolve(rel, ver_expr)
    how = []
    fm = re.fullmatch(r'(\w+)\s*\(\s*\)', ver_expr)
    if ver is None and fm:
        am = re.search(r'%s\s*\(\s*\)\s*==\s*(\w+)' % re.escape(fm.group(1)), text)
        if am:
            ver = src.resolve(rel, am.group(1))
            how.append("version: %s() asserted == %s in %s" % (fm.group(1), ver, rel))
        if slirp and fm.group(1) == "slirp_state_version":
            body = slirp.function_body("src/state.c", "slirp_state_version")
            rm = body and re.search(r'return\s+(\w+)\s*;', body)
            sv = slirp.resolve("src/state.c", rm.group(1)) if rm else None
            if sv is not None:
                how.append("libslirp src/state.c slirp_state_version() returns %s" % sv)
                if ver is not None and ver != sv:
                    raise SystemExit("slirp: QEMU asserts %s, libslirp says %s" % (ver, sv))
                ver = sv
    hm = re.fullmatch(r'&\s*(\w+)', args[3])
    minimum = 0
    if hm:
        hs = re.search(r'\b%s\s*=\s*\{' % re.escape(hm.group(1)), text)
        if hs:
            body = text[hs.end() - 1:matching(text, hs.end() - 1)]
            lm = re.search(r'\.load_state\s*=\s*(\w+)', body)
            fbody = lm and src.function_body(rel, lm.group(1))
            if fbody:
                c = re.search(r'version_id\s*(!=|<)\s*(\w+)', fbody)
                if c:
                    minimum = src.resolve(rel, c.group(2))
                    how.append("minimum: %s() rejects version_id %s %s" %
                               (lm.group(1), c.group(1), c.group(2)))
                elif slirp and "slirp_state_load" in fbody:
                    sv = slirp.vmsds.get("src/state.c", {}).get("vmstate_slirp")
                    minimum = sv["minimum_version_id"] if sv else 0
                    how.append("minimum: %s() hands version_id to libslirp, whose vmstate_slirp "
                               "has minimum_version_id %s" % (lm.group(1), minimum))
                else:
                    how.append("minimum: %s() checks no lower bound (0)" % lm.group(1))
    return ver, minimum, "; ".join(how)


def vmdesc(path):
    with open(path, "rb") as f:
        d = f.read()
    pos = len(d)
    while True:
        n = d.rfind(b"\x06", 0, pos)
        if n < 1:
            return None
        if len(d) - n >= 5:
            (ln,) = struct.unpack(">I", d[n + 1:n + 5])
            if n + 5 + ln == len(d) and d[n - 1] == 0 and d[n + 5:n + 6] == b"{":
                return json.loads(d[n + 5:])
        pos = n


def resolve_binary(path):
    """[executable, module dir...] for a QEMU binary or a wrapper script that execs one
    (tools/install-qemu.sh writes such wrappers: VAR=... lines, then exec $VAR/usr/bin/...)."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head != b"#!":
        exe = os.path.realpath(path)
        mods = []
    else:
        env, exe, mods = {}, None, []
        with open(path) as f:
            for line in f:
                line = line.strip()
                m = re.fullmatch(r'(?:export\s+)?(\w+)=(\S+)', line)
                sub = lambda t: re.sub(r'\$\{?(\w+)\}?', lambda x: env.get(x.group(1), ""), t)
                if m:
                    env[m.group(1)] = sub(m.group(2))
                    if m.group(1) == "QEMU_MODULE_DIR":
                        mods.append(env[m.group(1)])
                m = re.match(r'exec\s+(\S+)', line)
                if m:
                    exe = sub(m.group(1))
        if not exe or not os.path.isfile(exe):
            raise SystemExit("vmsd-versions-from-source: cannot find the executable behind %s"
                             % path)
    root = os.path.dirname(os.path.dirname(exe))
    libdir = os.path.join(root, "lib")
    if not mods and os.path.isdir(libdir):
        for d in sorted(os.listdir(libdir)):
            q = os.path.join(libdir, d, "qemu")
            if os.path.isdir(q):
                mods.append(q)
    return [exe] + [m for m in mods if os.path.isdir(m)]


class Elf:
    """Where a string sits in an ELF file and which addresses static data points to.

    A VMStateDescription is static data, so in a position-independent executable or module
    its .name pointer is a RELATIVE relocation whose addend is the string's address; in a
    non-PIE file it is the address stored as an 8-byte little-endian word. The string may be
    the tail of a longer one (the linker merges string tails), so every occurrence counts."""

    RELATIVE = {62: 8, 183: 1027}       # e_machine x86_64, aarch64 -> R_*_RELATIVE

    def __init__(self, path):
        with open(path, "rb") as f:
            self.d = d = f.read()
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise SystemExit("vmsd-versions-from-source: %s: not a 64-bit little-endian ELF"
                             % path)
        (e_type, e_machine) = struct.unpack_from("<HH", d, 16)
        e_phoff, e_shoff = struct.unpack_from("<QQ", d, 32)
        e_phentsize, e_phnum, e_shentsize, e_shnum = struct.unpack_from("<HHHH", d, 54)
        self.loads = []
        for i in range(e_phnum):
            p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
                "<IIQQQQ", d, e_phoff + i * e_phentsize)
            if p_type == 1:
                self.loads.append((p_offset, p_filesz, p_vaddr))
        self.targets = set()
        rel = self.RELATIVE.get(e_machine)
        for i in range(e_shnum):
            (_, sh_type, _, _, sh_offset, sh_size, _, _, _, sh_entsize) = struct.unpack_from(
                "<IIQQQQIIQQ", d, e_shoff + i * e_shentsize)
            if sh_type == 4 and sh_entsize == 24:            # SHT_RELA
                for off in range(sh_offset, sh_offset + sh_size, 24):
                    _, info, addend = struct.unpack_from("<QQq", d, off)
                    if (info & 0xffffffff) == rel:
                        self.targets.add(addend)
        self.pie = bool(self.targets)

    def vaddr(self, off):
        for p_offset, p_filesz, p_vaddr in self.loads:
            if p_offset <= off < p_offset + p_filesz:
                return p_vaddr + off - p_offset
        return None

    def has_pointed_string(self, s):
        key = s.encode() + b"\0"
        i = self.d.find(key)
        while i >= 0:
            va = self.vaddr(i)
            if va is not None:
                if self.pie and va in self.targets:
                    return True
                if not self.pie and struct.pack("<Q", va) in self.d:
                    return True
            i = self.d.find(key, i + 1)
        return False


def binary_files(paths):
    out = []
    for p in paths:
        for q in resolve_binary(p) if os.path.isfile(p) else [p]:
            if os.path.isdir(q):
                out += [os.path.join(q, fn) for fn in sorted(os.listdir(q)) if fn.endswith(".so")]
            else:
                out.append(q)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", required=True, help="QEMU source tree")
    ap.add_argument("--arch", required=True, choices=sorted(KEEP))
    ap.add_argument("--slirp-src", help="libslirp source tree (for the slirp section)")
    ap.add_argument("--source-desc", required=True, help='"source" text for the output')
    ap.add_argument("--dump-vmstate", action="append", default=[],
                    help="-dump-vmstate output: vmsd names it has are left out (repeatable)")
    ap.add_argument("--stream", action="append", default=[],
                    help="stream whose trailer sections must all be accounted for (repeatable)")
    ap.add_argument("--binary", action="append", default=[],
                    help="QEMU executable or module directory: names whose string is not in "
                         "them are reported under not_built instead of vmsds (repeatable)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    src = Source(a.src, a.arch, "qemu")
    slirp = Source(a.slirp_src, a.arch, "libslirp") if a.slirp_src else None

    raw = set()
    for f in a.dump_vmstate:
        with open(f) as fh:
            for k, v in json.load(fh).items():
                if isinstance(v, dict) and "Description" in v:
                    raw.add(v["Description"]["name"])

    found = {}      # name -> list of candidate entries
    problems = []

    def add(name, ver, minimum, frm, kind, files, inst=None):
        if not isinstance(ver, int) or not isinstance(minimum, int):
            problems.append("%s: cannot evaluate version (%s)" % (name, frm))
            return
        found.setdefault(name, []).append({"version_id": ver, "minimum_version_id": minimum,
                                           "from": frm, "kind": kind, "files": files,
                                           "instance_id": inst})

    def instance_id(rel, expr):
        """A literal instance id N >= 0, "any" (VMSTATE_INSTANCE_ID_ANY: numbered at run
        time), or None (computed, e.g. a CPU index)."""
        if expr is None or expr == "any":
            return expr
        val = src.resolve(rel, expr)
        if isinstance(val, int):
            return "any" if val < 0 else val
        return None

    for name, how, rel, line, v, extra, inst_expr in registrations(src):
        inst = instance_id(rel, inst_expr)
        where = "%s:%d" % (rel, line)
        if how == "register_savevm_live":
            if name is None:
                continue        # run-time names (vfio: per device path), not a schema entry
            ver, minimum, h = old_style_versions(src, rel, extra["args"], slirp)
            add(name, ver, minimum, "%s register_savevm_live(\"%s\", ...)%s" %
                (where, name, "; " + h if h else ""), "old-style", [rel], inst)
            continue
        if v is None:
            problems.append("%s: %s(&%s): no VMStateDescription found" % (where, how, extra))
            continue
        if name is None:
            problems.append("%s: %s: .name not evaluable" % (where, v["ident"]))
            continue
        frm = "%s:%d %s (%s at %s)" % (v["file"], v["line"], v["ident"], how, where)
        add(name, v["version_id"], v["minimum_version_id"], frm, "vmsd",
            sorted({v["file"], rel}), inst)

    # the configuration record (savevm.c writes it itself, never registered)
    v = src.vmsds.get("migration/savevm.c", {}).get("vmstate_configuration")
    if v:
        add(v["name"], v["version_id"], v["minimum_version_id"],
            "%s:%d vmstate_configuration (written by qemu_savevm_state_header)" %
            (v["file"], v["line"]), "vmsd", [v["file"]])

    # built into this binary? A vmsd: a pointer to its name string exists in static data,
    # and the registering file is built too (a pointer to one of its other .name strings).
    # An old-style handler (name passed in code): the name string is present.
    not_built = set()
    if a.binary:
        elves = [Elf(p) for p in binary_files(a.binary)]

        def pointed(string):
            return any(e.has_pointed_string(string) for e in elves)

        file_cache = {}

        def file_built(rel, own):
            if rel not in file_cache:
                names = set()
                for m in re.finditer(r'\.name\s*=\s*([^,;\n]+)', src.files[rel]):
                    n = src.resolve(rel, m.group(1))
                    if isinstance(n, str) and len(n) >= 4:
                        names.add(n)
                file_cache[rel] = names
            others = file_cache[rel] - {own}
            return not others or any(pointed(n) for n in sorted(others))

        for name in list(found):
            keep = []
            for c in found[name]:
                if c["kind"] == "old-style":
                    ok = any(name.encode() + b"\0" in e.d for e in elves)
                else:
                    ok = pointed(name) and all(file_built(f, name) for f in c["files"])
                if ok:
                    keep.append(c)
            if not keep:
                not_built.add(name)
                del found[name]
            else:
                found[name] = keep

    # one value per name; several identical candidates are fine
    vmsds, conflicts = {}, []
    for name, cands in sorted(found.items()):
        vals = {(c["version_id"], c["minimum_version_id"]) for c in cands}
        if len(vals) > 1:
            conflicts.append("%s: %s" % (name, "; ".join(
                "v%d/min%d from %s" % (c["version_id"], c["minimum_version_id"], c["from"])
                for c in cands)))
            continue
        e = {k: cands[0][k] for k in ("version_id", "minimum_version_id")}
        e["from"] = " | ".join(sorted({c["from"] for c in cands}))
        ids = {c["instance_id"] for c in cands}
        if len(ids) == 1 and None not in ids:
            e["instance_id"] = ids.pop()
        vmsds[name] = e

    # cross-check with the streams: every section not in -dump-vmstate must be here
    observed = {}
    for s in a.stream:
        vd = vmdesc(s)
        if vd is None:
            problems.append("%s: no VMDESCRIPTION trailer" % os.path.basename(s))
            continue
        for dev in vd.get("devices", []):
            n = dev.get("vmsd_name") or dev["name"].split("/")[-1]
            if n in raw:
                continue
            observed.setdefault(n, set()).add(dev.get("version"))
        if "configuration" in vd:
            observed.setdefault("configuration", set()).add(vd["configuration"].get("version"))
    for n, vers in sorted(observed.items()):
        if n in conflicts_names(conflicts):
            continue
        if n not in vmsds:
            problems.append("%s: in a stream (version %s) but not found in the source"
                            % (n, sorted(vers, key=str)))
            continue
        known = {x for x in vers if x is not None}
        if known and known != {vmsds[n]["version_id"]}:
            problems.append("%s: stream version %s, source says %d (%s)" %
                            (n, sorted(known), vmsds[n]["version_id"], vmsds[n]["from"]))
        if known:
            vmsds[n]["observed_version"] = sorted(known)[0]
        else:
            vmsds[n]["observed_version"] = None     # old-style: the trailer has no version

    for c in conflicts:
        n = c.split(":")[0]
        if n in observed or n not in raw:
            problems.append("conflicting definitions for " + c)

    out_vmsds = {n: e for n, e in sorted(vmsds.items()) if n not in raw}
    doc = {
        "source": a.source_desc,
        "generator": "tools/vmsd-versions-from-source.py",
        "arch": a.arch,
        "vmsds": out_vmsds,
    }
    nb = sorted(n for n in not_built if n not in raw)
    if nb:
        doc["not_built"] = nb
    with open(a.output, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    for p in problems:
        print("vmsd-versions-from-source: %s" % p, file=sys.stderr)
    print("vmsd-versions-from-source: %s: %d vmsds (%d observed in streams), %d not built"
          % (a.output, len(out_vmsds), sum(1 for e in out_vmsds.values() if "observed_version" in e),
             len(nb)), file=sys.stderr)
    return 1 if problems else 0


def conflicts_names(conflicts):
    return {c.split(":")[0] for c in conflicts}


if __name__ == "__main__":
    sys.exit(main())
