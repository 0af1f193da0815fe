"""Functions declared without a derivative whose value depends on a float argument:
``np.fft.fftfreq(n, d)`` and ``np.fft.rfftfreq(n, d)`` are the frequencies of ``d = 1`` divided
by ``d``, the spacing (``d = L / n`` in spectral PDE code, where the domain's length ``L`` has a
derivative), and ``np.heaviside(x1, x2)`` is ``x2`` where ``x1 == 0``. All three were declared
constant: the derivative through ``d`` and ``x2`` came out 0 with no error (-59.2 for
``sum((2 pi fftfreq(4, L / 4)) ** 2)`` at L = 2) at every entry point. Checked at every entry
point against finite differences, on the tapes, by hvp against finite differences of the gradient;
numba refuses them at the line (``auto`` runs numpy)."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def wavenumber_energy(L):
    k = 2 * np.pi * np.fft.fftfreq(4, d=L / 4)
    return np.sum(k ** 2)


def spectral_derivative_energy(L, u):
    n = u.shape[0]
    k = 2 * np.pi * np.fft.rfftfreq(n, L / n)
    uh = np.fft.rfft(u)
    return np.sum(np.abs(uh * k) ** 2) / n


def poisson(L, f, out):
    n = f.shape[0]
    k = 2 * np.pi * np.fft.fftfreq(n, d=L / n)
    k[0] = 1.0
    fh = np.fft.fft(f) / (-k * k)
    fh[0] = 0.0
    out[:] = np.real(np.fft.ifft(fh))


def step_at_zero(h0, x):
    return np.sum(np.heaviside(x, h0) * x) + np.sum(np.heaviside(x - 1.0, h0))


def steps_of_arrays(h, x, y):
    return np.sum(np.heaviside(x, h) ** 2 * y)


def _a(x):
    x = np.asarray(x, dtype=float)
    return Duplicated(x, np.zeros_like(x))


RNG = np.random.default_rng(0)
CASES = [
    (wavenumber_energy, lambda: (Active(2.0),), Active),
    (spectral_derivative_energy, lambda: (Active(3.0), _a(RNG.standard_normal(8))), Active),
    (poisson, lambda: (Active(1.5), _a(RNG.standard_normal(6)), _a(np.zeros(6))), Const),
    (step_at_zero, lambda: (Active(0.3), Const(np.array([0.0, 1.0, -1.0, 2.0]))), Active),
    (steps_of_arrays, lambda: (_a([0.3, 0.7, 0.2]), Const(np.array([0.0, 1.5, -0.5])), _a([1.0, 2.0, 3.0])),
     Active),
]


@pytest.mark.parametrize("f, args, ret", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_every_entry_point(f, args, ret):
    check_everywhere(f, *args(), ret=ret)


def test_the_derivative_in_the_spacing_is_not_zero():
    (d,), _ = ad.autodiff(ad.ReverseWithPrimal, wavenumber_energy, Active, Active(2.0))
    # sum(k^2) = (2 pi)^2 * sum(m^2) / L^2 over m = 0, 1, -2, -1: d/dL = -2 * 6 (2 pi)^2 / L^3
    assert d == pytest.approx(-12 * (2 * np.pi) ** 2 / 8.0, rel=1e-12)


@pytest.mark.parametrize("tape", ["autograd", "jax", "torch"])
def test_tapes(tape):
    u = RNG.standard_normal(8)
    (want, _), _ = ad.autodiff(ad.ReverseWithPrimal, spectral_derivative_energy, Active, Active(3.0),
                               Const(u.copy()))
    g = ad.differentiate(spectral_derivative_energy)
    if tape == "autograd":
        import autograd
        got = autograd.grad(lambda L: g(L, u.copy()))(3.0)
    elif tape == "jax":
        jax = require("jax")
        jax.config.update("jax_enable_x64", True)
        got = float(jax.grad(lambda L: g(L, jax.numpy.asarray(u)))(3.0))
    else:
        torch = require("torch")
        t = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
        g(t, torch.tensor(u)).backward()
        got = float(t.grad)
    assert got == pytest.approx(want, rel=1e-12)


def test_hvp_against_finite_differences_of_the_gradient():
    u = RNG.standard_normal(8)
    L, h = 3.0, 1e-5

    def grad(L):
        return ad.gradient(spectral_derivative_energy, L, u.copy())
    (hv_L, hv_u) = ad.hvp(spectral_derivative_energy, (L, u.copy()), (1.0, np.zeros(8)))
    want = [(a - b) / (2 * h) for a, b in zip(grad(L + h), grad(L - h))]
    assert hv_L == pytest.approx(want[0], rel=1e-6)
    np.testing.assert_allclose(hv_u, want[1], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, args", [(wavenumber_energy, (2.0,)),
                                     (steps_of_arrays, (np.array([0.3, 0.7]), np.array([0.0, 1.5]), np.ones(2)))],
                         ids=["fftfreq", "heaviside"])
def test_numba_refuses_at_the_line_and_auto_runs_numpy(f, args):
    require("numba")
    with pytest.raises(ad.errors.BackendError, match=r"test_spacing_derivatives.py:\d+"):
        ad.gradient(f, *args, backend="numba")
    assert ad.gradient(f, *args, backend="auto")[0] == pytest.approx(ad.gradient(f, *args)[0], rel=1e-14)
