"""The rules of ``scipy.linalg`` (``cholesky``, ``cho_factor``/``cho_solve``,
``solve_triangular``, ``solve``, ``inv``, ``det``) on the kernels that use
them (a Gaussian process's negative log marginal likelihood, a Kalman update,
regularized least squares), through every entry point, against JAX's
``jax.scipy.linalg``, differentiated twice (hvp, hessian), under the numba
backend; and their refusals, at the user's line."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg
import scipy.special  # (kernels below use it)
from everywhere import check_everywhere
from optional import require
from scipy.linalg import (
    cho_factor,
    cho_solve,
    cholesky,
    det,
    inv,
    solve,
    solve_triangular,
)

import adcompiler as ad
from adcompiler import Active, AdCompilerError, Const, Duplicated

RNG = np.random.default_rng(11)
N = 4
_B = RNG.standard_normal((N, N))
SPD = _B @ _B.T + N * np.eye(N)
#: an SPD matrix with noise in its lower triangle, which the upper-triangle readers never see
SPD_UPPER = SPD + np.tril(RNG.standard_normal((N, N)), -1)
SPD_LOWER = SPD + np.triu(RNG.standard_normal((N, N)), 1)
X = RNG.standard_normal((6, N))
Y = RNG.standard_normal(N)
Y6 = RNG.standard_normal(6)
RHS = RNG.standard_normal((N, 2))
PTS = np.linspace(0.0, 2.0, N)


# -- kernels -------------------------------------------------------------------------------
def _gram(theta, pts):
    d2 = (pts[:, None] - pts[None, :]) ** 2
    return theta[0] ** 2 * np.exp(-0.5 * d2 / theta[1] ** 2) + (theta[2] ** 2 + 1e-6) * np.eye(pts.shape[0])


def gp_nll_cho(theta, y):
    """GP negative log marginal likelihood through cho_factor (lower) / cho_solve."""
    K = _gram(theta, PTS)
    c, low = cho_factor(K, lower=True)
    alpha = cho_solve((c, low), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c))) + 0.5 * y.shape[0] * np.log(2 * np.pi)


def gp_nll_upper(K, y):
    """The same with cho_factor's default upper factor, K given (its lower triangle unread)."""
    c, low = cho_factor(K)
    alpha = cho_solve((c, low), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c)))


def gp_nll_cholesky(K, y):
    """cholesky(lower=True), cho_solve of the factor, 2 * sum(log(diag(L)))."""
    L = cholesky(K, lower=True)
    alpha = cho_solve((L, True), y)
    return 0.5 * y @ alpha + 2.0 * np.sum(np.log(np.diag(L)))


def upper_factor(K, y):
    """scipy's default upper factor U, A = U^T U, whitening with U^T."""
    U = scipy.linalg.cholesky(K)
    z = solve_triangular(U, y, trans="T")
    return z @ z + np.sum(U * U) + 2.0 * np.sum(np.log(np.diag(U)))


def kalman_update(P, H, R, x, y):
    """Kalman measurement update with a Cholesky factor of the innovation covariance."""
    S = H @ P @ H.T + R
    L = cholesky(S, lower=True)
    v = solve_triangular(L, y - H @ x, lower=True)
    W = solve_triangular(L, H @ P, lower=True)
    x_new = x + W.T @ v
    P_new = P - W.T @ W
    return np.sum(x_new ** 2) + np.sum(P_new * P_new) + 2 * np.sum(np.log(np.diag(L))) + v @ v


def triangular_trans(a, b, B):
    """Every trans, both triangles, a unit diagonal, a matrix right-hand side."""
    s = 0.0
    for trans in (0, 1, 2, "N", "T", "C"):
        s += np.sum(solve_triangular(a, b, trans=trans) * b)
        s += np.sum(solve_triangular(a, B, trans=trans, lower=True) ** 2)
    s += np.sum(solve_triangular(a, b, lower=True, unit_diagonal=True) ** 2)
    s += np.sum(solve_triangular(a, B, trans="T", unit_diagonal=True) ** 2)
    return s


def least_squares_pos(X, y, lam):
    """Ridge regression through the normal equations (assume_a='pos': the upper triangle read)."""
    A = X.T @ X + lam * np.eye(X.shape[1])
    w = solve(A, X.T @ y, assume_a="pos")
    r = X @ w - y
    return r @ r + lam * (w @ w)


