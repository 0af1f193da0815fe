"""Which parameters a kernel may write, read conservatively from its source.

``differentiate`` copies these before calling the kernel, so the caller's
arrays are never mutated. Over-approximation only costs a copy; missing a
write would mutate the caller's data, so every doubt counts as a write:

- subscript stores and augmented assignments (``x[i] = e``, ``x += e``);
- the arguments that ``rules/writes.py`` says a call writes: ``out=x`` on
  any call, ``np.copyto(x, ...)``, ``np.put``..., ``np.add.at(x, ...)``;
- method calls on a parameter that write it (``x.fill``, ``rules/writes.py``)
  or are not known to be read-only;
- passing a parameter to a function that is not numpy, ``math`` or a
  builtin (a user function may write it);
- all of the above through local names bound to views (``y = x[1:]``,
  ``y = x.T``, ``y = x``).
"""
from __future__ import annotations

import ast
import builtins
import collections
import inspect
import math
import textwrap
import types
from collections.abc import Callable

import numpy as np

from ..errors import SourceError
from ..frontend.resolve import plain_function
from ..rules import writes

_READ_METHODS = frozenset({
    "copy", "sum", "mean", "max", "min", "prod", "std", "var", "dot", "astype", "reshape",
    "ravel", "flatten", "transpose", "any", "all", "argmax", "argmin", "tolist", "item",
    "conj", "round", "clip", "cumsum", "cumprod", "squeeze", "swapaxes", "view",
    "argsort", "argpartition", "take", "repeat", "trace", "diagonal", "nonzero", "searchsorted",
    "compress", "conjugate", "tobytes",
})
_VIEW_ATTRS = frozenset({"T", "real", "imag", "flat", "reshape", "ravel", "transpose",
                         "squeeze", "swapaxes", "view", "mT"})
#: numpy functions that may return a view of their first argument (``np.ravel(x)``)
_VIEW_FUNCS = _VIEW_ATTRS | frozenset({
    "asarray", "asanyarray", "asfarray", "ascontiguousarray", "asfortranarray", "atleast_1d", "atleast_2d",
    "atleast_3d", "moveaxis", "rollaxis", "expand_dims", "flip", "fliplr", "flipud", "rot90", "diagonal",
    "matrix_transpose", "permute_dims", "require"})


def _elements(target) -> list:
    """The names, subscripts and attributes a tuple target stores into (nested, starred)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [e for t in target.elts for e in _elements(t)]
    if isinstance(target, ast.Starred):
        return _elements(target.value)
    return [target]


def _roots(node: ast.AST) -> set:
    """The names a view expression may be rooted at: ``_root``'s, or each arm's of a
    conditional expression (``t = x if c else y``, ``(y if c else x)[1:]``) or item's of a
    list or tuple written out (``step((u, v), dt)`` may write both)."""
    out, arms = set(), [node]
    while arms:
        e = arms.pop()
        while isinstance(e, ast.Subscript) or isinstance(e, ast.Attribute) and e.attr in _VIEW_ATTRS:
            e = e.value
        if isinstance(e, ast.IfExp):
            arms += [e.body, e.orelse]
        elif isinstance(e, (ast.Tuple, ast.List)):   # (a list or tuple written out: the arrays it holds)
            arms += [x.value if isinstance(x, ast.Starred) else x for x in e.elts]
        elif _root(e) is not None:
            out.add(_root(e))
    return out


def _root(node: ast.AST) -> str | None:
    """The name a view expression is rooted at (``x``, ``x[1:]``, ``x.T``)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Subscript) or isinstance(node, ast.Attribute) and node.attr in _VIEW_ATTRS:
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _VIEW_FUNCS and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in ("np", "numpy") and node.args:
            node = node.args[0]   # np.ravel(x), np.asarray(x): x's memory
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _VIEW_ATTRS:
            node = node.func.value
        else:
            return None


