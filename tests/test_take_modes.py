"""``np.take(a, indices, mode="wrap")`` and ``mode="clip"`` (periodic stencils, clamped lookups):
they were refused ("the derivative indexes as mode='raise' does"); the adjoint now wraps or clips
the indices as numpy does before scattering. Checked at every entry point against finite
differences and on the three tapes (numba's np.take has no mode: refused there, ``auto`` runs numpy)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Const, Duplicated

sys.path.insert(0, str(Path(__file__).resolve().parent))
from optional import require


def wrapped(x, idx):
    return np.sum(np.take(x, idx, mode="wrap") ** 2)


def clipped(A, idx, y):
    y[:] = np.take(A, idx, axis=1, mode="clip")[0] * 2.0


def periodic_stencil(u, out):
    n = u.shape[0]
    i = np.arange(n)
    out[:] = np.take(u, i + 1, mode="wrap") - 2.0 * u + np.take(u, i - 1, mode="wrap")


def _d(*shape, seed=1):
    x = np.random.default_rng(seed).standard_normal(shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [(wrapped, lambda: (_d(5), Const(np.array([0, 6, -1, 3, 12]))), ()),   # (6 and 12 wrap onto 1 and 2)
         (clipped, lambda: (_d(3, 4), Const(np.array([-2, 1, 9, 3])), _d(4, seed=2)), "y"),
         (periodic_stencil, lambda: (_d(6), _d(6, seed=2)), "out")]


@pytest.mark.parametrize("f, args, out", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


def test_wrapped_indices_under_numba_refused_and_auto_runs_numpy():
    """numba's np.take has no mode: refused at the line; ``auto`` runs the numpy backend."""
    require("numba")
    x, idx = np.random.default_rng(4).standard_normal(5), np.array([0, 6, -1, 3, 12, -7])
    with pytest.raises(ad.AdCompilerError, match=r"test_take_modes\.py:\d+"):
        ad.autodiff(ad.Reverse, wrapped, ad.Active, Duplicated(x.copy(), np.zeros(5)), Const(idx), backend="numba")
    got = np.zeros(5)
    ad.autodiff(ad.Reverse, wrapped, ad.Active, Duplicated(x.copy(), got), Const(idx), backend="auto")
    np.testing.assert_allclose(got, np.bincount(idx % 5, 2 * x[idx % 5], 5), rtol=1e-14)


def ends_and_squares(y, x):
    for i in range(y.shape[0]):
        y[i] = np.take(x, -1 - i) * 2.0 + np.take(x, i, mode="raise") ** 2


@pytest.mark.parametrize("mode", ["Reverse", "Forward"])
def test_mode_raise_under_numba(mode):
    """The take rule's tangent passes ``mode=``; numba's np.take has none: numpy's default is dropped
    (forward mode of a plain np.take was refused under numba)."""
    require("numba")
    x = np.arange(1.0, 6.0)
    got = {}
    for backend in ("numpy", "numba"):
        y, x0 = Duplicated(np.zeros(3), np.ones(3) if mode == "Reverse" else np.zeros(3)), Duplicated(x.copy(), np.zeros(5))
        if mode == "Forward":
            x0 = Duplicated(x.copy(), np.ones(5))
        ad.autodiff(getattr(ad, mode), ends_and_squares, ad.Const, y, x0, backend=backend)
        got[backend] = x0.dval if mode == "Reverse" else y.dval
    want = [2.0, 4.0, 8.0, 2.0, 2.0] if mode == "Reverse" else [4.0, 6.0, 8.0]
    for backend, d in got.items():
        np.testing.assert_allclose(d, want, rtol=1e-14, err_msg=backend)
