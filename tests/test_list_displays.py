"""A list written out, made of a constant repeated (``[None] * 4``) or by a comprehension
over a constant range, and read only by constant indices, is one name per index
(``frontend/dicts.py``): the stages of a Runge-Kutta step stored into ``k = [None] * 4``
or written in place into ``k = [np.zeros_like(y) for _ in range(4)]`` were refused.
Every entry point against finite differences; a list of one array repeated
(``[a] * 2``: one array twice) is refused (its gradient was wrong)."""
import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient, check_primal_annotated

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def _rhs(y, k):
    return -k * y + 0.3 * np.sin(y)


def rk4_stages_stored(y, out, dt):
    k = [None] * 4
    k[0] = _rhs(y, 1.5)
    k[1] = _rhs(y + 0.5 * dt * k[0], 1.5)
    k[2] = _rhs(y + 0.5 * dt * k[1], 1.5)
    k[3] = _rhs(y + dt * k[2], 1.5)
    out[:] = y + dt / 6 * (k[0] + 2 * k[1] + 2 * k[2] + k[-1])


def rk4_stages_written_in_place(y, out, dt, steps):
    for _ in range(steps):
        k = [np.zeros_like(y) for _ in range(4)]
        k[0][:] = _rhs(y, 1.5)
        k[1][:] = _rhs(y + 0.5 * dt * k[0], 1.5)
        k[2][:] = _rhs(y + 0.5 * dt * k[1], 1.5)
        k[3][:] = _rhs(y + dt * k[2], 1.5)
        y = y + dt / 6 * (k[0] + 2 * k[1] + 2 * k[2] + k[3])
    out[:] = y


def numbers_by_index(x):
    c = [0.0] * 3
    c[0] = x[0] * 2.0
    c[2] = c[0] * x[1]
    c[1] += c[2] ** 2
    return c[0] + c[1] - c[-1]


def comprehension_reads_its_index(x, out):
    w = [x * (i + 1.0) for i in range(1, 4)]
    w[1] *= w[0]
    out[:] = w[0] + w[1] + w[2]


def written_out(x, y, out):
    pair = [x, y * 2.0]
    pair[0][1:] += pair[1][:-1]   # (pair[0] is x itself: x is written)
    out[:] = pair[0] * pair[-1]


def one_array_twice(x):
    k = [np.zeros(3)] * 2   # (one array: a write through k[0] is seen through k[1])
    k[0][:] = x * 2.0
    return np.sum(k[1] * x)


def _y():
    return np.array([0.3, -0.2, 0.9])


def _d(v):
    return Duplicated(v.copy(), np.zeros_like(v))


CASES = [
    (rk4_stages_stored, lambda: (_d(_y()), _d(np.zeros(3)), Active(0.1)), ("out",)),
    (rk4_stages_written_in_place, lambda: (_d(_y()), _d(np.zeros(3)), Active(0.1), Const(3)), ("out",)),
    (numbers_by_index, lambda: (_d(_y()),), ()),
    (comprehension_reads_its_index, lambda: (_d(_y()), _d(np.zeros(3))), ("out",)),
    (written_out, lambda: (_d(_y()), _d(_y() + 1.0), _d(np.zeros(3))), ("x", "out")),
]


@pytest.mark.parametrize("f, args, out", CASES, ids=[c[0].__name__ for c in CASES])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


@pytest.mark.parametrize("f, args, out", CASES, ids=[c[0].__name__ for c in CASES])
def test_arrays_left_as_numpy_leaves_them(f, args, out):
    check_primal_annotated(f, args())


def rows_repeated(x):
    L = [[0.0] * 3] * 2   # (one row twice: L[1] is L[0])
    L[0][1] = x[0]
    return L[1][1] * x[1]


def number_rows_written(x):
    c = [[1.0, 0.5]] * 3   # (one list of numbers three times, written through c[0])
    c[0][1] = x[0]
    return c[2][1] * x[1]


def repeated_in_a_branch(x):
    if x[0] > 0:
        t = [np.zeros(3)]
    else:
        t = [np.ones(3)]
    k = t * 2
    k[0][:] = x ** 2
    return np.sum(k[1] * x)


def a_tuple_repeated(x):
    k = (np.zeros(3),) * 2
    k[0][:] = x ** 2
    return np.sum(k[1] * x)


def joined_with_itself(x):
    a = np.zeros(3)
    k = [a] + [a]
    k[0][:] = x ** 2
    return np.sum(k[1] * x)


def list_added_to_itself(x):
    k = [np.zeros(3)]
    k = k + k
    k[0][:] = x ** 2
    return np.sum(k[1] * x)


