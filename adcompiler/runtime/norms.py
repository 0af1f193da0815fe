"""Adjoints and tangents of ``np.linalg.norm``: vector orders, the matrix
norms of sums (1, -1, inf, -inf) and of singular values (2, -2, "nuc"), real
or complex."""
from __future__ import annotations

import numpy as np

from .core import _norm_axes, unreduce
from .numpy import safe_div


def norm_adjoint(g, x, ans, ord=None, axis=None, keepdims=False):
    """Adjoint of ``np.linalg.norm`` for vector and matrix orders.

    Conventions: 0 at the zero vector; ties of the inf/-inf and 1/-1 matrix
    norms split the adjoint equally; ``ord=0`` (a count) has no derivative.
    """
    x = np.asarray(x)
    if axis is None:
        axes = tuple(range(x.ndim)) if ord is None or x.ndim == 1 else (0, 1)
    else:
        axes = _norm_axes(axis, x.ndim)
    gk = unreduce(g, x, axes, keepdims)
    nk = unreduce(ans, x, axes, keepdims)
    if len(axes) == 1 or ord is None or ord == "fro":
        if ord in (None, 2, "fro"):
            return gk * safe_div(x, nk)
        if ord == 1:
            return gk * np.sign(x)
        if ord == 0:
            return np.zeros_like(x)
        if ord in (np.inf, -np.inf):
            mask = np.abs(x) == nk
            return gk * np.sign(x) * mask / np.sum(mask, axis=axes, keepdims=True)
        return gk * np.sign(x) * safe_div(np.abs(x) ** (ord - 1), nk ** (ord - 1))
    xm = np.moveaxis(x, axes, (-2, -1))
    if ord in ("nuc", 2, -2):
        u, _s, vh = np.linalg.svd(xm, full_matrices=False)
        if ord == "nuc":
            d = u @ vh
        else:
            k = 0 if ord == 2 else -1
            d = u[..., :, k, None] * vh[..., None, k, :]
    else:
        d = np.sign(xm) * _matrix_pick(xm, ord)
    return gk * np.moveaxis(d, (-2, -1), axes)


def _matrix_pick(xm, ord):
    """The column (ord 1, -1) or row (inf, -inf) whose absolute sum is the norm,
    as weights (ties share equally)."""
    sums_axis = -2 if ord in (1, -1) else -1
    sums = np.sum(np.abs(xm), axis=sums_axis, keepdims=True)
    pick = np.max(sums, axis=-1 if sums_axis == -2 else -2, keepdims=True) if ord in (1, np.inf) \
        else np.min(sums, axis=-1 if sums_axis == -2 else -2, keepdims=True)
    mask = sums == pick
    return mask / np.sum(mask, axis=(-2, -1), keepdims=True)


def _norm_parts(x, ans, ord, axis, keepdims):
    """``x``, the axes reduced, and the norm broadcast to them: None for the
    matrix norms 1, -1, inf, -inf (sums of absolute values of a picked column or
    row), "svd" for 2, -2, "nuc"."""
    x = np.asarray(x)
    if axis is None:
        axes = tuple(range(x.ndim)) if ord is None or x.ndim == 1 else (0, 1)
    else:
        axes = _norm_axes(axis, x.ndim)
    if not (len(axes) == 1 or ord is None or ord == "fro"):
        if ord in (1, -1, np.inf, -np.inf):
            return x, axes, None
        return x, axes, "svd"
    return x, axes, unreduce(ans, x, axes, keepdims)


def _sign_tangent(x, ax, t):
    """The tangent of ``x / |x|`` (0 for real ``x``, whose sign is constant)."""
    return safe_div(t, ax) - x * safe_div(np.real(np.conj(x) * t), ax ** 3)


