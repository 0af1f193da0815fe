"""Reductions over one axis under numba: the adjoint of np.sum(x, axis=k) (and of the
mean over one axis where numba runs the primal) spreads each line's adjoint back over
the line (``_ad_unreduce`` had no numba version but over all elements). Against the
numpy backend and finite differences."""
import numpy as np
import pytest
from numba_engine import Numba

import adcompiler as ad
from adcompiler import Active, Const, Duplicated, Reverse, ReverseSplitWithPrimal
from adcompiler.testing import check_grads

RNG = np.random.default_rng(3)


def speeds2(vel, out):
    out[:] = np.sum(vel * vel, axis=1)


def columns(Y, X):
    Y[:, 1] = np.sum(X, axis=1)
    Y[:, 0] = np.sum(X * X, axis=0)[1] * X[:, 2]


def cube(A):
    return float(np.sum(np.sum(A * A, axis=0) ** 2) + np.sum(np.sum(A, axis=2) ** 3) + np.sum(np.sum(A, axis=-1) * 2.0))


def _dup(*shape):
    x = RNG.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (speeds2, lambda: (_dup(4, 3), _dup(4)), Const),
    (columns, lambda: (_dup(5, 2), _dup(5, 3)), Const),
    (cube, lambda: (_dup(2, 3, 4),), Active),
]


@pytest.mark.parametrize("mode", [Reverse, ReverseSplitWithPrimal], ids=["fused", "split"])
@pytest.mark.parametrize("f, args, ret", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_axis_sums_under_numba(f, args, ret, mode):
    check_grads(f, *args(), ret=ret, mode=mode, engine=Numba)
    a = args()
    for v in a:
        v.dval[...] = RNG.standard_normal(v.dval.shape)
    got = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    want = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    ad.autodiff(Reverse, f, ret, *want)
    ad.autodiff(Reverse, f, ret, *got, backend="numba")
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.dval, w.dval, rtol=1e-12, atol=1e-14)
