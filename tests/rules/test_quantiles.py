"""np.median, np.quantile, np.percentile and their NaN-ignoring forms: every entry
point against central differences, the gradients against JAX's, second order
against differences of the gradient, and the refusals."""
import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import Active, AdCompilerError, Const, Duplicated

TAPES = ("autograd", "torch", "jax")


def robust_scale(x, out):
    med = np.median(x, axis=0)
    iqr = np.percentile(x, 75.0, axis=0) - np.percentile(x, 25.0, axis=0)
    out[:] = (x - med) / iqr


def quantile_loss(x, q):
    v = np.quantile(x, q)
    return float(np.sum(v ** 2) + np.sum(np.quantile(x.reshape(3, 4), [0.2, 0.7], axis=1, keepdims=True)))


def trimmed(x, w, out):
    lo = np.quantile(x, 0.1, axis=1, keepdims=True)
    hi = np.quantile(x, 0.9, axis=1, keepdims=True)
    for i in range(x.shape[0]):
        out[i] = np.sum(w * np.clip(x[i], lo[i], hi[i]))


def nan_stats(x, s):
    y = np.where(x > 1.5, np.nan, x)
    s[0] = np.nanmedian(y)
    s[1] = np.nanpercentile(y, 37.0)
    s[2:] = np.nanquantile(y.reshape(2, 6), 0.61, axis=1)


def methods(x, out):
    out[0] = np.quantile(x, 0.35, method="lower")
    out[1] = np.quantile(x, 0.35, method="higher")
    out[2] = np.quantile(x, 0.35, method="nearest")
    out[3] = np.quantile(x, 0.35, method="midpoint")
    out[4] = np.percentile(x, 35.0, method="linear")


def active_q(x, q):
    return float(np.quantile(x, q) * 2.0 + np.percentile(x, q * 100.0, axis=0)[1])


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_robust_scale_everywhere():
    x = _x((9, 3))
    check_everywhere(robust_scale, Duplicated(x, np.zeros_like(x)), Duplicated(np.zeros((9, 3)), np.zeros((9, 3))),
                     out="out", tapes=TAPES)


def test_quantile_loss_everywhere():
    x = _x(12, 1)
    check_everywhere(quantile_loss, Duplicated(x, np.zeros(12)), Const(np.array([0.13, 0.55, 0.91])),
                     ret=Active, out=(), tapes=TAPES)


def test_trimmed_in_a_loop_everywhere():
    x, w = _x((4, 9), 2), _x(9, 3)
    check_everywhere(trimmed, Duplicated(x, np.zeros_like(x)), Duplicated(w, np.zeros(9)),
                     Duplicated(np.zeros(4), np.zeros(4)), out="out", tapes=TAPES)


def test_nan_forms_everywhere():
    x = _x(12, 4)
    check_everywhere(nan_stats, Duplicated(x, np.zeros(12)), Duplicated(np.zeros(4), np.zeros(4)), out="s",
                     tapes=TAPES)


def test_discontinuous_methods_everywhere():
    x = _x(11, 5)
    check_everywhere(methods, Duplicated(x, np.zeros(11)), Duplicated(np.zeros(5), np.zeros(5)), out="out",
                     tapes=TAPES)


def test_derivative_in_q():
    x = _x((10, 2), 6)
    check_everywhere(active_q, Duplicated(x, np.zeros_like(x)), Active(0.37), ret=Active, tapes=TAPES)


def test_against_jax():
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def loss(x, q):
        return (jnp.sum(jnp.quantile(x, q, axis=1) ** 2) + jnp.median(x[0]) * jnp.percentile(x, 64.0)
                + jnp.sum(jnp.nanquantile(x, 0.3, axis=0, keepdims=True)))

    def mine(x, q):
        return float(np.sum(np.quantile(x, q, axis=1) ** 2) + np.median(x[0]) * np.percentile(x, 64.0)
                     + np.sum(np.nanquantile(x, 0.3, axis=0, keepdims=True)))

    x, q = _x((5, 7), 7), np.array([0.27, 0.58])
    want = jax.grad(loss, (0, 1))(jnp.asarray(x), jnp.asarray(q))
    got = ad.grad(mine, argnums=(0, 1))(x, q)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-10, atol=1e-12)


