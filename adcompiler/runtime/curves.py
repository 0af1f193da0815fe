"""Adjoints and tangents of numpy's functions of sampled curves: the
trapezoidal rule (``np.trapezoid``), linear interpolation (``np.interp``) and
polynomial evaluation (``np.polyval``), for the rule tables. Written with
plain numpy calls so that second derivatives differentiate them again."""
from __future__ import annotations

import numpy as np


def _last(a, axis):
    return np.moveaxis(np.asarray(a), axis, -1)


def _widths(y, x, dx, axis):
    """The interval widths along ``axis`` (moved last), shaped to broadcast with it."""
    if x is None:
        return np.full(np.shape(y)[axis] - 1, 1.0) * dx
    if np.ndim(x) == 1:
        return np.diff(x, axis=-1)
    xm = _last(x, axis)
    return np.diff(xm, axis=-1)


def _pad(d, before):
    zero = np.zeros(np.shape(d)[:-1] + (1,))
    return np.concatenate([zero, d], -1) if before else np.concatenate([d, zero], -1)


def trapezoid_adjoint_y(g, y, x=None, dx=1.0, axis=-1):
    """Adjoint of ``np.trapezoid`` in ``y``: each sample weighs half the widths beside it
    (nothing for no sample: the integral is 0)."""
    if np.shape(y)[axis] == 0:
        return np.zeros(np.shape(y))
    d = _widths(y, x, dx, axis)
    w = (_pad(d, True) + _pad(d, False)) / 2
    ym = _last(y, axis)
    out = np.expand_dims(np.asarray(g), -1) * w + np.zeros(np.shape(ym))
    return np.moveaxis(out, -1, axis)


def _trapezoid_coefficients(y, axis):
    """d trapezoid / d x_k per sample (moved last): the mean of the interval before minus that after."""
    ym = _last(y, axis)
    mean = (ym[..., 1:] + ym[..., :-1]) / 2
    return _pad(mean, True) - _pad(mean, False)


def trapezoid_adjoint_x(g, y, x, axis=-1):
    """Adjoint of ``np.trapezoid`` in the sample points ``x``."""
    if np.shape(y)[axis] == 0:
        return np.zeros(np.shape(x))
    full = np.expand_dims(np.asarray(g), -1) * _trapezoid_coefficients(y, axis)
    if np.ndim(x) == 1:
        return np.reshape(np.sum(np.reshape(full, (-1, full.shape[-1])), axis=0), np.shape(x))
    return np.moveaxis(full, -1, axis)


def trapezoid_tangent_x(t, y, x, axis=-1):
    if np.shape(y)[axis] == 0:
        return np.zeros(np.shape(np.sum(_last(y, axis), axis=-1)))
    c = _trapezoid_coefficients(y, axis)
    if np.ndim(x) == 1:
        return np.sum(c * t, axis=-1)
    tm = _last(t, axis)
    return np.sum(c * tm, axis=-1)


def trapezoid_adjoint_dx(g, y, x=None, axis=-1):
    """Adjoint of ``np.trapezoid`` in a scalar ``dx`` (the result is linear in it;
    numpy ignores ``dx`` when ``x`` is given)."""
    if x is not None:
        return 0.0
    ym = _last(y, axis)
    return np.sum(np.asarray(g) * np.sum((ym[..., 1:] + ym[..., :-1]) / 2, axis=-1))


def trapezoid_tangent_dx(t, y, x=None, axis=-1):
    if x is not None:
        return 0.0
    return np.trapezoid(y, None, t, axis)


# -- np.interp ------------------------------------------------------------------------

def _interp_parts(x, xp, period=None):
    """For each query: its interval ``i``, the weight ``t`` of ``fp[i + 1]``, and
    masks of the queries left of ``xp[0]`` and right of ``xp[-1]``."""
    if period is not None:
        raise ValueError("np.interp with period= is not differentiated; wrap x into one period first")
    x, xp = np.asarray(x, dtype=float), np.asarray(xp, dtype=float)
    n = xp.shape[0]
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
    if n > 1:
        t = np.clip((x - xp[i]) / (xp[np.minimum(i + 1, n - 1)] - xp[i]), 0.0, 1.0)
    else:
        t = np.zeros(x.shape)
    return i, t, x < xp[0], x > xp[-1]


