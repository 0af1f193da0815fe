"""grids: ``np.meshgrid`` as the reshapes and broadcasts it is.

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
from .stacking import only_keywords


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
