"""``+x`` of an array is a new array (numpy's ``positive``), not ``x``: it was taken for ``x``
itself, so a write to ``z = +x`` wrote ``x`` (a wrong primal, and gradients 9 times too large,
silently, at every entry point). Checked at every entry point against finite differences, on
the three tapes and under numba."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Active, Duplicated, ReverseWithPrimal, autodiff


def scaled_copy(x):
    z = +x
    z *= 3.0
    return np.sum(x * x) + np.sum(z)


def copied_out(x, y):
    z = +x
    z *= 3.0
    y[:] = x + 0.5 * z


def slice_copy(x):
    z = +x[1:]
    z *= 3.0
    return np.sum(x ** 2) + np.sum(z ** 2)


def _positive(v):
    return +v


def through_helper(x):
    z = _positive(x)
    z *= 3.0
    return np.sum(x * x * z)


def scalar_plus(x, a):
    b = +a
    b *= 2.0
    return np.sum(x * a) + b + (+1.5)


def _d(*shape, seed=1):
    x = np.random.default_rng(seed).standard_normal(shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [(scaled_copy, lambda: (_d(4),), ()),
         (copied_out, lambda: (_d(4), _d(4, seed=2)), "y"),
         (slice_copy, lambda: (_d(5),), ()),
         (through_helper, lambda: (_d(4),), ()),
         (scalar_plus, lambda: (_d(3), Active(0.7)), ())]


@pytest.mark.parametrize("f, args, out", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


def test_primal_and_argument_left_as_numpy_leaves_them():
    x = np.array([1.0, 2.0])
    dx = np.zeros(2)
    _, value = autodiff(ReverseWithPrimal, scaled_copy, Active, Duplicated(x, dx))
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert value == pytest.approx(5.0 + 9.0)
    np.testing.assert_allclose(dx, 2 * x + 3.0)


@pytest.mark.parametrize("f", [scaled_copy, slice_copy])
def test_numba(f):
    check_numba_gradient(f, _d(5))
