"""``np.diff`` whose result is empty (``n`` at least the length along the axis): numpy
returns an empty array, nothing depends on the input, and every entry point gives the
derivative of the rest (reverse mode raised an IndexError from the adjoint of the
empty difference before)."""
import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import Duplicated


def diff_as_long_as_n(x, out):
    out[0] = np.sum(np.diff(x[:2], n=2)) + x[0]


def diff_longer_than_n(x, out):
    out[0] = np.sum(np.diff(x[:2], n=3)) + x[0] * x[1]


def diff_returned(x):
    return np.sum(np.diff(x[:2], n=2)) + x[0] ** 2


def diff_of_rows(A):
    return np.sum(np.diff(A, n=3, axis=0)) + np.sum(A ** 2)


def diff_with_an_end(x):
    return np.sum(np.diff(x[:1], n=3, prepend=0.5) ** 2) + np.sum(x)


def _x():
    return np.array([0.3, -0.5, 0.7])


def _d(v):
    return Duplicated(v.copy(), np.zeros_like(v))


@pytest.mark.parametrize("f, args, out", [
    (diff_as_long_as_n, lambda: (_d(_x()), _d(np.zeros(1))), ("out",)),
    (diff_longer_than_n, lambda: (_d(_x()), _d(np.zeros(1))), ("out",)),
    (diff_returned, lambda: (_d(_x()),), ()),
    (diff_of_rows, lambda: (_d(np.array([[0.3, -0.2], [0.5, 1.1]])),), ()),
    (diff_with_an_end, lambda: (_d(_x()),), ()),
], ids=lambda v: getattr(v, "__name__", ""))
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


def test_closed_forms():
    np.testing.assert_array_equal(ad.gradient(diff_returned, _x())[0], [0.6, 0.0, 0.0])
    np.testing.assert_array_equal(ad.hessian(diff_returned, _x()), np.diag([2.0, 0.0, 0.0]))


def test_numba_backend():
    check_numba_gradient(diff_returned, _d(_x()))


def longer_under_numba(x):
    return np.sum(np.diff(x[:2], n=3)) + x[0] * x[1]


def test_numba_backend_longer_than_n():
    check_numba_gradient(longer_under_numba, _d(_x()))
