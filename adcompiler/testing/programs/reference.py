"""Finite-difference references of a random program (through ``adcompiler.testing.fd``).

For a program with Duplicated arrays ``x_k`` (seeds ``s_k``) and Active
scalars ``c``, ``J = sum_k <s_k, x_k(final)> + ret`` (``ret`` only for an
Active return). The reverse-mode contract says the exit shadow of ``x_k`` is
dJ/d x_k(initial) and the derivative returned for ``c`` is dJ/dc. Both
references raise ``NonSmooth`` where a one-sided difference disagrees with
the central one (a data branch, an ``abs``/``max`` tie, a changed trip count).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import fd
from ..fd import KINK, STEP, NonSmooth

__all__ = ["KINK", "STEP", "NonSmooth", "directional", "functional", "gradient"]


def _seeds_by_position(program, seeds: dict) -> dict:
    return {k: seeds[p.name] for k, p in enumerate(program.params) if p.activity == "Duplicated"}


def functional(fn: Callable, program, values: list, seeds: dict) -> float:
    """J at ``values`` (run on fresh float64 copies); NaN when the program overflows."""
    try:
        return fd.seeded_sum(fn, fd.float64_copies(values), _seeds_by_position(program, seeds),
                             1.0 if program.ret == "Active" else None)[0]
    except OverflowError:
        return float("nan")


def gradient(fn: Callable, program, values: list, seeds: dict) -> dict:
    """dJ per differentiable parameter name: arrays for Duplicated, floats for Active.

    Raises ``NonSmooth`` when a coordinate sits on a kink or a jump or J is
    not finite.
    """
    positions = [k for k, p in enumerate(program.params) if p.activity in ("Duplicated", "Active")]
    names = [p.name for p in program.params]
    grads = fd.gradient(lambda vs: functional(fn, program, vs, seeds), values, positions,
                        STEP, kink=KINK, names=names)
    return {names[k]: g for k, g in grads.items()}


def _outputs(fn: Callable, program, values: list) -> np.ndarray:
    """The final Duplicated arrays and an Active return, flattened into one float64 vector."""
    dups = [k for k, p in enumerate(program.params) if p.activity == "Duplicated"]
    size = sum(int(np.prod(program.params[k].shape)) for k in dups) + (program.ret == "Active")
    try:
        with np.errstate(all="ignore"):
            ret = fn(*values)
    except OverflowError:
        return np.full(size, np.nan)
    parts = [np.asarray(values[k], dtype=np.float64).ravel() for k in dups]
    if program.ret == "Active":
        parts.append(np.array([float(ret)]))
    return np.concatenate(parts) if parts else np.zeros(0)


def directional(fn: Callable, program, values: list, tangents: dict) -> tuple[dict, float | None]:
    """Tangents of the final Duplicated arrays and of an Active return along ``tangents``.

    ``tangents`` holds one direction per Duplicated array and Active scalar
    (the forward-mode contract: the tangent of the initial values). Raises
    ``NonSmooth`` on a kink along the direction.
    """
    dirs = {k: tangents[p.name] for k, p in enumerate(program.params) if p.name in tangents}
    flat = fd.directional(lambda vs: _outputs(fn, program, vs), values, dirs, STEP, kink=KINK,
                          what="the outputs along the tangent direction")
    result: dict = {}
    start = 0
    for p in program.params:
        if p.activity == "Duplicated":
            n = int(np.prod(p.shape))
            result[p.name] = flat[start:start + n].reshape(p.shape)
            start += n
    return result, (float(flat[start]) if program.ret == "Active" else None)
