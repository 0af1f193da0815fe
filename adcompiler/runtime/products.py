"""The tangent of ``np.prod``'s adjoint (second derivatives through ``np.prod``)."""
from __future__ import annotations

import numpy as np

from .core import _norm_axes, unreduce


def _exclusive_products(flat):
    """``out[..., j]``: the product of ``flat[..., k]`` for ``k != j`` (exact with zeros)."""
    one = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([one, flat[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.concatenate([one, np.flip(flat, -1)[..., :-1]], -1), -1), -1)
    return left * right


def prod_adjoint_tangent(g, a, t, axis=None, keepdims=False):
    """The tangent of ``prod_adjoint(g, a, axis, keepdims)`` due to the tangent
    ``t`` of ``a``: element ``i`` of the adjoint is ``g`` times the product of
    the other elements, whose tangent is the sum over ``j != i`` of ``t[j]``
    times the product of the elements other than ``i`` and ``j``. That is
    computed exactly (zeros included) as the exclusive products of ``a`` with
    ``a[i]`` set to one: quadratic in the number of elements reduced."""
    dtype = np.result_type(np.asarray(a).dtype, np.asarray(t).dtype, float)   # (complex kept complex)
    a = np.asarray(a, dtype=dtype)
    t = np.broadcast_to(np.asarray(t, dtype=dtype), a.shape)
    if a.ndim == 0:
        return np.zeros_like(a)
    axes = _norm_axes(axis, a.ndim)
    end = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, end)
    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    tflat = np.moveaxis(t, axes, end).reshape(flat.shape)
    m = flat.shape[-1]
    rows = np.repeat(flat[..., None, :], m, axis=-2)       # row i: a with a[i] set to one
    idx = np.arange(m)
    rows[..., idx, idx] = 1.0
    pairs = _exclusive_products(rows)                        # [i, j]: product over k not in {i, j}
    pairs[..., idx, idx] = 0.0
    d_others = np.einsum("...ij,...j->...i", pairs, tflat)
    d_others = np.moveaxis(d_others.reshape(moved.shape), end, axes)
    return unreduce(g, a, axis, keepdims) * d_others
