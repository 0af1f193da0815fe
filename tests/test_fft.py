"""numpy.fft: every transform, with padding/truncation, axes and each norm,
through every entry point against finite differences on Re and Im
(tests/everywhere.py), and on PyTorch and JAX against their own gradients of
the same transforms."""
import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

from adcompiler import Active, Duplicated, Reverse, autodiff
from adcompiler.tapes.differentiate import differentiate

RNG = np.random.default_rng(11)
NORMS = [None, "backward", "ortho", "forward"]


def cplx(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def dup(x):
    return Duplicated(x.copy(), np.zeros_like(x))


def weights(n):
    return np.linspace(0.5, 1.5, n)


def fft_loss(z, n, norm):
    y = np.fft.fft(z, n=n, norm=norm)
    return np.sum(np.abs(y) ** 2 * weights(y.shape[0])) + np.sum(np.real(y) ** 3)


def ifft_loss(z, n, norm):
    y = np.fft.ifft(z * z, n=n, norm=norm)
    return np.sum(np.real(y * np.conj(y[::-1])) + np.imag(y) * weights(y.shape[0]))


def rfft_loss(x, n, norm):
    y = np.fft.rfft(x, n=n, norm=norm)
    return np.sum(np.abs(y) ** 2 * weights(y.shape[0])) + np.sum(np.imag(y))


def irfft_loss(z, n, norm):
    y = np.fft.irfft(z, n=n, norm=norm)
    return np.sum(y ** 3 * weights(y.shape[0]))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 4, 9])
def test_fft_ifft(n, norm):
    check_everywhere(fft_loss, dup(cplx(6)), n, norm)
    check_everywhere(ifft_loss, dup(cplx(6)), n, norm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 5, 8, 11])
def test_rfft(n, norm):
    check_everywhere(rfft_loss, dup(RNG.standard_normal(7)), n, norm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("m, n", [(5, None), (5, 8), (5, 9), (4, 7), (6, 4), (3, 10)])
def test_irfft_hermitian_weighting(m, n, norm):
    """Bin 0 and (even lengths) the Nyquist bin count once, the others twice;
    imaginary parts numpy ignores get a zero derivative."""
    check_everywhere(irfft_loss, dup(cplx(m)), n, norm)


def test_real_input_to_complex_transforms():
    def f(x):
        return np.sum(np.abs(np.fft.fft(x)) ** 2 * weights(x.shape[0])) + np.sum(np.real(np.fft.ifft(x * x)))
    check_everywhere(f, dup(RNG.standard_normal(5)))


def fft_axis(A):
    return np.sum(np.abs(np.fft.fft(A, axis=0)) ** 3) + np.sum(np.real(np.fft.ifft(A, n=5, axis=1)) ** 2)


def fft2_loss(A):
    Y = np.fft.fft2(A, s=(3, 5), norm="ortho")
    Z = np.fft.ifft2(A * A)
    return np.sum(np.abs(Y) ** 1.5) + np.sum(np.real(Z) * np.imag(Z))


def fftn_loss(A):
    Y = np.fft.fftn(A, axes=(0, 2))
    Z = np.fft.ifftn(A, s=(2, 4), axes=(1, 2), norm="forward")
    return np.sum(np.abs(Y) ** 2) + np.sum(np.real(Z) ** 3) + np.sum(np.abs(np.fft.fftn(A)))


def test_axes_and_shapes():
    check_everywhere(fft_axis, dup(cplx(3, 4)))
    check_everywhere(fft2_loss, dup(cplx(4, 4)))
    check_everywhere(fftn_loss, dup(cplx(3, 3, 3)))


def spectral_poisson(u, f, k2):
    """Solve -u'' = f on a periodic grid by rfft / irfft (an FFT-based solver)."""
    fh = np.fft.rfft(f)
    uh = fh / k2
    u[:] = np.fft.irfft(uh, n=f.shape[0])


def convolve(out, x, h):
    """Circular convolution through the FFT, written into ``out``."""
    out[:] = np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(h)))


def test_solvers_written_with_the_fft():
    n = 8
    k = np.fft.rfftfreq(n, 1.0 / n)
    k2 = np.where(k == 0, 1.0, k * k)
    check_everywhere(spectral_poisson, dup(np.zeros(n)), dup(RNG.standard_normal(n)), k2, out="u")
    check_everywhere(convolve, dup(np.zeros(6)), dup(RNG.standard_normal(6)), dup(RNG.standard_normal(6)),
                     out="out")


def test_shadow_matches_element_wise_differences():
    z = cplx(5)
    dz = np.zeros_like(z)
    autodiff(Reverse, irfft_loss, Active, Duplicated(z.copy(), dz), 8, "ortho")
    h = 1e-6
    want = np.zeros_like(z)
    for i in range(5):
        for unit in (1.0, 1j):
            zp, zm = z.copy(), z.copy()
            zp[i] += h * unit
            zm[i] -= h * unit
            want[i] += (irfft_loss(zp, 8, "ortho") - irfft_loss(zm, 8, "ortho")) / (2 * h) * unit
    np.testing.assert_allclose(dz, want, rtol=1e-6, atol=1e-8)
    assert dz[0].imag == 0 and dz[4].imag == 0   # imaginary parts irfft ignores


