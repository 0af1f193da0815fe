"""``np.polyfit(x, y, deg)``: least squares on the Vandermonde matrix with its columns scaled to
unit norm, as numpy solves it (``lstsq`` of the scaled matrix, the coefficients divided by the
scales). It had no rule (refused). Checked at every entry point against finite differences of
numpy's own polyfit, for one right-hand side and for several (columns of ``y``: there the scales,
a temporary read twice, had an adjoint broadcast to the coefficients' shape before its second
contribution was added, which repeated that contribution once per column: 15% off); the
options polyfit's derivative does not follow (``w``, ``rcond``, ``full``, ``cov``) are refused."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def quadratic(x, y):
    c = np.polyfit(x, y, 2)
    return np.sum(c ** 2) + c[0] * 3.0


def detrended(t, y, out):
    c = np.polyfit(t, y, 1)
    out[:] = y - np.polyval(c, t)


def columns(x, Y):
    C = np.polyfit(x, Y, 1)
    return np.sum(C * C)


def weighted(x, y, w):
    return np.sum(np.polyfit(x, y, 1, w=w))


RNG = np.random.default_rng(0)


def _a(x):
    return Duplicated(x, np.zeros_like(x))


def _x():
    return np.linspace(0.0, 1.0, 7) + 0.01 * RNG.standard_normal(7)


@pytest.mark.parametrize("f, args, ret", [
    (quadratic, lambda: (_a(_x()), _a(RNG.standard_normal(7))), Active),
    (detrended, lambda: (_a(_x()), _a(RNG.standard_normal(7)), _a(np.zeros(7))), Const),
    (columns, lambda: (_a(_x()), _a(RNG.standard_normal((7, 3)))), Active),
    (columns, lambda: (_a(RNG.standard_normal(7)), _a(RNG.standard_normal((7, 3)))), Active),
], ids=["quadratic", "detrended", "columns", "columns of random x"])
def test_every_entry_point(f, args, ret):
    check_everywhere(f, *args(), ret=ret, out="out" if ret is Const else (), tapes=("autograd", "jax", "torch"))


def test_the_value_is_numpys():
    x, y = _x(), RNG.standard_normal(7)
    _, value = ad.autodiff(ad.ReverseWithPrimal, quadratic, Active, _a(x.copy()), _a(y.copy()))
    assert value == pytest.approx(quadratic(x, y), rel=1e-12)


def test_weights_are_refused_at_the_line():
    with pytest.raises(ad.AdCompilerError, match=r"test_polyfit.py:\d+.*w=") as e:
        ad.gradient(weighted, _x(), RNG.standard_normal(7), np.ones(7))
    assert "lstsq" in str(e.value)