def solve_structures(A, b, B):
    """One triangle read ('sym', 'her', 'pos' with lower True and False), triangular
    and diagonal structures, the general solve and its transpose."""
    s = np.sum(solve(A, b) ** 2) + np.sum(solve(A, B, transposed=True) ** 2)
    s += np.sum(solve(A, b, assume_a="gen") * b)
    s += np.sum(solve(A, B, assume_a="sym") ** 2) + np.sum(solve(A, b, assume_a="her", lower=True) ** 2)
    s += np.sum(solve(A, b, assume_a="pos", lower=True) * b) + np.sum(solve(A, B, assume_a="positive definite"))
    s += np.sum(solve(A, b, assume_a="upper triangular") ** 2)
    s += np.sum(solve(A, B, assume_a="lower triangular", transposed=True) ** 2)
    s += np.sum(solve(A, b, assume_a="diagonal") ** 2)
    return s


def inv_det(A):
    """inv (general, one triangle of a symmetric matrix, triangular) and det."""
    s = np.sum(inv(A) ** 2) + np.sum(inv(A, assume_a="pos") * A) + np.sum(inv(A, assume_a="sym", lower=True))
    s += np.sum(inv(A, assume_a="upper triangular") ** 2)
    return s + det(A) + np.log(det(A @ A.T))


# -- every entry point ----------------------------------------------------------------------
THETA = np.array([1.3, 0.7, 0.4])
KALMAN = (SPD / 10, RNG.standard_normal((3, N)), np.eye(3) * 0.5 + 0.1, RNG.standard_normal(N),
          RNG.standard_normal(3))
CASES = [
    (gp_nll_cho, (THETA, Y)),
    (gp_nll_upper, (SPD_UPPER, Y)),
    (gp_nll_cholesky, (SPD_LOWER, Y)),
    (upper_factor, (SPD_UPPER, Y)),
    (kalman_update, KALMAN),
    (triangular_trans, (SPD + 3 * np.eye(N), Y, RHS)),
    (least_squares_pos, (X, Y6, 0.3)),
    (solve_structures, (SPD_UPPER, Y, RHS)),
    (inv_det, (SPD_LOWER,)),
]


def _annotated(args):
    return [Active(a) if isinstance(a, float) else Duplicated(a.copy(), np.zeros_like(a)) for a in args]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_everywhere(f, args):
    require("torch")
    check_everywhere(f, *_annotated(args), ret=Active, out=(), tapes=("autograd", "torch", "jax"))


# -- against jax.scipy.linalg ----------------------------------------------------------------
def _jax_versions(jnp, jsl):
    def gp(K, y):
        c, low = jsl.cho_factor(K, lower=True)
        return 0.5 * y @ jsl.cho_solve((c, low), y) + jnp.sum(jnp.log(jnp.diag(c)))

    def gp_upper(K, y):
        c, low = jsl.cho_factor(K)
        return 0.5 * y @ jsl.cho_solve((c, low), y) + jnp.sum(jnp.log(jnp.diag(c)))

    def upper(K, y):
        U = jsl.cholesky(K)
        z = jsl.solve_triangular(U, y, trans="T")
        return z @ z + jnp.sum(U * U) + 2.0 * jnp.sum(jnp.log(jnp.diag(U)))

    def ls(A, b):
        return jnp.sum(jsl.solve(A, b, assume_a="pos") ** 2) + jnp.sum(jsl.solve(A, b) * b)

    def tri(a, b):
        return sum(jnp.sum(jsl.solve_triangular(a, b, trans=t, lower=low, unit_diagonal=u) ** 2)
                   for t in (0, 1, "T") for low in (False, True) for u in (False, True))

    def inv_det_(A):
        return jnp.sum(jsl.inv(A) ** 2) + jsl.det(A)
    return gp, gp_upper, upper, ls, tri, inv_det_


def _ours():
    def gp(K, y):
        c, low = cho_factor(K, lower=True)
        return 0.5 * y @ cho_solve((c, low), y) + np.sum(np.log(np.diag(c)))

    def gp_upper(K, y):
        c, low = cho_factor(K)
        return 0.5 * y @ cho_solve((c, low), y) + np.sum(np.log(np.diag(c)))

    def ls(A, b):
        return np.sum(solve(A, b, assume_a="pos") ** 2) + np.sum(solve(A, b) * b)

    def tri(a, b):
        s = 0.0
        for t in (0, 1, "T"):
            for low in (False, True):
                for u in (False, True):
                    s += np.sum(solve_triangular(a, b, trans=t, lower=low, unit_diagonal=u) ** 2)
        return s

    def inv_det_(A):
        return np.sum(inv(A) ** 2) + det(A)
    return gp, gp_upper, upper_factor, ls, tri, inv_det_


