"""Linear-algebra helpers the rules call from generated code (numpy only).

Matrix functions accept stacks of matrices (leading batch axes) where numpy
does. Conventions: ``cholesky`` and ``eigh`` read the lower triangle of their
input, as numpy does, so their adjoints live on the lower triangle;
``eigh`` and ``svd`` need distinct eigen/singular values where their vectors' adjoints
are read, ``qr`` a matrix with at least as many rows as columns and full rank.
"""
from __future__ import annotations

import numpy as np

from .core import unbroadcast
from .finite import unread_product


def _t(x):
    return np.swapaxes(x, -1, -2)


def _lower(abar):
    """Fold a symmetric adjoint onto the lower triangle numpy reads."""
    s = (abar + _t(abar)) / 2
    return np.tril(2 * s) - s * np.eye(s.shape[-1])


def inner_adjoint_a(g, a, b):
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * b, a.shape)
    na, nb = a.ndim - 1, b.ndim - 1
    return np.tensordot(g, b, axes=(tuple(range(na, na + nb)), tuple(range(nb))))


def inner_adjoint_b(g, a, b):
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * a, b.shape)
    na = a.ndim - 1
    return np.tensordot(g, a, axes=(tuple(range(na)), tuple(range(na))))


def _td_axes(a_nd, b_nd, axes):
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(a_nd - axes, a_nd)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a, ax_b = [k % a_nd for k in ax_a], [k % b_nd for k in ax_b]
    free_a = [k for k in range(a_nd) if k not in ax_a]
    free_b = [k for k in range(b_nd) if k not in ax_b]
    return ax_a, ax_b, free_a, free_b


def tensordot_adjoint_a(g, a, b, axes=2):
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    ax_a, ax_b, free_a, free_b = _td_axes(a.ndim, b.ndim, axes)
    r = np.tensordot(g, b, axes=(list(range(len(free_a), g.ndim)), free_b))
    return np.transpose(r, np.argsort(free_a + [ax_a[ax_b.index(j)] for j in sorted(ax_b)]))


def tensordot_adjoint_b(g, a, b, axes=2):
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    ax_a, ax_b, free_a, free_b = _td_axes(a.ndim, b.ndim, axes)
    r = np.tensordot(a, g, axes=(free_a, list(range(len(free_a)))))
    return np.transpose(r, np.argsort([ax_b[ax_a.index(i)] for i in sorted(ax_a)] + free_b))


def _full_convolution(g, n, m, mode):
    """The adjoint ``g`` of ``np.convolve`` of lengths ``n`` and ``m`` in ``mode``,
    placed in the full result (length ``n + m - 1``) with zeros elsewhere."""
    g = np.asarray(g)
    if mode == "full":
        return g
    full = np.zeros(n + m - 1, dtype=g.dtype)
    short = min(n, m)
    start = short - 1 if mode == "valid" else (short - 1) // 2
    full[start:start + g.shape[0]] = g
    return full


def convolve_adjoint(g, a, v, mode="full", first=True):
    """Adjoint of ``np.convolve(a, v, mode)`` for ``a`` (``first``) or ``v``: the
    full-length adjoint convolved with the other operand reversed, its valid part
    (no conjugation: the rule is marked holomorphic, which conjugates around it)."""
    a, v = np.asarray(a), np.asarray(v)
    full = _full_convolution(g, a.shape[0], v.shape[0], mode)
    other = v if first else a
    return np.convolve(full, other[::-1], mode="valid")


def _kron_layout(a_shape, b_shape):
    """Shapes of ``np.kron``'s operands with leading axes of length 1 up to a common
    rank, the product's shape with the two operands' axes interleaved, and the
    order that puts ``a``'s axes first, and the first ``nd`` axes."""
    nd = max(len(a_shape), len(b_shape))
    ap = (1,) * (nd - len(a_shape)) + tuple(a_shape)
    bp = (1,) * (nd - len(b_shape)) + tuple(b_shape)
    pairs = sum(((m, n) for m, n in zip(ap, bp)), ())
    order = tuple(range(0, 2 * nd, 2)) + tuple(range(1, 2 * nd, 2))
    return nd, ap, bp, pairs, order, tuple(range(nd))


