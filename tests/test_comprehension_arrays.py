"""Arrays built from list comprehensions: ``np.array([[k ** i for i in range(order + 1)] for k in
range(-half, half + 1)], dtype=float)`` (the Savitzky-Golay filter of the SciPy cookbook, unchanged),
``np.array([float(k) ** 2 for k in range(3)])``, ``np.array([x[k] * float(k) for k in ...],
dtype=float)``. The list a comprehension builds is passed on under another name, which the check of
lists holding floats took for an alias (refused: "a list holds values that carry derivatives",
even of constants), and a ``dtype=`` kept a comprehension of values with derivatives from being
stacked (refused), and an element read of such an array had the list's kind (refused: "kind
unknown"). Checked at every entry point against finite differences; a list the user
aliases is still refused."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def savitzky_golay(y, out):
    order, half = 2, 2
    b = np.array([[k ** i for i in range(order + 1)] for k in range(-half, half + 1)], dtype=float)
    m = np.linalg.pinv(b)[0]
    n = y.shape[0]
    for i in range(half, n - half):
        out[i] = np.dot(m, y[i - half:i + half + 1])


def float_rows(x):
    A = np.array([[1.0, float(k)] for k in range(3)])
    return np.sum((A @ x[:2]) ** 2)


def squares_of_ints(x):
    v = np.array([float(k) ** 2 for k in range(3)])
    return np.sum(v * x[:3] ** 2)


def nested_products(x):
    rows = np.array([[float(i * j) for j in range(3)] for i in range(3)])
    return np.sum(np.tanh(rows @ x[:3]))


def with_a_float_dtype(x):
    v = np.array([x[k] * float(k) for k in range(3)], dtype=float)
    w = np.array([k * 2 for k in range(3)], dtype=np.float64)
    return np.sum(v ** 2 * w) + float(w.dtype == np.float64)


def appended_with_a_dtype(x):
    L = []
    for k in range(3):
        L.append(x[k] * 2.0)
    v = np.array(L, dtype=float)
    return np.sum(v ** 3)


def doubled_into(x, y):
    x[:] = np.array([v * 2.0 for v in y], dtype=float)
    return np.sum(x * x)


def truncated_to_ints(x):
    v = np.array([x[k] * 3.0 for k in range(3)], dtype=int)
    return np.sum(v * x[:3])


def stencil_weights(u, out):
    w = np.array([1.0 / (k * k + 1) for k in range(-1, 2)], dtype=float)
    for i in range(1, u.shape[0] - 1):
        out[i] = w[0] * u[i - 1] + w[1] * u[i] + w[2] * u[i + 1]


def an_element(u):
    w = np.array([k * 0.5 for k in range(3)])
    return w[1] * u[0] + w[2] * u[1]


def an_element_of_rows(u):
    W = np.array([[float(i + j) for j in range(3)] for i in range(2)])
    return W[1, 2] * u[0] + np.sum(W[0] * u[:3])


def ints(u):
    v = np.array([k * 2 for k in range(3)])
    return float(v[1]) * u[0] + u[1] * v[2] + float(v.dtype.kind == "i")


def _a(n, seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    return Duplicated(x, np.zeros_like(x))


# (an element read of such an array: its kind was the list's, "unknown", and refused)
@pytest.mark.parametrize("f", [float_rows, squares_of_ints, nested_products, with_a_float_dtype,
                               appended_with_a_dtype, truncated_to_ints, an_element, an_element_of_rows, ints],
                         ids=lambda f: f.__name__)
def test_every_entry_point(f):
    check_everywhere(f, _a(4), ret=Active, out=(), tapes=("autograd", "jax", "torch"))


def test_written_into_an_argument():
    check_everywhere(doubled_into, _a(3), _a(3, seed=1), ret=Active)


def test_stencil_weights_and_numba():
    check_everywhere(stencil_weights, _a(6), _a(6, seed=1), ret=Const, out="out", tapes=("autograd", "jax", "torch"))
    check_numba_gradient(an_element, _a(4))


def test_the_cookbook_filter():
    check_everywhere(savitzky_golay, _a(9), _a(9, seed=1), ret=Const, out="out", tapes=("autograd", "jax", "torch"))


def aliased(x):
    c = [float(k) * 0.5 for k in range(3)]
    d = c
    d[0] = 2.0
    return c[0] * x[0]


def test_a_list_the_user_aliases_is_refused():
    with pytest.raises(ad.AdCompilerError, match="holds values that carry derivatives") as e:
        ad.autodiff(ad.Reverse, aliased, Active, _a(3))
    assert "test_comprehension_arrays.py:" in str(e.value)
