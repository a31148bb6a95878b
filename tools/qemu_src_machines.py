#!/usr/bin/env python3
"""qemu_src_machines.py - machine types and their compat properties, read from a QEMU source tree.

Plain python3, standard library only.  Used by tools/gen_machines.py; can also be run alone:

    qemu_src_machines.py --src QEMU-SOURCE-DIR --arch x86_64|aarch64 [--define NAME ...]

prints JSON {"machines": {...}, "arrays": {...}, "files": [...], "warnings": [...]}.

How it works (no compiler, no build tree needed):

* A small C preprocessor (object- and function-like macros, #/## , __VA_ARGS__, #if/#ifdef
  with defined() and integer expressions) reads the #defines of include/, the target's
  headers (target/i386 or target/arm) and hw/, then preprocesses every .c file of the
  target's board directories (hw/i386 + hw/core + hw/remote + hw/xen, or hw/arm + hw/core +
  hw/vmapple) that registers machine types or adds compat properties, plus
  hw/core/machine.c (hw_compat_X_Y arrays) and hw/i386/pc.c (pc_compat_X_Y arrays).
  Conditional compilation uses TARGET_<ARCH> and the CONFIG_* set given by --define
  (QEMU_VERSION_MAJOR/MINOR/MICRO come from the tree's VERSION file).
* Every `GlobalProperty NAME[] = {...}` array (top level or function-local) is decoded into
  {driver, property, value[, optional]}; string-literal concatenation and macros such as
  TYPE_X86_CPU or PC_CPU_MODEL_IDS(v) are resolved by the preprocessor.
* Every `TypeInfo` whose .name ends in "-machine" and that a type_init() function registers is
  a machine type.  Its .class_init function is interpreted: calls of other functions of the
  same file are followed (the *_options() chains), `compat_props_add(mc->compat_props, A, n)`
  appends array A, `mc->alias = ...`, `mc->is_default = ...`, `mc->deprecation_reason = ...`
  and a short list of stream-relevant class settings (STREAM_SETTINGS) are recorded, `if`
  conditions made of constants are evaluated (so MACHINE_VER_DELETION / _DEPRECATION work).
  Result: each machine's accumulated compat properties in application order, each tagged with
  the array it came from.
"""

import argparse
import json
import os
import re
import sys

# Class fields set by the *_options() functions that change what a stream contains (the
# machine's own non-compat defaults that matter for a stream checker).  Everything else the
# options functions set (descriptions, CPU limits, SMBIOS, NUMA, ...) is ignored.
STREAM_SETTINGS = {
    "smbus_no_migration_support":
        "true: SMBus state not migrated (ich9_smb: irq_enabled and smb fields absent; "
        "piix4_pm: smb field absent; no smbus-eeprom sections)",
    "save_tsc_khz":
        "false: cpu/tsc_khz subsection never sent",
    "rsdp_in_ram":
        "false: no /rom@etc/acpi/rsdp RAMBlock",
    "has_acpi_build":
        "false: no acpi_build section and no /rom@etc/acpi/* RAMBlocks",
    "rom_file_has_mr":
        "false: ROM files given to the guest through fw_cfg get no RAMBlock (no /rom@etc/* "
        "blocks in the RAM section)",
    "option_rom_has_mr":
        "true: option ROMs loaded through fw_cfg (-kernel's linuxboot, -option-rom) get a "
        "RAMBlock (/rom@genroms/...); false (default): they get none",
    "kvmclock_create_always":
        "false (KVM only): kvmclock section only when the guest CPU has the kvmclock feature",
    "minimum_page_bits":
        "0: 1 KiB target pages (no configuration/target-page-bits subsection, 1 KiB RAM pages)",
    "no_its":
        "true: no GICv3 ITS (no arm_gicv3_its section)",
    "no_tcg_its":
        "true: no GICv3 ITS under TCG (no arm_gicv3_its section)",
    "no_ged":
        "true: no ACPI GED device (no acpi-ged section)",
    "no_pmu":
        "true: CPU without vPMU, PMU registers absent from the cpu section's cpreg arrays",
    "no_secure_gpio":
        "true: with secure=on, no secure pl061 GPIO section",
}

