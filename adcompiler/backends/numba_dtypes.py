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
import functools
import inspect

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


@functools.cache
def _dtype_position(name: str) -> int | None:
    """The position of ``np.<name>``'s ``dtype`` parameter (``np.zeros(n, "u1")``), else None."""
    try:
        params = list(inspect.signature(getattr(np, name)).parameters)
    except (AttributeError, TypeError, ValueError):
        return None
    return params.index("dtype") if "dtype" in params else None


def _dtype_arguments(node: ast.Call) -> list:
    """The expressions a call gives as a dtype: ``dtype=``, a numpy function's dtype by position,
    the first argument of ``.astype``/``np.dtype``."""
    given = [k.value for k in node.keywords if k.arg == "dtype"]
    f = node.func
    if isinstance(f, ast.Attribute) and f.attr in ("astype", "dtype") and node.args:
        given.append(node.args[0])
    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "np":
        k = _dtype_position(f.attr)
        given += node.args[k:k + 1] if k is not None else []
    return given


def _found(node, namespace):
    """``(what, the dtype's name)`` of a narrow dtype ``node`` names, else None: ``np.float32``, a
    module-level name bound to one, or a dtype given as a string (``dtype="float32"``,
    ``np.zeros(n, "u1")``, ``x.astype("i4")``) or as a module-level name (``DT = "i2"``)."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np" \
            and node.attr in _NAMES:
        return _narrow(getattr(np, node.attr, None)), node.attr
    if isinstance(node, ast.Name) and isinstance(namespace.get(node.id), type) \
            and issubclass(namespace[node.id], np.generic):
        return _narrow(namespace[node.id]), namespace[node.id].__name__
    if isinstance(node, ast.Call):
        for g in _dtype_arguments(node):
            v = g.value if isinstance(g, ast.Constant) else namespace.get(g.id) if isinstance(g, ast.Name) else None
            what = _narrow(v) if isinstance(v, (str, np.dtype)) else None
            if what:
                return what, v if isinstance(v, str) else str(v)
    return None


def refuse_narrow(fn, origins, namespace=None) -> None:
    """Raise at the first statement of ``fn`` that makes values of a narrow dtype (``namespace``: the
    user's globals the code reads)."""
    where = None
    for s, _ in in_order(fn.body):
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Name) and _MARK_RE.match(s.value.id):
            where = int(_MARK_RE.match(s.value.id).group(2))
            continue
        found = next((f for part in heads(s) for node in ast.walk(part) for f in [_found(node, namespace or {})]
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


_SIZES = ("shape", "size", "ndim")


def narrow_index_uses(tree: ast.FunctionDef, name: str):
    """None where the narrow integer array parameter ``name`` of ``tree`` (a user's
    function) is only read element by element and each element (directly or through
    a local name bound to it) only indexes, bounds a ``range`` or is compared: then
    its values are the same at any width (numba's 64-bit arithmetic never meets
    them). Else the first node that uses it otherwise."""
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    carriers, elements = {name}, []
    changed = True
    while changed:
        changed, elements = False, []
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Name) and node.id in carriers):
                continue
            if isinstance(node.ctx, ast.Store):
                if node.id == name or not _element_binding(node, parents, carriers):
                    return node
                continue
            if node.id != name:
                elements.append(node)   # (a local name holding an element)
                continue
            up = parents.get(node)
            if isinstance(up, ast.Attribute) and up.attr in _SIZES or _is_len(up):
                continue
            if not (isinstance(up, ast.Subscript) and up.value is node and isinstance(up.ctx, ast.Load)
                    and not any(isinstance(s, ast.Slice) for s in ast.walk(up.slice))):
                return up if up is not None else node
            elements.append(up)
        for e in elements:
            target = _bound_to(e, parents)
            if target is not None and target.id not in carriers:
                carriers.add(target.id)
                changed = True
    for e in elements:
        if not _index_use(e, parents):
            return parents.get(e, e)
    return None


