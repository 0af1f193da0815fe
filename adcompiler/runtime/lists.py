"""Helpers of Python lists a user function builds with ``append`` and stacks
into an array (``np.stack(L)``): the adjoint stack made one adjoint per item,
and the stacked tangent."""
from __future__ import annotations

import numpy as np

from .core import unbroadcast

ITEMS_UNSTACKED = "the items of a list that carry derivatives cannot be stacked"
ITEMS_SHARED = "a shallow copy of a container of arrays or lists shares them"


def _holds_mutables(v) -> bool:
    """Whether the container ``v`` holds an array, a list or a dict (at any depth)."""
    items = v.values() if isinstance(v, dict) else v
    return any(isinstance(x, (np.ndarray, list, dict)) or isinstance(x, tuple) and _holds_mutables(x) for x in items)


def copy_method(x):
    """``x.copy()`` and ``copy.copy(x)`` as the user wrote them: a copy of an
    array or a number. A list, tuple or dict that holds arrays (or lists, dicts)
    is refused (``ITEMS_SHARED``: at the user's line): its shallow copy shares
    them, so a write into an item through one would change the other, which
    the derivative, taking the copy for new values, would not follow."""
    if isinstance(x, (list, tuple, dict)):
        if _holds_mutables(x):
            raise ValueError(ITEMS_SHARED, type(x).__name__)
        return type(x)(x) if not isinstance(x, tuple) else x
    return x.copy() if hasattr(x, "copy") else x


def stack_items(items, axis=0):
    """``np.array(L)`` of a list built with append: the items stacked, and an
    empty float array for an empty list (``np.stack`` refuses one). Items of
    different shapes are refused (``ITEMS_UNSTACKED``: at the user's line)."""
    if not len(items):
        return np.array(items, dtype=float)
    try:
        return np.stack(items, axis)
    except ValueError as e:
        raise ValueError(ITEMS_UNSTACKED, str(e)) from None


def seq_adjoint(g, v):
    """The adjoint of a tuple or list of numbers stored into an array region
    (``x[i] = (a, b)``, ``x[1, :] = (v,)``): the region's adjoint summed where
    numpy broadcast the sequence, in the sequence's shape."""
    return unbroadcast(g, np.shape(v))


def _has_floats(v) -> bool:
    if isinstance(v, (tuple, list)):
        return any(_has_floats(x) for x in v)
    return np.asarray(v).dtype.kind in "fcO" if not isinstance(v, (str, bytes)) else False


def list_items(items, axis=0):
    """The items of a list read one by one (``L[k]``): stacked and read-only
    where they hold floats (a write into an item read this way would not reach
    the list); otherwise (integers, index arrays of different lengths) the items
    themselves, in an array of objects."""
    if not any(_has_floats(x) for x in items):
        out = np.empty(len(items), dtype=object)
        out[:] = [None] * len(items)
        for k, x in enumerate(items):
            out[k] = x
    else:
        if any(isinstance(x, (tuple, list)) and any(isinstance(e, (int, np.integer)) and not isinstance(e, bool)
                                                    for e in x) for x in items):
            raise ValueError(ITEMS_UNSTACKED, "tuples that mix integers with floats: the integers, indices "
                                              "perhaps, would become floats")
        out = stack_items(items, axis)   # (codegen.compile.copied_view makes its error a refusal at the line)
    out.flags.writeable = False
    return out


def stack_list_adjoint(ds, g, axis=0, like=None):
    """The adjoint of ``np.stack(L, axis)`` joins ``L``'s adjoint stack ``ds``,
    which holds the adjoints of the top items only (those popped later): it
    becomes one adjoint per item, ``g``'s slices added (``g`` a number standing
    for all of the stacked array ``like``, as a full reduction's adjoint may)."""
    if like is not None and np.ndim(g) < np.ndim(like):
        g = np.broadcast_to(g, np.shape(like))
    parts = list(np.array(np.moveaxis(np.asarray(g), axis, 0)))   # copies: g may be a region zeroed next
    n, m = len(parts), len(ds)
    if m > n:
        raise ValueError("the adjoint stack of a list holds more items than the list had")
    ds[:] = parts[:n - m] + [d + p for d, p in zip(ds, parts[n - m:])]


def stack_list_tangent(ts, items, axis=0):
    """The tangent of ``np.stack(L, axis)``: the items' tangents (a list beside
    ``L``; 0.0 for an item without one) stacked in the items' shapes."""
    if not len(items):
        return np.zeros((0,))
    return np.stack([np.asarray(t) + np.zeros(np.shape(x)) for t, x in zip(ts, items)], axis)


def wide(v):
    """``v`` as a Python number when it is a numpy scalar narrower than
    float64 or complex128. A reversed loop run on Python lists reads float64
    elements as Python floats, and NumPy 2 makes ``float * np.float32`` a
    float32 where numpy's own float64 elements gave float64."""
    return v.item() if type(v) in (np.float32, np.float16, np.complex64) else v


def all_wide(*values) -> bool:
    """Whether none of ``values`` is a numpy scalar narrower than float64 (``wide``)."""
    return not any(type(v) in (np.float32, np.float16, np.complex64) for v in values)


def joined(stacked, how, axis=0):
    """``np.vstack(L)`` (``hstack``, ``column_stack``, ``dstack``, ``concatenate(L,
    axis)``) of a list built with append, given its items stacked: the same join
    of the stacked array's items (numpy iterates an array's first axis)."""
    if how == "concatenate":
        return np.concatenate(stacked, axis)
    return getattr(np, how)(stacked)


def joined_adjoint(g, stacked, how, axis=0):
    """The adjoint of ``joined``: each element of the join is one element of
    ``stacked``, found by joining the elements' flat positions; ``g``'s values go
    back to them."""
    pos = joined(np.arange(np.size(stacked)).reshape(np.shape(stacked)), how, axis)
    out = np.zeros(np.size(stacked), dtype=np.result_type(g, float))
    out[np.ravel(pos)] = np.ravel(np.broadcast_to(g, np.shape(pos)))
    return out.reshape(np.shape(stacked))


def popped_tuple(v, spec):
    """``v``: a tuple of integers and int or bool arrays (``np.ix_(e, e)``) popped from the tape
    of code differentiated again; ``spec`` names its elements' kinds (``"i,a1i"``)."""
    return v
