"""A root (``np.sqrt``, ``np.cbrt``, ``** 0.5``) or ``np.arcsin`` of a result of a factorization that
returns a tuple (``np.linalg.eigh``, ``svd``, ``lstsq``): the adjoint of the tuple's elements,
read where the partial may be infinite, is a tuple, and the helpers that zero its unread terms
raised a ValueError on it ("setting an array element with a sequence") in reverse mode. Each
against finite differences at every entry point, with second order where it applies."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Duplicated

S = np.array([[2.0, 0.5, 0.1], [0.5, 1.5, 0.2], [0.1, 0.2, 1.0]])


def root_of_eigenvalues(A):
    w, V = np.linalg.eigh(A)
    return float(np.sum(np.sqrt(w)) + np.sum(V[:, -1] ** 2 * w))


def power_of_eigenvalues(A):
    res = np.linalg.eigh(A)
    return float(np.sum(res[0] ** 0.5))


def cube_root_of_eigenvalues(A):
    w, _ = np.linalg.eigh(A)
    return float(np.sum(np.cbrt(w)))


def root_of_singular_values(A):
    U, s, Vt = np.linalg.svd(A)
    return float(np.sum(np.sqrt(s)) + np.sum(np.arcsin(s / 4.0)) + U[0, 0] * Vt[0, 0])


def root_of_residuals(A, b):
    x, res, rank, sv = np.linalg.lstsq(A, b, rcond=None)
    assert rank == 3 and res.shape == (1,)
    return float(np.sum(np.sqrt(sv)) + np.sum(x ** 2))


def whitened(Y, X):
    Xc = X - X.mean(axis=0)
    w, V = np.linalg.eigh(Xc.T @ Xc / X.shape[0])
    Y[:] = Xc @ V / np.sqrt(w)


@pytest.mark.parametrize("f", [root_of_eigenvalues, power_of_eigenvalues, cube_root_of_eigenvalues,
                               root_of_singular_values])
def test_roots_of_a_factorization(f):
    check_everywhere(f, Duplicated(S.copy(), np.zeros((3, 3))), ret=Active, out=(), tapes=("autograd", "jax", "torch"))


def test_roots_of_least_squares():
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(5, 3)), rng.normal(size=5)
    check_everywhere(root_of_residuals, Duplicated(A, np.zeros_like(A)), Duplicated(b, np.zeros_like(b)), ret=Active,
                     out=(), tapes=("autograd", "jax", "torch"))


def test_whitening():
    X = np.random.default_rng(1).normal(size=(6, 3))
    check_everywhere(whitened, Duplicated(np.zeros((6, 3)), np.zeros((6, 3))), Duplicated(X, np.zeros_like(X)),
                     out="Y", tapes=("autograd", "jax", "torch"))


def test_second_order():
    h = ad.hessian(root_of_eigenvalues, S.copy())
    eps = 1e-5
    g = lambda A: ad.gradient(root_of_eigenvalues, A)[0]
    fd = np.array([(g(S + eps * e.reshape(3, 3)) - g(S - eps * e.reshape(3, 3))) / (2 * eps)
                   for e in np.eye(9)]).reshape(3, 3, 3, 3)
    np.testing.assert_allclose(np.asarray(h).reshape(3, 3, 3, 3), fd.transpose(2, 3, 0, 1), rtol=1e-5, atol=1e-7)
