"""The numba versions of the adjoint helpers of np.cumsum, np.cumprod, np.diff
and np.sort (``backends/numba_sequences.py``): the numba
backend's gradient against the numpy backend's and against finite
differences; the forms they do not cover are refused at the line, and auto
runs them on numpy."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from optional import require

import adcompiler as ad
from adcompiler import Active, Duplicated
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

require("numba")


def k_diff(x, y):
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
    return np.sum(np.diff(y) ** 2)
def k_diff2(x, y):
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
    return np.sum(np.diff(y, 2) * np.arange(3.0))
def k_cumsum(x, y):
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i])
    return np.sum(np.cumsum(y) ** 2)
def k_cumsum2d(x, Y):
    for i in range(Y.shape[0]):
        Y[i, 0] = np.sin(x[i]); Y[i, 1] = x[i] * x[i]
    return np.sum(np.cumsum(Y) ** 2)
def k_cumsum2d_axis(x, Y):
    for i in range(Y.shape[0]):
        Y[i, 0] = np.sin(x[i]); Y[i, 1] = x[i] * x[i]
    return np.sum(np.cumsum(Y, axis=0) ** 2)
def k_accum(x, y):
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i])
    return np.sum(np.add.accumulate(y) ** 2)
def k_norm(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * 2.0
    return np.linalg.norm(x)
def k_norm_axis(X):
    for i in range(X.shape[0]):
        X[i, 0] = X[i, 0] * 2.0
    return np.sum(np.linalg.norm(X, axis=1))
def k_norm_reversed(x):
    # (numba's own np.linalg.norm of a reversed view was wrong: 10.0 for 14.83 here; a copy's now)
    for i in range(x.shape[0]):
        x[i] = x[i] * 2.0
    return np.linalg.norm(x[::-1])
def k_cumprod(x, y):
    for i in range(x.shape[0]):
        y[i] = 1.0 + 0.1 * x[i]
    y[2] = 0.0
    return np.sum(np.cumprod(y) * np.arange(1.0, 6.0))
def k_sort(x, y):
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
    return np.sum(np.sort(y) * np.arange(y.shape[0]))
def k_sort_int(x, idx):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s * np.sum(np.sort(idx))
def k_sort_method(x, y):
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i] - x[(i + 2) % x.shape[0]]
    y.sort()   # (x[...] = np.sort(x, axis=-1): numba's np.sort takes no axis, and was refused)
    return np.sum(y * np.arange(y.shape[0]))
def k_sort2d(x, Y):
    for i in range(Y.shape[0]):
        Y[i, 0] = np.sin(x[i]); Y[i, 1] = x[i] * x[i]
    return np.sum(np.sort(Y, axis=None) * np.arange(10.0))

R = np.random.default_rng(0)
X = R.standard_normal(5)
COMPILED = [(k_diff, (X, np.zeros(5))), (k_diff2, (X, np.zeros(5))), (k_cumsum, (X, np.zeros(5))),
            (k_cumsum2d, (X, np.zeros((5, 2)))), (k_cumprod, (X, np.zeros(5))), (k_sort, (X, np.zeros(5))),
            (k_sort_method, (X, np.zeros(5))), (k_sort_int, (X, np.array([3, 1, 2]))), (k_norm, (X,)), (k_norm_reversed, (X,))]
REFUSED = [(k_cumsum2d_axis, (X, np.zeros((5, 2)))), (k_norm_axis, (R.standard_normal((3, 2)),))]


@pytest.mark.parametrize("f,args", COMPILED, ids=[f.__name__ for f, _ in COMPILED])
def test_numba_gradient_matches(f, args):
    want = ad.gradient(f, *[a.copy() for a in args])
    got = ad.gradient(f, *[a.copy() for a in args], backend="numba")
    for w, g in zip(want, got):
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    floats = [Duplicated(a.copy(), np.zeros_like(a)) for a in args if a.dtype.kind == "f"]
    rest = [ad.Const(a.copy()) for a in args if a.dtype.kind != "f"]
    check_grads(f, *floats, *rest, ret=Active)


@pytest.mark.parametrize("f,args", REFUSED, ids=[f.__name__ for f, _ in REFUSED])
def test_other_forms_refused_at_the_line_and_auto_runs_numpy(f, args):
    with pytest.raises(BackendError, match=r"test_sequences\.py:\d+"):
        ad.gradient(f, *[a.copy() for a in args], backend="numba")
    for w, g in zip(ad.gradient(f, *[a.copy() for a in args]), ad.gradient(f, *[a.copy() for a in args],
                                                                            backend="auto")):
        np.testing.assert_allclose(g, w, rtol=1e-12)


@pytest.mark.parametrize("f,args", COMPILED, ids=[f.__name__ for f, _ in COMPILED])
def test_split_halves_under_numba(f, args):
    """The numba halves, driven as the tapes drive them (fresh shadows), against finite differences."""
    from numba_engine import Numba

    from adcompiler import ReverseSplitWithPrimal
    floats = [Duplicated(a.copy(), np.zeros_like(a)) for a in args if a.dtype.kind == "f"]
    rest = [ad.Const(a.copy()) for a in args if a.dtype.kind != "f"]
    check_grads(f, *floats, *rest, ret=Active, mode=ReverseSplitWithPrimal, engine=Numba)


@pytest.mark.parametrize("f,args", COMPILED, ids=[f.__name__ for f, _ in COMPILED])
def test_forward_mode_under_numba(f, args):
    """Forward mode under numba against reverse mode (a dot-product test): the tangent of
    ``np.diff`` was ``np.diff(t, n=1, axis=-1)``, which numba's np.diff does not take
    (refused, auto ran numpy)."""
    rng = np.random.default_rng(5)
    vals = [a.copy() for a in args]
    grads = ad.gradient(f, *[v.copy() for v in vals])
    tangents = [rng.standard_normal(v.shape) if v.dtype.kind == "f" else None for v in vals]
    # (copies of the tangents: the kernels that write their argument write its tangent)
    ann = [Duplicated(v.copy(), t.copy()) if t is not None else ad.Const(v.copy()) for v, t in zip(vals, tangents)]
    tangent, primal = ad.autodiff(ad.ForwardWithPrimal, f, Duplicated, *ann, backend="numba")
    assert primal == pytest.approx(f(*[v.copy() for v in vals]), rel=1e-13)
    want = sum(float(np.sum(g * t)) for g, t in zip(grads, tangents) if t is not None)
    assert tangent == pytest.approx(want, rel=1e-10, abs=1e-12)
