"""Loop kernels calling np.var, np.std, np.linalg.solve, np.diag, np.trace and
np.linalg.norm under ``backend="numba"``: their adjoint helpers have numba versions
(they were refused, and ``auto`` ran the whole kernel on numpy). Against finite differences (reverse,
split halves with fresh shadows) and the numpy backend (forward mode)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from numba_engine import Numba
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    Forward,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    autodiff,
    backend_report,
)
from adcompiler.testing import check_grads

require("numba")


def row_moments(A, y):
    for i in range(A.shape[0]):
        y[i] = np.mean(A[i]) * np.var(A[i]) + np.std(A[i]) ** 3
    return float(np.sum(y * y))


def solved_steps(A, b, x):
    for k in range(2):
        x[:] = np.linalg.solve(A + k * np.eye(A.shape[0]), b + x)
        for i in range(x.shape[0]):
            x[i] = x[i] * (1.0 + 0.1 * i)


def diagonal_terms(A, v):
    s = 0.0
    for i in range(v.shape[0]):
        s += np.trace(A * v[i]) + float(np.sum(np.diag(A) * v)) + float(np.sum(np.diag(v) @ A))
    return s


def normalized(v, w):
    # (power iteration's normalisation; the norm of a reversed view)
    for _ in range(3):
        w[:] = np.sin(v) + v[::-1] * 0.5
        v[:] = w / np.linalg.norm(w)
    return np.linalg.norm(v[::-1] * np.arange(v.shape[0]))


def scaled_norm(x, y, c):
    y[0] = c * np.linalg.norm(x[::-1])
    return y[0] + np.linalg.norm(x[::-2], 3)


RNG = np.random.default_rng(3)
A = RNG.uniform(0.2, 1.0, (3, 3)) + 3 * np.eye(3)


def _cases():
    return [
        (row_moments, lambda: (Duplicated(A.copy(), np.zeros((3, 3))), Duplicated(np.zeros(3), np.zeros(3))), Active),
        (solved_steps, lambda: (Duplicated(A.copy(), np.zeros((3, 3))), Duplicated(RNG.standard_normal(3), np.zeros(3)),
                                Duplicated(np.zeros(3), RNG.standard_normal(3))), Const),
        (diagonal_terms, lambda: (Duplicated(A.copy(), np.zeros((3, 3))), Duplicated(RNG.standard_normal(3), np.zeros(3))),
         Active),
        (normalized, lambda: (Duplicated(RNG.standard_normal(5), np.zeros(5)), Duplicated(np.zeros(5), np.zeros(5))),
         Active),
    ]


def test_the_norm_of_a_reversed_view_of_a_constant():
    """numba's own np.linalg.norm of a vector with a negative stride read other memory (the
    primal and the derivative with respect to ``c`` wrong, silently): a contiguous copy's now."""
    x = np.arange(7.0) + 1
    want = 2.0 * np.linalg.norm(x[::-1]) + np.linalg.norm(x[::-2], 3)
    for backend in ("numba", "auto", "numpy"):
        (_, _, dc), value = autodiff(ReverseWithPrimal, scaled_norm, Active, Const(x.copy()),
                                     Duplicated(np.zeros(1), np.zeros(1)), Active(2.0), backend=backend)
        np.testing.assert_allclose(value, want, rtol=1e-14)
        np.testing.assert_allclose(dc, np.linalg.norm(x), rtol=1e-14)
    assert any(d.backend == "numba" for d in backend_report(scaled_norm))


@pytest.mark.parametrize("k", range(4), ids=["moments", "solve", "diag-trace", "norm"])
@pytest.mark.parametrize("mode", [ReverseWithPrimal, ReverseSplitWithPrimal], ids=["fused", "split"])
def test_against_finite_differences(k, mode):
    f, make, ret = _cases()[k]
    check_grads(f, *make(), ret=ret, mode=mode, engine=Numba)
    assert any(d.backend == "numba" for d in backend_report(f))


@pytest.mark.parametrize("k", range(4), ids=["moments", "solve", "diag-trace", "norm"])
def test_forward_mode_as_numpys(k):
    f, make, ret = _cases()[k]
    args = make()
    tangents = [RNG.standard_normal(np.shape(a.val)) for a in args]
    got, want = [], []
    for backend, out in (("numba", got), ("numpy", want)):
        ann = [Duplicated(a.val.copy(), t.copy()) for a, t in zip(args, tangents)]
        res = autodiff(Forward, f, Duplicated if ret is Active else Const, *ann, backend=backend)
        out.extend([*res, *[a.dval for a in ann]])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
