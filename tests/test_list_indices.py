"""``X[list(t)]``: a list made of a mesh's row (``for t in tris``) indexing an array, the
element gather of finite-element assembly. It was refused ("list has no derivative rule");
the list indexes as the array of its items. References: every entry point (central
differences, the dot-product test, the tapes) and the numba backend."""
import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import Const, Duplicated


def triangle_energy(coords, tris):
    e = 0.0
    for t in tris:
        xy = coords[list(t)]
        a = (xy[1, 0] - xy[0, 0]) * (xy[2, 1] - xy[0, 1]) - (xy[2, 0] - xy[0, 0]) * (xy[1, 1] - xy[0, 1])
        e += 0.5 * a * a
    return e


def assemble(out, vals, tris):
    for k in range(tris.shape[0]):
        out[list(tris[k])] += vals[k] * np.array([1.0, 2.0, 3.0])


TRIS = np.array([[0, 1, 2], [1, 3, 4], [0, 2, 4], [4, 2, 0]])


def test_a_gather_by_a_list_of_a_row():
    coords = np.random.default_rng(0).standard_normal((5, 2))
    check_everywhere(triangle_energy, Duplicated(coords, np.zeros((5, 2))), Const(TRIS), tapes=("autograd", "jax"),
                     out=())
    check_numba_gradient(triangle_energy, Duplicated(coords, np.zeros((5, 2))), Const(TRIS))


def test_a_scatter_by_a_list_of_a_row():
    vals = np.array([0.5, -1.0, 2.0, 0.25])
    check_everywhere(assemble, Duplicated(np.zeros(5), np.zeros(5)), Duplicated(vals, np.zeros(4)), Const(TRIS),
                     out=("out",), tapes=("autograd", "torch"))


