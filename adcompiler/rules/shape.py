"""Copies, views and rearrangements: reshape, transpose, flips, tiling,
padding, diagonals, triangles, take, sort. Each is linear in its array
argument; the tangent applies the same function to the tangent ``t``."""
import numpy as np

from ..analysis.kinds import FLOAT, Kind, array
from .registry import defrule

NUM = Kind("num", None, "f")


def _rank(delta=0, param="a", fixed=None):
    def result(kinds, bound):
        k = kinds.get(param, FLOAT)
        if fixed is not None:
            return array(fixed, k.dtype or "f")
        if k.cls != "array" or k.ndim is None:
            return array(None, k.dtype or "f") if k.cls == "array" else NUM
        return array(max(k.ndim + delta, 0), k.dtype or "f")
    return result


def _trace_kind(kinds, bound):
    k = kinds.get("a", FLOAT)
    if k.cls == "array" and k.ndim == 2:
        return FLOAT
    return array(k.ndim - 2 if k.ndim else None, "f")


def _copy_kind(kinds, bound):
    k = kinds.get("a", FLOAT)
    return k if k.cls == "array" else (array(None) if k.cls == "tuple" else k)


def _same(name, extra=""):
    return {name: f"np.{name}(t{extra})"}


RESHAPE = "shape" if "shape" in np.reshape.__doc__.split(")")[0] else "newshape"

defrule(np.copy, "a", a="g", tangents={"a": "np.copy(t)"}, result=_copy_kind)
defrule(np.transpose, "a, axes=None", kind="view", a="np.transpose(g, _ad_inverse_axes(axes))",
        tangents={"a": "np.transpose(t, axes)"}, result=_rank())
defrule(np.reshape, f"a, {RESHAPE}=None", kind="view", a="np.reshape(g, _ad_shape(a))",
        tangents={"a": "np.reshape(t, np.shape(ans))"})
defrule(np.ravel, "a", kind="view", a="np.reshape(g, _ad_shape(a))", tangents={"a": "np.ravel(t)"},
        result=_rank(fixed=1))
defrule(np.asarray, "a, dtype=None", kind="view", a="g", tangents={"a": "np.asarray(t)"}, result=_copy_kind)
defrule(np.array, "object, dtype=None", name="numpy.array", object="g", tangents={"object": "np.array(t)"},
        result=lambda kinds, bound: _copy_kind({"a": kinds.get("object", FLOAT)}, bound))
defrule(np.swapaxes, "a, axis1, axis2", kind="view", a="np.swapaxes(g, axis1, axis2)",
        tangents={"a": "np.swapaxes(t, axis1, axis2)"}, result=_rank())
defrule(np.moveaxis, "a, source, destination", kind="view", a="np.moveaxis(g, destination, source)",
        tangents={"a": "np.moveaxis(t, source, destination)"}, result=_rank())
defrule(np.expand_dims, "a, axis", kind="view", a="np.reshape(g, _ad_shape(a))",
        tangents={"a": "np.expand_dims(t, axis)"})
defrule(np.squeeze, "a, axis=None", kind="view", a="np.reshape(g, _ad_shape(a))",
        tangents={"a": "np.squeeze(t, axis)"})
defrule(np.broadcast_to, "array, shape", array="_ad_unbroadcast(g, array)",
        tangents={"array": "np.broadcast_to(t, shape)"})
for _k, _f in enumerate((np.atleast_1d, np.atleast_2d, np.atleast_3d)):
    defrule(_f, "a", kind="view", a="np.reshape(g, _ad_shape(a))", tangents={"a": f"np.{_f.__name__}(t)"})
defrule(np.flip, "m, axis=None", kind="view", m="np.flip(g, axis)", tangents={"m": "np.flip(t, axis)"})
defrule(np.fliplr, "m", kind="view", m="np.fliplr(g)", tangents={"m": "np.fliplr(t)"})
defrule(np.flipud, "m", kind="view", m="np.flipud(g)", tangents={"m": "np.flipud(t)"})
defrule(np.real, "val", kind="view", val="g", tangents={"val": "np.real(t)"},
        doc="a view of a real array: writes through it write the array")