def _is_library(func: ast.AST, env: dict) -> bool:
    """True when a call target is numpy, scipy, math, copy, a builtin or has a rule (writes only via out=)."""
    base = func
    while isinstance(base, ast.Attribute):
        base = base.value
    if not isinstance(base, ast.Name):
        return False
    obj = env.get(base.id, getattr(builtins, base.id, None))
    if isinstance(obj, types.ModuleType):
        return obj.__name__.split(".")[0] in ("numpy", "math", "cmath", "scipy", "copy")
    if obj is None:
        return False
    if isinstance(obj, (types.BuiltinFunctionType, type, np.ufunc)) or obj is math:
        return True
    from ..rules import lookup
    return (getattr(obj, "__module__", None) or "").split(".")[0] in ("numpy", "scipy", "copy") or \
        lookup(obj) is not None   # (a function with a rule: scipy.special.logsumexp)


class _Writes(ast.NodeVisitor):
    """Collects the names a function body may write through, and the local
    names that may be views of other names."""

    def __init__(self, env: dict, lists: frozenset = frozenset(), nested: dict | None = None, direct: bool = False):
        self.env = env
        self.direct = direct        # callees' writes by their parameters' own names only (``written_params``)
        self.lists = lists          # local names bound to a list display or comprehension
        self.nested = nested or {}  # functions defined in the body: name -> (parameters, body)
        self.touched: set = set()   # names written through
        self.aliases: dict = {}     # local name -> set of names it may view
        self.through_memory: set = set()   # ... other than by ``x op= e`` on the bare name
        self.local_names: set = set()      # names the body binds (not the module's of the same name)
        self.params: set = set()           # its parameters never bound again

    def mark(self, node: ast.AST, bare: bool = False) -> None:
        for name in _roots(node):
            self.touched.add(name)
            if not bare:
                self.through_memory.add(name)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, (ast.Subscript, ast.Attribute)):
                self.mark(target)
            elif isinstance(target, ast.Name):
                roots = _roots(node.value)
                if roots:
                    self.aliases.setdefault(target.id, set()).update(roots)
                elif isinstance(node.value, ast.Call) and not _is_library(node.value.func, self.env):
                    # a function of the user's may return a view of an argument (``t = tail(x)``)
                    for a in node.value.args:
                        if _root(a) is not None:
                            self.aliases.setdefault(target.id, set()).add(_root(a))
            elif isinstance(target, (ast.Tuple, ast.List)):
                # ``a, b = u, work`` (a ping-pong swap): each name may view any array the value names
                roots = {_root(v) for v in ast.walk(node.value) if _root(v) is not None}
                for t in _elements(target):   # (not into an element's index: ``A[idx[i], 0]`` reads idx)
                    if isinstance(t, ast.Name):
                        self.aliases.setdefault(t.id, set()).update(roots)
                    elif isinstance(t, (ast.Subscript, ast.Attribute)):
                        self.mark(t)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        # ``for k in (k1, k2):``: the loop name views each array the iterable names
        roots = {_root(v) for v in ast.walk(node.iter) if _root(v) is not None}
        for t in ast.walk(node.target):
            if isinstance(t, ast.Name):
                self.aliases.setdefault(t.id, set()).update(roots)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.mark(node.target, bare=isinstance(node.target, ast.Name))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        keywords = {kw.arg: kw.value for kw in node.keywords}
        out = keywords.get(writes.OUT)
        if out is not None:
            for elt in (out.elts if isinstance(out, ast.Tuple) else [out]):
                self.mark(elt)
        for elt in _positional_out(func, node, self.env):   # (np.sin(x, x), np.sum(a, 0, None, s))
            self.mark(elt)
        if isinstance(func, ast.Attribute):
            for table in (writes.FUNCTIONS, writes.UFUNC_METHODS):
                written = writes.written_argument(func.attr, node.args, keywords, table)
                if written is not None:
                    self.mark(written)
        if isinstance(func, ast.Attribute) and _root(func.value) is not None and (
                func.attr in writes.METHODS or not _is_library(func, self.env) and func.attr not in _READ_METHODS):
            self.mark(func.value)
        array_method = isinstance(func, ast.Attribute) and func.attr in _READ_METHODS and \
            (_root(func.value) is not None or isinstance(func.value, ast.Call)) and \
            _python_function(func, self.env) is None   # (np.exp(x).dot(w) reads w)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.lists \
                and func.attr in ("append", "extend", "insert"):
            for a in node.args:   # a local list's append writes nothing: the list holds its argument
                if _root(a) is not None:
                    self.aliases.setdefault(func.value.id, set()).add(_root(a))
            self.generic_visit(node)
            return
        if isinstance(func, ast.Name) and func.id in self.nested:
            self.nested_call(node)
            return
        if isinstance(func, ast.Name) and func.id in self.env and self.env[func.id] is None:
            self.generic_visit(node)   # (a call of None raises before it could write: ``prev(x)`` never taken)
            return
        if not _is_library(func, self.env) and not array_method:   # (``x.dot(y)`` reads y)
            callee = _python_function(func, self.env)
            written = set() if _is_differentiated(callee) else \
                _callee_writes(callee, self.direct, self.functions_passed(callee, node)) if callee is not None \
                else None
            if written is None:   # not known: any argument may be written
                for arg in node.args:
                    self.mark(arg)
                for kw in node.keywords:
                    self.mark(kw.value)
            else:
                try:
                    bound = inspect.signature(callee).bind_partial(*node.args, **{
                        kw.arg: kw.value for kw in node.keywords if kw.arg is not None})
                except TypeError:
                    bound = None
                if bound is None or any(isinstance(a, ast.Starred) for a in node.args) or \
                        any(kw.arg is None for kw in node.keywords):
                    for arg in [*node.args, *(kw.value for kw in node.keywords)]:
                        self.mark(arg)
                else:
                    for name, value in bound.arguments.items():
                        for v in value if isinstance(value, tuple) else value.values() \
                                if isinstance(value, dict) else [value]:
                            if name in written:
                                self.mark(v)
        self.generic_visit(node)


    def functions_passed(self, callee, node: ast.Call) -> dict:
        """The callee's parameters this call binds to functions (``rk4(rhs, y)``): the callee's
        calls through them are calls of those functions."""
        try:
            bound = inspect.signature(callee).bind_partial(*node.args, **{
                kw.arg: kw.value for kw in node.keywords if kw.arg is not None}).arguments
        except (TypeError, ValueError):
            return {}
        out = {p: self.env[v.id] for p, v in bound.items()
               if isinstance(v, ast.Name) and v.id in self.env and v.id not in self.local_names
               and (inspect.isfunction(self.env[v.id]) or _is_differentiated(self.env[v.id]))}
        # a parameter of a function the call does not know, or one called as a function, which the
        # callee calls: its writes are checked at the call, with the function given (as a call of it here)
        called = _called_names(callee)
        out.update({p: None for p, v in bound.items() if isinstance(v, ast.Name) and p in called and p not in out
                    and (v.id in self.params or v.id in self.env and self.env[v.id] is None)})
        return out

    def nested_call(self, node: ast.Call) -> None:
        """A call of a function defined in the body: the arguments its parameters
        write (what it writes of the enclosing function's names is seen where it
        is defined)."""
        params, body = self.nested[node.func.id]
        inner = _Writes(self.env, self.lists, {**{k: v for k, v in self.nested.items() if k != node.func.id},
                                               **_nested_functions(ast.Module(body=body, type_ignores=[]))},
                        self.direct)
        for stmt in body:
            inner.visit(stmt)
        written = set(inner.through_memory) if self.direct else _closed(set(inner.touched), inner.aliases)
        for p, a in zip(params, node.args):
            if p in written:
                self.mark(a)
        for kw in node.keywords:
            if kw.arg is None or kw.arg in written:
                self.mark(kw.value)
        self.generic_visit(node)