@pytest.mark.parametrize("tris", [TRIS, [(0, 1, 2), (1, 3, 4)]])
def test_the_list_indexes_as_its_items(tris):
    """(a list of tuples too: ``coords[list((0, 1, 2))]`` is a gather, where ``coords[(0, 1, 2)]`` would not be)"""
    coords = np.random.default_rng(1).standard_normal((5, 2))
    from adcompiler import gradient
    g = gradient(triangle_energy, coords, tris)[0]
    h, fd = 1e-6, np.zeros_like(coords)
    for i in range(5):
        for j in range(2):
            cp, cm = coords.copy(), coords.copy()
            cp[i, j] += h
            cm[i, j] -= h
            fd[i, j] = (triangle_energy(cp, tris) - triangle_energy(cm, tris)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def pairs_table(A, x):
    idx = [(0, 1), (1, 2), (2, 0)]
    s = 0.0
    for k in range(3):
        s += A[idx[k]] * x[k] ** 2 * A[idx[k]]
    return s


def squares_at(A, t):
    return float(np.sum(A[t] ** 2))


def stored_through_a_tuple(y, A):
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            t = (i, j)
            y[t] = A[t] * A[j, i]
            y[t] += np.sin(A[t])


def test_a_tuple_of_ints_indexes_one_element_and_a_list_many():
    """``A[t]`` with ``t`` a tuple of ints is one element (``A[0, 2]``), with ``t`` a list of ints
    the rows it lists (``A[[0, 2]]``): the kinds now tell a tuple from a list, and the table of
    pairs ``idx[k]`` is read as elements (it was a value of unknown kind: an array perhaps, its
    adjoint scattered with np.add.at, and the reverse code, differentiated again, refused)."""
    A = np.arange(9.0).reshape(3, 3) / 3 + 0.1
    x = np.array([1.0, 2.0, 3.0])
    check_everywhere(pairs_table, Duplicated(A.copy(), np.zeros((3, 3))), Duplicated(x, np.zeros(3)))
    check_numba_gradient(pairs_table, Duplicated(A.copy(), np.zeros((3, 3))), Duplicated(x, np.zeros(3)))
    for t in [(0, 2), [0, 2], (np.array([0, 1]), 1), (slice(0, 2), 1)]:
        want = np.zeros((3, 3))
        np.add.at(want, t, 2 * A[t])
        np.testing.assert_allclose(ad.gradient(squares_at, A, t)[0], want, err_msg=repr(t))
        check_everywhere(squares_at, Duplicated(A.copy(), np.zeros((3, 3))), Const(t))
    check_everywhere(stored_through_a_tuple, Duplicated(np.zeros((3, 3)), np.zeros((3, 3))),
                     Duplicated(A.copy(), np.zeros((3, 3))), out="y", tapes=("autograd", "jax", "torch"))


def test_second_order_through_a_table_of_index_pairs():
    A = np.arange(9.0).reshape(3, 3) / 3 + 0.1
    x = np.array([1.0, 2.0, 3.0])
    r = np.random.default_rng(1)
    vA, vx = r.standard_normal((3, 3)), r.standard_normal(3)
    h = 1e-6
    plus, minus = ad.gradient(pairs_table, A + h * vA, x + h * vx), ad.gradient(pairs_table, A - h * vA, x - h * vx)
    for got, p, m in zip(ad.hvp(pairs_table, (A, x), (vA, vx)), plus, minus):
        np.testing.assert_allclose(got, (p - m) / (2 * h), rtol=1e-6, atol=1e-8)


def at_the_greatest_index(x):
    idx = [0, 2]
    return x[max(idx)] * x[min(idx)]


def extremes_of_values(x):
    vals = [x[0] * 2.0, x[1], np.sin(x[2])]
    return max(vals) + min(vals) * 0.5


def shifted_by_the_greatest_offset(y, x):
    offs = [1, 3, 2]
    for i in range(x.shape[0] - max(offs)):
        y[i] = x[i + max(offs)] * x[i + min(offs)]


def test_max_and_min_of_a_list_of_numbers_is_an_element():
    """``max(idx)`` of a list written out with numbers (typed as its 1-d array) was taken for the
    array: ``x[max(idx)]`` an array of rank 1 (refused as the Active return); it is an element."""
    x = np.array([0.3, -1.2, 0.8, 0.5, 1.1])
    check_everywhere(at_the_greatest_index, Duplicated(x.copy(), np.zeros(5)))
    np.testing.assert_allclose(ad.gradient(at_the_greatest_index, x)[0], [x[2], 0, x[0], 0, 0])
    check_everywhere(extremes_of_values, Duplicated(x.copy(), np.zeros(5)))
    np.testing.assert_allclose(ad.gradient(extremes_of_values, x)[0], [0, 0.5, np.cos(x[2]), 0, 0])
    check_everywhere(shifted_by_the_greatest_offset, Duplicated(np.zeros(5), np.zeros(5)),
                     Duplicated(x.copy(), np.zeros(5)), out="y", tapes=("autograd", "jax", "torch"))


def at_a_sliced_tuple(A):
    t = (2, 1) + (0,)
    return A[t[:2]] ** 2 * A[t[1:]]


def at_divmod(A):
    return A[divmod(5, 3)] ** 3


def at_unravelled(A):
    return A[np.unravel_index(7, A.shape)] ** 2 * A[0, 0]


def at_a_new_axis_tuple(A):
    t = (None, 1)
    return float(np.sum(A[t] ** 2))


@pytest.mark.parametrize("f", [at_a_sliced_tuple, at_divmod, at_unravelled, at_a_new_axis_tuple])
def test_tuples_of_ints_made_otherwise_index_as_their_elements(f):
    """Tuples sliced, of divmod and np.unravel_index, and holding None: the Hessian refused them
    ("cannot tell whether dA[...] is a view or a copy"; the gradient was right)."""
    A = np.arange(9.0).reshape(3, 3) / 4 + 0.5
    check_everywhere(f, Duplicated(A.copy(), np.zeros((3, 3))))
    h = 1e-6
    fd = np.array([(ad.gradient(f, A + h * e.reshape(3, 3))[0] - ad.gradient(f, A - h * e.reshape(3, 3))[0]).ravel()
                   / (2 * h) for e in np.eye(9)])
    np.testing.assert_allclose(ad.hessian(f, A).reshape(9, 9), fd, rtol=1e-6, atol=1e-7)


def at_the_greatest_of_a_tuple(x):
    k = max((1, 2))
    t = (0, 3)
    return x[k] ** 2 * x[min(t)] + x[np.max(t)]


def extremes_written_out(x):
    a, b = x[0] ** 2, np.sin(x[1])
    return max([a, b, x[2]]) * x[3] + min((a, b)) * 0.5


def test_max_of_a_tuple_of_ints_and_of_a_list_written_out():
    """``max((1, 2))`` of a tuple of ints was taken for a float (np.max's result): kept on the split
    tape as a float, it failed as an index (IndexError); ``max([a, b])`` and ``min((a, b))`` of values
    that carry derivatives, written out inline, were refused (a named list was not)."""
    x = np.array([0.3, -1.2, 0.8, 0.5, 1.1])
    check_everywhere(at_the_greatest_of_a_tuple, Duplicated(x.copy(), np.zeros(5)))
    np.testing.assert_allclose(ad.gradient(at_the_greatest_of_a_tuple, x)[0],
                               [x[2] ** 2, 0, 2 * x[2] * x[0], 1, 0])
    check_everywhere(extremes_written_out, Duplicated(x.copy(), np.zeros(5)))
    np.testing.assert_allclose(ad.gradient(extremes_written_out, x)[0],
                               [0, 0.5 * np.cos(x[1]), x[3], x[2], 0])
    tie = np.array([0.5, 0.0, 0.25, 2.0, 0.0])   # (x0 ** 2 == x2: the list's maximum split equally)
    np.testing.assert_allclose(ad.gradient(extremes_written_out, tie)[0], [0.5 * 2.0, 0.5 * 1.0, 1.0, 0.25, 0])


def at_pythons_extremes(x):
    k = max((3, 1.5))
    j = min([2, 2.5, 4])
    return x[k] * 2.0 + x[j] * x[max((0, 1))]


def weighted_by_pythons_extremes(x, c):
    return max([0.5, c]) * x[0] + min((c, 0.25, 2.0)) * x[1]


def test_builtin_max_of_numbers_without_derivatives_is_pythons():
    """``max((3, 1.5))`` written out is Python's, the int 3 (numpy's max of the tuple is the float
    3.0, which failed as an index: IndexError), and Python compares a NaN as it does (``max([0.5, c])``
    of a NaN ``c`` is 0.5)."""
    x = np.array([0.3, -1.2, 0.8, 0.5, 1.1])
    check_everywhere(at_pythons_extremes, Duplicated(x.copy(), np.zeros(5)))
    np.testing.assert_allclose(ad.gradient(at_pythons_extremes, x)[0], [0, x[2], x[1], 2.0, 0])
    for c in (0.1, 3.0, np.nan):
        dx = np.zeros(5)
        _, ret = ad.autodiff(ad.ReverseWithPrimal, weighted_by_pythons_extremes, ad.Active, Duplicated(x.copy(), dx),
                          Const(c))
        np.testing.assert_allclose(ret, weighted_by_pythons_extremes(x, c))
        np.testing.assert_allclose(dx[:2], [max([0.5, c]), min((c, 0.25, 2.0))])
    check_everywhere(weighted_by_pythons_extremes, Duplicated(x.copy(), np.zeros(5)), Const(0.1))


def at_a_const_or_a_float(x, k):
    m = max((k, 1.5))
    s = 0.0
    for i in range(max((k - 1, 0.5))):
        if max((i, 1)) == 1:
            s += x[i] ** 2
    return x[m] ** 2 + s


def after_a_nan(x):
    return max([x[0] ** 2, float("nan")]) * x[1] + min((x[2], float("nan"), x[3])) * 0.5


def test_builtin_max_of_values_written_out_with_arguments_and_nan_is_pythons():
    """``max((k, 1.5))`` of a Const int ``k`` (an index, a range bound) was numpy's float: IndexError
    and TypeError; ``max([x0 ** 2, nan])`` was NaN where Python's is ``x0 ** 2``; ``if max((i, 2)) ==
    2:`` in a condition was refused ("max needs the argument b")."""
    x = np.array([0.3, -1.2, 0.8, 0.5, 1.1])
    check_everywhere(at_a_const_or_a_float, Duplicated(x.copy(), np.zeros(5)), Const(3))
    np.testing.assert_allclose(ad.gradient(at_a_const_or_a_float, x, 3)[0], [2 * x[0], 2 * x[1], 0, 2 * x[3], 0])
    check_everywhere(after_a_nan, Duplicated(x.copy(), np.zeros(5)), out=(), tapes=("autograd", "jax", "torch"))
    np.testing.assert_allclose(ad.gradient(after_a_nan, x)[0], [2 * x[0] * x[1], x[0] ** 2, 0, 0.5, 0])
    check_numba_gradient(after_a_nan, Duplicated(x.copy(), np.zeros(5)))
