"""Complex kernels on each tape agree with the tape's own gradients of the
same function written without mutation.

Each tape keeps its own convention for complex values: PyTorch's ``.grad``
is dL/dRe + 1j dL/dIm (adcompiler's), autograd's and JAX's gradients are its
conjugate. ``differentiate`` converts, so the two columns agree exactly
when both are right.
"""
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Duplicated
from adcompiler.tapes.differentiate import differentiate

from .conftest import require


def field_(s, z, A):
    s[:] = np.exp(A @ z) * np.conj(z) + np.abs(z) ** 2 - 1j * np.real(z)


def energy_(z, A, x):
    y = A @ z * x
    return np.sum(np.abs(y) ** 2) + np.real(np.vdot(z, y))


def _data(seed=3, n=4):
    rng = np.random.default_rng(seed)
    z = (rng.normal(size=n) + 1j * rng.normal(size=n)) * 0.5
    A = (rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))) * 0.3
    c = rng.normal(size=n) + 1j * rng.normal(size=n)
    x = rng.normal(size=n)
    return z, A, c, x


FIELD = differentiate(field_, out="s", like="z")
ENERGY = differentiate(energy_)


def _check(got, want):
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-10, atol=1e-12)


def test_autograd_matches_its_own_gradients():
    autograd = require("autograd")
    anp = autograd.numpy
    z, A, c, x = _data()

    def pure(z, A):
        return anp.exp(anp.dot(A, z)) * anp.conj(z) + anp.abs(z) ** 2 - 1j * anp.real(z)

    def loss(fn):
        return lambda z, A: anp.sum(anp.real(anp.conj(c) * fn(z, A))) + anp.sum(anp.abs(fn(z, A)) ** 2)

    _check(autograd.grad(loss(FIELD), (0, 1))(z, A), autograd.grad(loss(pure), (0, 1))(z, A))

    def pure_energy(z, A, x):
        y = anp.dot(A, z) * x
        return anp.sum(anp.abs(y) ** 2) + anp.real(anp.sum(anp.conj(z) * y))
    _check(autograd.grad(ENERGY, (0, 1, 2))(z, A, x), autograd.grad(pure_energy, (0, 1, 2))(z, A, x))


def test_torch_matches_its_own_gradients():
    torch = require("torch")
    z, A, c, x = _data()

    def pure(z, A):
        return torch.exp(A @ z) * torch.conj(z) + torch.abs(z) ** 2 - 1j * torch.real(z)

    def grads(fn):
        zt = torch.tensor(z, requires_grad=True)
        At = torch.tensor(A, requires_grad=True)
        out = fn(zt, At)
        loss = torch.sum(torch.real(torch.conj(torch.tensor(c)) * out)) + torch.sum(torch.abs(out) ** 2)
        loss.backward()
        return zt.grad.numpy(), At.grad.numpy()
    _check(grads(FIELD), grads(pure))

    def egrads(fn):
        ts = [torch.tensor(v, requires_grad=True) for v in (z, A, x)]
        fn(*ts).backward()
        return [t.grad.numpy() for t in ts]

    def pure_energy(z, A, x):
        y = (A @ z) * x
        return torch.sum(torch.abs(y) ** 2) + torch.real(torch.vdot(z, y))
    _check(egrads(ENERGY), egrads(pure_energy))


@pytest.mark.parametrize("jit", [False, True])
def test_jax_matches_its_own_gradients(jit):
    jax = require("jax")
    jnp = jax.numpy
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        z, A, c, x = _data()

        def pure(z, A):
            return jnp.exp(A @ z) * jnp.conj(z) + jnp.abs(z) ** 2 - 1j * jnp.real(z)

        def loss(fn):
            return lambda z, A: jnp.sum(jnp.real(jnp.conj(c) * fn(z, A))) + jnp.sum(jnp.abs(fn(z, A)) ** 2)

        def grad(fn, argnums):
            g = jax.grad(fn, argnums)
            return jax.jit(g) if jit else g
        args = (jnp.asarray(z), jnp.asarray(A))
        _check(grad(loss(FIELD), (0, 1))(*args), grad(loss(pure), (0, 1))(*args))

        def pure_energy(z, A, x):
            y = (A @ z) * x
            return jnp.sum(jnp.abs(y) ** 2) + jnp.real(jnp.vdot(z, y))
        eargs = (*args, jnp.asarray(x))
        _check(grad(ENERGY, (0, 1, 2))(*eargs), grad(pure_energy, (0, 1, 2))(*eargs))
    finally:
        jax.config.update("jax_enable_x64", prev)


