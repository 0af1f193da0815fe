"""Precise tests of the semantics contract (DESIGN.md), with hand-derived
expected values, plus comparisons with autograd on functions that can be
written functionally."""
from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import adcompiler as ad
from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from adcompiler.errors import ActivityError


def f_(s, a, b):
    s[:] = a + b


def scaled_sum(s, a, c):
    s[:] = c * a
    return float(np.sum(s))


def partial_write(x, a):
    x[1:3] = a[1:3]


def accumulate(x, a):
    for i in range(len(x)):
        x[i] += a[i] * a[i]


def ignores_third(s, a, unused):
    s[:] = 2.0 * a


def doubles(x):
    x *= 2.0


def sq_prefix(x, n):
    return float(np.sum(x[:n] ** 2))


def weighted(x, c, n):
    return float(c * np.sum(x[:n] ** 2))


def heat(u, c, steps):
    for t in range(steps):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])


def recurrence(x, a):
    for i in range(1, len(x)):
        x[i] = x[i - 1] * a[i]


def affine_bcast(s, A, c, b):
    s[:] = np.tanh(A * c + b) @ b


def seed_case(rng):
    s, a, b = rng.normal(size=(3, 5))
    ds, da, db = rng.normal(size=(3, 5))
    return s, a, b, ds, da, db


def test_seed_contract(rng):
    s, a, b, ds, da, db = seed_case(rng)
    ds0, da0, db0 = ds.copy(), da.copy(), db.copy()
    out = ad.autodiff(Reverse, f_, Const, Duplicated(s, ds), Duplicated(a, da), Duplicated(b, db))
    assert out == (None, None, None)
    np.testing.assert_array_equal(s, a + b)
    np.testing.assert_array_equal(da, da0 + ds0)
    np.testing.assert_array_equal(db, db0 + ds0)
    np.testing.assert_array_equal(ds, np.zeros(5))


def test_mode_omitted_means_reverse(rng):
    s, a, b, ds, da, db = seed_case(rng)
    s2, a2, b2, ds2, da2, db2 = (x.copy() for x in (s, a, b, ds, da, db))
    out1 = ad.autodiff(f_, Const, Duplicated(s, ds), Duplicated(a, da), Duplicated(b, db))
    out2 = ad.autodiff(Reverse, f_, Const, Duplicated(s2, ds2), Duplicated(a2, da2), Duplicated(b2, db2))
    assert out1 == out2 == (None, None, None)
    for x, y in ((s, s2), (ds, ds2), (da, da2), (db, db2)):
        np.testing.assert_array_equal(x, y)


def test_seed_const_operand(rng):
    s, a, b, ds, _, db = seed_case(rng)
    a0, db0, ds0 = a.copy(), db.copy(), ds.copy()
    out = ad.autodiff(Reverse, f_, Const, Duplicated(s, ds), Const(a), Duplicated(b, db))
    assert out == (None, None, None)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(s, a + b)
    np.testing.assert_array_equal(db, db0 + ds0)
    np.testing.assert_array_equal(ds, np.zeros(5))


def test_active_scalar_and_return(rng):
    s, a, ds = rng.normal(size=(3, 4))
    ds0, c = ds.copy(), 1.7
    out = ad.autodiff(Reverse, scaled_sum, Active, Duplicated(s, ds), Const(a), Active(c))
    assert out[0] is None and out[1] is None
    # J = <ds0, c a> + sum(c a)  =>  dJ/dc = <ds0 + 1, a>
    assert out[2] == pytest.approx(float(np.sum((ds0 + 1.0) * a)), rel=1e-13)
    np.testing.assert_array_equal(ds, np.zeros(4))
    np.testing.assert_allclose(s, c * a, rtol=1e-15)


