"""Central finite differences of the reverse-mode contract, for the trust tests.

``fd_reverse(f, ret_active, args)`` returns what ``autodiff(Reverse, ...)``
must produce for annotated ``args``: the derivative of each Active argument
and the final shadow of each Duplicated one (the seed's adjoint with respect
to the initial value, by central differences of
``sum(seed * final value) + return``), computed in float64 on contiguous
copies, so an argument's memory layout cannot influence the reference.
"""
from __future__ import annotations

import numpy as np

from adcompiler import Active, Duplicated


def _run(f, vals):
    vals = [np.array(x, dtype=np.float64) if isinstance(x, np.ndarray) else x for x in vals]
    with np.errstate(all="ignore"):
        r = f(*vals)
    return vals, r


def fd_reverse(f, ret_active: bool, args, h: float = 1e-6):
    """(derivs, shadows, finals): references for Active derivatives, Duplicated shadows and final values."""
    vals = [a.val for a in args]
    seeds = {k: np.array(a.dval, dtype=np.float64) for k, a in enumerate(args) if isinstance(a, Duplicated)}

    def objective(vs):
        out, r = _run(f, vs)
        total = sum(float(np.sum(w * out[k])) for k, w in seeds.items())
        return total + (float(r) if ret_active else 0.0)

    def partial(k, idx):
        hi = [np.array(x, dtype=np.float64) if isinstance(x, np.ndarray) else x for x in vals]
        lo = [np.array(x, dtype=np.float64) if isinstance(x, np.ndarray) else x for x in vals]
        if idx is None:
            hi[k], lo[k] = hi[k] + h, lo[k] - h
        else:
            hi[k][idx] += h
            lo[k][idx] -= h
        return (objective(hi) - objective(lo)) / (2 * h)

    shadows = {k: np.array([partial(k, i) for i in np.ndindex(np.shape(vals[k]))]).reshape(np.shape(vals[k]))
               for k in seeds}
    derivs = [partial(k, None) if isinstance(a, Active) else None for k, a in enumerate(args)]
    finals, _ = _run(f, vals)
    return derivs, shadows, finals