BOARD_DIRS = {
    "x86_64": ["hw/i386", "hw/core", "hw/remote", "hw/xen"],
    "aarch64": ["hw/arm", "hw/core", "hw/vmapple"],
    "ppc64": ["hw/ppc", "hw/core"],
    "s390x": ["hw/s390x", "hw/core"],
    "riscv64": ["hw/riscv", "hw/core"],
}
HEADER_DIRS = {
    "x86_64": ["include", "target/i386", "hw"],
    "aarch64": ["include", "target/arm", "hw"],
    "ppc64": ["include", "target/ppc", "hw"],
    "s390x": ["include", "target/s390x", "hw"],
    "riscv64": ["include", "target/riscv", "hw"],
}
TARGET_DEFINES = {
    "x86_64": ["TARGET_X86_64", "TARGET_I386"],
    "aarch64": ["TARGET_AARCH64", "TARGET_ARM"],
    "ppc64": ["TARGET_PPC64", "TARGET_PPC"],
    "s390x": ["TARGET_S390X"],
    "riscv64": ["TARGET_RISCV64", "TARGET_RISCV"],
}
# CONFIG_* symbols taken as set for Debian's qemu-system-x86 / qemu-system-arm builds.
# The result is cross-checked against the binary's own machine list, which catches a wrong
# choice (CONFIG_XEN is off: Debian builds Xen support into a separate qemu-system-xen).
DEFAULT_CONFIG = ["CONFIG_LINUX", "CONFIG_POSIX", "CONFIG_KVM", "CONFIG_TCG", "CONFIG_FDT",
                  "CONFIG_TPM", "CONFIG_VMPORT", "CONFIG_HPET", "CONFIG_ISAPC",
                  "CONFIG_IDE_ISA", "CONFIG_FDC_ISA", "CONFIG_PIXMAN"]

NO_EXPAND = {"type_init", "module_init", "block_init", "opts_init", "trace_init",
             "DEFINE_TYPES", "OBJECT", "OBJECT_CLASS", "MACHINE_CLASS", "G_N_ELEMENTS",
             "assert", "g_assert"}


class SrcError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# tokens

TOKEN_RE = re.compile(r'''
    (?P<ws>[ \t\r\f\v]+)
  | (?P<nl>\n)
  | (?P<str>"(?:\\.|[^"\\\n])*")
  | (?P<chr>'(?:\\.|[^'\\\n])*')
  | (?P<id>[A-Za-z_]\w*)
  | (?P<num>\.?\d(?:[eEpP][+-]|[\w.])*)
  | (?P<punct>\#\#|\.\.\.|<<=|>>=|->|\+\+|--|&&|\|\||<<|>>|[<>=!&|+\-*/%^]=|[\#{}()\[\];,.?:~<>=!&|+\-*/%^])
  | (?P<other>.)
''', re.X)


class Tok:
    __slots__ = ("kind", "text", "hide", "space")

    def __init__(self, kind, text, hide=frozenset(), space=False):
        self.kind, self.text, self.hide, self.space = kind, text, hide, space

    def __repr__(self):
        return self.text


def tokenize(s):
    out = []
    space = False
    for m in TOKEN_RE.finditer(s):
        k = m.lastgroup
        if k in ("ws", "nl"):
            space = True
            continue
        out.append(Tok(k, m.group(), frozenset(), space))
        space = False
    return out


