"""A reference engine with autodiff's signature that differentiates by
element-wise central finite differences (for validating the catalogue and the
harness without the source-transformation core)."""
from __future__ import annotations

import copy

import numpy as np

from adcompiler.activity import Active, Duplicated, ReverseWithPrimal


class FiniteDifferenceEngine:
    """``autodiff(mode, f, ret, *args)`` computed numerically with step ``h``."""

    def __init__(self, h: float = 1e-4):
        self.h = h

    def autodiff(self, mode, f, ret, *args):
        vals = [a.val for a in args]
        seeds = {k: a.dval.copy() for k, a in enumerate(args) if isinstance(a, Duplicated)}
        active = [k for k, a in enumerate(args) if isinstance(a, Active)]

        def objective(vs):
            vs = copy.deepcopy(vs)
            r = f(*vs)
            total = sum(float(np.sum(w * vs[k])) for k, w in seeds.items())
            return total + (float(r) if ret is Active else 0.0)

        def partial(k, idx):
            hi, lo = copy.deepcopy(vals), copy.deepcopy(vals)
            if idx is None:
                hi[k], lo[k] = hi[k] + self.h, lo[k] - self.h
            else:
                hi[k][idx] += self.h
                lo[k][idx] -= self.h
            return (objective(hi) - objective(lo)) / (2 * self.h)

        grads = {k: np.array([partial(k, i) for i in np.ndindex(vals[k].shape)]).reshape(vals[k].shape)
                 for k in seeds}
        derivs = tuple(partial(k, None) if k in active else None for k in range(len(args)))
        primal = f(*vals)
        for k, g in grads.items():
            args[k].dval[...] = g
        return (derivs, primal) if mode is ReverseWithPrimal else derivs
