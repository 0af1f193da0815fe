"""Adjoints and tangents of ``np.cov`` and ``np.corrcoef``, for the rule tables
(the weights constant; numpy's clipping of correlations to [-1, 1] ignored)."""
from __future__ import annotations

import numpy as np


def _cov_setup(m, y, rowvar, bias, ddof, fweights, aweights):
    """The observation matrix numpy's ``cov`` builds (variables in rows), the
    rows that come from ``m``, the weights and the normalisation."""
    X = np.array(m, ndmin=2, dtype=float)
    if not rowvar and X.shape[0] != 1:
        X = X.T
    rows = X.shape[0]
    if y is not None:
        Y = np.array(y, ndmin=2, dtype=float)
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = np.concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = np.ones(X.shape[1])
    if fweights is not None:
        w = w * np.asarray(fweights, dtype=float)
    if aweights is not None:
        w = w * np.asarray(aweights, dtype=float)
    v1 = np.sum(w)
    if aweights is None:
        fact = v1 - ddof
    else:
        fact = v1 - ddof * np.sum(w * np.asarray(aweights, dtype=float)) / v1
    Xc = X - (np.sum(X * w, axis=1) / v1)[:, None]
    return X, rows, w, fact, Xc


def _cov_back(Xbar, m, y, rowvar, rows):
    """Split the adjoint of the observation matrix back onto ``m`` and ``y``."""
    def back(part, like):
        if not rowvar and np.array(like, ndmin=2).shape[0] != 1:
            part = part.T
        return np.reshape(part, np.shape(like))
    return back(Xbar[:rows], m), (back(Xbar[rows:], y) if y is not None else None)


def cov_adjoint(g, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, first=True):
    """Adjoint of ``np.cov`` for ``m`` (``first``) or ``y``, with constant weights:
    ``Xbar = (G + G^T) (Xc * w) / fact`` (centering is its own adjoint and
    the columns of ``Xc * w`` already sum to zero)."""
    X, rows, w, fact, Xc = _cov_setup(m, y, rowvar, bias, ddof, fweights, aweights)
    p = X.shape[0]
    G = np.reshape(np.asarray(g, dtype=float), (p, p))
    Xbar = (G + G.T) @ (Xc * w) / fact
    return _cov_back(Xbar, m, y, rowvar, rows)[0 if first else 1]


def cov_tangent(tm, ty, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Tangent of ``np.cov`` from the tangents ``tm`` of ``m`` and ``ty`` of ``y``."""
    _, _, w, fact, Xc = _cov_setup(m, y, rowvar, bias, ddof, fweights, aweights)
    tm = np.zeros_like(np.asarray(m, dtype=float)) if tm is None else tm
    ty = None if y is None else (np.zeros_like(np.asarray(y, dtype=float)) if ty is None else ty)
    T = _cov_setup(tm, ty, rowvar, bias, ddof, fweights, aweights)[4]
    S = (T * w) @ Xc.T / fact
    return np.squeeze(S + S.T)


def cov_adjoint_tangent(g, tm, ty, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
                        aweights=None, first=True):
    """Tangent of :func:`cov_adjoint` in the data (``tm`` of ``m``, ``ty`` of
    ``y``; None for none): it is linear in the centred observations, which
    are linear in ``m`` and ``y`` (the weights are constant)."""
    tm = np.zeros(np.shape(m)) if tm is None else np.broadcast_to(tm, np.shape(m))
    ty = None if y is None else (np.zeros(np.shape(y)) if ty is None else np.broadcast_to(ty, np.shape(y)))
    return cov_adjoint(g, tm, ty, rowvar, bias, ddof, fweights, aweights, first)


def corrcoef_adjoint(g, x, y=None, rowvar=True, first=True):
    """Adjoint of ``np.corrcoef`` through that of ``cov``: with ``s = sqrt(diag C)``
    and ``R = C / (s s^T)``, ``Cbar = G / (s s^T)`` and ``Cbar_ii -= sum_j
    (G_ij R_ij + G_ji R_ji) / (2 C_ii)`` (numpy's clipping to [-1, 1] is ignored).
    Written with differentiable calls only: second derivatives differentiate it."""
    C = np.cov(x, y, rowvar)
    d = np.diag(C)
    ss = np.outer(np.sqrt(d), np.sqrt(d))
    R = C / ss
    G = np.reshape(np.real(g), np.shape(C))
    GR = G * R
    Cbar = G / ss - np.diag((np.sum(GR, axis=1) + np.sum(GR, axis=0)) / (2 * d))
    return cov_adjoint(Cbar, x, y, rowvar, False, None, None, None, first)


def corrcoef_tangent(tx, ty, x, y=None, rowvar=True):
    """Tangent of ``np.corrcoef``: ``dR = dC / (s s^T) - R (dC_ii / 2C_ii + dC_jj / 2C_jj)``."""
    *_, fact, Xc = _cov_setup(x, y, rowvar, False, None, None, None)
    C = Xc @ Xc.T / fact
    p = C.shape[0]
    dC = np.reshape(cov_tangent(tx, ty, x, y, rowvar), (p, p))
    s = np.sqrt(np.diag(C))
    R = C / np.outer(s, s)
    r = np.diag(dC) / (2 * np.diag(C))
    return np.squeeze(dC / np.outer(s, s) - R * (r[:, None] + r[None, :]))

