"""Adjoints and tangents of ``np.histogram``.

The counts are piecewise constant in the data: moving a value changes them
only when it crosses an edge, so their derivative in ``a`` is 0. They are
linear in ``weights`` (each weight goes to its bin). The edges depend on the
data when ``bins`` is a count and ``range`` is not given
(``linspace(min(a), max(a), bins + 1)``), and ``density=True`` divides by
the bin widths and the total: both carry derivatives, through the smallest
and largest values (ties split equally, as ``max``/``min``).
"""
from __future__ import annotations

import numpy as np

from .core import select_adjoint, select_tangent


def _bins_of(a, edges):
    """Each value's bin (flattened), -1 outside: ``edges[k] <= v < edges[k+1]``, the last bin closed."""
    v = np.ravel(a)
    n = len(edges) - 1
    idx = np.searchsorted(edges, v, side="right") - 1
    idx = np.where(v == edges[-1], n - 1, idx)
    return np.where((v >= edges[0]) & (v <= edges[-1]), idx, -1)


def _counts(a, edges, weights):
    return np.histogram(a, bins=edges, weights=weights)[0].astype(float)


def _data_edges(a, bins, range):
    """Whether the edges follow the data (a bin count, no range)."""
    if isinstance(bins, str):
        raise NotImplementedError("np.histogram with bins given by name (an estimator of the data) has no derivative "
                         "in `a` here; pass a bin count with range=, or explicit edges.")
    return range is None and np.ndim(bins) == 0 and np.size(a) > 0


def histogram_adjoint_w(g, a, bins, range, density, weights, ans):
    """Adjoint in ``weights``: the adjoint of each weight's bin (0 outside the range)."""
    hist, edges = ans
    gh = np.broadcast_to(np.asarray(g[0], dtype=float), np.shape(hist))
    if density:
        n = _counts(a, edges, weights)
        width, total = np.diff(edges), np.sum(n)
        gh = gh / (width * total) - np.sum(gh * n / width) / total ** 2
    idx = _bins_of(a, edges)
    out = np.where(idx >= 0, gh[np.clip(idx, 0, len(gh) - 1)], 0.0)
    return out.reshape(np.shape(a))


def histogram_tangent_w(t, a, bins, range, density, weights, ans):
    edges = ans[1]
    dn = _counts(a, edges, t)
    if density:
        n = _counts(a, edges, weights)
        width, total = np.diff(edges), np.sum(n)
        dn = dn / (width * total) - n * np.sum(dn) / (width * total ** 2)
    return dn, np.zeros(np.shape(edges))


def _edge_weights(edges):
    k = np.arange(len(edges)) / (len(edges) - 1)
    return 1.0 - k, k   # d edge_k = (1 - k/n) d min + (k/n) d max


def histogram_adjoint_bins(g, a, bins, range, density, weights, ans):
    """Adjoint in ``bins`` given as edges: the edges returned are those numbers (the counts are
    piecewise constant in them; ``density=True`` with edges that carry derivatives is refused)."""
    if np.ndim(bins) == 0:
        return 0.0
    return np.array(np.broadcast_to(np.asarray(g[1], dtype=float), np.shape(bins)))


def histogram_tangent_bins(t, a, bins, range, density, weights, ans):
    hist, edges = ans
    if np.ndim(bins) == 0:
        return np.zeros(np.shape(hist)), np.zeros(np.shape(edges))
    return np.zeros(np.shape(hist)), np.asarray(t, dtype=float) + np.zeros(np.shape(edges))


def histogram_adjoint_range(g, a, bins, range, density, weights, ans):
    """Adjoint in ``range = (lo, hi)`` with a bin count: the edges returned are
    ``linspace(lo, hi, bins + 1)`` (the counts are piecewise constant in them)."""
    if range is None or np.ndim(bins) != 0:
        return (0.0, 0.0)
    edges = ans[1]
    ge = np.broadcast_to(np.asarray(g[1], dtype=float), np.shape(edges))
    wlo, whi = _edge_weights(edges)
    return (np.sum(ge * wlo), np.sum(ge * whi))


def histogram_tangent_range(t, a, bins, range, density, weights, ans):
    hist, edges = ans
    if range is None or np.ndim(bins) != 0:
        return np.zeros(np.shape(hist)), np.zeros(np.shape(edges))
    wlo, whi = _edge_weights(edges)
    return np.zeros(np.shape(hist)), wlo * t[0] + whi * t[1]


def histogram_adjoint_a(g, a, bins, range, density, weights, ans):
    """Adjoint in the data: 0 through the counts; through the edges (and the
    bin width of ``density=True``) when they follow the data."""
    if not _data_edges(a, bins, range):
        return np.zeros(np.shape(a))
    hist, edges = ans
    ge = np.broadcast_to(np.asarray(g[1], dtype=float), np.shape(edges))
    wlo, whi = _edge_weights(edges)
    glo, ghi = np.sum(ge * wlo), np.sum(ge * whi)
    if density:
        gw = -np.sum(np.asarray(g[0], dtype=float) * hist) / (edges[-1] - edges[0])
        glo, ghi = glo - gw, ghi + gw
    return select_adjoint(glo, a, np.min(a)) + select_adjoint(ghi, a, np.max(a))


def histogram_tangent_a(t, a, bins, range, density, weights, ans):
    hist, edges = ans
    if not _data_edges(a, bins, range):
        return np.zeros(np.shape(hist)), np.zeros(np.shape(edges))
    dlo, dhi = select_tangent(t, a, np.min(a)), select_tangent(t, a, np.max(a))
    wlo, whi = _edge_weights(edges)
    dhist = -hist * (dhi - dlo) / (edges[-1] - edges[0]) if density else np.zeros(np.shape(hist))
    return dhist, wlo * dlo + whi * dhi