def norm_adjoint_dx(g, x, ans, ord=None, axis=None, keepdims=False, t=0.0):
    """Tangent of :func:`norm_adjoint` in ``x`` alone (``ans`` held), real or complex
    ``x``; the spectral and nuclear norms through the tangent of the SVD."""
    x, axes, nk = _norm_parts(x, ans, ord, axis, keepdims)
    if (nk is None and not np.iscomplexobj(x)) or ord == 0:
        return np.zeros_like(x, dtype=float)
    gk = unreduce(g, x, axes, keepdims)
    if nk is None:   # a complex matrix's 1, -1, inf, -inf norm: the signs of the picked column or row turn
        xm, tm = np.moveaxis(x, axes, (-2, -1)), np.moveaxis(np.asarray(t) + np.zeros(x.shape), axes, (-2, -1))
        return gk * np.moveaxis(_sign_tangent(xm, np.abs(xm), tm) * _matrix_pick(xm, ord), (-2, -1), axes)
    if isinstance(nk, str):
        return gk * _spectral_adjoint_tangent(x, t, ord, axes)
    if ord in (None, 2, "fro"):
        return gk * safe_div(t, nk)
    ax = np.abs(x)
    ds = _sign_tangent(x, ax, t)
    if ord == 1:
        return gk * ds
    if ord in (np.inf, -np.inf):
        mask = ax == nk
        return gk * ds * mask / np.sum(mask, axis=axes, keepdims=True)
    w = safe_div(ax ** (ord - 1), nk ** (ord - 1))
    dw = (ord - 1) * safe_div(ax ** (ord - 2) * safe_div(np.real(np.conj(x) * t), ax), nk ** (ord - 1))
    return gk * (ds * w + safe_div(x, ax) * dw)


def _spectral_adjoint_tangent(x, t, ord, axes):
    """The tangent of ``U V^H`` (nuclear norm) or ``u_k v_k^H`` (2, -2), the
    matrix norms' adjoint directions, along ``t`` (distinct singular values),
    real or complex: the phase a complex SVD leaves free cancels in them, so
    it is put in ``dU`` (``1j Im(P_ii) / s_i``) and nothing in ``dV``."""
    def h(a):
        return np.conj(np.swapaxes(a, -1, -2))
    xm, tm = np.moveaxis(x, axes, (-2, -1)), np.moveaxis(np.asarray(t) + np.zeros(x.shape), axes, (-2, -1))
    u, s, vh = np.linalg.svd(xm, full_matrices=False)
    v, k = h(vh), s.shape[-1]
    p = h(u) @ tm @ v
    eye = np.eye(k, dtype=bool)
    f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, s[..., None, :] ** 2 - s[..., :, None] ** 2))
    sm = s[..., None, :] * np.eye(k)
    phase = 1j * np.imag(np.diagonal(p, axis1=-2, axis2=-1)) / s if np.iscomplexobj(p) else 0.0 * s
    du = u @ (f * (p @ sm + sm @ h(p)) + phase[..., None, :] * np.eye(k)) + \
        (tm - u @ (h(u) @ tm)) @ v / s[..., None, :]
    dv = v @ (f * (sm @ p + h(p) @ sm)) + (h(tm) - v @ (vh @ h(tm))) @ u / s[..., None, :]
    if ord == "nuc":
        d = du @ vh + u @ h(dv)
    else:
        j = 0 if ord == 2 else -1
        d = du[..., :, j, None] * vh[..., None, j, :] + u[..., :, j, None] * np.conj(dv[..., None, :, j])
    return np.moveaxis(d, (-2, -1), axes)


def norm_adjoint_dans(g, x, ans, ord=None, axis=None, keepdims=False, t=0.0):
    """Tangent of :func:`norm_adjoint` in ``ans`` alone (``x`` held)."""
    x, axes, nk = _norm_parts(x, ans, ord, axis, keepdims)
    if nk is None or isinstance(nk, str) or ord in (1, 0, np.inf, -np.inf):
        return np.zeros_like(x, dtype=float)
    gk, tk = unreduce(g, x, axes, keepdims), unreduce(t, x, axes, keepdims)
    if ord in (None, 2, "fro"):
        return -gk * safe_div(x * tk, nk * nk)
    ax = np.abs(x)
    return -gk * (ord - 1) * safe_div(x, ax) * safe_div(ax ** (ord - 1) * tk, nk ** ord)


def norm_tangent(t, x, ans, ord=None, axis=None, keepdims=False):
    """Tangent of ``np.linalg.norm`` (the adjoint applied to a unit seed)."""
    x = np.asarray(x)
    if axis is None:
        axes = tuple(range(x.ndim)) if ord is None or x.ndim == 1 else (0, 1)
    else:
        axes = _norm_axes(axis, x.ndim)
    d = norm_adjoint(np.ones(np.shape(ans)), x, ans, ord, axis, keepdims)
    return np.sum(d * t, axis=axes, keepdims=keepdims)
