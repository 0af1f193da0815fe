"""tuple_returns: a helper that returns one of its own arguments as an item of a tuple.

``def flux(h, hu): return hu, hu * hu / h`` returns the array it is given as
``hu`` itself as the first item. In the caller, ``f1, f2 = flux(h, hu)`` binds
``f1`` to the caller's own array. The analysis follows the memory of a
helper's return value only where it is the whole value, so the call is made
a call of a copy of the helper that returns the other items, and the caller
binds the item to the argument it gave, in the order Python assigns:

    _flux_ret0 = flux__ret1(h, hu)      # the copy: ``return hu * hu / h``
    f1, f2 = (hu, _flux_ret0)

An argument that is not a name is bound to a name of its own first (with
every argument before it, in Python's order of evaluation), so it is
evaluated once. The rewrite applies where every ``return`` of the helper is a
tuple written out, the last statement returns, the item is the same parameter
on every return and the helper never binds that parameter, and the call is the
whole value of a plain assignment with one target. Other forms are analysed
as they are written (``analysis/summary.py`` refuses what it cannot follow).

Contract: ``split_returned_arguments(pf, resolver)`` rewrites ``pf.tree`` in
place and adds the copies to ``pf.lifted``.
"""
from __future__ import annotations

import ast
import copy

from ..codegen.naming import is_generated
from .resolve import LIFTED
from .specialise import _defaults_key, _helper, _located, _parsed, defined_with_defaults

_COPIES: dict = {}   # (helper's code, the items dropped, its tree, its defaults) -> the copy


def split_returned_arguments(pf, resolver) -> None:
    """Rewrite the calls of ``pf`` that bind a helper's tuple holding its own argument (see the module)."""
    if is_generated(pf.filename):
        return
    taken = {n.id for n in ast.walk(pf.tree) if isinstance(n, ast.Name)} | {
        x.arg for x in ast.walk(pf.tree.args) if isinstance(x, ast.arg)}
    changed = _rewrite_blocks(pf.tree, pf, resolver, taken)
    if changed:
        LIFTED[pf.func.__code__] = pf.lifted
        resolver.locals |= {n.id for n in ast.walk(pf.tree) if isinstance(n, ast.Name)
                            and isinstance(n.ctx, ast.Store)}


def _rewrite_blocks(node, pf, resolver, taken) -> bool:
    changed = False
    for field in ("body", "orelse", "finalbody"):
        block = getattr(node, field, None)
        if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
            continue
        out = []
        for st in block:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.append(st)
                continue
            changed |= _rewrite_blocks(st, pf, resolver, taken)
            for h in getattr(st, "handlers", ()):
                changed |= _rewrite_blocks(h, pf, resolver, taken)
            new = _rewritten(st, pf, resolver, taken)
            changed |= new is not None
            out += new if new is not None else [st]
        setattr(node, field, out)
    return changed


def _rewritten(st, pf, resolver, taken) -> list | None:
    """The statements replacing ``st`` (``target = helper(...)``), or None."""
    if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.value, ast.Call)):
        return None
    call = st.value
    helper = _helper(call, resolver)
    if helper is None or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    tree = _parsed(helper)
    items = None if tree is None else _returned_params(tree)
    params = [] if tree is None else [p.arg for p in tree.args.posonlyargs + tree.args.args]

    def given(param):   # (the argument the call gives ``param``, by position or by keyword; None: its default)
        k = params.index(param)
        return call.args[k] if k < len(call.args) else next(
            (kw.value for kw in call.keywords if kw.arg == param), None)
    items = {k: p for k, p in (items or {}).items() if given(p) is not None}
    if not items:
        return None
    n = len(next(r for r in ast.walk(tree) if isinstance(r, ast.Return)).value.elts)
    fn = _copy(helper, tree, tuple(sorted(items)))
    pre = []
    if any(not isinstance(given(p), ast.Name) for p in items.values()):
        pre = _hoisted(call, taken)   # (each argument evaluated once, in Python's order)
    called = call.func.id
    name = _fresh(f"{called}__ret", taken, set(pf.lifted) | resolver.locals)
    pf.lifted[name] = fn
    resolver.rewritten.add(called)   # (the caller's code is reused while it means the same helper)
    call.func = ast.copy_location(ast.Name(name, ast.Load()), call.func)
    rest = [k for k in range(n) if k not in items]
    names = [_fresh(f"_{called}_ret", taken) for _ in rest]
    if not rest:
        got = [ast.Expr(call)]
    else:
        target = ast.Name(names[0], ast.Store()) if len(rest) == 1 else \
            ast.Tuple([ast.Name(x, ast.Store()) for x in names], ast.Store())
        got = [ast.Assign([target], call)]
    by_item = dict(zip(rest, names))
    value = ast.Tuple([copy.deepcopy(given(items[k])) if k in items else ast.Name(by_item[k], ast.Load())
                       for k in range(n)], ast.Load())
    bind = ast.Assign(st.targets, value)
    return [_located(s, st) for s in pre + got + [bind]]


