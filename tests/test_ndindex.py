"""Loops over ``np.ndindex``: ``for i, j in np.ndindex(A.shape)``, ``np.ndindex(n, m)``,
``np.ndindex((n, m))``, one name for the whole index when the dimensions are written out
(``for idx in np.ndindex(n, m): A[idx]``). They run as one range loop over the flat position,
each index computed from it, the last fastest as numpy's (``break``, ``continue``, ``return`` and
``else`` keep their meaning; a first version made nested loops, and a ``return`` in the body
gave a SyntaxError from the generated code); the shape is unpacked once, before the loop. They
were refused ("np.ndindex has no derivative rule"). Checked at every entry point against finite
differences (and forward against reverse mode), under numba against the numpy backend; the forms
that cannot be lowered (an int of unknown rank, a count of names that differs from the
dimensions) are refused at their line."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def weighted_sum(A, w):
    s = 0.0
    for i, j in np.ndindex(A.shape):
        s += A[i, j] * w[j] * (i + 1)
    return s


def squared_in_place(A):
    for idx in np.ndindex(A.shape[0], A.shape[1]):
        A[idx] = A[idx] ** 2 + 0.5 * A[idx]
    return np.sum(A * A)


def order_matters(A):
    # a running product in the order np.ndindex visits (the last index fastest)
    acc = 1.0
    for i, j in np.ndindex((A.shape[0], A.shape[1])):
        acc = acc * 0.5 + A[i, j] * acc
        A[i, j] = acc
    return np.sum(A)


def three_dimensions(T, out):
    for i, j, k in np.ndindex(T.shape):
        out[i, j] += T[i, j, k] * T[i, j, k] * (k + 1)


def with_continue(A, w):
    s = 0.0
    for i, j in np.ndindex(A.shape):
        if i == j:
            continue
        s += A[i, j] * w[i]
    return s


def returned_early(A):
    s = 0.0
    for i, j in np.ndindex(A.shape):
        s += A[i, j] * (j + 1)
        if s > 2.5:
            return s
    return s * 0.5


def broken_out(A):
    s = 0.0
    for i, j in np.ndindex(A.shape):
        if A[i, j] > 1.2:
            break
        s += A[i, j] * A[i, j]
    else:
        s = s * 3.0
    return s


def cube_returned_early(T):
    s = 0.0
    for i, j, k in np.ndindex(T.shape):
        s += T[i, j, k] * (i + 2 * j + 3 * k + 1)
        if s > 4.0:
            return s
    return s


def a_named_shape(A):
    shp = A.shape
    s = 0.0
    for i, j in np.ndindex(shp):
        s += A[i, j] * (i + 2 * j + 1)
    return s


def the_first_two_axes(T):
    s = 0.0
    for i, j in np.ndindex(T.shape[:2]):
        s += np.sum(T[i, j] ** 2) * (i + 1)
    return s


def a_reversed_shape(A):
    s = 0.0
    for j, i in np.ndindex(A.shape[::-1]):
        s = s * 0.5 + A[i, j]
    return s


def _a(*shape, seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (weighted_sum, lambda: (_a(3, 4), _a(4, seed=1))),
    (squared_in_place, lambda: (_a(3, 2),)),
    (order_matters, lambda: (_a(2, 3),)),
    (with_continue, lambda: (_a(3, 3), _a(3, seed=1))),
    (returned_early, lambda: (Duplicated(np.array([[0.6, 0.7], [1.5, 0.8]]), np.zeros((2, 2))),)),
    (returned_early, lambda: (Duplicated(np.array([[0.1, 0.2], [0.3, 0.1]]), np.zeros((2, 2))),)),
    (broken_out, lambda: (Duplicated(np.array([[0.6, 0.7], [1.5, 0.8]]), np.zeros((2, 2))),)),
    (broken_out, lambda: (Duplicated(np.array([[0.6, 0.7], [0.5, 0.8]]), np.zeros((2, 2))),)),
    (cube_returned_early, lambda: (_a(2, 3, 2),)),
    (a_named_shape, lambda: (_a(2, 3),)),
    (the_first_two_axes, lambda: (_a(2, 3, 2),)),
    (a_reversed_shape, lambda: (_a(2, 3),)),
]


IDS = ["weighted_sum", "squared_in_place", "order_matters", "with_continue", "returned_early",
       "not_returned_early", "broken_out", "not_broken_out", "cube_returned_early", "a_named_shape",
       "the_first_two_axes", "a_reversed_shape"]


@pytest.mark.parametrize("f, args", CASES, ids=IDS)
def test_every_entry_point(f, args):
    # (on the three tapes too, where the function writes no argument: the bare differentiate)
    writes = f in (squared_in_place, order_matters)
    check_everywhere(f, *args(), ret=Active, out=None if writes else (), tapes=("autograd", "jax", "torch"))


def test_an_array_written_through_the_index():
    T, out = _a(2, 3, 4), _a(2, 3, seed=1)
    check_everywhere(three_dimensions, T, out, ret=Const, out="out", tapes=("autograd", "jax", "torch"))


def test_the_visiting_order_is_numpys():
    # the running product depends on the order: the values after the call equal the function's
    A = np.random.default_rng(3).uniform(0.5, 1.5, (2, 3))
    want, value = A.copy(), order_matters(A.copy())
    dA = np.zeros_like(A)
    mine = A.copy()
    _, got = ad.autodiff(ad.ReverseWithPrimal, order_matters, Active, Duplicated(mine, dA))
    assert got == pytest.approx(value, rel=1e-14)
    order_matters(want)
    np.testing.assert_allclose(mine, want, rtol=1e-14)


@pytest.mark.parametrize("f, args", CASES, ids=IDS)
def test_numba(f, args):
    check_numba_gradient(f, *args())


def one_int(x, n):
    s = 0.0
    for (i,) in np.ndindex(n):
        s += x[i]
    return s


def too_many_names(A):
    s = 0.0
    for i, j, k in np.ndindex(A.shape[0], A.shape[1]):
        s += A[i, j]
    return s


def rank_differs(A):
    s = 0.0
    for i, j in np.ndindex(A.shape):
        s += A[i, j]
    return s


@pytest.mark.parametrize("f, args, match", [
    (one_int, lambda: (_a(3), Const(3)), "np.ndindex of one argument"),
    (too_many_names, lambda: (_a(2, 2),), r"np.ndindex of 2 dimension\(s\) unpacked into 3"),
], ids=["one int", "too many names"])
def test_refused_at_the_line(f, args, match):
    with pytest.raises(ad.AdCompilerError, match=match) as e:
        ad.autodiff(ad.Reverse, f, Active, *args())
    assert "test_ndindex.py:" in str(e.value)


def test_a_rank_other_than_the_names_is_pythons_error():
    # A.shape of three dimensions unpacked into two names: ValueError, as the function raises
    A = np.ones((2, 2, 2))
    with pytest.raises(ValueError):
        rank_differs(A.copy())
    with pytest.raises(ValueError, match=r"test_ndindex.py:\d+: for i, j in np.ndindex"):
        ad.autodiff(ad.Reverse, rank_differs, Active, Duplicated(A.copy(), np.zeros_like(A)))
