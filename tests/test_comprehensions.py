"""Comprehensions and generator expressions: a list built by a loop, and
``sum(... for ...)`` added up by a loop; their variables are their own (the
function's keep their values). Every entry point and the numba backend."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Const, Duplicated


def gen_dot(x, y):
    return sum(a * b for a, b in zip(x, y))


def keeps_its_k(x, k):
    s = sum(x[k] * j for k in range(3) for j in range(2) if j != k)
    return s + x[k]


def int_weights(x):
    w = np.array([k ** 2 for k in range(4)])
    return float(np.sum(w * x))


def rows_sum(A):
    return sum(np.sum(A[i] ** 2) for i in range(A.shape[0]))


def array_sum(A):
    r = sum((A[i] * A[i] for i in range(A.shape[0])), 1.0)
    return float(np.sum(r * r))


def values_in_a_list(x):
    v = np.array([x[i] ** 2 for i in range(x.shape[0])])
    return float(np.sum(v))


X = np.array([0.3, 0.9, 1.4, 0.2])
A = np.outer(X, X[:3])


def D(x):
    x = np.array(x, dtype=float)
    return Duplicated(x, np.zeros_like(x))


CASES = [(gen_dot, lambda: [D(X), D(X[::-1])]), (keeps_its_k, lambda: [D(X), Const(3)]),
         (int_weights, lambda: [D(X)]), (rows_sum, lambda: [D(A)]), (array_sum, lambda: [D(A)])]


@pytest.mark.parametrize("f,args", CASES, ids=[c[0].__name__ for c in CASES])
def test_comprehensions_everywhere(f, args):
    check_everywhere(f, *args(), out=(), tapes=("autograd", "torch", "jax"))


@pytest.mark.parametrize("f,args", CASES[:4], ids=[c[0].__name__ for c in CASES[:4]])
def test_comprehensions_under_numba(f, args):
    check_numba_gradient(f, *args())


def test_an_array_of_a_list_of_values_with_derivatives():
    # np.array([... for ...]) of values with derivatives: the list built by appends, stacked
    check_everywhere(values_in_a_list, D(X), out=(), tapes=("autograd", "torch", "jax"))


def sum_of_squares_into(x, y):
    x[0] = sum(v * v for v in y)


def test_sum_of_a_generator_over_an_array_written_into_an_output():
    check_everywhere(sum_of_squares_into, D(np.zeros(2)), D(X), out=("x",), tapes=("autograd", "torch", "jax"))


def clipped_if_any_large(x):
    # any/all of a generator: a flag set by a loop that stops at the deciding element (x[i] past
    # the first large one is never read, as Python's generator never reads it)
    s = np.sum(x * x)
    if any(x[i] > 1.0 for i in range(x.shape[0])):
        s = s * 0.5
    if all(v > 0.1 for v in x):
        s = s + x[0]
    if not all([x[i] < 2.0 for i in range(2)]):  # noqa: C419 (a list comprehension on purpose)
        s = s - x[1]
    return s


def scaled_while_any(x, k):
    # the flag decides a loop (the same element decides it in the reverse sweep)
    y = x * 1.0
    while any(abs(y[i]) > k for i in range(y.shape[0])):
        y = y * 0.5
    return float(np.sum(y * x))


def any_of_values(x):
    flags = [x[0] > 0.5, x[1] > 0.5]
    return x[2] * 2.0 if any(flags) and all(x > 0.0) else x[3]


@pytest.mark.parametrize("f,args", [(clipped_if_any_large, lambda: [D(X)]),
                                    (clipped_if_any_large, lambda: [D(X * 0.6)]),
                                    (scaled_while_any, lambda: [D(X * 3.0), Const(1.0)]),
                                    (any_of_values, lambda: [D(X)]), (any_of_values, lambda: [D(X * 0.1)])])
def test_any_and_all_of_comprehensions(f, args):
    check_everywhere(f, *args(), out=(), tapes=("autograd", "torch", "jax"))


def test_any_of_a_generator_under_numba():
    check_numba_gradient(scaled_while_any, D(X * 3.0), Const(1.0))


def _pairs_by_a_list_of_a_range(x):
    idx = list(range(1, x.shape[0]))   # (scipy's Nelder-Mead: one2np1 = list(range(1, N + 1)))
    s = 0.0
    for j in idx:
        s += x[j] * x[j - 1]
    return s


def _elements_listed(x, w):
    y = x * w
    vals = list(y)   # (the numbers of an array)
    return sum(v * v for v in vals)


def test_list_of_an_iterable_is_the_list_of_its_items():
    # (refused: `list` had no derivative rule)
    from everywhere import check_everywhere

    from adcompiler import Duplicated, gradient
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(gradient(_pairs_by_a_list_of_a_range, x)[0], [2.0, 4.0, 6.0, 3.0], rtol=1e-15)
    check_everywhere(_pairs_by_a_list_of_a_range, Duplicated(x.copy(), np.zeros(4)))
    w = np.array([0.5, -1.0, 2.0, 0.25])
    np.testing.assert_allclose(gradient(_elements_listed, x, w)[0], 2 * x * w * w, rtol=1e-15)
    check_everywhere(_elements_listed, Duplicated(x.copy(), np.zeros(4)), Duplicated(w.copy(), np.zeros(4)))


def _pairs_over_an_inline_list(x):
    s = 0.0
    for j in list(range(1, x.shape[0])):   # (the loop's items: those of the range)
        s += x[j] * x[j - 1]
    for j in reversed(list(range(1, len(list(x))))):
        s += 0.5 * x[j] * x[j]
    return s


def test_a_list_of_a_call_iterated_inline():
    # (refused: "this loop is not supported")
    from adcompiler import gradient
    x = np.array([1.0, 2.0, 3.0, 4.0])
    want = np.array([2.0, 4.0 + 2.0, 6.0 + 3.0, 3.0 + 4.0])
    np.testing.assert_allclose(gradient(_pairs_over_an_inline_list, x)[0], want, rtol=1e-15)
    check_everywhere(_pairs_over_an_inline_list, Duplicated(x.copy(), np.zeros(4)))


def _over_a_list_of_an_array_written_in_the_loop(x):
    for i, v in enumerate(list(np.ravel(x))):   # (the items as they were before the loop)
        if i + 1 < x.shape[0]:
            x[i + 1] += v * v * 0.5


def test_a_list_of_an_arrays_items_is_not_the_array_itself():
    # (list(np.ravel(x)) iterated as np.ravel(x): the loop read values it had written, primal and
    # gradient wrong)
    from adcompiler import AdCompilerError, Reverse, autodiff
    x = np.array([0.3, -0.7, 1.1, 0.5])
    with pytest.raises(AdCompilerError):
        autodiff(Reverse, _over_a_list_of_an_array_written_in_the_loop, Const, Duplicated(x.copy(), np.ones(4)))
