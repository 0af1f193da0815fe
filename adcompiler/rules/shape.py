"""Copies, views and rearrangements: reshape, transpose, flips, tiling,
padding, diagonals, triangles, take, sort. Each is linear in its array
argument; the tangent applies the same function to the tangent ``t``."""
import ast
import inspect

import numpy as np

from ..analysis.kinds import FLOAT, INT, Kind, array, axes_count
from ..runtime import numpy as RN
from ..runtime import windows as W
from .registry import defrule

NUM = Kind("num", None, "f")


def _rank(delta=0, param="a", fixed=None):
    def result(kinds, bound):
        k = kinds.get(param, FLOAT)
        if fixed is not None:
            return array(fixed, k.dtype or "f")
        if k.cls == "other":   # (an object that is no array, a scipy.sparse matrix's A.T: still not one)
            return k
        if k.cls != "array" or k.ndim is None:
            return array(None, k.dtype or "f") if k.cls == "array" else NUM
        return array(max(k.ndim + delta, 0), k.dtype or "f")
    return result


def _flat_at_none(param="a", default_none=False):
    """``_rank(param=param)``, or rank 1 where ``axis`` is None (given so, or its
    default): ``np.sort(X, axis=None)`` and ``np.append(X, Y)`` flatten."""
    def result(kinds, bound):
        axis = bound.get("axis")
        n = "all" if axis is None and default_none else 1 if axis is None else axes_count(axis, kinds.get("axis"))
        k = _rank(param=param)(kinds, bound)
        if n is None and k.cls == "array":   # (an axis given by a name that may hold None)
            return array(None, k.dtype or "f")
        return array(1, k.dtype or "f") if n == "all" and k.cls == "array" else k
    return result


def _shift(param, by):
    """The rank of ``param`` plus ``by(kinds, bound)`` (None: unknown)."""
    def result(kinds, bound):
        k = kinds.get(param, FLOAT)
        if k.cls in ("float", "int", "bool"):   # a number: rank 0
            k = array(0, "c" if k.dtype == "c" else {"float": "f", "int": "i", "bool": "b"}[k.cls])
        if k.cls != "array" or k.ndim is None:
            return array(None, k.dtype or "f") if k.cls == "array" else NUM
        d = by(kinds, bound)
        return array(None if d is None else max(k.ndim + d, 0), k.dtype or "f")
    return result


def _expanded(kinds, bound):
    n = axes_count(bound.get("axis"), kinds.get("axis"))
    return n if isinstance(n, int) else None


def _squeeze_delta(kinds, bound):
    n = axes_count(bound.get("axis"), kinds.get("axis"))
    return None if n in ("all", None) else -n   # (every axis of length 1: depends on the shape)


def _at_least(n):
    def result(kinds, bound):
        k = kinds.get("a", FLOAT)
        if k.cls in ("float", "int", "bool"):
            return array(n, {"float": "f", "int": "i", "bool": "b"}[k.cls])
        if k.cls == "array" and k.ndim is not None:
            return array(max(k.ndim, n), k.dtype or "f")
        return array(None, k.dtype or "f")
    return result


def _shape_rank(kinds, bound, param):
    """The rank a ``shape`` argument gives: its length (an int: 1)."""
    k = kinds.get(param)
    if k is None:
        return None
    if k.cls == "int":
        return 1
    if k.cls == "tuple" and k.elts is not None:
        return len(k.elts)
    return None


def _reshape_kind(kinds, bound):
    a = kinds.get("a", FLOAT)
    return array(_shape_rank(kinds, bound, RESHAPE), a.dtype or "f")


def _tile_kind(kinds, bound):
    a, reps = kinds.get("A", FLOAT), _shape_rank(kinds, bound, "reps")
    nd = a.ndim if a.cls == "array" else (0 if a.cls in ("float", "int", "bool") else None)
    return array(None if nd is None or reps is None else max(nd, reps), a.dtype or "f")


