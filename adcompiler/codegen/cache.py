"""cache: one analysis per function and argument kinds, one transformation
per function and activity signature.

The key holds the function's code object and globals (so two functions with
the same name in different modules never share an entry), the argument kinds
(rank and dtype), the activities, the return activity and the adcompiler
version. The non-local names the function reads are checked on every hit: if
the user rebinds one, the entry is rebuilt. Thread-safe: concurrent callers of
the same signature wait for a single transformation.
"""
from __future__ import annotations

import functools
import threading
import types
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..frontend.resolve import current_value, same_keyword_defaults
from ..rules import registry

lock = threading.RLock()
_lock = lock
_entries: dict = {}
_building: dict = {}
stats = {"transforms": 0, "hits": 0}
analyses: dict = {}     # (function, argument kinds) -> analysis.summary.Analysis
analysing: list = []    # the functions being analysed (a recursion is refused)


@dataclass
class Compiled:
    """A generated module, compiled: its source, the functions callers use
    (``fwd``/``rev`` halves, ``fused`` reverse function), the main function's
    names, the non-local names it read and which parameters it writes."""

    source: str
    fwd: object
    rev: object
    info: object
    free: list             # (function, name, object): see ``fresh``
    fused: object = None
    writes: frozenset = frozenset()   # the parameters whose memory on entry may be written
    origins: dict = field(default_factory=dict)   # line of the source -> the user's (file, line, text)

    @functools.cached_property
    def module_arrays(self) -> list:
        """(name, object, paths) of the arrays the module's functions read from their modules,
        and of the dicts, lists and tuples they read (what those hold is memory too, looked up
        at each call: ``api.arguments.check_alias``; a dict holding numbers now may hold an
        array later). ``paths``: the constant subscripts a function reads the object by
        (``D["W"][i]``: ``("W",)``), ``()`` for all of it."""
        out = []
        for fn, name, obj in self.free:
            if name != "__defaults__" and (isinstance(obj, (np.ndarray, dict, list)) or
                                           isinstance(obj, tuple) and _holds_containers(obj)):
                out.append((name, obj, ((),) if isinstance(obj, np.ndarray) else _read_paths(fn, name)))
        return out

    def fresh(self, func) -> bool:
        """Whether every non-local name of every function in the module (the
        function's own and its callees': a module constant a helper reads) still
        means the same object (the generated code holds the objects it was made with).
        ``func`` is the function called: another closure made by the same factory
        shares the entry's key, and its own values are compared."""
        for fn, name, obj in self.free:
            if name == "__defaults__":   # a callee's defaults, written into the calls (and its code)
                if fn.__defaults__ is not obj[0] or not same_keyword_defaults(fn, obj[1]) or fn.__code__ is not obj[2]:
                    return False
                continue
            if fn.__code__ is func.__code__:
                fn = func   # (another closure of the same code: the values it holds are the ones to compare)
            now = current_value(fn, name, obj)
            if now is not obj and not (isinstance(obj, (types.BuiltinMethodType, types.MethodType)) and now == obj):
                return False   # (a bound method, np.add.at, is a new object at each look-up: equal, not the same)
        return True


def get(func, key_rest, build):
    key = (func.__code__, id(func.__globals__), key_rest, __version__)
    while True:
        with _lock:
            entry = _entries.get(key)
            if entry is not None and entry.fresh(func):
                stats["hits"] += 1
                return entry
            ev = _building.get(key)
            if ev is None:
                ev = threading.Event()
                _building[key] = ev
                break
        ev.wait()
    try:
        entry = build()
        with _lock:
            _entries[key] = entry
            stats["transforms"] += 1
        return entry
    finally:
        with _lock:
            _building.pop(key, None)
        ev.set()


#: what else to forget with the cache (the API's table of recent calls)
on_clear: list = []


def clear():
    """Forget every analysis and every compiled module."""
    with _lock:
        _entries.clear()
        analyses.clear()
        for forget in on_clear:
            forget()


# a rule registered (or registered again, corrected) after code was generated with the old one
registry.on_register.append(clear)



def _holds_containers(v, depth=0) -> bool:
    """Whether a tuple holds an array, dict or list (nested tuples too): what could be memory."""
    return any(isinstance(x, (np.ndarray, dict, list)) or isinstance(x, tuple) and depth < 8
               and _holds_containers(x, depth + 1) for x in v)


def _read_paths(fn, name) -> tuple:
    """The constant subscripts by which ``fn`` reads its non-local ``name`` (``((),)``: all of it)."""
    import ast
    import inspect
    import textwrap
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return ((),)
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    paths = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
            path, node = [], n
            while isinstance(parents.get(node), ast.Subscript) and parents[node].value is node \
                    and isinstance(parents[node].slice, ast.Constant):
                node = parents[node]
                path.append(node.slice.value)
            paths.add(tuple(path))
    return tuple(sorted(paths, key=repr)) or ((),)
