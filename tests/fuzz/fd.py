"""Central finite differences of the functional the checker compares against.

For a program with Duplicated arrays ``x_k`` (seeds ``s_k``) and Active
scalars ``c``, ``J = sum_k <s_k, x_k(final)> + ret`` (``ret`` only for an
Active return). The reverse-mode contract says the exit shadow of ``x_k`` is
dJ/d x_k(initial) and the derivative returned for ``c`` is dJ/dc.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

STEP = 1e-6
KINK = 1e-4
"""A coordinate whose one-sided differences differ by more than
``KINK * max(1, |central|)`` is treated as sitting on a kink or jump."""


class NonSmooth(Exception):
    """The functional is not differentiable (to working accuracy) at the point."""


def functional(fn: Callable, program, values: list, seeds: dict) -> float:
    """J at ``values`` (run on fresh copies)."""
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
    try:
        with np.errstate(all="ignore"):
            ret = fn(*args)
    except OverflowError:
        return float("nan")
    total = 0.0
    for p, a in zip(program.params, args):
        if p.activity == "Duplicated":
            total += float(np.sum(seeds[p.name].astype(np.float64) * a))
    if program.ret == "Active":
        total += float(ret)
    return total


def gradient(fn: Callable, program, values: list, seeds: dict) -> dict:
    """dJ per differentiable parameter name: arrays for Duplicated, floats for Active.

    Raises ``NonSmooth`` when a coordinate sits on a kink or a jump (data
    branch, ``abs``/``max`` tie, changed trip count) or J is not finite.
    """
    base = [np.array(v, dtype=np.float64) if isinstance(v, np.ndarray) else v for v in values]
    j0 = functional(fn, program, base, seeds)
    if not np.isfinite(j0):
        raise NonSmooth("J is not finite")

    def partial(pos: int, index) -> float:
        vals = list(base)
        out = []
        for h in (STEP, -STEP):
            if index is None:
                vals[pos] = base[pos] + h
            else:
                arr = base[pos].copy()
                arr[index] += h
                vals[pos] = arr
            out.append(functional(fn, program, vals, seeds))
        jp, jm = out
        central = (jp - jm) / (2 * STEP)
        fwd, bwd = (jp - j0) / STEP, (j0 - jm) / STEP
        if not np.isfinite(central) or abs(fwd - bwd) > KINK * max(1.0, abs(central)):
            raise NonSmooth(f"kink in {program.params[pos].name}{'' if index is None else list(index)}")
        return central

    grads: dict = {}
    for pos, p in enumerate(program.params):
        if p.activity == "Duplicated":
            g = np.zeros(p.shape)
            for index in np.ndindex(*p.shape):
                g[index] = partial(pos, index)
            grads[p.name] = g
        elif p.activity == "Active":
            grads[p.name] = partial(pos, None)
    return grads
