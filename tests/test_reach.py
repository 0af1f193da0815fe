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


# -- 3. kind inference keeps every rank it can know -----------------------------------

def flip_dot(x, y, k):
    b = 1.0
    b *= 1.0 - np.dot(np.flip(x[:k]), y[:k])
    return b


def views_then_update(x, y):
    b = 1.0
    b *= np.sum(np.squeeze(np.expand_dims(x, 0), axis=0)) + np.dot(np.roll(x, 1), y)
    b *= np.dot(np.flipud(x), y) * np.dot(np.atleast_1d(x), y) + np.dot(np.moveaxis(x, 0, 0), y)
    b *= np.dot(np.reshape(x, -1), y) + np.dot(np.rot90(np.reshape(x, (2, 2)))[0], y[:2])
    b *= np.dot(np.tile(x, 1), y) + np.dot(np.repeat(x, 1), y) + np.dot(np.pad(x, 1)[1:5], y)
    b *= np.dot(np.take(x, np.arange(4)), y) + np.dot(np.broadcast_to(x, (4,)), y)
    b *= np.sum(np.matmul(np.reshape(x, (2, 2)), y[:2])) + np.tensordot(x, y, 1)
    b *= np.sum(np.linalg.solve(np.eye(2) * 3.0 + np.reshape(x, (2, 2)), y[:2]))
    return b


def test_flip_dot_is_a_scalar(rng):
    check_everywhere(flip_dot, D(rng, 5), D(rng, 5), Const(3))


def test_views_keep_their_rank(rng):
    check_everywhere(views_then_update, D(rng, 4), D(rng, 4))


@pytest.mark.parametrize("expr, ndim", [
    ("np.flip(x)", 2), ("np.fliplr(x)", 2), ("np.roll(x, 1)", 2), ("np.transpose(x)", 2),
    ("np.swapaxes(x, 0, 1)", 2), ("np.moveaxis(x, 0, 1)", 2), ("np.squeeze(x, axis=0)", 1),
    ("np.squeeze(x)", None), ("np.expand_dims(x, 0)", 3), ("np.expand_dims(x, (0, 1))", 4),
    ("np.reshape(x, (2, 3, 1))", 3), ("np.reshape(x, -1)", 1), ("np.ravel(x)", 1), ("np.rot90(x)", 2),
    ("np.atleast_3d(x)", 3), ("np.tile(x, (2, 1, 1))", 3), ("np.repeat(x, 2)", 1),
    ("np.repeat(x, 2, axis=0)", 2), ("np.pad(x, 1)", 2), ("np.take(x, [0, 1], axis=1)", 2),
    ("np.broadcast_to(x, (4, 2, 3))", 3), ("np.dot(x, x.T)", 2), ("np.dot(x, x[0])", 1),
    ("np.matmul(x, x[0])", 1), ("np.tensordot(x, x, 2)", 0), ("np.kron(x, x)", 2),
    ("np.linalg.inv(x)", 2), ("np.real(x)", 2),
])
def test_result_rank(expr, ndim):
    import linecache

    from adcompiler.analysis.kinds import array
    from adcompiler.pipeline import analyse
    ns = {"np": np}
    src = f"def f(x):\n    y = {expr}\n    return np.sum(y)\n"
    name = f"<reach {expr}>"
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)
    exec(compile(src, name, "exec"), ns)  # noqa: S102 - a one-line kernel written above
    kinds = analyse(ns["f"], (array(2, "f"),)).kinds
    k = kinds["y"]
    want = 0 if ndim == 0 else ndim
    if want == 0:
        assert k.cls == "array" and k.ndim == 0 or k.cls == "float", k
    else:
        assert k.cls == "array" and k.ndim == want, (expr, k)
