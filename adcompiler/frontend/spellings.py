"""spellings: numpy 2's array-API functions as the calls they equal.

``np.cumulative_sum``, ``np.cumulative_prod``, ``np.linalg.vector_norm``,
``np.linalg.matrix_norm``, ``np.vecdot`` (and ``np.linalg.vecdot``),
``np.matrix_transpose`` (and ``np.linalg.``), ``np.linalg.trace``,
``np.linalg.diagonal``, ``np.astype`` and ``np.ediff1d`` are rewritten into the
functions with rules they are defined by (``np.cumsum``, ``np.linalg.norm``,
``np.sum`` of a product, ``np.swapaxes``...), so each mode and backend
differentiates them as it differentiates those. A keyword the rewrite would
drop, or an axis it could not read as numpy does, is refused at the call.
``max``/``min`` with ``initial=`` (no ``where=``) are the reduction joined with
the initial value. ``np.polyfit(x, y, deg)`` is the least-squares solve numpy runs
(``lstsq`` of the column-scaled ``np.vander``), ``np.linspace(..., retstep=True)`` the
samples and the step.
"""
from __future__ import annotations

import ast

import numpy as np

from ..codegen.naming import TEMP
from ..runtime import ranges as _ranges
from .stacking import arg, join_parts, only_keywords