def kron_adjoint(g, a, b, first):
    """Adjoint of ``np.kron``: operands of any ranks, the lower one taken with
    leading axes of length 1, as numpy does. Element ``(i, k)`` of the product
    (``i`` indexing ``a``, ``k`` ``b``, interleaved axis by axis) is
    ``a[i] * b[k]``."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    nd, ap, bp, pairs, order, lead = _kron_layout(a.shape, b.shape)
    g = np.transpose(np.reshape(g, pairs), order)
    if first:
        return np.reshape(np.tensordot(g, np.reshape(b, bp), nd), a.shape)
    return np.reshape(np.tensordot(np.reshape(a, ap), g, (lead, lead)), b.shape)


def _three(x):
    """2-vectors along the last axis as 3-vectors with a zero third component."""
    if x.shape[-1] == 2:
        return np.concatenate([x, np.zeros(x.shape[:-1] + (1,), dtype=x.dtype)], axis=-1)
    return x


def cross_adjoint(g, a, b, first=True):
    """Adjoint of ``np.cross`` (vectors along the last axis) in ``a`` (``first``)
    or ``b``: ``b x g`` or ``g x a``. A 2-vector is taken as a 3-vector with a
    zero third component, as numpy does; the product of two 2-vectors is the
    third component of theirs."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        zero = np.zeros_like(g)
        g = np.stack([zero, zero, g], axis=-1)
    a3, b3 = _three(a), _three(b)
    target = a if first else b
    r = np.cross(b3, g) if first else np.cross(g, a3)
    return unbroadcast(r[..., :target.shape[-1]], target.shape)


def solve_adjoint_b(g, a, ans):
    """(``solve(a, b)`` takes a 1-D ``b`` for one vector for every matrix of ``a``:
    its adjoint is summed over the stack.)"""
    g = np.asarray(g)
    if np.ndim(ans) == np.ndim(a) - 1:
        db = np.linalg.solve(_t(a), g[..., None])[..., 0]   # (one vector per matrix)
        return np.sum(np.reshape(db, (-1, db.shape[-1])), axis=0) if db.ndim > 1 else db
    return np.linalg.solve(_t(a), g)


def solve_adjoint_a(g, a, ans):
    if np.ndim(ans) == np.ndim(a) - 1:   # vectors: one outer product per matrix
        db = np.linalg.solve(_t(a), g[..., None])[..., 0]   # (one vector per matrix)
        return -db[..., :, None] * np.asarray(ans)[..., None, :]
    db = np.linalg.solve(_t(a), np.asarray(g))
    return -db @ _t(ans)


def solve_tangent_a(t, a, ans):
    if np.ndim(ans) == np.ndim(a) - 1:
        return -np.linalg.solve(a, t @ np.asarray(ans)[..., None])[..., 0]
    return -np.linalg.solve(a, t @ ans)


def inv_adjoint(g, ans):
    return -_t(ans) @ g @ _t(ans)


def _products_but_one(s):
    """``p[..., i]``: the product of ``s[..., l]`` over every ``l`` but ``i`` (no division: zeros welcome)."""
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]
    return before * after


def _cofactor_frame(a):
    """``(k, conj(u), s, conj(vh))`` of ``a = u diag(s) vh`` with ``k = det(u) det(vh)``: the
    cofactor matrix of ``a`` is ``k conj(u) C(diag(s)) conj(vh)`` for the fixed unitary factors."""
    u, s, vh = np.linalg.svd(a)
    return np.linalg.det(u) * np.linalg.det(vh), np.conj(u), s, np.conj(vh)


def det_cofactors(a):
    """The cofactor matrix of ``a`` (the derivative of ``det``), singular matrices included."""
    k, cu, s, cvh = _cofactor_frame(a)
    return k[..., None, None] * (cu * _products_but_one(s)[..., None, :]) @ cvh


def det_adjoint(g, a, ans):
    g, ans = np.asarray(g), np.asarray(ans)
    try:
        return (g * ans)[..., None, None] * _t(np.linalg.inv(a))
    except np.linalg.LinAlgError:   # (a singular matrix: its cofactors, from the SVD)
        return g[..., None, None] * det_cofactors(a)


