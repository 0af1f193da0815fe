"""Forward mode and second-order benchmark.

Usage: ``python benchmarks/bench_forward.py [--quick]``

Prints, for the kernels of ``kernels.py`` (seed n=1,000,000, recurrence
n=10,000, heat n=10,000 x 200 steps): the primal time, the time of
``autodiff(Forward, ...)`` (every array Duplicated with a random tangent) and
their ratio; ``BatchDuplicated`` with k = 8 tangents against 8 separate
forward calls; and, for float-returning losses built on the same kernels,
``hvp`` time over ``gradient`` time. Medians of repeated runs; inputs are
copied outside the timed region. Every forward result is checked against a
central finite difference before timing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import kernels
import numpy as np

import adcompiler as ad


def median_time(fn, setup, repeats):
    times = []
    for _ in range(repeats):
        args = setup()
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cases(quick):
    rng = np.random.default_rng(0)
    n_seed, n_rec, n_heat, steps = (100_000, 2_000, 2_000, 50) if quick else (1_000_000, 10_000, 10_000, 200)
    return [
        ("seed", kernels.seed, [np.zeros(n_seed), rng.standard_normal(n_seed), rng.standard_normal(n_seed)], []),
        ("recurrence", kernels.recurrence, [np.zeros(n_rec), rng.uniform(-0.9, 0.9, n_rec),
                                            rng.standard_normal(n_rec)], []),
        ("heat", kernels.heat, [rng.standard_normal(n_heat)], [0.1, steps]),
    ]


def forward_args(arrays, consts, tangents):
    return [ad.Duplicated(x.copy(), t.copy()) for x, t in zip(arrays, tangents)] + [ad.Const(c) for c in consts]


def check_forward(f, arrays, consts, tangents):
    args = forward_args(arrays, consts, tangents)
    ad.autodiff(ad.Forward, f, ad.Const, *args)
    h = 1e-6
    plus = [x + h * t for x, t in zip(arrays, tangents)]
    minus = [x - h * t for x, t in zip(arrays, tangents)]
    f(*plus, *consts)
    f(*minus, *consts)
    fd = (plus[0] - minus[0]) / (2 * h)
    err = np.max(np.abs(args[0].dval - fd)) / max(1.0, np.max(np.abs(fd)))
    if err > 1e-5:
        raise SystemExit(f"forward mode disagrees with finite differences ({err:.2e})")


def seed_loss(a, b):
    """sum(sin(s)) after the seed kernel."""
    s = np.zeros(len(a))
    kernels.seed(s, a, b)
    return np.sum(np.sin(s))


def recurrence_loss(a, b):
    s = np.zeros(len(a))
    kernels.recurrence(s, a, b)
    return np.sum(np.sin(s))


def heat_loss(u, c, steps):
    v = u.copy()
    kernels.heat(v, c, steps)
    return np.sum(np.sin(v))


def forward_row(name, f, arrays, consts, reps, k, rng) -> str:
    tangents = [rng.standard_normal(x.shape) for x in arrays]
    check_forward(f, arrays, consts, tangents)
    primal = median_time(f, lambda: [x.copy() for x in arrays] + consts, reps)
    fwd = median_time(lambda *a: ad.autodiff(ad.Forward, f, ad.Const, *a),
                      lambda: forward_args(arrays, consts, tangents), reps)
    many = [[rng.standard_normal(x.shape) for x in arrays] for _ in range(k)]

    def separate(*calls):
        for call in calls:
            ad.autodiff(ad.Forward, f, ad.Const, *call)

    def batch_args():
        return [ad.BatchDuplicated(x.copy(), [m[i].copy() for m in many]) for i, x in enumerate(arrays)] + \
            [ad.Const(c) for c in consts]
    sep = median_time(separate, lambda: [forward_args(arrays, consts, many[j]) for j in range(k)],
                      max(1, reps // 2))
    bat = median_time(lambda *a: ad.autodiff(ad.Forward, f, ad.Const, *a), batch_args, max(1, reps // 2))
    return (f"| {name} | {primal * 1e3:.3f} | {fwd * 1e3:.3f} | {fwd / primal:.2f} | {sep * 1e3:.3f} | "
            f"{bat * 1e3:.3f} | {sep / bat:.2f} |")


def hvp_row(name, loss, inputs, extra, reps, rng) -> str:
    vs = tuple(rng.standard_normal(x.shape) for x in inputs) + (None,) * len(extra)
    grad = median_time(lambda *a: ad.gradient(loss, *a, *extra), lambda: [x.copy() for x in inputs], reps)
    hv = median_time(lambda *a: ad.hvp(loss, tuple(a) + tuple(extra), vs),
                     lambda: [x.copy() for x in inputs], reps)
    return f"| {name} | {grad * 1e3:.3f} | {hv * 1e3:.3f} | {hv / grad:.2f} |"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    opts = ap.parse_args(argv)
    reps = 3 if opts.quick else 7
    rng = np.random.default_rng(1)
    print(f"# adcompiler forward-mode benchmark (medians of {reps}), numpy {np.__version__}")
    print("| kernel | primal ms | forward ms | forward/primal | 8 calls ms | batch k=8 ms | 8 calls/batch |")
    print("|---|---|---|---|---|---|---|")
    for name, f, arrays, consts in cases(opts.quick):
        print(forward_row(name, f, arrays, consts, reps, 8, rng))
    print()
    print("| loss | gradient ms | hvp ms | hvp/gradient |")
    print("|---|---|---|---|")
    losses = {"seed": seed_loss, "recurrence": recurrence_loss, "heat": heat_loss}
    for name, _, arrays, consts in cases(opts.quick):
        inputs = arrays[1:] if name != "heat" else arrays
        print(hvp_row(name, losses[name], inputs, consts, reps, rng))
    return 0


if __name__ == "__main__":
    sys.exit(main())
