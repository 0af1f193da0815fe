"""Second derivatives of real functions of real arguments that compute with
complex values inside (an FFT, exp(1j x), abs, real, imag, conj, products
with complex constants): the Hessian against central differences of the
gradient. Also a regression: a helper's parameter named ``ans`` (max/min's
``select_adjoint``) was replaced by the call's own result in tangent
templates, which made second derivatives through ``np.max`` NaN."""
import numpy as np
import pytest

import adcompiler as ad

R = np.random.default_rng(17)
C = (R.standard_normal((4, 4)) + 1j * R.standard_normal((4, 4))) * 0.5


def power_spectrum(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2 * np.arange(x.shape[0]))


def phase(x):
    y = np.exp(1j * x)
    return np.sum(np.real(y * y) * x)


def cubes(x):
    y = x * (1.0 + 2.0j)
    return np.sum(np.real(y) ** 3 + np.imag(y) ** 3) + np.sum(np.abs(y) ** 3)


def complex_matrix(x):
    y = C @ x
    return np.real(np.vdot(y, y)) + np.sum(np.real(np.conj(y) * y * x))


def spectral_filter(x):
    h = np.fft.irfft(np.fft.rfft(x) * np.arange(1.0, 4.0), n=x.shape[0])
    return np.sum(h ** 3)


def filter_2d(x):
    X = np.reshape(x, (2, 2))
    h = np.fft.irfft2(np.fft.rfft2(X) * np.array([[1.0, 2.0], [0.5, 3.0]]), s=(2, 2))
    return np.sum(h ** 3)


def max_product(x):
    return np.max(x * x) * np.sum(x)


@pytest.mark.parametrize("f", [power_spectrum, phase, cubes, complex_matrix, spectral_filter,
                               filter_2d, max_product])
def test_hessian_against_differences_of_the_gradient(f):
    x = R.standard_normal(4)
    H = ad.hessian(f, x)
    h = 1e-5
    want = np.array([(ad.gradient(f, x + h * e)[0] - ad.gradient(f, x - h * e)[0]) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(H, want, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(want).max()))
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-9)
