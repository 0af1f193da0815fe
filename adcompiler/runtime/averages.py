"""Adjoints and tangents of ``np.average`` (weights along one axis, several, or
all), for the rule tables."""
from __future__ import annotations

import numpy as np

from .core import _norm_axes, unreduce
from .numpy import expand


def _avg_weights(a, axis, weights):
    a = np.asarray(a)
    if weights is None:
        return np.ones(a.shape)
    w = np.asarray(weights)
    if w.shape != a.shape:
        # weights along the averaged axes, in the order ``axis`` names them
        order, shape, _ = _weights_layout(axis, a.shape)
        w = np.reshape(np.transpose(w, order), shape)
    return np.broadcast_to(w, a.shape)


def average_adjoint_a(g, a, axis=None, weights=None, keepdims=False):
    """Adjoint of ``np.average`` with respect to the values."""
    w = _avg_weights(a, axis, weights)
    return unreduce(g, a, axis, keepdims) * w / np.sum(w, axis=_norm_axes(axis, np.ndim(a)), keepdims=True)


def average_adjoint_w(g, a, ans, axis=None, weights=None, keepdims=False):
    """Adjoint of ``np.average`` with respect to the weights."""
    a = np.asarray(a)
    w = _avg_weights(a, axis, weights)
    full = unreduce(g, a, axis, keepdims) * (a - expand(ans, a, axis, keepdims)) / \
        np.sum(w, axis=_norm_axes(axis, a.ndim), keepdims=True)
    if np.shape(weights) == a.shape:
        return full
    return np.transpose(np.sum(full, axis=_other_axes(a.ndim, axis)), _weights_layout(axis, a.shape)[2])


def _other_axes(ndim, axis):
    kept = _norm_axes(axis, ndim)
    return tuple(k for k in range(ndim) if k not in kept)


def _weights_layout(axis, shape):
    """For weights along the averaged ``axis`` (one, or several in the order
    given): the order of their axes that sorts them, ``a``'s shape with 1 on the
    other axes, and the order back from sorted."""
    axes = _norm_axes(axis, len(shape))
    ranked = sorted(axes)
    order = tuple(int(k) for k in np.argsort(axes))
    return order, tuple(n if k in axes else 1 for k, n in enumerate(shape)), tuple(ranked.index(k) for k in axes)


def average_tangent_w(t, a, ans, axis=None, weights=None, keepdims=False):
    """Tangent of ``np.average`` due to the weights."""
    a = np.asarray(a)
    axes = _norm_axes(axis, a.ndim)
    wb, tb = _avg_weights(a, axis, weights), _avg_weights(a, axis, t)
    return np.sum((a - expand(ans, a, axis, keepdims)) * tb, axis=axes, keepdims=keepdims) / \
        np.sum(wb, axis=axes, keepdims=keepdims)
