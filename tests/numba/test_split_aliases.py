"""Split halves under numba of kernels updating an argument with ``y += e``, ``x *= x``,
``x /= x.sum()``: Python binds the name again to the same array, and the halves record
that name's shadow as a view of the argument's, a reference the typed tape does not carry.
It is the argument's own shadow in the reverse half: nothing is recorded. Checked as the
tapes drive the halves (fresh shadows), against finite differences and the numpy backend."""
from __future__ import annotations

import numpy as np
import pytest
from numba_engine import Numba, split_run
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    ReverseSplitWithPrimal,
    differentiate,
)
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

RNG = np.random.default_rng(11)


def accumulate(y, x):
    y += np.tanh(x)


def normalise(x):
    x *= x
    x /= x.sum()


def in_a_loop(y, x, w):
    for k in range(3):
        y += w * np.sin(x + k)
        y *= 0.9


def element_loop(y, x):
    n = x.shape[0]
    for i in range(n):
        y[i] += x[i] * x[i]
    y *= 2.0


def branch(y, x, c):
    if c > 0.0:
        y += x * c
    else:
        y -= x
    return float(np.sum(y * y))


def loss_scratch(x, work):
    work *= 0.0
    work += x * x
    return float(np.sum(np.sin(work)))


def _cubic_rhs(y, out):
    out[:] = -y ** 3 + 0.5 * y


def rk4_buffers(y, h, n):
    """Work arrays filled by a helper at each step, then ``y += ...``: the argument under its
    second name (``y_1 = y``) is passed to the helper's forward half, which ignores its shadow."""
    k1 = np.empty_like(y)
    k2 = np.empty_like(y)
    for _ in range(n):
        _cubic_rhs(y, k1)
        _cubic_rhs(y + 0.5 * h * k1, k2)
        y += h * (k1 + k2) / 2


def _dup(*shape):
    x = RNG.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (accumulate, lambda: (_dup(5), _dup(5)), Const),
    (normalise, lambda: (_dup(6),), Const),
    (in_a_loop, lambda: (_dup(4), _dup(4), _dup(4)), Const),
    (element_loop, lambda: (_dup(5), _dup(5)), Const),
    (branch, lambda: (_dup(4), _dup(4), Const(0.7)), Active),
    (branch, lambda: (_dup(4), _dup(4), Const(-0.7)), Active),
    (loss_scratch, lambda: (_dup(5), _dup(5)), Active),
    (rk4_buffers, lambda: (_dup(3), Const(0.1), Const(3)), Const),
]
IDS = [f"{f.__name__}{k}" for k, (f, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("f, args, ret", CASES, ids=IDS)
def test_split_halves_compile_and_are_right(f, args, ret):
    check_grads(f, *args(), ret=ret, mode=ReverseSplitWithPrimal, engine=Numba)
    a = args()
    for v in a:
        if isinstance(v, Duplicated):
            v.dval[...] = RNG.standard_normal(v.dval.shape)
    want = split_run(f, a, ret, "numpy")
    got = split_run(f, a, ret, "numba")
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        if isinstance(w, np.ndarray):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


def test_under_the_tapes():
    torch, jax = require("torch"), require("jax")
    jax.config.update("jax_enable_x64", True)
    x = RNG.uniform(0.5, 1.5, 5)
    f = differentiate(accumulate, out="y", like="x", backend="numba")
    want = 1 - np.tanh(x) ** 2
    xt = torch.tensor(x, requires_grad=True)
    torch.sum(f(xt)).backward()
    np.testing.assert_allclose(xt.grad.numpy(), want, rtol=1e-12)
    g = jax.grad(lambda v: jax.numpy.sum(f(v)))(jax.numpy.asarray(x))
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-12)
    import autograd
    import autograd.numpy as anp
    s = differentiate(loss_scratch, scratch="work", backend="numba")
    g2 = autograd.grad(lambda v: s(v, np.zeros(5)) * 2.0)(x)
    np.testing.assert_allclose(g2, 2.0 * np.cos(x * x) * 2 * x, rtol=1e-12)
    del anp
    # (work arrays filled by a helper, then ``y += ...``: the split halves the tapes drive)
    y0 = RNG.uniform(0.5, 1.5, 3)
    runs = [autograd.grad(lambda v, f=f: np.sum(np.sin(f(v, 0.1, 3))))(y0) for f in (
        differentiate(rk4_buffers, out="y", const=("h", "n"), backend=b) for b in ("numba", "numpy"))]
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-12)


def aliased_then_other(y, x):
    z = y
    z += x
    z = x * 2.0   # (the name bound to another array: not the argument any more)
    y += z


def test_a_name_bound_to_other_arrays_stays_refused_or_right():
    """A name that is the argument at one point and another array at another is no alias:
    the halves are refused under numba (or right), never a shadow of the wrong array."""
    args = lambda: (_dup(4), _dup(4))
    try:
        check_grads(aliased_then_other, *args(), mode=ReverseSplitWithPrimal, engine=Numba)
    except BackendError as e:
        assert "test_split_aliases.py" in str(e)


def _grow(a, b):
    a += b * b


def passed_to_a_helper(y, x):
    _grow(y, x)
    y *= 2.0


def test_an_alias_passed_to_a_helper_stays_refused_or_right():
    """The argument under another name passed on to a helper's halves: its shadow is read
    there, so nothing may be dropped (a dropped binding read as a missing name)."""
    try:
        check_grads(passed_to_a_helper, _dup(4), _dup(4), mode=ReverseSplitWithPrimal, engine=Numba)
    except BackendError as e:
        assert "test_split_aliases.py" in str(e) and "NameError" not in str(e)
