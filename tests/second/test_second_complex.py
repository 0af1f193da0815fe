"""Second order with complex arguments: ``hvp`` with complex directions,
``hessian`` over the real and imaginary parts, and ``jacobian`` of complex
outputs and (with ``holomorphic=True``) complex inputs. References: central
differences of the gradient along complex directions, JAX's Hessian over the
real and imaginary parts, and the analytic complex derivative."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import (
    Active,
    AdCompilerError,
    Duplicated,
    Reverse,
    autodiff,
    hessian,
    hvp,
    jacobian,
)

RNG = np.random.default_rng(5)


def cplx(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def modulus_weighted(z):
    return float(np.sum(np.abs(z) ** 2 * np.real(z)))


def update_in_place(z, w):
    y = z * w
    z[0] += y[1]
    return float(np.sum(np.real(z * np.conj(z)) ** 2) + np.sum(np.imag(np.exp(z))))


def loop_of_moduli(z):
    s = 0.0
    for i in range(z.shape[0]):
        s += np.abs(z[i]) ** 3
    return s


def spectrum_and_phase(z, w):
    u = np.fft.fft(z * w)
    return float(np.sum(np.abs(u) ** 2 * np.angle(z + 3)))


def linear_algebra(z):
    A = np.outer(z, np.conj(z)) + 4 * np.eye(z.shape[0])
    b = np.linalg.solve(A, z)
    return float(np.real(np.vdot(b, b)) + np.abs(np.linalg.det(A)))


def recurrence(z):
    for i in range(1, z.shape[0]):
        z[i] = z[i - 1] * z[i] + 0.5j
    return float(np.sum(np.real(z) ** 2 - np.imag(z)))


def real_and_complex(x, z):
    return float(np.sum(np.abs(z * x) ** 2) + np.sum(np.real(np.exp(1j * x) * z)))


def modulus_of_product(z):
    # np.prod's adjoint differentiated again (refused for complex values; its tangent helper
    # cast to float, dropping the imaginary parts)
    return float(np.abs(np.prod(z)) + np.sum(np.abs(np.cumprod(z))))


CASES = [(modulus_weighted, 1), (update_in_place, 2), (loop_of_moduli, 1), (spectrum_and_phase, 2),
         (linear_algebra, 1), (recurrence, 1), (modulus_of_product, 1)]


def _gradient(f, args):
    args = [a.copy() for a in args]
    shadows = [np.zeros_like(a) for a in args]
    autodiff(Reverse, f, Active, *[Duplicated(a, s) for a, s in zip(args, shadows)])
    return shadows


def _fd(f, args, vs, h=1e-6):
    plus = _gradient(f, [a + h * v for a, v in zip(args, vs)])
    minus = _gradient(f, [a - h * v for a, v in zip(args, vs)])
    return [(p - m) / (2 * h) for p, m in zip(plus, minus)]


@pytest.mark.parametrize("f,n", CASES, ids=[c[0].__name__ for c in CASES])
def test_hvp_along_complex_directions(f, n):
    args = [cplx(4) for _ in range(n)]
    vs = [cplx(4) for _ in range(n)]
    got = hvp(f, tuple(a.copy() for a in args), tuple(vs))
    for g, want in zip(got, _fd(f, args, vs)):
        assert g.dtype.kind == "c"
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7 * max(1.0, np.max(np.abs(want))))


@pytest.mark.parametrize("direction", ["real", "imaginary"])
def test_hvp_mixing_real_and_complex_arguments(direction):
    x, z = RNG.standard_normal(3), cplx(3)
    vx = RNG.standard_normal(3)
    vz = RNG.standard_normal(3) * (1 if direction == "real" else 1j)
    got = hvp(real_and_complex, (x, z), (vx, vz))
    want = _fd(real_and_complex, [x, z], [vx, vz])
    assert got[0].dtype.kind == "f"
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [modulus_weighted, loop_of_moduli, linear_algebra], ids=lambda f: f.__name__)
def test_hessian_over_real_and_imaginary_parts(f):
    z = cplx(3)
    H = hessian(f, z)
    assert H.shape == (2, 3, 2, 3) and H.dtype.kind == "f"
    flat = H.reshape(6, 6)
    np.testing.assert_allclose(flat, flat.T, atol=1e-8 * np.max(np.abs(flat)))
    for q, unit in enumerate((1.0, 1j)):
        for j in range(3):
            e = np.zeros(3, dtype=complex)
            e[j] = unit
            (col,) = _fd(f, [z], [e])
            np.testing.assert_allclose(H[0, :, q, j], col.real, rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(H[1, :, q, j], col.imag, rtol=1e-6, atol=1e-7)


def test_hessian_against_jax(require_framework):
    jax = require_framework("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def over_parts(p):
        z = p[0] + 1j * p[1]
        return jnp.sum(jnp.abs(z) ** 2 * jnp.real(z))

    z = cplx(3)
    H = hessian(modulus_weighted, z)
    want = np.asarray(jax.hessian(over_parts)(jnp.stack([z.real, z.imag])))
    np.testing.assert_allclose(H, want, rtol=1e-10, atol=1e-12)


def square_in_place(z, out):
    out[:] = z * z + 2.0 * np.exp(z[::-1])


def modulus_in_place(z, out):
    out[:] = np.abs(z) * z


def phase_of_real(x, out):
    out[:] = np.exp(1j * x) * x[0]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_holomorphic_function(mode):
    z = cplx(3)
    J = jacobian(square_in_place, z, np.zeros(3, dtype=complex), out=1, wrt=0, mode=mode, holomorphic=True)
    want = np.diag(2 * z) + np.fliplr(np.diag(2.0 * np.exp(z[::-1])))
    np.testing.assert_allclose(J, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_refuses_non_analytic_function(mode):
    z = cplx(3)
    with pytest.raises(AdCompilerError, match="not complex-analytic"):
        jacobian(modulus_in_place, z, np.zeros(3, dtype=complex), out=1, wrt=0, mode=mode, holomorphic=True)
    with pytest.raises(AdCompilerError, match="holomorphic=True"):
        jacobian(modulus_in_place, z, np.zeros(3, dtype=complex), out=1, wrt=0, mode=mode)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_complex_output_of_real_input(mode):
    x = RNG.standard_normal(3)
    J = jacobian(phase_of_real, x, np.zeros(3, dtype=complex), out=1, wrt=0, mode=mode)
    want = np.diag(1j * np.exp(1j * x) * x[0])
    want[:, 0] += np.exp(1j * x)
    np.testing.assert_allclose(J, want, rtol=1e-12, atol=1e-12)


def norms_of_complex(z):
    return float(np.linalg.norm(z) ** 3 + np.linalg.norm(z * z) + np.linalg.norm(np.outer(z, z), "fro"))


def test_hvp_of_complex_norms():
    z, v = cplx(4), cplx(4)
    (got,) = hvp(norms_of_complex, (z.copy(),), (v,))
    (want,) = _fd(norms_of_complex, [z], [v])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * np.max(np.abs(want)))


def other_norms_of_complex(z):
    return float(np.linalg.norm(z, 1) ** 2 + np.linalg.norm(z, np.inf) ** 2 + np.linalg.norm(z, 3) ** 2
                 + np.linalg.norm(z, -np.inf))


def test_hvp_of_complex_norms_of_other_orders():
    """The 1-, inf- and p-norms of complex values: the derivative of their adjoint
    goes through that of z / |z| (refused at the last stop)."""
    z, v = cplx(4), cplx(4)
    (got,) = hvp(other_norms_of_complex, (z.copy(),), (v,))
    (want,) = _fd(other_norms_of_complex, [z], [v])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * np.max(np.abs(want)))


def matrix_norms_of_complex(Z):
    return float(np.linalg.norm(Z, 2) ** 3 + np.linalg.norm(Z, -2) * np.linalg.norm(Z, "nuc"))


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
def test_hvp_of_complex_matrix_norms(shape):
    """The spectral and nuclear norms of complex matrices: the tangent of their
    adjoint directions with the SVD's free phase cancelling (refused before)."""
    Z, V = cplx(*shape), cplx(*shape)
    (got,) = hvp(matrix_norms_of_complex, (Z.copy(),), (V,))
    (want,) = _fd(matrix_norms_of_complex, [Z], [V])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * np.max(np.abs(want)))


