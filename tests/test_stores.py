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

from adcompiler import Const, Duplicated, Reverse, autodiff

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
