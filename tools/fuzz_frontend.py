"""Long fuzzing run of adcompiler's front end.

Usage::

    python tools/fuzz_frontend.py --count 5000 --seed 0 [--out fuzz_frontend_failures]

Draws ``count`` modules from the same hypothesis strategies as
``tests/trust/test_fuzz_frontend.py`` (generated and mutated Python source,
expressions up to 1000 levels deep), imports each one (inputs that do not
import are skipped: not adcompiler's business) and sends every function
through ``adjoint_source``, ``autodiff`` in reverse and forward mode and the
command line (``emit``, and ``check`` for one input in ``--check-every``).
Only ``AdCompilerError`` may escape; the command line must exit 0, 1 or 2
with a message, never 3 or a traceback.

Prints the inputs tried, imported, skipped, functions, refusals, accepted
calls, failures and the time taken; writes each failing input, with the
failures as a comment on top, to ``--out``. Exit status 1 if any input
failed, else 0.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from adcompiler.testing.programs.frontend_driver import run_source
from adcompiler.testing.programs.frontend_sources import DEPTHS, any_source

ROOT = Path(__file__).resolve().parent.parent


def _write_failure(out: Path, n: int, source: str, failures) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"frontend_failure_{n:04d}.py"
    head = "".join(f"# {f.entry} on {f.function}: {f.error.splitlines()[0] if f.error else ''}\n" for f in failures)
    path.write_text(head + "\n" + source, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1000, help="inputs to try (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    ap.add_argument("--out", type=Path, default=ROOT / "fuzz_frontend_failures",
                    help="folder for failing inputs (default: fuzz_frontend_failures/)")
    ap.add_argument("--check-every", type=int, default=10, help="run `adcompiler check` on one input in N")
    ap.add_argument("--no-cli", action="store_true", help="skip the command line (faster)")
    ap.add_argument("--limit", type=float, default=10.0, help="seconds per input before it is skipped")
    ap.add_argument("--every", type=int, default=250, help="progress line every N inputs")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=RuntimeWarning)   # never-awaited coroutines of async programs

    totals: Counter = Counter()
    errors: Counter = Counter()
    written: list[Path] = []
    start = time.time()
    folder = Path(tempfile.mkdtemp(prefix="adcompiler-fuzz-"))

    @seed(args.seed)
    @settings(max_examples=args.count, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(source=any_source(DEPTHS), kinds=st.integers(0, 3), pick=st.integers(0, 10 ** 6))
    def one(source, kinds, pick):
        check = not args.no_cli and args.check_every > 0 and pick % args.check_every == 0
        res = run_source(source, folder, kinds, cli=not args.no_cli, check=check, limit=args.limit)
        totals["tried"] += 1
        totals[res.status] += 1
        totals["functions"] += res.functions
        totals["refusals"] += res.refusals
        totals["accepted"] += res.accepted
        if res.failures:
            totals["failed inputs"] += 1
            errors.update(f"{f.entry}: {f.error.splitlines()[0][:100]}" for f in res.failures)
            written.append(_write_failure(args.out, len(written), source, res.failures))
        if totals["tried"] % args.every == 0:
            print(f"  {totals['tried']} inputs, {totals['failed inputs']} failed, {time.time() - start:.0f}s",
                  flush=True)

    one()
    elapsed = time.time() - start
    print(f"inputs tried: {totals['tried']} (imported {totals['checked']}, skipped {totals['skipped']})")
    print(f"functions: {totals['functions']}; calls refused with AdCompilerError: {totals['refusals']}; "
          f"calls accepted: {totals['accepted']}")
    print(f"failing inputs: {totals['failed inputs']}; time: {elapsed:.0f}s")
    for text, n in errors.most_common(15):
        print(f"  {n:5d}  {text}")
    if written:
        print(f"failing inputs written to {args.out}/ ({len(written)} files)")
    return 1 if written else 0


if __name__ == "__main__":
    sys.exit(main())
