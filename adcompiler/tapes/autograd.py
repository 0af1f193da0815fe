"""autograd adapter: the pure function as an autograd primitive with a VJP.

autograd calls a primitive on raw values and then, while recording, asks the
VJP maker for the backward function of that very call. The forward runs the
split forward pass and leaves its record in ``_PENDING`` under the result's
id; the VJP maker takes it out at once, so each record lives exactly as long
as autograd's graph node.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from autograd.extend import defvjp_argnums, primitive
from autograd.tracer import Box, getval

from ..errors import AdCompilerError
from . import split

_PENDING: dict = {}


@primitive
def _apply(w: Any, needs: tuple, *values: Any) -> Any:
    result, rec = split.forward(w, values, needs)
    _PENDING[id(result)] = rec
    return result


def _zero_like(v: Any) -> Any:
    return np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0


def _vjp_maker(argnums: tuple, ans: Any, args: tuple, kwargs: dict) -> Any:
    w = args[0]
    rec = _PENDING.pop(id(ans), None)
    if rec is None or isinstance(ans, Box):
        raise AdCompilerError(
            f"{w.__name__}: higher-order derivatives through a differentiate'd kernel are not supported.")
    values = args[2:]

    def vjp(g: Any) -> tuple:
        if isinstance(g, Box) or (isinstance(g, tuple) and any(isinstance(x, Box) for x in g)):
            raise AdCompilerError(
                f"{w.__name__}: higher-order derivatives through a differentiate'd kernel are not supported.")
        if w.returns_value:
            cots = g
        elif len(w.outputs) == 1:
            cots = (g,)
        else:
            cots = tuple(g)
        grads = split.backward(rec, cots, conjugate=True)   # autograd's complex convention
        out = []
        for i in argnums:
            gi = grads[i - 2]
            if gi is None:
                gi = _zero_like(values[i - 2])
            elif not isinstance(values[i - 2], np.ndarray):
                gi = complex(gi) if np.iscomplexobj(values[i - 2]) else float(np.real(gi))
            out.append(gi)
        return tuple(out)

    return vjp


defvjp_argnums(_apply, _vjp_maker)


def call_autograd(w: Any, values: list) -> Any:
    """Evaluate ``w`` with autograd boxes among ``values``."""
    needs = tuple(isinstance(v, Box) for v in values)
    result = _apply(w, needs, *values)
    raw = getval(result)
    if isinstance(result, Box) and isinstance(raw, tuple):
        ints = {k for k, v in enumerate(raw) if np.asarray(v).dtype.kind in "biu"}
        if ints:   # (an integer output carries no derivative: handed out unboxed, or autograd adds
            # a float cotangent into its int zeros when a loss reads it)
            return tuple(raw[k] if k in ints else result[k] for k in range(len(raw)))
    return result
