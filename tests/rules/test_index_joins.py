"""``np.r_[...]``, ``np.c_[...]``, ``np.dstack`` and ``np.linalg.multi_dot`` (boundary padding
``np.r_[0.0, u, 0.0]``, columns ``np.c_[x, y]``), rewritten as the joins they
are, through every entry point against finite differences; their forms that
are not joins of values refused at the line."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import AdCompilerError, Const, Duplicated, gradient


def _d(x):
    return Duplicated(x, np.zeros_like(x))


def padded_laplacian(u, out):
    p = np.r_[0.0, u, 0.0]
    out[:] = p[:-2] - 2.0 * p[1:-1] + p[2:]


def ghost_cells(u, steps):
    for _ in range(steps):
        v = np.r_[u[-1], u, u[0]]   # periodic ghost cells
        u[:] = u + 0.1 * (v[:-2] - 2.0 * u + v[2:])


def ramp_weights(x):
    w = np.r_[0:3, 2.0, 0.0:1.0:3j] + np.r_[7:0:-1] * 0.01 + np.r_[1.0:0.0:-7j]   # (-7j: 7 points, as numpy)
    return np.sum(w * x ** 2)


def columns(x, y):
    X = np.c_[x, y ** 2, np.ones_like(x)]
    return np.sum((X @ np.array([1.0, -2.0, 0.5])) ** 2)


def matrix_and_column(A, b):
    M = np.c_[A, b]
    return np.sum(np.tanh(M @ M.T))


def columns_of_blocks(A, B):
    C = np.c_[A, B * B]   # (3-d parts: joined along the last axis, as numpy joins them)
    return np.sum(C * np.arange(C.size).reshape(C.shape))


def depth_stack(a, b, out):
    out[...] = np.dstack((a, b * a))


def test_padded_laplacian():
    x = np.linspace(0.3, 1.7, 6)
    check_everywhere(padded_laplacian, _d(x), _d(np.zeros(6)), out="out", tapes=("autograd", "torch", "jax"))


def test_ghost_cells():
    x = np.sin(np.linspace(0.0, 3.0, 7))
    check_everywhere(ghost_cells, _d(x), Const(3), out="u", tapes=("autograd", "torch", "jax"))


def test_ramp_weights():
    x = np.linspace(-1.0, 1.0, 7)
    check_everywhere(ramp_weights, _d(x), out=())
    w = np.r_[0:3, 2.0, 0.0:1.0:3j] + np.r_[7:0:-1] * 0.01 + np.r_[1.0:0.0:-7j]
    np.testing.assert_allclose(gradient(ramp_weights, x)[0], 2 * w * x)


def test_columns():
    check_everywhere(columns, _d(np.linspace(-1.0, 1.0, 5)), _d(np.linspace(0.2, 0.9, 5)), out=())


def test_matrix_and_column():
    rng = np.random.default_rng(3)
    check_everywhere(matrix_and_column, _d(rng.standard_normal((3, 2))), _d(rng.standard_normal(3)))


def test_columns_of_blocks():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((2, 2, 2)), rng.standard_normal((2, 2, 2))
    check_everywhere(columns_of_blocks, _d(A), _d(B))
    np.testing.assert_allclose(gradient(columns_of_blocks, A, B)[0].ravel(), [0, 1, 4, 5, 8, 9, 12, 13])


def test_depth_stack():
    rng = np.random.default_rng(4)
    check_everywhere(depth_stack, _d(rng.standard_normal((2, 3))), _d(rng.standard_normal((2, 3))),
                     _d(np.zeros((2, 3, 2))), out="out", tapes=("autograd", "jax"))


def directive(x):
    return np.sum(np.r_["0,2", x, x])


def open_slice(x):
    return np.sum(np.r_[x, 0:])


def c_slice(x):
    return np.sum(np.c_[x, 0:4])


@pytest.mark.parametrize("f, match", [(directive, "directive string"), (open_slice, "without its stop"),
                                      (c_slice, r"np.c_` with `0:4`")], ids=["directive", "open", "c_slice"])
def test_refused_at_the_line(f, match):
    with pytest.raises(AdCompilerError, match=match) as e:
        gradient(f, np.ones(4))
    assert e.value.filename == __file__ and e.value.lineno is not None


def chained_products(A, B, v, out):
    out[:] = np.linalg.multi_dot([v, A, B, A.T]) + np.linalg.multi_dot((A, B, v))


def test_multi_dot():
    rng = np.random.default_rng(5)
    check_everywhere(chained_products, _d(rng.standard_normal((3, 3))), _d(rng.standard_normal((3, 3))),
                     _d(rng.standard_normal(3)), _d(np.zeros(3)), out="out", tapes=("autograd", "torch", "jax"))
