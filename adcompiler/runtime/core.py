"""The few helpers generated code calls.

Each helper depends on numpy only, so the command line can copy its source
into a self-contained adjoint module. Generated code refers to them with the
``_ad_`` prefix (``_ad_unbroadcast``...).
"""
from __future__ import annotations

import array as typed_arrays

import numpy as np

from .positions import flat_positions
from .views import VIEW_COPIED, broadcast, insert_axes


def np_number(v):
    """``v`` as numpy's number where it is Python's (a value a loop's step pops from the tape, ``float(x)``,
    ``math.sqrt(v)``), for a derivative that divides by it: Python's float division by 0 raises
    ZeroDivisionError, numpy's gives inf, as the primal's numpy arithmetic does. Numbers of numpy's
    (``np.float32``) are kept as they are, with their precision."""
    t = type(v)
    if t is float:
        return np.float64(v)
    if t is complex:
        return np.complex128(v)
    return v


def shape(x):
    """``x``'s shape; the helpers take a tuple wherever only an operand's shape matters."""
    return x.shape if type(x) is np.ndarray else x if isinstance(x, tuple) else np.shape(x)


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x`` (undo numpy broadcasting)."""
    shape = x if type(x) is tuple else x.shape if type(x) is np.ndarray else np.shape(x)
    gshape = g.shape if type(g) is np.ndarray else np.shape(g)
    if gshape == shape:
        return g
    if not shape:
        return np.sum(g)
    g = np.asarray(g)
    if g.ndim < len(shape):
        return np.broadcast_to(g, shape)
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def _norm_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast the adjoint ``g`` of a reduction of ``x`` back to ``x``'s shape."""
    shape = x if type(x) is tuple else x.shape if type(x) is np.ndarray else np.shape(x)
    g = np.asarray(g)
    if g.ndim == 0:
        return broadcast(g, shape)
    if not keepdims and shape:
        if type(axis) is int and g.ndim == len(shape) - 1:
            g = g.reshape(g.shape[:axis % len(shape)] + (1,) + g.shape[axis % len(shape):])
        else:
            g = insert_axes(g, _norm_axes(axis, len(shape)))
    return broadcast(g, shape)


def reduce_count(x, axis=None):
    """Number of elements a reduction over ``axis`` combines."""
    shape = x if isinstance(x, tuple) else np.shape(x)
    n = 1
    for a in _norm_axes(axis, len(shape)):
        n *= shape[a]
    return n


def select_adjoint(g, x, ans, axis=None, keepdims=False):
    """Adjoint of max/min: ``g`` split equally among the elements equal to the result (none of a
    group whose result is NaN: NaN equals nothing, and the group gets 0, not 0 / 0)."""
    shape = x.shape if type(x) is np.ndarray else np.shape(x)
    a = ans if type(ans) is np.ndarray else np.asarray(ans)
    if not shape:
        mask = np.asarray(x) == a
        g = unreduce(g, x, axis, keepdims)
        return np.where(mask, g, np.zeros((), np.result_type(g, mask))) / np.maximum(np.sum(mask, keepdims=True), 1)
    axes = _norm_axes(axis, len(shape))
    g = np.asarray(g)
    if not keepdims:
        a = insert_axes(a, axes)
        if g.ndim == len(shape) - len(axes):
            g = insert_axes(g, axes)
    mask = np.asarray(x) == a
    if not (g.ndim == len(shape) and all(d == 1 or d == n for d, n in zip(g.shape, shape))):
        g = unreduce(g, x, axis, True)
    # (g broadcasts against the mask as against its view of x's shape; a selection: an infinite g
    # gives the other elements 0, not 0 * inf)
    out = np.where(mask, g, np.zeros((), np.result_type(g, mask)))
    # Each group holds its result at least once where no result is NaN (a NaN result equals
    # nothing); then as many equal elements as groups means one each, and nothing to share.
    if np.count_nonzero(mask) != a.size or a.dtype.kind in "fc" and np.isnan(a).any() \
            or out.dtype.kind not in "fc":
        out = out / np.maximum(np.count_nonzero(mask, axis=axes, keepdims=True), 1)
    return out


def select_tangent(t, x, ans, axis=None, keepdims=False):
    """Tangent of max/min: the mean of the tangents of the elements equal to the result."""
    shape = np.shape(x)
    a = np.asarray(ans)
    axes = _norm_axes(axis, len(shape)) if shape else None
    if not keepdims and shape:
        a = np.expand_dims(a, axes)
    mask = np.asarray(x) == a
    t = np.broadcast_to(t, shape)
    out = np.sum(t * mask, axis=axes, keepdims=keepdims) / np.sum(mask, axis=axes, keepdims=keepdims)
    return out


