"""Core benchmark: adcompiler's reverse mode against the primal and a hand-written adjoint.

Usage: ``python benchmarks/bench_core.py [--quick] [--strict]``

For each kernel in ``kernels.py`` it prints medians (``time.perf_counter``) of:
the primal; ``autodiff(Reverse, kernel, Const, ...)`` with every array
Duplicated and seeded with random adjoints (scalars Const); the hand-written
adjoint of ``hand_adjoints.py`` (same primal + hand-coded reverse sweep); and
the ratios between them. Kernels that return a float are differentiated with
an Active return (seed 1.0); arrays listed in ``Case.const`` are Const (data,
no shadow). Every timed call gets fresh copies of the inputs and
seeds (copying is not timed). The first ``autodiff`` call, which includes
parsing, transforming and compiling, is reported separately.

Before timing, the hand-written adjoint is checked against central finite
differences (a dot-product test) and ``autodiff``'s shadows and primal results
against the hand-written adjoint. If ``autodiff`` fails, its columns read
``n/a`` and the error is printed. Exit status: 1 if a hand-written adjoint
disagrees with finite differences; with ``--strict``, also if ``autodiff``
fails or disagrees.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hand_adjoints
import kernels
import numpy as np


def sum_of_squares(s: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """``s[:] = a + b``, then the loss ``sum(s**2)``."""
    s[:] = a + b
    return np.sum(s ** 2)


def sum_of_squares_adjoint(s: np.ndarray, ds: np.ndarray, a: np.ndarray, da: np.ndarray,
                           b: np.ndarray, db: np.ndarray, dret: float = 1.0) -> float:
    """Adjoint of ``sum_of_squares``: ``ds += 2 dret s``, then as ``seed``."""
    ret = sum_of_squares(s, a, b)
    ds += (2.0 * dret) * s
    da += ds
    db += ds
    ds.fill(0.0)
    return ret


def mlp(x: np.ndarray, W: np.ndarray, b: np.ndarray, V: np.ndarray, y: np.ndarray) -> float:
    """A tanh layer and a linear one, log-sum-exp (softmax cross-entropy) loss averaged over the batch."""
    h = np.tanh(x @ W + b)
    z = h @ V
    m = np.max(z, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1))
    return np.sum(lse - np.sum(z * y, axis=1)) / x.shape[0]


def mlp_adjoint(x: np.ndarray, W: np.ndarray, dW: np.ndarray, b: np.ndarray, db: np.ndarray,
                V: np.ndarray, dV: np.ndarray, y: np.ndarray, dret: float = 1.0) -> float:
    """Adjoint of ``mlp`` for W, b, V (x and y are data)."""
    h = np.tanh(x @ W + b)
    z = h @ V
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    se = np.sum(e, axis=1, keepdims=True)
    ret = np.sum(m[:, 0] + np.log(se[:, 0]) - np.sum(z * y, axis=1)) / x.shape[0]
    c = dret / x.shape[0]
    dz = (e / se - y) * c
    dV += h.T @ dz
    dh = dz @ V.T
    dt = dh * (1.0 - h * h)
    db += dt.sum(axis=0)
    dW += x.T @ dt
    return ret


@dataclass
class Case:
    """A benchmark: ``args`` lists, in kernel order, arrays (Duplicated, or Const when their
    index is in ``const``) or scalars (Const). A kernel that returns a float has ``ret``."""

    name: str
    size: str
    kernel: Callable[..., Any]
    hand: Callable[..., Any]
    args: list[Any]
    const: tuple[int, ...] = ()
    ret: bool = False

    def fresh(self, seeds: list[np.ndarray | None]) -> tuple[list[Any], list[Any]]:
        """Copies of the primal arguments and of the seeds (None for Const scalars)."""
        xs = [a.copy() if isinstance(a, np.ndarray) else a for a in self.args]
        ds = [d.copy() if d is not None else None for d in seeds]
        return xs, ds


def make_cases(rng: np.random.Generator) -> list[Case]:
    n1, n2, n3, steps = 1_000_000, 10_000, 10_000, 200
    u0 = np.sin(np.linspace(0.0, 3.0 * np.pi, n3)) + 0.1 * rng.standard_normal(n3)
    return [
        Case("seed  s[:] = a + b", f"n={n1:,}", kernels.seed, hand_adjoints.seed_adjoint,
             [np.zeros(n1), rng.standard_normal(n1), rng.standard_normal(n1)]),
        Case("recurrence s[i] = s[i-1]*a[i] + b[i]", f"n={n2:,}", kernels.recurrence,
             hand_adjoints.recurrence_adjoint,
             [rng.standard_normal(n2), rng.uniform(-0.95, 0.95, n2), rng.standard_normal(n2)]),
        Case("heat u[1:-1] += c*lap(u)", f"n={n3:,} x {steps}", kernels.heat,
             hand_adjoints.heat_adjoint, [u0, 0.25, steps]),
        Case("s[:] = a + b; sum(s**2)", f"n={n1:,}", sum_of_squares, sum_of_squares_adjoint,
             [np.zeros(n1), rng.standard_normal(n1), rng.standard_normal(n1)], ret=True),
        Case("mlp tanh + log-sum-exp", "64x100 -> 64 -> 10", mlp, mlp_adjoint,
             [rng.standard_normal((64, 100)), 0.1 * rng.standard_normal((100, 64)),
              0.1 * rng.standard_normal(64), 0.1 * rng.standard_normal((64, 10)),
              np.eye(10)[rng.integers(0, 10, 64)]], const=(0, 4), ret=True),
    ]


def random_seeds(case: Case, rng: np.random.Generator) -> list[np.ndarray | None]:
    return [rng.standard_normal(a.shape) if isinstance(a, np.ndarray) and k not in case.const else None
            for k, a in enumerate(case.args)]


def call_primal(case: Case, xs: list[Any], ds: list[Any]) -> None:
    case.kernel(*xs)


def call_hand(case: Case, xs: list[Any], ds: list[Any]) -> None:
    flat: list[Any] = []
    for x, d in zip(xs, ds):
        flat.extend((x, d) if d is not None else (x,))
    case.hand(*flat)


def call_autodiff(case: Case, xs: list[Any], ds: list[Any]) -> None:
    import adcompiler as ad

    acts = [ad.Duplicated(x, d) if d is not None else ad.Const(x) for x, d in zip(xs, ds)]
    ad.autodiff(ad.Reverse, case.kernel, ad.Active if case.ret else ad.Const, *acts)


def timed(fn: Callable[[], None]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(case: Case, seeds: list[Any], calls: list[Callable[..., None]],
            repeats: int, budget: float) -> list[float]:
    """Median seconds of each call on fresh inputs.

    The calls are interleaved (one run of each per round) so that a change in
    the machine's load affects all of them alike; rounds stop at ``repeats`` or
    once they took ``budget`` seconds in total (at least 3 rounds).
    """
    times: list[list[float]] = [[] for _ in calls]
    spent = 0.0
    rounds = 0
    while rounds < repeats and (rounds < 3 or spent < budget):
        for call, ts in zip(calls, times):
            xs, ds = case.fresh(seeds)
            ts.append(timed(functools.partial(call, case, xs, ds)))
            spent += ts[-1]
        rounds += 1
    return [statistics.median(ts) for ts in times]


def loss(case: Case, seeds: list[Any], xs: list[Any]) -> float:
    """Sum over arrays of <seed, final value>: its gradient is what the shadows hold on exit."""
    ys = [x.copy() if isinstance(x, np.ndarray) else x for x in xs]
    ret = case.kernel(*ys)
    total = float(ret) if case.ret else 0.0
    return total + sum(float(np.dot(s.ravel(), y.ravel())) for s, y in zip(seeds, ys) if s is not None)


def check_hand_fd(case: Case, seeds: list[Any], rng: np.random.Generator) -> str | None:
    """Directional central difference against the hand adjoint; error text or None."""
    xs, ds = case.fresh(seeds)
    call_hand(case, xs, ds)
    dirs = [rng.standard_normal(x.shape) if d is not None else None for x, d in zip(case.args, seeds)]
    analytic = sum(float(np.dot(d.ravel(), v.ravel())) for d, v in zip(ds, dirs) if v is not None)
    h = 1e-6

    def shifted(sign: float) -> list[Any]:
        return [x + sign * h * v if v is not None else x for x, v in zip(case.args, dirs)]

    numeric = (loss(case, seeds, shifted(1.0)) - loss(case, seeds, shifted(-1.0))) / (2 * h)
    if abs(numeric - analytic) > 1e-5 * max(1.0, abs(analytic)):
        return f"hand adjoint vs finite differences: {analytic!r} != {numeric!r}"
    return None


def check_autodiff(case: Case, seeds: list[Any]) -> str | None:
    """autodiff's primal results and shadows against the hand-written adjoint."""
    hx, hd = case.fresh(seeds)
    call_hand(case, hx, hd)
    ax, adx = case.fresh(seeds)
    call_autodiff(case, ax, adx)
    for k, (h, a) in enumerate(zip(hx, ax)):
        if isinstance(h, np.ndarray) and not np.allclose(h, a, rtol=1e-12, atol=1e-12):
            return f"argument {k}: primal result differs from the kernel's"
    for k, (h, a) in enumerate(zip(hd, adx)):
        if h is not None and not np.allclose(h, a, rtol=1e-9, atol=1e-9):
            err = float(np.max(np.abs(h - a)))
            return f"argument {k}: shadow differs from the hand adjoint (max abs diff {err:.3g})"
    return None