def _called_names(f_) -> set:
    """The parameters ``f_`` calls by name (none where its source cannot be read)."""
    try:
        tree, params = _tree_and_params(f_)
    except (OSError, TypeError, SyntaxError, ValueError):
        return set()
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id in params}


def _positional_out(func: ast.AST, node: ast.Call, env: dict) -> list:
    """The arguments a numpy call writes as its ``out`` given by position: a ufunc's
    arguments after its inputs, a function's at the position of its ``out`` parameter."""
    chain = []
    while isinstance(func, ast.Attribute):
        chain.append(func.attr)
        func = func.value
    obj = env.get(func.id) if isinstance(func, ast.Name) else None
    for attr in reversed(chain):
        obj = getattr(obj, attr, None)
    if isinstance(obj, np.ufunc):
        return list(node.args[obj.nin:])
    names = writes.numpy_positional(obj)
    k = names.index(writes.OUT) if names and writes.OUT in names else None
    return [node.args[k]] if k is not None and k < len(node.args) else []


def _closed(written: set, aliases: dict) -> set:
    """``written`` with every name a written name may view."""
    changed = True
    while changed:
        changed = False
        for name, roots in aliases.items():
            if name in written and not roots <= written:
                written |= roots
                changed = True
    return written


def _nested_functions(fn) -> dict:
    """The functions defined in ``fn``'s body (``def``, ``g = lambda``, in a loop too): name -> (parameters,
    body), for the names bound once, to that function only (a name bound otherwise too is not known)."""
    out, bound = {}, collections.Counter()
    for s in (n for stmt in fn.body for n in ast.walk(stmt)):
        if isinstance(s, ast.FunctionDef):
            out[s.name] = ([a.arg for a in s.args.posonlyargs + s.args.args], s.body)
            bound[s.name] += 1
        elif isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and isinstance(s.value, ast.Lambda):
            lam = s.value
            out[s.targets[0].id] = ([a.arg for a in lam.args.posonlyargs + lam.args.args], [ast.Expr(lam.body)])
        elif isinstance(s, ast.Name) and isinstance(s.ctx, ast.Store):
            bound[s.id] += 1
    return {name: f for name, f in out.items() if bound[name] == 1}


