"""nested: functions defined inside the differentiated function, lifted out.

``def rhs(y): return -k * y`` in the body of a kernel (a right-hand side,
a boundary condition, a flux) becomes a module-level helper that takes the
names it reads from the enclosing function as leading parameters
(``def rhs(k, y)``), and every call passes them (``rhs(k, y)``). Python's
closures read those names when they are called, not when they are defined,
so passing their values at each call is what the closure would see. The
lifted function is then differentiated like any helper.

Lifted: a ``def`` (or ``g = lambda v: ...``) at the top level of the function's body, without
decorators, whose defaults are numbers, that is only called (after its
definition, by its name) and never bound again. Helpers may call one
another (each passes on what its callees read) but not themselves. One
defined in a loop's or a branch's body (``f = lambda y: ...`` in an
integrator's ``while``) is lifted too where it is only called later in that
body: each definition there makes a function reading the same names when it
is called (its defaults are numbers), so one lifted function is each of them.
Anything else, a nested function passed as a value, one called outside the
body that defines it, is left for ``fence`` to refuse with its line.

Contract: ``lift_nested(pf)`` rewrites ``pf.tree`` in place (the lifted
``def`` statements removed, the calls extended) and sets ``pf.lifted`` to
``{name: function}``; the resolver looks those names up there first.
"""
from __future__ import annotations

import ast
import copy
import symtable

from ..codegen.compile import define_function
from ..errors import UnsupportedSyntaxError
from .resolve import LIFTED
from .resolve import current_value as resolve_current

_LIFTED: dict = {}   # (enclosing code, name, def line) -> the lifted function (stable across analyses)


def _err(pf, node, msg, hint):
    raise UnsupportedSyntaxError(msg, filename=pf.filename, lineno=getattr(node, "lineno", None),
                                 col=getattr(node, "col_offset", None), construct=pf.line_text(node.lineno),
                                 hint=hint)


def _check(pf, d: ast.FunctionDef) -> None:
    if d.decorator_list:
        _err(pf, d, f"the nested function `{d.name}` has decorators.", "define it at module level.")
    a = d.args
    if a.vararg or a.kwarg or a.kwonlyargs:
        _err(pf, d, f"the nested function `{d.name}` has *args, **kwargs or keyword-only parameters.",
             "use plain positional parameters.")
    for v in a.defaults:
        if isinstance(v, ast.UnaryOp) and isinstance(v.op, (ast.USub, ast.UAdd)):
            v = v.operand
        if not (isinstance(v, ast.Constant) and (v.value is None or isinstance(v.value, (int, float, bool)))):
            _err(pf, d, f"a default value of the nested function `{d.name}` is not a literal number "
                        f"(`{ast.unparse(v)}` is evaluated when the function is defined, and a value bound by "
                        "the default is not differentiated).", "pass the argument explicitly at each call, "
                        "or read the enclosing function's name in the body.")
    for n in ast.walk(d):
        if isinstance(n, (ast.Nonlocal, ast.Global)):
            _err(pf, n, f"`{'nonlocal' if isinstance(n, ast.Nonlocal) else 'global'}` in the nested function "
                        f"`{d.name}`.", "return the value from the nested function instead.")


def lift_nested(pf) -> None:
    """Lift the nested functions of ``pf`` (see the module's docstring)."""
    pf.lifted = dict(getattr(pf.func, "_ad_siblings", {}))   # (a lifted helper calls the others)
    body = pf.tree.body = [_as_def(s) for s in pf.tree.body]
    inner = [found for s in body for found in _inner_defs(s)]
    defs = [s for s in body if isinstance(s, ast.FunctionDef)] + [d for d, _, _ in inner]
    if defs:
        _lift(pf, body, defs, inner)
    if pf.lifted:
        LIFTED[pf.func.__code__] = pf.lifted


def _as_def(s):
    """``g = lambda v: e`` at the top of the body as ``def g(v): return e``."""
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.Lambda):
        lam = s.value
        d = ast.FunctionDef(s.targets[0].id, lam.args, [ast.copy_location(ast.Return(lam.body), lam.body)], [], None)
        return ast.copy_location(d, s)
    return s


_BLOCKS = (ast.For, ast.While, ast.If, ast.With)