def det_adjoint_da(g, a, t):
    """Tangent of :func:`det_adjoint` in ``a`` (``g`` held): ``g`` times the tangent of the cofactor
    matrix, from the SVD ``a = u diag(s) vh``. In the frame of the factors the tangent of the
    cofactors of ``diag(s)`` along ``t' = u^H t vh^H`` is ``-t'[j, i]`` times the product of the
    ``s`` but ``s[i]`` and ``s[j]`` off the diagonal and ``sum over k != i of t'[k, k]`` times the
    product of the ``s`` but ``s[i]`` and ``s[k]`` on it: polynomials in ``s``, so a singular
    matrix is no exception (``det * inv(a)`` cancels there)."""
    k, cu, s, cvh = _cofactor_frame(a)
    n = s.shape[-1]
    eye = np.eye(n, dtype=bool)
    tp = _t(cu) @ t @ _t(cvh)   # u^H t vh^H
    but_two = _products_but_one(np.where(eye, np.ones_like(s)[..., None, :], s[..., None, :]))   # [i, j]
    but_two = np.where(eye, 0, but_two)
    diagonal = but_two @ np.diagonal(tp, axis1=-2, axis2=-1)[..., None]
    dcs = np.where(eye, diagonal, -_t(tp) * but_two)
    return (np.asarray(g) * k)[..., None, None] * (cu @ dcs @ cvh)


def det_tangent(t, a, ans):
    try:
        return np.asarray(ans) * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
    except np.linalg.LinAlgError:   # (a singular matrix)
        return np.sum(det_cofactors(a) * t, axis=(-2, -1))


def slogdet_adjoint(g, a):
    return (np.asarray(g[1]) + np.zeros(np.shape(a)[:-2]))[..., None, None] * _t(np.linalg.inv(a))


def slogdet_tangent(t, a, ans):
    return (np.zeros_like(ans[0]), np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1))


def cholesky_adjoint(g, ans):
    """Adjoint of ``L = cholesky(A)`` (lower triangle of A read)."""
    L, Lbar = ans, np.asarray(g)
    P = _t(L) @ Lbar
    P = np.tril(P) - 0.5 * P * np.eye(P.shape[-1])
    Linv = np.linalg.inv(L)
    return _lower(_t(Linv) @ P @ Linv)


def cholesky_tangent(t, ans):
    """Tangent of ``cholesky``: ``L phi(L^-1 dA L^-T)`` with dA built from t's lower triangle."""
    L = ans
    Linv = np.linalg.inv(L)
    sym = Linv @ (np.tril(t) + _t(np.tril(t, -1))) @ _t(Linv)
    return L @ (np.tril(sym) - 0.5 * sym * np.eye(sym.shape[-1]))


def _tall(a):
    m, n = np.shape(a)[-2:]
    if m < n:
        raise NotImplementedError(
            f"qr of a wide {m}x{n} matrix: its derivative is known for matrices with at least as many rows as "
            "columns. Differentiate the qr of the transpose, or of the square part a[:, :m].")


def qr_adjoint(g, a, ans):
    """Adjoint of the reduced QR of a tall full-rank matrix."""
    _tall(a)
    Q, R = ans
    Qbar, Rbar = g[0] + np.zeros_like(Q), g[1] + np.zeros_like(R)   # (an unused part's adjoint is 0.0)
    M = R @ _t(Rbar) - _t(Qbar) @ Q
    copyltu = np.tril(M) + _t(np.tril(M, -1))
    rhs = Qbar + Q @ copyltu
    return _t(np.linalg.solve(R, _t(rhs)))


def eigh_adjoint(g, a, ans):
    """Adjoint of ``eigh`` (distinct eigenvalues; lower triangle read)."""
    w, v = ans
    wbar, vbar = g[0] + np.zeros_like(w), g[1] + np.zeros_like(v)   # (an unused part's adjoint is 0.0)
    n, eye = w.shape[-1], np.eye(w.shape[-1], dtype=bool)
    with np.errstate(divide="ignore"):   # (repeated eigenvalues: infinite, and 0 where no vector's adjoint is)
        F = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, w[..., None, :] - w[..., :, None]))
    inner = wbar[..., None, :] * np.eye(n) + unread_product(_t(v) @ vbar, F)
    return _lower(v @ inner @ _t(v))


