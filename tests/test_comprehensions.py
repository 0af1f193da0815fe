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
