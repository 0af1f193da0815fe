"""Memory the reverse sweep rolls back (``transform/rollback.py``): a step keeps
the region it overwrites, not its temporaries; gradients through every entry
point against finite differences; the arguments end as the primal leaves them."""
from __future__ import annotations

import math

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Const, Duplicated, Reverse, autodiff, memory_report


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