def repeated_a_given_number_of_times(x, n):
    k = [np.zeros(3)] * n
    k[0][:] = x ** 2
    return np.sum(k[1] * x)


@pytest.mark.parametrize("f", [one_array_twice, rows_repeated, number_rows_written, repeated_in_a_branch,
                               a_tuple_repeated, joined_with_itself, list_added_to_itself])
def test_one_object_repeated_is_refused_at_its_line(f):
    """Python's list holds the one object at every index (the gradient was 2x where 4x is right,
    and [0, x0, 0] where [x1, x0, 0] is); refused before any mode runs."""
    for run in (lambda: ad.gradient(f, _y()), lambda: ad.autodiff(ad.Forward, f, ad.Duplicated, _d(_y())),
                lambda: ad.gradient(f, _y(), backend="numba")):
        with pytest.raises(ad.AdCompilerError, match="repeated or joined with itself") as e:
            run()
        assert e.value.filename == __file__ and e.value.construct.startswith(("k = ", "L = ", "c = "))


def test_repeated_a_given_number_of_times_is_refused_at_its_line():
    """(an IndexError from the kinds before)"""
    with pytest.raises(ad.AdCompilerError, match="repeated or joined") as e:
        ad.autodiff(ad.Reverse, repeated_a_given_number_of_times, Active, _d(_y()), Const(2))
    assert e.value.filename == __file__


def loss_of_stages(y):
    out = np.zeros(3)
    rk4_stages_stored(y, out, 0.1)
    return np.sum(out * out)


def loss_of_stages_in_place(y):
    out = np.zeros(3)
    rk4_stages_written_in_place(y, out, 0.1, 3)
    return np.sum(out * out)


@pytest.mark.parametrize("f", [numbers_by_index, loss_of_stages, loss_of_stages_in_place])
def test_numba_backend(f):
    check_numba_gradient(f, _d(_y()))


def test_second_order_of_stages():
    y, v = _y(), np.array([0.2, -0.4, 0.1])
    got = ad.hvp(loss_of_stages, (y.copy(),), (v,))[0]
    eps = 1e-5
    want = (ad.gradient(loss_of_stages, y + eps * v)[0] - ad.gradient(loss_of_stages, y - eps * v)[0]) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


# --- stages stored by a loop's index: refused (the derivative took the list for one of numbers) ---

def _pendulum(y):
    return np.array([y[1], -np.sin(y[0])])


def rk_stages_by_loop_index(y0, dt):
    y = y0.copy()
    for _ in range(2):
        k = [None] * 4
        for s in range(4):
            ys = y if s == 0 else y + dt * (0.5 if s < 3 else 1.0) * k[s - 1]
            k[s] = _pendulum(ys)
        y = y + dt * (k[0] + 2 * k[1] + 2 * k[2] + k[3]) / 6
    return np.sum(y ** 2)


def stage_of_unknown_rank(y0):
    k = [None] * 2
    for s in range(2):
        ys = y0 if s == 0 else y0 * k[s - 1]
        k[s] = _pendulum(ys)
    return np.sum(k[0] + k[1])


def rk_stages_appended(y0, dt):
    y = y0.copy()
    for _ in range(2):
        k = []
        for s in range(4):
            ys = y if s == 0 else y + dt * (0.5 if s < 3 else 1.0) * k[s - 1]
            k.append(_pendulum(ys))
        y = y + dt * (k[0] + 2 * k[1] + 2 * k[2] + k[3]) / 6
    return np.sum(y ** 2)


@pytest.mark.parametrize("f", [rk_stages_by_loop_index, stage_of_unknown_rank])
def test_arrays_stored_by_a_loop_index_are_refused(f):
    """An array whose rank the kinds do not know (a helper's result of a value bound in both arms
    of a conditional) stored by a loop's index into ``[None] * 4``: the list was taken for one of
    numbers and the gradient came out wrong ([-2.87, 0.24] where [-2.29, -0.37] is right)."""
    args = (np.array([0.3, 0.1]), 0.1)[:f.__code__.co_argcount]
    for run in (lambda: ad.gradient(f, *args), lambda: ad.gradient(f, *args, backend="numba")):
        with pytest.raises(ad.AdCompilerError, match="stored as an item of the list `k`") as e:
            run()
        assert e.value.filename == __file__ and e.value.construct.strip() == "k[s] = _pendulum(ys)"


def test_stages_appended_instead():
    """The way out the refusal gives: the stages appended, read by the loop's index."""
    check_everywhere(rk_stages_appended, Duplicated(np.array([0.3, 0.1]), np.zeros(2)), Active(0.1), ret=Active,
                     out=(), tapes=("autograd", "jax", "torch"))
