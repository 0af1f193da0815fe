"""An optional array argument (``def f(x, w=None): if w is None: w = np.ones_like(x)``): the
code is made for None and for an array apart, so the test at the top is decided when the code
is made (``frontend/statements.fold_fixed``). Under numba the split halves were refused
("Unknown attribute 'copy' of type none": the tape saved ``w``, None then an array). Checked
with ``w`` left out, given as None, as a constant and as a Duplicated array, in turn in one
process, on both backends, in split mode and on a tape, against finite differences."""
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
    differentiate,
)
from adcompiler.testing import check_grads


def _weighted(x, w=None):
    if w is None:
        w = np.ones_like(x)
    return np.sum(w * x ** 2)


def _scaled(x, w=None, c=None):
    if c is not None:
        x = x * c
    if w is None:
        w = np.ones_like(x)
    s = 0.0
    for i in range(x.shape[0]):
        s += w[i] * np.sin(x[i])
    return s


RNG = np.random.default_rng(14)


@pytest.mark.parametrize("mode", [Reverse, ReverseSplitWithPrimal], ids=["fused", "split"])
@pytest.mark.parametrize("engine", [None, Numba], ids=["numpy", "numba"])
def test_an_optional_array_given_or_not(mode, engine):
    x, w = RNG.uniform(0.5, 1.5, 5), RNG.uniform(2.0, 3.0, 5)
    for f in (_weighted, _scaled):
        for rest in ((), (Const(None),), (Const(w),), (Duplicated(w.copy(), np.zeros(5)),), ()):
            check_grads(f, Duplicated(x.copy(), np.zeros(5)), *rest, ret=Active, mode=mode, engine=engine)
        check_grads(_scaled, Duplicated(x.copy(), np.zeros(5)), Const(None), Const(2.0), ret=Active, mode=mode,
                    engine=engine)


def test_the_halves_and_a_tape_agree_with_and_without_the_argument():
    import autograd
    x, w = RNG.uniform(0.5, 1.5, 5), RNG.uniform(2.0, 3.0, 5)
    for rest, want in (((), 2 * x), ((Const(w),), 2 * w * x)):
        a = [Duplicated(x.copy(), np.zeros(5)), *rest]
        for backend in ("numpy", "numba"):
            np.testing.assert_allclose(split_run(_weighted, a, Active, backend)[1][0], want, rtol=1e-13)
    for backend in ("numpy", "numba"):
        g = differentiate(_weighted, backend=backend)
        np.testing.assert_allclose(autograd.grad(g)(x), 2 * x, rtol=1e-13)
        np.testing.assert_allclose(autograd.grad(lambda v, g=g: g(v, w))(x), 2 * w * x, rtol=1e-13)
        np.testing.assert_allclose(autograd.grad(lambda v, g=g: g(x, v))(w), x ** 2, rtol=1e-13)
    dx = np.zeros(5)
    autodiff(Reverse, _weighted, Active, Duplicated(x.copy(), dx), backend="numba")
    np.testing.assert_allclose(dx, 2 * x, rtol=1e-13)
