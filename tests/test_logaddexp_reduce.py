"""``np.logaddexp.reduce`` and ``np.logaddexp2.reduce``: numpy's spelling of log-sum-exp
(``log(sum(exp(a)))``, along ``axis``, with ``keepdims``). They had no rule (refused); each
element's adjoint is its share of the sum, ``exp(a - ans)``. Checked at every entry point against
finite differences, at large values (where exp overflows) against the softmax, and on the tapes."""
from __future__ import annotations

import numpy as np
import pytest
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
