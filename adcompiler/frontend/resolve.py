"""resolve: bind the names a function uses to what they mean.

Local names are the parameters and every assigned name. Any other name is
looked up in the function's closure, then its globals, then the builtins, at
transformation time.
"""
from __future__ import annotations

import ast
import builtins
import functools
import inspect
import sys
import types

from ..analysis import kinds as _kinds
from ..errors import UnsupportedSyntaxError

_MISSING = object()
LIFTED: dict = {}   # a function's code -> the nested functions it calls, lifted (frontend/nested.py)


def local_names(tree: ast.FunctionDef) -> set:
    names = {a.arg for a in tree.args.args + tree.args.posonlyargs + tree.args.kwonlyargs}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
    return names


def plain_function(obj):
    """A function compiled by numba (``numba.njit``, ``numba.jit``) as the Python function it
    compiles, and ``numba.prange`` as ``range``: its derivative is that function's; a ``functools.partial``
    as a function calling its function with the bound values (``frontend/partials.py``). Where numba
    computes otherwise than Python, ``fence`` refuses the construct in the functions recorded in
    ``JITTED``; the module values numba froze when it compiled are read as they are now (the
    docs say so). Anything else as it is."""
    if type(obj) is types.FunctionType:   # (the common case, on every call of autodiff: quickly)
        return obj
    if isinstance(obj, functools.partial):
        from .partials import function_of_partial
        return function_of_partial(obj, plain_function)
    numba = sys.modules.get("numba")
    if numba is None:
        return obj
    if obj is getattr(numba, "prange", None):
        return range
    dispatcher = getattr(getattr(numba.core, "dispatcher", None), "Dispatcher", None)
    if dispatcher is not None and isinstance(obj, dispatcher) and isinstance(obj.py_func, types.FunctionType):
        JITTED.add(obj.py_func.__code__)
        return obj.py_func
    return obj


_kinds.partial_function = plain_function   # (a partial given as an argument: the function made of it)


#: the code of the functions numba compiles that ``plain_function`` has read (``fence`` refuses in
#: them what numba computes otherwise than Python)
JITTED: set = set()


