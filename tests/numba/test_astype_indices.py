"""Bins computed with ``.astype(np.int64)`` under numba: the frontend writes ``x.astype(d)`` as
``np.array(x, dtype=d)``, which numba's numpy does not take of an array ("No implementation of
function array", refused at the line); it is now the copy ``x.astype(d)`` numba makes. The
gradients against the numpy backend's, and those against finite differences."""
import numpy as np
import pytest
from everywhere import check_numba_gradient
from optional import require

from adcompiler import Active, Const, Duplicated
from adcompiler.testing import check_grads

require("numba")


def binned(h, x, w):
    idx = (x * 4).astype(np.int64)
    for i in range(x.shape[0]):
        h[idx[i]] += w[i] * x[i]
    return np.sum(h ** 2)


def floored_cells(u, x, c):
    cell = np.floor(x * 3.0).astype(np.int64)
    s = 0.0
    for i in range(x.shape[0]):
        s += u[cell[i]] * c * x[i]
    return s


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_bins_of_a_differentiated_array(engine):
    x, w = np.array([0.1, 0.3, 0.6, 0.9]), np.array([1.0, 2.0, 3.0, 4.0])
    args = [Duplicated(np.zeros(4), np.zeros(4)), Duplicated(x, np.zeros(4)), Duplicated(w, np.zeros(4))]
    check_grads(binned, *args, ret=Active, engine=engine)
    check_numba_gradient(binned, *args)


def test_cells_of_a_constant_array():
    u, x = np.array([1.0, -2.0, 0.5]), np.array([0.1, 0.5, 0.9, 0.35])
    args = [Duplicated(u, np.zeros(3)), Const(x), Active(1.5)]
    check_grads(floored_cells, *args, ret=Active, engine="numba")
    check_numba_gradient(floored_cells, *args)
