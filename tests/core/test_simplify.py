"""The reduction-adjoint rewrites of ``transform/simplify.py`` (``fold_into_unreduce``):
what they rewrite, what they leave, and gradients through them against
analytic references."""
from __future__ import annotations

import ast

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.transform.simplify import fold_into_unreduce


def _fold(src: str) -> str:
    return "\n".join(ast.unparse(s) for s in fold_into_unreduce(ast.parse(src).body))


@pytest.mark.parametrize("src, want", [
    # a number times a full reduction's adjoint goes into the scalar
    ("u = _ad_unreduce(g, t, None, False)\ng = 0.0\nds += u * 2 * s",
     "u = _ad_unreduce(g * 2, t, None, False)\ng = 0.0\nds += u * s"),
    ("u = _ad_unreduce(g, t, None, False)\nd = 3.0 * u",
     "u = _ad_unreduce(3.0 * g, t, None, False)\nd = u"),
    ("u = _ad_unreduce(g, t, None, False)\nd = -u * x",
     "u = _ad_unreduce(-g, t, None, False)\nd = u * x"),
    # a partial reduction's adjoint read once by arithmetic is not copied
    ("u = _ad_unreduce(g, t, 1, False) * True\ndz = dz + u * y",
     "u = _ad_unreduce(g, t, 1, False)\ndz = dz + u * y"),
])
def test_rewrites(src, want):
    assert _fold(src) == want


@pytest.mark.parametrize("src", [
    # read twice: the scalar would be wrong for the other read
    "u = _ad_unreduce(g, t, None, False)\na = u * 2\nb = u",
    # memory may change between the view and its read
    "u = _ad_unreduce(g, t, None, False)\ng += 1.0\nd = u * 2",
    "u = _ad_unreduce(g, t, 1, False) * True\ng[0] += 1.0\nd = u * y",
    # a name, not a number: its value may change before the read
    "u = _ad_unreduce(g, t, None, False)\nd = u * c",
    # partial reductions keep their axes: no number goes in
    "u = _ad_unreduce(g, t, 1, False)\nd = u * 2",
    # the copy is the value bound (it may be written in place later)
    "u = _ad_unreduce(g, t, 1, False) * True\ndz = u",
    "u = _ad_unreduce(g, t, 1, False) * True\ndz = _ad_unbroadcast(u, z)",
])
def test_leaves(src):
    assert _fold(src) == ast.unparse(ast.parse(src))


def sum_of_squares(s, a, b):
    s[:] = a + b
    return np.sum(s ** 2)


def scaled_sum(x, m):
    return np.sum(3.0 * (x - m) ** 2)


def lse_rows(z):
    mx = np.max(z, axis=1, keepdims=True)
    return np.sum(mx[:, 0] + np.log(np.sum(np.exp(z - mx), axis=1)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sum_of_squares_against_analytic(dtype):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(7).astype(dtype), rng.standard_normal(7).astype(dtype)
    s, ds, da, db = np.zeros(7, dtype), rng.standard_normal(7).astype(dtype), np.ones(7, dtype), np.zeros(7, dtype)
    seed = ds.copy()
    ad.autodiff(ad.Reverse, sum_of_squares, ad.Active, ad.Duplicated(s, ds), ad.Duplicated(a, da),
                ad.Duplicated(b, db))
    want = 2.0 * (a.astype(np.float64) + b) + seed
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(da, 1.0 + want, rtol=tol, atol=tol)
    np.testing.assert_allclose(db, want, rtol=tol, atol=tol)
    assert not ds.any()


def test_zero_dim_seed_through_the_split_halves():
    # a 0-d array seed is viewed by the broadcast adjoint, not copied
    rng = np.random.default_rng(4)
    x, m = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    fwd, rev = ad.autodiff_thunk(ad.ReverseSplitWithPrimal, scaled_sum, ad.Active, ad.Duplicated, ad.Duplicated)
    dx, dm = np.zeros_like(x), np.zeros_like(m)
    tape, _ = fwd(ad.Duplicated(x, dx), ad.Duplicated(m, dm))
    rev(ad.Duplicated(x, dx), ad.Duplicated(m, dm), np.asarray(2.0), tape)
    np.testing.assert_allclose(dx, 2.0 * 6.0 * (x - m), rtol=1e-12)
    # m has shape (1, 4): its adjoint sums the three rows
    np.testing.assert_allclose(dm, -2.0 * 6.0 * (x - m).sum(axis=0, keepdims=True), rtol=1e-12)


def test_log_sum_exp_rows_against_softmax():
    z = np.random.default_rng(5).standard_normal((5, 3))
    (dz,) = ad.gradient(lse_rows, z)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(dz, e / e.sum(axis=1, keepdims=True), rtol=1e-12)


def _split_among_ties(g, x, axis, keepdims):
    """The adjoint of np.max from its definition: ``g`` shared equally by the
    elements equal to the maximum, one reduced position at a time."""
    x = np.asarray(x, dtype=np.float64)
    axes = tuple(range(x.ndim)) if axis is None else tuple(a % x.ndim for a in np.atleast_1d(axis))
    out = np.zeros(x.shape)
    g = np.broadcast_to(np.asarray(g, dtype=np.float64) if keepdims or not axes or np.ndim(g) == 0
                        else np.expand_dims(g, axes), np.max(x, axis=axes, keepdims=True).shape)
    for pos in np.ndindex(g.shape):
        sel = tuple(slice(None) if k in axes else pos[k] for k in range(x.ndim))
        block = x[sel]
        ties = block == block.max()
        view = out[sel]
        view[ties] = g[pos] / ties.sum()
    return out


@pytest.mark.parametrize("shape, axis", [((5,), None), ((5,), 0), ((4, 3), 1), ((4, 3), 0), ((4, 3), None),
                                         ((3, 1, 4), (0, 2)), ((2, 3, 4), -1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_select_adjoint_shares_among_ties(shape, axis, keepdims):
    from adcompiler.runtime.core import select_adjoint
    rng = np.random.default_rng(6)
    x = rng.integers(0, 3, shape).astype(float)          # many ties
    ans = np.max(x, axis=axis, keepdims=keepdims)
    g = rng.standard_normal(np.shape(ans)) if np.ndim(ans) else 1.7
    got = select_adjoint(g, x, ans, axis, keepdims)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, _split_among_ties(g, x, axis, keepdims), rtol=1e-15, atol=0)
