"""Hand-written reverse-mode adjoints of the kernels in ``kernels.py``.

Each ``*_adjoint`` runs the primal kernel itself (the forward sweep, leaving the
arguments as the kernel would) and then a reverse sweep written by hand, as
fast as we know how to write it in numpy. Shadows follow adcompiler's contract:
on entry a shadow holds the adjoint of the argument's final value, on exit the
adjoint of its initial value.
"""
from __future__ import annotations

import numpy as np
from kernels import heat, recurrence, seed


def seed_adjoint(s: np.ndarray, ds: np.ndarray, a: np.ndarray, da: np.ndarray,
                 b: np.ndarray, db: np.ndarray) -> None:
    """Adjoint of ``s[:] = a + b``: ``da += ds``, ``db += ds``, then ``ds = 0``."""
    seed(s, a, b)
    da += ds
    db += ds
    ds.fill(0.0)


def recurrence_adjoint(s: np.ndarray, ds: np.ndarray, a: np.ndarray, da: np.ndarray,
                       b: np.ndarray, db: np.ndarray) -> None:
    """Adjoint of ``s[i] = s[i-1]*a[i] + b[i]`` for ``i`` in ``1..n-1``.

    Each ``s[i]`` (``i >= 1``) is written once before it is read, so no value
    needs saving: the reverse sweep reads the final ``s``. With ``g[i]`` the
    total adjoint of the value written at step ``i``,
    ``g[n-1] = ds[n-1]`` and ``g[i] = ds[i] + a[i+1]*g[i+1]``; then
    ``da[i] += g[i]*s[i-1]``, ``db[i] += g[i]``, ``ds[0] += a[1]*g[1]`` and
    ``ds[1:] = 0``. The backward recurrence is sequential; it runs on Python
    floats (much faster than indexing numpy scalars), the rest is vectorised.
    """
    recurrence(s, a, b)
    n = s.shape[0]
    if n < 2:
        return
    seeds = ds.tolist()
    coef = a.tolist()
    g = [0.0] * n
    acc = seeds[n - 1]
    g[n - 1] = acc
    for i in range(n - 2, 0, -1):
        acc = seeds[i] + coef[i + 1] * acc
        g[i] = acc
    gv = np.array(g, dtype=s.dtype)
    da[1:] += gv[1:] * s[:-1]
    db[1:] += gv[1:]
    ds[0] += coef[1] * g[1]
    ds[1:] = 0.0


def heat_adjoint(u: np.ndarray, du: np.ndarray, c: float, steps: int) -> None:
    """Adjoint of ``steps`` updates ``u[1:-1] += c*(u[2:] - 2*u[1:-1] + u[:-2])``.

    The step is linear in ``u`` (``c`` is constant), so nothing is saved. Per
    step, with ``g`` the adjoint of the new interior: the interior keeps
    ``(1 - 2c) g`` and both neighbours receive ``c g``; the boundary adjoints
    pass through unchanged.
    """
    heat(u, c, steps)
    g = np.empty(max(u.shape[0] - 2, 0), dtype=du.dtype)
    keep = 1.0 - 2.0 * c
    for _ in range(steps):
        np.multiply(du[1:-1], c, out=g)
        du[1:-1] *= keep
        du[2:] += g
        du[:-2] += g