def _returned_params(tree) -> dict | None:
    """Item index -> the parameter every ``return`` of ``tree`` gives there by its bare name
    (a parameter ``tree`` never binds), where every ``return`` is a tuple written out of one
    length and the body ends in one; None where the helper has another form."""
    if not tree.body or not isinstance(tree.body[-1], ast.Return):
        return None
    returns = []
    for n in ast.walk(tree):
        if isinstance(n, (ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal, ast.Lambda, ast.ClassDef,
                          ast.AsyncFunctionDef)) or isinstance(n, ast.FunctionDef) and n is not tree:
            return None
        if isinstance(n, ast.Return):
            if not isinstance(n.value, ast.Tuple) or any(isinstance(e, ast.Starred) for e in n.value.elts):
                return None
            returns.append(n.value.elts)
    if len({len(r) for r in returns}) != 1:
        return None
    params = {p.arg for p in tree.args.posonlyargs + tree.args.args}
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    out = {}
    for k, first in enumerate(returns[0]):
        if isinstance(first, ast.Name) and first.id in params and first.id not in bound and all(
                isinstance(r[k], ast.Name) and r[k].id == first.id for r in returns):
            out[k] = first.id
    return out


def _copy(helper, tree, dropped: tuple):
    """The copy of ``helper`` whose returns leave out the items ``dropped``."""
    key = (helper.__code__, dropped, ast.dump(tree), _defaults_key(helper))
    fn = _COPIES.get(key)
    if fn is not None:
        return fn
    tree = copy.deepcopy(tree)
    for r in (x for x in ast.walk(tree) if isinstance(x, ast.Return)):
        kept = [e for k, e in enumerate(r.value.elts) if k not in dropped]
        r.value = _located(ast.Tuple(kept, ast.Load()), r.value) if len(kept) > 1 else \
            kept[0] if kept else _located(ast.Constant(None), r.value)
    fn = defined_with_defaults(tree, helper)
    for attr in ("_ad_items_of", "_ad_siblings"):
        if hasattr(helper, attr):
            setattr(fn, attr, getattr(helper, attr))
    if len(_COPIES) > 512:
        _COPIES.clear()
    _COPIES[key] = fn
    return fn


def _hoisted(call, taken) -> list:
    """Bind each argument of ``call`` that is not a name or a constant to a name of its own, in
    Python's order of evaluation (positional, then keywords); the call reads the names."""
    out = []

    def bound(v):
        if isinstance(v, (ast.Name, ast.Constant)):
            return v
        name = _fresh(f"_{call.func.id}_arg", taken)
        out.append(ast.Assign([ast.Name(name, ast.Store())], v))
        return ast.Name(name, ast.Load())
    call.args = [bound(a) for a in call.args]
    for kw in call.keywords:
        kw.value = bound(kw.value)
    return out


def _fresh(stem: str, taken: set, also=()) -> str:
    k = 0
    while f"{stem}{k}" in taken or f"{stem}{k}" in also:
        k += 1
    taken.add(f"{stem}{k}")
    return f"{stem}{k}"
