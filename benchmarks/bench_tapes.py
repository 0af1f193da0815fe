"""Tape benchmark: gradients through ``differentiate`` against each tape's own.

Usage: ``python benchmarks/bench_tapes.py [--quick] [--tapes autograd,torch,jax]``

For the seed (n = 1,000,000), the heat stencil (n = 10,000, 200 steps) and
the scalar recurrence (n = 10,000), and for each installed tape (autograd,
PyTorch eager, JAX), it times one gradient of ``sum(out**2)``:

- *wrapped*: the in-place kernel of ``tape_kernels.py`` wrapped by
  ``differentiate`` and called from the tape (JAX: under ``jax.jit``);
- *functional*: the same loss rewritten without mutation for that tape
  (JAX: jitted, with ``lax.fori_loop``/``lax.scan``).

Times are medians of warm calls, the two variants alternating
(``time.perf_counter``; the first call, which compiles, is not timed). The ratio is functional / wrapped: above 1
means the wrapped kernel is faster. Before timing, the two gradients are
compared. ``--quick`` uses sizes 10x smaller and fewer repetitions.
"""
from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import tape_kernels as TK

from adcompiler.tapes.differentiate import differentiate

# (case, tape) -> minimal functional/wrapped ratio the project aims for
TARGETS = {("seed", "autograd"): 1 / 1.5, ("seed", "torch"): 1 / 1.5, ("seed", "jax"): 1 / 1.5,
           ("heat", "autograd"): 10.0, ("heat", "torch"): 3.0,
           ("recurrence", "autograd"): 50.0, ("recurrence", "torch"): 50.0}


def make_inputs(quick: bool) -> dict:
    """Per case: (numpy inputs, indices differentiated, static extras)."""
    rng = np.random.default_rng(0)
    scale = 10 if quick else 1
    n1, n2, n3, steps = 1_000_000 // scale, 10_000 // scale, 10_000 // scale, 200 // scale
    u0 = np.sin(np.linspace(0.0, 3.0 * np.pi, n2)) + 0.1 * rng.standard_normal(n2)
    s0 = np.zeros(n3)
    s0[0] = 0.5
    return {
        "seed": ((rng.standard_normal(n1), rng.standard_normal(n1)), (0, 1), ()),
        "heat": ((u0,), (0,), (0.25, steps)),
        "recurrence": ((s0, rng.uniform(0.5, 0.99, n3), 0.1 * rng.standard_normal(n3)), (0, 1, 2), ()),
    }


WRAPPED = {
    "seed": differentiate(TK.seed, out="s", like="a"),
    "heat": differentiate(TK.heat, out="u", const=("steps",)),
    "recurrence": differentiate(TK.recurrence, out="s"),
}


def grad_autograd(case: str, functional: bool) -> Callable:
    import autograd
    import autograd.numpy as anp
    loss = TK.autograd_losses()[case] if functional else (lambda *xs: anp.sum(WRAPPED[case](*xs) ** 2))
    _, argnums, extra = INPUTS[case]
    g = autograd.grad(loss, argnums)
    return lambda *xs: tuple(np.asarray(v) for v in g(*xs, *extra))


def grad_torch(case: str, functional: bool) -> Callable:
    import torch
    loss = TK.torch_losses()[case] if functional else (lambda *xs: torch.sum(WRAPPED[case](*xs) ** 2))
    _, argnums, extra = INPUTS[case]

    def run(*xs):
        ts = [torch.tensor(x, requires_grad=i in argnums) for i, x in enumerate(xs)]
        grads = torch.autograd.grad(loss(*ts, *extra), [ts[i] for i in argnums])
        return tuple(g.numpy() for g in grads)
    return run


def grad_jax(case: str, functional: bool) -> Callable:
    import jax
    loss = TK.jax_losses()[case] if functional else (lambda *xs: jax.numpy.sum(WRAPPED[case](*xs) ** 2))
    xs0, argnums, extra = INPUTS[case]
    n = len(xs0)
    g = jax.jit(jax.grad(lambda *xs: loss(*xs[:n], *extra), argnums))
    return lambda *xs: tuple(np.asarray(v) for v in jax.block_until_ready(g(*[jax.numpy.asarray(x) for x in xs])))


GRADS = {"autograd": grad_autograd, "torch": grad_torch, "jax": grad_jax}


def timed_pair(f1: Callable, f2: Callable, args: tuple, reps: int, budget: float) -> tuple:
    """Medians of up to ``reps`` calls of each, alternating so that load changes
    hit both alike; stops once ``budget`` seconds are spent (one call each at least)."""
    t1: list = []
    t2: list = []
    start = time.perf_counter()
    while len(t1) < reps and (not t1 or time.perf_counter() - start < budget):
        for fn, times in ((f1, t1), (f2, t2)):
            t0 = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t0)
    return statistics.median(t1), statistics.median(t2)


def main(argv: list | None = None) -> int:
    global INPUTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes, fewer repetitions")
    parser.add_argument("--tapes", default="autograd,torch,jax")
    opts = parser.parse_args(argv)
    INPUTS = make_inputs(opts.quick)
    reps, budget = (3, 0.5) if opts.quick else (9, 8.0)
    tapes = []
    for tape in opts.tapes.split(","):
        try:
            importlib.import_module(tape)
            tapes.append(tape)
        except ImportError:
            print(f"{tape}: not installed, skipped")
    if "jax" in tapes:
        import jax
        jax.config.update("jax_enable_x64", True)
    print(f"{'case':<11} {'tape':<9} {'wrapped ms':>11} {'functional ms':>14} {'ratio':>8}  target   grads")
    status = 0
    for case in INPUTS:
        xs = INPUTS[case][0]
        for tape in tapes:
            wrapped, functional = GRADS[tape](case, False), GRADS[tape](case, True)
            gw, gf = wrapped(*xs), functional(*xs)
            same = all(np.allclose(a, b, rtol=1e-7, atol=1e-9) for a, b in zip(gw, gf))
            status |= not same
            tw, tf = timed_pair(wrapped, functional, xs, reps, budget)
            ratio = tf / tw
            target = TARGETS.get((case, tape))
            mark = "-" if target is None else ("met" if ratio >= target else "missed")
            print(f"{case:<11} {tape:<9} {tw * 1e3:>11.2f} {tf * 1e3:>14.2f} {ratio:>8.2f}  {mark:<7}  "
                  f"{'ok' if same else 'MISMATCH'}", flush=True)
    return status


INPUTS: dict = {}

if __name__ == "__main__":
    sys.exit(main())