# -- against the tapes' own FFT gradients --------------------------------------------------

def spectra_(out, z, x):
    out[:] = np.abs(np.fft.fft(z, n=6, norm="ortho")) ** 2 + np.fft.irfft(np.fft.rfft(x) * z[:4], n=6)


SPECTRA = differentiate(spectra_, out="out", like="x")


def _data():
    return cplx(5), RNG.standard_normal(6), RNG.standard_normal(6)


def test_torch_fft_gradients():
    torch = require("torch")
    z, x, c = _data()

    def pure(z, x):
        return torch.abs(torch.fft.fft(z, n=6, norm="ortho")) ** 2 + torch.fft.irfft(torch.fft.rfft(x) * z[:4], n=6)

    def grads(fn):
        zt, xt = torch.tensor(z, requires_grad=True), torch.tensor(x, requires_grad=True)
        (fn(zt, xt) ** 3 * torch.tensor(c)).sum().backward()
        return zt.grad.numpy(), xt.grad.numpy()
    for g, w in zip(grads(SPECTRA), grads(pure)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_jax_fft_gradients():
    jax = require("jax")
    jnp = jax.numpy
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        z, x, c = _data()

        def pure(z, x):
            return jnp.abs(jnp.fft.fft(z, n=6, norm="ortho")) ** 2 + jnp.fft.irfft(jnp.fft.rfft(x) * z[:4], n=6)

        def loss(fn):
            return lambda z, x: jnp.sum(fn(z, x) ** 3 * c)
        args = (jnp.asarray(z), jnp.asarray(x))
        for g, w in zip(jax.grad(loss(SPECTRA), (0, 1))(*args), jax.grad(loss(pure), (0, 1))(*args)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-10, atol=1e-12)
    finally:
        jax.config.update("jax_enable_x64", prev)


def shifted(A):
    S = np.fft.fftshift(np.fft.fft2(A), axes=(0, 1))
    k = np.fft.fftfreq(A.shape[0])
    return np.sum(np.abs(np.fft.ifftshift(S * k[:, None])) ** 2 * weights(A.shape[1]))


def test_shifts_and_frequencies():
    check_everywhere(shifted, dup(cplx(4, 5)))


# -- rfft2, irfft2, rfftn, irfftn ---------------------------------------------------------------
def r2(x):
    Y = np.fft.rfft2(x)
    return np.sum(np.abs(Y) ** 2 * np.arange(1.0, Y.shape[1] + 1.0)) + np.sum(np.real(Y) ** 3)
def r2s(x):
    Y = np.fft.rfft2(x, s=(3, 7), norm="ortho")
    return np.sum(np.abs(Y) ** 3)
def i2(z):
    y = np.fft.irfft2(z, s=(4, 6))
    return np.sum(y ** 3 * np.arange(1.0, 7.0))
def i2d(z):
    y = np.fft.irfft2(z, norm="forward")
    return np.sum(y ** 3)
def rn(x):
    Y = np.fft.rfftn(x, axes=(0, 2))
    return np.sum(np.abs(Y) ** 2 * np.arange(1.0, Y.shape[2] + 1.0))
def inn(z):
    y = np.fft.irfftn(z, s=(3, 5), axes=(0, 1), norm="ortho")
    return np.sum(y ** 3)
def poisson2d(u, f, k2):
    u[:] = np.fft.irfft2(np.fft.rfft2(f) / k2, s=f.shape)


def test_real_multidimensional_transforms():
    check_everywhere(r2, dup(RNG.standard_normal((4, 6))))
    check_everywhere(r2s, dup(RNG.standard_normal((4, 6))))
    check_everywhere(i2, dup(cplx(4, 4)))
    check_everywhere(i2, dup(cplx(3, 3)))
    check_everywhere(i2d, dup(cplx(4, 4)))
    check_everywhere(rn, dup(RNG.standard_normal((3, 2, 5))))
    check_everywhere(inn, dup(cplx(4, 3, 2)))


def test_spectral_poisson_in_two_dimensions():
    k = np.fft.rfftfreq(6, 1 / 6)
    kk = np.fft.fftfreq(4, 1 / 4)
    k2 = kk[:, None] ** 2 + k[None, :] ** 2
    k2[0, 0] = 1.0
    check_everywhere(poisson2d, dup(np.zeros((4, 6))), dup(RNG.standard_normal((4, 6))), k2, out="u")


def spectra2_(out, x, z):
    out[:] = np.fft.irfft2(np.fft.rfft2(x) * z, s=x.shape)


SPECTRA2 = differentiate(spectra2_, out="out", like="x")


def test_torch_rfft2_gradients():
    torch = require("torch")
    x, z, c = RNG.standard_normal((4, 6)), cplx(4, 4), RNG.standard_normal((4, 6))

    def pure(x, z):
        return torch.fft.irfft2(torch.fft.rfft2(x) * z, s=x.shape)

    def grads(fn):
        xt, zt = torch.tensor(x, requires_grad=True), torch.tensor(z, requires_grad=True)
        (fn(xt, zt) ** 3 * torch.tensor(c)).sum().backward()
        return xt.grad.numpy(), zt.grad.numpy()
    for g, w in zip(grads(SPECTRA2), grads(pure)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