def strip_comments(text):
    """Remove comments (keeping strings intact) and join continuation lines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                if text[j] == "\n":
                    break
                j += 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return re.sub(r"\\\n", " ", "".join(out))


# ---------------------------------------------------------------------------------------
# macros

class Macro:
    __slots__ = ("name", "params", "variadic", "body", "where")

    def __init__(self, name, params, variadic, body, where):
        self.name, self.params, self.variadic, self.body, self.where = \
            name, params, variadic, body, where

    def key(self):
        return (tuple(self.params) if self.params is not None else None, self.variadic,
                " ".join(t.text for t in self.body))


def parse_define(rest, where):
    m = re.match(r"([A-Za-z_]\w*)(\()?", rest)
    if not m:
        return None
    name = m.group(1)
    if m.group(2):
        close = rest.index(")", m.end())
        plist = [p.strip() for p in rest[m.end():close].split(",") if p.strip()]
        variadic = False
        if plist and plist[-1].endswith("..."):
            variadic = True
            last = plist[-1][:-3].strip()
            plist[-1] = last or "__VA_ARGS__"
        return Macro(name, plist, variadic, tokenize(rest[close + 1:]), where)
    return Macro(name, None, False, tokenize(rest[m.end():]), where)


class Preprocessor:
    def __init__(self, defined_symbols, int_defines):
        self.macros = {}           # name -> Macro (unambiguous)
        self.conflicts = {}        # name -> set of bodies seen (ambiguous across headers)
        self.defined = set(defined_symbols)
        for k, v in int_defines.items():
            self.macros[k] = Macro(k, None, False, tokenize(str(v)), "(version)")

    # --- conditional evaluation ---------------------------------------------------------
    def eval_cond(self, expr, local):
        toks = tokenize(expr)
        # defined X / defined(X)
        out = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind == "id" and t.text == "defined":
                if i + 1 < len(toks) and toks[i + 1].text == "(":
                    name = toks[i + 2].text
                    i += 4
                else:
                    name = toks[i + 1].text
                    i += 2
                out.append(Tok("num", "1" if self.is_defined(name, local) else "0"))
                continue
            out.append(t)
            i += 1
        exp = self.expand(out, local)
        return bool(c_int_eval(exp))

    def is_defined(self, name, local):
        return name in self.defined or name in local or name in self.macros \
            or name in self.conflicts

    # --- reading files --------------------------------------------------------------------
    def scan_header(self, path, rel):
        """Collect the #defines of a header that are active under our configuration."""
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = strip_comments(f.read())
        except OSError:
            return
        local = {}
        self.run_lines(text, rel, local, collect_text=False)
        for name, mac in local.items():
            if name in self.conflicts:
                self.conflicts[name].add(mac.key())
                continue
            old = self.macros.get(name)
            if old is None:
                self.macros[name] = mac
            elif old.key() != mac.key():
                self.conflicts[name] = {old.key(), mac.key()}
                del self.macros[name]

    def run_lines(self, text, rel, local, collect_text=True):
        """Process directives; return the active non-directive text (lines kept for
        line counting).  #defines go to `local`."""
        stack = []           # (parent_active, this_active, taken)
        active = True
        out = []
        for line in text.split("\n"):
            s = line.strip()
            if s.startswith("#"):
                d = s[1:].strip()
                m = re.match(r"(\w+)\s*(.*)", d)
                if not m:
                    out.append("")
                    continue
                word, rest = m.group(1), m.group(2).strip()
                if word in ("if", "ifdef", "ifndef"):
                    if not active:
                        stack.append((False, False, True))
                    else:
                        if word == "ifdef":
                            v = self.is_defined(rest.split()[0], local) if rest else False
                        elif word == "ifndef":
                            v = not self.is_defined(rest.split()[0], local) if rest else True
                        else:
                            v = self.safe_cond(rest, local)
                        stack.append((True, v, v))
                    active = stack[-1][1]
                elif word == "elif":
                    if not stack:
                        raise SrcError("%s: #elif without #if" % rel)
                    parent, _, taken = stack[-1]
                    v = parent and not taken and self.safe_cond(rest, local)
                    stack[-1] = (parent, v, taken or v)
                    active = v
                elif word == "else":
                    if not stack:
                        raise SrcError("%s: #else without #if" % rel)
                    parent, _, taken = stack[-1]
                    stack[-1] = (parent, parent and not taken, True)
                    active = stack[-1][1]
                elif word == "endif":
                    if stack:
                        stack.pop()
                    active = stack[-1][1] if stack else True
                elif active and word == "define":
                    mac = parse_define(rest, rel)
                    if mac:
                        local[mac.name] = mac
                elif active and word == "undef":
                    local.pop(rest.split()[0] if rest else "", None)
                out.append("")
            else:
                out.append(line if (active and collect_text) else "")
        return "\n".join(out)

    def safe_cond(self, expr, local):
        try:
            return self.eval_cond(expr, local)
        except Exception:       # unknown constructs (sizeof, casts...): not taken
            return False

    # --- expansion ------------------------------------------------------------------------
    def lookup(self, name, local):
        if name in NO_EXPAND:
            return None
        if name in local:
            return local[name]
        return self.macros.get(name)

    def expand(self, toks, local):
        out = []
        work = list(toks)
        work.reverse()          # pop() from the end = next token
        while work:
            t = work.pop()
            if t.kind != "id" or t.text in t.hide:
                out.append(t)
                continue
            mac = self.lookup(t.text, local)
            if mac is None:
                out.append(t)
                continue
            if mac.params is None:
                hide = t.hide | {mac.name}
                body = [Tok(b.kind, b.text, b.hide | hide, b.space) for b in mac.body]
                body = self.paste(body, {}, hide)
                if body:
                    body[0].space = t.space
                work.extend(reversed(body))
                continue
            # function-like: needs '('
            if not work or work[-1].text != "(":
                out.append(t)
                continue
            work.pop()
            args, cur, depth = [], [], 0
            while True:
                if not work:
                    raise SrcError("unterminated call of macro %s" % mac.name)
                a = work.pop()
                if a.text == "(":
                    depth += 1
                elif a.text == ")":
                    if depth == 0:
                        rparen = a
                        break
                    depth -= 1
                elif a.text == "," and depth == 0:
                    args.append(cur)
                    cur = []
                    continue
                cur.append(a)
            args.append(cur)
            np = len(mac.params)
            if np == 0 and args == [[]]:
                args = []
            if mac.variadic:
                if len(args) < np - 1:
                    raise SrcError("macro %s: too few arguments" % mac.name)
                fixed = args[:np - 1]
                rest = args[np - 1:]
                va = []
                for k, a in enumerate(rest):
                    if k:
                        va.append(Tok("punct", ",", frozenset(), False))
                    va.extend(a)
                args = fixed + [va]
            elif len(args) != np:
                raise SrcError("macro %s: %d arguments, %d expected"
                               % (mac.name, len(args), np))
            amap = dict(zip(mac.params, args))
            hide = (t.hide & rparen.hide) | {mac.name}
            body = self.substitute(mac, amap, local, hide)
            if body:
                body[0].space = t.space
            work.extend(reversed(body))
        return out

    def substitute(self, mac, amap, local, hide):
        body = mac.body
        res = []
        i = 0
        while i < len(body):
            b = body[i]
            if b.text == "#" and i + 1 < len(body) and body[i + 1].text in amap:
                res.append(Tok("str", stringify(amap[body[i + 1].text]), hide))
                i += 2
                continue
            if b.kind == "id" and b.text in amap:
                near_paste = (i + 1 < len(body) and body[i + 1].text == "##") or \
                             (i > 0 and body[i - 1].text == "##")
                arg = amap[b.text]
                if near_paste:
                    seq = [Tok(a.kind, a.text, a.hide, a.space) for a in arg]
                    if not seq:
                        seq = [Tok("placemarker", "", frozenset())]
                else:
                    seq = self.expand([Tok(a.kind, a.text, a.hide, a.space) for a in arg],
                                      local)
                if seq:
                    seq[0].space = b.space
                res.extend(seq)
                i += 1
                continue
            res.append(Tok(b.kind, b.text, b.hide, b.space))
            i += 1
        res = self.paste(res, amap, hide)
        return [Tok(r.kind, r.text, r.hide | hide, r.space) for r in res
                if r.kind != "placemarker"]

    @staticmethod
    def paste(toks, amap, hide):
        out = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.text == "##" and out and i + 1 < len(toks):
                left = out.pop()
                right = toks[i + 1]
                if left.text == "," and right.kind == "placemarker":
                    i += 2          # GNU ", ## __VA_ARGS__" with no variable arguments
                    continue
                if left.text == "," or right.kind == "placemarker" or \
                        left.kind == "placemarker":
                    out.extend(x for x in (left, right) if x.kind != "placemarker")
                    i += 2
                    continue
                text = left.text + right.text
                nt = tokenize(text)
                if len(nt) == 1:
                    nt[0].hide = left.hide
                    nt[0].space = left.space
                    out.append(nt[0])
                elif not nt:
                    out.append(Tok("placemarker", "", frozenset()))
                else:               # not a valid token: keep both (lenient)
                    out.extend((left, right))
                i += 2
                continue
            out.append(t)
            i += 1
        return out


