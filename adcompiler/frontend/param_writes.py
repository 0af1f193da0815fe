"""param_writes: whether a helper may write a parameter, as its source reads (``calls.py``
checks two views of one array given to a helper that writes one to share no memory, at run
time, where this says it may write them)."""
from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np

_WRITERS = frozenset({"copyto", "fill_diagonal", "put", "place", "putmask", "put_along_axis"})
_METHODS_WRITING = frozenset({"fill", "sort", "resize", "put", "itemset", "partition", "setfield", "byteswap"})


def may_write(func, k) -> bool:
    """Whether ``func`` may write its ``k``-th parameter as its source reads: a
    store through it, an in-place operator, ``out=`` or a numpy writer given it,
    a writing method, the name bound again or passed to another function (True
    where the source cannot be read). A write this misses (through a view bound
    to another name) is still refused by the transform's check of the call."""
    try:
        fn = getattr(func, "_ad_lifted_tree", None) or ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
        names = _aliases(fn, fn.args.args[k].arg)
    except (OSError, TypeError, SyntaxError, IndexError, AttributeError):
        return True
    return any(_writes(fn, name) for name in names)


def _aliases(fn, name) -> set:
    """``name`` and the names bound to it, as it is or unpacked from a tuple written out
    (``r0, r1 = (rs__0, rs__1)``, a copy's of ``r0, r1 = rs``: frontend/specialise.py)."""
    names, grown = {name}, True
    while grown:
        grown = False
        for n in ast.walk(fn):
            pairs = [(t, n.value) for t in n.targets] if isinstance(n, ast.Assign) else []
            while pairs:
                t, v = pairs.pop()
                if isinstance(t, ast.Tuple) and isinstance(v, ast.Tuple) and len(t.elts) == len(v.elts):
                    pairs += list(zip(t.elts, v.elts))
                elif isinstance(t, ast.Name) and isinstance(v, ast.Name) and v.id in names and t.id not in names:
                    names.add(t.id)
                    grown = True
    return names


def _writes(fn, name) -> bool:
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load):
            return True
        if isinstance(n, (ast.Subscript, ast.Attribute)) and not isinstance(n.ctx, ast.Load) \
                and any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(n.value)):
            return True
        if isinstance(n, ast.Call):
            f = n.func
            given = [a for a in n.args + [kw.value for kw in n.keywords]
                     if isinstance(a, ast.Name) and a.id == name]
            numpy = isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("np", "math")
            if given and (not numpy or f.attr in _WRITERS or any(kw.arg == "out" for kw in n.keywords)
                          or any(isinstance(a, ast.Name) and a.id == name
                                 for a in n.args[_positional_out(f.attr):])):
                return True
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == name \
                    and f.attr in _METHODS_WRITING | {"at"}:
                return True
            if isinstance(f, ast.Attribute) and f.attr == "at" and given:
                return True
    return False


def _positional_out(attr) -> int:
    """Where numpy's ``attr`` takes ``out`` positionally (a ufunc: after its inputs;
    a function: its parameter's place; unknown: from the third argument on)."""
    fn = getattr(np, attr, None)
    if isinstance(fn, np.ufunc):
        return fn.nin
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return 2
    for k, p in enumerate(params):
        if p.kind in (p.VAR_POSITIONAL, p.KEYWORD_ONLY):   # (np.einsum(*operands, out=None): by keyword only)
            return len(params) + 1
        if p.name == "out":
            return k
    return len(params) + 1
