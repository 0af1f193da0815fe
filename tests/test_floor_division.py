"""Floor division of numbers that carry derivatives (``t //= a``, ``t = t // a``) is
piecewise constant: a zero derivative for both operands in every mode, as for arrays
(``np.floor_divide``). Reverse mode refused it while forward mode took it."""
from __future__ import annotations

import numpy as np
from everywhere import check_everywhere

from adcompiler import Active, Duplicated, gradient


def floor_in_place(x, a):
    s = 0.0
    for i in range(x.shape[0]):
        t = x[i] * 3.0
        t //= a
        s += t * x[i]
    return s


def floor_rebound(x, a):
    s = 0.0
    for i in range(x.shape[0]):
        t = x[i] * 3.0
        t = t // a + x[i] % a
        s += t * x[i]
    return s


X = np.array([0.31, -1.23, 2.05])


def test_floor_division_of_numbers_everywhere():
    for f in (floor_in_place, floor_rebound):
        check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), Active(0.7), out=(), tapes=("autograd", "torch", "jax"))


def test_floor_division_value():
    dx, da = gradient(floor_in_place, X.copy(), 0.7)
    np.testing.assert_allclose(dx, (X * 3.0) // 0.7)
    assert da == 0.0
