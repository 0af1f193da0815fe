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


def _is_float_array(v) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


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
    base = [np.array(v, dtype=np.float64) if _is_float_array(v) else v for v in values]
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


def _outputs(fn: Callable, program, values: list) -> tuple[list, float | None]:
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
    try:
        with np.errstate(all="ignore"):
            ret = fn(*args)
    except OverflowError:
        return [np.array(np.nan)], None
    outs = [np.asarray(a, dtype=np.float64) for p, a in zip(program.params, args) if p.activity == "Duplicated"]
    return outs, (float(ret) if program.ret == "Active" else None)


def directional(fn: Callable, program, values: list, tangents: dict) -> tuple[dict, float | None]:
    """Tangents of the final Duplicated arrays and of an Active return along ``tangents``.

    ``tangents`` holds one direction per Duplicated array and Active scalar
    (the forward-mode contract: the tangent of the initial values). Raises
    ``NonSmooth`` on a kink along the direction.
    """
    base = [np.array(v, dtype=np.float64) if _is_float_array(v) else v for v in values]

    def shifted(h: float) -> list:
        out = list(base)
        for k, p in enumerate(program.params):
            if p.name in tangents:
                out[k] = np.array(base[k] + h * np.asarray(tangents[p.name], dtype=np.float64)) \
                    if p.kind == "array" else base[k] + h * float(tangents[p.name])
        return out

    o0, r0 = _outputs(fn, program, base)
    op, rp = _outputs(fn, program, shifted(STEP))
    om, rm = _outputs(fn, program, shifted(-STEP))
    dups = [p.name for p in program.params if p.activity == "Duplicated"]
    result: dict = {}

    def central(a0, ap, am, what: str):
        c = (ap - am) / (2 * STEP)
        f, b = (ap - a0) / STEP, (a0 - am) / STEP
        if not np.all(np.isfinite(c)) or np.any(np.abs(f - b) > KINK * np.maximum(1.0, np.abs(c))):
            raise NonSmooth(f"kink along the tangent direction in {what}")
        return c

    for name, a0, ap, am in zip(dups, o0, op, om):
        result[name] = central(a0, ap, am, name)
    ret = None
    if program.ret == "Active":
        ret = float(central(np.float64(r0), np.float64(rp), np.float64(rm), "the return"))
    return result, ret
