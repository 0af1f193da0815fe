"""Adjoints and tangents of the ``scipy.linalg`` rules (numpy only).

scipy reads one part of its matrix argument depending on its flags: a
triangle (``lower``), the triangle of a symmetric matrix (``assume_a='sym'``,
``'pos'``), the diagonal of a unit triangular matrix not at all
(``unit_diagonal``). Each helper builds the matrix scipy solves with from the
part it reads (``sl_read``), and gives the adjoint only on that part
(``sl_read_adjoint``, the transpose of ``sl_read``). A right-hand side of one
dimension is one vector (for every matrix of a stack); otherwise its last two
axes are a matrix, as scipy's batched functions take them.
"""
from __future__ import annotations

import numpy as np

from .core import unbroadcast
from .linalg import _t, cholesky_adjoint, cholesky_tangent

#: ``assume_a`` values whose matrix is symmetric, read from one triangle
SYMMETRIC = ("sym", "symmetric", "her", "hermitian", "pos", "positive definite")
#: ``assume_a`` values whose matrix is the whole argument
GENERAL = (None, "gen", "general")
#: every ``assume_a`` the helpers take (``solve``'s; ``inv`` takes these but ``'diagonal'``)
STRUCTURES = GENERAL + SYMMETRIC + ("upper triangular", "lower triangular", "diagonal")


def _structure(assume_a):
    if assume_a in GENERAL:
        return "gen"
    if assume_a in SYMMETRIC:
        return "sym"
    if assume_a in ("upper triangular", "lower triangular", "diagonal"):
        return assume_a
    raise NotImplementedError(f"assume_a={assume_a!r} is not differentiated (differentiated: "
                              "'gen', 'sym', 'her', 'pos', 'upper triangular', 'lower triangular', 'diagonal')")


def sl_flips(trans) -> bool:
    """Whether ``trans`` (``solve_triangular``'s) solves with the transpose (real matrices)."""
    if isinstance(trans, str):
        if trans in ("N", "n"):
            return False
        if trans in ("T", "t", "C", "c"):
            return True
    elif trans in (0, 1, 2):
        return trans != 0
    raise NotImplementedError(f"trans={trans!r} is not differentiated (0, 1, 2, 'N', 'T' or 'C')")


def _eye(a):
    return np.eye(np.shape(a)[-1])


def _triangle(a, lower, k=0):
    return np.tril(a, -k) if lower else np.triu(a, k)


def sl_read(a, assume_a, lower=False, transposed=False):
    """The matrix ``solve(a, ..., assume_a, lower, transposed)`` solves with (linear in ``a``)."""
    how = _structure(assume_a)
    if how == "sym":
        m = _triangle(a, lower) + _t(_triangle(a, lower, 1))
    elif how == "upper triangular":
        m = np.triu(a)
    elif how == "lower triangular":
        m = np.tril(a)
    elif how == "diagonal":
        m = a * _eye(a)
    else:
        m = np.copy(a)
    return _t(m) if transposed else m


def sl_read_adjoint(mbar, assume_a, lower=False, transposed=False):
    """The adjoint in ``a`` of ``sl_read(a, ...)`` given the adjoint ``mbar`` of the matrix read."""
    how = _structure(assume_a)
    if transposed:
        mbar = _t(mbar)
    if how == "sym":
        return _triangle(mbar + _t(mbar), lower) - mbar * _eye(mbar)
    if how == "upper triangular":
        return np.triu(mbar)
    if how == "lower triangular":
        return np.tril(mbar)
    if how == "diagonal":
        return mbar * _eye(mbar)
    return np.copy(mbar)


def _matrix(v, vec):
    return np.asarray(v)[..., None] if vec else np.asarray(v)


def _vector(v, vec):
    return v[..., 0] if vec else v


def _solved(m, v, vec):
    """``m^-1 v`` for a right-hand side ``v`` (one vector if ``vec``)."""
    return _vector(np.linalg.solve(m, _matrix(v, vec)), vec)


def _outer_adjoint(m, g, ans, vec):
    """The adjoint of the matrix ``m`` of ``x = m^-1 b``: ``-(m^-T g) x^T``."""
    bbar = np.linalg.solve(_t(m), _matrix(g, vec))
    return -(bbar @ _t(_matrix(ans, vec)))


# -- solve ------------------------------------------------------------------------------
def sl_solve_adjoint_a(g, a, b, ans, assume_a=None, lower=False, transposed=False):
    m = sl_read(a, assume_a, lower, transposed)
    mbar = _outer_adjoint(m, g, ans, np.ndim(b) == 1)
    return unbroadcast(sl_read_adjoint(mbar, assume_a, lower, transposed), np.shape(a))


def sl_solve_adjoint_b(g, a, b, assume_a=None, lower=False, transposed=False):
    m = sl_read(a, assume_a, lower, transposed)
    return unbroadcast(_solved(_t(m), g, np.ndim(b) == 1), np.shape(b))


def sl_solve_tangent_a(t, a, b, ans, assume_a=None, lower=False, transposed=False):
    vec = np.ndim(b) == 1
    m = sl_read(a, assume_a, lower, transposed)
    return -_solved(m, _vector(sl_read(t, assume_a, lower, transposed) @ _matrix(ans, vec), vec), vec)


def sl_solve_tangent_b(t, a, b, assume_a=None, lower=False, transposed=False):
    return _solved(sl_read(a, assume_a, lower, transposed), t, np.ndim(b) == 1)


# -- solve_triangular ---------------------------------------------------------------------
def sl_triangle_read(a, lower, unit_diagonal):
    """The entries of ``a`` ``solve_triangular`` reads: one triangle, without the
    diagonal where it is taken to be ones."""
    return _triangle(a, lower, 1 if unit_diagonal else 0)


