"""``det`` at singular and nearly singular matrices: the gradient is the cofactor matrix
and the Hessian its derivative, both polynomials in the entries, defined everywhere.
The rule's ``det(a) * inv(a)`` form raised at an exactly singular matrix, and its
second derivative cancelled catastrophically near one (a rank-2 3x3 matrix gave a
Hessian-vector product off by order one, silently). Reference: JAX's ``det``, whose
derivatives go through the cofactors too, and finite differences of the gradient."""
import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import Duplicated, Forward

jax = require("jax")
jnp = jax.numpy
jax.config.update("jax_enable_x64", True)


def det_loss(A):
    return float(np.linalg.det(A))


def det_real_part(A):
    return float(np.real(np.linalg.det(A)))


def stacked_det_loss(A):
    return float(np.sum(np.linalg.det(A) ** 2))


RNG = np.random.default_rng(5)
U, W = RNG.standard_normal(3), RNG.standard_normal(3)
MATRICES = {
    "rank 2, near singular in floating point": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [5.0, 7.0, 9.0]]),
    "exactly singular 2x2": np.array([[1.0, 2.0], [2.0, 4.0]]),
    "rank 1": np.outer(U, W),
    "zero": np.zeros((3, 3)),
    "regular": RNG.standard_normal((4, 4)),
}


@pytest.mark.parametrize("name", list(MATRICES))
def test_gradient_forward_and_hvp_agree_with_jax(name):
    A = MATRICES[name]
    V = RNG.standard_normal(A.shape)
    np.testing.assert_allclose(ad.gradient(det_loss, A)[0], jax.grad(jnp.linalg.det)(A), atol=1e-12)
    hj = jax.jvp(jax.grad(jnp.linalg.det), (A,), (V,))[1]
    np.testing.assert_allclose(ad.hvp(det_loss, (A,), (V,))[0], hj, atol=1e-12)
    dA = V.copy()
    tangent = ad.autodiff(Forward, det_loss, Duplicated, Duplicated(A.copy(), dA))
    assert float(np.ravel(tangent)[0]) == pytest.approx(float(np.sum(jax.grad(jnp.linalg.det)(A) * V)), abs=1e-12)


def test_hvp_against_differences_of_the_gradient_at_a_singular_matrix():
    A, V, h = MATRICES["rank 1"], RNG.standard_normal((3, 3)), 1e-5
    want = (ad.gradient(det_loss, A + h * V)[0] - ad.gradient(det_loss, A - h * V)[0]) / (2 * h)
    np.testing.assert_allclose(ad.hvp(det_loss, (A,), (V,))[0], want, atol=1e-8)


def test_complex_singular_and_regular():
    """Complex matrices: ``det`` is holomorphic; the shadow convention is the conjugate of JAX's."""
    u, v, w = (RNG.standard_normal(3) + 1j * RNG.standard_normal(3) for _ in range(3))
    for A in (np.outer(u, v) + np.outer(w, u), RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))):
        V = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
        loss = jax.grad(lambda A: jnp.real(jnp.linalg.det(A)))
        np.testing.assert_allclose(ad.gradient(det_real_part, A)[0], np.conj(loss(A)), atol=1e-12)
        np.testing.assert_allclose(ad.hvp(det_real_part, (A,), (V,))[0], np.conj(jax.jvp(loss, (A,), (V,))[1]),
                                   atol=1e-12)


def test_a_stack_with_a_singular_matrix_in_it():
    A = np.stack([MATRICES["rank 1"], RNG.standard_normal((3, 3)), MATRICES["zero"]])
    V = RNG.standard_normal(A.shape)
    want = jax.grad(lambda A: jnp.sum(jnp.linalg.det(A) ** 2))
    np.testing.assert_allclose(ad.gradient(stacked_det_loss, A)[0], want(A), atol=1e-12)
    np.testing.assert_allclose(ad.hvp(stacked_det_loss, (A,), (V,))[0], jax.jvp(want, (A,), (V,))[1], atol=1e-10)


def det_into(out, A):
    out[0] = np.linalg.det(A) * 2.0


@pytest.mark.parametrize("name", ["exactly singular 2x2", "rank 1", "rank 2, near singular in floating point"])
def test_every_first_order_entry_point_at_singular_matrices(name):
    """Reverse, split halves with fresh shadows, the emitted module, forward and vector mode and
    ``differentiate`` on each tape, at matrices whose inverse does not exist (or barely)."""
    from everywhere import check_everywhere
    A = MATRICES[name]
    check_everywhere(det_loss, Duplicated(A.copy(), np.zeros(A.shape)), out=(), tapes=("autograd", "torch", "jax"))
    check_everywhere(det_into, Duplicated(np.zeros(1), np.zeros(1)), Duplicated(A.copy(), np.zeros(A.shape)),
                     out="out")
