"""Result kinds of the functions without a derivative (rounding, predicates,
comparisons, the index-producing functions), by their names."""
from __future__ import annotations

import ast

from .kinds import BOOL, FLOAT, INT, OTHER, Kind, array, axes_count, broadcast


def nondiff_result(name, e, arg_kinds, kind_of=lambda node: None) -> Kind:
    """The result kind of a function without a derivative, by its (qualified) name
    (``kind_of``: the kind of a name among its arguments)."""
    numpy_function = name.startswith("numpy.")   # (np.round(2.7) is a float, round(2.7) an int)
    name = name.split(".")[-1]
    name = {"nanargmax": "argmax", "nanargmin": "argmin", "around": "round"}.get(name, name)
    if name == "round" and (numpy_function or len(e.args) > 1 or e.keywords
                            or any(k.cls != "float" for k in arg_kinds[:1])):
        # round(x, n) keeps x's kind; np.round(a) is an array of a's dtype; only round(x) is an int
        return broadcast(*arg_kinds[:1]) if arg_kinds else OTHER
    if name in ("argmax", "argmin", "argsort", "argpartition", "argwhere", "flatnonzero", "count_nonzero",
                "searchsorted", "digitize", "int64", "any", "all"):
        return index_result(name, e, arg_kinds, kind_of)
    if name in ("len", "int", "round") and not e.keywords:
        return INT
    if name in ("range",):
        return OTHER
    if name in ("bool", "isinstance", "isnan", "isinf", "isfinite", "isclose", "isneginf", "isposinf"):
        return broadcast(*arg_kinds) if name.startswith("is") and any(k.is_array for k in arg_kinds) else BOOL
    if name == "isin":   # the shape of its first argument
        k = arg_kinds[0] if arg_kinds else OTHER
        return array(k.ndim, "b") if k.cls == "array" else BOOL
    if name in ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
                "logical_and", "logical_or", "logical_not"):
        k = broadcast(*arg_kinds)
        return array(k.ndim, "b") if k.cls == "array" else BOOL
    if name in ("float64", "float32"):
        return broadcast(*arg_kinds) if any(k.is_array for k in arg_kinds) else FLOAT
    return broadcast(*arg_kinds[:1]) if arg_kinds else OTHER


def index_result(name, e, arg_kinds, kind_of=lambda node: None) -> Kind:
    """The kinds of the index-producing functions (integer arrays, or an int
    where numpy returns one) and of ``np.any``/``np.all``. An ``axis``/``keepdims``
    given through a name is read from its kind (``kind_of``), or the rank is unknown."""
    def arg(pos, kw):
        if len(e.args) > pos:
            return e.args[pos]
        return next((k.value for k in e.keywords if k.arg == kw), None)

    def axes(node):
        return axes_count(node, kind_of(node) if isinstance(node, ast.Name) else None)

    a = arg_kinds[0] if arg_kinds else OTHER
    rank = a.ndim if a.cls == "array" else 0 if a.cls in ("int", "float", "bool") else None
    dt = "b" if name in ("any", "all") else "i"
    scalar = BOOL if dt == "b" else INT
    if name in ("argmax", "argmin", "count_nonzero", "any", "all"):
        axis, keep = arg(1, "axis"), arg(3 if name in ("argmax", "argmin", "any", "all") else 2, "keepdims")
        keep = False if keep is None else bool(keep.value) if isinstance(keep, ast.Constant) else None
        n = axes(axis)
        if n == "all":
            return array(rank, dt) if keep else scalar if keep is False else Kind("num", None, dt)
        if n is None:
            return Kind("num", None, dt)
        if keep or rank is None or keep is None:
            return array(rank if keep else None, dt)
        return array(rank - n, dt) if rank - n > 0 else scalar
    if name in ("argsort", "argpartition"):
        axis = arg(1 if name == "argsort" else 2, "axis")
        n = 1 if axis is None else axes(axis)   # (not given: the last axis; None: the flattened array's order)
        return array(1 if n == "all" else rank if n is not None else None, "i")
    if name == "argwhere":
        return array(2, "i")
    if name == "flatnonzero":
        return array(1, "i")
    if name in ("searchsorted",):
        v = arg_kinds[1] if len(arg_kinds) > 1 else OTHER
        return INT if v.cls in ("int", "float", "bool") else array(v.ndim if v.cls == "array" else None, "i")
    # digitize(x, bins), np.int64(x): x's shape
    return INT if a.cls in ("int", "float", "bool") else array(rank, "i")


