"""Adjoints of products: ``np.dot`` and ``@`` with respect to each operand, and the tangent
of ``np.prod``'s adjoint (second derivatives through ``np.prod``)."""
from __future__ import annotations

import numpy as np

from .core import _norm_axes, unbroadcast, unreduce


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


def dot_adjoint_a(g, a, b):
    """Adjoint of ``np.dot(a, b)`` with respect to ``a``."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * b, a)
    if b.ndim == 1:
        return np.multiply.outer(g, b) if a.ndim > 1 else g * b
    if a.ndim == 1:
        return np.dot(b, g) if b.ndim == 2 else np.tensordot(g, b, axes=(tuple(range(g.ndim)), tuple(i for i in range(b.ndim) if i != b.ndim - 2)))
    return np.tensordot(g, b, axes=(tuple(range(a.ndim - 1, g.ndim)), tuple(i for i in range(b.ndim) if i != b.ndim - 2)))


def dot_adjoint_b(g, a, b):
    """Adjoint of ``np.dot(a, b)`` with respect to ``b``."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * a, b)
    if a.ndim == 1:
        # dot(a, b)[..., m] = sum_k a[k] b[..., k, m]: k goes to b's second-to-last axis
        return np.moveaxis(np.multiply.outer(a, g), 0, b.ndim - 2) if b.ndim > 1 else g * a
    if b.ndim == 1:
        return np.tensordot(a, g, axes=(tuple(range(a.ndim - 1)), tuple(range(g.ndim))))
    # g axes: a.shape[:-1] + b.shape[:-2] + b.shape[-1:]
    na = a.ndim - 1
    t = np.tensordot(a, g, axes=(tuple(range(na)), tuple(range(na))))
    # t axes: (k, b.shape[:-2]..., m) -> move k to position b.ndim - 2
    return np.moveaxis(t, 0, b.ndim - 2)


def matmul_adjoint_a(g, a, b):
    """Adjoint of ``a @ b`` with respect to ``a`` (1-D, 2-D and batched)."""
    if type(g) is np.ndarray and type(b) is np.ndarray and g.ndim == 2 and b.ndim == 2:
        return g @ b.T    # (of a's shape: a is 2-D too, or g would not be)
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 2 and b.ndim == 2:
        return unbroadcast(g @ b.T, a)
    if b.ndim == 1:
        r = np.expand_dims(g, -1) * b
    elif a.ndim == 1:
        r = np.matmul(np.expand_dims(g, -2), np.swapaxes(b, -1, -2))[..., 0, :]
    else:
        r = np.matmul(g, np.swapaxes(b, -1, -2))
    return unbroadcast(r, a)


def matmul_adjoint_b(g, a, b):
    """Adjoint of ``a @ b`` with respect to ``b`` (1-D, 2-D and batched)."""
    if type(g) is np.ndarray and type(a) is np.ndarray and g.ndim == 2 and a.ndim == 2:
        return a.T @ g    # (of b's shape: b is 2-D too, or g would not be)
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 2 and b.ndim == 2:
        return unbroadcast(a.T @ g, b)
    if a.ndim == 1:
        r = np.expand_dims(a, -1) * np.expand_dims(g, -2) if b.ndim > 1 else g * a
    elif b.ndim == 1:
        r = np.matmul(np.swapaxes(a, -1, -2), np.expand_dims(g, -1))[..., 0]
    else:
        r = np.matmul(np.swapaxes(a, -1, -2), g)
    return unbroadcast(r, b)
