"""Reductions along one axis under numba (``np.mean(A, axis=0)``, ``np.max(X, axis=1,
keepdims=True)``, ``np.var(A, axis=0, ddof=1)``, ``np.prod``, ``np.argmax``, 1-D to 3-D, negative
axes) and ``np.std(x, ddof=1)``: numba's numpy takes no axis there (but np.sum's) and no
keepdims, and the adjoint helpers took none either: every such function was refused. They are
helpers now (``numba_axes``). Checked in each mode against finite differences, against the
numpy backend (split halves with fresh shadows, forward mode), on ties and nans, and in the
emitted module."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import axis_kernels as K
import numpy as np
import pytest
from numba_engine import Numba, against_numpy
from optional import require

from adcompiler import (
    Active,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    autodiff,
)
from adcompiler.testing import check_grads

RNG = np.random.default_rng(15)


def _dup(*shape):
    x = RNG.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (K.softmax_rows, lambda: (_dup(4, 5), _dup(4, 5))),
    (K.layer_norm, lambda: (_dup(3, 6), _dup(6))),
    (K.column_stats, lambda: (_dup(5, 3),)),
    (K.products, lambda: (_dup(4, 3),)),
    (K.cube, lambda: (_dup(2, 3, 4),)),
]
IDS = [f.__name__ for f, _ in CASES]


@pytest.mark.parametrize("f, args", CASES, ids=IDS)
@pytest.mark.parametrize("mode", [Reverse, ReverseSplitWithPrimal], ids=["fused", "split"])
def test_axis_reductions_compile_and_are_right(f, args, mode):
    check_grads(f, *args(), ret=Active, mode=mode, engine=Numba)


@pytest.mark.parametrize("f, args", CASES, ids=IDS)
def test_the_numba_code_matches_the_numpy_code(f, args):
    against_numpy(f, args(), RNG, rtol=1e-11)


def test_a_vector_reduced_along_its_axis():
    """``np.max(x, axis=0)`` of a 1-D array is a number: right in the function running both sweeps
    and in forward mode (its split halves, whose tape would keep that number of an unknown kind,
    are refused at its line or right)."""
    check_grads(K.vector, _dup(6), ret=Active, mode=Reverse, engine=Numba)
    x, t = RNG.uniform(0.5, 1.5, 6), RNG.standard_normal(6)
    got, want = [autodiff(Forward, K.vector, Duplicated, Duplicated(x.copy(), t.copy()), backend=b)[0]
                 for b in ("numba", "numpy")]
    assert got == pytest.approx(want, rel=1e-12)


def test_ties_nans_and_values_as_numpy():
    """The maximum's adjoint shared among ties, a nan propagated by max and var, the first
    maximum's index, a transposed (non-contiguous) argument: as the numpy backend."""
    A = np.array([[1.0, 3.0, 3.0], [2.0, np.nan, 0.5], [4.0, 4.0, 1.0]])
    for x in (A, A.T, A[:, ::-1]):
        got, want, vals = [None, None], [None, None], {}
        for backend, out in (("numba", got), ("numpy", want)):
            dx = np.zeros_like(x)
            vals[backend] = autodiff(ReverseWithPrimal, K.products, Active, Duplicated(x.copy(), dx),
                                     backend=backend)[1]
            out[0] = dx
            dy = np.zeros_like(x)
            autodiff(Reverse, K.column_stats, Active, Duplicated(np.nan_to_num(x).copy(), dy), backend=backend)
            out[1] = dy
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(vals["numba"], vals["numpy"], rtol=1e-12, equal_nan=True)
    softmax_in = np.array([[1.0, 1.0, 0.5], [np.nan, 0.0, 1.0]])
    outs = []
    for backend in ("numba", "numpy"):
        o, d = np.zeros((2, 3)), np.zeros((2, 3))
        autodiff(Reverse, K.softmax_rows, Active, Duplicated(softmax_in.copy(), d), Duplicated(o, np.zeros((2, 3))),
                 backend=backend)
        outs.append((o, d))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-12, equal_nan=True)


def test_the_emitted_numba_module(tmp_path):
    require("numba")
    (tmp_path / "axis_kernels.py").write_text(Path(K.__file__).read_text())
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "axis_kernels.py:layer_norm", "--target",
                          "numba", "--dup", "X,g", "--shape", "X=3,6", "--shape", "g=6", "-o", "ln_nb.py"],
                         check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import ln_nb
    finally:
        sys.path.remove(str(tmp_path))
    X, g = RNG.uniform(0.5, 1.5, (3, 6)), RNG.uniform(0.5, 1.5, 6)
    got = [np.zeros((3, 6)), np.zeros(6)]
    ln_nb.layer_norm_reverse(X.copy(), got[0], g.copy(), got[1])
    want = [np.zeros((3, 6)), np.zeros(6)]
    autodiff(Reverse, K.layer_norm, Active, Duplicated(X.copy(), want[0]), Duplicated(g.copy(), want[1]))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
