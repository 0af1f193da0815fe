"""np.nanvar, np.nanstd, np.nanprod, np.nancumsum, np.nancumprod and np.diff with
prepend= and append=: every entry point against central differences, against
JAX, and second order."""
import numpy as np
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import Active, Const, Duplicated

TAPES = ("autograd", "torch", "jax")


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _holes(x):
    return np.where(np.abs(x) > 1.3, np.nan, x)


def nan_moments(x, s):
    y = np.where(np.abs(x) > 1.3, np.nan, x)
    s[0] = np.nanvar(y)
    s[1] = np.nanstd(y, ddof=1)
    s[2:5] = np.nanstd(y.reshape(3, 4), axis=1)
    s[5:9] = np.nanvar(y.reshape(3, 4), axis=0, ddof=1)


def nan_products(x, out):
    y = np.where(x > 1.0, np.nan, x)
    out[0] = np.nanprod(y)
    out[1:4] = np.nanprod(y.reshape(3, 4), axis=1)
    out[4:16] = np.nancumsum(y) * 0.5
    out[16:28] = np.nancumprod(y.reshape(3, 4), axis=1).ravel()


def gaps(t, v, out):
    """Differences with the ends given, as in a time series whose first value is known."""
    out[:] = np.diff(v, prepend=v[0]) / np.diff(t, prepend=t[0] - 1.0, append=t[-1] + 1.0)[:-1]


def ends_loop(x, y, out):
    for i in range(x.shape[0]):
        out[i] = np.diff(x[i], n=2, append=y[i:i + 1] * 2.0, prepend=np.array([0.5, y[i]]))


def test_nan_moments_everywhere():
    x = _x(12)
    check_everywhere(nan_moments, Duplicated(x, np.zeros(12)), Duplicated(np.zeros(9), np.zeros(9)), out="s",
                     tapes=TAPES)


def test_nan_products_everywhere():
    x = _x(12, 1)
    check_everywhere(nan_products, Duplicated(x, np.zeros(12)), Duplicated(np.zeros(28), np.zeros(28)), out="out",
                     tapes=TAPES)


def test_diff_ends_everywhere():
    t = np.cumsum(np.random.default_rng(2).random(8) + 0.5)
    v = _x(8, 3)
    check_everywhere(gaps, Duplicated(t, np.zeros(8)), Duplicated(v, np.zeros(8)),
                     Duplicated(np.zeros(8), np.zeros(8)), out="out", tapes=TAPES)


def test_diff_ends_in_a_loop_everywhere():
    x, y = _x((3, 5), 4), _x(3, 5)
    check_everywhere(ends_loop, Duplicated(x, np.zeros_like(x)), Duplicated(y, np.zeros(3)),
                     Duplicated(np.zeros((3, 6)), np.zeros((3, 6))), out="out", tapes=TAPES)


def test_against_jax():
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def loss(x, p):
        y = jnp.where(jnp.abs(x) > 1.3, jnp.nan, x)
        return (jnp.nanvar(y, axis=0, ddof=1).sum() + jnp.nanstd(y) * jnp.nanprod(y)
                + jnp.sum(jnp.nancumsum(y, axis=1) ** 2) + jnp.sum(jnp.diff(x, axis=0, prepend=p) ** 2))

    def mine(x, p):
        y = np.where(np.abs(x) > 1.3, np.nan, x)
        return float(np.nanvar(y, axis=0, ddof=1).sum() + np.nanstd(y) * np.nanprod(y)
                     + np.sum(np.nancumsum(y, axis=1) ** 2) + np.sum(np.diff(x, axis=0, prepend=p) ** 2))

    x, p = _x((5, 4), 6), _x((2, 4), 7)
    want = jax.grad(loss, (0, 1))(jnp.asarray(x), jnp.asarray(p))
    got = ad.grad(mine, argnums=(0, 1))(x, p)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-10, atol=1e-12)


def test_second_order():
    def f(x, p):
        y = np.where(np.abs(x) > 1.3, np.nan, x)
        return float(np.nanstd(y) * np.nanvar(y) + np.sum(np.diff(x * x, prepend=p, append=2.0) ** 2)
                     + np.nanprod(y[:4]) + np.sum(np.nancumprod(y[4:]) ** 2))

    x, p = _x(9, 8), 0.3
    v = _x(9, 9)
    got = ad.hvp(f, (x, p), (v, 0.5))
    eps = 1e-6
    plus = ad.grad(f, argnums=(0, 1))(x + eps * v, p + eps * 0.5)
    minus = ad.grad(f, argnums=(0, 1))(x - eps * v, p - eps * 0.5)
    for k in range(2):
        np.testing.assert_allclose(got[k], (plus[k] - minus[k]) / (2 * eps), rtol=1e-6, atol=1e-7)


def test_scalar_ends_active():
    def f(x, a, b):
        return float(np.sum(np.diff(x, prepend=a, append=b) ** 3))

    x = _x(6, 10)
    check_everywhere(f, Duplicated(x, np.zeros(6)), Active(0.2), Active(-0.4), ret=Active, tapes=TAPES)
    check_everywhere(f, Const(x), Active(0.2), Const(-0.4), ret=Active)


def diff_of_ints(p, k):
    return float(np.sum(np.diff(k, prepend=p) ** 2))


def test_an_int_array_with_a_float_end_is_a_float_array():
    """np.diff of integers with a float prepended: the result is floats, and the
    derivative reaching it counts (it was taken for an int array: 0)."""
    k = np.array([[3, 1, 4], [1, 5, 9], [2, 6, 5], [3, 5, 8]])
    eps = 1e-6
    want = (diff_of_ints(0.3 + eps, k) - diff_of_ints(0.3 - eps, k)) / (2 * eps)
    np.testing.assert_allclose(ad.grad(diff_of_ints)(0.3, k), want, rtol=1e-7)
    check_everywhere(diff_of_ints, Active(0.3), Const(k), ret=Active)


def masked_std(Y):
    s = np.nanstd(Y, axis=0, ddof=1)   # (a column of one number: NaN, masked below)
    v = np.nanvar(Y, axis=0, ddof=2)
    return float(np.sum(np.where(np.isnan(s), 0.0, s) ** 2) + np.sum(np.where(np.isnan(v), 0.0, v)))


def test_slices_of_too_few_numbers_have_no_derivative():
    """Where a slice has ddof numbers or fewer, numpy gives NaN: its entries' derivative is 0
    (it was NaN), as JAX's and the differences are."""
    Y = np.array([[0.3, 1.0, 2.0], [np.nan, 1.5, 0.2], [np.nan, -0.4, np.nan]])
    g = ad.grad(masked_std)(Y)
    assert np.all(np.isfinite(g)) and np.all(g[:, 0] == 0.0)
    eps = 1e-6
    for i, j in [(0, 1), (1, 1), (2, 1), (0, 2), (1, 2)]:
        e = np.zeros_like(Y)
        e[i, j] = eps
        np.testing.assert_allclose(g[i, j], (masked_std(Y + e) - masked_std(Y - e)) / (2 * eps), rtol=1e-6)


def diff_none(x, p):
    return float(np.sum(np.diff(x, n=0, prepend=p, append=np.array([1.0, 2.0])) ** 2))


def test_diff_of_order_zero_leaves_the_ends_out():
    x = _x(3, 12)
    g = ad.grad(diff_none, argnums=(0, 1))(x, 0.7)
    np.testing.assert_allclose(g[0], 2 * x, rtol=1e-14)
    assert g[1] == 0.0