def stringify(toks):
    s = ""
    for k, t in enumerate(toks):
        if k and t.space:
            s += " "
        s += t.text
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def c_int_eval(toks):
    """Evaluate a constant C integer expression (after macro expansion)."""
    py = []
    toks = list(toks)
    k = 0
    while k < len(toks):
        t = toks[k]
        k += 1
        x = t.text
        if t.kind == "id" and k < len(toks) and toks[k].text == "(" and \
                x not in ("defined",):
            # a function call (getenv(...), sizeof(...)): unknown at build time -> 0
            k = match_close(toks, k) + 1
            py.append("0")
            continue
        if t.kind == "num":
            x = re.sub(r"[uUlL]+$", "", x)
            if re.match(r"0[0-7]+$", x):
                x = "0o" + x[1:]
        elif t.kind == "id":
            x = {"true": "1", "false": "0"}.get(x, "0")   # unknown identifiers are 0
        elif x == "&&":
            x = " and "
        elif x == "||":
            x = " or "
        elif x == "!":
            x = " not "
        elif x == "/":
            x = "//"
        elif x in ("?", ":"):
            raise SrcError("?: not supported")
        elif t.kind == "str":
            x = "1"
        py.append(x)
    expr = " ".join(py).replace("not  =", "!=")
    return int(eval(expr, {"__builtins__": {}}, {}))