def test_reverse_with_primal_returns_primal(rng):
    s, a, ds, da = rng.normal(size=(4, 4))
    da0, ds0, c = da.copy(), ds.copy(), 0.3
    derivs, primal = ad.autodiff(ReverseWithPrimal, scaled_sum, Active,
                                 Duplicated(s, ds), Duplicated(a, da), Active(c))
    assert primal == pytest.approx(float(np.sum(c * a)), rel=1e-13)
    assert derivs[2] == pytest.approx(float(np.sum((ds0 + 1.0) * a)), rel=1e-13)
    np.testing.assert_allclose(da, da0 + c * (ds0 + 1.0), rtol=1e-13)


def test_partial_overwrite_zeroes_only_written_shadow(rng):
    x, a, dx, da = rng.normal(size=(4, 5))
    x0, dx0, da0 = x.copy(), dx.copy(), da.copy()
    ad.autodiff(Reverse, partial_write, Const, Duplicated(x, dx), Duplicated(a, da))
    np.testing.assert_array_equal(x[[0, 3, 4]], x0[[0, 3, 4]])
    np.testing.assert_array_equal(x[1:3], a[1:3])
    np.testing.assert_array_equal(dx, np.r_[dx0[0], 0.0, 0.0, dx0[3:]])
    np.testing.assert_array_equal(da, np.r_[da0[0], da0[1:3] + dx0[1:3], da0[3:]])


def test_element_increment_keeps_seed(rng):
    # x[i] += e: x1 = x0 + a*a, so the adjoint of x0 is the seed itself
    x, a, dx, da = rng.normal(size=(4, 5))
    x0, dx0, da0 = x.copy(), dx.copy(), da.copy()
    ad.autodiff(Reverse, accumulate, Const, Duplicated(x, dx), Duplicated(a, da))
    np.testing.assert_allclose(x, x0 + a * a, rtol=1e-15)
    np.testing.assert_array_equal(dx, dx0)
    np.testing.assert_allclose(da, da0 + 2.0 * a * dx0, rtol=1e-14)


def test_untouched_duplicated_bit_for_bit(rng):
    s, a, u, ds, da, du = rng.normal(size=(6, 4))
    u0, du0 = u.copy(), du.copy()
    ad.autodiff(Reverse, ignores_third, Const, Duplicated(s, ds), Duplicated(a, da), Duplicated(u, du))
    assert u.tobytes() == u0.tobytes()
    assert du.tobytes() == du0.tobytes()


def test_split_mode_matches_reverse_and_does_not_rerun_primal(rng):
    x, dx = rng.normal(size=(2, 4))
    x0, dx0 = x.copy(), dx.copy()
    fwd, rev = ad.autodiff_thunk(ReverseSplitWithPrimal, doubles, Const, Duplicated)
    arg = Duplicated(x, np.zeros(4))
    tape, primal = fwd(arg)
    assert primal is None
    np.testing.assert_array_equal(x, 2.0 * x0)
    arg.dval[:] = dx0
    derivs = rev(arg, 1.0, tape)
    assert derivs == (None,)
    np.testing.assert_array_equal(x, 2.0 * x0)  # the reverse half left the primal alone
    np.testing.assert_array_equal(arg.dval, 2.0 * dx0)
    ad.autodiff(Reverse, doubles, Const, Duplicated(x0, dx))
    np.testing.assert_array_equal(dx, 2.0 * dx0)


def test_gradient_pure_function(rng):
    x = rng.normal(size=6)
    x0 = x.copy()
    g = ad.gradient(sq_prefix, x, 4)
    assert len(g) == 2 and g[1] is None
    np.testing.assert_allclose(g[0], np.r_[2.0 * x0[:4], 0.0, 0.0], rtol=1e-15)
    assert x.tobytes() == x0.tobytes()


def test_gradient_float_scalar(rng):
    x = rng.normal(size=5)
    gx, gc, gn = ad.gradient(weighted, x, 0.6, 3)
    assert gn is None
    assert gc == pytest.approx(float(np.sum(x[:3] ** 2)), rel=1e-14)
    np.testing.assert_allclose(gx, np.r_[1.2 * x[:3], 0.0, 0.0], rtol=1e-14)


def test_active_array_refused():
    with pytest.raises(ActivityError, match="Duplicated"):
        Active(np.ones(3))


