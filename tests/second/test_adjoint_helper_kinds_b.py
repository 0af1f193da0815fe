"""The adjoints of the second operand of np.inner and np.tensordot were typed like the first
(``_ad_inner_adjoint_b(g, a, b)`` like ``a``): with a number first (``np.inner(g, f)``), the
adjoint of the array ``f`` was taken for a number and hvp raised ValueError. np.cross,
np.convolve and np.cov's adjoints are typed like the operand they are of. hvp against
central differences of the gradient, every argument given a direction."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad


def inner_first_number(h, g):
    for _ in range(2):
        f = 0.5 * g * h ** 2
        h[:] -= 0.1 * np.inner(g, f)
    return np.sum(h ** 2)


def tensordot_first_number(h, g):
    for _ in range(2):
        f = np.sin(h) * (g * 2.0)
        h[:] -= 0.1 * np.tensordot(g, f, axes=0)
    return np.sum(h ** 2)


def cross_second(h, g):
    for _ in range(2):
        f = 0.5 * g * h ** 2
        h[:] -= 0.1 * np.cross(np.array([1.0, 2.0, 0.5]) * g, f)
    return np.sum(h ** 2)


def convolve_second(h, g):
    for _ in range(2):
        f = 0.5 * g * h ** 2
        h[:] -= 0.1 * np.convolve(np.array([0.5, 0.25]) * g, f, mode="same")
    return np.sum(h ** 2)


@pytest.mark.parametrize("f", [inner_first_number, tensordot_first_number, cross_second, convolve_second])
def test_hvp_through_second_operand_adjoints(f):
    rng = np.random.default_rng(8)
    h, v = rng.random(3) + 0.5, rng.standard_normal(3)
    g, vg, eps = 1.3, 1.0, 1e-5
    got = ad.hvp(f, (h.copy(), g), (v, vg))
    plus, minus = ad.gradient(f, h + eps * v, g + eps * vg), ad.gradient(f, h - eps * v, g - eps * vg)
    np.testing.assert_allclose(got[0], (plus[0] - minus[0]) / (2 * eps), rtol=1e-5, atol=1e-6)
    assert got[1] == pytest.approx((plus[1] - minus[1]) / (2 * eps), rel=1e-5, abs=1e-6)