def _flat_unless_axis(param):
    def result(kinds, bound):
        n = axes_count(bound.get("axis"), kinds.get("axis"))
        if n in ("all", None):
            k = kinds.get(param, FLOAT)
            return array(1 if n == "all" else None, k.dtype or "f")
        return _rank(param=param)(kinds, bound)
    return result


def _take_kind(kinds, bound):
    a, idx = kinds.get("a", FLOAT), kinds.get("indices", INT)
    ni = 0 if idx.cls in ("int", "bool") else (idx.ndim if idx.cls == "array" else None)
    if idx.cls == "tuple" and idx.elts and all(e.cls == "int" for e in idx.elts):
        ni = 1   # an index list
    n = axes_count(bound.get("axis"), kinds.get("axis"))
    if n == "all":
        nd = ni
    else:
        nd = None if ni is None or a.ndim is None or n is None else a.ndim - 1 + ni
    if nd == 0:
        return FLOAT if (a.dtype or "f") == "f" else Kind("num", None, a.dtype)
    return array(nd, a.dtype or "f")


def _trace_kind(kinds, bound):
    k = kinds.get("a", FLOAT)
    if k.cls == "array" and k.ndim == 2:
        return FLOAT
    return array(k.ndim - 2 if k.ndim else None, "f")


def _copy_kind(kinds, bound):
    k = kinds.get("a", kinds.get("object", FLOAT))
    # a tuple of values, or a list the function builds of items of one kind (np.array([k * 0.5 for k ...])):
    # the dtype numpy gives them (ints stay ints: a float stored into np.array([1, 2]) is truncated)
    if k.cls in ("tuple", "list"):
        return array(nested_rank(k), _leaf_dtype(k))
    return k


def _array_kind(kinds, bound):
    """``np.array``, ``np.asarray``, ``np.copy``: ``_copy_kind``, and of a number a 0-d array
    (written in place as one; ``np.real`` and a copy helper of a number give a number)."""
    k = kinds.get("a", kinds.get("object", FLOAT))
    return array(0, _leaf_dtype(k)) if k.cls in ("float", "int", "bool") else _copy_kind(kinds, bound)


def _leaf_dtype(k) -> str:
    """The dtype kind numpy gives an array of the (nested) values of kind ``k``:
    the widest of bool, int, float, complex; float where one is unknown."""
    order = "bifc"
    if k is None:
        return "f"
    if k.cls in ("tuple", "list"):
        found = [_leaf_dtype(e) for e in k.elts or ()]
        return max(found, key=order.index) if found else "f"
    if k.cls in ("bool", "int"):
        return k.cls[0]
    if k.cls == "float":
        return "c" if k.dtype == "c" else "f"
    if k.cls in ("array", "num") and k.dtype is not None and k.dtype in order:
        return k.dtype
    return "f"


def nested_rank(k):
    """The rank of the array numpy makes of a (nested) tuple of values of kind ``k``, or None."""
    if k is None:
        return None
    if k.cls in ("int", "float", "bool"):
        return 0
    if k.cls == "array":
        return k.ndim
    if k.cls == "list":   # (of items of one kind)
        rank = nested_rank(k.elts[0]) if k.elts else None
        return None if rank is None else rank + 1
    if k.cls == "tuple" and k.elts:
        ranks = {nested_rank(e) for e in k.elts}
        return ranks.pop() + 1 if len(ranks) == 1 and None not in ranks else None
    return None


def _same(name, extra=""):
    return {name: f"np.{name}(t{extra})"}


# (numpy 2.1 renamed newshape to shape; read from the signature: docstrings are None under python -OO)
RESHAPE = "shape" if "shape" in inspect.signature(np.reshape).parameters else "newshape"

