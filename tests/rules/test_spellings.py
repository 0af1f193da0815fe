"""numpy 2's array-API spellings (``np.cumulative_sum``, ``np.linalg.vector_norm``,
``np.vecdot``, ``np.linalg.trace``...), ``np.ediff1d``, ``np.unwrap`` and
``max``/``min`` with ``initial=``, through every entry point against finite
differences; the forms the rewrites cannot read as numpy does refused at the line."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import AdCompilerError, Const, Duplicated, gradient


def _d(x):
    return Duplicated(x, np.zeros_like(x))


def running_totals(x, out):
    out[:] = np.cumulative_sum(x) * np.cumulative_prod(1.0 + 0.1 * x)


def running_with_initial(X):
    c = np.cumulative_sum(X, axis=1, include_initial=True)
    p = np.cumulative_prod(1.0 + 0.1 * X, axis=0, include_initial=True)
    return np.sum(c ** 2) + np.sum(p[1:] * c[:, 1:])


def norms(X):
    return (np.linalg.vector_norm(X) + np.sum(np.linalg.vector_norm(X, axis=0, ord=1))
            + np.sum(np.linalg.vector_norm(X, axis=-1, keepdims=True, ord=np.inf) * X)
            + np.linalg.matrix_norm(X) + np.linalg.matrix_norm(X, ord="nuc"))


def dots(X, y, out):
    out[:] = np.vecdot(X, y) + np.linalg.vecdot(X[::-1], X, axis=-1) + np.sum(np.vecdot(X.T, X.T, axis=0))
    out[:] += np.vecdot(y, X, axis=0) * 0.5   # (each operand's own axis 0: y with X's columns)


def array_api_linalg(A, B):
    t = np.linalg.trace(A @ B) + np.sum(np.linalg.diagonal(A, offset=1) ** 2)
    M = np.linalg.matmul(np.matrix_transpose(A), np.linalg.matrix_transpose(B))
    v = np.linalg.cross(A[0], B[1]) + np.linalg.outer(A[0], B[:, 0])[1]
    return t + np.sum(np.tanh(M)) + np.sum(v * np.linalg.tensordot(A, B, axes=1)[2]) + np.sum(np.astype(A, np.float64))


def edges(x, out):
    out[:] = np.ediff1d(x ** 2, to_begin=x[0], to_end=np.array([1.0, 2.0]) * x[-1])


def phase_unwrapped(x):
    return np.sum(np.unwrap(3.0 * x) ** 2) + np.sum(np.unwrap(np.outer(x, x), axis=0))


def with_initial(X, counts):
    return (np.max(X, initial=0.3) + np.sum(np.min(X, axis=0, initial=-0.2))
            + np.sum(np.amax(X, axis=1, keepdims=True, initial=0.1) * X) + np.max(X[:0], initial=0.7)
            + np.sum(np.max(X, 1, initial=0.2) * np.array([1.0, 2.0]))   # (the axis given by position)
            + np.max(counts, initial=X[0, 0] * 17.0) * X[1, 1])   # (an int array's: initial cast to int)


def test_cumulative_sum_and_prod():
    check_everywhere(running_totals, _d(np.linspace(-0.9, 1.3, 6)), _d(np.zeros(6)), out="out",
                     tapes=("autograd", "torch", "jax"))


def test_cumulative_with_initial():
    check_everywhere(running_with_initial, _d(np.sin(np.arange(12.0)).reshape(3, 4)))


def test_norms():
    X = np.array([[0.3, -1.2, 0.8], [2.1, 0.4, -0.7]])
    check_everywhere(norms, _d(X))


def test_vecdot():
    X = np.array([[0.3, -1.2, 0.8], [2.1, 0.4, -0.7], [1.1, 0.2, 0.5]])
    check_everywhere(dots, _d(X), _d(np.array([0.5, -0.3, 0.9])), _d(np.zeros(3)), out="out")


def test_array_api_linalg():
    A = np.array([[0.3, -1.2, 0.8], [2.1, 0.4, -0.7], [1.1, 0.2, 0.5]])
    check_everywhere(array_api_linalg, _d(A), _d(np.cos(A * 2.0)))


def test_ediff1d():
    check_everywhere(edges, _d(np.linspace(0.2, 1.4, 5)), _d(np.zeros(7)), out="out")


def test_unwrap():
    check_everywhere(phase_unwrapped, _d(np.array([0.1, 1.5, -1.3, 2.6, 0.4])))


def test_initial():
    X = np.array([[0.25, -1.2, 0.8], [2.1, 0.4, -0.7]])
    check_everywhere(with_initial, _d(X), Const(np.array([1, 3])))
    # where the initial value is the maximum, the entries get no derivative
    np.testing.assert_array_equal(gradient(top_or_initial, -np.abs(X) - 1.0)[0], np.zeros_like(X))
    np.testing.assert_array_equal(gradient(top_or_initial, X)[0], [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])


def top_or_initial(X):
    return np.max(X, initial=0.3)


def vector_norm_of_axes(X):
    return np.linalg.vector_norm(X, axis=(0, 1))


def vector_norm_runtime_axis(X, k):
    return np.linalg.vector_norm(X, axis=k)


def cumulative_dtype(x):
    return np.sum(np.cumulative_sum(x, dtype=np.float32))


def unwrap_period(x, p):
    return np.sum(np.unwrap(x, period=p))


@pytest.mark.parametrize("f, args, match", [
    (vector_norm_of_axes, (np.ones((2, 3)),), "axis=\\(0, 1\\)"),
    (vector_norm_runtime_axis, (np.ones((2, 3)), 1), "axis=k"),
    (cumulative_dtype, (np.ones(3),), "dtype="),
])
def test_refused_at_the_line(f, args, match):
    with pytest.raises(AdCompilerError, match=match) as err:
        gradient(f, *args)
    assert "test_spellings.py" in str(err.value)


def test_unwrap_period_carrying_a_derivative_refused():
    with pytest.raises(AdCompilerError, match="period"):
        gradient(unwrap_period, np.array([0.1, 3.0, -2.9]), 4.0)
