"""Branch coverage of the compiler by random programs alone: the blind spots.

Usage::

    python tools/fuzz_coverage.py --count 1000 [--seed 0] [--entries all|legacy]
                                  [--backend numpy|numba|auto]
                                  [--missing] [--json FILE] [--tree DIR]

Runs ``count`` random programs (seeds ``seed ..``) through the checker under
coverage.py with branch coverage of ``adcompiler/frontend``,
``adcompiler/analysis``, ``adcompiler/transform`` and ``adcompiler/codegen``
(nothing else runs: no unit tests; the generator and checker,
``adcompiler/testing/``, are never measured), then prints per package and overall the
branch coverage (covered branches / branches) and coverage.py's combined
figure (statements and branches), and with ``--missing`` every uncovered
branch as ``file:line->target`` (``->exit`` for a function exit) and every
statement never run.

``--entries legacy`` drives each program through its one reverse-mode entry
point (``check_program``: the checker as it was before the multi-entry
checker); ``all`` (the default) drives every entry point (``check_all``).

Two figures are printed: all branches, and the branches a valid program
can take: a branch into a refusal (its target line raises or calls the
error helper: ``self.err(``, ``nz.err(``, ``_err(``, ``raise``) only fires
on input the compiler refuses, so it counts in the first figure only (the
refusal test suites cover those). ``--combine A.json B.json ...`` merges
reports of runs over disjoint seed ranges (for example two processes on two
cores) and prints the figures of the union without running anything.

``--backend numba`` (or ``auto``) runs ``autodiff`` and ``autodiff_thunk``
(and what the checks build on them) under that backend, as
``run_random_programs.py --backend`` does, and measures
``adcompiler/backends`` too: what the random programs reach of the numba
translation.

``--tree DIR`` measures the ``adcompiler`` package in ``DIR`` instead of the
installed one: a snapshot such as ``git archive HEAD adcompiler | tar -x -C
DIR``, so that edits to the working tree during a long run neither change
the compiler under test nor shift the line numbers of the report (the
generator, part of the package, then comes from the snapshot too).
"""
from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

PACKAGES = ("frontend", "analysis", "transform", "codegen")


class _TreeFinder(importlib.abc.MetaPathFinder):
    """Finds the top-level ``adcompiler`` package in one directory (its submodules follow its ``__path__``)."""

    def __init__(self, tree: Path):
        self.tree = str(tree)

    def find_spec(self, name, path=None, target=None):
        if name != "adcompiler":
            return None
        return importlib.machinery.PathFinder.find_spec(name, [self.tree])


def use_tree(tree: Path) -> None:
    """Import ``adcompiler`` from ``tree`` (ahead of the installed or editable package)."""
    sys.meta_path.insert(0, _TreeFinder(tree.resolve()))
    for name in [m for m in sys.modules if m == "adcompiler" or m.startswith("adcompiler.")]:
        del sys.modules[name]


def _package_base() -> Path:
    spec = importlib.util.find_spec("adcompiler")   # finds the package without importing it
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _package_dirs(packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """The measured code: the compiler's passes, never ``adcompiler/testing`` (the generator)."""
    base = _package_base()
    assert not any((base / p).resolve().is_relative_to((base / "testing").resolve()) for p in packages)
    return [str(base / p) for p in packages]


def _api(backend: str):
    """adcompiler as the checks call it, ``autodiff`` and ``autodiff_thunk`` under ``backend``
    (None: the checker's default, the package itself)."""
    if backend == "numpy":
        return None
    import functools
    from types import SimpleNamespace

    import adcompiler as ad
    from adcompiler.errors import AdCompilerError
    module = SimpleNamespace(**{n: getattr(ad, n) for n in dir(ad) if not n.startswith("_")})
    module.autodiff = functools.partial(ad.autodiff, backend=backend)
    module.autodiff_thunk = functools.partial(ad.autodiff_thunk, backend=backend)
    return SimpleNamespace(module=module, error=AdCompilerError)


def _ranges(lines: list[int]) -> str:
    out, start, prev = [], None, None
    for n in sorted(lines):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)


