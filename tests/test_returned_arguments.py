"""A helper that returns one of its own arguments as an item of a tuple (a flux
function ``return hu, hu * hu / h``): the caller's name is bound to the caller's
own array, writes through it reach that array, and every entry point agrees with
finite differences and numpy (``frontend/tuple_returns.py``). These were refused
before ("returns the memory of its argument inside a tuple")."""
import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient, check_primal_annotated

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def _flux(h, hu):
    return hu, hu * hu / h + 0.5 * 9.81 * h * h


def shallow_water_flux(h, hu, out):
    f1, f2 = _flux(h, hu)
    out[:] = 2.0 * f1 + f2 * f2


def _flux_rows(U):
    return _flux(U[0], U[1])


def flux_of_rows(U, out):
    f1, f2 = _flux(U[0], U[1])   # (arguments that are views: bound once)
    out[:] = f1 * f2


def _scaled(v, c):
    v[:] = v * c
    return v, np.sum(v * v)


def written_through_the_item(x, y):
    w = x * 1.0
    a, s = _scaled(w, 2.0)
    a[0] = s            # (a is w)
    y[:] = w * 3.0 + a


def _both(a, b, c):
    return a, b, a * b * c


def two_items_of_three(x, y, out):
    p, q, r = _both(x, y, 0.5)
    out[:] = p * r + q


def tuple_kept_whole(x, y, out):
    t = _both(x, y, c=1.5)
    out[:] = t[0] * t[2] - t[1]


def _only_args(a, b):
    b[:] = b * a
    return a, b


def only_arguments(x, y, out):
    p, q = _only_args(x, y)
    out[:] = p + q * q


def by_keyword(h, hu, out):
    f1, f2 = _flux(hu=hu[::-1], h=h)   # (the item given by keyword, a view: bound once)
    f1[0] = f2[1]                      # (f1 is hu[::-1]: hu[-1] is written)
    out[:] = f1 * f2


def in_a_loop(h, hu, out, steps):
    for _ in range(steps):
        f1, f2 = _flux(h, hu)
        out[:] = out + 0.1 * (f1 + f2)


def scalar_items(h, hu, out):
    for i in range(h.shape[0]):
        f1, f2 = _flux(h[i], hu[i])
        out[i] = f1 * f2


def _dup(h, hu):
    return hu, h


def swapped_in_a_branch(h, hu, out, flip):
    if flip:
        a, b = _dup(h, hu)
    else:
        b, a = _dup(hu, h)
    out[:] = a * 2.0 + b * b


def _h():
    return np.array([1.2, 0.8, 1.5, 2.0])


def _hu():
    return np.array([0.3, -0.4, 0.7, 0.1])


def _d(x):
    return Duplicated(x.copy(), np.zeros_like(x))


CASES = [
    (shallow_water_flux, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4))), ("out",)),
    (flux_of_rows, lambda: (_d(np.stack([_h(), _hu()])), _d(np.zeros(4))), ("out",)),
    (written_through_the_item, lambda: (_d(_h()), _d(np.zeros(4))), ("y",)),
    (two_items_of_three, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4))), ("out",)),
    (tuple_kept_whole, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4))), ("out",)),
    (only_arguments, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4))), ("y", "out")),
    (in_a_loop, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4)), Const(3)), ("out",)),
    (by_keyword, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4))), ("hu", "out")),
    (scalar_items, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4))), ("out",)),
    (swapped_in_a_branch, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4)), Const(True)), ("out",)),
    (swapped_in_a_branch, lambda: (_d(_h()), _d(_hu()), _d(np.zeros(4)), Const(False)), ("out",)),
]


@pytest.mark.parametrize("f, args, out", CASES, ids=[f"{c[0].__name__}{k}" for k, c in enumerate(CASES)])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


@pytest.mark.parametrize("f, args, out", CASES, ids=[f"{c[0].__name__}{k}" for k, c in enumerate(CASES)])
def test_primal_and_arrays_left_as_numpy_leaves_them(f, args, out):
    check_primal_annotated(f, args())


def _loss_of(f):
    def loss(h, hu):
        out = np.zeros(4)
        f(h, hu, out)
        return np.sum(out * out)
    return loss


@pytest.mark.parametrize("f", [shallow_water_flux, two_items_of_three, scalar_items])
def test_numba_backend(f):
    check_numba_gradient(_loss_of(f), Duplicated(_h(), np.zeros(4)), Duplicated(_hu(), np.zeros(4)))


def test_second_order():
    loss = _loss_of(shallow_water_flux)
    h, hu = _h(), _hu()
    v = np.array([0.3, -0.1, 0.2, 0.5])
    got = ad.hvp(loss, (h.copy(), hu.copy()), (v, np.zeros(4)))[0]
    eps = 1e-5
    want = (ad.gradient(loss, h + eps * v, hu.copy())[0] - ad.gradient(loss, h - eps * v, hu.copy())[0]) / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def _view_item(v):
    return v[1:], np.sum(v)


def view_item(x, y):
    a, s = _view_item(x)
    y[:3] = a * s


def test_a_view_of_an_argument_in_the_tuple_is_still_refused_at_its_line():
    with pytest.raises(ad.AdCompilerError, match="inside a tuple") as e:
        ad.autodiff(ad.Reverse, view_item, None, _d(_h()), _d(np.zeros(4)))
    assert e.value.filename == __file__ and "return v[1:], np.sum(v)" in e.value.construct


def test_active_scalar_argument_returned_in_the_tuple():
    def _pair(c, v):
        return c, v * c

    def f(c, v):
        a, w = _pair(c, v)
        return a * np.sum(w)
    v = np.array([0.5, 1.5])
    got = ad.autodiff(ad.Reverse, f, Active, Active(0.7), Duplicated(v.copy(), np.zeros(2)))
    assert np.isclose(got[0], 2 * 0.7 * np.sum(v))
