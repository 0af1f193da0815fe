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


def tangent_dtype(x):
    """The dtype of the tangents of ``x``: its own where it is a numpy float or complex (float32
    stays float32), complex where it is complex, float otherwise."""
    dtype = getattr(x, "dtype", None)
    return dtype if dtype is not None and dtype.kind in "fc" else complex if np.iscomplexobj(x) else float


def bzeros(x, k):
    """Zero batched tangents for ``x`` (of ``tangent_dtype``)."""
    return np.zeros((k,) + np.shape(x), dtype=tangent_dtype(x))


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


def moved_axes(idx) -> int:
    """How many axes numpy puts before the batch axis in ``dm[(:, *idx)]``: the
    broadcast rank of the advanced indices of ``idx`` where a slice, ``None`` or
    ``...`` separates them (numpy then puts their axes first), else 0."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    basic = (slice, type(None), type(Ellipsis))
    arrays = [p for p in parts if not isinstance(p, basic) and (np.ndim(p) > 0 or isinstance(p, (bool, np.bool_)))]
    if not arrays:
        return 0   # integers alone are basic indices
    where = [i for i, p in enumerate(parts) if not isinstance(p, basic)]
    if where[-1] - where[0] + 1 == len(where):
        return 0   # adjacent: their axes stay in place, after the batch axis
    adv = []
    for p in parts:
        if isinstance(p, basic):
            continue
        p = np.asarray(p)
        adv += list(np.nonzero(p)) if p.dtype == bool else [p]
    return np.broadcast(*adv).ndim if len(adv) > 1 else adv[0].ndim


def bget(dm, idx):
    """``dm[:, idx]`` with the batch axis first (``x[i, :, j]`` with index arrays
    puts their axes first)."""
    r = dm[bindex(idx)]
    m = moved_axes(idx)
    return np.moveaxis(r, m, 0) if m else r


def _into_region(dm, idx, v):
    """``(full index, v)`` lifted to the region's rank, in the region's axis order."""
    full = bindex(idx)
    region = dm[full]
    m = moved_axes(idx)
    if not np.ndim(v):
        return full, v
    extra = np.ndim(v) - region.ndim   # (leading axes of length 1 a store drops: x[:] = A of shape (1, n))
    if extra > 0 and all(d == 1 for d in np.shape(v)[1:1 + extra]):
        v = np.reshape(v, np.shape(v)[:1] + np.shape(v)[1 + extra:])
    v = blift(v, np.empty((0,) * (region.ndim - 1)))
    if m:
        v = np.moveaxis(np.broadcast_to(v, region.shape[m:m + 1] + region.shape[:m] + region.shape[m + 1:]), 0, m)
    return full, v


def bstore(dm, idx, v):
    """``dm[:, idx] = v`` with ``v`` lifted to the region's rank."""
    full, v = _into_region(dm, idx, v)
    dm[full] = v


def bincrement(dm, idx, v, sign):
    """``dm[:, idx] += sign * v`` with ``v`` lifted to the region's rank."""
    full, v = _into_region(dm, idx, v)
    if np.iscomplexobj(v) and not np.iscomplexobj(dm):
        v = np.real(v)   # (real memory keeps the real part: ``out[0] += 1j * x[1]`` of the primal does)
    dm[full] += sign * v
