"""Helpers the rules of ``adcompiler.rules`` call from generated code (reductions, shapes,
special functions). They depend on numpy and on the basic helpers of ``runtime`` only;
``runtime.HELPERS`` lists them under their ``_ad_`` names."""
from __future__ import annotations

import numpy as np

from .core import _norm_axes, select_adjoint, unbroadcast, unreduce
from .positions import flat_positions


def scatter_sum(x, weights, minlength):
    """``np.bincount(x, weights, minlength)`` of real or complex weights (the sums
    of ``np.add.at``; numpy's bincount takes real weights only)."""
    weights = np.asarray(weights)
    if weights.dtype.kind == "c":
        return np.bincount(x, weights.real, minlength) + 1j * np.bincount(x, weights.imag, minlength)
    return np.bincount(x, weights, minlength)


def at_inverse(a, idx):
    """For each element of the region ``np.add.at(a, idx, v)`` adds to, the number
    of its position among the distinct positions (``at_targets``), sorted."""
    pos = flat_positions(np.shape(a), idx)
    return np.unique(pos, return_inverse=True)[1].reshape(np.shape(pos))


def at_targets(a, idx):
    """The distinct positions ``np.add.at(a, idx, v)`` adds to, sorted, as a
    tuple of index arrays of ``a`` (of a 1-D ``a``: one array, as ``rules/indexing`` says)."""
    targets = np.unravel_index(np.unique(flat_positions(np.shape(a), idx)), np.shape(a))
    return targets[0] if np.ndim(a) == 1 else targets


def diag_copy(v, k=0):
    """``np.diag(v, k)`` as a new array (of a matrix numpy returns a read-only view)."""
    d = np.diag(v, k)
    return d.copy() if np.ndim(v) == 2 else d


def broadcast_copy(array, shape):
    """``np.broadcast_to(array, shape)`` as a new array (numpy returns a view)."""
    return np.array(np.broadcast_to(array, shape))


