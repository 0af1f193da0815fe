"""The copy and the adjoint of ``np.lib.stride_tricks.sliding_window_view``, for the rule
tables: the result's element ``[p..., o...]`` (window position ``p``, offset ``o`` in the
window) is the argument's element at ``p + o`` along the window's axes, so an element's
adjoint sums those of every window covering it."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _axes(ndim, window_shape, axis):
    """The window's sizes and the axis of the argument each one runs along."""
    sizes = tuple(int(w) for w in np.atleast_1d(window_shape))
    axes = tuple(range(ndim)) if axis is None else tuple(int(a) for a in np.atleast_1d(axis))
    return sizes, tuple(a % ndim for a in axes)


def window_copy(x, window_shape, axis=None):
    """``sliding_window_view(x, window_shape, axis)`` as a new array (numpy returns a read-only view)."""
    return np.array(sliding_window_view(x, window_shape, axis))


def window_adjoint(g, x, window_shape, axis=None):
    """Adjoint of ``sliding_window_view(x, window_shape, axis)``: for each offset in the window,
    the slice of the result's adjoint at that offset added to the elements it came from."""
    shape = np.shape(x)
    g = np.asarray(g)
    sizes, axes = _axes(len(shape), window_shape, axis)
    out = np.zeros(shape, np.result_type(g, float))
    positions = g.shape[:len(shape)]
    for offsets in np.ndindex(*sizes):
        start = [0] * len(shape)
        for a, o in zip(axes, offsets):   # (an axis named twice: its offsets add up)
            start[a] += o
        at = tuple(slice(s, s + n) for s, n in zip(start, positions))
        out[at] += g[(Ellipsis,) + offsets]
    return out