def test_second_order():
    def f(x, q):
        return float(np.sum(np.quantile(x, q) ** 3) + np.median(x ** 2) * np.percentile(x, 30.0))

    x, q = _x(9, 8), np.array([0.33, 0.71])
    v = _x(9, 9)
    got = ad.hvp(f, (x, q), (v, np.zeros(2)))[0]
    eps = 1e-6
    want = (ad.grad(f)(x + eps * v, q) - ad.grad(f)(x - eps * v, q)) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def median_loss(x):
    return float(np.sum(np.median(x, axis=0)) + np.percentile(x, 40.0))


def test_numba_backend_right_or_refused():
    """A vectorised call under numba: the numpy backend's gradient, or a located refusal."""
    require("numba")
    x = _x((9, 3), 10)
    want = ad.grad(median_loss)(x)
    try:
        got = ad.gradient(median_loss, x, backend="numba")
    except AdCompilerError as e:
        assert "test_quantiles.py" in str(e)
        return
    np.testing.assert_allclose(np.asarray(got[0]), want, rtol=1e-12)


@pytest.mark.parametrize("call, what", [
    ("np.quantile(x, 0.3, method='hazen')", "method='hazen'"),
    ("np.median(x, overwrite_input=True)", "overwrite_input"),
    ("np.percentile(x, 30.0, interpolation='lower')", "interpolation"),
])
def test_refusals_name_the_line(tmp_path, call, what):
    src = tmp_path / "kern.py"
    src.write_text(f"import numpy as np\n\n\ndef f(x):\n    return float({call})\n")
    import importlib.util
    spec = importlib.util.spec_from_file_location("kern_q", src)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with pytest.raises(AdCompilerError) as e:
        ad.grad(mod.f)(_x(8))
    assert "kern.py:5" in str(e.value) and what in str(e.value)


def test_second_order_in_q():
    def f(x, q):
        return float(np.sum(np.quantile(x, q) ** 3) + np.sum(x ** 2 * np.percentile(x, q * 100.0)[0]))

    x, q = _x(9, 11), np.array([0.33, 0.71])
    v, u = _x(9, 12), np.array([0.4, -0.7])
    got = ad.hvp(f, (x, q), (v, u))
    eps = 1e-6
    plus, minus = ad.grad(f, argnums=(0, 1))(x + eps * v, q + eps * u), ad.grad(f, argnums=(0, 1))(x - eps * v, q - eps * u)
    for k in range(2):
        np.testing.assert_allclose(got[k], (plus[k] - minus[k]) / (2 * eps), rtol=1e-6, atol=1e-7)


def quantile_at_ends(x, q):
    return float(np.sum(np.quantile(x, q)) + np.percentile(x, q[1] * 100.0))


def test_the_derivative_in_q_at_one_is_the_slope_below():
    """At q = 1 the derivative in q is the slope to the last element from its neighbour
    below, as at q = 0 it is the slope above (it was 0)."""
    x = np.array([0.2, 1.7, -0.4, 3.5, 2.3])
    s = np.sort(x)
    g = ad.grad(quantile_at_ends, argnums=1)(x, np.array([0.0, 1.0]))
    np.testing.assert_allclose(g, [4 * (s[1] - s[0]), 4 * (s[-1] - s[-2]) * 2], rtol=1e-12)


def quantile_by_name(x, method="linear"):
    return float(np.quantile(x, 0.35, method=method) ** 2)


def test_a_method_given_by_a_parameter():
    x = _x(9, 13)
    for method in ("linear", "lower", "nearest"):
        check_everywhere(quantile_by_name, Duplicated(x.copy(), np.zeros(9)), Const(method), ret=Active)
    with pytest.raises(AdCompilerError, match="hazen"):
        ad.grad(quantile_by_name)(x, "hazen")


def nan_quantile_2d_q(x):
    return float(np.sum(np.nanquantile(x, np.array([[0.2, 0.4], [0.6, 0.8]]), axis=(0, 2))))


def test_a_layout_numpy_changes_is_refused():
    with pytest.raises(AdCompilerError, match="lays its result out"):
        ad.grad(nan_quantile_2d_q)(_x((5, 2, 3), 14))