defrule(np.rot90, "m, k=1, axes=None", kind="view", m="_ad_rot90_adjoint(g, k, axes)",
        tangents={"m": "np.rot90(t, k, _ad_default(axes, (0, 1)))"})
defrule(np.roll, "a, shift, axis=None", a="_ad_roll_adjoint(g, shift, axis)",
        tangents={"a": "np.roll(t, shift, axis)"})
defrule(np.tile, "A, reps", A="_ad_tile_adjoint(g, A, reps)", tangents={"A": "np.tile(t, reps)"})
defrule(np.repeat, "a, repeats, axis=None", a="_ad_repeat_adjoint(g, a, repeats, axis)",
        tangents={"a": "np.repeat(t, repeats, axis)"})
defrule(np.pad, "array, pad_width, mode='constant', constant_values=0",
        array="_ad_pad_adjoint(g, array, pad_width, mode)",
        tangents={"array": "np.pad(t, pad_width, mode=mode)"},
        doc="modes constant (the constant gets no adjoint), edge, reflect, symmetric, wrap")
defrule(np.diag, "v, k=0", v="_ad_diag_adjoint(g, v, k)", tangents={"v": "np.diag(t, k)"},
        result=lambda kinds, bound: array(3 - (kinds.get("v").ndim or 2)
                                          if kinds.get("v") and kinds.get("v").ndim in (1, 2) else None))
defrule(np.diagonal, "a, offset=0, axis1=0, axis2=1", a="_ad_diagonal_adjoint(g, a, offset, axis1, axis2)",
        tangents={"a": "np.diagonal(t, offset, axis1, axis2)"}, result=_rank(-1))
defrule(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None",
        a="_ad_trace_adjoint(g, a, offset, axis1, axis2)",
        tangents={"a": "np.trace(t, offset, axis1, axis2)"}, result=_trace_kind)
defrule(np.triu, "m, k=0", m="np.triu(g, k)", tangents={"m": "np.triu(t, k)"}, result=_rank(param="m"))
defrule(np.tril, "m, k=0", m="np.tril(g, k)", tangents={"m": "np.tril(t, k)"}, result=_rank(param="m"))
defrule(np.take, "a, indices, axis=None, out=None, mode='raise'", a="_ad_take_adjoint(g, a, indices, axis)",
        tangents={"a": "np.take(t, indices, axis)"}, doc="repeated indices accumulate")
defrule(np.take_along_axis, "arr, indices, axis=-1", arr="_ad_take_along_axis_adjoint(g, arr, indices, axis)",
        tangents={"arr": "np.take_along_axis(t, indices, axis)"}, result=_rank(param="arr"),
        doc="repeated indices accumulate")
defrule(np.sort, "a, axis=-1, kind=None", a="_ad_sort_adjoint(g, a, axis)",
        tangents={"a": "_ad_sort_tangent(t, a, axis)"}, result=_rank(),
        doc="ties: equal values keep their order (stable sort), so each gets its own adjoint")
defrule(np.append, "arr, values, axis=None", arr="_ad_concat_part(g, arr, values, axis, True)",
        values="_ad_concat_part(g, arr, values, axis, False)",
        tangents={"arr": "np.append(t, np.zeros(np.shape(values), np.result_type(t)), axis)",
                  "values": "np.append(np.zeros(np.shape(arr), np.result_type(t)), t, axis)"},
        result=_rank(param="arr"))


def _split_kind(kinds, bound):
    import ast
    kinds.get("ary", FLOAT)
    sec = bound.get("indices_or_sections")
    n = None
    if isinstance(sec, ast.Constant) and isinstance(sec.value, int):
        n = sec.value
    elif isinstance(sec, ast.Tuple):
        n = len(sec.elts) + 1
    return NUM if n else Kind("other")   # see linalg._tuple_of


for _f in (np.split, np.array_split):
    # the pieces are views of ``ary``: writes through them write ``ary``
    defrule(_f, "ary, indices_or_sections, axis=0", kind="view", ary="_ad_split_adjoint(g, ary, axis)",
            tangents={"ary": f"np.{_f.__name__}(t, indices_or_sections, axis)"}, result=_split_kind)
