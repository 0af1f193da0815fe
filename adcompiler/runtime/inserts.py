"""The adjoint of ``np.insert``, for the rule tables: numpy's own insert, run on the
positions of the elements (each element of ``arr`` once; an element of ``values`` once
for each place numpy broadcasts it to), says where each one went, for every form of
``obj`` numpy takes (an index, several, a slice, a mask) and of ``axis``."""
from __future__ import annotations

import numpy as np


def insert_part(g, arr, obj, values, axis, first):
    """Adjoint of ``np.insert(arr, obj, values, axis)`` for ``arr`` (``first``) or ``values``."""
    g = np.asarray(g)
    shape, vshape = np.shape(arr), np.shape(values)
    if first:
        marks = np.insert(np.arange(int(np.prod(shape))).reshape(shape), obj, np.full(vshape, -1), axis)
        keep = marks >= 0
        out = np.zeros(int(np.prod(shape)), g.dtype)
        out[marks[keep]] = g[keep]
        return out.reshape(shape)
    marks = np.insert(np.full(shape, -1), obj, np.arange(int(np.prod(vshape))).reshape(vshape), axis)
    keep = marks >= 0
    out = np.zeros(int(np.prod(vshape)), g.dtype)
    np.add.at(out, marks[keep], g[keep])
    return out.reshape(vshape)