# ---------------------------------------------------------------------------------------
# C structure on the expanded token list

def match_close(toks, i):
    """toks[i] is ( [ or {; index of its partner."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    open_, close = toks[i].text, pairs[toks[i].text]
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == open_:
            depth += 1
        elif toks[j].text == close:
            depth -= 1
            if depth == 0:
                return j
    raise SrcError("unbalanced %s" % open_)


def split_commas(toks):
    parts, cur, depth = [], [], 0
    for t in toks:
        if t.text in "([{":
            depth += 1
        elif t.text in ")]}":
            depth -= 1
        if t.text == "," and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        parts.append(cur)
    return parts


def const_string(toks, what):
    """Adjacent string literals (optionally in parentheses) -> Python str."""
    ts = [t for t in toks if t.text not in ("(", ")")]
    if not ts or any(t.kind != "str" for t in ts):
        raise SrcError("%s is not a string constant: %s" % (what, " ".join(t.text for t in toks)))
    return "".join(unescape(t.text[1:-1]) for t in ts)


def unescape(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def value_text(toks):
    if len(toks) == 1:
        t = toks[0]
        if t.kind == "str":
            return unescape(t.text[1:-1])
        return t.text
    if toks and all(t.kind == "str" for t in toks if t.text not in "()"):
        return const_string(toks, "value")
    return " ".join(t.text for t in toks)


class CFile:
    def __init__(self, rel, toks):
        self.rel = rel
        self.toks = toks
        self.functions = {}      # name -> (param names, body tokens)
        self.typeinfos = {}      # var name -> {field: tokens}
        self.arrays = {}         # name -> list of props
        self.array_order = []
        self.type_inits = []     # function names given to type_init()
        self.parse()

    def parse(self):
        t = self.toks
        n = len(t)
        i = 0
        while i < n:
            x = t[i]
            # type_init(fn)
            if x.text == "type_init" and i + 3 < n and t[i + 1].text == "(":
                self.type_inits.append(t[i + 2].text)
                i = match_close(t, i + 1) + 1
                continue
            # GlobalProperty NAME [ ] = { ... }
            if x.text == "GlobalProperty" and i + 4 < n and t[i + 1].kind == "id" \
                    and t[i + 2].text == "[":
                name = t[i + 1].text
                j = match_close(t, i + 2) + 1
                if j < n and t[j].text == "=" and t[j + 1].text == "{":
                    end = match_close(t, j + 1)
                    self.add_array(name, t[j + 2:end])
                    i = end + 1
                    continue
            # TypeInfo NAME = { ... }
            if x.text == "TypeInfo" and i + 3 < n and t[i + 1].kind == "id" \
                    and t[i + 2].text == "=" and t[i + 3].text == "{":
                end = match_close(t, i + 3)
                fields = {}
                for part in split_commas(t[i + 4:end]):
                    if len(part) >= 3 and part[0].text == "." and part[2].text == "=":
                        fields[part[1].text] = part[3:]
                self.typeinfos[t[i + 1].text] = fields
                i = end + 1
                continue
            # function definition: IDENT ( params ) {   at top level
            if x.kind == "id" and i + 1 < n and t[i + 1].text == "(" and \
                    (i == 0 or t[i - 1].kind == "id" or t[i - 1].text == "*"):
                try:
                    close = match_close(t, i + 1)
                except SrcError:
                    i += 1
                    continue
                if close + 1 < n and t[close + 1].text == "{":
                    end = match_close(t, close + 1)
                    params = [p[-1].text for p in split_commas(t[i + 2:close]) if p]
                    body = t[close + 2:end]
                    self.functions[x.text] = (params, body)
                    # function-local GlobalProperty arrays
                    k = 0
                    while k < len(body):
                        if body[k].text == "GlobalProperty" and k + 2 < len(body) and \
                                body[k + 2].text == "[":
                            nm = body[k + 1].text
                            j = match_close(body, k + 2) + 1
                            if body[j].text == "=" and body[j + 1].text == "{":
                                e2 = match_close(body, j + 1)
                                self.add_array("%s.%s" % (x.text, nm), body[j + 2:e2],
                                               local_name=nm, func=x.text)
                                k = e2
                        k += 1
                    i = end + 1
                    continue
            i += 1

    def add_array(self, name, toks, local_name=None, func=None):
        props = []
        for entry in split_commas(toks):
            if not entry:
                continue
            if entry[0].text != "{" or entry[-1].text != "}":
                raise SrcError("%s: array %s: unexpected entry %s" %
                               (self.rel, name, " ".join(e.text for e in entry)))
            pos, named = [], {}
            for part in split_commas(entry[1:-1]):
                if len(part) >= 3 and part[0].text == "." and part[2].text == "=":
                    named[part[1].text] = part[3:]
                else:
                    pos.append(part)
            fields = dict(zip(("driver", "property", "value"), pos))
            fields.update({k: v for k, v in named.items()
                           if k in ("driver", "property", "value")})
            p = {"driver": const_string(fields["driver"], "driver"),
                 "property": const_string(fields["property"], "property"),
                 "value": value_text(fields["value"])}
            if "optional" in named and value_text(named["optional"]) in ("true", "1"):
                p["optional"] = True
            props.append(p)
        self.arrays[name] = {"props": props, "file": self.rel, "local_name": local_name,
                             "function": func}
        self.array_order.append(name)


# ---------------------------------------------------------------------------------------
# interpreting class_init / options functions

class ClassState:
    def __init__(self):
        self.compat = []          # list of (array name, prop)
        self.alias = None
        self.is_default = False
        self.deprecated = False
        self.settings = {}        # field -> (value text, function)
        self.calls = []           # options functions in call order


class Interp:
    def __init__(self, files, arrays):
        self.files = files        # list of CFile
        self.arrays = arrays      # global name -> array dict
        self.funcs = {}
        for f in files:
            for name, fn in f.functions.items():
                self.funcs.setdefault(name, (f, fn))

    def find(self, fname, here):
        """A function visible from file `here`: its own (static) first, then any file."""
        if here is not None and fname in here.functions:
            return here, here.functions[fname]
        return self.funcs.get(fname, (None, None))

    def call(self, fname, st, depth=0, here=None):
        if depth > 200:
            raise SrcError("call chain too deep at %s" % fname)
        f, fn = self.find(fname, here)
        if f is None:
            raise SrcError("function %s not found" % fname)
        params, body = fn
        st.calls.append(fname)
        self.block(body, 0, len(body), st, fname, f, depth, True)

    def block(self, t, i, end, st, fname, f, depth, active):
        """Execute statements t[i:end]; return False if a `return` was executed."""
        while i < end:
            x = t[i]
            if x.text == "{":
                e = match_close(t, i)
                if self.block(t, i + 1, e, st, fname, f, depth, active) is False and active:
                    return False
                i = e + 1
                continue
            if x.text == "if" and t[i + 1].text == "(":
                c = match_close(t, i + 1)
                try:
                    cond = bool(c_int_eval(t[i + 2:c]))
                    known = True
                except Exception:
                    cond, known = False, False
                i, r = self.stmt_or_block(t, c + 1, end, st, fname, f, depth,
                                          active and known and cond)
                if r is False:
                    return False
                if i < end and t[i].text == "else":
                    i, r = self.stmt_or_block(t, i + 1, end, st, fname, f, depth,
                                              active and known and not cond)
                    if r is False:
                        return False
                continue
            if x.text == "do" and t[i + 1].text == "{":
                e = match_close(t, i + 1)
                if self.block(t, i + 2, e, st, fname, f, depth, active) is False:
                    return False
                i = e + 1
                # while ( ... ) ;
                if i < end and t[i].text == "while":
                    i = match_close(t, i + 1) + 1
                if i < end and t[i].text == ";":
                    i += 1
                continue
            # plain statement up to ';' (at depth 0)
            j, depth_p = i, 0
            while j < end:
                if t[j].text in "([":
                    depth_p += 1
                elif t[j].text in ")]":
                    depth_p -= 1
                elif t[j].text == "{" and depth_p == 0:
                    break
                elif t[j].text == ";" and depth_p == 0:
                    break
                j += 1
            if active:
                if self.statement(t[i:j], st, fname, f, depth) is False:
                    return False
            i = j + 1 if j < end and t[j].text == ";" else j
            if i == j and j < end and t[j].text == "{":
                e = match_close(t, j)
                i = e + 1
        return True

    def stmt_or_block(self, t, i, end, st, fname, f, depth, active):
        if t[i].text == "{":
            e = match_close(t, i)
            r = self.block(t, i + 1, e, st, fname, f, depth, active)
            return e + 1, r
        j = i
        d = 0
        while j < end:
            if t[j].text in "([{":
                d += 1
            elif t[j].text in ")]}":
                d -= 1
            elif t[j].text == ";" and d == 0:
                break
            j += 1
        r = self.block(t, i, j + 1, st, fname, f, depth, active)
        return j + 1, r

    def statement(self, s, st, fname, f, depth):
        if not s:
            return True
        txt = [x.text for x in s]
        if txt[0] == "return":
            return False
        # call of a known function: NAME ( ARG )
        if s[0].kind == "id" and len(s) >= 3 and txt[1] == "(" and txt[-1] == ")" \
                and self.find(s[0].text, f)[0] is not None \
                and match_close(s, 1) == len(s) - 1:
            self.call(s[0].text, st, depth + 1, f)
            return True
        if txt[0] == "compat_props_add":
            args = split_commas(s[2:-1])
            if len(args) != 3:
                raise SrcError("%s: %s: odd compat_props_add" % (f.rel, fname))
            arr = args[1]
            if len(arr) != 1:
                raise SrcError("%s: %s: compat_props_add of %s" %
                               (f.rel, fname, " ".join(x.text for x in arr)))
            name = arr[0].text
            a = self.arrays.get("%s.%s" % (fname, name)) or self.arrays.get(name)
            if a is None:
                raise SrcError("%s: %s: unknown array %s" % (f.rel, fname, name))
            label = name if a["local_name"] is None else "%s/%s" % (a["function"], name)
            for p in a["props"]:
                st.compat.append((label, p))
            return True
        # X -> field = value
        if len(s) >= 5 and s[1].text == "->" and s[3].text == "=":
            field = s[2].text
            val = s[4:]
            if field == "alias":
                st.alias = None if value_text(val) in ("NULL", "0") else \
                    const_string(val, "alias")
            elif field == "is_default":
                st.is_default = value_text(val) in ("true", "1")
            elif field == "deprecation_reason":
                st.deprecated = value_text(val) not in ("NULL", "0")
            elif field in STREAM_SETTINGS:
                st.settings[field] = (value_text(val), fname)
        return True


# ---------------------------------------------------------------------------------------

def read_version(src):
    with open(os.path.join(src, "VERSION")) as f:
        v = f.read().strip()
    parts = (v.split(".") + ["0", "0"])[:3]
    return v, [int(re.sub(r"\D.*", "", p) or 0) for p in parts]


def analyse(src, arch, config=None):
    if arch not in BOARD_DIRS:
        raise SrcError("unknown arch %s" % arch)
    version, (vmaj, vmin, vmic) = read_version(src)
    config = DEFAULT_CONFIG if config is None else config
    pp = Preprocessor(TARGET_DEFINES[arch] + list(config),
                      {"QEMU_VERSION_MAJOR": vmaj, "QEMU_VERSION_MINOR": vmin,
                       "QEMU_VERSION_MICRO": vmic})
    for d in HEADER_DIRS[arch]:
        for root, dirs, files in os.walk(os.path.join(src, d)):
            dirs.sort()
            for fn in sorted(files):
                if fn.endswith(".h"):
                    p = os.path.join(root, fn)
                    pp.scan_header(p, os.path.relpath(p, src))

    # .c files that register machine types or add compat properties
    cfiles = []
    for d in BOARD_DIRS[arch]:
        base = os.path.join(src, d)
        for root, dirs, files in os.walk(base):
            dirs.sort()
            for fn in sorted(files):
                if not fn.endswith(".c"):
                    continue
                p = os.path.join(root, fn)
                with open(p, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                if "compat_props" in text or "GlobalProperty" in text or \
                        fn in ("machine.c", "pc.c"):
                    cfiles.append((os.path.relpath(p, src), text))

    warnings = []
    parsed = []
    for rel, text in cfiles:
        local = {}
        try:
            body = pp.run_lines(strip_comments(text), rel, local)
            toks = pp.expand(tokenize(body), local)
            parsed.append(CFile(rel, toks))
        except SrcError as e:
            warnings.append("%s: not parsed: %s" % (rel, e))

    arrays = {}
    for f in parsed:
        for name in f.array_order:
            if name in arrays and arrays[name]["props"] != f.arrays[name]["props"]:
                raise SrcError("array %s defined differently in %s and %s"
                               % (name, arrays[name]["file"], f.rel))
            arrays[name] = f.arrays[name]

    interp = Interp(parsed, arrays)
    machines = {}
    for f in parsed:
        registered = []
        for ti in f.type_inits:
            if ti not in f.functions:
                continue
            _, body = f.functions[ti]
            # executed for `return` (MACHINE_VER_DELETION) and type_register_static(&X)
            registered.extend(run_register(body, f))
        for var in registered:
            info = f.typeinfos.get(var)
            if not info or "name" not in info:
                continue
            try:
                tname = const_string(info["name"], "type name")
            except SrcError:
                continue
            if not tname.endswith("-machine"):
                continue
            if "abstract" in info and value_text(info["abstract"]) in ("true", "1"):
                continue
            if "class_init" not in info:
                continue
            ci = info["class_init"][0].text
            if interp.find(ci, f)[0] is None:
                warnings.append("%s: class_init %s of %s not found" % (f.rel, ci, tname))
                continue
            st = ClassState()
            interp.call(ci, st, 0, f)
            mname = tname[:-len("-machine")]
            machines[mname] = {
                "file": f.rel,
                "class_init": ci,
                "options": [c for c in st.calls if c != ci and c.endswith("_options")],
                "aliases": [st.alias] if st.alias else [],
                "default": st.is_default,
                "deprecated": st.deprecated,
                "compat_props": [dict(p, array=a) for a, p in st.compat],
                "settings": [{"setting": k, "value": v, "set_by": fn,
                              "stream_effect": STREAM_SETTINGS[k]}
                             for k, (v, fn) in sorted(st.settings.items())],
            }
    return {"qemu_source_version": version, "arch": arch,
            "config": sorted(TARGET_DEFINES[arch] + list(config)),
            "files": [f.rel for f in parsed],
            "arrays": {k: {"file": v["file"], "props": v["props"]} for k, v in arrays.items()},
            "machines": machines, "warnings": warnings}


def run_register(body, f):
    """Names of TypeInfo variables a type_init() function registers (stops at a taken
    `return`, i.e. MACHINE_VER_DELETION of an expired version)."""
    out = []
    i, n = 0, len(body)
    # evaluate `if (const) { return; }` at statement level
    while i < n:
        t = body[i]
        if t.text == "do" and i + 1 < n and body[i + 1].text == "{":
            e = match_close(body, i + 1)
            inner = body[i + 2:e]
            if has_taken_return(inner):
                return out
            i = e + 1
            continue
        if t.text == "if" and body[i + 1].text == "(":
            c = match_close(body, i + 1)
            if body[c + 1].text == "{":
                e = match_close(body, c + 1)
            else:
                e = c + 1
                while body[e].text != ";":
                    e += 1
            if has_taken_return(body[i:e + 1]):
                return out
            i = e + 1
            continue
        if t.text in ("type_register_static", "type_register") and body[i + 1].text == "(":
            c = match_close(body, i + 1)
            arg = [x for x in body[i + 2:c] if x.text not in ("&", "(", ")")]
            if arg:
                out.append(arg[0].text)
            i = c + 1
            continue
        if t.text == "type_register_static_array" and body[i + 1].text == "(":
            c = match_close(body, i + 1)
            out.append(body[i + 2].text + "[]")
            i = c + 1
            continue
        i += 1
    return out


def has_taken_return(toks):
    """Whether executing the statements `toks` reaches a `return` (constant conditions)."""
    i = 0
    while i < len(toks):
        x = toks[i].text
        if x == "return":
            return True
        if x == "{":
            e = match_close(toks, i)
            if has_taken_return(toks[i + 1:e]):
                return True
            i = e + 1
            continue
        if x == "if" and toks[i + 1].text == "(":
            c = match_close(toks, i + 1)
            try:
                cond = bool(c_int_eval(toks[i + 2:c]))
            except Exception:
                cond = False
            if toks[c + 1].text == "{":
                e = match_close(toks, c + 1)
                blk = toks[c + 2:e]
            else:
                e = c + 1
                while e < len(toks) and toks[e].text != ";":
                    e += 1
                blk = toks[c + 1:e + 1]
            if cond and has_taken_return(blk):
                return True
            i = e + 1
            if i < len(toks) and toks[i].text == "else":
                if toks[i + 1].text == "{":
                    e = match_close(toks, i + 1)
                    blk = toks[i + 2:e]
                else:
                    e = i + 1
                    while e < len(toks) and toks[e].text != ";":
                        e += 1
                    blk = toks[i + 1:e + 1]
                if not cond and has_taken_return(blk):
                    return True
                i = e + 1
            continue
        i += 1
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--arch", required=True, choices=sorted(BOARD_DIRS))
    ap.add_argument("--define", action="append", metavar="CONFIG_X",
                    help="CONFIG_* symbol taken as set (repeatable; replaces the default set)")
    a = ap.parse_args()
    try:
        r = analyse(a.src, a.arch, a.define)
    except SrcError as e:
        sys.exit("qemu_src_machines: %s" % e)
    json.dump(r, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
