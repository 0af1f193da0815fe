"""Second derivatives through a helper that makes a complex array and fills it
(``out = np.empty_like(z); out[:] = z; return out``): the buffer's shadow,
pushed by the helper's forward half and written by its reverse half, had no
tangent of its own where it was complex (a zero made at each push), so
``hvp`` (and ``hessian``, made of hvps) returned zeros. Checked against central differences
of the gradient, which is itself checked against finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Duplicated
from adcompiler.testing import check_grads


def _copy_buf(x):
    out = np.empty_like(x)
    out[:] = x
    return out


def _conj_buf(z):
    out = np.empty_like(z)
    out[:] = np.conj(z)
    return out


def copied(z):
    y = _copy_buf(z)
    return np.sum(np.real(y * y))


def conjugated(z):
    y = _conj_buf(z)
    return np.sum(np.real(y * y * y))


def scaled_in_place(z):
    y = _copy_buf(z)
    y *= 1.5
    return np.sum(np.abs(y) ** 2 + np.real(y) ** 3)


@pytest.mark.parametrize("f", [copied, conjugated, scaled_in_place])
def test_hvp_through_a_complex_buffer(f):
    rng = np.random.default_rng(4)
    z = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    v = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    check_grads(f, Duplicated(z.copy(), np.zeros(3, complex)), ret=Active)
    h = 1e-6
    want = (ad.gradient(f, z + h * v)[0] - ad.gradient(f, z - h * v)[0]) / (2 * h)
    got = ad.hvp(f, (z.copy(),), (v,))[0]
    assert np.abs(want).max() > 0.1
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
