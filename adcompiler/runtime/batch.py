"""Helpers of vector mode: tangents carry a leading axis of k directions."""
from __future__ import annotations

import numpy as np


def blift(t, x):
    """A batched tangent ``(k,) + shape`` lifted to the rank of ``x`` (vector mode)."""
    t = np.asarray(t)
    if t.ndim == 0:
        return t
    extra = np.ndim(x) - (t.ndim - 1)
    if extra <= 0:
        return t
    return t.reshape(t.shape[:1] + (1,) * extra + t.shape[1:])


def bmap(fn, ts):
    """Apply a tangent template to each of the k directions (vector mode)."""
    return np.stack([np.asarray(fn(t)) for t in ts])


def bzeros(x, k):
    """Zero batched tangents for ``x`` (complex where ``x`` is)."""
    return np.zeros((k,) + np.shape(x), dtype=complex if np.iscomplexobj(x) else float)


def bfresh(t, x, k):
    """A new batched tangent array for a freshly bound ``x`` (a callee none of
    whose arguments has tangents returns zero tangents of length 0: zeros)."""
    out = bzeros(x, k)
    if not (isinstance(t, np.ndarray) and t.ndim == np.ndim(x) + 1 and t.shape[0] == 0):
        out[...] = blift(t, x)
    return out


def bbroadcast(t, x, k):
    """Batched tangents broadcast to ``(k,) + shape(x)``."""
    return np.broadcast_to(blift(t, x), (k,) + np.shape(x))


def bindex(idx):
    """``(:, *idx)`` for an index that may be a tuple (``np.nonzero``'s result) or not."""
    return (slice(None),) + (idx if isinstance(idx, tuple) else (idx,))


def bstore(dm, idx, v):
    """``dm[:, idx] = v`` with ``v`` lifted to the region's rank."""
    full = bindex(idx)
    region_nd = np.ndim(dm[full]) - 1
    dm[full] = blift(v, np.empty((0,) * region_nd)) if np.ndim(v) else v


def bincrement(dm, idx, v, sign):
    """``dm[:, idx] += sign * v`` with ``v`` lifted to the region's rank."""
    full = bindex(idx)
    region_nd = np.ndim(dm[full]) - 1
    dm[full] += sign * (blift(v, np.empty((0,) * region_nd)) if np.ndim(v) else v)
