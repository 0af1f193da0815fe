"""The adjoint and tangent of ``np.partition``, for the rule tables.

The result holds the argument's values in another order, and which element
went where is found by matching values (``np.argpartition`` may arrange the
elements beside the k-th otherwise than ``np.partition`` did): both sorted
stably, the r-th smallest of the result is the r-th smallest of the argument.
Equal values keep their order, as ``np.sort``'s rule has it."""
from __future__ import annotations

import numpy as np


def _sources(a, ans, axis):
    """``src`` along ``axis`` (moved last) with ``ans[..., p] == a[..., src[..., p]]``."""
    a, ans = np.moveaxis(np.asarray(a), axis, -1), np.moveaxis(np.asarray(ans), axis, -1)
    src = np.empty(a.shape, np.intp)
    np.put_along_axis(src, np.argsort(ans, axis=-1, kind="stable"), np.argsort(a, axis=-1, kind="stable"), axis=-1)
    return src


def partition_adjoint(g, a, ans, axis=-1):
    shape = np.shape(a)
    if axis is None:
        a, ans, g, axis = np.ravel(a), np.ravel(ans), np.ravel(g), -1
    src = _sources(a, ans, axis)
    out = np.zeros(src.shape, np.result_type(np.asarray(g), np.float32))
    np.put_along_axis(out, src, np.moveaxis(np.broadcast_to(g, np.shape(ans)), axis, -1), axis=-1)
    return np.moveaxis(out, -1, axis).reshape(shape)


def partition_tangent(t, a, ans, axis=-1):
    t = np.broadcast_to(t, np.shape(a))
    if axis is None:
        t, a, ans, axis = np.ravel(t), np.ravel(a), np.ravel(ans), -1
    return np.moveaxis(np.take_along_axis(np.moveaxis(t, axis, -1), _sources(a, ans, axis), axis=-1), -1, axis)