def refuse_mixed_dtype_stores(body, inference, pf) -> None:
    """Refuse a store into a name bound to an integer (or bool) array on one
    path and a float (or complex) one on another: the kinds are per name (a
    float array's), but numpy truncates what is stored into the integer one, so
    a derivative would pass where none is (``w = np.zeros(3, dtype=int)`` in one
    branch, ``w = np.zeros(3)`` in the other, then ``w[1] = x * 2.5``)."""
    import ast

    from ..errors import UnsupportedSyntaxError
    stmts = [n for n in ast.walk(ast.Module(body=list(body), type_ignores=[])) if isinstance(n, ast.stmt)]
    dtypes: dict = {}
    for s in stmts:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            k = inference.expr(s.value)
            if k is not None and k.cls == "array" and k.dtype in ("i", "b", "f", "c"):
                dtypes.setdefault(s.targets[0].id, set()).add("int" if k.dtype in "ib" else "float")
    mixed = {n for n, d in dtypes.items() if len(d) > 1}
    for s in stmts:
        target = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else \
            s.target if isinstance(s, ast.AugAssign) else None
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id in mixed:
            raise UnsupportedSyntaxError(
                f"`{target.value.id}` is an integer array on one path and a float array on another, and it is "
                "written: numpy truncates what is stored into the integer one.",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint="bind the integer and the float arrays to names of their own.")


def refuse_after_lower(body, inference, pf) -> None:
    """The refusals that need the kinds of the lowered code: ``refuse_mixed_dtype_stores``,
    ``refuse_writes_into_copies``, ``refuse_array_membership``, ``refuse_shared_repeats``."""
    refuse_mixed_dtype_stores(body, inference, pf)
    refuse_writes_into_copies(body, inference, pf)
    refuse_array_membership(body, inference, pf)
    refuse_shared_repeats(body, inference, pf)


def refuse_shared_repeats(body, inference, pf) -> None:
    """Refuse a list or tuple of an array, a list or another object repeated (``[np.zeros(3)] * 2``,
    ``(a,) * n``, ``[[0.0] * 3] * 2``) or joined with itself (``k + k``, ``[a] + [a]``): Python's list
    holds that one object at two indices, so a write through one item is seen through the other,
    where the derivative takes the items apart. Numbers, None and tuples of them are values, and a
    list of lists of numbers repeated but never written is read as it is."""
    from ..errors import UnsupportedSyntaxError
    nodes = list(ast.walk(ast.Module(body=list(body), type_ignores=[])))
    displays: dict = {}   # name -> the displays it is bound to
    for n in nodes:
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and isinstance(n.value, (ast.List, ast.Tuple)):
            displays.setdefault(n.targets[0].id, []).append(n.value)

    def shown(side):
        return displays.get(side.id, []) if isinstance(side, ast.Name) else [side] \
            if isinstance(side, (ast.List, ast.Tuple)) else []

    def objects(d):   # (the items of a display that may be arrays, lists or other objects)
        return [e for e in d.elts if not isinstance(e, ast.Constant) and inference.expr(e).cls in (
            "array", "list", "dict", "other", "num")]
    for s in nodes:
        if not (isinstance(s, ast.Assign) and isinstance(s.value, ast.BinOp) and isinstance(s.value.op, (ast.Mult,
                                                                                                         ast.Add))):
            continue
        left, right = s.value.left, s.value.right
        held = [e for d in shown(left) + shown(right) for e in objects(d)]
        if isinstance(s.value.op, ast.Mult):
            shared = bool(held) and not (all(_numbers_shown(e, {k: v[0] for k, v in displays.items()
                                                                if len(v) == 1}, inference) for e in held)
                                         and _only_read(s.targets[0], nodes))
        else:
            names = [{e.id for e in objects(d) if isinstance(e, ast.Name)} for d in shown(left)], \
                [{e.id for e in objects(d) if isinstance(e, ast.Name)} for d in shown(right)]
            same = isinstance(left, ast.Name) and isinstance(right, ast.Name) and left.id == right.id
            shared = bool(held) and (same or any(a & b for a in names[0] for b in names[1])) \
                and not _only_read(s.targets[0], nodes)
        if shared:
            raise UnsupportedSyntaxError(
                "a list (or tuple) of an array, a list or an object, repeated or joined with itself, holds that "
                "one object at two indices: a write through one item is seen through the other, which the "
                "derivative does not follow.",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint="make one object per item: [np.zeros(3) for _ in range(n)], or an array np.zeros((n, 3)).")