def _constant(node):
    """The constant an AST node spells (``-1``, ``(0,)``), or ``MISSING``."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _MISSING


_MISSING = object()


def _int_axis(nz, call, node, name="axis"):
    """A constant integer axis (a 1-tuple is its one axis), or refused: a runtime
    value might be a tuple, which the rewrite would read otherwise than numpy."""
    v = _constant(node)
    if isinstance(v, tuple) and len(v) == 1:
        v = v[0]
    if isinstance(v, bool) or not isinstance(v, int):
        nz.err(call, f"`{ast.unparse(call.func)}` with {name}={ast.unparse(node)} is not supported.",
               f"pass {name}= as a constant integer (reshape first to reduce over several axes).")
    return ast.Constant(v)


def _flag(nz, call, kw, name):
    v = kw.get(name, ast.Constant(False))
    if not (isinstance(v, ast.Constant) and isinstance(v.value, bool)):
        nz.err(call, f"`{ast.unparse(call.func)}` with {name}={ast.unparse(v)} is not supported.",
               f"pass {name}=True or {name}=False as a constant.")
    return v.value


def cumulative(total, unit):
    """``np.cumulative_sum(x, axis=k)`` is ``np.cumsum(x, axis=k)``; with
    ``include_initial=True`` the running total of ``x`` after ``unit`` (0 or
    1) along the axis. ``axis`` may be left out for a 1-d ``x`` only (numpy)."""
    def handle(nz, call, kw):
        only = ("x", "axis", "include_initial")
        only_keywords(nz, call, kw, only, "cast with .astype first, and store the result with an assignment.")
        x = nz.atom(arg(call, kw, 0, "x"))
        axis = kw.get("axis")
        axis = ast.Constant(0) if axis is None or _constant(axis) is None else _int_axis(nz, call, axis)
        if _flag(nz, call, kw, "include_initial"):
            whole = nz.temp(nz.make_call(np.sum, [x], [ast.keyword("axis", axis),
                                                       ast.keyword("keepdims", ast.Constant(True))], call))
            first = nz.temp(nz.make_call(np.zeros_like if unit == 0 else np.ones_like, [whole], [], call))
            x = nz.temp(join_parts(nz, call, [first, x], axis))
        return nz.make_call(total, [x], [ast.keyword("axis", axis)], call)
    return handle


def vector_norm(nz, call, kw):
    """``np.linalg.vector_norm``: ``np.linalg.norm`` of the flattened array
    (no axis), or along one constant axis (a vector norm there too)."""
    only_keywords(nz, call, kw, ("x", "axis", "keepdims", "ord"), "pass axis=, keepdims= and ord= only.")
    x = nz.atom(arg(call, kw, 0, "x"))
    order = nz.arg_atom(kw.get("ord", ast.Constant(2)))
    axis = kw.get("axis")
    if axis is None or _constant(axis) is None:
        if _flag(nz, call, kw, "keepdims"):
            nz.err(call, "`np.linalg.vector_norm` with keepdims=True and no axis is not supported.",
                   "reshape the norm, or pass the axis.")
        flat = nz.temp(nz.make_call(np.ravel, [x], [], call))
        return nz.make_call(np.linalg.norm, [flat], [ast.keyword("ord", order)], call)
    keep = ast.Constant(_flag(nz, call, kw, "keepdims"))
    return nz.make_call(np.linalg.norm, [x], [ast.keyword("ord", order), ast.keyword("axis", _int_axis(nz, call, axis)),
                                             ast.keyword("keepdims", keep)], call)


def matrix_norm(nz, call, kw):
    """``np.linalg.matrix_norm``: ``np.linalg.norm`` over the last two axes."""
    only_keywords(nz, call, kw, ("x", "keepdims", "ord"), "pass keepdims= and ord= only.")
    x = nz.atom(arg(call, kw, 0, "x"))
    order = nz.arg_atom(kw.get("ord", ast.Constant("fro")))
    axes = ast.Tuple([ast.Constant(-2), ast.Constant(-1)], ast.Load())
    return nz.make_call(np.linalg.norm, [x], [ast.keyword("ord", order), ast.keyword("axis", axes),
                                             ast.keyword("keepdims", ast.Constant(_flag(nz, call, kw, "keepdims")))],
                        call)


def vecdot(nz, call, kw):
    """``np.vecdot(a, b, axis=k)``: ``np.sum(np.conj(a) * b, axis=-1)`` with each operand's axis
    ``k`` moved last first (numpy's ``axis`` names the contracted axis of each operand, whatever
    their ranks; the other axes broadcast)."""
    only_keywords(nz, call, kw, ("x1", "x2", "axis"), "pass axis= only.")
    a, b = nz.atom(arg(call, kw, 0, "x1")), nz.atom(arg(call, kw, 1, "x2"))
    axis = _int_axis(nz, call, kw["axis"]) if "axis" in kw else ast.Constant(-1)
    if axis.value != -1:
        a, b = (nz.temp(nz.make_call(np.moveaxis, [v, axis, ast.Constant(-1)], [], call)) for v in (a, b))
    conj = nz.temp(nz.make_call(np.conj, [a], [], call))
    product = nz.temp(ast.BinOp(conj, ast.Mult(), b))
    return nz.make_call(np.sum, [product], [ast.keyword("axis", ast.Constant(-1))], call)


def matrix_transpose(nz, call, kw):
    only_keywords(nz, call, kw, ("x",), "pass the array only.")
    x = nz.atom(arg(call, kw, 0, "x"))
    return nz.make_call(np.swapaxes, [x, ast.Constant(-1), ast.Constant(-2)], [], call)


def last_two(func):
    """``np.linalg.trace``/``diagonal``: numpy's ``trace``/``diagonal`` over the last two axes."""
    def handle(nz, call, kw):
        only_keywords(nz, call, kw, ("x", "offset"), "pass offset= only (cast with .astype after).")
        x = nz.atom(arg(call, kw, 0, "x"))
        offset = nz.arg_atom(kw.get("offset", ast.Constant(0)))
        return nz.make_call(func, [x], [ast.keyword("offset", offset), ast.keyword("axis1", ast.Constant(-2)),
                                        ast.keyword("axis2", ast.Constant(-1))], call)
    return handle


