#!/usr/bin/env python3
"""gen_machines.py - write one schemas/machines/qemu-RELEASE/ARCH.json (see schemas/README-compat.md).

Plain python3, standard library only.  Normally run by tools/gen-machines.sh.

    gen_machines.py --target qemu-10.0/x86_64 --binary QEMU --src QEMU-SOURCE-DIR \
                    [--qmp-compat] --out FILE

--qmp-compat (QEMU >= 9.1): the machine list and each machine's accumulated compat
    properties come from the binary (QMP query-machines {"compat-props": true}); the
    source tree is parsed as well (tools/qemu_src_machines.py) to name the array each
    property comes from, and the two lists are compared machine by machine.  Any
    difference is printed and recorded under provenance.source_vs_qmp.
without it (QEMU 7.2): compat properties come from the source tree alone; the binary's
    `-machine help` and QMP query-machines (names, aliases, default, deprecation) are the
    cross-check of the machine list.  Machines the binary has but whose source file adds no
    compat properties (boards, "none", "isapc") get an empty list.
"""

import argparse
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_src_machines as srcm  # noqa: E402
import qmp  # noqa: E402


def qmp_query(binary, args):
    """Run `binary -M none` with QMP on stdio; return query-machines' answer."""
    p = subprocess.Popen([binary, "-M", "none", "-nodefaults", "-display", "none",
                          "-qmp", "stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)

    try:
        q = qmp.stdio(p, error=RuntimeError)
        ret = q.cmd("query-machines", **args)
        q.cmd("quit")
    except EOFError:
        raise RuntimeError("QMP closed: %s" % p.stderr.read())
    finally:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return ret


def machine_help(binary):
    out = subprocess.run([binary, "-machine", "help"], capture_output=True, text=True,
                         check=True).stdout
    res = {}
    for line in out.splitlines()[1:]:
        m = re.match(r"(\S+)\s+(.*)$", line)
        if not m:
            continue
        name, desc = m.groups()
        a = re.search(r"\(alias of (\S+)\)", desc)
        if a:
            res.setdefault(a.group(1), {}).setdefault("aliases", []).append(name)
            continue
        e = res.setdefault(name, {})
        e.setdefault("aliases", [])
        e["default"] = "(default)" in desc
        e["deprecated"] = "(deprecated)" in desc
    return res


def cpu_pvrs(binary):
    """{CPU model: PVR} from `-cpu help` (PowerPC binaries print "PVR 004e1202"
    after each model, "PowerPC " before it up to 7.2; other architectures nothing)."""
    out = subprocess.run([binary, "-cpu", "help"], capture_output=True, text=True,
                         check=True).stdout
    res = {}
    for line in out.splitlines():
        m = re.match(r"\s*(?:PowerPC\s+)?(\S+)\s+PVR\s+([0-9a-fA-F]{8})\s*$", line)
        if m:
            res[m.group(1)] = int(m.group(2), 16)
    return res


def default_cpu(q, pvrs):
    """What a machine type runs without -cpu: QMP's default-cpu-type, and its PVR
    where the binary gives one (the identity ppc's cpu_post_load compares)."""
    t = q.get("default-cpu-type")
    if not t:
        return None
    d = {"type": t}
    for suffix in ("-powerpc64-cpu", "-powerpc-cpu"):
        if t.endswith(suffix) and t[:-len(suffix)] in pvrs:
            d["pvr"] = pvrs[t[:-len(suffix)]]
    return d


def dump_json(v, ind=0):
    """JSON with one line per flat object (each compat property on its own line)."""
    pad = " " * ind
    if isinstance(v, dict):
        if not v:
            return "{}"
        if all(not isinstance(x, (dict, list)) or not x for x in v.values()):
            return json.dumps(v)
        items = ["%s %s: %s" % (pad, json.dumps(k), dump_json(x, ind + 1)) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        if all(not isinstance(x, (dict, list)) for x in v):
            return json.dumps(v)
        items = ["%s %s" % (pad, dump_json(x, ind + 1)) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(v)


def version_key(name):
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"(\d+)", name)]


def attribute(qprops, arrays):
    """Split QMP's accumulated list into known arrays (greedy, in order).  Returns a list of
    array names (one per property, "unknown" where nothing matches)."""
    out = []
    i = 0
    cand = sorted(arrays.items(), key=lambda kv: -len(kv[1]["props"]))
    while i < len(qprops):
        for name, a in cand:
            ps = a["props"]
            if ps and [(p["driver"], p["property"], p["value"]) for p in ps] == \
                    [(q["qom-type"], q["property"], q["value"]) for q in qprops[i:i + len(ps)]]:
                out.extend([name] * len(ps))
                i += len(ps)
                break
        else:
            out.append("unknown")
            i += 1
    return out


def infer_arrays(qmap):
    """Without a source tree: name each QMP compat property by the newest machine version of
    its family (pc-q35, virt, ...) that still has it: "compat_X_Y" is what machine types
    X.Y have and the next version's lack (hw_compat_X_Y and the board's own arrays, not told
    apart).  {machine: [array per property]}."""
    fam = {}
    for name in qmap:
        m = re.match(r"(.*)-(\d+)\.(\d+)$", name)
        if m:
            fam.setdefault(m.group(1), []).append((int(m.group(2)), int(m.group(3)), name))
    out = {}
    for members in fam.values():
        members.sort()
        tup = [set((p["qom-type"], p["property"], p["value"])
                   for p in qmap[n].get("compat-props", [])) for _, _, n in members]
        for i, (_, _, n) in enumerate(members):
            names = []
            for p in qmap[n].get("compat-props", []):
                t, j = (p["qom-type"], p["property"], p["value"]), i
                while j + 1 < len(members) and t in tup[j + 1]:
                    j += 1
                names.append("compat_%d_%d" % members[j][:2] if j + 1 < len(members)
                             else "unknown")
            out[n] = names
    return out


def src_version(src):
    ch = os.path.join(src, "debian", "changelog")
    if os.path.exists(ch):
        with open(ch) as f:
            m = re.match(r"\S+ \((\S+)\)", f.readline())
            if m:
                return "Debian source package %s (debian/patches applied)" % m.group(1)
    with open(os.path.join(src, "VERSION")) as f:
        return ("upstream %s release tree (no debian/ directory: the tree of the Debian "
                "source package's orig tarball, Debian patches not applied)" % f.read().strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", required=True, help="e.g. qemu-10.0/x86_64")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--src", help="QEMU source tree of the same release (without one, "
                    "--qmp-compat only: no array names, no settings)")
    ap.add_argument("--src-label", help="how to name the source tree in provenance "
                    "(default: its directory name)")
    ap.add_argument("--qmp-compat", action="store_true")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    release, arch = a.target.split("/")
    binary_name = "qemu-system-" + arch   # --binary may be a wrapper (qemu-REL-ARCH)
    qemu_version = subprocess.run([a.binary, "--version"], capture_output=True, text=True,
                                  check=True).stdout.splitlines()[0]
    if not a.src and not a.qmp_compat:
        ap.error("--src is needed without --qmp-compat")
    if a.src:
        label = a.src_label or os.path.basename(os.path.normpath(a.src))
        src = srcm.analyse(a.src, arch)
    else:
        label = None
        src = {"machines": {}, "arrays": {}, "files": [], "config": [], "warnings": []}
    problems = []
    for w in src["warnings"]:
        print("gen_machines: %s: source: %s" % (a.target, w), file=sys.stderr)

    helpinfo = machine_help(a.binary)
    qm = qmp_query(a.binary, {"compat-props": True} if a.qmp_compat else {})
    qmap = {m["name"]: m for m in qm}
    pvrs = cpu_pvrs(a.binary)
    if set(qmap) != set(helpinfo):
        problems.append("QMP and -machine help list different machines: %s"
                        % sorted(set(qmap) ^ set(helpinfo)))

    inferred = infer_arrays(qmap) if a.qmp_compat and not a.src else {}
    machines = {}
    comparison = {"machines_compared": 0, "equal": 0, "differences": []}
    list_check = {"binary_machines": len(qmap), "source_machines": len(src["machines"]),
                  "in_source_not_in_binary": sorted(set(src["machines"]) - set(qmap),
                                                    key=version_key),
                  "in_binary_without_source_compat_code": sorted(
                      set(qmap) - set(src["machines"]), key=version_key),
                  "attribute_differences": []}

    for name in sorted(qmap, key=version_key):
        q = qmap[name]
        s = src["machines"].get(name)
        entry = {
            "aliases": [q["alias"]] if q.get("alias") else [],
            "default": bool(q.get("is-default", False)),
            "deprecated": bool(q.get("deprecated", False)),
        }
        if default_cpu(q, pvrs):
            entry["default_cpu"] = default_cpu(q, pvrs)
        # alias/default/deprecated: binary vs source
        if s is not None:
            for k in ("aliases", "default", "deprecated"):
                if s[k] != entry[k]:
                    list_check["attribute_differences"].append(
                        {"machine": name, "field": k, "source": s[k], "binary": entry[k]})
        if helpinfo.get(name, {}).get("aliases", []) != entry["aliases"]:
            problems.append("%s: -machine help aliases %s, QMP %s" %
                            (name, helpinfo.get(name, {}).get("aliases"), entry["aliases"]))

        if a.qmp_compat and not a.src:
            props = [{"driver": p["qom-type"], "property": p["property"], "value": p["value"],
                      "array": arr}
                     for p, arr in zip(q.get("compat-props", []),
                                       inferred.get(name, ["unknown"] * 10000))]
        elif a.qmp_compat:
            qprops = q.get("compat-props", [])
            sprops = s["compat_props"] if s is not None else []
            comparison["machines_compared"] += 1
            qt = [(p["qom-type"], p["property"], p["value"]) for p in qprops]
            st = [(p["driver"], p["property"], p["value"]) for p in sprops]
            if qt == st:
                comparison["equal"] += 1
                props = [dict(p) for p in sprops]
            else:
                diff = {"machine": name, "qmp_count": len(qt), "source_count": len(st),
                        "only_in_qmp": [list(x) for x in qt if x not in st],
                        "only_in_source": [list(x) for x in st if x not in qt]}
                if not diff["only_in_qmp"] and not diff["only_in_source"]:
                    diff["note"] = "same properties, different order"
                comparison["differences"].append(diff)
                names = attribute(qprops, src["arrays"])
                props = [{"driver": p["qom-type"], "property": p["property"],
                          "value": p["value"], "array": arr}
                         for p, arr in zip(qprops, names)]
        else:
            props = [dict(p) for p in s["compat_props"]] if s is not None else []
        for p in props:
            p.setdefault("array", "unknown")
        entry["compat_props"] = [{k: p[k] for k in ("driver", "property", "value", "array",
                                                    "optional") if k in p} for p in props]
        if s is not None:
            if s["settings"]:
                entry["settings"] = s["settings"]
            entry["source"] = {"file": s["file"], "options": s["options"]}
        machines[name] = entry

    if a.qmp_compat and not a.src:
        method = ("machine list, aliases, default, deprecation and each machine's accumulated "
                  "compat properties from QMP query-machines {\"compat-props\": true} of the "
                  "binary; no source tree, so each property's array is inferred: compat_X_Y "
                  "names what machine types X.Y have and the next version's lack (hw_compat_X_Y "
                  "and the board's own arrays together), \"unknown\" what the newest has too")
    elif a.qmp_compat:
        method = ("machine list, aliases, default, deprecation and each machine's accumulated "
                  "compat properties from QMP query-machines {\"compat-props\": true} of the "
                  "binary; the array each property comes from, and the stream-relevant "
                  "settings, from the source tree (tools/qemu_src_machines.py), whose own "
                  "compat lists were compared with QMP's (source_vs_qmp)")
    else:
        method = ("compat properties, aliases, default, deprecation and stream-relevant "
                  "settings from the source tree (tools/qemu_src_machines.py: GlobalProperty "
                  "arrays and the machine class_init/*_options() chains); machine list "
                  "cross-checked with the binary's -machine help and QMP query-machines")
    prov = {
        "generator": "tools/gen-machines.sh (tools/gen_machines.py, tools/qemu_src_machines.py)",
        "method": method,
        "binary": binary_name,
        "qmp": "query-machines" + (' {"compat-props": true}' if a.qmp_compat else ""),
        "source": {
            "tree": label,
            "version": src_version(a.src),
            "files_parsed": src["files"],
            "config_symbols": src["config"],
            "warnings": src["warnings"],
        } if a.src else "none: the archive serves no source of this QEMU, so no property "
                         "names its array (\"unknown\") and no machine has settings",
        "machine_list_check": list_check,
    }
    if a.qmp_compat and a.src:
        prov["source_vs_qmp"] = comparison
    if problems:
        prov["problems"] = problems
    doc = {
        "format": "vmstate-inspect-machines",
        "format_version": 1,
        "target": a.target,
        "qemu_version": qemu_version,
        "provenance": prov,
        "machines": machines,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(dump_json(doc))
        f.write("\n")

    # report
    print("%s: %d machines, %d with compat properties" %
          (a.target, len(machines), sum(1 for m in machines.values() if m["compat_props"])))
    if a.qmp_compat and a.src:
        print("  source vs QMP: %d machines compared, %d equal, %d differ" %
              (comparison["machines_compared"], comparison["equal"],
               len(comparison["differences"])))
        for d in comparison["differences"]:
            print("   DIFF %s: %s" % (d["machine"], json.dumps(d)))
    if list_check["in_source_not_in_binary"]:
        print("  in source, not in the binary: %s" % " ".join(list_check["in_source_not_in_binary"]))
    for d in list_check["attribute_differences"]:
        print("  source/binary disagree: %s" % json.dumps(d))
    for p in problems:
        print("  problem: %s" % p)
    unknown = sum(1 for m in machines.values() for p in m["compat_props"]
                  if p["array"] == "unknown")
    if unknown:
        print("  %d compat properties could not be attributed to an array" % unknown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
