"""hvp and hessian of a function with default parameters (they were refused:
the function takes 3 arguments but 1 were given), against differences of the
gradient; a bare array for hvp's argument tuple is refused (it was iterated)."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad


def loss_with_defaults(x, c=2.0, n=3):
    s = 0.0
    for _ in range(n):
        s += c * np.sum(np.sin(x) * x) ** 2
    return s


def test_hvp_and_hessian_fill_defaults():
    x = np.array([0.3, 0.5, 0.7])
    h = 1e-6

    def grad(y):
        return ad.gradient(loss_with_defaults, y)[0]
    H = ad.hessian(loss_with_defaults, x)
    for k, v in enumerate(np.eye(3)):
        fd = (grad(x + h * v) - grad(x - h * v)) / (2 * h)
        (hv,) = ad.hvp(loss_with_defaults, (x,), (v,))
        np.testing.assert_allclose(hv, fd, rtol=1e-6)
        np.testing.assert_allclose(H[:, k], fd, rtol=1e-6)


def test_hvp_refuses_a_bare_array_for_its_arguments():
    x = np.array([0.3, 0.5, 0.7])
    with pytest.raises(ad.AdCompilerError, match="as tuples"):
        ad.hvp(loss_with_defaults, x, x)
