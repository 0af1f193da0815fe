"""Split halves under numba of functions with local work arrays: the forward half
records a new array's shape for its shadow (the typed tape holds no references)
and the reverse half makes the zero shadow from it. Checked as the tapes drive
the halves (fresh shadows), against finite differences and the numpy backend."""
from __future__ import annotations

import numpy as np
import pytest
from numba_engine import Numba, split_run

from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    differentiate,
)
from adcompiler.testing import check_grads

RNG = np.random.default_rng(5)


def two_passes(x, y):
    n = x.shape[0]
    w = np.zeros(n)
    for i in range(n):
        w[i] = x[i] * x[i]
    for i in range(1, n):
        y[i] = w[i] * w[i - 1]


def grid_smooth(u, out):
    m, n = u.shape
    g = np.empty((m, n))
    for i in range(m):
        for j in range(n):
            g[i, j] = np.sin(u[i, j])
    for i in range(1, m - 1):
        for j in range(1, n - 1):
            out[i, j] = g[i - 1, j] + g[i + 1, j] + g[i, j - 1] * g[i, j + 1]


def per_step_buffer(x, y):
    n = x.shape[0]
    for k in range(3):
        t = np.empty(n)
        for i in range(n):
            t[i] = y[i] * x[i] + 0.1 * k
        for i in range(n):
            y[i] = np.tanh(t[i])


def _fill_squares(r, v):
    for i in range(v.shape[0]):
        r[i] = v[i] * v[i]


def helper_fills_a_local(x, y):
    r = np.empty(x.shape[0])
    _fill_squares(r, x)
    for i in range(y.shape[0]):
        y[i] += r[i] * x[i]


def read_view(x, y):
    t = x[1:]
    for i in range(t.shape[0]):
        y[i] = t[i] * x[i]
    return float(np.sum(y * y))


def rk4_stages(y, p):
    for _ in range(3):
        k1 = np.empty_like(y)
        k2 = np.empty_like(y)
        for i in range(y.shape[0]):
            k1[i] = -p[i] * y[i] * y[i]
        for i in range(y.shape[0]):
            k2[i] = -p[i] * (y[i] + 0.05 * k1[i]) ** 2
        for i in range(y.shape[0]):
            y[i] += 0.05 * (k1[i] + k2[i])


def per_branch_buffer(u, c):
    n = u.shape[0]
    for t in range(4):
        if t % 2 == 0:
            w = u.copy()
        else:
            w = np.zeros(n)
            for i in range(n):
                w[i] = u[i] * c[i]
        for i in range(1, n - 1):
            u[i] = w[i] + 0.2 * (w[i - 1] - 2.0 * w[i] + w[i + 1])


def flattened(A, y):
    v = A.reshape(A.shape[0] * A.shape[1])   # (their adjoints reshape back: _ad_shape had no numba version)
    s = 0.0
    for i in range(v.shape[0]):
        s += v[i] * v[i] * (i + 1.0)
    w = np.ravel(A * A)
    for i in range(y.shape[0]):
        y[i] = w[i] * 2.0 + s


def accepted_steps(y, out):
    """An adaptive step: the state rebound to the new array only where the step is
    accepted (the reverse half's shadow of it was a float, then an array: numba refused)."""
    t, h = 0.0, 0.3
    while t < 1.0:
        ynew = y - h * y ** 3
        if np.max(np.abs(ynew - y)) < 0.5:
            t = t + h
            y = ynew
        h = 0.9 * h
    out[:] = y


def taylor_exp(A, E):
    """exp(A) by its Taylor series, the local X = A / 2 read in every term (its adjoint
    started as a number and became an array: numba could not type it, fused or split)."""
    X = A / 2.0
    T = np.eye(A.shape[0])
    E[:] = T
    for k in range(1, 8):
        T = T @ X / k
        E += T


def _dup(*shape):
    x = RNG.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (two_passes, lambda: (_dup(6), _dup(6)), Const),
    (grid_smooth, lambda: (_dup(5, 4), _dup(5, 4)), Const),
    (per_step_buffer, lambda: (_dup(5), _dup(5)), Const),
    (helper_fills_a_local, lambda: (_dup(4), _dup(4)), Const),
    (read_view, lambda: (_dup(5), _dup(4)), Active),
    (rk4_stages, lambda: (_dup(5), _dup(5)), Const),
    (per_branch_buffer, lambda: (_dup(6), _dup(6)), Const),
    (flattened, lambda: (_dup(2, 3), _dup(4)), Const),
    (accepted_steps, lambda: (_dup(3), _dup(3)), Const),
    (taylor_exp, lambda: (_dup(3, 3), _dup(3, 3)), Const),
]


