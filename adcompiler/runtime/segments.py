"""The adjoint of ``np.add.reduceat`` (sums of segments: the rows of a CSR matrix,
``np.add.reduceat(data * x[indices], indptr[:-1])``), for the rule tables."""
from __future__ import annotations

import numpy as np


def reduceat_adjoint(g, array, indices, axis=0):
    """Adjoint of ``np.add.reduceat(array, indices, axis)``: result ``i`` sums ``array`` from
    ``indices[i]`` to ``indices[i + 1]`` (the last: to the end), or is the one element at
    ``indices[i]`` where that is not below ``indices[i + 1]``; each element in a segment gets
    the segment's adjoint (segments that overlap add up)."""
    shape = np.shape(array)
    ax = axis % len(shape)
    starts = np.asarray(indices, dtype=np.intp).reshape(-1)
    n = shape[ax]
    stops = np.append(starts[1:], n)
    lengths = np.where(starts < stops, stops - starts, 1)
    total = int(np.sum(lengths))
    segment = np.repeat(np.arange(starts.size), lengths)
    positions = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
    g = np.moveaxis(np.asarray(g), ax, 0)
    out = np.zeros((n,) + g.shape[1:], np.result_type(g, float))
    np.add.at(out, positions, g[segment])
    return np.moveaxis(out, 0, ax)