def refuse_array_membership(body, inference, pf) -> None:
    """Refuse ``in``/``not in`` with an array on either side: Python compares the array with
    each member by ``==`` and needs one truth value (an error for more than one element; a set,
    read as a tuple by ``frontend.contexts``, cannot hold an array at all)."""
    from ..errors import UnsupportedSyntaxError
    for e in ast.walk(ast.Module(body=list(body), type_ignores=[])):
        if not isinstance(e, ast.Compare) or not any(isinstance(op, (ast.In, ast.NotIn)) for op in e.ops):
            continue
        parts = [e.left] + [m for c in e.comparators for m in (c.elts if isinstance(c, ast.Tuple) else [c])]
        if any(inference.expr(p).is_array for p in parts):
            raise UnsupportedSyntaxError(
                "`in` with an array: Python tests membership by `==`, which numpy computes element by element "
                "(one truth value is needed; a set cannot hold an array).",
                filename=pf.filename, lineno=getattr(e, "lineno", None), construct=pf.line_text(e.lineno)
                if getattr(e, "lineno", None) else ast.unparse(e),
                hint="compare elements (`x[i] in (0.0, 1.0)`), or use np.isin(x, values) for an array of tests.")


def _numbers_shown(e, displays, inference) -> bool:
    """Whether ``e`` is (a name bound once to) a list written out with numbers."""
    e = displays.get(e.id, e) if isinstance(e, ast.Name) else e
    return isinstance(e, ast.List) and all(isinstance(x, ast.Constant) or inference.expr(x).cls in (
        "float", "int", "bool", "complex") for x in e.elts)


def _only_read(target, nodes) -> bool:
    """Whether the items of the list ``target`` names (and the names bound to its items, at any
    depth) are never written nor given to a call (``c = [[1.0, 0.5]] * 3; c[k][1]``: one list
    at every index, which no write can tell apart)."""
    if not isinstance(target, ast.Name):
        return False
    held, grown = {target.id}, True
    while grown:
        grown = False
        for n in nodes:
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Subscript) and root_name(n.value) in held:
                for t in n.targets:
                    if isinstance(t, ast.Name) and t.id not in held:
                        held.add(t.id)
                        grown = True
    for n in nodes:
        if isinstance(n, ast.Subscript) and not isinstance(n.ctx, ast.Load) and root_name(n) in held:
            return False
        if isinstance(n, ast.Call) and any(root_name(a) in held for a in n.args + [k.value for k in n.keywords]):
            return False
    return True


def root_name(e):
    while isinstance(e, (ast.Subscript, ast.Attribute)):
        e = e.value
    return e.id if isinstance(e, ast.Name) else None


def refuse_writes_into_copies(body, inference, pf) -> None:
    """Refuse ``out=y[idx]`` and ``np.copyto(y[idx], v)`` with an advanced index
    (an integer or boolean array): numpy writes into a copy of the selection and
    drops it, ``y`` unchanged; the store they were read as would change ``y``."""
    from ..errors import UnsupportedSyntaxError
    from ..frontend import notes
    for s in (n for n in ast.walk(ast.Module(body=list(body), type_ignores=[])) if notes.written_into(n)):
        if notes.same_kind(s):
            _refuse_unsafe_cast(s, inference, pf)
        idx = s.targets[0].slice
        if any(inference.index_kind(p) == "fancy" for p in (idx.elts if isinstance(idx, ast.Tuple) else [idx])):
            raise UnsupportedSyntaxError(
                "out= (or np.copyto) given an array selected by an index array or a mask: numpy writes into a "
                "copy of the selection and drops it, the array unchanged.",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint=f"assign the result instead: `{ast.unparse(s.targets[0])} = ...`.")


_WIDTH = {"b": 0, "i": 1, "f": 2, "c": 3}


def _refuse_unsafe_cast(s, inference, pf) -> None:
    """Refuse ``out=y`` (or ``np.copyto(y, v)``) of a value numpy does not cast into ``y``'s dtype
    ("same_kind": a float into an int array, a complex into a real one): numpy raises, where the
    store it is read as would cast."""
    from ..errors import UnsupportedSyntaxError
    from .kinds import _dtype
    value, into = _dtype(inference.expr(s.value)), _dtype(inference.expr(s.targets[0].value))
    if _WIDTH.get(value, -1) > _WIDTH.get(into, 9):
        what = {"c": "complex", "f": "float", "i": "integer"}[value]
        raise UnsupportedSyntaxError(
            f"out= (or np.copyto) writes a {what} result into an array of "
            f"{ {'b': 'bools', 'i': 'integers', 'f': 'real floats'}[into] }: numpy refuses the cast "
            "(casting='same_kind') and raises.", filename=pf.filename, lineno=s.lineno,
            construct=pf.line_text(s.lineno),
            hint="give an output array of the result's dtype, or assign the result (`y[...] = ...` casts as numpy's "
                 "assignment does).")
