"""Memory the reverse sweep rolls back (``transform/rollback.py``): a step keeps
the region it overwrites, not its temporaries; gradients through every entry
point against finite differences; the arguments end as the primal leaves them."""
from __future__ import annotations

import math

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Const, Duplicated, Reverse, autodiff, memory_report
from adcompiler.errors import BackendError


def burgers(u, T, nu):
    for t in range(T):
        u[1:-1] = u[1:-1] - 0.1 * u[1:-1] * (u[1:-1] - u[:-2]) + nu * (u[2:] - 2 * u[1:-1] + u[:-2])
    return float(np.sum(u ** 2))


def heat_increment(u, T, nu):
    for t in range(T):
        u[1:-1] += nu * u[1:-1] * (u[2:] - 2 * u[1:-1] + u[:-2])


def stencil_2d(U, T):
    for t in range(T):
        U[1:-1, 1:-1] = U[1:-1, 1:-1] * (1.0 - 0.1 * (U[2:, 1:-1] - U[:-2, 1:-1]) * (U[1:-1, 2:] - U[1:-1, :-2]))
    return float(np.sum(np.sin(U)))


def through_view(u, T):
    inner = u[1:-1]
    for t in range(T):
        inner[:] = inner * (u[2:] - u[:-2]) + 0.5 * inner
    return float(np.sum(u * u))


def local_work_array(x, T):
    w = x * 1.0
    for t in range(T):
        w[1:] = w[1:] * w[:-1] + 0.1 * x[1:]
    return float(np.sum(w * w))


def returns_rolled_back_memory(x, T):
    w = np.zeros_like(x)
    w[:] = x
    for t in range(T):
        w[1:] = w[1:] - 0.2 * w[1:] * w[:-1]
    return w


def read_before_the_loop(b, a):
    m = float(np.max(b))
    for i in range(b.shape[0]):
        b[i] = b[i] * b[i] * 0.5 + a[i]
    b *= 0.9
    return m + float(np.sum(b ** 2))


def elementwise_recurrence(s, a, T):
    for t in range(T):
        for i in range(1, s.shape[0]):
            s[i] = s[i] * a[i] + s[i - 1] * s[i]