def interp_adjoint_fp(g, x, xp, fp, left=None, right=None, period=None):
    """Adjoint of ``np.interp`` in the values ``fp``: each query's adjoint
    split between the two values of its interval (to ``left``/``right``
    instead of the end values where those are given)."""
    i, t, below, above = _interp_parts(x, xp, period)
    keep = np.ones(np.shape(t))
    if left is not None:
        keep = np.where(below, 0.0, keep)
    if right is not None:
        keep = np.where(above, 0.0, keep)
    gw = np.ravel(np.broadcast_to(g, np.shape(t)) * keep)
    i, t = np.ravel(i), np.ravel(t)
    out = np.zeros(np.shape(fp), dtype=np.result_type(gw, float))
    np.add.at(out, i, gw * (1 - t))
    if np.shape(fp)[0] > 1:
        np.add.at(out, i + 1, gw * t)
    return out


def interp_slope(x, xp, fp, period=None):
    """d interp / d x: the slope of the interval (0 outside ``xp``, where the value is constant)."""
    i, _, below, above = _interp_parts(x, xp, period)
    xp, fp = np.asarray(xp, dtype=float), np.asarray(fp)
    if xp.shape[0] < 2:
        return np.zeros(np.shape(x))
    slope = (fp[i + 1] - fp[i]) / (xp[i + 1] - xp[i])
    return np.where(below | above, 0.0, slope)


def interp_tangent_fp(t, x, xp, left=None, right=None, period=None):
    """Tangent of ``np.interp`` in ``fp`` (constant ``left``/``right`` have none)."""
    _interp_parts(x, xp, period)
    return np.interp(x, xp, t, left=None if left is None else 0.0, right=None if right is None else 0.0)


def interp_side(x, xp, which):
    """Where the value is ``left`` (``which`` 'left') or ``right``: the derivative in it."""
    x, xp = np.asarray(x, dtype=float), np.asarray(xp, dtype=float)
    return (x < xp[0]).astype(float) if which == "left" else (x > xp[-1]).astype(float)


# -- np.polyval -----------------------------------------------------------------------

def polyval_adjoint_p(g, p, x):
    """Adjoint of ``np.polyval`` in the coefficients: each weighs its power of x."""
    n = np.shape(p)[0]
    powers = np.expand_dims(np.asarray(x), -1) ** np.arange(n - 1, -1, -1)
    full = np.expand_dims(np.broadcast_to(np.asarray(g), np.shape(np.asarray(x))), -1) * powers
    return np.sum(np.reshape(full, (-1, n)), axis=0)


def polyder_adjoint(g, p, m=1):
    """Adjoint of ``np.polyder(p, m)``: each derivative scales the coefficient of
    x**k by k (a constant's derivative, ``[0]``, has none)."""
    n = np.shape(p)[0]
    out = np.asarray(g)
    for k in range(int(m), 0, -1):
        size = max(n - (k - 1), 1)   # the coefficients the k-th derivative was taken of
        out = np.zeros(1) if size == 1 else np.concatenate([out * np.arange(size - 1, 0, -1), np.zeros(1)])
    return out


def polyval_slope(p, x):
    """d polyval / d x."""
    if np.shape(p)[0] < 2:
        return np.zeros(np.shape(x))
    return np.polyval(np.polyder(p), x)


def vander_slopes(x, N=None, increasing=False):
    """The derivative of each column of ``np.vander(x, N, increasing)`` in ``x``:
    ``p * x ** (p - 1)`` for the power ``p`` of the column (0 for ``p = 0``)."""
    x = np.asarray(x)
    n = len(x) if N is None else N
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    lower = np.vander(x, max(n - 1, 1), increasing=True)   # x ** 0 ... x ** (n - 2)
    out = np.zeros((len(x), n), dtype=np.result_type(x, float))
    cols = powers >= 1
    out[:, cols] = powers[cols] * lower[:, powers[cols] - 1]
    return out
