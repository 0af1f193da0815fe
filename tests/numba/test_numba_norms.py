"""``np.linalg.norm`` of all elements (a vector's 2-norm, a matrix's Frobenius norm) under
the numba backend: Gram-Schmidt, power iteration, a penalty. Its adjoint and tangent had
no numba version, and such code was refused under numba. Against finite differences
(split mode with fresh shadows included), and forward mode against the numpy backend."""
import numpy as np
from numba_engine import Numba
from optional import require

from adcompiler import Active, Const, Duplicated, Forward, autodiff
from adcompiler.testing import check_grads

require("numba")


def gram_schmidt(A):
    n = A.shape[1]
    for j in range(n):
        for k in range(j):
            A[:, j] -= np.dot(A[:, k], A[:, j]) * A[:, k]
        A[:, j] /= np.linalg.norm(A[:, j])
    return np.sum(A * np.arange(A.size).reshape(A.shape))


def power_iteration(A, v, iters):
    for _ in range(iters):
        w = A @ v
        v[:] = w / np.linalg.norm(w)
    return v @ A @ v


def penalty(A):
    return np.linalg.norm(A) ** 2 + np.linalg.norm(A[0])


def _d(x):
    return Duplicated(x, np.zeros_like(x))


def test_norms_under_numba():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((3, 3))
    check_grads(gram_schmidt, _d(rng.standard_normal((4, 3))), ret=Active, engine=Numba)
    check_grads(power_iteration, _d(M + M.T), _d(np.ones(3)), Const(5), ret=Active, engine=Numba)
    check_grads(penalty, _d(rng.standard_normal((4, 3))), ret=Active, engine=Numba)


def test_norm_tangents_under_numba():
    rng = np.random.default_rng(1)
    A, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    got = autodiff(Forward, penalty, Duplicated, Duplicated(A.copy(), T.copy()), backend="numba")
    want = autodiff(Forward, penalty, Duplicated, Duplicated(A.copy(), T.copy()))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
