#!/usr/bin/env python3
"""File-level dependency cycles of src/ (issue 10).

file-deps.py SRCDIR OBJDIR [--check]

A file depends on another when it calls a function (or uses a variable)
that the other defines: the undefined symbols of OBJDIR/X.o (nm) against
the defined ones of every other object of src/ but main.o.  Prints every
strongly connected component of more than one file, and the files that
form a 2-cycle with walk.c.  With --check, exits 1 when a component holds
a walk*/decode*/vmdesc file and is anything but the walker's inherent
PACKAGED recursion {walk, walk-command}.
"""
import os
import subprocess
import sys


def graph(objdir):
    defs, undefs = {}, {}
    lib = os.path.join(objdir, 'libvmstate.a')
    # The library's members only: a build tree can keep objects of files
    # since renamed or removed.
    members = set(subprocess.run(['ar', 't', lib], capture_output=True, text=True,
                                 check=True).stdout.split()) if os.path.exists(lib) else None
    for o in sorted(os.listdir(objdir)):
        if not o.endswith('.o') or o == 'main.o' or (members is not None and o not in members):
            continue
        mod = o[:-2]
        out = subprocess.run(['nm', os.path.join(objdir, o)], capture_output=True,
                             text=True, check=True).stdout
        undefs[mod] = set()
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in 'TDBRC':
                defs[p[2]] = mod
            elif len(p) == 2 and p[0] == 'U':
                undefs[mod].add(p[1])
    return {m: {defs[u] for u in us if u in defs and defs[u] != m}
            for m, us in undefs.items()}


def sccs(g):
    index, low, stack, on, out = {}, {}, [], set(), []
    for root in sorted(g):
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    c = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        c.append(w)
                        if w == v:
                            break
                    if len(c) > 1:
                        out.append(sorted(c))
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    g = graph(sys.argv[2])
    if 'walk' not in g:
        sys.exit(f'file-deps: no walk.o in {sys.argv[2]}')
    bad = 0
    comps = sccs(g)
    print(f'{len(g)} objects; call cycles (strongly connected components of more than one file):')
    for c in comps:
        walker = any(m.startswith(('walk', 'decode', 'vmdesc')) for m in c)
        ok = not walker or c == ['walk', 'walk-command']
        bad += not ok
        print(f'  {"ok  " if ok else "FAIL"} {len(c)}: {" ".join(c)}')
    two = sorted(m for m in g['walk'] if 'walk' in g[m])
    print(f'2-cycles through walk.c: {len(two)} ({" ".join(two)})')
    if '--check' in sys.argv and bad:
        print('FAIL: a cycle through the walker or the decoder other than the PACKAGED '
              'recursion (walk <-> walk-command)')
        sys.exit(1)


main()
