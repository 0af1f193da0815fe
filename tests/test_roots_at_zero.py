"""A root (or fractional power) at 0 inside a smooth function: the self-pair of a pairwise
distance (``r = sqrt(d * d)`` with ``d = x[i] - x[i]``, 0 whatever x), whose kernel term is
constant. The root's adjoint there is inf, and the terms multiplying it by the partial 0 of
``d * d`` were nan: every reverse-mode gradient of an SPH density was nan (forward mode was
right; a search). The names summed into a root's argument have their terms 0 where the partial
is. Checked at every entry point against finite differences, on the tapes and under numba."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Duplicated


def density_vectorised(x, out):
    d = x[:, None] - x[None, :]
    r = np.sqrt(d * d)
    out[:] = ((1.0 - r) ** 3).sum(1)


def density_power(x, out):
    r = np.sqrt((x[:, None] - x[None, :]) ** 2)
    out[:] = ((1.0 - r) ** 3).sum(1)


def density_2d(p, out):
    d = p[:, None, :] - p[None, :, :]
    r = np.sum(d ** 2, axis=-1) ** 0.5
    out[:] = np.sum((2.0 - r) ** 3, axis=1)


def density_loop(p, out):
    n = p.shape[0]
    for i in range(n):
        out[i] = 0.0
        for j in range(n):
            dx = p[i, 0] - p[j, 0]
            dy = p[i, 1] - p[j, 1]
            r = math.sqrt(dx * dx + dy * dy)
            out[i] += (2.0 - r) ** 3


def energy_loop(p):
    e = 0.0
    for i in range(p.shape[0]):
        for j in range(p.shape[0]):
            d = p[i] - p[j]
            e += (1.5 - np.sqrt(np.sum(d * d))) ** 2
    return e


def _d(*shape, seed=1):
    x = np.random.default_rng(seed).uniform(0.0, 0.6, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [(density_vectorised, lambda: (_d(3), _d(3, seed=2)), "out"),
         (density_power, lambda: (_d(4), _d(4, seed=2)), "out"),
         (density_2d, lambda: (_d(3, 2), _d(3, seed=2)), "out"),
         (density_loop, lambda: (_d(3, 2), _d(3, seed=2)), "out"),
         (energy_loop, lambda: (_d(3, 2),), ())]


@pytest.mark.parametrize("f, args, out", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_every_entry_point(f, args, out):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # (numpy's 1 / 0 of the root's partial, taken out)
        check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


def test_numba():
    check_numba_gradient(energy_loop, _d(3, 2))