def add_at(dx, idx, g):
    """``dx[idx] += g`` counting repeated indices (``np.add.at``)."""
    np.add.at(dx, idx, g)


def index_adjoint(g, x, idx):
    """Adjoint of the read ``x[idx]``: zeros of ``x``'s shape with ``g`` added at ``idx``."""
    if isinstance(x, tuple):
        out = np.zeros(x)
    else:
        out = np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x).dtype, np.float32))
    np.add.at(out, idx, g)
    return out


def store_adjoint(dx, idx):
    """Adjoint of the store ``x[idx] = v`` for an advanced index.

    Returns the adjoint of ``v`` and zeroes ``dx[idx]``. With repeated indices
    numpy keeps the last value written, so only the last occurrence of each
    position receives the adjoint.
    """
    g, keep, shape = _last_occurrences(dx, idx)
    g[~keep] = 0
    dx[idx] = 0
    return g.reshape(shape)


def _last_occurrences(dx, idx):
    """``dx[idx]`` as a flat copy, a mask of the last occurrence of each
    position the index selects, and the shape of the selection."""
    lin = flat_positions(dx.shape, idx)
    flat = lin.reshape(-1)
    g = dx.reshape(-1)[flat].copy()
    _, last = np.unique(flat[::-1], return_index=True)
    keep = np.zeros(flat.shape, dtype=bool)
    keep[flat.size - 1 - last] = True
    return g, keep, lin.shape


def gather_last(dx, idx):
    """Adjoint of ``v`` in ``x[idx] += v`` (advanced ``idx``): once per distinct position, the last wins."""
    g, keep, shape = _last_occurrences(dx, idx)
    g[~keep] = 0
    return g.reshape(shape)


def copy(x):
    """A copy of a value saved for the reverse sweep, or of an adjoint region that
    is about to be zeroed; a tuple (a factorization's results) or a list is copied
    element by element, since the arrays it holds may be written later."""
    if isinstance(x, (tuple, list)):
        parts = [copy(v) for v in x]
        return parts if isinstance(x, list) else tuple(parts)
    return x.copy() if hasattr(x, "copy") else x


def shadow_like(x):
    """A zero shadow for a freshly bound array (float dtype of ``x``)."""
    if isinstance(x, (tuple, list)):
        if all(isinstance(v, (int, float, complex, np.number)) for v in x):
            return np.zeros(len(x), complex if any(isinstance(v, (complex, np.complexfloating)) for v in x)
                            else float)   # a list of numbers, as the array it is taken for
        return [shadow_like(v) for v in x]   # functions returning several arrays
    x = np.asarray(x)
    if x.dtype.kind in "fc":
        return np.zeros_like(x)
    return np.zeros(x.shape)


def shadow_ref(root, v):
    """What a forward half records in place of a shadow: the shadow's root
    and the primal view the shadow mirrors. The root is the index of a
    Duplicated argument, or, for a value bound with a shadow of its own
    (``root`` None), a new token holding it: one per binding, even where two
    bindings hold the same array. For a view ``t`` of ``y``:
    ``shadow_ref(dy[0], t)``, ``dy`` being ``y``'s reference."""
    return ([v] if root is None else root, v)


def alias_view(dx, x, v):
    """The view of ``dx`` that ``v`` is of ``x`` (``v`` is ``x`` or lies in its
    memory): the shadow of a value a user function returned as (a view of) its
    argument ``x``, in code that is differentiated again."""
    return dx if v is x else _same_view(v, x, dx)


def tget(dt, k):
    """Element ``k`` of a tuple's adjoint (a list, or the row of a stacked list of
    tuples) or tangent (a tuple); ``0.0`` stands for all zeros."""
    return dt[k] if isinstance(dt, (list, tuple)) or (isinstance(dt, np.ndarray) and dt.ndim) else 0.0


def tadd(dt, k, g, n):
    """A tuple's adjoint (of ``n`` elements) with ``g`` added to element ``k``
    (``dt`` a list, or in forward mode over reverse code a tuple of tangents)."""
    out = list(dt) if isinstance(dt, (list, tuple)) else [0.0] * n
    out[k] = tplus(out[k], g) if isinstance(g, (list, tuple)) or isinstance(out[k], (list, tuple)) else out[k] + g
    return out


def tplus(dt, g):
    """The sum of two adjoints of one tuple (lists, or tuples of tangents)."""
    if not isinstance(g, (list, tuple)):
        return dt
    if not isinstance(dt, (list, tuple)):
        return list(g)
    return [tplus(a, b) if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)) else a + b
            for a, b in zip(dt, g)]   # (a nested tuple's adjoints are lists)