def run(count: int, seed: int, entries: str, every: int, backend: str = "numpy") -> dict:
    """Run the programs under coverage; return coverage.py's JSON report."""
    import coverage

    omit = [str(_package_base() / "testing" / "*")]   # the generator and checker are not the compiler
    packages = PACKAGES + (("backends",) if backend != "numpy" else ())
    cov = coverage.Coverage(branch=True, source=_package_dirs(packages), omit=omit, data_file=None)
    cov.start()
    try:
        from adcompiler.testing import programs as fuzz

        tally: dict = defaultdict(int)
        start = time.perf_counter()
        for k, s in enumerate(range(seed, seed + count), 1):
            prog = fuzz.generate_program(s)
            check = fuzz.check_program if entries == "legacy" else fuzz.check_all
            tally[check(prog, api=_api(backend)).status] += 1
            if every and k % every == 0:
                print(f"... {k} programs {dict(tally)} {time.perf_counter() - start:.0f}s",
                      file=sys.stderr, flush=True)
    finally:
        cov.stop()
    print(f"programs: {count} (seeds {seed}..{seed + count - 1}, entries={entries}, backend={backend})"
          f" {dict(tally)}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cov.json"
        cov.json_report(outfile=str(out))
        report = json.loads(out.read_text())
    measured_generator = [f for f in report["files"] if "adcompiler/testing/" in Path(f).as_posix()]
    assert not measured_generator, f"the generator was measured: {measured_generator[:3]}"
    return report


REFUSAL = ("self.err(", "nz.err(", "_err(", "raise ", "self._err(")


def _refusal_targets(path: str) -> set[int]:
    """Lines of ``path`` that start a refusal (an error raised on invalid input)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return set()
    return {k for k, text in enumerate(lines, 1) if text.strip().startswith(REFUSAL)}


def combine(reports: list[dict]) -> dict:
    """The union of coverage.py JSON reports of the same tree (covered anywhere: covered)."""
    out: dict = {"files": {}}
    for rep in reports:
        for path, data in rep["files"].items():
            cur = out["files"].setdefault(path, {"executed_branches": set(), "all_branches": set(),
                                                 "executed_lines": set(), "all_lines": set()})
            cur["executed_branches"] |= {tuple(b) for b in data.get("executed_branches", [])}
            cur["all_branches"] |= {tuple(b) for b in data.get("executed_branches", []) + data.get("missing_branches", [])}
            cur["executed_lines"] |= set(data.get("executed_lines", []))
            cur["all_lines"] |= set(data.get("executed_lines", []) + data.get("missing_lines", []))
    for data in out["files"].values():
        eb, ab, el, al = data.pop("executed_branches"), data.pop("all_branches"), data.pop("executed_lines"), data.pop("all_lines")
        data["executed_branches"] = sorted(eb)
        data["missing_branches"] = sorted(ab - eb)
        data["executed_lines"] = sorted(el)
        data["missing_lines"] = sorted(al - el)
        data["summary"] = {"num_branches": len(ab), "covered_branches": len(eb),
                           "num_statements": len(al), "covered_lines": len(el)}
    return out


def summarize(report: dict, missing: bool) -> float:
    """Print the figures; return the overall branch coverage in percent."""
    per: dict = defaultdict(lambda: [0, 0, 0, 0, 0, 0])   # branches, covered, statements, covered, valid, covered
    gaps: list[str] = []
    for path, data in sorted(report["files"].items()):
        rel = path[path.rfind("adcompiler/"):] if "adcompiler/" in path else path
        parts = rel.split("/")
        pkg = parts[1] if len(parts) > 2 else "?"
        s = data["summary"]
        for key in (pkg, "overall"):
            acc = per[key]
            acc[0] += s["num_branches"]
            acc[1] += s["covered_branches"]
            acc[2] += s["num_statements"]
            acc[3] += s["covered_lines"]
        refusals = _refusal_targets(path)
        valid = [b for b in data.get("missing_branches", []) if b[1] not in refusals]
        done = [b for b in data.get("executed_branches", []) if b[1] not in refusals]
        for key in (pkg, "overall"):
            per[key][4] += len(valid) + len(done)
            per[key][5] += len(done)
        if missing:
            for a, b in data.get("missing_branches", []):
                tag = "  (refusal)" if b in refusals else ""
                gaps.append(f"{rel}:{a}->{'exit' if b < 0 else b}{tag}")
            if data.get("missing_lines"):
                gaps.append(f"{rel}: lines never run: {_ranges(data['missing_lines'])}")

    def pct(a: int, b: int) -> float:
        return 100.0 * a / b if b else 100.0

    print(f"{'package':<12} {'branches':>9} {'covered':>8} {'branch %':>9} {'stmt+branch %':>14}"
          f" {'valid-program branches':>23} {'branch %':>9}")
    for key in [*PACKAGES, *(["backends"] if "backends" in per else []), "overall"]:
        b, cb, st, cs, vb, vcb = per[key]
        print(f"{key:<12} {b:>9} {cb:>8} {pct(cb, b):>8.1f}% {pct(cb + cs, b + st):>13.1f}%"
              f" {f'{vcb}/{vb}':>23} {pct(vcb, vb):>8.1f}%")
    if missing:
        print(f"\nuncovered ({sum(1 for g in gaps if '->' in g)} branches):")
        for g in gaps:
            print("  " + g)
    b, cb = per["overall"][:2]
    return pct(cb, b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="first program seed")
    ap.add_argument("--entries", choices=("all", "legacy"), default="all",
                    help="all entry points per program (default) or the single reverse-mode one")
    ap.add_argument("--missing", action="store_true", help="list uncovered branches and lines")
    ap.add_argument("--json", type=Path, default=None, help="also write coverage.py's JSON report here")
    ap.add_argument("--every", type=int, default=200, help="progress line (stderr) every N programs")
    ap.add_argument("--backend", choices=("numpy", "numba", "auto"), default="numpy",
                    help="run the programs under this backend (numba, auto: adcompiler/backends is measured too)")
    ap.add_argument("--tree", type=Path, default=None,
                    help="measure the adcompiler package in this directory (a snapshot)")
    ap.add_argument("--combine", type=Path, nargs="+", default=None, metavar="JSON",
                    help="print the figures of the union of these --json reports (runs nothing)")
    args = ap.parse_args(argv)
    if args.combine:
        summarize(combine([json.loads(p.read_text()) for p in args.combine]), args.missing)
        return 0
    if args.tree:
        use_tree(args.tree)
    report = run(args.count, args.seed, args.entries, args.every, args.backend)
    if args.json:
        args.json.write_text(json.dumps(report))
    summarize(report, args.missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
