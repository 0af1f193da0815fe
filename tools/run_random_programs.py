"""Long random-program run against adcompiler.

Usage::

    python tools/run_random_programs.py --count 10000 --seed 0 [--out fuzz_failures]

Generates ``count`` programs with seeds ``seed .. seed+count-1`` (the same
generator as ``tests/test_random_programs.py``), differentiates each with
prefilled shadows and compares against central finite differences and the
plain run. Prints programs run, ok, refused, wrong, errors, skipped and the
elapsed time, plus the most frequent refusals. Every wrong, error and
invalid program (and, with ``--keep-refused``, every refusal) is written to
``--out`` as a standalone reproducer (``--reduce``: plus a reduced one). Exit status: 1 if any program gave a
wrong result, raised a non-AdCompilerError exception or was invalid; else 0.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fuzz import check_program, generate_program
from fuzz.reduce import reduce_program
from fuzz.reproduce import write_reproducer


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
    args = ap.parse_args(argv)

    tally: Counter = Counter()
    refusals: Counter = Counter()
    errors: Counter = Counter()
    start = time.perf_counter()
    for k, seed in enumerate(range(args.seed, args.seed + args.count), 1):
        options = {} if args.tuple_alias is None else {"tuple_alias": args.tuple_alias}
        out = check_program(generate_program(seed, **options))
        tally[out.status] += 1
        if out.status == "refused":
            refusals[f"{out.error_type}: {(out.reason or out.detail)[:100]}"] += 1
        if out.status == "error":
            errors[out.detail.strip().splitlines()[-1][:120]] += 1
        if out.status in ("wrong", "error", "invalid") or (args.keep_refused and out.status == "refused"):
            path = write_reproducer(out, args.out)
            print(f"{out.status}: seed {seed} -> {path}", flush=True)
            if args.reduce and out.status in ("wrong", "error"):
                small = reduce_program(out.program, out)
                small_path = write_reproducer(small, args.out, "_reduced")
                print(f"   reduced -> {small_path}", flush=True)
            if args.verbose:
                print(out.report(), flush=True)
        if args.every and k % args.every == 0:
            print(f"... {k} programs, {dict(tally)}, {time.perf_counter() - start:.0f}s", flush=True)
    elapsed = time.perf_counter() - start
    print(f"programs run: {args.count}")
    for status in ("ok", "refused", "wrong", "error", "skipped", "invalid"):
        print(f"{status:>8}: {tally[status]}")
    print(f"elapsed: {elapsed:.1f}s ({1000 * elapsed / max(args.count, 1):.1f} ms/program)")
    for title, counter in (("refusals", refusals), ("errors", errors)):
        if counter:
            print(f"most frequent {title}:")
            for text, n in counter.most_common(10):
                print(f"  {n:5d}  {text}")
    return 1 if tally["wrong"] or tally["error"] or tally["invalid"] else 0


if __name__ == "__main__":
    sys.exit(main())