def _python_function(func: ast.AST, env: dict):
    """The Python function a call's target names (``helper``, ``m.helper``), or None."""
    chain = []
    while isinstance(func, ast.Attribute):
        chain.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name) or func.id not in env:
        return None
    obj = env[func.id]
    for attr in reversed(chain):
        obj = getattr(obj, attr, None)
    obj = plain_function(obj)   # (a function numba compiles: its Python function)
    return obj if inspect.isfunction(obj) or _is_differentiated(obj) else None


def _is_differentiated(obj) -> bool:
    """A function made by ``differentiate``: pure, it writes none of its arguments."""
    return getattr(type(obj), "pure_function_of_kernel", False)


_ANALYSING: list = []


def _callee_writes(f_: Callable, direct: bool = False, functions: dict | None = None) -> set | None:
    """The parameters a called Python function may write (``direct``: by their own
    names), or None if its source cannot be read (or it calls itself). ``functions``:
    its parameters that hold a known function."""
    if f_ in _ANALYSING:
        return None
    _ANALYSING.append(f_)
    try:
        return written_params(f_, through_memory=direct, direct=direct, functions=functions)
    except (SourceError, SyntaxError):
        return None
    finally:
        _ANALYSING.pop()


def _tree_and_params(f_: Callable) -> tuple:
    """The parsed source of ``f_`` and its parameter names."""
    return ast.parse(textwrap.dedent(inspect.getsource(f_))), set(inspect.signature(f_).parameters)


def rebound_params(f_: Callable) -> set:
    """Parameters of ``f_`` it binds to other values (``x = ...``, ``a, b = b, a``)."""
    tree, params = _tree_and_params(f_)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in params}


