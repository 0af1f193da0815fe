"""numba_dtypes: values of a narrow dtype made inside a function, refused under numba.

numba computes float32 (and float16, complex64) values in double precision where
they meet a Python float, and narrow or unsigned integers at 64 bits, where numpy
keeps their precision and wraps at their width: ``np.float32(x[i]) * 3.0``, a
local ``np.zeros(n, dtype=np.int32)``, ``x.astype("f4")`` would compute other
numbers, and take other branches, than the function. The arguments' dtypes are
refused before (``choice.py``, ``pipeline.py``); here the names of such dtypes in
the generated code are, at the user's line.
"""
from __future__ import annotations

import ast

import numpy as np

from ..analysis.order import heads, in_order
from ..codegen.emit import _MARK_RE
from ..errors import BackendError

_NAMES = ("float16", "float32", "complex64", "half", "single", "csingle", "int8", "int16", "int32", "uint8",
          "uint16", "uint32", "uint64", "byte", "ubyte", "short", "ushort", "intc", "uintc", "uint")


def _narrow(dtype) -> str | None:
    try:
        d = np.dtype(dtype)
    except (TypeError, ValueError):
        return None
    if d.kind == "f" and d.itemsize < 8 or d.kind == "c" and d.itemsize < 16:
        return "float"
    if d.kind == "u" or d.kind == "i" and d.itemsize < 8:
        return "int"
    return None


def _found(node):
    """``(what, the dtype's name)`` of a narrow dtype ``node`` names, else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np" \
            and node.attr in _NAMES:
        return _narrow(getattr(np, node.attr, None)), node.attr
    if isinstance(node, ast.Call):   # a dtype given as a string: dtype="float32", x.astype("i4"), np.dtype("f")
        given = [k.value for k in node.keywords if k.arg == "dtype"]
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("astype", "dtype") and node.args:
            given.append(node.args[0])
        for g in given:
            what = _narrow(g.value) if isinstance(g, ast.Constant) and isinstance(g.value, str) else None
            if what:
                return what, g.value
    return None


def refuse_narrow(fn, origins) -> None:
    """Raise at the first statement of ``fn`` that makes values of a narrow dtype."""
    where = None
    for s, _ in in_order(fn.body):
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Name) and _MARK_RE.match(s.value.id):
            where = int(_MARK_RE.match(s.value.id).group(2))
            continue
        found = next((f for part in heads(s) for node in ast.walk(part) for f in [_found(node)]
                      if f is not None and f[0]), None)
        if found is None:
            continue
        what, name = found
        file, line, text = origins[where] if where is not None else (None, None, None)
        why = (f"numba computes {name} values in double precision where they meet a Python float, where numpy "
               "keeps single precision" if what == "float" else
               f"numba computes {name} values at 64 bits, where numpy wraps at their width")
        raise BackendError(f"the numba backend cannot compile this: it makes {name} values ({why}; the values, and "
                           "the branches taken on them, could differ from the function's).", filename=file,
                           lineno=line, construct=text or ast.unparse(s)[:80],
                           hint="compute in float64 and int64 (cast at the end), or use backend='numpy' "
                                "(backend='auto' falls back by itself).")