def _svd_reduced_rank(Ub, Vhb, m, n):
    """min(m, n), once sure the adjoints of the full factors' extra columns of U
    (rows of Vh), which are not determined by the matrix, are 0."""
    k = min(m, n)
    if np.any(Ub[..., :, k:]) or np.any(Vhb[..., k:, :]):
        raise NotImplementedError(
            f"svd of a {m}x{n} matrix with full_matrices=True: the derivative reads columns of U (or "
            f"rows of Vh) past the first {k}, which are not determined by the matrix. Pass "
            f"full_matrices=False, or use only the first {k}.")
    return k


def svd_adjoint(g, a, ans, full_matrices=True, compute_uv=True):
    """Adjoint of ``svd`` (distinct singular values; reduced factors unless square)."""
    if not compute_uv:
        return svdvals_adjoint(g, a)
    m, n = np.shape(a)[-2:]
    U, S, Vh = ans[0], ans[1], ans[2]   # indexed, not unpacked: ans is one array when not compute_uv
    Ub, Sb, Vhb = g[0] + np.zeros_like(U), g[1] + np.zeros_like(S), g[2] + np.zeros_like(Vh)
    if full_matrices and m != n:
        # the columns of U (rows of Vh) past min(m, n) are any basis of a complement: a
        # derivative that reads them is not defined, one that does not is the reduced one's
        k = _svd_reduced_rank(Ub, Vhb, m, n)
        U, Ub, Vh, Vhb = U[..., :, :k], Ub[..., :, :k], Vh[..., :k, :], Vhb[..., :k, :]
    V, Vb = _t(Vh), _t(Vhb)
    k = S.shape[-1]
    eye = np.eye(k, dtype=bool)
    with np.errstate(divide="ignore"):   # (repeated singular values: as eigh_adjoint's)
        F = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, S[..., None, :] ** 2 - S[..., :, None] ** 2))
    J = unread_product(_t(U) @ Ub - _t(Ub) @ U, F)
    K = unread_product(_t(V) @ Vb - _t(Vb) @ V, F)
    Sm = S[..., None, :] * np.eye(k)
    core = J @ Sm + Sb[..., None, :] * np.eye(k) + Sm @ K
    out = U @ core @ Vh
    with np.errstate(divide="ignore"):   # (a zero singular value: 0 where no adjoint of its vectors is)
        inv = 1.0 / S
    if m > k:
        out = out + (np.eye(m) - U @ _t(U)) @ unread_product(Ub, inv[..., None, :]) @ Vh
    if n > k:
        out = out + U @ unread_product(_t(Vb), inv[..., :, None]) @ (np.eye(n) - V @ Vh)
    return out


def svdvals_adjoint(g, a):
    U, _, Vh = np.linalg.svd(a, full_matrices=False)
    return U @ (np.asarray(g)[..., None, :] * np.eye(U.shape[-1])) @ Vh


def pinv_adjoint(g, a, ans):
    """Adjoint of ``pinv`` (constant rank)."""
    P, G = ans, np.asarray(g)
    m, n = np.shape(a)[-2:]
    A = np.asarray(a)
    term = -_t(P) @ G @ _t(P)
    term = term + (np.eye(m) - A @ P) @ _t(G) @ P @ _t(P)
    return term + _t(P) @ P @ _t(G) @ (np.eye(n) - P @ A)


def _full_column_rank(a, ans):
    """Refuse a matrix whose columns are not independent (more columns than rows, or the rank
    numpy's lstsq found, ``ans[2]``, short of them): the derivatives below solve with ``a.T @ a``,
    singular there (numpy's error, or rounding's numbers where it is nearly so)."""
    m, n = np.shape(a)[-2:]
    rank = int(ans[2]) if isinstance(ans, tuple) and len(ans) > 2 and np.ndim(ans[2]) == 0 else n
    if m < n or rank < n:
        raise NotImplementedError(
            f"np.linalg.lstsq of a {m}x{n} matrix of rank {min(rank, m)}: its derivative is known for a matrix of "
            f"full column rank ({n}); the minimum-norm solution of an underdetermined or rank-deficient system "
            "is not differentiated. Differentiate np.linalg.pinv(a) @ b instead.")