def test_against_jax_scipy_linalg():
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jax.scipy.linalg as jsl
    args = [(SPD, Y), (SPD, Y), (SPD, Y), (SPD, RHS), (SPD + 3 * np.eye(N), RHS), (SPD_UPPER,)]
    for mine, theirs, a in zip(_ours(), _jax_versions(jnp, jsl), args):
        want = jax.grad(theirs, tuple(range(len(a))))(*[jnp.asarray(v) for v in a])
        got = ad.gradient(mine, *[v.copy() for v in a])
        got = got if isinstance(got, tuple) else (got,)
        # (jax differentiates as if the factorizations read the whole symmetric matrix: its
        # adjoint of a symmetric argument is symmetric; ours lives on the triangle scipy reads)
        for g, w, v in zip(got, want, a):
            w = np.asarray(w)
            if v.ndim == 2 and v.shape[0] == v.shape[1] and mine.__name__ in ("gp", "gp_upper", "upper_factor", "ls"):
                g, w = g + g.T, w + w.T
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11, err_msg=mine.__name__)


def test_triangle_read_matches_finite_differences_of_scipy():
    """The adjoint of cho_factor's (upper) input is 0 on the lower triangle, which scipy never reads."""
    g = ad.gradient(gp_nll_upper, SPD_UPPER.copy(), Y.copy())[0]
    assert np.all(np.tril(g, -1) == 0) and np.any(np.triu(g, 1) != 0)
    g = ad.gradient(gp_nll_cholesky, SPD_LOWER.copy(), Y.copy())[0]
    assert np.all(np.triu(g, 1) == 0) and np.any(np.tril(g, -1) != 0)


# -- second order ----------------------------------------------------------------------------
def _fd_hvp(f, args, k, v, h=1e-5):
    def grad_at(x):
        a = [x if i == k else np.copy(b) for i, b in enumerate(args)]
        return ad.gradient(f, *a)[k]
    return (grad_at(args[k] + h * v) - grad_at(args[k] - h * v)) / (2 * h)


SECOND = [
    (gp_nll_cho, (THETA, Y), 0),
    (gp_nll_upper, (SPD_UPPER, Y), 0),
    (gp_nll_cholesky, (SPD_LOWER, Y), 1),
    (upper_factor, (SPD_UPPER, Y), 0),
    (kalman_update, KALMAN, 0),
    (triangular_trans, (SPD + 3 * np.eye(N), Y, RHS), 0),
    (least_squares_pos, (X, Y6, 0.3), 0),
    (solve_structures, (SPD_UPPER, Y, RHS), 0),
    (inv_det, (SPD_LOWER,), 0),
]


@pytest.mark.parametrize("f, args, k", SECOND, ids=[f.__name__ for f, _, _ in SECOND])
def test_hvp_against_finite_differences_of_the_gradient(f, args, k):
    v = np.random.default_rng(3).standard_normal(np.shape(args[k]))
    vs = [v if i == k else None for i in range(len(args))]
    got = ad.hvp(f, tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args), vs)[k]
    np.testing.assert_allclose(got, _fd_hvp(f, args, k, v), rtol=2e-6, atol=2e-7)


def test_hessian_of_the_gp_likelihood_in_its_hyperparameters():
    H = ad.hessian(gp_nll_cho, THETA.copy(), Y.copy())
    want = np.stack([_fd_hvp(gp_nll_cho, (THETA, Y), 0, e) for e in np.eye(3)])
    np.testing.assert_allclose(H, want, rtol=2e-6, atol=2e-7)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-10)


# -- numba backend ---------------------------------------------------------------------------
def whitened(K, y):
    L = cholesky(K, lower=True)
    z = solve_triangular(L, y, lower=True)
    return z @ z


def ridge(A, b):
    return np.sum(solve(A, b, assume_a="pos") ** 2) + det(A) + np.sum(inv(A))


NUMBA = CASES[:5] + [(whitened, (SPD, Y)), (ridge, (SPD, Y))]


@pytest.mark.parametrize("f, args", NUMBA, ids=[f.__name__ for f, _ in NUMBA])
def test_numba_backend_right_or_refused(f, args):
    require("numba")
    want = ad.gradient(f, *[np.copy(a) for a in args])
    try:
        got = ad.gradient(f, *[np.copy(a) for a in args], backend="numba")
    except AdCompilerError as e:
        assert "scipy" in str(e) or "numba" in str(e)
        return
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


# -- refusals --------------------------------------------------------------------------------
def overwrites(K, y):
    L = cholesky(K, lower=True, overwrite_a=True)
    return np.sum(L) + y[0]