def astype(nz, call, kw):
    """``np.astype(x, dtype, copy=c)``: the method ``x.astype(dtype, copy=c)``."""
    only_keywords(nz, call, kw, ("x", "dtype", "copy"), "pass the dtype and copy= only.")
    x, dtype = arg(call, kw, 0, "x"), arg(call, kw, 1, "dtype")
    if x is None or dtype is None:
        nz.err(call, "`np.astype` needs the array and the dtype.", "pass both: np.astype(x, np.float64).")
    keywords = [ast.keyword("copy", kw["copy"])] if "copy" in kw else []
    method = ast.Attribute(nz.atom(x), "astype", ast.Load())
    return nz.call(ast.copy_location(ast.Call(method, [dtype], keywords), call))


def ediff1d(nz, call, kw):
    """``np.ediff1d(a, to_end, to_begin)``: the differences of the flattened
    ``a`` with the flattened ends joined before and after."""
    only_keywords(nz, call, kw, ("ary", "to_end", "to_begin"))
    a = nz.atom(arg(call, kw, 0, "ary"))
    flat = nz.temp(nz.make_call(np.ravel, [a], [], call))
    parts = [nz.temp(nz.make_call(np.diff, [flat], [], call))]
    for name in ("to_begin", "to_end"):
        end = kw.get(name)
        if end is None or (isinstance(end, ast.Constant) and end.value is None):
            continue
        piece = nz.temp(nz.make_call(np.ravel, [nz.atom(end)], [], call))
        parts.insert(0 if name == "to_begin" else len(parts), piece)
    return join_parts(nz, call, parts, ast.Constant(0))


_JOINED = {np.max: np.maximum, np.amax: np.maximum, np.min: np.minimum, np.amin: np.minimum}


def with_initial(nz, call, func, kw):
    """``np.max(a, axis, initial=v)`` (no ``where=``): without an axis, the
    maximum of the flattened ``a`` with ``v`` appended (numpy's value for an
    empty ``a`` too); along an axis, ``np.maximum`` of the reduction and ``v``;
    either cast to ``a``'s dtype, as numpy casts ``v`` (an int array's maximum is an int)."""
    kw = dict(kw)
    initial = nz.atom(kw.pop("initial"))
    only_keywords(nz, call, kw, ("a", "axis", "out", "keepdims"), "pass axis= and keepdims= only.")
    if len(call.args) > 4 or not _constant(arg(call, kw, 2, "out", ast.Constant(None))) is None:
        nz.err(call, f"`{ast.unparse(call.func)}` with initial= and out= is not supported.",
               "store the result with an assignment.")
    a = nz.atom(arg(call, kw, 0, "a"))
    axis, keep = arg(call, kw, 1, "axis", ast.Constant(None)), arg(call, kw, 3, "keepdims", ast.Constant(False))
    if _constant(axis) is None and _constant(keep) is False:
        joined = nz.temp(nz.make_call(np.append, [a, initial], [], call))
        value = nz.temp(nz.make_call(func, [joined], [], call))
    else:
        reduced = nz.temp(nz.make_call(func, [a], [ast.keyword("axis", nz.arg_atom(axis)),
                                                   ast.keyword("keepdims", nz.arg_atom(keep))], call))
        value = nz.temp(nz.make_call(_JOINED[func], [reduced, initial], [], call))
    if not isinstance(a, ast.Name) or nz.namer.made(a.id, TEMP):   # (an expression's dtype: not read here)
        return value
    dtype = ast.Attribute(ast.Name(a.id, ast.Load()), "dtype", ast.Load())
    return nz.make_call(np.asarray, [value], [ast.keyword("dtype", dtype)], call)


