"""``y[i] += f(...)`` where ``f`` writes ``y[i]``: Python reads the element's old value
before it calls ``f``, so the call may not be moved ahead of that read (it was: the
primal and every derivative used the element ``f`` had written, silently). Checked
through every entry point against finite differences; a slice target, a view that
sees the write, keeps numpy's meaning."""
from __future__ import annotations

import numpy as np
from everywhere import check_everywhere

from adcompiler import Const, Duplicated, gradient


def _d(x):
    return Duplicated(x, np.zeros_like(x))


def bump(y, v):
    y[0] = y[0] * v + 1.0
    return v * y[1]


def bump2(A, v):
    A[0, 1] = A[0, 1] * v
    return v * A[1, 0]


def element_target(x, y):
    y[0] += bump(y, x[0])
    y[2] *= bump(y, x[1]) + 1.0
    return float(np.sum(y ** 2))


def closure_target(x, y):
    def upd(v):
        y[0] = y[0] * v
        return 2.0 * v
    y[0] -= upd(x[0])
    return float(np.sum(y * y))


def matrix_element(x, A):
    A[0, 1] += bump2(A, x[0])
    return float(np.sum(A * A))


def index_array_in_a_loop(x, y, idx):
    for k in range(idx.shape[0]):
        y[idx[k]] += bump(y, x[k])
    return float(np.sum(y ** 2))


def slice_target(x, y):
    y[:2] += bump(y, x[0])   # (a view: it sees bump's write, as numpy's in-place add does)
    return float(np.sum(y ** 2))


def test_element_target():
    check_everywhere(element_target, _d(np.array([0.7, -0.4, 0.3])), _d(np.array([2.0, 3.0, 0.5])))
    x, y = np.array([0.7, 0.0, 0.0]), np.array([2.0, 3.0, 0.0])
    gx, _ = gradient(lambda_free_element, x, y)
    np.testing.assert_allclose(gx, [24.6, 0.0, 0.0])   # y[0] = 2 + 0.7 * 3: d(y0^2)/dx0 = 2 * 4.1 * 3


def lambda_free_element(x, y):
    y[0] += bump(y, x[0])
    return float(np.sum(y ** 2))


def test_closure_target():
    check_everywhere(closure_target, _d(np.array([0.6, 0.2])), _d(np.array([1.5, -0.5])))


def test_matrix_element():
    check_everywhere(matrix_element, _d(np.array([0.8])), _d(np.array([[0.3, 1.2], [-0.7, 0.9]])))


def test_index_array_in_a_loop():
    check_everywhere(index_array_in_a_loop, _d(np.array([0.6, -0.3, 0.9])), _d(np.array([1.1, 0.4, -0.8])),
                     Const(np.array([0, 2, 0])))


def test_slice_target():
    check_everywhere(slice_target, _d(np.array([0.6, 0.2])), _d(np.array([1.5, -0.5, 0.25])))


def out_write_in_the_value(x, y):
    y[2] += np.sum(np.multiply(y, x, out=y))   # (numpy's out= writes y after y[2] was read)
    return float(np.sum(y ** 2))


def out_write_in_a_product(x, y):
    y[0] *= np.cumsum(x[:2], out=y[1:]).sum() + 1.0
    return float(np.sum(y ** 2))


def two(a, b):
    return a * b + a


def keywords_in_source_order(x, y):
    y[2] = two(b=bump(y, x[0]), a=y[0])   # (bump runs first: a is the y[0] it wrote)
    return float(np.sum(y ** 2))


def written_in_a_comparison(x, y):
    m = np.multiply(y, x, out=y) > 0.0
    return float(np.sum(y ** 2)) + float(np.sum(m))


def test_out_write_in_the_value():
    for f in (out_write_in_the_value, out_write_in_a_product):
        check_everywhere(f, _d(np.array([0.7, -0.4, 0.3])), _d(np.array([2.0, 3.0, -0.5])))


def test_keyword_arguments_in_source_order():
    check_everywhere(keywords_in_source_order, _d(np.array([0.7, -0.4, 0.3])), _d(np.array([2.0, 3.0, -0.5])))


def test_a_write_in_a_comparison_is_refused():
    """Kept whole as a test, the write was out of the derivative (dx was 0): refused at the call."""
    import pytest

    from adcompiler import AdCompilerError
    with pytest.raises(AdCompilerError, match="out= inside a condition or comparison") as err:
        gradient(written_in_a_comparison, np.array([0.7, -0.4, 0.3]), np.array([2.0, 3.0, -0.5]))
    assert "test_evaluation_order.py" in str(err.value)
