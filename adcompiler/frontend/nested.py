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
another (each passes on what its callees read) but not themselves. Anything
else, a ``def`` inside a loop or a branch, a nested function passed as a
value, is left in place for ``fence`` to refuse with its line.

Contract: ``lift_nested(pf)`` rewrites ``pf.tree`` in place (the lifted
``def`` statements removed, the calls extended) and sets ``pf.lifted`` to
``{name: function}``; the resolver looks those names up there first.
"""
from __future__ import annotations

import ast
import copy

from ..errors import UnsupportedSyntaxError
from .resolve import LIFTED, local_names

_LIFTED: dict = {}   # (enclosing code, name, def line) -> the lifted function (stable across analyses)


def _err(pf, node, msg, hint):
    raise UnsupportedSyntaxError(msg, filename=pf.filename, lineno=getattr(node, "lineno", None),
                                 col=getattr(node, "col_offset", None), construct=pf.line_text(node.lineno),
                                 hint=hint)


def _own_locals(fn: ast.FunctionDef) -> set:
    return local_names(fn)


def _loads(fn: ast.FunctionDef) -> set:
    return {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _check(pf, d: ast.FunctionDef) -> None:
    if d.decorator_list:
        _err(pf, d, f"the nested function `{d.name}` has decorators.", "define it at module level.")
    a = d.args
    if a.vararg or a.kwarg or a.kwonlyargs:
        _err(pf, d, f"the nested function `{d.name}` has *args, **kwargs or keyword-only parameters.",
             "use plain positional parameters.")
    for v in a.defaults:
        if not (isinstance(v, ast.Constant) and (v.value is None or isinstance(v.value, (int, float, bool)))):
            _err(pf, d, f"a default value of the nested function `{d.name}` is not a number (it is evaluated "
                        "when the function is defined).", "pass the argument explicitly.")
    for n in ast.walk(d):
        if isinstance(n, (ast.Nonlocal, ast.Global)):
            _err(pf, n, f"`{'nonlocal' if isinstance(n, ast.Nonlocal) else 'global'}` in the nested function "
                        f"`{d.name}`.", "return the value from the nested function instead.")


def lift_nested(pf) -> None:
    """Lift the nested functions of ``pf`` (see the module's docstring)."""
    pf.lifted = dict(getattr(pf.func, "_ad_siblings", {}))   # (a lifted helper calls the others)
    body = pf.tree.body = [_as_def(s) for s in pf.tree.body]
    defs = [s for s in body if isinstance(s, ast.FunctionDef)]
    if defs:
        _lift(pf, body, defs)
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


def _lift(pf, body, defs) -> None:
    names = [d.name for d in defs]
    if len(set(names)) != len(names):
        d = next(d for d in defs if names.count(d.name) > 1)
        _err(pf, d, f"the nested function `{d.name}` is defined twice.", "give the functions different names.")
    by_name = {d.name: d for d in defs}
    rest = [s for s in body if not isinstance(s, ast.FunctionDef)]
    outer = ast.FunctionDef(pf.tree.name, pf.tree.args, rest, [], None)
    enclosing = local_names(outer) | set(getattr(pf.func.__code__, "co_freevars", ()))
    for d in defs:
        _check(pf, d)
        if d.name in enclosing:
            _err(pf, d, f"the name of the nested function `{d.name}` is also a variable of the enclosing function.",
                 "give the function another name.")
    scopes = [(None, s) for s in rest] + [(d.name, d) for d in defs]
    _check_uses(pf, by_name, scopes)
    reads = _reads(defs, by_name, enclosing)
    # the calls pass them first
    for owner, scope in scopes:
        for n in ast.walk(scope):
            if isinstance(n, ast.Call) and getattr(n.func, "_ad_nested_call", False):
                if owner is not None and n.func.id in _own_locals(by_name[owner]):
                    continue
                if any(isinstance(a, ast.Starred) for a in n.args):
                    _err(pf, n, f"a starred argument in a call of the nested function `{n.func.id}`.",
                         "pass the arguments explicitly.")
                n.args = [ast.Name(v, ast.Load()) for v in reads[n.func.id]] + n.args
    for d in defs:
        pf.lifted[d.name] = _lifted_function(pf, d, reads[d.name])
    for d in defs:
        pf.lifted[d.name]._ad_siblings = {k: v for k, v in pf.lifted.items() if k != d.name and k in by_name}
    pf.tree.body = rest or [ast.copy_location(ast.Pass(), defs[-1])]


def _reads(defs, by_name, enclosing) -> dict:
    """What each nested function reads from the enclosing one, with what the
    nested functions it calls read (they get it from it), sorted."""
    reads = {d.name: sorted((_loads(d) - _own_locals(d)) & enclosing) for d in defs}
    calls = {d.name: {n.func.id for n in ast.walk(d) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                      and n.func.id in by_name and n.func.id not in _own_locals(d)} for d in defs}
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


def _check_uses(pf, by_name, scopes) -> None:
    """Every use of a nested function's name is a call of it, after its definition."""
    for owner, scope in scopes:
        for n in ast.walk(scope):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in by_name:
                n.func._ad_nested_call = True
        for n in ast.walk(scope):
            if not (isinstance(n, ast.Name) and n.id in by_name):
                continue
            if owner is not None and n.id in _own_locals(by_name[owner]):
                continue   # (a local of that helper shadows the name)
            if not getattr(n, "_ad_nested_call", False):
                _err(pf, n, f"the nested function `{n.id}` is used as a value (passed, returned or bound).",
                     f"call `{n.id}` directly, or define it at module level.")
            if owner == n.id:
                _err(pf, n, f"the nested function `{n.id}` calls itself.", "rewrite the recursion as a loop.")
            if owner is None and n.lineno < by_name[n.id].lineno:
                _err(pf, n, f"the nested function `{n.id}` is called before its definition.",
                     "define it before the call.")


def _lifted_function(pf, d: ast.FunctionDef, extra: list):
    key = (pf.func.__code__, d.name, d.lineno, tuple(extra), ast.dump(d))
    known = _LIFTED.get(key)
    if known is not None:
        return known
    lifted = copy.deepcopy(d)
    new = [ast.arg(v) for v in extra]
    for a in new:
        ast.copy_location(a, d)
    lifted.args.args = new + lifted.args.args
    module = ast.Module([lifted], [])
    ast.fix_missing_locations(module)
    space: dict = {}
    exec(compile(module, pf.filename, "exec"), pf.func.__globals__, space)   # noqa: S102 (the user's own code)
    fn = space[d.name]
    fn.__qualname__ = f"{pf.func.__qualname__}.<locals>.{d.name}"
    fn._ad_lifted_tree = lifted
    if len(_LIFTED) > 512:
        _LIFTED.clear()
    _LIFTED[key] = fn
    return fn
