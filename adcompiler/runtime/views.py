"""Views of adjoints made without numpy's general functions: the reverse
sweep makes one per reduction, and ``np.expand_dims`` and ``np.broadcast_to``
cost more than the arithmetic on a small array."""
from __future__ import annotations

import numpy as np


def insert_axes(g, axes):
    """``np.expand_dims(g, axes)`` for a tuple of non-negative axes of the result."""
    ndim = g.ndim + len(axes)
    rest = iter(g.shape)
    return g.reshape(tuple(1 if k in axes else next(rest) for k in range(ndim)))


def broadcast(g, shape):
    """``np.broadcast_to(g, shape)`` (a read-only view, zero strides along the
    axes it repeats) without the general function's cost, for a float array
    ``g`` of rank 0, or of ``shape``'s rank, C-contiguous (its memory is the
    view's buffer) with each axis 1 or ``shape``'s; otherwise through
    ``np.broadcast_to``."""
    if g.dtype.kind not in "fc":
        return np.broadcast_to(g, shape)
    if g.ndim == 0:
        v = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
        v.flags.writeable = False
        return v
    if g.ndim != len(shape) or not g.flags.c_contiguous:
        return np.broadcast_to(g, shape)
    strides = []
    for d, n, st in zip(g.shape, shape, g.strides):
        if d != n and d != 1:
            return np.broadcast_to(g, shape)   # (raises as it would)
        strides.append(0 if d != n else st)
    v = np.ndarray(shape, g.dtype, g, 0, tuple(strides))
    v.flags.writeable = False
    return v
