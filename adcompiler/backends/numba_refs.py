"""numba_refs: the arrays the fused function's tape keeps by reference.

The typed tape (``numba_rewrite``) holds values: an array pushed onto it is
copied element by element and popped into a new array. For a shadow that is
wrong (the adjoints added to the copy never reach the array: a double buffer
``u, v = v, u``, ``for row in A:``), and for a value it costs a copy and an
allocation per push. Where the tape never leaves the function (the fused
function: no half takes or returns it), an array name whose every push is of
the name itself (not a copy, not only its shape) is kept as the numpy
backend's list keeps it: the array itself, on a list of its own
(``_ad_refs<k>.append(x)``, ``x = _ad_refs<k>.pop()``). Each name's pushes
and pops keep the tape's order among themselves (a stack's subsequence), so
one list per name pops what the shared tape would have.
"""
from __future__ import annotations

import ast


def _name(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def _tape_append(node, tape) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append" \
        and isinstance(node.func.value, ast.Name) and node.func.value.id == tape and len(node.args) == 1


def _pushed(v):
    """The name a push pushes something of (itself, a copy ``_ad_copy(x)``, a shape
    ``_ad_shape(x)``), else None."""
    if isinstance(v, ast.Call) and v.args:
        v = v.args[0]
    return v.id if isinstance(v, ast.Name) else None


def referenced(fn, tape, kinds, namer) -> set:
    """The array names of the (fused) generated function ``fn`` whose every push onto ``tape`` is
    of the name itself (tagged an array of known rank; not the function's returned array, whose
    shadow reaches the caller); a name pushed otherwise anywhere keeps the typed tape."""
    from ..transform.tape import tape_tag
    plain, other = set(), set()
    for node in ast.walk(fn):
        if _tape_append(node, tape):
            v, tag = node.args[0], getattr(node, "tape_tag", None) or ""
            ok = isinstance(v, ast.Name) and tag[:1] == "a" and tag[1:-1] not in ("", "0") \
                and not getattr(node, "shadow_shape", False) and v.id != namer.adjoints.get(namer.ret)
            (plain if ok else other).add(_pushed(v))
    return {n for n in plain - other if n is not None and tape_tag(kinds, namer, n) is not None}


def _list_of(refs, name, counter) -> str:
    if name not in refs:
        refs[name] = f"_ad_refs{counter()}"
    return refs[name]


def push_reference(refs, name, counter) -> list:
    """``_ad_refs<k>.append(name)`` (``refs``: name -> its list, filled here)."""
    append = ast.Attribute(_name(_list_of(refs, name, counter)), "append", ast.Load())
    return [ast.Expr(ast.Call(append, [_name(name)], []))]


def pop_reference(refs, target, counter) -> list:
    """``target = _ad_refs<k>.pop()``."""
    pop = ast.Attribute(_name(_list_of(refs, target.id, counter)), "pop", ast.Load())
    return [ast.Assign(targets=[target], value=ast.Call(pop, [], []))]


def reference_lists(refs) -> list:
    """The lists' bindings at the top of the function, empty: numba types a list by what is
    appended to it (placeholders of the arrays' rank come first)."""
    return [ast.Assign(targets=[_name(k, ast.Store)], value=ast.List([], ast.Load())) for k in refs.values()]
