"""The adjoints of np.roll, np.diff and np.rot90 (``_ad_roll_adjoint``...) were
typed like their second argument (the shift, an int): as numbers. Differentiated
again, ``hvp`` took the arrays they return for numbers and guarded a product
with ``if x != 0.0`` (a ValueError on an array), as in a shallow-water step
``f = 0.5 * g * h ** 2; h[:] = h - 0.1 * np.roll(f, 1)``. hvp against central
differences of the gradient, every argument differentiated."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad


def rolled(h, g, nsteps):
    for _ in range(nsteps):
        f = 0.5 * g * h ** 2
        h[:] = h - 0.1 * np.roll(f, 1)
    return float(np.sum(h ** 2))


def differenced(h, g, nsteps):
    for _ in range(nsteps):
        f = 0.5 * g * h ** 2
        h[1:] = h[1:] - 0.1 * np.diff(f)
    return float(np.sum(h ** 2))


def rotated(h, g, nsteps):
    for _ in range(nsteps):
        f = 0.5 * g * h ** 2
        h[:] = h - 0.1 * np.rot90(f)
    return float(np.sum(h ** 2))


def added_outer(h, g, nsteps):
    for _ in range(nsteps):
        f = g * h * h
        h[:] = h + 0.05 * np.sum(np.add.outer(f, f[::-1]), axis=1)
    return float(np.sum(h ** 2))


@pytest.mark.parametrize("f,shape", [(rolled, (4,)), (differenced, (4,)), (rotated, (3, 3)), (added_outer, (4,))],
                         ids=["roll", "diff", "rot90", "add.outer"])
def test_hvp_through_shape_adjoints(f, shape):
    rng = np.random.default_rng(6)
    h, v = rng.random(shape) + 1.0, rng.standard_normal(shape)
    g, vg, eps = 0.7, 0.5, 1e-5
    got = ad.hvp(f, (h.copy(), g, 2), (v, vg, None))
    plus, minus = ad.gradient(f, h + eps * v, g + eps * vg, 2), ad.gradient(f, h - eps * v, g - eps * vg, 2)
    np.testing.assert_allclose(got[0], (plus[0] - minus[0]) / (2 * eps), rtol=1e-5, atol=1e-6)
    assert got[1] == pytest.approx((plus[1] - minus[1]) / (2 * eps), rel=1e-5, abs=1e-6)