@pytest.mark.parametrize("f, args, ret", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_split_halves_of_local_arrays_compile_and_are_right(f, args, ret):
    check_grads(f, *args(), ret=ret, mode=ReverseSplitWithPrimal, engine=Numba)
    a = args()
    for v in a:
        v.dval[...] = RNG.standard_normal(v.dval.shape)
    want = split_run(f, a, ret, "numpy")[1]
    for got, exp in zip(split_run(f, a, ret, "numba")[1], want):
        np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-14)


def test_a_tape_runs_the_compiled_halves():
    """autograd drives the halves of a loss with a local work array under numba."""
    import autograd
    x, y = RNG.uniform(0.5, 1.5, 5), np.zeros(4)
    g = autograd.grad(lambda v: differentiate(read_view, backend="numba", scratch="y")(v, y.copy()))(x)
    dx = np.zeros(5)
    autodiff(Reverse, read_view, Active, Duplicated(x.copy(), dx), Duplicated(y.copy(), np.zeros(4)))
    np.testing.assert_allclose(g, dx, rtol=1e-12)


@pytest.mark.parametrize("f, args, ret", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_the_fused_function_of_local_arrays_made_at_each_step(f, args, ret):
    """``autodiff`` runs the fused function, which pushes and pops the shadow of an array
    made at each step itself (``w = u.copy()`` in a time loop): under numba it records the
    shape too (it was refused as "an array name bound more than once" where the split
    halves ran)."""
    check_grads(f, *args(), ret=ret, mode=Reverse, engine=Numba)
    a = args()
    for v in a:
        v.dval[...] = RNG.standard_normal(v.dval.shape)
    got = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    want = [Duplicated(v.val.copy(), v.dval.copy()) for v in a]
    autodiff(Reverse, f, ret, *want)
    autodiff(Reverse, f, ret, *got, backend="numba")
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.dval, w.dval, rtol=1e-12, atol=1e-14)


def ping_pong(u, y):
    n = u.shape[0]
    a = u.copy()
    b = np.zeros(n)
    for _ in range(3):
        for i in range(1, n - 1):
            b[i] = a[i] + 0.1 * (a[i - 1] - 2.0 * a[i] + a[i + 1]) + 0.05 * a[i] * a[i]
        b[0] = a[0]
        b[n - 1] = a[n - 1]
        a, b = b, a
    for i in range(n):
        y[i] = a[i] * b[i]


def test_swapped_buffers_refused_in_split_halves_and_auto_runs_them():
    """``a, b = b, a``: the shadows' identities carry the adjoints between the swaps, which a
    recorded shape would lose; the split halves refuse under numba, auto is right. (The fused
    function keeps them by reference: ``test_buffer_swaps.py``.)"""
    from adcompiler.errors import BackendError
    check_grads(ping_pong, _dup(6), _dup(6), mode=Reverse, engine=Numba)
    for mode in (Reverse, ReverseSplitWithPrimal):
        if mode is ReverseSplitWithPrimal:
            with pytest.raises(BackendError, match="the numba backend cannot compile this"):
                check_grads(ping_pong, _dup(6), _dup(6), mode=mode, engine=Numba)
        u, y = _dup(6), _dup(6)
        y.dval[...] = 1.0
        want = [Duplicated(u.val.copy(), u.dval.copy()), Duplicated(y.val.copy(), y.dval.copy())]
        autodiff(Reverse, ping_pong, Const, *want)
        autodiff(Reverse, ping_pong, Const, u, y, backend="auto")
        np.testing.assert_allclose(u.dval, want[0].dval, rtol=1e-13)


def gather_then_scatter(out, x, idx):
    t = x[idx]
    out[idx] += t * t


def test_a_gathered_local_read_late_in_the_reverse_half():
    """The reverse half binds the gathered ``t`` after its adjoint's first zero: the zero is made
    an array there (it read ``t`` before ``t`` was bound: numba refused the split halves)."""
    idx = np.array([0, 2, 2, 1, 0, 2, 4])
    x = RNG.standard_normal(5)
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(gather_then_scatter, Duplicated(np.zeros(5), np.zeros(5)), Duplicated(x, np.zeros(5)),
                    Const(idx), ret=Const, mode=mode, engine=Numba)
    got = []
    for backend in ("numpy", "numba"):
        fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, gather_then_scatter, Const, Duplicated, Duplicated, Const,
                                  backend=backend)
        out, xv = np.zeros(5), x.copy()
        tape, _ = fwd(Duplicated(out, np.zeros(5)), Duplicated(xv, np.zeros(5)), Const(idx))
        dout, dx = np.linspace(1.0, 2.0, 5), np.zeros(5)
        rev(Duplicated(out, dout), Duplicated(xv, dx), Const(idx), None, tape)
        got.append(dx)
    np.testing.assert_allclose(got[1], got[0], rtol=1e-12)