def _inner_defs(s) -> list:
    """``(def, its statement list, the statements after it)`` of each function defined in the
    body of a loop, a branch or a ``with`` under ``s`` (lambdas bound to a name made ``def``)."""
    if not isinstance(s, _BLOCKS):
        return []
    out = []
    for part in ("body", "orelse"):
        block = getattr(s, part, None) or []
        block[:] = [_as_def(b) for b in block]
        for k, b in enumerate(block):
            if isinstance(b, ast.FunctionDef):
                out.append((b, block, block[k + 1:]))
            else:
                out += _inner_defs(b)
    return out


def _check_inner(pf, inner, by_name) -> None:
    """Each call of a function defined in a block comes after it in that block."""
    for d, block, after in inner:
        inside = {id(n) for s in after for n in ast.walk(s)}
        calls = [n for s in pf.tree.body for n in ast.walk(s) if isinstance(n, ast.Name) and n.id == d.name
                 and isinstance(n.ctx, ast.Load)]
        for n in calls:
            if id(n) not in inside:
                _err(pf, n, f"the nested function `{d.name}` is called outside the block that defines it.",
                     f"define `{d.name}` at the top of `{pf.tree.name}`.")
        block.remove(d)
        if not block:
            block.append(ast.copy_location(ast.Pass(), d))


def _lift(pf, body, defs, inner=()) -> None:
    names = [d.name for d in defs]
    if len(set(names)) != len(names):
        d = next(d for d in defs if names.count(d.name) > 1)
        _err(pf, d, f"the nested function `{d.name}` is defined twice.", "give the functions different names.")
    by_name = {d.name: d for d in defs}
    rest = [s for s in body if not isinstance(s, ast.FunctionDef)]
    table, tables = _tables(pf, by_name)
    _check_inner(pf, inner, by_name)   # (and the definitions taken out of their blocks)
    closure = set(getattr(pf.func.__code__, "co_freevars", ()))
    enclosing = _bound(table) - set(by_name)
    for d in defs:
        _check(pf, d)
        if d.name in enclosing or d.name in closure:
            _err(pf, d, f"the name of the nested function `{d.name}` is also a variable of the enclosing function.",
                 "give the function another name.")
    scopes = [(None, s) for s in rest] + [(d.name, d) for d in defs]
    bound = {d.name: _bound(tables[d.name]) for d in defs}   # (each nested function's own names)
    _check_uses(pf, by_name, scopes, bound)
    reads = _reads(pf, defs, by_name, tables, closure, bound)
    # a name a helper passes on that it binds itself reaches it under another name
    alias = {d.name: {v: _fresh(v, d) for v in reads[d.name] if v in bound[d.name]} for d in defs}
    for owner, scope in scopes:   # the calls pass them first
        for n, hidden in _calls(scope, by_name):
            if owner is not None and n.func.id in bound[owner]:
                continue   # (a local of that helper shadows the name)
            passed = reads[n.func.id]
            if hidden & set(passed):
                v = min(hidden & set(passed))
                _err(pf, n, f"`{n.func.id}` reads `{v}` of the enclosing function, but here `{v}` is a "
                            "comprehension's variable.", f"rename the comprehension's variable `{v}`.")
            if any(isinstance(a, ast.Starred) for a in n.args):
                _err(pf, n, f"a starred argument in a call of the nested function `{n.func.id}`.",
                     "pass the arguments explicitly.")
            rename = alias[owner] if owner is not None else {}
            n.args = [ast.Name(rename.get(v, v), ast.Load()) for v in passed] + n.args
    for d in defs:
        pf.lifted[d.name] = _lifted_function(pf, d, [alias[d.name].get(v, v) for v in reads[d.name]])
    for d in defs:
        pf.lifted[d.name]._ad_siblings = {k: v for k, v in pf.lifted.items() if k != d.name and k in by_name}
    pf.tree.body = rest or [ast.copy_location(ast.Pass(), defs[-1])]


def _tables(pf, by_name):
    """Python's own scopes (``symtable``) of the function and of its nested functions."""
    top = symtable.symtable(ast.unparse(pf.tree), pf.filename, "exec")
    table = next(t for t in top.get_children() if t.get_name() == pf.tree.name)
    tables = {}
    for t in table.get_children():
        if t.get_name() in by_name and t.get_type() == "function":
            tables.setdefault(t.get_name(), t)
    return table, tables


