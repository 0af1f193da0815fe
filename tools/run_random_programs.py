"""Long random-program run against adcompiler.

Usage::

    python tools/run_random_programs.py --count 10000 --seed 0 [--out fuzz_failures]
    python tools/run_random_programs.py --count 10000 --mode forward
    python tools/run_random_programs.py --count 1000 --mode all [--features 1.0]
    python tools/run_random_programs.py --count 100 --mode all --features 1.0 --forms complex,masked

Generates ``count`` programs with seeds ``seed .. seed+count-1`` (the same
generator as ``tests/test_random_programs.py``), differentiates each with
prefilled shadows and compares against central finite differences and the
plain run. Prints programs run, ok, refused, wrong, errors, skipped and the
elapsed time, plus the refusals by category (exception type and message with names, paths and
numbers blanked). ``--mode``: ``legacy`` (the default: each program's own
reverse mode, as the CI sample), ``reverse`` (Reverse, ReverseWithPrimal,
split with fresh shadows, the emitted module's reverse/fwd/rev), ``forward``
(Forward, BatchDuplicated, the emitted forward module), ``checkpoint``
(Reverse and the checkpointed entries: 1, 2 (split mode) and 1000 snapshots),
``second`` (Reverse and ``hvp`` against differences of the gradient, for
float64 programs returning a float) or ``all`` (every entry point, the checkpointed ones included, autograd, torch
and JAX on every 10th program, the dot-product test); ``--forms a,b`` draws
only those forms of ``programs.forms`` (the ``form-<name>`` productions; the
other productions as usual), to run new forms alone;
the per-entry-point counts say which entry point disagreed. Every wrong, error and
invalid program (and, with ``--keep-refused``, every refusal) is written to
``--out`` as a standalone reproducer (``--reduce``: plus a reduced one). Exit status: 1 if any program gave a
wrong result, raised a non-AdCompilerError exception or was invalid; else 0.
"""
from __future__ import annotations

import argparse
import functools
import re
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from adcompiler.testing.programs import (
    check_all,
    check_program,
    forms,
    generate_program,
)
from adcompiler.testing.programs.entries import (
    CHECKPOINT_ENTRIES,
    FORWARD_ENTRIES,
    REVERSE_ENTRIES,
    SECOND_ENTRIES,
)
from adcompiler.testing.programs.reduce import reduce_program
from adcompiler.testing.programs.reproduce import write_reproducer

ROOT = Path(__file__).resolve().parent.parent


def category(error_type: str, text: str) -> str:
    """A refusal's category: its type and first line with the specifics blanked."""
    line = (text.strip().splitlines() or [""])[0]
    line = re.sub(r"^\S+\.py:\d+(:\d+)?: ", "", line)
    line = re.sub(r"`[^`]*`", "`_`", line)
    line = re.sub(r"'[^']*'", "'_'", line)
    line = re.sub(r"\b\d+\b", "N", line)
    return f"{error_type}: {line[:110]}"


def _api(backend: str):
    """adcompiler as the checks call it, ``autodiff`` and ``autodiff_thunk`` under ``backend``."""
    import adcompiler as ad
    from adcompiler.errors import AdCompilerError
    module = SimpleNamespace(**{n: getattr(ad, n) for n in dir(ad) if not n.startswith("_")})
    if backend != "numpy":
        module.autodiff = functools.partial(ad.autodiff, backend=backend)
        module.autodiff_thunk = functools.partial(ad.autodiff_thunk, backend=backend)
    return SimpleNamespace(module=module, error=AdCompilerError)