def safe_div(a, b):
    """``a / b`` where ``b != 0`` and 0 elsewhere (the convention at singular points)."""
    a, b = np.asarray(a), np.asarray(b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    out = np.zeros(shape, dtype=np.result_type(a, b, np.float32))
    np.divide(a, b, out=out, where=np.broadcast_to(b != 0, shape))
    return out if shape else out[()]


def popped_int(v):
    """``v``: an integer popped from the tape of code differentiated again (its kind)."""
    return v


def popped_ints(v, rank):
    """``v``: an int or bool array of rank ``rank`` popped from the tape of code differentiated again."""
    return v


def clip_inside(a, lo, hi):
    """1 where ``np.clip`` passes ``a`` through (bounds included), else 0."""
    mask = np.ones(np.shape(a), dtype=bool)
    if lo is not None:
        mask = mask & (np.asarray(a) >= lo)
    if hi is not None:
        mask = mask & (np.asarray(a) <= hi)
    return mask


def outer_sum(g, nd_a, nd_g, first):
    """Adjoint of ``np.add.outer(A, B)`` (each element of the result is one of A's
    plus one of B's): ``g`` summed over B's axes (``first``) or over A's."""
    axes = tuple(range(nd_a, nd_g)) if first else tuple(range(nd_a))
    return np.sum(g, axis=axes) if axes else g


def wrapped_indices(ind, size):
    """Flat indices as ``np.put`` takes them: a negative one counts from the end."""
    ind = np.asarray(ind)
    return np.where(ind < 0, ind + size, ind)


def clip_low(a, lo, hi):
    """1 where ``np.clip`` gives ``lo``: below it, unless ``hi`` is lower still
    (numpy gives ``hi`` wherever ``lo > hi``)."""
    mask = np.asarray(a) < lo
    if hi is not None:
        mask = mask & ~(np.asarray(lo) > hi)
    return mask


def clip_high(a, lo, hi):
    """1 where ``np.clip`` gives ``hi``: above it, or wherever ``lo > hi``."""
    mask = np.asarray(a) > hi
    if lo is not None:
        mask = mask | (np.asarray(lo) > hi)
    return mask


def sinc_grad(x):
    """d sinc(x) / dx, 0 at x == 0."""
    x = np.asarray(x)
    px = np.pi * x
    return safe_div(np.cos(px) - np.sinc(x), x)


def sinc_grad2(x):
    """d^2 sinc(x) / dx^2: ``-pi^2 sinc(x) - 2 sinc'(x) / x``, ``-pi^2 / 3`` at x == 0."""
    x = np.asarray(x)
    return np.where(x == 0, -np.pi ** 2 / 3, -np.pi ** 2 * np.sinc(x) - 2 * safe_div(sinc_grad(x), x))


def expand(ans, x, axis, keepdims):
    """The result of a reduction of ``x`` with its reduced axes restored (size 1)."""
    ans = np.asarray(ans)
    nd = np.ndim(x)
    if keepdims or not nd:
        return ans
    return np.expand_dims(ans, _norm_axes(axis, nd))


def prod_adjoint(g, a, axis=None, keepdims=False):
    """Adjoint of ``np.prod``: the product of the other elements (exact with zeros)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return g * np.ones_like(a)
    axes = _norm_axes(axis, a.ndim)
    end = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, end)
    flat = moved.reshape(moved.shape[:a.ndim - len(axes)] + (-1,))
    one = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([one, flat[..., :-1]], -1), -1)
    right = np.flip(np.cumprod(np.concatenate([one, np.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = np.moveaxis((left * right).reshape(moved.shape), end, axes)
    return unreduce(g, a, axis, keepdims) * others


def mean_adjoint(g, a, axis=None, keepdims=False, where=True):
    """Adjoint of ``np.mean`` (with ``where=``)."""
    a = np.asarray(a)
    w = np.broadcast_to(where, a.shape)
    count = np.sum(w, axis=_norm_axes(axis, a.ndim) if a.ndim else None, keepdims=True)
    return unreduce(g, a, axis, keepdims) * w / count


def var_adjoint(g, a, axis=None, ddof=0, keepdims=False):
    """Adjoint of ``np.var``."""
    a = np.asarray(a)
    n = a.size if axis is None else int(np.prod([a.shape[k] for k in _norm_axes(axis, a.ndim)]))
    mean = np.mean(a, axis=axis, keepdims=True)
    return unreduce(g, a, axis, keepdims) * (2 * (a - mean) / (n - ddof))


def std_adjoint(g, a, ans, axis=None, ddof=0, keepdims=False):
    """Adjoint of ``np.std``; 0 where the standard deviation is 0."""
    a = np.asarray(a)
    n = a.size if axis is None else int(np.prod([a.shape[k] for k in _norm_axes(axis, a.ndim)]))
    mean = np.mean(a, axis=axis, keepdims=True)
    return unreduce(g, a, axis, keepdims) * safe_div(a - mean, (n - ddof) * expand(ans, a, axis, keepdims))


def ptp_adjoint(g, a, axis=None, keepdims=False):
    """Adjoint of ``np.ptp`` (max minus min; ties split equally)."""
    hi = np.max(a, axis=axis, keepdims=keepdims)
    lo = np.min(a, axis=axis, keepdims=keepdims)
    return select_adjoint(g, a, hi, axis, keepdims) - select_adjoint(g, a, lo, axis, keepdims)


def nan_mean_adjoint(g, a, axis=None, keepdims=False):
    """Adjoint of ``np.nanmean``: NaN entries receive nothing."""
    ok = ~np.isnan(a)
    count = np.sum(ok, axis=_norm_axes(axis, np.ndim(a)), keepdims=True)
    return unreduce(g, a, axis, keepdims) * ok / count


def nan_var_adjoint(g, a, axis=None, ddof=0, keepdims=False):
    """Adjoint of ``np.nanvar``: NaN entries receive nothing."""
    ok = ~np.isnan(a)
    count = np.sum(ok, axis=_norm_axes(axis, np.ndim(a)), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):   # (a slice of too few numbers: NaN, no derivative)
        mean = np.nanmean(a, axis=axis, keepdims=True)
        return np.where(ok & (count > ddof), unreduce(g, a, axis, keepdims) * (2 * (a - mean) / (count - ddof)), 0.0)


def nan_std_adjoint(g, a, ans, axis=None, ddof=0, keepdims=False):
    """Adjoint of ``np.nanstd``: NaN entries receive nothing; 0 where the deviation is 0."""
    ok = ~np.isnan(a)
    count = np.sum(ok, axis=_norm_axes(axis, np.ndim(a)), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):   # (a slice of too few numbers: NaN, no derivative)
        mean = np.nanmean(a, axis=axis, keepdims=True)
        scale = np.where(count > ddof, (count - ddof) * expand(ans, a, axis, keepdims), 0.0)
        part = safe_div(np.where(ok & (count > ddof), a - mean, 0.0), np.nan_to_num(scale, nan=0.0))
        return np.where(ok & (count > ddof), unreduce(g, a, axis, keepdims) * part, 0.0)


def diff_ends(g, a, n=1, axis=-1, prepend=None, append=None, which=0):
    """Adjoint of ``np.diff(a, n, axis, prepend=..., append=...)`` for ``a`` (``which=0``),
    ``prepend`` (-1) or ``append`` (1): the adjoint of the joined array's differences, cut
    (a number prepended or appended is broadcast along ``axis``: its adjoint is summed)."""
    a = np.asarray(a)
    axis = axis % a.ndim
    if n == 0:   # (numpy returns ``a`` itself, leaving the ends out)
        return np.asarray(g) if which == 0 else np.zeros(np.shape({-1: prepend, 1: append}[which]))
    sizes = [0 if prepend is None else (np.shape(prepend)[axis] if np.ndim(prepend) else 1), a.shape[axis]]
    after = 0 if append is None else (np.shape(append)[axis] if np.ndim(append) else 1)
    full = np.moveaxis(diff_adjoint(g, n, axis, a.shape[:axis] + (sum(sizes) + after,) + a.shape[axis + 1:]), axis, 0)
    part = {-1: full[:sizes[0]], 0: full[sizes[0]:sizes[0] + sizes[1]], 1: full[sizes[0] + sizes[1]:]}[which]
    part = np.moveaxis(part, 0, axis)
    end = {-1: prepend, 0: a, 1: append}[which]
    return part if np.ndim(end) else np.sum(part)


def diff_ends_tangent(t, a, n=1, axis=-1, prepend=None, append=None, which=0):
    """The tangent of ``np.diff(a, n, axis, prepend=..., append=...)`` for the tangent ``t``
    of one of its parts (``which`` as in ``diff_ends``), the others held."""
    a = np.asarray(a)
    axis = axis % a.ndim
    if n == 0:
        return np.asarray(t) if which == 0 else np.zeros(a.shape)

    def edge(v):
        shape = list(a.shape)
        shape[axis] = np.shape(v)[axis] if np.ndim(v) else 1
        return np.zeros(shape)

    def part(v, k):
        if which != k:
            return edge(v) if k else np.zeros(a.shape)
        return np.broadcast_to(t, edge(v).shape) if k else np.asarray(t)
    parts = ([] if prepend is None else [part(prepend, -1)]) + [part(a, 0)] \
        + ([] if append is None else [part(append, 1)])
    return np.diff(np.concatenate(parts, axis=axis), n=n, axis=axis)


def _along(g, axis, shape):
    """``g`` for a function that flattens when ``axis is None``: (array, axis)."""
    g = np.asarray(g)
    return (g, -1) if axis is None else (g, axis)


def cumsum_adjoint(g, a, axis=None):
    """Adjoint of ``np.cumsum`` (reverse cumulative sum)."""
    shape = np.shape(a)
    g, ax = _along(g, axis, shape)
    r = np.flip(np.cumsum(np.flip(g, ax), ax), ax)
    return r.reshape(shape) if axis is None else r


def cumprod_adjoint(g, a, axis=None):
    """Adjoint of ``np.cumprod``, exact with zeros (O(n^2) along the axis)."""
    a = np.asarray(a)
    x = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
    gg = np.asarray(g).reshape(-1) if axis is None else np.moveaxis(np.asarray(g), axis, -1)
    out = np.zeros(x.shape, dtype=np.result_type(x, gg))
    for i in range(x.shape[-1]):
        y = x.copy()
        y[..., i] = 1
        out[..., i] = np.sum(gg[..., i:] * np.cumprod(y, -1)[..., i:], -1)
    return out.reshape(a.shape) if axis is None else np.moveaxis(out, -1, axis)


def diff_adjoint(g, n=1, axis=-1, a=None):
    """Adjoint of ``np.diff`` (n times the transpose of one difference); zeros of ``a``'s shape
    where ``g`` is empty along ``axis`` (``a`` no longer than ``n`` there: nothing depends on it)."""
    g = np.asarray(g)
    if a is not None and g.shape[axis] == 0:
        return np.zeros(a if type(a) is tuple else np.shape(a), np.result_type(g, np.float64))
    for _ in range(n):
        z = np.zeros_like(np.take(g, [0], axis=axis))
        g = np.concatenate([z, g], axis) - np.concatenate([g, z], axis)
    return g


def concat_part(g, arr, values, axis, first):
    """Adjoint of ``np.append(arr, values, axis)`` for one operand."""
    g = np.asarray(g)
    if axis is None:
        n = np.size(arr)
        part = g[:n] if first else g[n:]
        return part.reshape(np.shape(arr if first else values))
    n = np.shape(arr)[axis]
    part = np.take(g, np.arange(n) if first else np.arange(n, g.shape[axis]), axis=axis)
    return unbroadcast(part, np.shape(arr if first else values))


def split_adjoint(g, ary, axis=0):
    """Adjoint of ``np.split``/``np.array_split``: the parts' adjoints joined."""
    return np.concatenate([np.asarray(p) for p in g], axis=axis)


def pad_adjoint(g, array, pad_width, mode="constant"):
    """Adjoint of ``np.pad`` for the modes constant, edge, reflect, symmetric, wrap."""
    shape = np.shape(array)
    pw = np.broadcast_to(np.asarray(pad_width), (len(shape), 2))
    idx = np.arange(int(np.prod(shape))).reshape(shape)
    widths = [tuple(int(v) for v in row) for row in pw]
    if mode == "constant":
        src = np.pad(idx, widths, mode="constant", constant_values=-1)
    else:
        src = np.pad(idx, widths, mode=mode)
    g = np.asarray(g)
    keep = src >= 0
    out = np.zeros(int(np.prod(shape)), dtype=np.result_type(g, np.float32))
    np.add.at(out, src[keep], g[keep])
    return out.reshape(shape)


def take_adjoint(g, a, indices, axis=None, mode="raise"):
    """Adjoint of ``np.take`` (repeated indices accumulate; ``mode`` wraps or clips them as numpy's)."""
    a_shape, indices = np.shape(a), np.asarray(indices)   # (a list of indices may arrive as a tuple: one index)
    n = int(np.prod(a_shape)) if axis is None else a_shape[axis]
    indices = indices % n if mode == "wrap" else np.clip(indices, 0, n - 1) if mode == "clip" else indices
    out = np.zeros(a_shape, dtype=np.result_type(np.asarray(g), np.float32))
    if axis is None:
        flat = out.reshape(-1)
        np.add.at(flat, indices.reshape(-1), np.asarray(g).reshape(-1))
        return flat.reshape(a_shape)
    ax = axis % len(a_shape)
    moved = np.moveaxis(out, ax, 0)
    gm = np.moveaxis(np.asarray(g), tuple(range(ax, ax + np.ndim(indices))), tuple(range(np.ndim(indices))))
    np.add.at(moved, indices, gm)
    return out


def take_along_axis_adjoint(g, arr, indices, axis=-1):
    """Adjoint of ``np.take_along_axis`` (repeated indices accumulate)."""
    arr = np.asarray(arr)
    out = np.zeros(arr.shape, dtype=np.result_type(np.asarray(g), np.float32))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices).reshape(-1), np.asarray(g).reshape(-1))
        return out
    ax, indices = axis % arr.ndim, np.asarray(indices)
    # (numpy broadcasts arr and indices over the other axes: an axis of arr of length 1 is read throughout)
    shape = list(np.broadcast_shapes(*[tuple(1 if k == ax else n for k, n in enumerate(a.shape))
                                       for a in (arr, indices)]))
    shape[ax] = indices.shape[ax]
    idx = list(np.ix_(*[np.arange(n) if arr.shape[k] != 1 else np.zeros(n, np.intp) for k, n in enumerate(shape)]))
    idx[ax] = indices
    np.add.at(out, tuple(np.broadcast_arrays(*idx)), np.broadcast_to(g, shape))
    return out