def indexed_params(f_: Callable) -> set:
    """Parameters of ``f_`` it indexes by their own name (``z[...]``, ``z[0]``) or reads an
    array's attribute of (``z.size``, ``z.shape``, ``z.sum()``: a float has none of them): a
    tape's 0-d tensor given for one is passed as a 0-d array, not a float."""
    if f_ in _ANALYSING:
        return set()
    try:
        tree, params = _tree_and_params(f_)
    except (OSError, TypeError, ValueError, SyntaxError):
        return set()
    names = {p: p for p in params}   # (and the names a parameter is given to: ``y = x``, ``for v in (x, w)``)
    for n in ast.walk(tree):
        held = n.value if isinstance(n, ast.Assign) else n.iter if isinstance(n, ast.For) else None
        into = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.For) else []
        for v in ([held] if isinstance(n, ast.Assign) else getattr(held, "elts", None) or []):
            if isinstance(v, ast.Name) and v.id in params:
                names.update({t.id: v.id for t in into if isinstance(t, ast.Name)})
    out = {names[n.value.id] for n in ast.walk(tree)
           if isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.value, ast.Name) and n.value.id in names
           and not (isinstance(n, ast.Attribute) and hasattr(float, n.attr))}
    _ANALYSING.append(f_)
    try:   # and those it passes to a function that indexes them
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            callee = _python_function(call.func, dict(f_.__globals__))
            if callee is None or _is_differentiated(callee):
                continue
            try:
                bound = inspect.signature(callee).bind_partial(*call.args, **{
                    kw.arg: kw.value for kw in call.keywords if kw.arg is not None}).arguments
            except TypeError:
                continue
            inner = indexed_params(callee)
            out |= {v.id for q, v in bound.items() if q in inner and isinstance(v, ast.Name) and v.id in params}
    finally:
        _ANALYSING.remove(f_)
    return out


def written_params(f_: Callable, through_memory: bool = False, direct: bool = False,
                   functions: dict | None = None) -> set:
    """Parameters of ``f_`` that it may write (a superset of the true set);
    with ``through_memory``, those it may write other than by ``x op= e`` on
    the parameter's own name (which rebinds a float: ``x[...] = e`` does not);
    with ``direct`` (and ``through_memory``), only those written by their own
    name (``x[i] = e``; not through ``v = x[i]; v += e``, where ``v`` may be a number).
    ``functions``: parameters holding a known function (never bound again in the body),
    whose calls are that function's."""
    if getattr(f_, "_ad_lifted_tree", None) is not None:   # (a function made by the compiler: a partial's)
        fn = f_._ad_lifted_tree
    elif getattr(f_, "__name__", None) == "<lambda>":   # (a module's lambda, read as the def it is: one expression)
        from ..errors import AdCompilerError
        from ..frontend.parse import parse_function
        try:
            fn = parse_function(f_).tree
        except AdCompilerError as exc:   # (two lambdas on its line, *args: unread, any argument may be written)
            raise SourceError(exc.reason, hint=exc.hint) from None
    else:
        try:
            source = textwrap.dedent(inspect.getsource(f_))
        except (OSError, TypeError) as exc:
            raise SourceError(f"cannot read the source of {getattr(f_, '__name__', f_)!r}: {exc}",
                              hint="define the kernel with def in a file.") from None
        fn = next((n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))),
                  None)
    if fn is None:
        raise SourceError(f"{f_.__name__}: a lambda cannot be differentiated.",
                          hint="define the function with `def` in a file.")
    env = dict(f_.__globals__)
    if f_.__closure__:
        for name, cell in zip(f_.__code__.co_freevars, f_.__closure__):
            try:
                env[name] = cell.cell_contents
            except ValueError:
                pass
    stored = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    env.update({p: v for p, v in (functions or {}).items() if p not in stored})
    visitor = _Writes(env, frozenset(t.id for n in ast.walk(fn) if isinstance(n, ast.Assign)
                                     and isinstance(n.value, (ast.List, ast.ListComp))
                                     for t in n.targets if isinstance(t, ast.Name) and t.id not in env),
                       _nested_functions(fn), direct)
    visitor.local_names = stored | {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
                                    if a.arg not in (functions or {})}
    visitor.params = {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs} - stored
    for stmt in fn.body:
        visitor.visit(stmt)
    written = set(visitor.through_memory if through_memory else visitor.touched)
    changed = not direct
    while changed:
        changed = False
        for name, roots in visitor.aliases.items():
            if name in written and not roots <= written:
                written |= roots
                changed = True
    params = list(inspect.signature(f_).parameters)
    # (``direct``: a parameter bound again, ``x = x * 2; x[0] = 5.0``, is decided by the compiler's
    # analysis when the arguments' kinds are known: ``split.check_writes``)
    return {p for p in params if p in written and not (direct and p not in visitor.params)}
