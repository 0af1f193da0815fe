"""Special functions: ``math.lgamma``/``math.gamma`` (through the digamma
function) and the rules of ``scipy.special`` registered once it is imported
(``gammaln``, ``expit``, ``log_expit``, ``logit``, ``erf``, ``xlogy``, ``softmax``,
``logsumexp``), through every entry point; the emitted module imports them."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal
import scipy.special as sp
from everywhere import check_everywhere
from optional import require
from scipy.special import erf, expit, gammaln, log_expit, logit, logsumexp, xlogy

import adcompiler as ad
from adcompiler import Active, AdCompilerError, Const, Duplicated
from adcompiler.runtime.special import digamma


def poisson_nll(lam, k):
    return np.sum(lam - xlogy(k, lam) + gammaln(k + 1.0)) + np.sum(gammaln(lam + 0.5))


def gammas_in_a_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.lgamma(x[i]) + math.gamma(x[i] * 0.5)
    return s


def logistic(w, X, y):
    z = X @ w
    p = expit(z)
    return -np.sum(y * np.log(p) + (1 - y) * log_expit(-z)) + np.sum(erf(w)) + np.sum(logit(p * 0.5 + 0.25))


def log_sum_exps(a):
    return np.sum(logsumexp(a, axis=1)) + logsumexp(a) + np.sum(sp.logsumexp(a, axis=0, keepdims=True, b=2.0))


def gammaln_out(x, y):
    gammaln(x, out=y)
    y *= 2.0


def signed_lse(a):
    s, _ = logsumexp(a, return_sign=True)
    return s


def test_digamma_against_scipy():
    x = np.concatenate([np.linspace(-5.3, 30.0, 3001), [1e-5, 0.5, 1.0, 100.0, 1e6, -2.5]])
    x = x[np.abs(x - np.round(x)) > 1e-6]   # (not at the poles)
    want = sp.digamma(x)
    np.testing.assert_allclose(digamma(x), want, rtol=1e-11, atol=1e-11)
    assert np.ndim(digamma(2.5)) == 0 and digamma(2.5) == pytest.approx(sp.digamma(2.5), rel=1e-13)


@pytest.mark.parametrize("case", ["poisson", "loop", "logistic", "lse"])
def test_special_functions_everywhere(case):
    rng = np.random.default_rng(4)
    if case == "poisson":
        check_everywhere(poisson_nll, Duplicated(rng.uniform(0.5, 3.0, 5), np.zeros(5)),
                         Const(np.array([0.0, 1.0, 2.0, 5.0, 3.0])), ret=Active, out=(),
                         tapes=("autograd", "torch", "jax"))
    elif case == "loop":
        check_everywhere(gammas_in_a_loop, Duplicated(rng.uniform(0.3, 4.0, 5), np.zeros(5)), ret=Active, out=())
    elif case == "logistic":
        X, y = rng.normal(size=(6, 3)), (rng.uniform(size=6) > 0.5) * 1.0
        check_everywhere(logistic, Duplicated(rng.normal(size=3), np.zeros(3)), Const(X), Const(y), ret=Active,
                         out=(), tapes=("autograd", "torch", "jax"))
    else:
        check_everywhere(log_sum_exps, Duplicated(rng.normal(size=(3, 4)), np.zeros((3, 4))), ret=Active, out=(),
                         tapes=("autograd", "torch", "jax"))


def test_out_argument_and_backends():
    """``gammaln(x, out=y)``; the numba backend has no digamma: refused at the
    line, and ``auto`` runs numpy."""
    x = np.array([0.5, 1.5, 2.5])
    want = 2.0 * sp.digamma(x)
    dx = np.zeros(3)
    ad.autodiff(ad.Reverse, gammaln_out, Const, Duplicated(x.copy(), dx), Duplicated(np.zeros(3), np.ones(3)),
                backend="auto")
    np.testing.assert_allclose(dx, want, rtol=1e-12)
    with pytest.raises(AdCompilerError, match="_ad_digamma"):
        ad.autodiff(ad.Reverse, gammaln_out, Const, Duplicated(x.copy(), np.zeros(3)),
                    Duplicated(np.zeros(3), np.ones(3)), backend="numba")


def test_logsumexp_with_return_sign_is_refused_at_its_line():
    with pytest.raises(AdCompilerError, match="with return_sign it returns a pair") as e:
        ad.gradient(signed_lse, np.array([0.5, 1.5]))
    assert "logsumexp(a, return_sign=True)" in str(e.value)


def softmax_xent(W, X, y):
    logits = X @ W
    p = sp.softmax(logits, axis=1)
    lp = sp.log_softmax(logits, axis=1)
    return -np.sum(lp[np.arange(y.shape[0]), y]) + 0.1 * np.sum(p * p)


def softmax_flat(x):
    return np.sum(sp.softmax(x) * np.arange(x.shape[0])) + sp.log_softmax(x)[0]


def softmax_into(out, x):
    out[:] = sp.softmax(x * 2.0)


def test_softmax_and_log_softmax_everywhere():
    """``scipy.special.softmax``/``log_softmax`` had no rule: the compiler read
    scipy's own source and refused a `with` statement inside scipy."""
    rng = np.random.default_rng(0)
    W, X, y = rng.standard_normal((3, 4)), rng.standard_normal((5, 3)), np.array([0, 1, 3, 2, 1])
    check_everywhere(softmax_xent, Duplicated(W, np.zeros_like(W)), Const(X), Const(y), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    x = rng.standard_normal(4)
    check_everywhere(softmax_flat, Duplicated(x, np.zeros(4)), ret=Active, out=())
    check_everywhere(softmax_into, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(x.copy(), np.zeros(4)),
                     ret=Const, out="out")


def _library_call(x):
    return np.sum(scipy.signal.detrend(x) ** 2)


def test_a_library_function_without_a_rule_is_refused_at_the_users_call():
    """A scipy function without a rule was differentiated as a helper from
    scipy's source: the refusal named a line inside scipy."""
    with pytest.raises(AdCompilerError) as e:
        ad.gradient(_library_call, np.linspace(0.0, 1.0, 5))
    assert "test_special.py" in str(e.value) and "detrend" in str(e.value) and "no derivative rule" in str(e.value)


def weighted_lse_squared(a, B):
    return np.sum(logsumexp(a, axis=1, b=B) ** 2)


def test_logsumexp_of_a_broadcast_against_larger_weights():
    """scipy broadcasts ``a`` against ``b``: ``a`` of shape (1, 4), ``b`` (3, 4). The
    adjoint of ``a`` was taken in ``a``'s shape (numpy's ValueError in the derivative);
    now summed back to it, against JAX to second order."""
    jax = require("jax")
    import jax.numpy as jnp
    import jax.scipy.special as jsp
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    a, B = rng.normal(size=(1, 4)), rng.uniform(0.5, 1.5, (3, 4))
    check_everywhere(weighted_lse_squared, Duplicated(a.copy(), np.zeros((1, 4))), Const(B), out=None,
                     tapes=("autograd", "torch", "jax"))
    ref = lambda a: jnp.sum(jsp.logsumexp(a, axis=1, b=B) ** 2)
    np.testing.assert_allclose(ad.gradient(weighted_lse_squared, a.copy(), B, wrt=0)[0], np.asarray(jax.grad(ref)(a)),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(ad.hessian(weighted_lse_squared, a.copy(), B)).reshape(4, 4),
                               np.asarray(jax.hessian(ref)(a)).reshape(4, 4), rtol=1e-10, atol=1e-12)
