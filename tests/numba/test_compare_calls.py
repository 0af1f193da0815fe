"""A comparison of a numpy call's result (``np.abs(a) < np.abs(b)``, the minmod limiter's
test) was kinded a bool scalar: the call inside the comparison had no note of what it
calls, so its kind was unknown. The numba backend then kept the mask in a bool scalar
and refused the kernel with numba's typing message; the kind is now the mask's (an array
of bools). References: the numpy backend and central differences."""
import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import Active, Const, Duplicated, Reverse

require("numba")


def minmod_flux(u, c, nsteps):
    for _ in range(nsteps):
        d = np.diff(u)
        a = d[:-1]
        b = d[1:]
        slope = np.where(a * b > 0, np.where(np.abs(a) < np.abs(b), a, b), 0.0)
        flux = c * (u[1:-1] + 0.5 * (1 - c) * slope)
        u[2:-1] -= flux[1:] - flux[:-1]
    return float(np.sum(u * np.arange(u.shape[0])))


def doubled_inside(y, u):
    for _ in range(3):
        c = np.abs(u) < 1.0
        u[c] = u[c] * 2.0
    y[:] = u
    return np.sum(u ** 2)


def _fd(f, u, *rest, h=1e-6):
    g = np.zeros_like(u)
    for i in range(u.size):
        up, um = u.copy(), u.copy()
        up[i] += h
        um[i] -= h
        g[i] = (f(*[r.copy() if isinstance(r, np.ndarray) else r for r in rest], up)
                - f(*[r.copy() if isinstance(r, np.ndarray) else r for r in rest], um)) / (2 * h)
    return g


@pytest.mark.parametrize("backend", ["numba", "auto", "numpy"])
def test_minmod_limiter(backend):
    u = np.sin(np.linspace(0.0, 3.0, 12)) + 0.1 * np.cos(np.arange(12.0) ** 2)
    du = np.zeros(12)
    _, value = ad.autodiff(ad.ReverseWithPrimal, minmod_flux, Active, Duplicated(u.copy(), du), Const(0.4),
                           Const(3), backend=backend)
    assert value == pytest.approx(minmod_flux(u.copy(), 0.4, 3), rel=1e-13)
    np.testing.assert_allclose(du, _fd(lambda v: minmod_flux(v, 0.4, 3), u), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_mask_compared_in_a_loop(backend):
    u = np.array([0.3, -1.5, 0.7, 2.0, -0.2])
    y, dy, du = np.zeros(5), np.zeros(5), np.zeros(5)
    ad.autodiff(Reverse, doubled_inside, Active, Duplicated(y, dy), Duplicated(u.copy(), du), backend=backend)
    np.testing.assert_allclose(du, _fd(lambda v: doubled_inside(np.zeros(5), v), u), rtol=1e-6, atol=1e-7)


def chosen_per_element(r, x):
    for i in range(x.shape[0]):
        r[i] = np.where(np.cos(x[i]) > 0.3, x[i] ** 2, x[i])
    return float(np.sum(r * r))


def test_where_of_numbers_under_numba():
    """``np.where`` of numbers in a loop: numba's result is a 0-d array, which its typing did not
    unify with a float (refused with numba's message); the number chosen now."""
    x = np.array([0.1, 1.4, -0.3, 2.0])
    got, want = {}, {}
    for backend, out in (("numba", got), ("numpy", want)):
        r, dr, dx = np.zeros(4), np.arange(1.0, 5.0), np.zeros(4)
        _, out["value"] = ad.autodiff(ad.ReverseWithPrimal, chosen_per_element, Active, Duplicated(r, dr),
                                      Duplicated(x.copy(), dx), backend=backend)
        out["dx"], out["r"] = dx, r
    assert got["value"] == pytest.approx(want["value"], rel=1e-14)
    np.testing.assert_allclose(got["dx"], want["dx"], rtol=1e-14)
    np.testing.assert_allclose(got["r"], want["r"], rtol=1e-14)
    np.testing.assert_allclose(want["dx"], _fd(lambda v: chosen_per_element(np.zeros(4), v), x)
                               + np.where(np.cos(x) > 0.3, 2 * x, 1.0) * np.arange(1.0, 5.0), rtol=1e-6)


def test_where_of_numbers_in_numba_split_halves():
    from numba_engine import Numba

    from adcompiler import ReverseSplitWithPrimal
    from adcompiler.testing import check_grads
    x = np.array([0.1, 1.4, -0.3, 2.0])
    check_grads(chosen_per_element, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(x, np.zeros(4)), ret=Active,
                mode=ReverseSplitWithPrimal, engine=Numba)
