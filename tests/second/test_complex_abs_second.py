"""Second derivatives through ``abs`` of a complex scalar whose result joins
complex values again: its adjoint ``Re(g) x / |x|`` is not complex-linear in
``g``, so the second-order code may not write it as ``g`` times a partial
(hvp and hessian were wrong while gradients were right). Reference: central
differences of the reverse-mode gradient."""
import numpy as np
import pytest

import adcompiler as ad


def imag_of_scaled(x):
    c = x[0] + 1j * x[1]
    u = c * abs(c)
    return float(u.imag ** 2)


def shifted_norm(x):
    c = x[0] * 0.5 + 1j * np.sin(x[1])
    u = c + abs(c) * (0.3 - 0.2j)
    return float(abs(u) ** 2)


@pytest.mark.parametrize("f", [imag_of_scaled, shifted_norm])
def test_hessian_through_abs_of_a_complex_scalar(f):
    x = np.array([0.3, -0.7])
    h = 1e-6
    want = np.stack([(ad.gradient(f, x + h * e)[0] - ad.gradient(f, x - h * e)[0]) / (2 * h) for e in np.eye(2)], 1)
    np.testing.assert_allclose(ad.hessian(f, x), want, rtol=1e-5, atol=1e-7)
    v = np.array([0.4, -1.1])
    np.testing.assert_allclose(ad.hvp(f, [x], [v])[0], want @ v, rtol=1e-5, atol=1e-7)


def linear_in_z(z):
    return float((z[0] + abs(z[0])).imag)


def test_hvp_of_a_loss_linear_in_a_complex_argument_is_zero():
    z = np.array([0.3 - 0.4j, 1.0 + 0.2j])
    np.testing.assert_allclose(ad.hvp(linear_in_z, [z], [np.array([0.5 + 0.1j, -0.2j])])[0], 0.0, atol=1e-12)
