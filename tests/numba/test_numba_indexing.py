"""Index arrays under the numba backend (``backends/numba_indexing.py``):
``x[idx]`` read (its adjoint adds into ``dx[idx]``, repeated indices counted),
``y[idx] = v`` and ``y[idx] += v`` written (numpy keeps the last value stored:
only each position's last occurrence receives the adjoint), with repeated
and negative indices, masks, pairs ``A[rows, cols]`` and ``np.take``; against
finite differences (Reverse and split mode with fresh shadows) and the numpy
backend, and through the emitted module and a tape."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from numba_engine import Numba
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    differentiate,
)
from adcompiler.testing import check_grads

require("numba")


def coo_product(vals, x, y, rows, cols):
    y[rows] += vals * x[cols]


def gather_squares(x, idx, out):
    out[:] = x[idx] ** 2


def scatter_store(v, idx, y):
    y[idx] = np.sin(v) * 2.0


def gather_rows(X, idx, out):
    out[:, :] = X[idx] * X[idx]


def gather_pairs(A, rows, cols, out):
    out[:] = A[rows, cols] ** 2


def masked_update(x, out):
    out[:] = 0.0
    m = x > 0.1
    out[m] = x[m] ** 3


def pair_stores(A, rows, cols, v):
    A[rows, cols] = v * 3.0
    A[rows, cols] += v ** 2


def masked_rows(X, m, out):
    out[:, :] = X[m] * X[m]
    X[m] = 0.5 * X[m] ** 2


def rows_updated(X, idx):
    X[idx] += 2.0
    X[idx] *= X[idx]


def rows_with_whole_columns(X, idx, B):
    X[idx, :] += B   # (the adjoint helper's index (idx, :) is idx: numba's overload took no tuple)
    X[idx, ...] *= 1.5


def taken(x, idx, out):
    out[:] = np.take(x, idx) * x[0]


def listed_indices(x, v, X):
    x[[0, 2]] += v
    x[[0, 2, 2]] = v[[1, 0, 1]] * v[[0, 0, 1]]
    X[[0, 1]] = X[[1, 0]] * 2.0
    X[[-1]] += x[[1]] * 0.5


def csr_rows_loss(data, indptr, indices, x):
    y = np.zeros(indptr.shape[0] - 1)
    for r in range(y.shape[0]):
        y[r] = np.sum(data[indptr[r]:indptr[r + 1]] * x[indices[indptr[r]:indptr[r + 1]]])
    return float(np.sum(y * y))


def pivoted_lu(A, perm):
    # (rows swapped by a list of names, A[[k, p]] = A[[p, k]]: refused under numba, "getitem")
    n = A.shape[0]
    for k in range(n - 1):
        p = k
        big = abs(A[k, k])
        for i in range(k + 1, n):
            if abs(A[i, k]) > big:
                big = abs(A[i, k])
                p = i
        if p != k:
            A[[k, p]] = A[[p, k]]
            t = perm[k]
            perm[k] = perm[p]
            perm[p] = t
        A[k + 1:, k] /= A[k, k]
        A[k + 1:, k + 1:] -= np.outer(A[k + 1:, k], A[k, k + 1:])


def flagged_rows(X, y, a: bool, b: bool, c: bool, d: bool):
    # (a list of bools is a mask, as numpy takes it)
    y[:] = X[[a, b, c, d]] * 2.0


RNG = np.random.default_rng(11)
ROWS, COLS, IDX = np.array([0, 2, 2, 3, -1]), np.array([1, 1, 0, 3, 2]), np.array([0, 3, 3, 1, -2])
MASK = np.array([True, False, True, True])


def _dup(a):
    return Duplicated(a, np.zeros_like(a))


def _cases():
    vals, x, x4 = RNG.uniform(0.5, 1.5, 5), RNG.uniform(0.5, 1.5, 4), RNG.uniform(-1, 1, 4)
    X, A = RNG.uniform(0.5, 1.5, (4, 2)), RNG.uniform(0.5, 1.5, (4, 4))
    return {
        "coo_product": (coo_product, [_dup(vals), _dup(x), _dup(x.copy()), Const(ROWS), Const(COLS)]),
        "gather_squares": (gather_squares, [_dup(x), Const(IDX), _dup(np.zeros(5))]),
        "scatter_store": (scatter_store, [_dup(vals), Const(IDX), _dup(x.copy())]),
        "gather_rows": (gather_rows, [_dup(X), Const(IDX), _dup(np.zeros((5, 2)))]),
        "gather_pairs": (gather_pairs, [_dup(A), Const(ROWS), Const(COLS), _dup(np.zeros(5))]),
        "masked_update": (masked_update, [_dup(x4), _dup(np.zeros(4))]),
        "pair_stores": (pair_stores, [_dup(A), Const(ROWS), Const(COLS), _dup(vals)]),
        "masked_rows": (masked_rows, [_dup(X), Const(MASK), _dup(np.zeros((3, 2)))]),
        "rows_updated": (rows_updated, [_dup(X), Const(IDX)]),
        "taken": (taken, [_dup(x), Const(IDX), _dup(np.zeros(5))]),
        "rows_with_whole_columns": (rows_with_whole_columns, [_dup(X), Const(IDX), _dup(RNG.uniform(-1, 1, (5, 2)))]),
        "listed_indices": (listed_indices, [_dup(x), _dup(vals[:2].copy()), _dup(X)]),
        "pivoted_lu": (pivoted_lu, [_dup(RNG.uniform(-1, 1, (4, 4)) + np.diag([0.1, 2.0, 0.3, 3.0])),
                                    Const(np.arange(4))]),
        "flagged_rows": (flagged_rows, [_dup(X), _dup(np.zeros((2, 2))), Const(False), Const(True),
                                        Const(True), Const(False)]),
    }


CASES = _cases()


def _annotated(args):
    return [Duplicated(a.val.copy(), np.zeros_like(a.val)) if isinstance(a, Duplicated) else a for a in args]


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_finite_differences(name):
    f, args = CASES[name]
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(f, *_annotated(args), ret=Const, mode=mode, engine=Numba)


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_the_numpy_backend(name):
    """The same seeds, both backends: the shadows and the arrays left agree."""
    f, args = CASES[name]
    got = {}
    for backend in ("numpy", "numba", "auto"):
        call = [Duplicated(a.val.copy(), np.arange(a.val.size, dtype=float).reshape(a.val.shape) + 1.0)
                if isinstance(a, Duplicated) else a for a in args]
        autodiff(Reverse, f, Const, *call, backend=backend)
        got[backend] = [(a.val, a.dval) for a in call if isinstance(a, Duplicated)]
    for backend in ("numba", "auto"):
        for (v, d), (wv, wd) in zip(got[backend], got["numpy"]):
            np.testing.assert_allclose(v, wv, rtol=1e-13)
            np.testing.assert_allclose(d, wd, rtol=1e-13, atol=1e-14)


def test_an_index_out_of_range_raises():
    x, dx = np.ones(4), np.zeros(4)
    with pytest.raises(IndexError):
        autodiff(Reverse, gather_squares, Const, Duplicated(x, dx), Const(np.array([0, 7])),
                 Duplicated(np.zeros(2), np.ones(2)), backend="numba")


def test_a_sparse_loss_in_a_loop_and_on_a_tape():
    """A CSR product into a local work array, fused and in the split halves a tape
    drives: the forward half records the local's shape for its shadow (the typed tape
    holds no references), and the gradient under autograd is the fused one's."""
    import autograd
    indptr, indices = np.array([0, 2, 2, 5]), np.array([1, 0, 3, 3, 2])
    data, x = RNG.uniform(0.5, 1.5, 5), RNG.uniform(0.5, 1.5, 4)
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(csr_rows_loss, Duplicated(data.copy(), np.zeros(5)), Const(indptr), Const(indices),
                    Duplicated(x.copy(), np.zeros(4)), mode=mode, engine=Numba)
    dd, dv = np.zeros(5), np.zeros(4)
    autodiff(Reverse, csr_rows_loss, Active, Duplicated(data.copy(), dd), Const(indptr), Const(indices),
             Duplicated(x.copy(), dv), backend="numba")
    g = autograd.grad(lambda d, v: differentiate(csr_rows_loss, backend="numba")(d, indptr, indices, v), (0, 1))(
        data, x)
    np.testing.assert_allclose(g[0], dd, rtol=1e-12)
    np.testing.assert_allclose(g[1], dv, rtol=1e-12)