def test_conventions_differ_by_conjugation():
    """The same kernel: torch's gradient is the conjugate of autograd's (and JAX's)."""
    autograd = require("autograd")
    torch = require("torch")
    z, A, _, x = _data()
    ga = autograd.grad(ENERGY)(z, A, x)
    zt = torch.tensor(z, requires_grad=True)
    ENERGY(zt, torch.tensor(A), torch.tensor(x)).backward()
    np.testing.assert_allclose(zt.grad.numpy(), np.conj(ga), rtol=1e-12)
    assert np.max(np.abs(np.imag(ga))) > 1e-3   # the comparison is not vacuous


def scaled_(z, c):
    return np.sum(np.abs(z * c + 1.0) ** 2)


SCALED = differentiate(scaled_)


def test_complex_scalar_input_on_each_tape():
    z, c = np.array([1 + 1j, 0.5 - 2j]), 0.3 + 0.4j
    autograd = require("autograd")
    anp = autograd.numpy
    want = autograd.grad(lambda z, c: anp.sum(anp.abs(z * c + 1.0) ** 2), 1)(z, c)
    assert np.isclose(autograd.grad(SCALED, 1)(z, c), want, rtol=1e-12)
    torch = require("torch")
    cs = [torch.tensor(c, requires_grad=True) for _ in range(2)]
    SCALED(torch.tensor(z), cs[0]).backward()
    (torch.abs(torch.tensor(z) * cs[1] + 1.0) ** 2).sum().backward()
    assert np.isclose(cs[0].grad.item(), cs[1].grad.item(), rtol=1e-12)
    assert np.isclose(cs[0].grad.item(), np.conj(want), rtol=1e-12)   # torch: the conjugate of autograd's


def spectrum_(y, x):
    y[:] = np.fft.fft(x, norm="ortho")


def test_an_output_allocated_from_a_shape_is_complex_where_an_input_is():
    """like=(3,) with a complex input: the output was float64 and kept only the real parts
    (numpy's ComplexWarning the only sign); it is complex128 now, and JAX's gradient of a
    real loss of it is that of jnp.fft."""
    jax = require("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    x = np.array([1.0 + 1.0j, 2.0 - 1.0j, 0.5j])
    f = differentiate(spectrum_, out="y", like=(3,))
    y = f(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(y), np.fft.fft(x, norm="ortho"), rtol=1e-14)

    def loss(v, fft):
        return jnp.sum(jnp.abs(fft(v)) ** 2 * jnp.arange(1.0, 4.0))
    np.testing.assert_allclose(jax.grad(loss)(jnp.asarray(x), f),
                               jax.grad(loss)(jnp.asarray(x), lambda v: jnp.fft.fft(v, norm="ortho")), rtol=1e-12)


def _complex_weighted(z, c):
    return np.sum(np.real(c * z * np.conj(z) + c ** 2 * z))


def test_a_complex_active_scalar_on_the_three_tapes():
    """A float-returning kernel of a complex array and a complex Active scalar under the bare
    ``differentiate`` on each tape (the torch reference took the Python complex for complex64)."""
    z = np.array([0.3 + 1.1j, -0.7 + 0.2j, 1.4 - 0.5j, 0.1 + 0.9j])
    check_everywhere(_complex_weighted, Duplicated(z, np.zeros_like(z)), Active(0.3 + 0.7j), out=(),
                     tapes=("autograd", "jax", "torch"))
