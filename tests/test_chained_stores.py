"""A chained subscript store, ``A[i][j] += v`` (the C-style indexing of code
ported from lists of lists), was refused ("a chained subscript store"). It is
named first, as Python runs it (``_part = A[i]; _part[j] += v``): a view when
``A[i]`` is basic indexing, so the store reaches ``A``; a copy when it is
fancy indexing or a mask, so the store is dropped and ``A`` is unchanged. Of a
plain assignment the value is computed before the target. Every entry point
against finite differences, the primal against Python, numba against numpy."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import annotated, check_everywhere, check_numba_gradient, check_primal

from adcompiler import Active, Duplicated


def rows_c_style(A, x):
    n = A.shape[0]
    for i in range(n):
        A[i][0] += x[i] * A[i][1]
        A[i][1] = A[i][1] * A[i][2]
    return np.sum(A * A)


def row_slices(A, c):
    for i in range(A.shape[0]):
        A[i][1:] *= c
    return np.sum(np.sin(A))


def three_deep(T, v):
    T[1][0][2] = v[0] * T[0][1][1]
    T[0][1][:] += v
    return np.sum(T ** 2)


def fancy_copy(A, v):
    A[[0, 2]][0] = v   # (a copy: the store is dropped, A is unchanged)
    A[A > 10.0][:] = 0.0   # (a mask: a copy too)
    return np.sum(A * A)


def value_first(A):
    A[0][1] = A[0][0] * A[1][1]
    A[1][1] = A[0][1] + A[1][0]
    return np.sum(A ** 3)


def recurrence_table(D, a):
    n, m = D.shape
    for i in range(1, n):
        for j in range(1, m):
            D[i][j] = a[i] * D[i - 1][j] + (1.0 - a[i]) * D[i][j - 1]
    return D[n - 1][m - 1]


def column_view(A, v):
    A[:, 1][1:] = v * 2.0   # (a column is a view: the store reaches A)
    return np.sum(A * A)


def argmax_row(A, v):
    k = np.argmax(v)   # (a numpy integer)
    A[k][1] += v[1] * A[k][0]
    A[-1][0] = v[0] * A[-2][1]
    A[0][-1] -= A[-1][-1]
    return np.sum(A ** 3)


def transpose_in_place(A):
    n = A.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            A[i][j], A[j][i] = A[j][i], A[i][j] * 1.5   # (C-style: a tuple of chained stores)
    return np.sum(A * np.arange(A.size).reshape(A.shape))


def several_targets(A, v):
    A[0][1] = A[1][0] = A[2][2] * v[0]
    s, A[2][0:2] = v[1] * 2.0, A[0][1:] * v[2]
    return np.sum(A ** 2) + s


def list_of_rows(x, v):
    us = [np.zeros(2), np.zeros(3)]
    for k in range(2):
        us[k][0] = v[k] * x[k]
    return np.sum(us[0] ** 2) + np.sum(us[1] * x[2])


R = np.random.default_rng(3)
CASES = [(rows_c_style, (R.random((3, 3)), R.random(3))), (row_slices, (R.random((3, 4)), 0.7)),
         (three_deep, (R.random((2, 2, 3)), R.random(3))), (fancy_copy, (R.random((3, 3)), R.random(3))),
         (value_first, (R.random((2, 2)),)), (recurrence_table, (R.random((4, 5)), R.random(4))),
         (column_view, (R.random((4, 3)), R.random(3))), (argmax_row, (R.random((3, 3)), R.random(3))),
         (transpose_in_place, (R.random((3, 3)),)), (several_targets, (R.random((3, 3)), R.random(3)))]


@pytest.mark.parametrize("f,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_chained_store_everywhere(f, args):
    check_everywhere(f, *annotated(args), ret=Active, tapes=("autograd", "jax", "torch"))
    check_primal(f, args)


@pytest.mark.parametrize("f,args", [c for c in CASES if c[0] is not fancy_copy], ids=lambda c: getattr(c, "__name__", ""))
def test_under_numba(f, args):
    check_numba_gradient(f, *annotated(args))


def test_list_element_refused():
    """A row of a list (not an array) written through a chained store is refused at its line (the
    loop over range(2) reading us[k] is unrolled: at the line that reads the element again)."""
    from adcompiler import gradient
    from adcompiler.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match=r"test_chained_stores\.py:\d+: `(us\[k\]\[0\] = v\[k\] \* x\[k\]|"
                                                     r"return np.sum\(us\[0\] \*\* 2\).*)`.*written in place"):
        gradient(list_of_rows, R.random(3), R.random(2))


def swap_by_index(A, v, idx):
    for i in range(len(idx)):
        A[idx[i]][0], A[0, idx[i]] = A[0][idx[i]] * v[i], A[idx[i], 0] + v[i]
    return float(np.sum(A ** 2))


def test_index_array_of_a_tuple_target_is_read():
    """An int array indexing the elements of a tuple target (``A[idx[i], 0], ... = ...``) is read,
    not written: differentiate took it for written and refused the bare form."""
    import autograd

    from adcompiler import Const, differentiate, gradient
    A, v, idx = R.random((3, 3)), R.random(2), np.array([2, 1])
    check_everywhere(swap_by_index, Duplicated(A, np.zeros_like(A)), Duplicated(v, np.zeros(2)), Const(idx),
                     ret=Active, tapes=("autograd", "jax", "torch"))
    F = differentiate(swap_by_index, scratch=("A",))
    got = autograd.grad(lambda w: F(A.copy(), w, idx))(v)
    want = gradient(swap_by_index, A.copy(), v, idx)[1]
    np.testing.assert_allclose(got, want, rtol=1e-12)
