"""Real numpy code, unchanged: omitted default arguments, ``np.ndarray`` as an
allocator, ranks known through views, and the rules added for it (histogram,
cov, corrcoef, FFT, einsum of any arity, ``ufunc.at``, ``where=``), each
through every entry point (``everywhere.check_everywhere``)."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import (
    Active,
    BatchDuplicated,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    gradient,
)
from adcompiler.testing import check_grads


def D(rng, *shape):
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return Duplicated(x, np.zeros_like(x))


# -- 1. omitted default arguments are Const -------------------------------------------

def damped(x, tol=1e-1, max_iter=3):
    s = 0.0
    for _ in range(max_iter):
        s += np.sum(np.sin(x) * x) * tol
    return s


def test_defaults_reverse_forward_batch_gradient(rng):
    x = rng.standard_normal(4)
    want = 3 * 1e-1 * (np.sin(x) + x * np.cos(x))
    dx = np.zeros(4)
    assert autodiff(Reverse, damped, Active, Duplicated(x, dx)) == (None,)
    np.testing.assert_allclose(dx, want)
    (g,) = gradient(damped, x)
    np.testing.assert_allclose(g, want)
    v = rng.standard_normal(4)
    (t,) = autodiff(Forward, damped, Duplicated, Duplicated(x, v.copy()))
    np.testing.assert_allclose(t, want @ v)
    ((t1, t2),) = autodiff(Forward, damped, Duplicated, BatchDuplicated(x, (v.copy(), np.ones(4))))
    np.testing.assert_allclose([t1, t2], [want @ v, want.sum()])
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, damped, Active, Duplicated)
    dx = np.zeros(4)
    tape, value = fwd(Duplicated(x, dx))
    assert rev(Duplicated(x, dx), 1.0, tape) == (None,)
    np.testing.assert_allclose(dx, want)
    np.testing.assert_allclose(value, damped(x))


def test_defaults_some_given(rng):
    """A default given explicitly is used; the rest are filled."""
    x = rng.standard_normal(3)
    dx = np.zeros(3)
    autodiff(Reverse, damped, Active, Duplicated(x, dx), Const(0.5))
    np.testing.assert_allclose(dx, 3 * 0.5 * (np.sin(x) + x * np.cos(x)))
    check_grads(damped, D(rng, 3), Const(0.5), ret=Active)


def test_defaults_every_mode(rng):
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(damped, D(rng, 3), ret=Active, mode=mode)


# -- 2. np.ndarray as an allocator --------------------------------------------------

def ndarray_scratch(o, x):
    n, m = x.shape
    t = np.ndarray((n, m), dtype=x.dtype)
    for i in range(n):
        t[i, :] = np.sin(x[i, :]) * 2.0
    u = np.ndarray(shape=n)
    u[:] = np.sum(t * t, axis=1)
    o[:] = u * x[:, 0]


def test_ndarray_allocates(rng):
    check_everywhere(ndarray_scratch, D(rng, 3), D(rng, 3, 2), out="o")