def lstsq_adjoint_a(g, a, b, ans):
    """Adjoint of ``lstsq(a, b)`` in ``a`` for a full-column-rank ``a``: of the solution ``x``, of the
    residuals (``|b - a x|^2`` per column of ``b``: ``-2 r x^T``, as ``a^T r = 0`` the change of ``x``
    adds nothing) and of the singular values (``U diag(g) V^T``)."""
    _full_column_rank(a, ans)
    x, xbar = ans[0], np.asarray(g[0])
    A = np.asarray(a)
    z = np.linalg.solve(_t(A) @ A, xbar)
    r = np.asarray(b) - A @ x
    if np.ndim(x) == 1:
        out = np.outer(r, z) - A @ np.outer(z, x)
    else:
        out = r @ _t(z) - A @ z @ _t(x)
    gres, gsv = g[1], g[3]
    if np.size(ans[1]) and np.any(np.asarray(gres) != 0):
        out = out - 2 * (np.sum(gres) * np.outer(r, x) if np.ndim(x) == 1 else (r * gres) @ _t(x))
    if np.any(np.asarray(gsv) != 0):
        out = out + svdvals_adjoint(gsv, A)
    return out


def lstsq_adjoint_b(g, a, b, ans):
    """Adjoint of ``lstsq(a, b)`` in ``b``: of the solution and of the residuals (``2 r``)."""
    _full_column_rank(a, ans)
    A = np.asarray(a)
    out = A @ np.linalg.solve(_t(A) @ A, np.asarray(g[0]))
    gres = g[1]
    if np.size(ans[1]) and np.any(np.asarray(gres) != 0):
        x = ans[0]
        r = np.asarray(b) - A @ x
        out = out + 2 * (np.sum(gres) if np.ndim(x) == 1 else gres) * r
    return out


def _sym_lower(t):
    """The symmetric matrix numpy sees when it reads the lower triangle of ``t``."""
    return np.tril(t) + _t(np.tril(t, -1))


def _offdiag_inverse(d):
    eye = np.eye(d.shape[-1], dtype=bool)
    return np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, d))


def qr_tangent(t, a, ans):
    _tall(a)
    Q, R = ans
    Rinv = np.linalg.inv(R)
    C = _t(Q) @ t @ Rinv
    low = np.tril(C, -1)
    omega = low - _t(low)
    return (Q @ omega + t @ Rinv - Q @ C, (C - omega) @ R)


def eigh_tangent(t, a, ans):
    w, v = ans
    P = _t(v) @ _sym_lower(t) @ v
    F = _offdiag_inverse(w[..., None, :] - w[..., :, None])
    return (np.diagonal(P, axis1=-2, axis2=-1).copy(), v @ (F * P))


def eigvalsh_adjoint(g, a):
    w, v = np.linalg.eigh(a)
    return _lower(v @ (np.asarray(g)[..., None, :] * np.eye(w.shape[-1])) @ _t(v))


def eigvalsh_tangent(t, a):
    _, v = np.linalg.eigh(a)
    return np.diagonal(_t(v) @ _sym_lower(t) @ v, axis1=-2, axis2=-1).copy()


