"""Two columns of one matrix given to a helper that writes one of them: the run-time check
that they share no memory (``_ad_disjoint_checked``) compared the spans of memory the two
views cover under numba, and columns interleave: refused, where numpy's ``np.shares_memory``
(the numpy backend's check) keeps them apart. Views with one step whose elements fall apart
(columns) are apart under numba too; views whose elements meet are still refused."""
from __future__ import annotations

import numpy as np
import pytest
from optional import require

from adcompiler import gradient
from adcompiler.errors import AdCompilerError


def _col_mix(dst, src):
    dst += 0.3 * src * src


def columns_mixed(X):
    B = X.copy()
    for j in range(1, B.shape[1]):
        _col_mix(B[:, j], B[:, j - 1])
    return float(np.sum(B[:, -1] ** 2))


def shifted_rows_mixed(x):
    B = x.copy()
    _col_mix(B[1:], B[:-1])   # (overlapping: one element in each step)
    return float(np.sum(B ** 2))


@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_columns_of_one_matrix_are_apart_under_numba(backend):
    require("numba")
    X = np.random.default_rng(3).normal(size=(4, 5))
    want = gradient(columns_mixed, X)[0]
    np.testing.assert_allclose(gradient(columns_mixed, X, backend=backend)[0], want, rtol=1e-12)
    h, E = 1e-6, np.zeros_like(X)
    E[2, 1] = 1.0
    fd = (columns_mixed(X + h * E) - columns_mixed(X - h * E)) / (2 * h)
    np.testing.assert_allclose(want[2, 1], fd, rtol=1e-6)


def test_overlapping_views_stay_refused_under_numba():
    require("numba")
    x = np.linspace(0.1, 0.9, 6)
    for backend in ("numpy", "numba"):
        with pytest.raises(AdCompilerError, match="share memory"):
            gradient(shifted_rows_mixed, x, backend=backend)


def test_columns_of_one_matrix_in_forward_mode_and_split_halves():
    # (the run-time check sits in the forward code too; numba's split halves refuse the views'
    # shadows, documented, and auto runs them on numpy)
    require("numba")
    from adcompiler import (
        Active,
        Duplicated,
        Forward,
        ReverseSplitWithPrimal,
        autodiff,
        autodiff_thunk,
    )
    X = np.random.default_rng(4).normal(size=(4, 5))
    V = np.random.default_rng(5).normal(size=(4, 5))
    g = gradient(columns_mixed, X)[0]
    (t,) = autodiff(Forward, columns_mixed, Duplicated, Duplicated(X.copy(), V.copy()), backend="numba")
    np.testing.assert_allclose(t, np.sum(g * V), rtol=1e-12)
    with pytest.raises(AdCompilerError, match="shadow of a view"):
        autodiff_thunk(ReverseSplitWithPrimal, columns_mixed, Active, Duplicated, backend="numba")[0](
            Duplicated(X.copy(), np.zeros_like(X)))
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, columns_mixed, Active, Duplicated, backend="auto")
    x = X.copy()
    tape, _ = fwd(Duplicated(x, np.zeros_like(X)))
    dx = np.zeros_like(X)
    rev(Duplicated(x, dx), 1.0, tape)
    np.testing.assert_allclose(dx, g, rtol=1e-12)
