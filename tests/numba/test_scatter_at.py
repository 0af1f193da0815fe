"""``np.add.at`` / ``np.subtract.at`` into a 1-D array under numba (COO products,
force assembly, histograms): the positions added to and each element's rank among
them have numba versions (``_ad_at_inverse``, ``_ad_at_targets``); they were refused
("_ad_at_inverse has no numba version"). Checked against finite differences and the
numpy backend in each mode; an index out of range raises IndexError as numpy's does."""
from __future__ import annotations

import numpy as np
import pytest
import scatter_kernels as K
from numba_engine import Numba

from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
)
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

RNG = np.random.default_rng(23)


def _dup(*shape):
    x = RNG.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


ROWS, COLS = np.array([0, 2, 2, 1, 0, 3, 2]), np.array([1, 0, 3, 3, 2, 0, 1])
CASES = [
    (K.coo_matvec, lambda: (_dup(4), _dup(7), _dup(4), Const(ROWS), Const(COLS)), Const),
    (K.negative_and_2d_indices, lambda: (_dup(5), _dup(2, 3), Const(np.array([[0, -1, 2], [-1, 4, 0]]))), Const),
    (K.pair_forces, lambda: (_dup(4), _dup(4), Const(np.array([0, 1, 2, 0])), Const(np.array([1, 2, 3, 3]))), Const),
    (K.scalar_values, lambda: (_dup(3), _dup(1), Const(np.array([2, 0, 2, 2]))), Active),
]
IDS = ["coo_matvec", "negative_2d", "pair_forces", "scalar_values"]


@pytest.mark.parametrize("f, args, ret", CASES, ids=IDS)
@pytest.mark.parametrize("mode", [Reverse, ReverseSplitWithPrimal], ids=["fused", "split"])
def test_add_at_under_numba_is_right(f, args, ret, mode):
    try:
        check_grads(f, *args(), ret=ret, mode=mode, engine=Numba)
    except BackendError as e:   # (split halves may refuse, at the user's line; never a wrong number)
        assert mode is ReverseSplitWithPrimal and "scatter_kernels.py" in str(e)


@pytest.mark.parametrize("f, args, ret", CASES, ids=IDS)
def test_add_at_numba_matches_numpy(f, args, ret):
    a = args()
    for v in a:
        if isinstance(v, Duplicated):
            v.dval[...] = RNG.standard_normal(v.dval.shape)
    copy = lambda: [Duplicated(v.val.copy(), v.dval.copy()) if isinstance(v, Duplicated) else v for v in a]
    got, want = copy(), copy()
    autodiff(Reverse, f, ret, *want)
    autodiff(Reverse, f, ret, *got, backend="numba")
    for g, w in zip(got, want):
        if isinstance(g, Duplicated):
            np.testing.assert_allclose(g.val, w.val, rtol=1e-13)
            np.testing.assert_allclose(g.dval, w.dval, rtol=1e-12, atol=1e-14)


def test_an_index_out_of_range_raises_as_numpy_does():
    y = Duplicated(np.zeros(3), np.ones(3))
    with pytest.raises(IndexError):
        K.coo_matvec(np.zeros(3), np.ones(2), np.ones(3), np.array([0, 3]), np.array([0, 1]))
    with pytest.raises(IndexError):
        autodiff(Reverse, K.coo_matvec, Const, y, Duplicated(np.ones(2), np.zeros(2)), Duplicated(np.ones(3), np.zeros(3)),
                 Const(np.array([0, 3])), Const(np.array([0, 1])), backend="numba")


def test_forward_mode_of_add_at_under_numba():
    from adcompiler import Forward
    y, vals, x = (RNG.uniform(0.5, 1.5, n) for n in (4, 7, 4))
    ty, tv, tx = (RNG.standard_normal(n) for n in (4, 7, 4))
    out = []
    for backend in ("numba", "numpy"):
        dy = Duplicated(y.copy(), ty.copy())
        autodiff(Forward, K.coo_matvec, Const, dy, Duplicated(vals.copy(), tv.copy()), Duplicated(x.copy(), tx.copy()),
                 Const(ROWS), Const(COLS), backend=backend)
        out.append(dy.dval)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)