def _bound(table) -> set:
    """The names a scope binds (its parameters and locals)."""
    return {s.get_name() for s in table.get_symbols() if s.is_local() or s.is_parameter()}


def _fresh(v, d) -> str:
    taken = {n.id for n in ast.walk(d) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(d)
                                                                      if isinstance(a, ast.arg)}
    k = 1
    while f"{v}_outer{k}" in taken:
        k += 1
    return f"{v}_outer{k}"


def _reads(pf, defs, by_name, tables, closure, bound) -> dict:
    """What each nested function reads from the enclosing one (Python's free
    variables, and the enclosing function's closure variables it reads), with
    what the nested functions it calls read (they get it from it), sorted."""
    reads = {}
    for d in defs:
        t = tables[d.name]
        own = set(t.get_frees()) | {s.get_name() for s in t.get_symbols()
                                    if s.is_global() and not s.is_declared_global() and s.get_name() in closure}
        for v in sorted(own & closure):
            if callable(resolve_current(pf.func, v)):
                _err(pf, d, f"the nested function `{d.name}` calls or reads `{v}`, a function of the enclosing "
                            "function's closure.", f"call `{v}` in the enclosing function, or pass its result.")
        reads[d.name] = sorted(own - set(by_name))
    calls = {d.name: {n.func.id for n, _ in _calls(d, by_name)} - bound[d.name] for d in defs}
    changed = True
    while changed:
        changed = False
        for name in by_name:
            for callee in calls[name]:
                extra = [v for v in reads[callee] if v not in reads[name]]
                if extra:
                    reads[name] = sorted(reads[name] + extra)
                    changed = True
    return reads


def _calls(scope, by_name, hidden=frozenset()):
    """The calls of nested functions in ``scope`` (not in functions defined in it),
    with the names the comprehensions around each bind."""
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, (ast.FunctionDef, ast.Lambda)):
            continue
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in by_name:
            yield child, hidden
        inner = hidden
        if isinstance(child, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = hidden | {n.id for g in child.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        yield from _calls(child, by_name, inner)


def _check_uses(pf, by_name, scopes, bound) -> None:
    """Every use of a nested function's name is a call of it, after its
    definition, not from a function defined inside another one."""
    for owner, scope in scopes:
        calls = {id(n.func) for n, _ in _calls(scope, by_name)}
        own = bound[owner] if owner is not None else set()
        for n in ast.walk(scope):
            if not (isinstance(n, ast.Name) and n.id in by_name) or n.id in own:
                continue   # (a local of that helper shadows the name)
            if id(n) not in calls and isinstance(n.ctx, ast.Load) and _is_called(n, scope):
                _err(pf, n, f"the nested function `{n.id}` is called from a function defined inside another one.",
                     f"call `{n.id}` from a function defined at the top of `{pf.tree.name}`.")
            if id(n) not in calls:
                _err(pf, n, f"the nested function `{n.id}` is used as a value (passed, returned or bound).",
                     f"call `{n.id}` directly, or define it at module level.")
            if owner == n.id:
                _err(pf, n, f"the nested function `{n.id}` calls itself.", "rewrite the recursion as a loop.")
            if owner is None and n.lineno < by_name[n.id].lineno:
                _err(pf, n, f"the nested function `{n.id}` is called before its definition.",
                     "define it before the call.")


def _is_called(name, scope) -> bool:
    return any(isinstance(c, ast.Call) and c.func is name for c in ast.walk(scope))


def _lifted_function(pf, d: ast.FunctionDef, extra: list):
    key = (pf.func.__code__, d.name, d.lineno, tuple(extra), ast.dump(d))
    known = _LIFTED.get(key)
    if known is not None:
        return known
    lifted = copy.deepcopy(d)
    new = [ast.arg(v) for v in extra]
    for a in new:
        ast.copy_location(a, d)
    if lifted.args.posonlyargs:   # (before them: they are given by position first)
        lifted.args.posonlyargs = new + lifted.args.posonlyargs
    else:
        lifted.args.args = new + lifted.args.args
    fn = define_function(lifted, pf.filename, pf.func.__globals__)
    fn.__qualname__ = f"{pf.func.__qualname__}.<locals>.{d.name}"
    fn._ad_lifted_tree = lifted
    if len(_LIFTED) > 512:
        _LIFTED.clear()
    _LIFTED[key] = fn
    return fn