class Resolver:
    """Looks up non-local names of a parsed function."""

    def __init__(self, pf):
        self.pf = pf
        self.func = pf.func
        self.locals = local_names(pf.tree)
        try:
            cv = inspect.getclosurevars(self.func)
            self.closure = dict(cv.nonlocals)
        except (TypeError, ValueError):
            self.closure = {}
        self.globals = self.func.__globals__
        self.bound = {}   # parameters holding a function (bind_functions)
        self.nones = set()
        self.records = {}   # parameters holding a record (bind_functions)
        self.attributes: dict = {}   # "m.helper" -> what it named (a module's attribute may be replaced)
        self.lifted = getattr(pf, "lifted", {})   # nested functions, lifted out (frontend/nested.py)
        self.rewritten: set = set()   # non-local names a rewrite took out of the code (``list``)

    def bind_functions(self, params, kinds) -> None:
        """The parameters that hold a function (``rk4(f, y, h)`` called as ``rk4(rhs, ...)``)
        and are never bound again in the body: calls through them are calls of that function
        (the analyses are made for each function passed: it is part of the parameter's kind)."""
        stored = {n.id for n in ast.walk(self.pf.tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        self.bound = {p: k.value for p, k in zip(params, kinds)
                      if getattr(k, "cls", None) == "function" and p not in stored}
        #: parameters never bound again that hold None (an optional callback left out)
        self.nones = {p for p, k in zip(params, kinds) if getattr(k, "cls", None) == "none" and p not in stored}
        #: parameters never bound again that hold a record (a named tuple, a dataclass, an object passed as
        #: Const): attribute -> what ``p.attr`` reads as a subscript (a named tuple's position, the key)
        self.records = {p: {f: (i if k.keys is None else f) for i, f in enumerate(k.fields)}
                        for p, k in zip(params, kinds) if getattr(k, "fields", None) and p not in stored}

    def is_local(self, name: str) -> bool:
        return name in self.locals

    def lookup(self, name: str, node: ast.AST | None = None):
        if name in self.lifted:
            return self.lifted[name]
        if name in self.closure:
            return plain_function(self.closure[name])
        if name in self.globals:
            return plain_function(self.globals[name])
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise UnsupportedSyntaxError(
            f"the name `{name}` is not defined where the function is defined.",
            filename=self.pf.filename, lineno=getattr(node, "lineno", None),
            col=getattr(node, "col_offset", None), construct=name,
            hint="define it at module level or pass it as an argument.")

    def resolve_attr(self, node: ast.expr):
        """The object an expression like ``np.linalg.norm`` names, or _MISSING
        when its root is a local variable (a method call or attribute)."""
        chain = []
        cur = node
        while isinstance(cur, ast.Attribute):
            chain.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name) or self.is_local(cur.id):
            return _MISSING
        obj = self.lookup(cur.id, cur)
        for attr in reversed(chain):
            try:
                obj = getattr(obj, attr)
            except AttributeError:
                raise UnsupportedSyntaxError(
                    f"`{ast.unparse(node)}` does not exist.",
                    filename=self.pf.filename, lineno=node.lineno, col=node.col_offset,
                    construct=ast.unparse(node), hint="check the spelling.") from None
        obj = plain_function(obj)
        self.attributes[".".join([cur.id] + chain[::-1])] = obj
        return obj

    def free_names(self) -> dict:
        """The non-local names the function loads, with their current values."""
        out = {}
        names = [(n.id, n) for n in ast.walk(self.pf.tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
        for name, node in names + [(n, None) for n in sorted(self.rewritten)]:
            if not self.is_local(name):
                try:
                    out[name] = self.lookup(name, node)
                except UnsupportedSyntaxError:
                    continue
        return out


MISSING = _MISSING


def current_value(func, dotted: str, default=_MISSING):
    """What the non-local name (or attribute chain, ``m.helper``) ``dotted``
    of ``func`` means now: its closure's cell, its module, the builtins."""
    root, *chain = dotted.split(".")
    lifted = LIFTED.get(getattr(func, "__code__", None))
    if lifted and root in lifted:
        obj = lifted[root]
    elif func.__closure__ and root in func.__code__.co_freevars:
        try:
            obj = plain_function(func.__closure__[func.__code__.co_freevars.index(root)].cell_contents)
        except ValueError:   # an empty cell
            return default
    elif root in func.__globals__:
        obj = plain_function(func.__globals__[root])
    elif hasattr(builtins, root):
        obj = getattr(builtins, root)
    else:
        return default
    for attr in chain:
        obj = getattr(obj, attr, _MISSING)
        if obj is _MISSING:
            return default
    return plain_function(obj)


def free_values(f, also=()) -> list:
    """(function, name, value) of everything ``f``, the functions it names (and theirs) and the
    functions in ``also`` read from their modules or closures; modules and classes left out."""
    out, seen = [], set()
    todo = [f, *(a for a in also if isinstance(a, types.FunctionType))]
    while todo:
        g = todo.pop()
        g = getattr(g, "_function", g)   # (a wrapped kernel)
        if not isinstance(g, types.FunctionType) or g.__code__ in seen:
            continue
        seen.add(g.__code__)
        try:
            cv = inspect.getclosurevars(g)
        except (TypeError, ValueError):
            continue
        for name, obj in {**cv.globals, **cv.nonlocals}.items():
            if isinstance(obj, (types.ModuleType, type)):
                continue
            out.append((g, name, obj))
            obj = plain_function(obj)
            if isinstance(obj, types.FunctionType) or hasattr(obj, "_function"):
                todo.append(obj)
    return out


def keyword_defaults(f):
    """``f``'s keyword-only defaults as recorded with the code made from them: the items
    of its ``__kwdefaults__`` (the dict may be changed in place), or None."""
    kd = getattr(f, "__kwdefaults__", None)
    return None if kd is None else tuple(kd.items())


def same_keyword_defaults(f, recorded) -> bool:
    """Whether ``f``'s keyword-only defaults are still the objects ``keyword_defaults`` recorded."""
    kd = getattr(f, "__kwdefaults__", None)
    if kd is None or recorded is None:
        return kd is None and recorded is None
    return len(kd) == len(recorded) and all(kd.get(k, _MISSING) is v for k, v in recorded)