def reciprocal_norms(z):
    return float(np.linalg.norm(z, -1) + np.linalg.norm(z, -3) ** 2)


def matrix_sum_norms(Z):
    return float(np.linalg.norm(Z, 1) ** 2 + np.linalg.norm(Z, -1) + np.linalg.norm(Z, np.inf) ** 2
                 + np.linalg.norm(Z, -np.inf) + np.sum(np.linalg.norm(Z[None] * 1.0, 1, axis=(1, 2))))


@pytest.mark.parametrize("kind", ["real", "complex"])
def test_hvp_of_the_reciprocal_vector_norm(kind):
    """``norm(x, -1)`` is not piecewise linear (its second derivative was taken
    as that of the 1-norm: 0 for real x, wrong for complex)."""
    x = RNG.standard_normal(4) if kind == "real" else cplx(4)
    v = RNG.standard_normal(4) if kind == "real" else cplx(4)
    (got,) = hvp(reciprocal_norms, (x.copy(),), (v,))
    (want,) = _fd(reciprocal_norms, [x], [v])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * np.max(np.abs(want)))


@pytest.mark.parametrize("shape", [(3, 3), (4, 3)])
def test_hvp_of_complex_matrix_norms_of_sums(shape):
    """The 1, -1, inf, -inf norms of a complex matrix: the signs z / |z| of the
    picked column or row turn (their second derivative was 0, as for real matrices)."""
    Z, V = cplx(*shape), cplx(*shape)
    (got,) = hvp(matrix_sum_norms, (Z.copy(),), (V,))
    (want,) = _fd(matrix_sum_norms, [Z], [V])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7 * np.max(np.abs(want)))
    X, W = RNG.standard_normal(shape), RNG.standard_normal(shape)
    (got,) = hvp(matrix_sum_norms, (X.copy(),), (W,))
    (want,) = _fd(matrix_sum_norms, [X], [W])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