class Tape(list):
    """The tape of the numpy backend: a list for arrays, tuples and records,
    with a typed stack beside it for floats (``f``, 8 bytes each) and one
    for ints (``i``). Each value goes to the stack of its kind, known when
    the code is generated, and comes back from the same stack."""

    __slots__ = ("f", "i")

    def __init__(self):
        super().__init__()
        self.f = typed_arrays.array("d")
        self.i = typed_arrays.array("q")

    def __copy__(self):
        other = Tape()
        other.extend(self)
        other.f.extend(self.f)
        other.i.extend(self.i)
        return other

    def clear(self):
        super().clear()
        del self.f[:]
        del self.i[:]


#: the longest array a reversed element loop copies into a Python list (a list
#: of floats takes four times the array's memory: 8 MB for this many elements)
LIST_LIMIT = 1 << 18


def as_list(x):
    """``x`` as a Python list for a loop that indexes it element by element,
    or ``x`` itself when it is long (same indexing, no copy)."""
    return x.tolist() if x.size <= LIST_LIMIT else x


def put_list(x, values) -> None:
    """Write back what ``as_list`` gave, if it was a copy (a 1-D float list
    through ``np.fromiter``: the same conversion of each float, without
    numpy's inspection of the list first)."""
    if values is x:
        return
    if x.ndim == 1 and x.dtype.kind in "fc" and len(values) == x.shape[0]:
        x[:] = np.fromiter(values, x.dtype, len(values))
    else:
        x[:] = values


def stack_pop(ds):
    """The adjoint of the item a reversed ``append`` pushed: the top of the
    adjoint stack, or 0.0 for an item that was never popped."""
    return ds.pop() if ds else 0.0


def disjoint(*arrays):
    """Whether no two of ``arrays`` share memory."""
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            if np.may_share_memory(a, b) and np.shares_memory(a, b):
                return False
    return True


def roots(primals, shadows):
    """The memory map of a reverse half: ``(x, dx)`` for each Duplicated
    argument (``x`` as its forward half saw it, ``dx`` the shadow this half
    was given), and the zero shadows of locals, made as they are met."""
    return (list(zip(primals, shadows)), {})


def rebase(ref, roots):
    """The shadow a forward half recorded as ``ref`` (see :func:`shadow_ref`),
    in a reverse half whose memory map is ``roots``.

    A forward half owns no shadow memory: it records which root each shadow
    belongs to and the primal view it mirrors; the reverse half takes the same
    view of the root's shadow. A local root's shadow is a new zero array (or
    list of arrays), one per root, so that every view of it shares it."""
    if ref is None:
        return None
    root, v = ref
    if isinstance(root, int):
        x, dx = roots[0][root]
    else:
        hit = roots[1].get(id(root))
        if hit is None:
            hit = roots[1][id(root)] = (root[0], shadow_like(root[0]), root)   # (keeps the token alive)
        x, dx = hit[:2]
    if v is x:
        return dx
    if isinstance(x, (list, tuple)):   # arrays a function returned together (np.split)
        for xi, dxi in zip(x, dx):
            if v is xi or (np.may_share_memory(v, xi) and np.shares_memory(v, xi)):
                return dxi if v is xi else _same_view(v, xi, dxi)
        raise ValueError(VIEW_COPIED)
    if isinstance(v, (list, tuple)):   # views of x a function returned together (np.split(x, 3))
        return [dx if vi is x else _same_view(vi, x, dx) for vi in v]
    return _same_view(v, x, dx)


