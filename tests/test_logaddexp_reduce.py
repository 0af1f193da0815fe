"""``np.logaddexp.reduce`` and ``np.logaddexp2.reduce``: numpy's spelling of log-sum-exp
(``log(sum(exp(a)))``, along ``axis``, with ``keepdims``). They had no rule (refused); each
element's adjoint is its share of the sum, ``exp(a - ans)``. Checked at every entry point against
finite differences, at large values (where exp overflows) against the softmax, and on the tapes."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Duplicated


def log_sum_exp(x):
    return np.logaddexp.reduce(x) * 2.0


def rows(A):
    r = np.logaddexp.reduce(A, axis=1)
    return np.sum(r ** 2)


def kept(A):
    r = np.logaddexp.reduce(A, axis=0, keepdims=True)
    return np.sum(np.exp(A - r) * A)


def base_two(x):
    return np.logaddexp2.reduce(x * 3.0)


def every_axis(A):
    return np.logaddexp.reduce(A, axis=None)


def large(x):
    return np.logaddexp.reduce(x * 1000.0)


def _a(*shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [(log_sum_exp, (5,)), (rows, (3, 4)), (kept, (3, 4)), (base_two, (5,)), (every_axis, (3, 4))]


@pytest.mark.parametrize("f, shape", CASES, ids=[f.__name__ for f, _ in CASES])
def test_every_entry_point(f, shape):
    check_everywhere(f, _a(*shape), ret=Active)


def test_large_values_give_the_softmax():
    x = np.array([1.0, 1.001, 0.5])
    z = 1000.0 * x
    want = 1000.0 * np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
    np.testing.assert_allclose(ad.gradient(large, x)[0], want, rtol=1e-12)


def test_a_tape():
    import autograd
    x = np.random.default_rng(1).standard_normal(5)
    want = ad.gradient(log_sum_exp, x.copy())[0]
    np.testing.assert_allclose(autograd.grad(ad.differentiate(log_sum_exp))(x.copy()), want, rtol=1e-12)


def masked_reduce(x, mask):
    a = np.logaddexp.reduce(x + mask)   # (every element masked: -inf)
    return np.logaddexp(a, x[0])


def masked_pair(x, mask):
    return np.logaddexp(np.logaddexp2(x[0] + mask[0], x[1] + mask[1]), x[0] * 2.0)


def masked_rows(A, mask):
    r = np.logaddexp.reduce(A + mask, axis=1)   # (the second row all masked)
    r = np.where(np.isinf(r), 0.0, r)
    return np.sum(r ** 2)


def masked_logsumexp(A, mask):
    r = scipy.special.logsumexp(A + mask, axis=1)
    return np.sum(np.where(np.isinf(r), 0.0, r) ** 2)


def hmm_forward(log_pi, log_A, log_B):
    """A left-to-right HMM's log-likelihood: forbidden transitions at -inf."""
    alpha = log_pi + log_B[0]
    for t in range(1, log_B.shape[0]):
        alpha = np.logaddexp.reduce(alpha[:, None] + log_A, axis=0) + log_B[t]
    return np.logaddexp.reduce(alpha)


def _masked_cases():
    rng = np.random.default_rng(3)
    inf = np.inf
    A = rng.standard_normal((2, 3))
    with np.errstate(divide="ignore"):   # (log 0: the forbidden transitions)
        log_A = np.log(np.array([[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.0, 0.0, 1.0]]))
        log_pi = np.log(np.array([1.0, 0.0, 0.0]))
    return [(masked_reduce, (_a(2), ad.Const(np.array([-inf, -inf])))),
            (masked_pair, (_a(2), ad.Const(np.array([-inf, -inf])))),
            (masked_rows, (Duplicated(A, np.zeros_like(A)), ad.Const(np.array([[0.0, -inf, 0.5], [-inf, -inf, -inf]])))),
            (hmm_forward, (ad.Const(log_pi), ad.Const(log_A), _a(4, 3))),
            (masked_logsumexp, (Duplicated(A, np.zeros_like(A)), ad.Const(np.array([[0.0, -inf, 0.5], [-inf, -inf, -inf]]))))]


@pytest.mark.parametrize("case", range(5))
def test_every_element_at_minus_infinity(case):
    """All the elements a log-sum-exp reduces at -inf (masked, forbidden transitions): each one's
    share ``exp(a - ans)`` was ``exp(-inf - -inf)``, nan, and every gradient of an HMM's
    log-likelihood was nan (a search). An element at -inf has no share."""
    import warnings
    f, args = _masked_cases()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # (numpy's -inf - -inf, taken out by the where)
        check_everywhere(f, *args, out=(), tapes=("autograd",))