defrule(np.copy, "a", a="g", tangents={"a": "np.copy(t)"}, result=_array_kind)
defrule(np.transpose, "a, axes=None", kind="view", a="np.transpose(g, _ad_inverse_axes(axes))",
        tangents={"a": "np.transpose(t, axes)"}, result=_rank())
defrule(np.reshape, f"a, {RESHAPE}=None", kind="view", a="np.reshape(g, _ad_shape(a))",
        tangents={"a": "np.reshape(t, np.shape(ans))"}, result=_reshape_kind)
defrule(np.ravel, "a", kind="view", a="np.reshape(g, _ad_shape(a))", tangents={"a": "np.ravel(t)"},
        result=_rank(fixed=1))
defrule(np.asarray, "a, dtype=None", kind="view", a="g", tangents={"a": "np.asarray(t)"}, result=_array_kind)
defrule(np.array, "object, dtype=None", name="numpy.array", object="g", tangents={"object": "np.array(t)"},
        result=lambda kinds, bound: _array_kind({"a": kinds.get("object", FLOAT)}, bound))
defrule(np.swapaxes, "a, axis1, axis2", kind="view", a="np.swapaxes(g, axis1, axis2)",
        tangents={"a": "np.swapaxes(t, axis1, axis2)"}, result=_rank())
defrule(np.moveaxis, "a, source, destination", kind="view", a="np.moveaxis(g, destination, source)",
        tangents={"a": "np.moveaxis(t, source, destination)"}, result=_rank())
defrule(np.expand_dims, "a, axis", kind="view", a="np.reshape(g, _ad_shape(a))",
        tangents={"a": "np.expand_dims(t, axis)"}, result=_shift("a", _expanded))
defrule(np.squeeze, "a, axis=None", kind="view", a="np.reshape(g, _ad_shape(a))",
        tangents={"a": "np.squeeze(t, axis)"}, result=_shift("a", _squeeze_delta))
for _f in (np.broadcast_to, RN.broadcast_copy):
    defrule(_f, "array, shape", array="_ad_unbroadcast(g, array)",
            tangents={"array": "np.broadcast_to(t, shape)"},
            result=lambda kinds, bound: array(_shape_rank(kinds, bound, "shape"),
                                              kinds.get("array", FLOAT).dtype or "f"))
for _f in (np.lib.stride_tricks.sliding_window_view, W.window_copy):   # (no writeable=: refused by binding)
    defrule(_f, "x, window_shape, axis=None", x="_ad_window_adjoint(g, x, window_shape, axis)",
            tangents={"x": "np.lib.stride_tricks.sliding_window_view(t, window_shape, axis)"},
            result=_shift("x", lambda kinds, bound: _shape_rank(kinds, bound, "window_shape")),
            doc="a read-only view, differentiated as a copy (refused where the argument is written while "
                "the view is read)")
for _k, _f in enumerate((np.atleast_1d, np.atleast_2d, np.atleast_3d)):
    defrule(_f, "a", kind="view", a="np.reshape(g, _ad_shape(a))", tangents={"a": f"np.{_f.__name__}(t)"},
            result=_at_least(_k + 1))
for _f in (np.ascontiguousarray, np.asfortranarray):   # (the argument, or a copy in the layout; 0-d: 1-d)
    defrule(_f, "a, dtype=None", kind="view", a="np.reshape(g, _ad_shape(a))",
            tangents={"a": f"np.{_f.__name__}(t)"}, result=_at_least(1))
defrule(np.flip, "m, axis=None", kind="view", m="np.flip(g, axis)", tangents={"m": "np.flip(t, axis)"},
        result=_rank(param="m"))
defrule(np.fliplr, "m", kind="view", m="np.fliplr(g)", tangents={"m": "np.fliplr(t)"}, result=_rank(param="m"))
defrule(np.flipud, "m", kind="view", m="np.flipud(g)", tangents={"m": "np.flipud(t)"}, result=_rank(param="m"))
defrule(np.real, "val", kind="view", val="g", tangents={"val": "np.real(t)"},
        result=lambda kinds, bound: _copy_kind({"a": kinds.get("val", FLOAT)}, bound),
        doc="a view of a real array: writes through it write the array")
