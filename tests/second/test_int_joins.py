"""Second derivatives through a join whose first part is an integer array
(``np.r_[0, x]``, ``np.column_stack([np.arange(3), x])``, ``np.append([0], x)``):
the adjoint of the float part was typed as the int part's, so forward-over-reverse
dropped it and ``hvp``/``hessian`` returned zeros, silently. Against finite
differences of the gradient."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad


def padded(x):
    v = np.r_[0, x]
    return np.sum(np.diff(v) ** 2)


def design(x):
    M = np.column_stack([np.arange(3), x])
    return np.sum(np.tanh(M) ** 2)


def appended(x):
    v = np.append(np.arange(2), x * x)
    return np.sum(v ** 3)


def stacked(x):
    S = np.vstack([[0, 1, 2], x])
    return np.sum(np.sin(S * 0.5) * S)


def _fd_hvp(f, x, v, h=1e-5):
    return (ad.gradient(f, x + h * v)[0] - ad.gradient(f, x - h * v)[0]) / (2 * h)


@pytest.mark.parametrize("f", [padded, design, appended, stacked])
def test_hvp_and_hessian(f):
    x, v = np.array([0.3, -1.2, 0.8]), np.array([1.0, 2.0, 3.0])
    (hv,) = ad.hvp(f, [x], [v])
    np.testing.assert_allclose(hv, _fd_hvp(f, x, v), rtol=1e-6, atol=1e-8)
    assert np.any(hv != 0.0)
    H = ad.hessian(f, x)
    np.testing.assert_allclose(H @ v, hv, rtol=1e-10, atol=1e-12)