def overwrites_b(a, b):
    return np.sum(solve_triangular(a, b, overwrite_b=True))


def banded(A, b):
    return np.sum(solve(A, b, assume_a="banded"))


def other_triangle(K, y):
    c, low = cho_factor(K, lower=True)
    alpha = cho_solve((c, low), y)
    return np.sum(c) + alpha @ y


def complex_solve(A, b):
    return np.abs(np.sum(solve(A, b)))


def _line_of(f, text):
    import inspect
    lines, first = inspect.getsourcelines(f)
    return first + next(k for k, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("f, args, text, why", [
    (overwrites, (SPD, Y), "overwrite_a=True", "overwrite_a=True is not differentiated"),
    (overwrites_b, (SPD, Y), "overwrite_b=True", "overwrite_b=True is not differentiated"),
    (banded, (SPD, Y), 'assume_a="banded"', "assume_a='banded' is not differentiated"),
])
def test_refused_at_the_line(f, args, text, why):
    with pytest.raises(AdCompilerError, match=rf"test_scipy_linalg\.py:{_line_of(f, text)}\b.*{why}"):
        ad.gradient(f, *[np.copy(a) for a in args])


def test_other_triangle_of_cho_factor_refused_in_reverse_nan_in_forward():
    """np.sum(c) reads the triangle of c scipy leaves arbitrary: refused when the code
    runs (reverse), NaN tangent (forward); np.diag(c) is right (gp_nll_cho)."""
    line = _line_of(other_triangle, "cho_factor(K")   # (the derivative of the call refuses)
    with pytest.raises(AdCompilerError, match=rf"test_scipy_linalg\.py:{line}\b.*does not hold the factor.*"
                                              r"arbitrary values"):
        ad.gradient(other_triangle, SPD.copy(), Y.copy())
    out = ad.autodiff(ad.Forward, other_triangle, Duplicated, Duplicated(SPD.copy(), np.eye(N)), Const(Y.copy()))
    assert np.isnan(out[0])


def weighed_factor(K, w):
    c, _ = cho_factor(K, lower=True)
    return np.sum(c * w)


def test_other_triangle_refused_in_second_derivatives():
    """A weight zero on the other triangle: the gradient is right; a direction that moves
    that part of the weight reaches the other triangle in the hvp: refused."""
    w = np.tril(RNG.uniform(0.5, 1.5, (N, N)))
    v = np.zeros((N, N))
    np.testing.assert_allclose(ad.hvp(weighed_factor, (SPD.copy(), w.copy()), (None, np.tril(w)))[1], 0.0)
    v[0, 1] = 1.0
    with pytest.raises(AdCompilerError, match=r"does not hold the factor"):
        ad.hvp(weighed_factor, (SPD.copy(), w.copy()), (np.eye(N), v))


def test_complex_refused():
    A = SPD + 1j * np.eye(N)
    with pytest.raises(AdCompilerError, match=r"complex"):
        ad.autodiff(ad.Reverse, complex_solve, Active, Duplicated(A, np.zeros_like(A)), Const(Y.astype(complex)))


def test_registered_with_scipy_linalg_alone(tmp_path):
    """A kernel importing scipy.linalg (not scipy.special) finds the rules."""
    script = tmp_path / "alone.py"
    script.write_text("import numpy as np, sys\nfrom scipy.linalg import cholesky\nimport adcompiler as ad\n\n\n"
                      "def f(a):\n    return np.sum(cholesky(a, lower=True))\n\n\n"
                      "print(ad.gradient(f, np.eye(2) * 4.0)[0][0, 0], 'scipy.special' in sys.modules)\n")
    out = subprocess.run([sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.split()[0]) == pytest.approx(0.25)


def solve_by_factor_name(K, y):
    cf = cho_factor(K)
    return float(y @ cho_solve(cf, y))


def solve_by_factor_call(K, y):
    return float(y @ cho_solve(cho_factor(K, lower=True), y) + np.sum(np.log(np.diag(cho_factor(K)[0]))))


def test_the_factor_as_scipy_passes_it():
    """scipy's idiom, cho_solve(cho_factor(K), y) and cf = cho_factor(K); cho_solve(cf, y):
    the pair written out at the call (it was refused, naming a temporary)."""
    for f in (solve_by_factor_name, solve_by_factor_call):
        check_everywhere(f, Duplicated(SPD_UPPER.copy(), np.zeros((N, N))), Duplicated(Y.copy(), np.zeros(N)),
                         ret=Active, tapes=("autograd", "torch", "jax"))
