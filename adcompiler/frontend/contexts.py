"""contexts: statements that change no value the function computes (nor a
derivative), dropped before ``fence``.

``with np.errstate(...)`` blocks that only silence or report floating-point
warnings (``over="ignore"``, ``all="warn"``...) are replaced by their bodies:
they change only what numpy prints. ``"raise"`` and ``"call"`` change what
runs and stay refused by ``fence``, as does any other ``with``.

``del tmp`` of local names (freeing a large temporary) is dropped where no
later line reads the name and, in a loop, each iteration binds it before
anything reads it: then it only frees memory. Any other ``del`` (of an
element, of a name read again) stays refused by ``fence``.

A list comprehension or generator unpacked into names over a range of
constants or a display (``ig, fg, og = [sig(g[k * H:(k + 1) * H]) for k in
range(3)]``, an LSTM's gates) is the tuple of its elements, each with the
loop's value in place of its variable: a tuple is built whole before it is
unpacked, as the list is.

A set display tested for membership (``i in {0, n - 1}``) is the tuple of its
elements: for the numbers and strings such tests hold, a set and a tuple hold
the same members. (An array there, unhashable, is refused after the kinds are
known, ``analysis.nondiff_kinds``; a set anywhere else stays refused.)"""
from __future__ import annotations

import ast
import copy

import numpy as np

_QUIET = frozenset({"ignore", "warn", "print", "log"})


def _warnings_only(item, resolver) -> bool:
    call = item.context_expr
    return (item.optional_vars is None and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and resolver.resolve_attr(call.func) is np.errstate and not call.args
            and all(k.arg is not None and isinstance(k.value, ast.Constant) and k.value.value in _QUIET
                    for k in call.keywords))


class _Unwrap(ast.NodeTransformer):
    def __init__(self, resolver):
        self.resolver = resolver

    def visit_With(self, node):
        self.generic_visit(node)
        if node.items and all(_warnings_only(i, self.resolver) for i in node.items):
            return node.body
        return node


def drop_inert(pf, resolver) -> None:
    """Replace, in ``pf.tree``, each ``with np.errstate(...)`` that only sets warnings by its body,
    drop each ``del`` that only frees memory, and read a set display tested for membership as a tuple."""
    if any(isinstance(n, ast.With) for n in ast.walk(pf.tree)):
        _Unwrap(resolver).visit(pf.tree)
    if any(isinstance(n, ast.Delete) for n in ast.walk(pf.tree)):
        _drop_deletes(pf.tree, pf.tree, [])
    for n in ast.walk(pf.tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], (ast.Tuple, ast.List)):
            n.value = _unrolled(n.value, len(n.targets[0].elts)) or n.value
        if isinstance(n, ast.Compare):
            n.comparators = [ast.copy_location(ast.Tuple(c.elts, ast.Load()), c)
                             if isinstance(c, ast.Set) and isinstance(op, (ast.In, ast.NotIn)) else c
                             for op, c in zip(n.ops, n.comparators)]


def _drop_deletes(tree, node, loops) -> None:
    for field in ("body", "orelse"):
        block = getattr(node, field, None)
        if not isinstance(block, list):
            continue
        keep = []
        for s in block:
            if not (isinstance(s, ast.Delete) and _frees_only(tree, s, block, loops)):
                keep.append(s)
            if isinstance(s, (ast.For, ast.While, ast.If)):
                _drop_deletes(tree, s, loops + [s] if isinstance(s, (ast.For, ast.While)) else loops)
        if block:
            setattr(node, field, keep or [ast.copy_location(ast.Pass(), block[0])])


def _where(n) -> tuple:
    return n.lineno, n.col_offset


def _frees_only(tree, d, block, loops) -> bool:
    """``del a, b`` of names no line after it reads before a plain assignment after it in its
    block binds them again, and that each enclosing loop's body binds (a plain assignment at
    its top level) before anything in it reads them."""
    if not all(isinstance(t, ast.Name) for t in d.targets):
        return False
    after = block[block.index(d) + 1:]
    for name in (t.id for t in d.targets):
        uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Del)]
        if any(not hasattr(n, "lineno") for n in uses):
            return False   # (a name a lifted nested function reads: kept, and refused)
        rebind = next((k for k, s in enumerate(after) if isinstance(s, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in s.targets)), None)
        if rebind is not None and not any(isinstance(n, (ast.Break, ast.Continue, ast.Return, ast.Raise))
                                          for s in after[:rebind] for n in ast.walk(s)):
            value = after[rebind].value   # (reads after the name is bound again are of the new value)
            until = (value.end_lineno, value.end_col_offset)
        else:
            until = (float("inf"), 0)
        if any(isinstance(n.ctx, ast.Load) and _where(d) < _where(n) < until for n in uses):
            return False
        for loop in loops:
            first = min((n for n in uses if any(n is m for m in ast.walk(loop))
                         and _where(n) < _where(d)), key=_where, default=None)
            binds = [s for s in loop.body if isinstance(s, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in s.targets)]
            if first is not None and not any(any(first is t for t in s.targets) for s in binds):
                return False
    return True


def _unrolled(e, count):
    """``[f(k) for k in range(3)]`` (or a generator, or over a display of names and constants)
    unpacked into ``count`` names: the tuple ``(f(0), f(1), f(2))``; None where it is not that."""
    if not isinstance(e, (ast.ListComp, ast.GeneratorExp)) or len(e.generators) != 1:
        return None
    gen = e.generators[0]
    if gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name):
        return None
    var = gen.target.id
    if isinstance(gen.iter, (ast.Tuple, ast.List)) and all(isinstance(v, (ast.Name, ast.Constant))
                                                           for v in gen.iter.elts):
        values = gen.iter.elts
    elif isinstance(gen.iter, ast.Call) and isinstance(gen.iter.func, ast.Name) and gen.iter.func.id == "range" \
            and not gen.iter.keywords and 1 <= len(gen.iter.args) <= 3 \
            and all(type(_literal(a)) is int for a in gen.iter.args):
        bounds = [_literal(a) for a in gen.iter.args]
        if bounds[2:] == [0]:
            return None   # (Python raises)
        values = [ast.Constant(v) for v in range(*bounds)]
    else:
        return None
    inner = [n for n in ast.walk(e.elt) if isinstance(n, (ast.comprehension, ast.Lambda, ast.NamedExpr))]
    if len(values) != count or inner or any(isinstance(v, ast.Name) and v.id == var for v in values):
        return None   # (a name bound inside the element, or a count Python would refuse: left as written)

    def put(value):
        class Put(ast.NodeTransformer):
            def visit_Name(self, node):
                return ast.copy_location(copy.deepcopy(value), node) if node.id == var else node
        return Put().visit(copy.deepcopy(e.elt))
    return ast.copy_location(ast.Tuple([put(v) for v in values], ast.Load()), e)


def _literal(node):
    """The constant ``node`` spells (``-1`` too), else None."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