defrule(np.rot90, "m, k=1, axes=None", kind="view", m="_ad_rot90_adjoint(g, k, axes)",
        tangents={"m": "np.rot90(t, k, _ad_default(axes, (0, 1)))"}, result=_rank(param="m"))
defrule(np.roll, "a, shift, axis=None", a="_ad_roll_adjoint(g, shift, axis)",
        tangents={"a": "np.roll(t, shift, axis)"}, result=_rank())
defrule(np.tile, "A, reps", A="_ad_tile_adjoint(g, A, reps)", tangents={"A": "np.tile(t, reps)"},
        result=_tile_kind)
defrule(np.resize, "a, new_shape", a="_ad_resize_adjoint(g, a, new_shape)",
        tangents={"a": "np.resize(t, new_shape)"},
        result=lambda kinds, bound: array(_shape_rank(kinds, bound, "new_shape"), kinds.get("a", FLOAT).dtype or "f"),
        doc="cyclic repetition in C order (the adjoint sums each element's copies)")
defrule(np.repeat, "a, repeats, axis=None", a="_ad_repeat_adjoint(g, a, repeats, axis)",
        tangents={"a": "np.repeat(t, repeats, axis)"}, result=_flat_unless_axis("a"))
defrule(np.pad, "array, pad_width, mode='constant', constant_values=0",
        array="_ad_pad_adjoint(g, array, pad_width, mode)",
        tangents={"array": "np.pad(t, pad_width, mode=mode)"}, result=_rank(param="array"),
        doc="modes constant (the constant gets no adjoint), edge, reflect, symmetric, wrap")
for _f in (np.diag, RN.diag_copy):
    defrule(_f, "v, k=0", v="_ad_diag_adjoint(g, v, k)", tangents={"v": "np.diag(t, k)"},
            result=lambda kinds, bound: array(3 - (kinds.get("v").ndim or 2)
                                              if kinds.get("v") and kinds.get("v").ndim in (1, 2) else None))
defrule(np.diagflat, "v, k=0", v="np.reshape(np.diagonal(g, k), np.shape(v))", tangents={"v": "np.diagflat(t, k)"},
        result=lambda kinds, bound: array(2), doc="v flattened onto diagonal k")
# np.diagonal returns a read-only view: a write to its argument afterwards shows through it
defrule(np.diagonal, "a, offset=0, axis1=0, axis2=1", kind="view",
        a="_ad_diagonal_adjoint(g, a, offset, axis1, axis2)",
        tangents={"a": "np.diagonal(t, offset, axis1, axis2)"}, result=_rank(-1))
defrule(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None",
        a="_ad_trace_adjoint(g, a, offset, axis1, axis2)",
        tangents={"a": "np.trace(t, offset, axis1, axis2)"}, result=_trace_kind)
defrule(np.triu, "m, k=0", m="np.triu(g, k)", tangents={"m": "np.triu(t, k)"}, result=_rank(param="m"))
defrule(np.tril, "m, k=0", m="np.tril(g, k)", tangents={"m": "np.tril(t, k)"}, result=_rank(param="m"))
defrule(np.take, "a, indices, axis=None, out=None, mode='raise'", a="_ad_take_adjoint(g, a, indices, axis, mode)",
        tangents={"a": "np.take(t, indices, axis, mode=mode)"}, result=_take_kind,
        doc="repeated indices accumulate; mode='wrap' and 'clip' index as numpy's")
defrule(np.take_along_axis, "arr, indices, axis=-1", arr="_ad_take_along_axis_adjoint(g, arr, indices, axis)",
        tangents={"arr": "np.take_along_axis(t, indices, axis)"}, result=_rank(param="arr"),
        doc="repeated indices accumulate")