def _is_len(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _pairs(node) -> list:
    """``(target, value)`` of each name an assignment binds: ``j = v``, ``a, b = v, w``."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return []
    t, v = node.targets[0], node.value
    if isinstance(t, ast.Tuple) and isinstance(v, ast.Tuple) and len(t.elts) == len(v.elts):
        return list(zip(t.elts, v.elts))
    return [(t, v)]


def _assignment(node, parents: dict):
    """The assignment whose target or value ``node`` is (or an element of their tuples)."""
    up = parents.get(node)
    return parents.get(up) if isinstance(up, ast.Tuple) else up


def _bound_to(e, parents: dict):
    """The local name an element ``e`` is bound to (``j = idx[p]``, ``a, b = ptr[i], ptr[i + 1]``), else None."""
    return next((t for t, v in _pairs(_assignment(e, parents)) if v is e and isinstance(t, ast.Name)), None)


def _element_binding(target: ast.Name, parents: dict, carriers: set) -> bool:
    """Whether the store ``target`` binds an element of a carried array (``j = idx[p]``)."""
    v = next((v for t, v in _pairs(_assignment(target, parents)) if t is target), None)
    return isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id in carriers


def _index_use(e, parents: dict) -> bool:
    """Whether the element ``e`` indexes another array, bounds a ``range`` or is compared
    (or is bound to a local name, whose own uses are checked as the element's)."""
    up = parents.get(e)
    if isinstance(up, ast.Tuple) and isinstance(parents.get(up), ast.Subscript) and parents[up].slice is up:
        return True
    if isinstance(up, ast.Subscript) and up.slice is e or isinstance(up, ast.Slice):   # (an index, a slice's bound)
        return True
    if isinstance(up, ast.Call) and isinstance(up.func, ast.Name) and up.func.id == "range" and e in up.args:
        return True
    if isinstance(up, ast.Compare):
        return True
    return _bound_to(e, parents) is not None


def refuse_narrow_arguments(func, kinds: tuple, dtypes: str) -> None:
    """Refuse under numba the arguments of an integer dtype narrower than 64 bits or
    unsigned (``dtypes``: one dtype char per argument, ``-`` for none): numba's
    arithmetic on their values is 64-bit where numpy's wraps at their width. A
    signed one that is an array of ``func`` only read for indices, ``range`` bounds
    and comparisons (``narrow_index_uses``: a sparse matrix's ``indices`` and
    ``indptr``, int32 in scipy) is taken: its values meet no arithmetic."""
    narrow = [k for k, c in enumerate(dtypes) if c.isalpha() and np.dtype(c).kind in "ui"
              and (np.dtype(c).itemsize < 8 or np.dtype(c).kind == "u")]
    if not narrow:
        return
    from ..frontend.parse import parameters, parse_function
    names = parameters(func)[0]
    parsed = parse_function(func)
    for k in narrow:
        c = np.dtype(dtypes[k])
        if c.kind == "i" and k < len(kinds) and kinds[k].is_array and k < len(names):
            where = narrow_index_uses(parsed.tree, names[k])
            if where is None:
                continue
            line = getattr(where, "lineno", None)
            raise BackendError(
                f"the numba backend takes the {c} array `{names[k]}` only where its elements index, bound a range "
                "or are compared: numba's arithmetic on them is 64-bit where numpy's wraps at 32 bits.",
                filename=parsed.filename, lineno=line,
                construct=ast.unparse(where)[:80],
                hint=f"pass `{names[k]}` as int64 ({names[k]}.astype(np.int64)), or use backend='numpy' "
                     "(backend='auto' falls back by itself).")
        raise BackendError("the numba backend does not take integers narrower than 64 bits or unsigned "
                           "(arrays or numpy scalars): numba's arithmetic on them is 64-bit where numpy's "
                           "wraps at their width.",
                           hint="use backend='numpy' (backend='auto' falls back by itself), or pass them as "
                                "int64 (a.astype(np.int64)).")


def index_only(func, names) -> set:
    """The parameters among ``names`` that ``narrow_index_uses`` takes as index arrays."""
    from ..frontend.parse import parse_function
    tree = parse_function(func).tree
    return {n for n in names if narrow_index_uses(tree, n) is None}