def D(rng, *shape):
    x = rng.uniform(0.2, 0.8, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = {
    "burgers": (burgers, lambda r: [D(r, 12), Const(5), Active(0.1)], None),
    "heat_increment": (heat_increment, lambda r: [D(r, 9), Const(4), Active(0.2)], "u"),
    "stencil_2d": (stencil_2d, lambda r: [D(r, 5, 6), Const(3)], None),
    "through_view": (through_view, lambda r: [D(r, 8), Const(3)], None),
    "local_work_array": (local_work_array, lambda r: [D(r, 6), Const(4)], None),
    "read_before_the_loop": (read_before_the_loop, lambda r: [D(r, 5), D(r, 5)], None),
    "elementwise_recurrence": (elementwise_recurrence, lambda r: [D(r, 5), D(r, 5), Const(3)], "s"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_entry_point(name, rng):
    f, make, out = CASES[name]
    check_everywhere(f, *make(rng), out=out)


def test_returned_memory_keeps_its_final_values(rng):
    from adcompiler import ReverseWithPrimal
    x = rng.uniform(0.2, 0.8, 7)
    _, w = autodiff(ReverseWithPrimal, returns_rolled_back_memory, Const, Duplicated(x.copy(), np.zeros(7)), Const(6))
    np.testing.assert_array_equal(w, returns_rolled_back_memory(x.copy(), 6))
    # and through a caller, whose reverse sweep seeds the returned array
    seed = rng.uniform(-1, 1, 7)
    dx = np.zeros(7)
    autodiff(Reverse, dot_of_returned, Active, Duplicated(x.copy(), dx), Const(seed))
    h = 1e-6
    fd = np.array([(dot_of_returned(x + h * e, seed) - dot_of_returned(x - h * e, seed)) / (2 * h) for e in np.eye(7)])
    np.testing.assert_allclose(dx, fd, rtol=1e-6, atol=1e-9)


def dot_of_returned(x, seed):
    return float(np.dot(returns_rolled_back_memory(x, 6), seed))


def test_a_step_keeps_one_region():
    n, T = 300, 40
    r = memory_report(burgers, Active, Duplicated(np.linspace(0.1, 0.9, n), np.zeros(n)), Const(T), Active(0.1))
    (loop,) = r.loops
    assert loop.steps == T and loop.bytes_per_step == (n - 2) * 8   # one copy of u[1:-1] per step
    r2 = memory_report(stencil_2d, Active, Duplicated(np.ones((20, 30)), np.zeros((20, 30))), Const(T))
    assert r2.loops[0].bytes_per_step == 18 * 28 * 8


def test_arguments_end_as_the_primal_leaves_them(rng):
    u0 = rng.uniform(0.2, 0.8, 15)
    u, du = u0.copy(), rng.uniform(-1, 1, 15)
    autodiff(Reverse, burgers, Active, Duplicated(u, du), Const(9), Active(0.1))
    want = u0.copy()
    burgers(want, 9, 0.1)
    np.testing.assert_array_equal(u, want)


def _rolled_back_beside_an_unrolled_tuple(vals, da, a, r):
    s = 0.0
    if np.tanh(da[4]) > 0.1:
        da[0] += 1.0
    elif a[0] < 0.2:
        for la1, lb2 in ((da, da), (da, da * 0.5)):
            s += float(np.sum(la1 * lb2)) * 0.1
    for k in range(da.shape[0] - 3, 0, -1):
        if a[k] > 0.7:
            continue
        da[k + 1] /= 2.0 + np.sin(max(a[k], da[k + 1]) / (2.0 + math.cos(da[k] * da[k])))
    s *= r
    return float(s + np.min(a) + np.sum(da) * da[-1])


def test_rollback_of_memory_a_name_bound_on_another_path_may_share():
    """The reverse sweep put back the final values of every name of the memory it
    rolls back, one of them (``da * 0.5`` of an unrolled tuple loop) bound only
    in a branch not taken: a TypeError on None, and in the emitted module an
    UnboundLocalError (found by the random programs). Such memory is taped."""
    da = np.array([-0.41, -0.71, -0.31, -0.95, 0.94])
    a = np.array([0.58, 0.99, -0.91, -0.76, -0.98])
    # autodiff in each mode, split halves with fresh shadows, the emitted module, forward and
    # vector mode (a float result and a written argument: no form of differentiate takes both)
    check_everywhere(_rolled_back_beside_an_unrolled_tuple, Duplicated(np.zeros(7), np.zeros(7)),
                     Duplicated(da, np.zeros(5)), Const(a), Active(0.9))


def neighbour_table(x, dt, nsteps):
    n = x.shape[0]
    nbr = np.zeros((n, n), dtype=np.int64)
    nn = np.zeros(n, dtype=np.int64)
    a = np.zeros(n)
    for s in range(nsteps):
        for i in range(n):
            nn[i] = 0
            for j in range(n):
                if (i + j + s) % 3 != 0:
                    nbr[i, nn[i]] = (j + i + s) % n
                    nn[i] += 1
        for i in range(n):
            a[i] = 0.0
            for k in range(nn[i] - 1):
                a[i] += x[nbr[i, k]] * x[nbr[i, k + 1]]
        x += dt * a


def neighbour_table_loss(x, dt, nsteps):
    neighbour_table(x, dt, nsteps)
    return float(np.sum(x * x))


@pytest.mark.parametrize("f, out", [(neighbour_table, "x"), (neighbour_table_loss, None)])
def test_rolled_back_store_at_an_index_read_from_rolled_back_memory(f, out):
    """A neighbour list rebuilt each step, ``nbr[i, nn[i]] = j; nn[i] += 1``: the
    reverse sweep put ``nbr`` back at an index ``_t4 = nn[i]`` it neither saved nor
    read again (every step's restore at one stale slot: a wrong gradient; with the
    halves run apart, a NameError)."""
    x = np.array([0.3, -0.5, 0.8, 0.2, -0.1, 0.6])
    check_everywhere(f, Duplicated(x, np.zeros(6)), Active(0.7), Const(3), out=out,
                     tapes=("autograd", "torch", "jax"))


def scatter_pairs(x, y, idx, nsteps):
    for s in range(nsteps):
        y[idx[s]:idx[s] + 2] = x[idx[s]:idx[s] + 2] * x[idx[s] + 1:idx[s] + 3]


def scatter_scaled(x, y, idx):
    for k in range(idx.shape[0]):
        y[idx[k] * 2:idx[k] * 2 + 2] = np.sin(x[k:k + 2]) * x[k:k + 2]


def stepped_through_a_window(x, idx, nsteps):
    n = x.shape[0]
    a = np.zeros(n)
    for s in range(nsteps):
        a[idx[s]:idx[s] + 3] = x[idx[s]:idx[s] + 3] * x[idx[s] + 1:idx[s] + 4]
        x += a


def window_from_memory(x, dt, nsteps):
    n = x.shape[0]
    lo = np.zeros(2, dtype=np.int64)
    a = np.zeros(n)
    for s in range(nsteps):
        lo[0] = s % 3
        lo[1] = lo[0] + 3
        a[lo[0]:lo[1]] = x[lo[0]:lo[1]] * x[lo[0]:lo[1]]
        x += dt * a


def window_from_an_argument(x, lo, dt, nsteps):
    n = x.shape[0]
    a = np.zeros(n)
    for s in range(nsteps):
        lo[0] = (lo[0] + 1) % 3
        a[lo[0]:lo[0] + 3] = x[lo[0]:lo[0] + 3] * x[lo[0] + 1:lo[0] + 4]
        x += dt * a


def row_store_after_an_index(x, Y, idx):
    for s in range(idx.shape[0]):
        Y[idx[s] + 1] = x[s:s + 3] * x[s:s + 3][::-1]


def bounds_through_a_call(x, y, c):
    for s in range(c.shape[0]):
        y[int(c[s]):int(c[s]) + 2] = x[s:s + 2] * x[s + 1:s + 3]


X6 = [0.31, -0.52, 0.83, 0.24, -0.13, 0.65]


def _dup(v):
    v = np.array(v, dtype=float)
    return Duplicated(v, np.zeros_like(v))


@pytest.mark.parametrize("f, make, out", [
    (scatter_pairs, lambda: [_dup(X6), _dup([0.2, 0.7, -0.4, 0.9, 0.15, -0.35]), Const(np.array([1, 2, 0, 1])),
                             Const(4)], "y"),
    (scatter_scaled, lambda: [_dup(X6), _dup(np.zeros(8)), Const(np.array([1, 3, 0, 1, 2]))], "y"),
    (stepped_through_a_window, lambda: [_dup(X6), Const(np.array([1, 2, 0, 1])), Const(4)], "x"),
    (window_from_memory, lambda: [_dup(X6), Active(0.3), Const(3)], "x"),
    (window_from_an_argument, lambda: [_dup(X6), Const(np.array([0, 0])), Active(0.3), Const(3)], None),
    (row_store_after_an_index, lambda: [_dup(X6), _dup(np.linspace(0.1, 1.2, 12).reshape(4, 3)),
                                        Const(np.array([1, 0, 2, 1]))], "Y"),
    (bounds_through_a_call, lambda: [_dup(X6), _dup(np.linspace(0.1, 0.6, 6)), Const(np.array([1.2, 2.7, 0.1, 1.9]))],
     "y"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_slice_store_with_bounds_computed_on_its_line(f, make, out):
    """``y[idx[s]:idx[s] + 2] = ...``: the shadow of the region overwritten was zeroed
    after the line's pops had put back the bound ``_t13 = idx[s] + 2`` of the step
    before (the region of another step zeroed: wrong gradients on every entry point,
    backend and checkpoint)."""
    check_everywhere(f, *make(), out=out, tapes=("autograd", "torch", "jax"))
    from optional import require
    require("numba")
    results = []
    for backend in ("numpy", "numba"):
        args = make()
        for a in args:
            if isinstance(a, Duplicated):
                a.dval[...] = np.linspace(0.5, 1.5, a.dval.size).reshape(a.dval.shape)
        try:
            derivs = autodiff(Reverse, f, Const, *args, backend=backend)
        except BackendError:   # (refused at the line: auto runs numpy)
            derivs = autodiff(Reverse, f, Const, *args, backend="auto")
        results.append([a.dval for a in args if isinstance(a, Duplicated)] + [d for d in derivs if d is not None])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10)


def table_indexed_by_itself(x, dt, nsteps):
    n = x.shape[0]
    p = np.zeros(n, dtype=np.int64)
    a = np.zeros(n)
    for i in range(n):
        p[i] = i
    for s in range(nsteps):
        p[p[0]] = (p[0] + s) % n          # at s = 1, p[0] == 0: the store writes the index it read
        for i in range(n):
            a[i] = x[p[i]] * x[i]
        x += dt * a


def test_rolled_back_store_at_an_index_read_from_its_own_region():
    """``p[p[0]] = ...``: the reverse sweep read the index ``p[0]`` again where the
    store had overwritten it, and put the old value back in another slot."""
    check_everywhere(table_indexed_by_itself, _dup(X6), Active(0.3), Const(3), out="x",
                     tapes=("autograd", "torch", "jax"))


def name_bound_in_a_tuple(y, x, idx):
    for s in range(3):
        a, y[a:a + 2] = idx[s], x[s:s + 2] * 2.0
    return np.sum(y ** 2)


def name_bound_before_a_semicolon(y, x):
    i = 0
    for s in range(3):
        i = i + 2; y[i - 2:i] = x[i - 2:i] * 2.0
    return np.sum(y ** 2)


def name_counted_in_a_while(y, x):
    i = 0
    while i < 4:
        i += 1; y[i:i + 2] = x[i:i + 2] * 2.0
    return np.sum(y ** 2)


def name_bound_in_a_one_line_if(y, x, idx):
    a = 0
    for s in range(3):
        if x[s] > -5.0: a = idx[s]; y[a:a + 2] = x[s:s + 2] * 2.0
    return np.sum(y ** 2)


Y7 = [0.3, -0.8, 0.5, 1.1, -0.4, 0.9, 0.2]
X7 = [0.7, -0.2, 0.6, -1.3, 0.8, 0.1, -0.5]


@pytest.mark.parametrize("f, make", [
    (name_bound_in_a_tuple, lambda: [_dup(Y7), _dup(X7), Const(np.array([3, 0, 1]))]),
    (name_bound_before_a_semicolon, lambda: [_dup(Y7), _dup(X7)]),
    (name_counted_in_a_while, lambda: [_dup(Y7), _dup(X7)]),
    (name_bound_in_a_one_line_if, lambda: [_dup(Y7), _dup(X7), Const(np.array([3, 0, 1]))]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_slice_store_with_bounds_bound_on_its_line(f, make):
    """``a, y[a:a + 2] = idx[s], ...``: the line's pops put back ``a`` (of the step
    before) before the shadow of the region was zeroed (the region of another step)."""
    check_everywhere(f, *make())
    for ck in (1, 2):
        got, want = make(), make()
        autodiff(Reverse, f, Active, *got, checkpoint=ck)
        autodiff(Reverse, f, Active, *want)
        for g, w in zip(got, want):
            if isinstance(g, Duplicated):
                np.testing.assert_allclose(g.dval, w.dval, rtol=1e-12)