def _unravel_bytes(off, shape, strides):
    """The multi-index of the element ``off`` bytes after element 0 of an
    array of ``shape`` and ``strides`` (non-overlapping)."""
    index = [0] * len(shape)
    order = [k for k in sorted(range(len(shape)), key=lambda j: -abs(strides[j]))
             if strides[k] != 0 and shape[k] > 1]
    for pos, k in enumerate(order):
        s = strides[k]
        rest = [strides[j] * (shape[j] - 1) for j in order[pos + 1:]]
        lo, hi = sum(r for r in rest if r < 0), sum(r for r in rest if r > 0)
        # the one q with lo <= off - q * s <= hi
        q = -((hi - off) // s) if s > 0 else -((lo - off) // s)
        index[k] = min(max(q, 0), shape[k] - 1)
        off -= index[k] * s
    if off != 0:
        raise ValueError(VIEW_COPIED)
    return index


def _same_view(v, x, dx):
    """The view of ``dx`` that ``v`` is of ``x`` (``v`` lies in ``x``'s memory)."""
    if v.size == 0:
        return np.zeros(v.shape, dx.dtype)
    off = v.__array_interface__["data"][0] - x.__array_interface__["data"][0]
    # the real or imaginary part of complex memory: the same part of the shadow's elements
    part = off % x.itemsize if v.dtype != x.dtype and x.dtype.kind == "c" else 0
    off -= part
    if x.strides == dx.strides and x.itemsize == dx.itemsize:
        start, strides = off, v.strides
    else:
        first = _unravel_bytes(off, x.shape, x.strides)
        start = sum(i * s for i, s in zip(first, dx.strides))
        strides = []
        for n, st in zip(v.shape, v.strides):
            step = _unravel_bytes(off + st, x.shape, x.strides) if n > 1 else first
            strides.append(sum((b - a) * s for a, b, s in zip(first, step, dx.strides)))
        strides = tuple(strides)
    start += part
    lo, hi = _extent(dx.shape, dx.strides)
    vlo, vhi = _extent(v.shape, strides)
    if start + vlo < lo or start + vhi - 1 + v.itemsize > hi - 1 + dx.itemsize:   # (bytes of the last elements)
        raise ValueError(VIEW_COPIED)   # (not in the memory taken: a copy, or new memory a function returned)
    interface = dict(dx.__array_interface__)
    interface["data"] = (interface["data"][0] + start, False)
    interface["shape"] = v.shape
    interface["strides"] = strides
    if part or v.dtype != x.dtype:
        interface["typestr"], interface["descr"] = v.__array_interface__["typestr"], v.__array_interface__["descr"]
    interface.pop("mask", None)
    return np.asarray(_Memory(interface, dx))


def _extent(shape, strides):
    """Byte offsets of the lowest and one past the highest element, from element 0."""
    lo = sum(s * (n - 1) for n, s in zip(shape, strides) if s < 0)
    hi = sum(s * (n - 1) for n, s in zip(shape, strides) if s > 0)
    return lo, hi + 1


class _Memory:
    """Array interface of a view computed by :func:`_same_view` (keeps the shadow alive)."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def fresh_like(t, x):
    """A new writable array shaped like ``x`` holding the tangent ``t`` (for a
    tuple or list ``x``, such as the results of ``lstsq`` or ``split``, one per element;
    a named tuple such as the result of ``eigh`` gives a plain tuple)."""
    if isinstance(x, (tuple, list)):
        if not isinstance(t, (tuple, list)) and np.ndim(t) == 0:   # (a zero tangent, 0.0, for every element)
            t = [t] * len(x)
        parts = [fresh_like(ti, xi) for ti, xi in zip(t, x)]
        return parts if isinstance(x, list) else tuple(parts)
    out = shadow_like(x)
    out[...] = t
    return out


def tuple_add(a, b):
    """The sum of two tangents of a tuple-valued result, element by element
    (a tangent that is not a tuple or list, 0.0, is all zeros)."""
    if not isinstance(a, (tuple, list)):
        return b
    if not isinstance(b, (tuple, list)):
        return a
    return tuple(tuple_add(x, y) if isinstance(x, (tuple, list)) or isinstance(y, (tuple, list)) else x + y
                 for x, y in zip(a, b))   # (a nested tuple's tangents are tuples too)


def broadcast_like(t, x):
    """The tangent ``t`` broadcast to the shape of ``x`` (when some operands were constant)."""
    shape = np.shape(x)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape)


def per_element(gs, n):
    """The adjoints of a sequence argument: one per element, checked."""
    if not isinstance(gs, (tuple, list)) or len(gs) != n:
        raise ValueError(f"a rule for a sequence argument must return {n} adjoints, one per element")
    return gs


def zero_tangent(x):
    """The zero tangent of a value that depends on nothing differentiated (of a tuple or a
    list, one of those of its elements)."""
    if isinstance(x, (tuple, list)):
        parts = [zero_tangent(v) for v in x]
        return parts if isinstance(x, list) else tuple(parts)
    if isinstance(x, np.ndarray) and x.dtype.kind in "fc":
        return np.zeros_like(x)
    return 0.0


def inverse_axes(axes):
    """The permutation undoing ``np.transpose(x, axes)`` (None stays None; negative
    axes count from the end)."""
    return None if axes is None else np.argsort(np.asarray(axes) % len(axes))


def default(value, fallback):
    """``value``, or ``fallback`` when it is None."""
    return fallback if value is None else value


def einsum_maybe(subscripts, a, b):
    """``np.einsum`` of one operand, or of two when ``b`` is given."""
    return np.einsum(subscripts, a) if b is None else np.einsum(subscripts, a, b)