def shifted_view_loss(x, y):
    t = y[1:]
    for i in range(t.shape[0]):
        t[i] = x[i] * x[i + 1]
    return float(np.sum(y * y))


def test_split_halves_passing_a_view_of_an_argument():
    """A local view of an argument the function writes: its shadow is the same view of the
    shadow the reverse half is given, recorded as the view's geometry (``numba_views``; it was
    refused, "shadow of a view or of a new array"); the halves agree with the numpy backend's."""
    x, y = RNG.uniform(0.5, 1.5, 5), np.zeros(4)
    check_grads(shifted_view_loss, Duplicated(x.copy(), np.zeros(5)), Duplicated(y.copy(), np.zeros(4)),
                mode=ReverseSplitWithPrimal, engine=SimpleNamespace(
                    autodiff=lambda *call: autodiff(*call, backend="numba"),
                    autodiff_thunk=lambda *call: autodiff_thunk(*call, backend="numba")))
    seeds = RNG.standard_normal(5), RNG.standard_normal(4)
    got = {}
    for backend in ("numba", "numpy"):
        fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, shifted_view_loss, Active, Duplicated, Duplicated,
                                  backend=backend)
        xs, ys = x.copy(), y.copy()
        tape, _ = fwd(Duplicated(xs, np.zeros(5)), Duplicated(ys, np.zeros(4)))
        dx, dy = seeds[0].copy(), seeds[1].copy()
        rev(Duplicated(xs, dx), Duplicated(ys, dy), 1.0, tape)
        got[backend] = (dx, dy, ys)
    for a, b in zip(got["numba"], got["numpy"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_the_emitted_numba_module(tmp_path, monkeypatch):
    """``emit --target numba`` of a scatter with repeated and negative indices: the
    module (numpy and numba only) gives the numpy backend's derivatives."""
    out = tmp_path / "coo_numba.py"
    subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"{__file__}:coo_product", "--target", "numba",
                    "--shape", "vals=5", "--shape", "x=4", "--shape", "y=4", "--shape", "rows=5:int64",
                    "--shape", "cols=5:int64", "--ret", "const", "-o", str(out)], check=True)
    assert "import adcompiler" not in out.read_text()
    monkeypatch.syspath_prepend(str(tmp_path))
    import coo_numba
    vals, x, y = RNG.uniform(0.5, 1.5, 5), RNG.uniform(0.5, 1.5, 4), RNG.uniform(0.5, 1.5, 4)
    seed = np.array([1.0, 2.0, 3.0, 4.0])
    got = [np.zeros(5), np.zeros(4), seed.copy()]
    coo_numba.coo_product_reverse(vals.copy(), got[0], x.copy(), got[1], y.copy(), got[2], ROWS, COLS)
    want = [np.zeros(5), np.zeros(4), seed.copy()]
    autodiff(Reverse, coo_product, Const, Duplicated(vals.copy(), want[0]), Duplicated(x.copy(), want[1]),
             Duplicated(y.copy(), want[2]), Const(ROWS), Const(COLS))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-13)


def bond_angles(c, lo):
    e = 0.0
    for i in range(c.shape[0]):
        e += np.arccos(np.clip(c[i], -1.0, 1.0)) + np.clip(c[i] * 2.0, lo, None) ** 2
    return e + float(np.sum(np.clip(c, -0.2, 0.4) ** 2))


def test_clip_of_a_number_and_its_mask():
    """``np.clip`` of a float in an element loop (numba's takes arrays only), and the
    mask of where it passes its argument through (its adjoint), of numbers and arrays."""
    c = np.array([0.1, -0.3, 0.5, 0.35])
    want = -1.0 / np.sqrt(1 - c ** 2) + np.where(c * 2.0 > -0.1, 8.0 * c, 0.0) + np.where(
        (c >= -0.2) & (c <= 0.4), 2 * c, 0.0)
    for backend in ("numpy", "numba", "auto"):
        dc = np.zeros(4)
        autodiff(Reverse, bond_angles, Active, Duplicated(c.copy(), dc), Const(-0.1), backend=backend)
        np.testing.assert_allclose(dc, want, rtol=1e-12)
    check_grads(bond_angles, Duplicated(c.copy(), np.zeros(4)), Const(-0.1), ret=Active, engine=Numba)