# ---- the same calls in a helper: its reverse half pops its values from the tape ----------------

def _corrcoef_of(X):
    return np.corrcoef(X)


def corrcoef_in_helper(X):
    return float(np.sum(_corrcoef_of(X) ** 2))


def _ramp(a, b):
    return np.linspace(a, b, 4)


def linspace_in_helper(a, b):
    return float(np.sum(_ramp(a, b) ** 3))


def _complex_norm(x):
    return np.linalg.norm(x + 1j * x[::-1])


def complex_norm_in_helper(x):
    return float(_complex_norm(x) ** 2 * 0.5 + _complex_norm(x) ** 3)


def _spectrum_squared(x):
    return np.fft.irfft(np.fft.rfft(x) ** 2, n=4)


def fft_in_helper(x):
    return float(np.sum(_spectrum_squared(x) ** 2))


def _conj_product(z):
    w = np.conj(z) * z + np.real(z) * np.imag(z)
    return w


def complex_in_helper(x):
    z = x + 1j * np.sin(x)
    return float(np.sum(np.abs(_conj_product(z)) ** 2))


@pytest.mark.parametrize("f, make", [
    (corrcoef_in_helper, lambda: [RNG.standard_normal((2, 5))]),
    (linspace_in_helper, lambda: [np.array([0.7]), np.array([2.0])]),
    (complex_norm_in_helper, lambda: [RNG.standard_normal(4)]),
    (fft_in_helper, lambda: [RNG.standard_normal(4)]),
    (complex_in_helper, lambda: [RNG.standard_normal(5)]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_hvp_through_a_helper(f, make):
    """A helper's reverse half, differentiated again, pops its values from the tape:
    a placeholder None overrode their kind (the helper's result kind was None: no
    second derivative through corrcoef, linspace, norm), and a complex value popped
    was taken as real (conj's tangent as the identity: wrong values)."""
    args = make()
    vs = [RNG.standard_normal(np.shape(a)) for a in args]
    got = hvp(f, tuple(a.copy() for a in args), tuple(vs))
    want = _fd(f, args, vs)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7 * max(1.0, np.max(np.abs(w))))