def polyfit(nz, call, kw):
    """``np.polyfit(x, y, deg)``: least squares on the Vandermonde matrix with its columns scaled
    to unit norm, as numpy solves it (``lstsq`` of the scaled matrix, the coefficients divided by
    the scales); ``rcond``, ``full``, ``w`` and ``cov`` are refused."""
    only_keywords(nz, call, kw, ("x", "y", "deg"), "pass x, y and deg only (weights: scale the rows of "
                                                   "np.vander(x, deg + 1) and y, then np.linalg.lstsq).")
    if len(call.args) > 3:
        nz.err(call, "`np.polyfit` with more than x, y and deg is not supported.", "pass x, y and deg only.")
    x, y, deg = (nz.arg_atom(arg(call, kw, k, n)) for k, n in enumerate(("x", "y", "deg")))
    cols = nz.temp(ast.BinOp(deg, ast.Add(), ast.Constant(1)))
    lhs = nz.temp(nz.make_call(np.vander, [x, cols], [], call))
    squares = nz.temp(ast.BinOp(lhs, ast.Mult(), lhs))
    scale = nz.temp(nz.make_call(np.sqrt, [nz.temp(nz.make_call(np.sum, [squares], [ast.keyword("axis", ast.Constant(0))],
                                                                    call))], [], call))
    scaled = nz.temp(ast.BinOp(lhs, ast.Div(), scale))
    solved = nz.temp(nz.make_call(np.linalg.lstsq, [scaled, y], [ast.keyword("rcond", ast.Constant(None))], call))
    c = nz.temp(ast.Subscript(solved, ast.Constant(0), ast.Load()))
    ct = nz.temp(nz.make_call(np.transpose, [c], [], call))
    return nz.make_call(np.transpose, [nz.temp(ast.BinOp(ct, ast.Div(), scale))], [], call)


INITIAL = frozenset(_JOINED)
_LINSPACE = ("start", "stop", "num", "endpoint", "retstep", "dtype", "axis")


def linspace_with_step(nz, call, kw):
    """``np.linspace(start, stop, num, endpoint, retstep=True)``: the tuple of the samples and the
    step, ``(stop - start)`` times ``1 / (num - 1)`` (``1 / num`` without the endpoint; NaN for
    one sample with it, as numpy's); ``retstep=False``: the samples alone."""
    only_keywords(nz, call, kw, _LINSPACE, "pass start, stop, num, endpoint, retstep, dtype and axis only.")
    vals = {n: arg(call, kw, k, n) for k, n in enumerate(_LINSPACE)}
    step = _constant(vals["retstep"])
    if not isinstance(step, bool):
        nz.err(call, f"`np.linspace` with retstep={ast.unparse(vals['retstep'])} is not supported.",
               "pass retstep=True or retstep=False.")
    start, stop = nz.arg_atom(vals["start"]), nz.arg_atom(vals["stop"])
    keywords = [ast.keyword(n, nz.arg_atom(v)) for n, v in vals.items()
                if v is not None and n not in ("start", "stop", "retstep")]
    samples = nz.make_call(np.linspace, [start, stop], keywords, call)
    if not step:
        return samples
    samples = nz.temp(samples)
    parts = [vals["num"] or ast.Constant(50), vals["endpoint"] or ast.Constant(True)]
    factor = nz.temp(nz.make_call(_ranges.linspace_step_factor, [nz.arg_atom(p) for p in parts], [], call))
    delta = nz.temp(ast.BinOp(stop, ast.Sub(), start))
    return ast.Tuple([samples, nz.temp(ast.BinOp(delta, ast.Mult(), factor))], ast.Load())
HANDLERS = {
    f: h for f, h in (
        (getattr(np, "cumulative_sum", None), cumulative(np.cumsum, 0)),
        (getattr(np, "cumulative_prod", None), cumulative(np.cumprod, 1)),
        (getattr(np.linalg, "vector_norm", None), vector_norm),
        (getattr(np.linalg, "matrix_norm", None), matrix_norm),
        (getattr(np, "vecdot", None), vecdot), (getattr(np.linalg, "vecdot", None), vecdot),
        (getattr(np, "matrix_transpose", None), matrix_transpose),
        (getattr(np.linalg, "matrix_transpose", None), matrix_transpose),
        (getattr(np.linalg, "trace", None), last_two(np.trace)),
        (getattr(np.linalg, "diagonal", None), last_two(np.diagonal)),
        (getattr(np, "astype", None), astype), (np.ediff1d, ediff1d), (np.polyfit, polyfit),
    ) if f is not None
}