defrule(np.sort, "a, axis=-1, kind=None", a="_ad_sort_adjoint(g, a, axis)",
        tangents={"a": "_ad_sort_tangent(t, a, axis)"}, result=_flat_at_none(),
        doc="ties: equal values keep their order (stable sort), so each gets its own adjoint")
defrule(np.partition, "a, kth, axis=-1, kind='introselect', order=None", a="_ad_partition_adjoint(g, a, ans, axis)",
        tangents={"a": "_ad_partition_tangent(t, a, ans, axis)"}, result=_flat_at_none(),
        doc="each value's adjoint goes back to where it came from; ties as np.sort's")
defrule(np.append, "arr, values, axis=None", arr="_ad_concat_part(g, arr, values, axis, True)",
        values="_ad_concat_part(g, arr, values, axis, False)",
        tangents={"arr": "np.append(t, np.zeros(np.shape(values), np.result_type(t)), axis)",
                  "values": "np.append(np.zeros(np.shape(arr), np.result_type(t)), t, axis)"},
        result=lambda kinds, bound: _widened(_flat_at_none("arr", True)(kinds, bound), kinds.get("values")))
defrule(np.insert, "arr, obj, values, axis=None", arr="_ad_insert_part(g, arr, obj, values, axis, True)",
        values="_ad_insert_part(g, arr, obj, values, axis, False)",
        tangents={"arr": "np.insert(t, obj, np.zeros(np.shape(values), np.result_type(t)), axis)",
                  "values": "np.insert(np.zeros(np.shape(arr), np.result_type(t)), obj, t, axis)"},
        result=lambda kinds, bound: _widened(_flat_at_none("arr", True)(kinds, bound), kinds.get("values")),
        doc="every form of obj numpy takes; a value broadcast to several places gets their adjoints summed")


def _widened(k, other):
    """``k`` with the dtype numpy gives it joined with values of kind ``other``
    (``np.append([0], x * y)``: an int array and a float are a float array; the
    lists, concatenate and stack written as appends)."""
    if other is None or k.cls != "array":
        return k
    order = "bifc"
    mine, theirs = k.dtype or "f", _leaf_dtype(other)
    return array(k.ndim, max(mine, theirs, key=lambda d: order.index(d) if d in order else 2))


def _split_kind(kinds, bound):
    sec = bound.get("indices_or_sections")
    n = None
    if isinstance(sec, ast.Constant) and isinstance(sec.value, int):
        n = sec.value
    elif isinstance(sec, ast.Tuple):
        n = len(sec.elts) + 1
    k = kinds.get("ary", FLOAT)
    if n and k.cls == "array" and k.ndim is not None and k.ndim >= 1:
        # (indexed, a piece: an array of the argument's rank; a list, not an array: two subscripts stay two)
        return Kind("array", k.ndim + 1, k.dtype, seq="list")
    return NUM if n else Kind("other")   # see linalg._tuple_of


for _f in (np.split, np.array_split):
    # the pieces are views of ``ary``: writes through them write ``ary``
    defrule(_f, "ary, indices_or_sections, axis=0", kind="view", ary="_ad_split_adjoint(g, ary, axis)",
            tangents={"ary": f"np.{_f.__name__}(t, indices_or_sections, axis)"},
            result=_split_kind).tuple_result = True   # a list of pieces (vector mode runs each direction)
for _f, _axis in ((np.hsplit, "1 if np.ndim(ary) > 1 else 0"), (np.vsplit, "0"), (np.dsplit, "2")):
    defrule(_f, "ary, indices_or_sections", kind="view", ary=f"_ad_split_adjoint(g, ary, {_axis})",
            tangents={"ary": f"np.{_f.__name__}(t, indices_or_sections)"}, result=_split_kind,
            doc="np.split along axis 1 (axis 0 of a 1-D array), 0, 2").tuple_result = True
