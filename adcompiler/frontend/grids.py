"""grids: ``np.meshgrid`` as the reshapes and broadcasts it is; ``np.r_[...]``,
``np.c_[...]`` and ``np.dstack`` as the joins they are; ``np.linalg.multi_dot``
as the chain of products it is.

``X, Y = np.meshgrid(x, y)`` (``indexing="xy"``: ``X[i, j] = x[j]``,
``Y[i, j] = y[i]``; ``"ij"``: ``X[i, j] = x[i]``) becomes, for each argument,
its ravel reshaped to lie along its own axis, then broadcast to the grid's
shape as a new array (``copy=False``: numpy's read-only broadcast view;
``sparse=True``: the reshaped array alone). The tuple of the results is the
call's value.
"""
from __future__ import annotations

import ast

import numpy as np

from ..runtime import numpy as _rnumpy
from .stacking import arg, as_column, join_parts, only_keywords


def meshgrid(nz, call, kw):
    only_keywords(nz, call, kw, ("indexing", "sparse", "copy"))
    flags = {name: kw.get(name, ast.Constant(default))
             for name, default in (("indexing", "xy"), ("sparse", False), ("copy", True))}
    if not call.args or any(isinstance(a, ast.Starred) for a in call.args) or not all(
            isinstance(v, ast.Constant) for v in flags.values()) or flags["indexing"].value not in ("xy", "ij"):
        nz.err(call, "this call of np.meshgrid is not supported.",
               "pass the arrays by position and indexing=, sparse=, copy= as constants.")
    indexing, sparse, copies = (flags[k].value for k in ("indexing", "sparse", "copy"))
    n = len(call.args)
    flat = [nz.temp(nz.make_call(np.ravel, [nz.atom(a)], [], call)) for a in call.args]
    # the axis of each argument: its position, the first two swapped for "xy"
    axis = list(range(n))
    if indexing == "xy" and n > 1:
        axis[0], axis[1] = 1, 0
    order = sorted(range(n), key=lambda k: axis[k])
    shape = ast.Tuple([nz.atom(ast.Call(ast.Name("len", ast.Load()), [ast.Name(flat[k].id, ast.Load())], []))
                       for k in order], ast.Load())
    out = []
    for k in range(n):
        lay = ast.Tuple([ast.Constant(-1 if j == axis[k] else 1) for j in range(n)], ast.Load())
        v = nz.temp(nz.make_call(np.reshape, [ast.Name(flat[k].id, ast.Load()), lay], [], call))
        if not sparse:
            how = _rnumpy.broadcast_copy if copies else np.broadcast_to
            v = nz.temp(nz.make_call(how, [v, ast.Tuple(list(shape.elts), ast.Load())], [], call))
        elif copies:
            v = nz.temp(nz.make_call(np.copy, [v], [], call))
        out.append(ast.Name(v.id, ast.Load()))
    return ast.Tuple(out, ast.Load())


def dstack(nz, call, kw):
    """``np.dstack((a, b))``: each part at least 3-d, joined along axis 2."""
    only_keywords(nz, call, kw, ("tup",))
    seq = arg(call, kw, 0, "tup")
    if not isinstance(seq, (ast.Tuple, ast.List)) or not seq.elts:
        nz.err(call, "`np.dstack` needs a literal tuple or list of arrays.", "write the arrays out: np.dstack((a, b)).")
    return join_parts(nz, call, [nz.temp(nz.make_call(np.atleast_3d, [nz.atom(e)], [], call)) for e in seq.elts],
                      ast.Constant(2))


def index_join(nz, e, which):
    """``np.r_[a, 0.0, 1:4]`` (``which`` "r_"): the parts at least 1-d (a slice as
    ``np.arange``, one with a complex step ``k*1j`` as ``np.linspace`` of ``k``
    points) joined along axis 0; ``np.c_[a, b]``: the parts as columns
    (a 1-d part made a column), joined along the last axis (for 2-d parts
    ``np.column_stack``'s join; 3-d parts join along axis 2, as numpy joins them)."""
    parts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
    out = []
    for p in parts:
        if isinstance(p, ast.Constant) and isinstance(p.value, str):
            nz.err(e, f"`np.{which}` with a directive string ({p.value!r}) is not supported.",
                   "join with np.concatenate, np.stack or np.column_stack.")
        if isinstance(p, ast.Slice) and which == "r_":
            out.append(nz.temp(_slice_range(nz, e, p)))
            continue
        if isinstance(p, (ast.Slice, ast.Starred)):
            nz.err(e, f"`np.{which}` with `{ast.unparse(p)}` is not supported.",
                   "join arrays and numbers only: np.column_stack((a, b)).")
        v = nz.atom(p)
        out.append(nz.temp(nz.make_call(np.atleast_1d, [v], [], e)) if which == "r_" else as_column(nz, e, v))
    return join_parts(nz, e, out, ast.Constant(0 if which == "r_" else -1))   # (np.c_ joins along the last axis)


def _slice_range(nz, e, s):
    """``start:stop:step`` of ``np.r_``: ``np.arange``, or ``np.linspace(start, stop,
    k)`` for a constant imaginary step ``k*1j`` (the stop included, as numpy has it)."""
    start = nz.atom(s.lower) if s.lower is not None else ast.Constant(0)
    if s.upper is None:
        nz.err(e, "`np.r_` with a slice without its stop is not supported.", "write the stop: np.r_[0:n].")
    stop = nz.atom(s.upper)
    step = s.step
    signed = step.operand if isinstance(step, ast.UnaryOp) and isinstance(step.op, (ast.USub, ast.UAdd)) else step
    if isinstance(signed, ast.Constant) and isinstance(signed.value, complex):   # (numpy takes -5j as 5 points)
        num = ast.Constant(int(abs(signed.value)))
        return nz.make_call(np.linspace, [start, stop, num], [], e)
    number = step.operand if isinstance(step, ast.UnaryOp) and isinstance(step.op, (ast.USub, ast.UAdd)) else step
    if step is not None and not (isinstance(number, ast.Constant) and isinstance(number.value, (int, float))
                                 or isinstance(step, ast.Name)):
        nz.err(e, f"`np.r_` with the step `{ast.unparse(step)}` is not supported.",
               "write np.arange(start, stop, step) or np.linspace(start, stop, num).")
    return nz.make_call(np.arange, [start, stop] + ([nz.atom(step)] if step is not None else []), [], e)


def multi_dot(nz, call, kw):
    """``np.linalg.multi_dot([A, B, C])``: ``A @ B @ C`` (a 1-d first or last
    operand a row or column vector, as ``@`` takes it; numpy picks the cheapest
    order, which changes the result by rounding only)."""
    only_keywords(nz, call, kw, ("arrays",))
    seq = arg(call, kw, 0, "arrays")
    if not isinstance(seq, (ast.Tuple, ast.List)) or len(seq.elts) < 2:
        nz.err(call, "`np.linalg.multi_dot` needs a literal list of two or more arrays.",
               "write the arrays out: np.linalg.multi_dot([A, B, C]), or A @ B @ C.")
    parts = [nz.atom(e) for e in seq.elts]
    acc = parts[0]
    for k, p in enumerate(parts[1:]):
        c = nz.make_call(np.matmul, [acc, p], [], call)
        acc = c if k == len(parts) - 2 else nz.temp(c)
    return acc
