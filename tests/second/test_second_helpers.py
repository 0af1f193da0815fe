"""Second order through the linear-algebra, statistics and histogram rules:
their reverse code calls helpers (``_ad_solve_adjoint_a``, ``_ad_eigh_adjoint``,
``_ad_einsum_adjoints``, ``_ad_cov_adjoint``, ...) that forward mode
differentiates again, from their own source or by a rule of their own.
``hvp`` in every argument and ``hessian`` against central differences of the
gradient."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import Active, Duplicated, Reverse, autodiff, hessian, hvp

from .test_second_reach import fd_hvp

EYE3 = np.eye(3)


def solve_both(A, b):
    return float(np.sum(np.linalg.solve(A + 3 * EYE3, b) ** 2))


def solve_matrix_rhs(A, b):
    return float(np.sum(np.linalg.solve(A + 3 * EYE3, A) ** 2) * b[0])


def inverse(A, b):
    return float(np.sum(np.linalg.inv(A + 3 * EYE3) @ b) ** 2)


def determinant(A, b):
    return float(np.linalg.det(A + 3 * EYE3) * np.sum(b ** 2))


def log_determinant(A, b):
    sign, logdet = np.linalg.slogdet(A @ A.T + EYE3)
    return float(logdet * np.sum(b) + sign)


def cholesky_factor(A, b):
    L = np.linalg.cholesky(A @ A.T + EYE3)
    return float(np.sum(L ** 2 * b))


def eigen_decomposition(A, b):
    w, V = np.linalg.eigh(A + A.T)
    return float(np.sum(w ** 3) + np.sum(b * w) + np.sum(V[:, 0] ** 2 * b))


def eigenvalues(A, b):
    return float(np.sum(np.linalg.eigvalsh(A + A.T) ** 3) * b[1])


def singular_vectors(A, b):
    U, s, _ = np.linalg.svd(A)
    return float(np.sum(U[:, 0] * b) ** 2 + np.sum(s ** 2 * b))


def qr_factors(A, b):
    Q, R = np.linalg.qr(A)
    return float(np.sum(R ** 2 * b) + np.sum(Q[:, 0] * b))


def pseudo_inverse(A, b):
    return float(np.sum(np.linalg.pinv(A) @ b) ** 2)


def least_squares(A, b):
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    return float(np.sum(x ** 2))


def einsum_three(A, b):
    return float(np.einsum("ij,j,i->", A, b, b) ** 2)


def einsum_chain(A, b):
    return float(np.einsum("ij,jk,k->", A, A, b) ** 2)


def kronecker(A, b):
    return float(np.sum(np.kron(A, A) ** 3) + np.sum(np.kron(b, b) ** 2))


def covariance(A, b):
    return float(np.sum(np.cov(A, b) ** 2) + np.sum(np.cov(A, rowvar=False, bias=True) ** 2 * b))


def correlation(A, b):
    return float(np.sum(np.corrcoef(A) ** 2 * b) + np.sum(np.corrcoef(A, b) ** 2))


def norms(A, b):
    return float(np.linalg.norm(b) ** 3 + np.linalg.norm(A, axis=1) @ b + np.linalg.norm(b, 3) ** 2
                 + np.linalg.norm(A, np.inf) * np.sum(b ** 2) + np.linalg.norm(b, 1) * b[0])


def weighted_histogram(A, b):
    h, _ = np.histogram(A.ravel(), bins=4, range=(-3, 3), weights=np.ravel(A) ** 2 + 1, density=True)
    return float(np.sum(h ** 2 * np.arange(4)) * b[0])


def histogram_following_data(A, b):
    h, e = np.histogram(A.ravel(), bins=3, weights=np.ravel(A) ** 2, density=True)
    return float(np.sum(h ** 2) + np.sum(e[1:] ** 2 * b))


def cumulative_products(A, b):
    return float(np.sum(np.cumprod(b) ** 2) + np.sum(np.cumprod(A, axis=1) * A))


def weighted_average(A, b):
    return float(np.average(b ** 2, weights=np.abs(b) + 1) ** 2 + np.sum(np.average(A, axis=0, weights=b ** 2)))


def ranges(A, b):
    return float(np.sum(np.linspace(b[0], b[1], 5) ** 3) + np.sum(np.linspace(A[0], A[1], 4) ** 2))


def convolution(A, b):
    return float(np.sum(np.convolve(A[0], b, "same") ** 3) + np.sum(np.convolve(b, A[1]) * A[2, 0])
                 + np.sum(np.diagflat(b) ** 2 * A))


CASES = [convolution, solve_both, solve_matrix_rhs, inverse, determinant, log_determinant, cholesky_factor,
         eigen_decomposition, eigenvalues, singular_vectors, qr_factors, pseudo_inverse, least_squares,
         einsum_three, einsum_chain, kronecker, covariance, correlation, norms, weighted_histogram,
         histogram_following_data, cumulative_products, weighted_average, ranges]

RNG = np.random.default_rng(7)
A0 = np.array([[0.9, -0.4, 0.3], [0.2, 1.1, -0.6], [-0.5, 0.35, 0.8]])
B0 = np.array([0.7, -0.45, 1.2])


def _gradient(f, A, b):
    shadows = [np.zeros_like(A), np.zeros_like(b)]
    autodiff(Reverse, f, Active, Duplicated(A.copy(), shadows[0]), Duplicated(b.copy(), shadows[1]))
    return shadows


def _hvp_against_differences(f, atol=None):
    """hvp of ``f`` at (A0, B0) along one random direction in both arguments (the
    blocks and the cross terms of the Hessian) against central differences of the
    gradient; ``atol`` None: relative to the size of the expected values."""
    vA, vb = RNG.standard_normal(A0.shape), RNG.standard_normal(B0.shape)
    got = hvp(f, (A0.copy(), B0.copy()), (vA, vb))
    h = 1e-6
    plus, minus = _gradient(f, A0 + h * vA, B0 + h * vb), _gradient(f, A0 - h * vA, B0 - h * vb)
    for k in range(2):
        want = (plus[k] - minus[k]) / (2 * h)
        tol = 1e-6 * max(1.0, np.max(np.abs(want))) if atol is None else atol
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=tol)
    return got


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_hvp(f):
    got = _hvp_against_differences(f)
    assert max(np.max(np.abs(g)) for g in got) > 1e-3   # the case has a second derivative to get wrong


@pytest.mark.parametrize("f", [solve_both, eigen_decomposition, einsum_chain, correlation, norms],
                         ids=lambda f: f.__name__)
def test_hessian_is_symmetric_and_matches_differences(f):
    H = hessian(f, A0.copy(), B0.copy()).reshape(9, 9)
    np.testing.assert_allclose(H, H.T, atol=1e-8 * max(1.0, np.max(np.abs(H))))
    for j in (0, 4, 8):
        e = np.zeros(9)
        e[j] = 1.0
        np.testing.assert_allclose(H[:, j], fd_hvp(f, [A0, B0], 0, e.reshape(3, 3), h=1e-6).ravel(),
                                   rtol=1e-5, atol=1e-6 * max(1.0, np.max(np.abs(H))))


def singular_values(A, b):
    return float(np.sum(np.linalg.svdvals(A) ** 3) * np.sum(b * b))


def test_singular_values_first_and_second_order():
    """``np.linalg.svdvals`` (what ``svd(..., compute_uv=False)`` computes): its
    gradient and hvp against central differences."""
    vA, vb = RNG.standard_normal(A0.shape), RNG.standard_normal(B0.shape)
    g = _gradient(singular_values, A0, B0)
    h = 1e-6
    fd = (singular_values(A0 + h * vA, B0 + h * vb) - singular_values(A0 - h * vA, B0 - h * vb)) / (2 * h)
    np.testing.assert_allclose(np.sum(g[0] * vA) + np.sum(g[1] * vb), fd, rtol=1e-7)
    _hvp_against_differences(singular_values, atol=1e-6)


XP = np.array([-0.9, 0.1, 0.7])


def curves(A, b):
    return float(np.trapezoid(A[0] ** 2 * b, np.cumsum(np.abs(b) + 0.5)) + np.trapezoid(A ** 3, dx=b[1], axis=0) @ b
                 + np.sum(np.interp(b * 0.8, XP, A[1] ** 2 + b[0]) ** 2) + np.sum(np.polyval(A[2] * b, b) ** 2))


def test_hvp_of_curve_functions():
    _hvp_against_differences(curves)


def vandermonde(A, b):
    return float(np.sum(np.vander(b, 4) ** 2) + np.sum(np.vander(A[0] * b, 3, increasing=True) @ b)
                 + np.sum(np.vander(b) ** 3))


def test_hvp_of_vandermonde_matrices():
    """np.vander's slopes (its adjoint's helper) had no rule: hvp was refused."""
    _hvp_against_differences(vandermonde)


def _shifted_diagonal(A, lam):
    np.fill_diagonal(A, A.diagonal() + lam)


def diagonal_shifted_in_a_helper(A, b):
    B = A.copy()
    _shifted_diagonal(B, b[0])
    return float(np.sum(B * B * b[1]))


def test_hvp_through_a_helper_filling_a_diagonal():
    """np.fill_diagonal in a helper: its value is resized to the diagonal, whose
    integer shape was refused as having no derivative (naming a runtime function)."""
    _hvp_against_differences(diagonal_shifted_in_a_helper)


def nan_sums(A, b):
    return float(np.nansum(A * A * b[0]) + np.nansum(b ** 3, keepdims=True)[0] + np.sum(np.nansum(A * b[1], axis=0)))


def test_hvp_of_nan_sums():
    """np.nansum of an expression: its adjoint's mask (``~np.isnan(a)``) had no kind
    the second-order pass could tell (refused)."""
    _hvp_against_differences(nan_sums)


def nan_aware_extremes(A, b):
    return float(np.sum(np.fmax(A * b[0], A ** 2) ** 2) + np.sum(np.fmin(A, b[1] * 0.5) * A))


def test_hvp_of_nan_aware_extremes():
    """np.fmax/np.fmin: their adjoints' ``(x1 > x2) | np.isnan(x2)`` had no kind the
    second-order pass could tell (refused)."""
    _hvp_against_differences(nan_aware_extremes)


def stacked_list(A, b):
    st = []
    for i in range(3):
        st.append(np.tanh(A[i] * b))
    return float(np.sum(np.stack(st) ** 2) + np.sum(np.array(st)[1] * b))


def test_hvp_through_a_stacked_list():
    _hvp_against_differences(stacked_list, atol=1e-7)


def _scale_by_last_positive(v):
    k = np.nonzero(v > 0)[0][-1]   # an int array computed in the helper, indexed
    return v / (k + 1.0)


def last_positive_scaled(x):
    y = _scale_by_last_positive(x)
    return float(np.sum(y ** 2) + np.sum(np.sin(x) * y))


def test_hvp_through_a_helper_indexing_an_int_array_it_computes():
    """``np.nonzero(m)[0][-1]`` in a helper (a simplex projection's ``rho``): the int array
    popped by the helper's reverse half, differentiated again, was taken for a float one
    and given a tangent (TypeError: 'float' object is not subscriptable)."""
    x, v = np.array([0.5, 0.3, 0.9, 0.05]), np.array([0.3, -0.2, 0.5, 0.1])
    got = hvp(last_positive_scaled, (x.copy(),), (v,))[0]
    np.testing.assert_allclose(got, fd_hvp(last_positive_scaled, [x], 0, v), rtol=1e-6, atol=1e-8)
    H = hessian(last_positive_scaled, x.copy())
    np.testing.assert_allclose(H @ v, got, rtol=1e-10, atol=1e-12)
