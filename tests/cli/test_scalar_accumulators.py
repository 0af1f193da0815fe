"""`emit` (numpy target) of `acc = 0.0; acc += A[i, j] * x[j]` without --shape was refused
("cannot tell whether `acc` is an array"), where `--target numba` emitted it from the ranks the
subscripts read: the numpy target now takes those ranks where the code needs them (the header
says so, and the module refuses another rank at the call). Reference: central differences."""
from pathlib import Path

import numpy as np
import pytest

from .conftest import emit_module, fd_gradient

SOURCE = """import math
from pathlib import Path

import numpy as np


def matvec(A: np.ndarray, x: np.ndarray, y: np.ndarray, flag: bool):
    n, m = A.shape
    for i in range(n):
        acc = 0.0
        for j in range(m):
            acc += A[i, j] * x[j]
        if flag:
            y[i] = math.tanh(acc)
        else:
            y[i] = acc * acc
"""


def _matvec(A, x, flag):
    v = A @ x
    return np.tanh(v) if flag else v * v


@pytest.mark.parametrize("flag", [True, False])
def test_numpy_target_takes_the_ranks_the_subscripts_read(tmp_path, flag):
    path = tmp_path / "mv.py"
    path.write_text(SOURCE)
    ns = emit_module(tmp_path, f"{path}:matvec")
    assert "rank 2, read from its subscripts" in Path(ns["__file__"]).read_text()
    rng = np.random.default_rng(2)
    A, x, seed = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    dA, dx, y = np.zeros((3, 4)), np.zeros(4), np.zeros(3)
    ns["matvec_reverse"](A.copy(), dA, x.copy(), dx, y, seed.copy(), flag)
    np.testing.assert_allclose(y, _matvec(A, x, flag), rtol=1e-13)
    np.testing.assert_allclose(dx, fd_gradient(lambda v: seed @ _matvec(A, v, flag), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dA.ravel(), fd_gradient(lambda v: seed @ _matvec(v.reshape(3, 4), x, flag),
                                                       A.ravel()), rtol=1e-6, atol=1e-8)
    with pytest.raises((TypeError, ValueError)):
        ns["matvec_reverse"](A[None].copy(), np.zeros((1, 3, 4)), x.copy(), np.zeros(4), y, seed.copy(), flag)



OUTER = """import numpy as np


def pairs(x, y):
    n = x.shape[0]
    s = 0.0
    v = y[:]
    halves = np.array_split(v, 2)
    halves[0][0] *= 1.25
    s += halves[1][0] * halves[0][0] * 0.5
    x[:] += np.sum(np.tanh(x[:, np.newaxis] * x[np.newaxis, :]), axis=0) * 0.1
    seen = []
    for k in range(n):
        seen.append(v[k])
    while seen:
        s = s * 0.5 + seen.pop()
    return float(s + np.sum(v) + np.sum(x * x))
"""


def _pairs(x, y):
    x, y = x.copy(), y.copy()
    y[0] *= 1.25
    s = y[3] * y[0] * 0.5
    x += np.sum(np.tanh(x[:, None] * x[None, :]), axis=0) * 0.1
    for k in reversed(range(len(x))):
        s = s * 0.5 + y[k]
    return float(s + np.sum(y) + np.sum(x * x))


def test_np_newaxis_is_not_a_dimension_of_the_argument(tmp_path):
    """``x[:, np.newaxis]`` of a vector was read as two subscripts, so the module was
    generated for a matrix (where the code needs ranks) and refused the vector the
    function is written for: ``None`` was known to add an axis, ``np.newaxis`` not."""
    path = tmp_path / "outer.py"
    path.write_text(OUTER)
    ns = emit_module(tmp_path, f"{path}:pairs")
    assert "rank 2" not in Path(ns["__file__"]).read_text()
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal(6), rng.standard_normal(6)
    dx, dy = np.zeros(6), np.zeros(6)
    ns["pairs_reverse"](x.copy(), dx, y.copy(), dy, 1.0)
    np.testing.assert_allclose(dx, fd_gradient(lambda v: _pairs(v, y), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dy, fd_gradient(lambda v: _pairs(x, v), y), rtol=1e-6, atol=1e-8)