def sort_adjoint(g, a, axis=-1):
    """Adjoint of ``np.sort`` (values): ``g`` sent back through the sorting permutation."""
    a = np.asarray(a)
    if axis is None:
        out = np.zeros(a.size, dtype=np.result_type(np.asarray(g), np.float32))
        out[np.argsort(a, axis=None, kind="stable")] = np.asarray(g)
        return out.reshape(a.shape)
    perm = np.argsort(a, axis=axis, kind="stable")
    out = np.zeros(a.shape, dtype=np.result_type(np.asarray(g), np.float32))
    np.put_along_axis(out, perm, g, axis=axis)
    return out


def sort_tangent(t, a, axis=-1):
    """Tangent of ``np.sort``: ``t`` reordered like ``a``."""
    if axis is None:
        return np.asarray(t).reshape(-1)[np.argsort(a, axis=None, kind="stable")]
    return np.take_along_axis(np.asarray(t), np.argsort(a, axis=axis, kind="stable"), axis=axis)


def roll_adjoint(g, shift, axis=None):
    """Adjoint of ``np.roll``: roll back."""
    if isinstance(shift, tuple):
        shift = tuple(-s for s in shift)
    else:
        shift = -np.asarray(shift)
    return np.roll(g, shift, axis=axis)


def rot90_adjoint(g, k=1, axes=None):
    """Adjoint of ``np.rot90``: rotate back."""
    return np.rot90(g, -k, axes=(0, 1) if axes is None else axes)