# --- against autograd on functional rewrites ---------------------------------

def heat_functional(u, c, steps):
    for _ in range(steps):
        inner = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u = anp.concatenate([u[:1], inner, u[-1:]])
    return u


def recurrence_functional(x, a):
    out = [x[0]]
    for i in range(1, len(x)):
        out.append(out[-1] * a[i])
    return anp.stack(out)


def affine_functional(s, A, c, b):
    return anp.dot(anp.tanh(A * c + b), b)


def _reverse(f, values, kinds, ret=Const):
    """Run autodiff with seeds ``w`` for Duplicated args; return (shadows, derivs)."""
    rng = np.random.default_rng(7)
    seeds = {k: rng.normal(size=np.shape(v)) for k, (v, kind) in enumerate(zip(values, kinds))
             if kind == "D"}
    vals = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
    shadows = {k: w.copy() for k, w in seeds.items()}
    args = [Duplicated(vals[k], shadows[k]) if kind == "D" else Active(vals[k]) if kind == "A"
            else Const(vals[k]) for k, kind in enumerate(kinds)]
    derivs = ad.autodiff(Reverse, f, ret, *args)
    return seeds, shadows, derivs


def test_heat_against_autograd(rng):
    u, c, steps = rng.normal(size=9), 0.23, 5
    seeds, shadows, derivs = _reverse(heat, [u, c, steps], "DAC")
    w = seeds[0]
    obj = lambda u, c: anp.sum(w * heat_functional(u, c, steps))
    np.testing.assert_allclose(shadows[0], autograd.grad(obj, 0)(u, c), rtol=1e-12, atol=1e-14)
    assert derivs[1] == pytest.approx(autograd.grad(obj, 1)(u, c), rel=1e-12)


def test_recurrence_against_autograd(rng):
    x, a = rng.normal(size=6), rng.uniform(0.5, 1.5, 6)
    seeds, shadows, _ = _reverse(recurrence, [x, a], "DD")
    wx, wa = seeds[0], seeds[1]
    obj = lambda x, a: anp.sum(wx * recurrence_functional(x, a)) + anp.sum(wa * a)
    np.testing.assert_allclose(shadows[0], autograd.grad(obj, 0)(x, a), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(shadows[1], autograd.grad(obj, 1)(x, a), rtol=1e-12, atol=1e-14)


def test_broadcast_against_autograd(rng):
    s, A, c, b = rng.normal(size=3), rng.normal(size=(3, 4)), rng.normal(size=(3, 1)), rng.normal(size=4)
    seeds, shadows, _ = _reverse(affine_bcast, [s, A, c, b], "DDDD")
    ws, wA, wc, wb = (seeds[k] for k in range(4))

    def obj(A, c, b):
        return (anp.sum(ws * affine_functional(s, A, c, b)) + anp.sum(wA * A) + anp.sum(wc * c)
                + anp.sum(wb * b))
    for k, argnum in ((1, 0), (2, 1), (3, 2)):
        expect = autograd.grad(obj, argnum)(A, c, b)
        assert shadows[k].shape == expect.shape
        np.testing.assert_allclose(shadows[k], expect, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(shadows[0], np.zeros(3))


def test_bare_float_array_is_const_with_a_warning():
    """A bare float array is taken as Const (as in Enzyme), with a warning naming it."""
    import warnings

    from adcompiler.errors import AdCompilerWarning

    def scale(y, x, alpha):
        y[:] = alpha * x
        return float(np.sum(y))

    y, x = np.zeros(3), np.ones(3)
    with pytest.warns(AdCompilerWarning, match=r"`x` is a bare float array, taken as Const"):
        d = ad.autodiff(Reverse, scale, Active, Duplicated(y, np.zeros(3)), x, Active(0.5))
    assert d[1] is None and d[2] == pytest.approx(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # explicit Const and integer arrays say nothing
        ad.autodiff(Reverse, scale, Active, Duplicated(y, np.zeros(3)), Const(x), Active(0.5))
