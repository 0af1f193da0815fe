"""Infinite numbers the code writes (``np.inf`` boundaries of dynamic programming,
``-np.inf`` masks): they stay infinite whatever the arguments, so they carry no
derivative. Reverse mode multiplied their zero adjoint by an infinite partial
(``R / -gamma`` at ``R = inf``: 0 * inf), forward mode their infinite tangent by
a zero partial (past an exp or a max): the soft-DTW gradient and tangent were
nan where finite differences are finite. Now the terms are 0 where the adjoint
is 0 and the tangents 0 where the value is infinite; every entry point, against
finite differences."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    gradient,
)
from adcompiler.testing import check_grads


def soft_dtw(a, b, gamma):
    n, m = a.shape[0], b.shape[0]
    R = np.full((n + 1, m + 1), np.inf)
    R[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            r = np.array([R[i - 1, j - 1], R[i - 1, j], R[i, j - 1]]) / -gamma
            rmax = np.max(r)
            softmin = -gamma * (np.log(np.sum(np.exp(r - rmax))) + rmax)
            R[i, j] = (a[i - 1] - b[j - 1]) ** 2 + softmin
    return R[n, m]


def masked_attention(q, k, scale, out):
    s = np.outer(q, k)
    s[np.triu_indices(q.shape[0], 1)] = -np.inf
    s = s * scale
    p = np.exp(s - np.max(s, axis=1, keepdims=True))
    out[:] = np.sum(p / np.sum(p, axis=1, keepdims=True) * k, axis=1)


def scalar_softmin(x, gamma):
    total = 0.0
    prev = math.inf
    for i in range(x.shape[0]):
        a = -prev / gamma
        b = -x[i] / gamma
        c = max(a, b)
        prev = -gamma * (c + math.log(math.exp(a - c) + math.exp(b - c)))
        total += prev
    return total


RNG = np.random.default_rng(5)
A, B = RNG.standard_normal(5), RNG.standard_normal(4)


def test_soft_dtw_every_entry_point():
    check_everywhere(soft_dtw, Duplicated(A.copy(), np.zeros(5)), Duplicated(B.copy(), np.zeros(4)), Active(0.7),
                     tapes=("autograd", "torch", "jax"))
    assert np.all(np.isfinite(np.concatenate([np.ravel(g) for g in gradient(soft_dtw, A, B, 0.7)])))


def test_a_mask_scaled_by_a_parameter():
    q, k = RNG.standard_normal(4), RNG.standard_normal(4)
    check_everywhere(masked_attention, Duplicated(q.copy(), np.zeros(4)), Duplicated(k.copy(), np.zeros(4)),
                     Active(0.8), Duplicated(np.zeros(4), np.zeros(4)), ret=Const, out="out")


def test_scalars_from_an_infinite_start():
    check_everywhere(scalar_softmin, Duplicated(A.copy(), np.zeros(5)), Active(0.5))


@pytest.mark.parametrize("mode", [ReverseWithPrimal, ReverseSplitWithPrimal], ids=["fused", "split"])
def test_under_numba(mode):
    require("numba")
    sys.path.insert(0, str(Path(__file__).resolve().parent / "numba"))
    from numba_engine import Numba
    check_grads(soft_dtw, Duplicated(A.copy(), np.zeros(5)), Duplicated(B.copy(), np.zeros(4)), Active(0.7),
                ret=Active, mode=mode, engine=Numba)