def tile_adjoint(g, a, reps):
    """Adjoint of ``np.tile``: sum over the copies."""
    shape = np.shape(a)
    reps = (reps,) if np.ndim(reps) == 0 else tuple(reps)
    nd = max(len(shape), len(reps))
    shape_p = (1,) * (nd - len(shape)) + tuple(shape)
    reps_p = (1,) * (nd - len(reps)) + reps
    g = np.asarray(g).reshape(sum(((r, s) for r, s in zip(reps_p, shape_p)), ()))
    return g.sum(axis=tuple(range(0, 2 * nd, 2))).reshape(shape)


def resize_adjoint(g, a, new_shape):
    """Adjoint of ``np.resize``: the result repeats ``a``'s elements cyclically in
    C order (or keeps the first ones), so each element's adjoint sums its copies."""
    shape = np.shape(a)
    n = int(np.prod(shape))
    g = np.ravel(g)
    if n == 0:
        return np.zeros(shape, dtype=g.dtype)
    whole = -(-g.size // n) * n
    if whole != g.size:
        g = np.concatenate([g, np.zeros(whole - g.size, dtype=g.dtype)])
    return g.reshape(-1, n).sum(axis=0).reshape(shape)


def repeat_adjoint(g, a, repeats, axis=None):
    """Adjoint of ``np.repeat``: sum over the repeated copies."""
    shape = np.shape(a)
    g = np.asarray(g)
    n = int(np.prod(shape)) if axis is None else shape[axis]
    counts = np.broadcast_to(repeats, (n,)).astype(int)
    ends = np.cumsum(counts)
    starts = ends - counts
    # sums over each element's copies as differences of running sums (an element repeated 0
    # times gets 0; np.add.reduceat gave an empty segment the next element's value)
    flat = g.reshape(-1) if axis is None else np.moveaxis(g, axis, 0)
    run = np.concatenate([np.zeros((1,) + flat.shape[1:], dtype=flat.dtype), np.cumsum(flat, axis=0)])
    out = run[ends] - run[starts]
    return out.reshape(shape) if axis is None else np.moveaxis(out, 0, axis)


def diag_adjoint(g, v, k=0):
    """Adjoint of ``np.diag`` (building a matrix from a vector, or reading a diagonal)."""
    if np.ndim(v) == 1:
        return np.diagonal(g, offset=k).copy()
    out = np.zeros(np.shape(v), dtype=np.result_type(np.asarray(g), np.float32))
    n = np.asarray(g).shape[0]
    rows = np.arange(n) + max(-k, 0)
    cols = np.arange(n) + max(k, 0)
    out[rows, cols] = g
    return out


def diagonal_adjoint(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of ``np.diagonal`` / ``np.trace``: ``g`` placed on the diagonal."""
    a_shape = np.shape(a)
    out = np.zeros(a_shape, dtype=np.result_type(np.asarray(g), np.float32))
    view = np.diagonal(out, offset=offset, axis1=axis1, axis2=axis2)
    view.flags.writeable = True
    view[...] = g
    return out


def trace_adjoint(g, a, offset=0, axis1=0, axis2=1):
    g = np.asarray(g)
    n = np.diagonal(np.empty(np.shape(a)), offset=offset, axis1=axis1, axis2=axis2).shape[-1]
    return diagonal_adjoint(np.broadcast_to(g[..., None], g.shape + (n,)), a, offset, axis1, axis2)


def cumprod_tangent(t, a, ans, axis=None):
    """Tangent of ``np.cumprod`` (exact with zeros)."""
    a = np.asarray(a)
    x = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
    tt = np.asarray(t).reshape(-1) if axis is None else np.moveaxis(np.asarray(t), axis, -1)
    out = np.zeros(x.shape, dtype=np.result_type(x, tt))
    for i in range(x.shape[-1]):
        y = x.copy()
        y[..., i] = tt[..., i]
        out[..., i:] += np.cumprod(y, -1)[..., i:]
    return out if axis is None else np.moveaxis(out, -1, axis)


def _spacings(spacing, count):
    """The uniform spacing of each of ``count`` axes: ``np.gradient``'s varargs."""
    hs = tuple(spacing) if isinstance(spacing, (tuple, list)) else (spacing,)
    if any(np.ndim(h) != 0 for h in hs):
        # (NotImplementedError: refused at the user's line, codegen.compile._relocated)
        raise NotImplementedError("np.gradient with coordinate arrays is not differentiated: give uniform spacings")
    return (1.0,) * count if not hs else hs * count if len(hs) == 1 else hs


def gradient_adjoint(g, f, spacing, axis, edge_order):
    """Adjoint of ``np.gradient(f, *spacing, axis=axis, edge_order=edge_order)`` of
    uniform spacings along one axis (central differences inside, one-sided
    ones of order ``edge_order`` at the ends): the transposed stencils."""
    shape = np.shape(f)
    ax = (axis if axis is not None else 0) % max(len(shape), 1)
    h, = _spacings(spacing, 1)
    g = np.asarray(g) + np.zeros(shape)
    out = np.zeros(shape, dtype=np.result_type(g, float))
    gm, om = np.moveaxis(g, ax, 0) / h, np.moveaxis(out, ax, 0)
    om[2:] += 0.5 * gm[1:-1]
    om[:-2] -= 0.5 * gm[1:-1]
    if edge_order == 1:
        om[1] += gm[0]
        om[0] -= gm[0]
        om[-1] += gm[-1]
        om[-2] -= gm[-1]
    else:
        om[:3] += np.multiply.outer((-1.5, 2.0, -0.5), gm[0])
        om[-3:] += np.multiply.outer((0.5, -2.0, 1.5), gm[-1])
    return out


def gradient_tangent(t, spacing, axis, edge_order):
    """Tangent of ``np.gradient`` (linear in ``f``), of real or complex ``t``."""
    hs = tuple(spacing) if isinstance(spacing, (tuple, list)) else (spacing,)
    return np.gradient(t, *hs, axis=axis, edge_order=edge_order)