def sl_triangular(a, trans, lower, unit_diagonal):
    """The matrix ``solve_triangular(a, b, trans, lower, unit_diagonal)`` solves with."""
    m = sl_triangle_read(a, lower, unit_diagonal)
    if unit_diagonal:
        m = m + _eye(a)
    return _t(m) if sl_flips(trans) else m


def sl_solve_triangular_adjoint_a(g, a, b, ans, trans=0, lower=False, unit_diagonal=False):
    mbar = _outer_adjoint(sl_triangular(a, trans, lower, unit_diagonal), g, ans, np.ndim(b) == 1)
    if sl_flips(trans):
        mbar = _t(mbar)
    return unbroadcast(sl_triangle_read(mbar, lower, unit_diagonal), np.shape(a))


def sl_solve_triangular_adjoint_b(g, a, b, trans=0, lower=False, unit_diagonal=False):
    m = sl_triangular(a, trans, lower, unit_diagonal)
    return unbroadcast(_solved(_t(m), g, np.ndim(b) == 1), np.shape(b))


def sl_solve_triangular_tangent_a(t, a, b, ans, trans=0, lower=False, unit_diagonal=False):
    vec = np.ndim(b) == 1
    dm = sl_triangle_read(t, lower, unit_diagonal)
    if sl_flips(trans):
        dm = _t(dm)
    m = sl_triangular(a, trans, lower, unit_diagonal)
    return -_solved(m, _vector(dm @ _matrix(ans, vec), vec), vec)


def sl_solve_triangular_tangent_b(t, a, b, trans=0, lower=False, unit_diagonal=False):
    return _solved(sl_triangular(a, trans, lower, unit_diagonal), t, np.ndim(b) == 1)


# -- inv ---------------------------------------------------------------------------------
def sl_inv_adjoint(g, a, ans, assume_a=None, lower=False):
    return sl_read_adjoint(-(_t(ans) @ np.asarray(g) @ _t(ans)), assume_a, lower)


def sl_inv_tangent(t, a, ans, assume_a=None, lower=False):
    return -(ans @ sl_read(t, assume_a, lower) @ ans)


# -- cholesky, cho_factor, cho_solve ---------------------------------------------------
def sl_cholesky_adjoint(g, ans, lower=False):
    """Adjoint of ``cholesky(a, lower)``: numpy's for ``L``; for ``U = L^T`` the
    factor of ``a^T`` (the upper triangle read), transposed."""
    if lower:
        return cholesky_adjoint(g, ans)
    return _t(cholesky_adjoint(_t(np.asarray(g)), _t(ans)))


def sl_cholesky_tangent(t, ans, lower=False):
    if lower:
        return cholesky_tangent(t, ans)
    return _t(cholesky_tangent(_t(t), _t(ans)))


def sl_factor_used(gc, c, lower):
    """The adjoint of ``cho_factor``'s ``c`` on the triangle holding the factor;
    refused where a derivative reaches the other triangle, whose values scipy
    leaves unspecified."""
    gc = np.asarray(gc) + np.zeros(np.shape(c))
    other = _triangle(gc, not lower, 1)
    if np.any(other != 0):
        raise NotImplementedError(
            "a derivative reaches the triangle of cho_factor's result that does not hold the factor "
            f"(the {'upper' if lower else 'lower'} one: scipy leaves arbitrary values there); pass the "
            "result to cho_solve only, read np.diag(c), or use scipy.linalg.cholesky for the factor")
    return _triangle(gc, lower)


def sl_cho_factor_adjoint(g, a, ans):
    c, lower = ans[0], ans[1]
    return sl_cholesky_adjoint(sl_factor_used(g[0], c, lower), _triangle(c, lower), lower)


def sl_cho_factor_tangent(t, ans):
    """The factor's tangent on its triangle; on the other NaN, unless ``t`` is 0 (a zero
    would pass for a derivative)."""
    c, lower = ans[0], ans[1]
    dc = sl_cholesky_tangent(t, _triangle(c, lower), lower)
    moved = np.any(np.asarray(t) != 0)
    nan = np.where((_triangle(np.ones(np.shape(c)), not lower, 1) != 0) & moved, np.nan, 0.0)
    return (_triangle(dc, lower) + nan, 0.0)


def _factored(c_and_lower):
    """The matrix ``cho_solve`` solves with, and its factor (``L`` or ``U``) and flag."""
    c, lower = c_and_lower[0], c_and_lower[1]
    f = _triangle(c, lower)
    return (f @ _t(f) if lower else _t(f) @ f), f, lower


def sl_cho_solve_adjoint_c(g, c_and_lower, b, ans):
    m, f, lower = _factored(c_and_lower)
    mbar = _outer_adjoint(m, g, ans, np.ndim(b) == 1)
    mbar = mbar + _t(mbar)
    cbar = _triangle(mbar @ f if lower else f @ mbar, lower)
    return (unbroadcast(cbar, np.shape(c_and_lower[0])), 0.0)


def sl_cho_solve_adjoint_b(g, c_and_lower, b):
    m = _factored(c_and_lower)[0]
    return unbroadcast(_solved(m, g, np.ndim(b) == 1), np.shape(b))


def sl_cho_solve_tangent_c(t, c_and_lower, b, ans):
    vec = np.ndim(b) == 1
    m, f, lower = _factored(c_and_lower)
    df = _triangle(t[0], lower)   # (np.tril/np.triu select: the other triangle's NaN is not read)
    dm = df @ _t(f) + f @ _t(df) if lower else _t(df) @ f + _t(f) @ df
    return -_solved(m, _vector(dm @ _matrix(ans, vec), vec), vec)


def sl_cho_solve_tangent_b(t, c_and_lower, b):
    return _solved(_factored(c_and_lower)[0], t, np.ndim(b) == 1)
