"""partials: a ``functools.partial`` differentiated as the function it calls.

``step = functools.partial(kernel, c=2.0)`` is differentiated as

    def kernel(x, y):
        return bound__function(x, y, c=c)

(``bound__function`` is the user's function, read with the bound values, each
under its parameter's name, from a namespace of the function's own), so the bound values are constants of the
derivative, as a closure's are, and the user's function is differentiated
as a helper. The parameters are the ones a call of the partial gives by
position: those after the bound positional arguments, up to the first one
bound by keyword (Python gives the rest only by keyword); defaults are kept.

Contract: ``function_of_partial(p, unwrap)`` is that function (the same object for
the same partial while it, its keywords and its function's defaults are the same), or ``p`` itself where it is no partial
of a Python function, or has a form this does not cover (``*args``, a
parameter after a keyword-bound one without a default): the parser then
refuses it as before.
"""
from __future__ import annotations

import ast
import functools
import inspect
import types

from ..codegen.compile import define_function

_MADE: dict = {}   # id(partial) -> (the partial, its function)


def function_of_partial(p, unwrap):
    """(``unwrap``: ``resolve.plain_function``, for a partial of a numba-compiled function.)"""
    if not isinstance(p, functools.partial):
        return p
    func = p.func
    if not isinstance(func, types.FunctionType):
        func = unwrap(func)
    if not isinstance(func, types.FunctionType):
        return p
    # (what the function made reads: a partial's keywords and its function's defaults may be set anew)
    now = (func, func.__code__, tuple(map(id, p.args)), tuple((k, id(v)) for k, v in p.keywords.items()),
           id(func.__defaults__), tuple((k, id(v)) for k, v in (func.__kwdefaults__ or {}).items()))
    hit = _MADE.get(id(p))
    if hit is not None and hit[0] is p and hit[1] == now:
        return hit[2]
    fn = _made(p, func)
    if fn is None:
        return p
    if len(_MADE) > 256:
        _MADE.clear()
    _MADE[id(p)] = (p, now, fn)
    return fn


def _made(p, func):
    code = func.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    names = list(code.co_varnames[:code.co_argcount])
    kwonly = list(code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount])
    defaults = dict(zip(names[len(names) - len(func.__defaults__ or ()):], func.__defaults__ or ()))
    keywords = dict(p.keywords)
    if len(p.args) > len(names) or any(k not in names + kwonly or k in names[:len(p.args)] for k in keywords):
        return None
    free = names[len(p.args):]
    cut = next((k for k, n in enumerate(free) if n in keywords), len(free))
    params, rest = free[:cut], free[cut:]
    if any(n not in keywords and n not in defaults for n in rest) or \
            any(n not in keywords and n not in (func.__kwdefaults__ or {}) for n in kwonly):
        return None
    taken = set(params)

    def name(stem):
        while stem in taken:
            stem += "_"
        taken.add(stem)
        return stem
    target = name("bound__function")
    space = {"__builtins__": func.__globals__.get("__builtins__", __builtins__), target: func}
    args, bound = [], []
    for k, v in enumerate(p.args):
        space[n := name(names[k])] = v
        args.append(ast.Name(n, ast.Load()))
        bound.append((f"`{names[k]}`", v))
    args += [ast.Name(n, ast.Load()) for n in params]
    kws = []
    for key, v in keywords.items():
        space[n := name(key)] = v
        kws.append(ast.keyword(key, ast.Name(n, ast.Load())))
        bound.append((f"`{key}`", v))
    fields = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
    tree = ast.FunctionDef(name=func.__name__ if func.__name__.isidentifier() else "partial_of_lambda", args=ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in params],
                                                                   kwonlyargs=[], kw_defaults=[], defaults=[]),
                           body=[ast.Return(ast.Call(ast.Name(target, ast.Load()), args, kws))],
                           decorator_list=[], returns=None, **fields)
    for n in ast.walk(tree):
        if "lineno" in n._attributes:
            n.lineno, n.col_offset, n.end_lineno, n.end_col_offset = code.co_firstlineno, 0, code.co_firstlineno, 0
    fn = define_function(tree, code.co_filename, space)
    fn.__defaults__ = tuple(defaults[n] for n in params if n in defaults) or None
    fn.__qualname__ = func.__qualname__
    fn._ad_lifted_tree = tree   # (its source: frontend/parse.py)
    fn._ad_bound = bound   # (values a tape tracks refused: tapes/dispatch.py)
    return fn
