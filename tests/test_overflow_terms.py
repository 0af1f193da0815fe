"""Array terms whose partial overflows where the math is finite: ``1 / (1 + np.exp(-x))`` at
x = -800 (``exp(800)`` is inf; the adjoint reaching it is exactly 0, so its term was 0 * inf =
nan), ``1 / np.cosh(x)``, ``np.arctan(np.exp(x))``, ``np.exp(-np.exp(x))`` at |x| = 800. A
number's term was already 0 where its adjoint is; an array's is now (reverse mode), and in
forward mode an infinite tangent times a partial 0 is 0. Checked at every entry point against
finite differences (the same kernels at points where nothing overflows) and, at the
overflowing points, against the derivative written out."""
import warnings

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Duplicated
from adcompiler.testing import check_grads


def logistic(x):
    return np.sum(1.0 / (1.0 + np.exp(-x)))


def sech(x):
    return np.sum(1 / np.cosh(x))


def arctan_exp(x):
    return np.sum(np.arctan(np.exp(x)))


def gumbel(x):
    return np.sum(np.exp(-np.exp(x)))


def logistic_in_place(y, x):
    y[:] = 1 / (1 + np.exp(-x))


def _logistic_d(x):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


EXPECTED = {   # (the derivatives written out, stable at |x| = 800)
    logistic: _logistic_d,
    sech: lambda x: -np.tanh(x) * 2 * np.exp(-np.abs(x)) / (1 + np.exp(-2 * np.abs(x))),
    arctan_exp: lambda x: np.exp(-np.abs(x)) / (1 + np.exp(-2 * np.abs(x))),
    gumbel: lambda x: np.where(x > 700, 0.0, -np.exp(np.minimum(x, 700) - np.exp(np.minimum(x, 700)))),
}
FAR = np.array([-800.0, 0.5, 800.0, -0.3])
NEAR = np.array([-1.5, 0.5, 2.0, -0.3])


@pytest.mark.parametrize("f", list(EXPECTED), ids=lambda f: f.__name__)
def test_smooth_points_everywhere(f):
    check_everywhere(f, Duplicated(NEAR.copy(), np.zeros(4)), ret=Active, out=(), tapes=("autograd", "jax", "torch"))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("f", list(EXPECTED), ids=lambda f: f.__name__)
def test_overflowing_points(f, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g, = ad.gradient(f, FAR.copy(), backend=backend)
        want = EXPECTED[f](FAR)
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-300)
        # forward mode, one direction at a time
        for k in range(4):
            e = np.zeros(4)
            e[k] = 1.0
            jv = ad.autodiff(ad.Forward, f, Duplicated, Duplicated(FAR.copy(), e), backend=backend)
            np.testing.assert_allclose(jv, want[k], rtol=1e-12, atol=1e-300)


def test_overflowing_points_numba_check():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_grads(logistic, Duplicated(NEAR.copy(), np.zeros(4)), ret=Active, engine="numba")


def test_jacobian_of_an_in_place_logistic():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        J = ad.jacobian(logistic_in_place, np.zeros(4), FAR.copy(), out=0, wrt=1)
    np.testing.assert_allclose(J, np.diag(_logistic_d(FAR)), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("f", list(EXPECTED), ids=lambda f: f.__name__)
def test_second_order_at_overflowing_points(f):
    """hessian and hvp differentiate the reverse code again: its terms are ``_ad_unread_product``
    there, and the forward pass over it takes an infinite tangent times a partial 0 as 0 (nan before:
    a search of the first-order fix)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        H = ad.hessian(f, FAR.copy())
        fd = np.zeros((4, 4))
        for k in range(4):
            e = np.zeros(4)
            e[k] = 1e-5
            fd[:, k] = (ad.gradient(f, FAR + e)[0] - ad.gradient(f, FAR - e)[0]) / 2e-5
        np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ad.hvp(f, (FAR.copy(),), (np.ones(4),))[0], fd.sum(axis=1), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("f", list(EXPECTED), ids=lambda f: f.__name__)
def test_overflowing_points_everywhere(f):
    """Every entry point at the overflowing points (split halves with fresh shadows, the emitted
    module, forward and vector mode by the dot test, the three tapes) against finite differences,
    which are 0 where the function is flat at |x| = 800."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_everywhere(f, Duplicated(FAR.copy(), np.zeros(4)), ret=Active, out=(), tapes=("autograd", "jax", "torch"))
