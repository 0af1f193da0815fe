"""The adjoint and tangent of a running maximum or minimum
(``np.maximum.accumulate``, ``np.minimum.accumulate``), for the rule tables.

``ans[k] = max(ans[k-1], a[k])``: each step is ``np.maximum``, whose rule
gives a tie half to each side, so the derivative of ``ans[k]`` passes to the
running value before it with the weight ``(ans[k-1] > a[k]) + 0.5 * (ans[k-1]
== a[k])`` (``<`` for the minimum) and to ``a[k]`` with the rest."""
from __future__ import annotations

import numpy as np


def _weights(a, ans, larger):
    """The weight of the running value before each step (the first step: none), along axis 0."""
    before, new = ans[:-1], a[1:]
    wins = before > new if larger else before < new
    return wins + 0.5 * (before == new)


def running_extreme_adjoint(g, a, ans, axis=0, larger=True):
    g = np.moveaxis(np.broadcast_to(g, np.shape(ans)), axis, 0)
    a, ans = np.moveaxis(np.asarray(a), axis, 0), np.moveaxis(np.asarray(ans), axis, 0)
    w = _weights(a, ans, larger)
    out = np.zeros(a.shape, np.result_type(g, float))
    carry = np.zeros(a.shape[1:], out.dtype)
    for k in range(a.shape[0] - 1, 0, -1):
        total = g[k] + carry
        out[k] = (1.0 - w[k - 1]) * total
        carry = w[k - 1] * total
    if a.shape[0]:
        out[0] = g[0] + carry
    return np.moveaxis(out, 0, axis)


def running_extreme_tangent(t, a, ans, axis=0, larger=True):
    t = np.moveaxis(np.broadcast_to(t, np.shape(a)), axis, 0)
    a, ans = np.moveaxis(np.asarray(a), axis, 0), np.moveaxis(np.asarray(ans), axis, 0)
    w = _weights(a, ans, larger)
    out = np.zeros(a.shape, np.result_type(t, float))
    if a.shape[0]:
        out[0] = t[0]
    for k in range(1, a.shape[0]):
        out[k] = w[k - 1] * out[k - 1] + (1.0 - w[k - 1]) * t[k]
    return np.moveaxis(out, 0, axis)
