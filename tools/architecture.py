"""Measure the package's layout: modules at the root, import cycles (imports
inside functions included), the largest modules and the longest functions.

    python tools/architecture.py            # a report
    python tools/architecture.py --check    # exit 1 if a target is missed

Targets: at most 7 modules at the package root, no import cycle, no module
over 500 lines, at most 3 functions over 60 lines, and the leaves (errors,
activity, runtime, rules, kinds, notes, naming) import nothing above them. A package's ``__init__``
importing its own children is not an edge of the graph (re-exports).
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "adcompiler"
MAX_ROOT, MAX_LINES, LONG, MAX_LONG = 7, 500, 60, 3
#: the leaves: what each may import from the package (prefixes)
LEAVES = {
    "adcompiler.errors": (),
    "adcompiler.activity": ("adcompiler.errors",),
    "adcompiler.runtime": ("adcompiler.runtime",),
    "adcompiler.rules": ("adcompiler.rules", "adcompiler.runtime", "adcompiler.errors", "adcompiler.analysis.kinds"),
    "adcompiler.analysis.kinds": ("adcompiler.errors",),
    "adcompiler.frontend.notes": (),
    "adcompiler.codegen.naming": (),
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(mods: dict) -> dict:
    """module -> set of package modules it imports (anywhere in its body)."""
    graph = {}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        out = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(mod, is_pkg, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != mod and t.startswith("adcompiler"):
                    if is_pkg and t.startswith(mod + "."):
                        continue   # a package re-exporting its own children
                    out.add(t)
        graph[mod] = out
    return graph


def cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(old)   # the caller's limit (other code depends on it)
    return comps


def layering(graph: dict) -> list:
    """(module, imported) pairs where a leaf imports something above it."""
    out = []
    for mod, deps in sorted(graph.items()):
        for leaf, allowed in LEAVES.items():
            if mod == leaf or mod.startswith(leaf + "."):
                out += [(mod, d) for d in sorted(deps) if not any(d == a or d.startswith(a + ".") for a in allowed)]
    return out


def long_functions(mods: dict) -> list:
    out = []
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > LONG:
                    out.append((n, f"{mod}.{node.name}"))
    return sorted(out, reverse=True)


def report() -> dict:
    mods = modules()
    root = sorted(p.name for p in ROOT.glob("*.py"))
    sizes = sorted(((len(p.read_text().splitlines()), m) for m, p in mods.items()), reverse=True)
    graph = imports(mods)
    in_functions = 0
    for path in mods.values():
        seen = set()
        for fn in ast.walk(ast.parse(path.read_text())):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                seen |= {id(n) for s in fn.body for n in ast.walk(s) if isinstance(n, (ast.Import, ast.ImportFrom))}
        in_functions += len(seen)
    return {"root": root, "sizes": sizes, "cycles": cycles(graph), "long": long_functions(mods),
            "layering": layering(graph),
            "imports_in_functions": in_functions, "modules": len(mods)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args(argv)
    r = report()
    print(f"modules: {r['modules']}; at the package root: {len(r['root'])} ({', '.join(r['root'])})")
    print(f"import cycles (imports inside functions counted): {len(r['cycles'])}")
    for c in r["cycles"]:
        print("   ", " <-> ".join(c))
    print(f"imports inside functions: {r['imports_in_functions']}")
    print(f"leaves importing something above them: {len(r['layering'])}")
    for mod, dep in r["layering"]:
        print(f"    {mod} -> {dep}")
    print("largest modules:", ", ".join(f"{m} ({n})" for n, m in r["sizes"][:5]))
    print(f"functions over {LONG} lines: {len(r['long'])}")
    for n, f in r["long"]:
        print(f"    {n:4d}  {f}")
    missed = []
    if len(r["root"]) > MAX_ROOT:
        missed.append(f"{len(r['root'])} modules at the root (at most {MAX_ROOT})")
    if r["cycles"]:
        missed.append(f"{len(r['cycles'])} import cycles")
    if r["sizes"][0][0] > MAX_LINES:
        missed.append(f"{r['sizes'][0][1]} has {r['sizes'][0][0]} lines (at most {MAX_LINES})")
    if r["layering"]:
        missed.append(f"{len(r['layering'])} imports from a leaf upwards")
    if len(r["long"]) > MAX_LONG:
        missed.append(f"{len(r['long'])} functions over {LONG} lines (at most {MAX_LONG})")
    for m in missed:
        print("MISSED:", m)
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
