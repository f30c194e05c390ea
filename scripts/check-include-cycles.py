#!/usr/bin/env python3
"""check-include-cycles.py [ROOT...]: the module include graph has no cycles, and src/
folders include only the folders the table below allows.

A module is x.c + x.h in one folder (either may be missing), and x_internal.h, the
module's private header (libuv's convention), when there is one. Module A depends on module B
when A's .c or .h has `#include "B.h"`, looked up as the compiler does for the build:
first beside the including file (sim's own "sim_json.h"), then under each ROOT in order
(src/'s "media/image.h"). Includes that resolve outside the ROOTs (include/visionbatch.h,
system headers) are not part of the graph.

Without arguments the ROOTs are src/ and sim/ of the checkout this script lives in.
Prints every cycle as `a -> b -> c -> a` with the include behind each arrow, and every
include that breaks the folder table, then exits 1; otherwise prints one summary line
and exits 0. The folder table applies to modules under a ROOT named `src`.

Standard library only: CTest runs it as lint.include_cycles."""
import os
import re
import sys

# Which src/ folders each src/ folder may include (its own folder always). Read off the
# tree as it is, not wished for: each row is what the folder's files include today (the
# comment says which files need the less obvious ones), plus util/, the bottom layer that
# includes nothing. A new include across folders fails this check until its row here
# says so, which puts the direction of the dependency in front of a reviewer. Rows are in
# data-path order (input -> media -> prepare -> admit -> send -> record); "*" is any
# folder. docs/architecture.md shows the same table.
FOLDER_RULES = {
    "util": set(),
    "input": {"util"},
    # media/resize.c sizes images by cost/tokens.h's rules
    "media": {"util", "cost"},
    # cost/estimate.c walks the input and reads image headers (the estimate command), so
    # cost/ and media/ include each other: moving estimate.c out is a change of its own
    "cost": {"util", "input", "media"},
    # prepare.c fills provider/ request templates and looks finished items up in
    # record/'s journal; provider/openai_batch_lines.c builds a request_t (request.h)
    "prepare": {"util", "input", "media", "cost", "provider", "record"},
    # a provider reads its limit headers into admit/'s ratelimit_info_t with admit/'s
    # value parsers
    "provider": {"util", "media", "cost", "prepare", "admit"},
    # admit/dedupe.c holds copies of a request_t
    "admit": {"util", "prepare"},
    "send": {"util", "input", "cost", "prepare", "provider", "admit", "record"},
    # record/results.c records request_t items (prepare/), hands copies their first's
    # answer (admit/dedupe.c) and writes a provider's batch output lines (provider/);
    # record/resume.c keeps the ids whose replay waits for a change check (input/idset.h)
    "record": {"util", "input", "prepare", "admit", "provider"},
    # the Redis-backed versions of admit/, cost/budget, input/ and prepare/'s cache;
    # redis_limiter hashes its keys with media/hash.h
    "redis": {"util", "input", "media", "cost", "prepare", "admit"},
    "report": {"util", "record"},
    # the public API sits over the whole library
    "api": {"*"},
    # the CLI is a user of the library: include/visionbatch.h (outside src/) and its own
    "cli": set(),
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCE_EXTS = (".c", ".h")
MAX_CYCLES = 200  # per strongly connected component; past this the graph needs a human


def scan(roots):
    """Returns (modules, edges): modules maps a module name (its path from the roots'
    common parent, without extension) to (its root, its path within that root); edges
    maps (a, b) to the list of (file, line, text) includes that make a depend on b."""
    base = os.path.commonpath([os.path.abspath(r) for r in roots])
    if len(roots) == 1:
        base = os.path.dirname(base)
    files = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SOURCE_EXTS):
                    files.append((root, os.path.join(dirpath, name)))

    def module_of(path):
        rel = os.path.relpath(os.path.abspath(path), base)
        name = os.path.splitext(rel)[0].replace(os.sep, "/")
        return name[: -len("_internal")] if name.endswith("_internal") else name

    known = {os.path.abspath(path) for _, path in files}
    modules = {}
    for root, path in files:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
        modules[module_of(path)] = (root, os.path.splitext(rel)[0].replace(os.sep, "/"))
    edges = {}
    for root, path in files:
        here = module_of(path)
        with open(path, encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                target = None
                for d in [os.path.dirname(path)] + list(roots):
                    cand = os.path.abspath(os.path.join(d, m.group(1)))
                    if cand in known:
                        target = cand
                        break
                if target is None:
                    continue
                there = module_of(target)
                if there != here:
                    edges.setdefault((here, there), []).append(
                        (os.path.relpath(path, base), lineno, line.strip()))
    return modules, edges


def strongly_connected(nodes, succ):
    """Tarjan's algorithm, iterative (the graph may be deeper than Python's stack)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(succ.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def simple_cycles(comp, succ):
    """Every elementary cycle inside one strongly connected component, each starting at
    its smallest module name so the output is stable. Stops at MAX_CYCLES."""
    members = set(comp)
    cycles = []
    for s in comp:  # comp is sorted: a cycle is found once, from its smallest member
        allowed = {n for n in members if n >= s}
        path, stack = [s], [iter(sorted(n for n in succ.get(s, ()) if n in allowed))]
        while stack:
            advanced = False
            for w in stack[-1]:
                if w == s:
                    cycles.append(list(path))
                    if len(cycles) >= MAX_CYCLES:
                        return cycles, True
                elif w not in path:
                    path.append(w)
                    stack.append(iter(sorted(n for n in succ.get(w, ()) if n in allowed)))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                path.pop()
    return cycles, False


def folder_of(module, modules):
    """The src/ folder of a module under a root named src ("" for one at its top), else
    None."""
    root, rel = modules[module]
    if os.path.basename(os.path.normpath(root)) != "src":
        return None
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else ""


def folder_findings(modules, edges):
    """Includes from a src/ folder into a src/ folder its FOLDER_RULES row does not list,
    and src/ folders the table does not know."""
    out = []
    unknown = set()
    for (a, b), where in sorted(edges.items()):
        fa, fb = folder_of(a, modules), folder_of(b, modules)
        if fa is None or fb is None or fa == fb:
            continue
        if fa not in FOLDER_RULES:
            unknown.add(fa)
            continue
        allowed = FOLDER_RULES[fa]
        if "*" in allowed or fb in allowed:
            continue
        for file, line, text in where:
            out.append("%s:%d: %s: folder %s/ may not include %s/ (%s)" %
                       (file, line, text, fa, fb, "FOLDER_RULES in " +
                        os.path.basename(__file__)))
    for m in sorted(modules):
        f = folder_of(m, modules)
        if f is not None and f not in FOLDER_RULES:
            unknown.add(f)
    for f in sorted(unknown):
        out.append("src folder %r has no row in FOLDER_RULES (%s): add what it may include"
                   % (f or "(top)", os.path.basename(__file__)))
    return out


def main(argv):
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        return 0
    roots = argv
    if not roots:
        top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        roots = [os.path.join(top, "src"), os.path.join(top, "sim")]
    for r in roots:
        if not os.path.isdir(r):
            print("check-include-cycles: %s: not a directory" % r, file=sys.stderr)
            return 2
    modules, edges = scan(roots)
    succ = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)

    bad = 0
    for comp in strongly_connected(sorted(modules), succ):
        if len(comp) < 2:
            continue
        cycles, truncated = simple_cycles(comp, succ)
        for cyc in cycles:
            bad += 1
            print("include cycle: " + " -> ".join(cyc + [cyc[0]]))
            for a, b in zip(cyc, cyc[1:] + cyc[:1]):
                for file, line, text in edges[(a, b)]:
                    print("    %s:%d: %s" % (file, line, text))
        if truncated:
            print("    ... more than %d cycles among: %s" % (MAX_CYCLES, " ".join(comp)))
    findings = folder_findings(modules, edges)
    for f in findings:
        print(f)
    if bad or findings:
        print("include graph: %d modules, %d edges, %d cycles, %d folder rule findings" %
              (len(modules), len(edges), bad, len(findings)))
        return 1
    print("include graph: %d modules, %d edges, no cycles, folder rules hold" %
          (len(modules), len(edges)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
