"""Statements with several stores (``a, b = ...``, ``a = b = ...``) whose values
are views of memory an earlier store of the same statement writes: numpy's
views see that store, and the derivative follows them. The primal ran right,
but every reverse entry point differentiated a true swap (``x[:], y[:] = y, x``
gave ``dx = 100, dy = 1`` for seeds 1 and 100, where the answer is 0 and 101)."""
from __future__ import annotations

import kernels_stores as K
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import AdCompilerError, Const, Duplicated, Forward, Reverse, autodiff

rng = np.random.default_rng(5)


def D(*shape):
    x = rng.standard_normal(shape)
    return Duplicated(x, np.zeros_like(x))


CASES = {
    "swap_args": (K.swap_args, lambda: (D(3), D(3)), ("x", "y")),
    "swap_rows": (K.swap_rows, lambda: (D(2, 3),), "A"),
    "rotate_rows": (K.rotate_rows, lambda: (D(3, 3),), "A"),
    "mixed_targets": (K.mixed_targets, lambda: (D(2, 3), D(3)), ("A", "x")),
    "chained_reversed": (K.chained_reversed, lambda: (D(3), D(3)), ("x", "y")),
    "bubble_rows": (K.bubble_rows, lambda: (D(4, 2),), "A"),
    "zip_swap": (K.zip_swap, lambda: (D(4, 2),), "A"),
    "store_and_name": (K.store_and_name, lambda: (D(2, 3), D(3)), ("A", "x")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_everywhere(name):
    f, args, out = CASES[name]
    check_everywhere(f, *args(), ret=Const, out=out, tapes=("autograd", "torch", "jax"))


def test_swap_of_views_seeds():
    x, y = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    dx, dy = np.ones(3), np.full(3, 100.0)
    autodiff(Reverse, K.swap_args, Const, Duplicated(x, dx), Duplicated(y, dy))
    np.testing.assert_allclose(x, [10.0, 20.0, 30.0])
    np.testing.assert_allclose(y, [10.0, 20.0, 30.0])
    np.testing.assert_allclose(dx, 0.0)
    np.testing.assert_allclose(dy, 101.0)


def out_into_selection(y, a, idx):
    np.multiply(a, 2.0, out=y[idx])


def sine_into_mask(y, a, m):
    np.sin(a, out=y[m])


def copied_into_selection(y, a, idx):
    np.copyto(y[idx], a)


def assembled_with_out(y, a, conn):
    for e in range(conn.shape[0]):
        np.add(y[conn[e]], a[e], out=y[conn[e]])


@pytest.mark.parametrize("f,index", [(out_into_selection, np.array([0, 2])),
                                     (sine_into_mask, np.array([True, False, True])),
                                     (copied_into_selection, np.array([0, 2])),
                                     (assembled_with_out, np.array([[0, 2]]))])
def test_out_into_an_advanced_selection_is_refused(f, index):
    """numpy writes into a copy of ``y[idx]`` and drops it (``y`` unchanged); read as
    the store ``y[idx] = ...`` it changed ``y`` and the gradient, silently."""
    a = np.array([[1.0, 2.0]]) if f is assembled_with_out else np.array([1.0, 2.0])
    y = np.zeros(3)
    ref = y.copy()
    f(ref, a.copy(), index)
    np.testing.assert_array_equal(ref, 0.0)   # (numpy's own behaviour)
    with pytest.raises(AdCompilerError, match=r"test_stores\.py:\d+: .*a copy of the selection"):
        autodiff(Reverse, f, Const, Duplicated(y, np.ones(3)), Duplicated(a, np.zeros_like(a)), Const(index))
    with pytest.raises(AdCompilerError, match=r"a copy of the selection"):
        autodiff(Forward, f, Const, Duplicated(y, np.ones(3)), Duplicated(a, np.ones_like(a)), Const(index))


def out_into_slices(y, a, i):
    np.multiply(a, 2.0, out=y[2:])
    np.copyto(y[i:i + 1], a[0] * 3.0)


def test_out_into_a_basic_selection_still_writes():
    check_everywhere(out_into_slices, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(np.array([1.0, 2.0]), np.zeros(2)),
                     Const(0), tapes=("autograd", "torch", "jax"))


def through_a_slice_object(y, x, lo):
    s = slice(lo, lo + 2)
    v = y[s]
    v += x[s] ** 2
    w = x[slice(None, 4, 2)]
    y[s] *= w
    return float(np.sum(y[s] * x[s]))


def test_a_view_through_a_slice_object_everywhere():
    """``s = slice(1, 3); v = y[s]; v += ...``: refused as 'array or scalar?' (the
    name bound to a slice had no kind of its own)."""
    check_everywhere(through_a_slice_object, Duplicated(np.linspace(0.1, 0.9, 5), np.zeros(5)),
                     Duplicated(np.arange(1.0, 6.0) / 4, np.zeros(5)), Const(1), tapes=("autograd", "torch", "jax"))