def _check(program, mode: str, backend: str = "numpy"):
    api = _api(backend)
    if mode == "legacy":
        return check_program(program, api=api)
    entries = {"reverse": REVERSE_ENTRIES, "forward": FORWARD_ENTRIES,
               "checkpoint": ("Reverse",) + CHECKPOINT_ENTRIES, "second": ("Reverse",) + SECOND_ENTRIES}.get(mode)
    return check_all(program, api=api, entries=entries)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="first program seed")
    ap.add_argument("--out", type=Path, default=ROOT / "fuzz_failures",
                    help="folder for reproducers of failing programs")
    ap.add_argument("--keep-refused", action="store_true", help="also write refused programs")
    ap.add_argument("--every", type=int, default=500, help="progress line every N programs")
    ap.add_argument("--verbose", action="store_true", help="print each failure report")
    ap.add_argument("--tuple-alias", type=float, default=None,
                    help="probability of `a, b = x, y` array aliases (default: the generator's)")
    ap.add_argument("--reduce", action="store_true",
                    help="also write a reduced reproducer (statements deleted while the failure persists)")
    ap.add_argument("--mode", choices=("legacy", "reverse", "forward", "checkpoint", "second", "all"), default="legacy",
                    help="which entry points to drive (see above)")
    ap.add_argument("--features", type=float, default=None,
                    help="probability of the productions of fuzz.features (default: the generator's)")
    ap.add_argument("--backend", choices=("numpy", "numba", "auto"), default="numpy",
                    help="run autodiff and autodiff_thunk (and what the checks build on them) under this backend")
    ap.add_argument("--forms", default=None,
                    help="comma-separated names of programs.forms.FORMS: draw only these forms")
    args = ap.parse_args(argv)
    forms.restrict(args.forms.split(",") if args.forms else None)

    tally: Counter = Counter()
    per_entry: Counter = Counter()
    by_feature: Counter = Counter()
    refusals: Counter = Counter()
    errors: Counter = Counter()
    start = time.perf_counter()
    for k, seed in enumerate(range(args.seed, args.seed + args.count), 1):
        options = {} if args.tuple_alias is None else {"tuple_alias": args.tuple_alias}
        if args.features is not None:
            options["features"] = args.features
        out = _check(generate_program(seed, **options), args.mode, args.backend)
        tally[out.status] += 1
        for name, e in out.entries.items():
            per_entry[(name, e.status)] += 1
            if e.status == "refused":
                refusals[category(e.error_type, e.reason or e.detail)] += 1
        for feat in out.program.features:
            by_feature[(feat, out.status)] += 1
        if out.status == "refused" and not out.entries:
            refusals[category(out.error_type, out.reason or out.detail)] += 1
        if out.status == "error" and out.entries:
            for name in out.failing(("error",)):
                errors[f"{name}: {out.entries[name].summary()[:110]}"] += 1
        elif out.status == "error":
            errors[out.detail.strip().splitlines()[-1][:120]] += 1
        if out.status in ("wrong", "error", "invalid", "inconsistent") or (
                args.keep_refused and out.status == "refused"):
            path = write_reproducer(out, args.out)
            print(f"{out.status}: seed {seed} -> {path}", flush=True)
            if args.reduce and out.status in ("wrong", "error") and not out.entries:
                small = reduce_program(out.program, out)
                small_path = write_reproducer(small, args.out, "_reduced")
                print(f"   reduced -> {small_path}", flush=True)
            if args.verbose:
                print(out.report(), flush=True)
        if args.every and k % args.every == 0:
            print(f"... {k} programs, {dict(tally)}, {time.perf_counter() - start:.0f}s", flush=True)
    elapsed = time.perf_counter() - start
    print(f"programs run: {args.count}")
    for status in ("ok", "refused", "inconsistent", "wrong", "error", "skipped", "invalid"):
        print(f"{status:>12}: {tally[status]}")
    if per_entry:
        print("per entry point (status: count):")
        for name in dict.fromkeys(k for k, _ in per_entry):
            counts = ", ".join(f"{s}: {n}" for (k, s), n in sorted(per_entry.items()) if k == name)
            print(f"  {name:<17} {counts}")
    if by_feature:
        print("per production of fuzz.features (status: count):")
        for feat in sorted(dict.fromkeys(f for f, _ in by_feature)):
            counts = ", ".join(f"{s}: {n}" for (f, s), n in sorted(by_feature.items()) if f == feat)
            print(f"  {feat:<17} {counts}")
    print(f"elapsed: {elapsed:.1f}s ({1000 * elapsed / max(args.count, 1):.1f} ms/program)")
    for title, counter in (("refusals", refusals), ("errors", errors)):
        if counter:
            print(f"{title} by category:" if title == "refusals" else f"most frequent {title}:")
            for text, n in counter.most_common(25 if title == "refusals" else 10):
                print(f"  {n:5d}  {text}")
    return 1 if tally["wrong"] or tally["error"] or tally["invalid"] or tally["inconsistent"] else 0


if __name__ == "__main__":
    sys.exit(main())