def svd_tangent(t, a, ans, full_matrices=True, compute_uv=True):
    if not compute_uv:
        U, _, Vh = np.linalg.svd(a, full_matrices=False)
        return np.diagonal(_t(U) @ t @ _t(Vh), axis1=-2, axis2=-1).copy()
    U, S, Vh = ans
    m, n = np.shape(a)[-2:]
    k = S.shape[-1]
    if full_matrices and m != n:
        # the columns past k are any basis of a complement: their tangent is not
        # defined, and is NaN (the others are the reduced factors')
        dU, dS, dVh = svd_tangent(t, a, (U[..., :, :k], S, Vh[..., :k, :]), False, True)
        nan_u = np.full(dU.shape[:-1] + (m - k,), np.nan)
        nan_v = np.full(dVh.shape[:-2] + (n - k, n), np.nan)
        return (np.concatenate([dU, nan_u], axis=-1), dS, np.concatenate([dVh, nan_v], axis=-2))
    V = _t(Vh)
    P = _t(U) @ t @ V
    F = _offdiag_inverse(S[..., None, :] ** 2 - S[..., :, None] ** 2)
    Sm = S[..., None, :] * np.eye(k)
    Sinv = (1.0 / S)[..., None, :] * np.eye(k)
    dU = U @ (F * (P @ Sm + Sm @ _t(P)))
    dV = V @ (F * (Sm @ P + _t(P) @ Sm))
    if m > k:
        dU = dU + (np.eye(m) - U @ _t(U)) @ t @ V @ Sinv
    if n > k:
        dV = dV + (np.eye(n) - V @ Vh) @ _t(t) @ U @ Sinv
    return (dU, np.diagonal(P, axis1=-2, axis2=-1).copy(), _t(dV))


def pinv_tangent(t, a, ans):
    P, A = ans, np.asarray(a)
    m, n = A.shape[-2:]
    return -P @ t @ P + P @ _t(P) @ _t(t) @ (np.eye(m) - A @ P) + (np.eye(n) - P @ A) @ _t(t) @ _t(P) @ P


def lstsq_tangent_a(t, a, b, ans):
    """Tangent of ``lstsq(a, b)`` along ``a``'s: the solution's, the residuals' (``-2 r . (t x)``
    per column, as ``a^T r = 0``), the rank's (0) and the singular values' (``u_i^T t v_i``)."""
    _full_column_rank(a, ans)
    A, x = np.asarray(a), ans[0]
    r = np.asarray(b) - A @ x
    tx = t @ x
    dx = np.linalg.solve(_t(A) @ A, _t(t) @ r - _t(A) @ tx)
    dres = np.reshape(-2 * np.sum(r * tx, axis=0), np.shape(ans[1])) if np.size(ans[1]) else np.zeros(0)
    return dx, dres, np.zeros(np.shape(ans[2])), svd_tangent(t, A, None, False, False)


def lstsq_tangent_b(t, a, b, ans):
    """Tangent of ``lstsq(a, b)`` along ``b``'s: the solution's and the residuals' (``2 r . t``)."""
    _full_column_rank(a, ans)
    A, x = np.asarray(a), ans[0]
    dx = np.linalg.solve(_t(A) @ A, _t(A) @ t)
    r = np.asarray(b) - A @ x
    dres = np.reshape(2 * np.sum(r * t, axis=0), np.shape(ans[1])) if np.size(ans[1]) else np.zeros(0)
    return dx, dres, np.zeros(np.shape(ans[2])), np.zeros(np.shape(ans[3]))


def matrix_power_adjoint(g, a, n):
    """Adjoint of ``np.linalg.matrix_power(a, n)``: the sum over j of (aᵀ)ʲ g (aᵀ)ⁿ⁻¹⁻ʲ, by the
    recurrence t ← aᵀ t + g (aᵀ)ᵏ; of a negative ``n``, through the inverse."""
    b = np.linalg.inv(a) if n < 0 else a
    m = -n if n < 0 else n
    bt = _t(b)
    t = g + np.zeros_like(bt) if m > 0 else np.zeros_like(bt)
    p = np.eye(bt.shape[-1]) + np.zeros_like(bt)
    for _ in range(1, m):
        p = p @ bt
        t = bt @ t + g @ p
    return inv_adjoint(t, b) if n < 0 else t


def matrix_power_tangent(t, a, n):
    """Tangent of ``np.linalg.matrix_power(a, n)``: the sum over j of aʲ t aⁿ⁻¹⁻ʲ (of a negative
    ``n``, with the tangent of the inverse)."""
    b = np.linalg.inv(a) if n < 0 else a
    m = -n if n < 0 else n
    db = -(b @ t @ b) if n < 0 else t + np.zeros_like(b)
    s = db if m > 0 else np.zeros_like(db)
    p = np.eye(b.shape[-1]) + np.zeros_like(b)
    for _ in range(1, m):
        p = p @ b
        s = b @ s + db @ p
    return s