def fmt_ms(t: float | None) -> str:
    return "n/a" if t is None else f"{t * 1e3:.3f}"


def fmt_ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None else f"{a / b:.2f}"


def run(quick: bool, strict: bool) -> int:
    repeats, budget = (3, 1.0) if quick else (41, 10.0)
    rng = np.random.default_rng(20240601)
    status = 0
    notes: list[str] = []
    rows: list[list[str]] = []
    for case in make_cases(rng):
        seeds = random_seeds(case, rng)
        bad = check_hand_fd(case, seeds, rng)
        if bad:
            notes.append(f"{case.name}: {bad}")
            status = 1
        t_first = t_ad = None
        check = "n/a"
        calls = [call_primal, call_hand]
        try:
            xs, ds = case.fresh(seeds)
            t_first = timed(functools.partial(call_autodiff, case, xs, ds))
            wrong = check_autodiff(case, seeds)
            check = "WRONG" if wrong else "ok"
            if wrong:
                notes.append(f"{case.name}: autodiff {wrong}")
            calls.append(call_autodiff)
        except Exception as exc:  # noqa: BLE001 - any failure of the core is reported as n/a
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            notes.append(f"{case.name}: autodiff n/a: {type(exc).__name__}: {first}")
        t_primal, t_hand, *rest = measure(case, seeds, calls, repeats, budget)
        if rest:
            t_ad = rest[0]
        if strict and check != "ok":
            status = 1
        rows.append([case.name, case.size, fmt_ms(t_primal), fmt_ms(t_first), fmt_ms(t_ad),
                     fmt_ratio(t_ad, t_primal), fmt_ms(t_hand), fmt_ratio(t_hand, t_primal),
                     fmt_ratio(t_ad, t_hand), check])
    print_table(rows, quick)
    for note in notes:
        print("note:", note)
    return status


def print_table(rows: list[list[str]], quick: bool) -> None:
    head = ["kernel", "size", "primal ms", "AD 1st call ms", "autodiff ms", "AD/primal",
            "hand ms", "hand/primal", "AD/hand", "check"]
    widths = [max(len(r[k]) for r in rows + [head]) for k in range(len(head))]
    print(f"# adcompiler core benchmark, {datetime.date.today()}, python {platform.python_version()}, "
          f"numpy {np.__version__}, {os.cpu_count()} cpus{', --quick' if quick else ''}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats (a smoke run)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if autodiff fails or disagrees with the hand adjoint")
    args = parser.parse_args(argv)
    return run(args.quick, args.strict)


if __name__ == "__main__":
    sys.exit(main())
