"""np.prod of a whole array in a loop kernel under numba: its adjoint (``_ad_prod_adjoint``)
had no numba version (refused; auto ran numpy). Zeros among the factors (one, two) take the
products of the others, as numpy's adjoint does. References: the numpy backend, central
differences."""
import numpy as np
import pytest
from optional import require

import adcompiler as ad

require("numba")


def rows_of_products(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += np.prod(w * x[i]) * x[i, 0]
    return s


@pytest.mark.parametrize("x", [np.array([[0.5, 0.4, 2.0], [1.5, -1.0, 0.3], [0.7, 1.2, -0.9]]),
                               np.array([[0.5, 0.0, 2.0], [1.5, -1.0, 0.3], [0.7, 0.0, 0.0]])])
def test_products_under_numba(x):
    w = np.array([1.0, 2.0, 0.5])
    want = ad.gradient(rows_of_products, x, w)
    got = ad.gradient(rows_of_products, x, w, backend="numba")
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    h, fd = 1e-6, np.zeros_like(x)
    for i in range(3):
        for j in range(3):
            up, dn = x.copy(), x.copy()
            up[i, j] += h
            dn[i, j] -= h
            fd[i, j] = (rows_of_products(up, w) - rows_of_products(dn, w)) / (2 * h)
    np.testing.assert_allclose(got[0], fd, rtol=1e-6, atol=1e-8)


def test_split_halves_under_numba():
    """The numba halves, driven as the tapes drive them (fresh shadows), against finite differences."""
    from numba_engine import Numba

    from adcompiler import Active, Const, Duplicated, ReverseSplitWithPrimal
    from adcompiler.testing import check_grads
    x = np.array([[0.5, 0.0, 2.0], [1.5, -1.0, 0.3], [0.7, 0.4, -0.2]])
    check_grads(rows_of_products, Duplicated(x, np.zeros((3, 3))), Const(np.array([1.0, 2.0, 0.5])), ret=Active,
                mode=ReverseSplitWithPrimal, engine=Numba)
