"""repeats: the reverse-mode calls of ``autodiff`` after the first, quickly.

A call whose arguments are all annotated (``Duplicated``, ``Const``,
``Active``) arrays and numbers, that needed no defaults, is remembered by
its function, return activity, backend, checkpoint option and the
arguments' activities, types, ranks and dtypes: a repeat finds the compiled
code and return activity without the general path's look-ups (argument
names, defaults, containers, the kinds and the cache's key). What depends on
the arrays themselves is checked on every call, as ``_prepare`` checks it:
each shadow has its array's shape, dtype and (2-D and up) C layout and can
be written, every array (value or shadow) owns its memory and is another
object than the others (so none shares memory with another), the written
arguments can be written, and the compiled code is still fresh. Any other
case takes the general path, which raises what it raises.
"""
from __future__ import annotations

import builtins
import types

import numpy as np

from .. import activity as A
from ..codegen import cache
from ..frontend.parse import parameters
from ..frontend.resolve import LIFTED, plain_function

_REPEATS: dict = {}
cache.on_clear.append(_REPEATS.clear)
_SCALARS = (float, int, bool, complex)


def _scan(args):
    """(the key's part for ``args``, the flat argument list), or None where a
    repeat of these arguments is not taken quickly."""
    key, flat, seen = [], [], set()
    for a in args:
        t = type(a)
        if t is A.Duplicated:
            x, dx = a.val, a._dval
            if type(x) is not np.ndarray or type(dx) is not np.ndarray:
                return None
            dtype = x.dtype
            # (the same shape and strides as its array: then a C-contiguous shadow means a
            # C-contiguous array, and a shadow in another layout takes the general path, which
            # gives it a copy in its array's layout)
            if dtype is not dx.dtype or x.shape != dx.shape or x.strides != dx.strides:
                return None
            dflags = dx.flags
            if not (dflags.owndata and dflags.writeable and x.flags.owndata) \
                    or (x.ndim >= 2 and not dflags.c_contiguous):
                return None
            i, di = id(x), id(dx)
            if i in seen or di in seen or i == di:
                return None
            seen.add(i)
            seen.add(di)
            key.append((t, x.ndim, dtype.char))
            flat.append(x)
            flat.append(dx)
        elif t is A.Const or t is A.Active:
            x = a.val
            tv = type(x)
            if tv is np.ndarray:
                if not x.flags.owndata or id(x) in seen:
                    return None
                seen.add(id(x))
                key.append((t, x.ndim, x.dtype.char))
            elif tv in _SCALARS:
                key.append((t, tv))
            else:
                return None
            flat.append(x)
        else:
            return None
    return key, flat


def lookup(f, ret, backend, checkpoint, args):
    """``(key, hit)``: ``key`` under which the call is remembered (None: it is
    not), ``hit`` the remembered ``(compiled, return activity, flat
    arguments)`` when this call is a repeat whose arguments pass the checks."""
    if not isinstance(checkpoint, (int, str, type(None))) or not isinstance(backend, str):
        return None, None
    scanned = _scan(args)
    if scanned is None:
        return None, None
    part, flat = scanned
    key = (f, ret, backend, checkpoint, *part)
    try:
        known = _REPEATS.get(key)
    except TypeError:   # (an unhashable return activity)
        return None, None
    if known is None or known[4] is not getattr(f, "__code__", None):   # (the code swapped: not a repeat)
        return key, None
    comp, ret_name, writes, names, _ = known
    for k in writes:
        x = args[k].val
        if type(x) is np.ndarray and not x.flags.writeable:
            return key, None
    if not (_same_names(names) if names is not None else comp.fresh(f)):
        return key, None
    return key, (comp, ret_name, flat)


_MISSING = object()
_METHODS = (types.BuiltinMethodType, types.MethodType)


def _names(comp, f):
    """``Compiled.fresh`` of ``f``'s entry as a tuple ``(module dictionary, name,
    attribute chain, object)`` per non-local name, read back quickly by
    ``_same_names`` (a callee's defaults and code: ``(None, callee, None,
    (defaults, keyword defaults, code))``); None where a name is not a plain module
    name or builtin (a closure's cell, a lifted name): ``fresh`` checks those."""
    out = []
    for fn, name, obj in comp.free:
        if name == "__defaults__":
            out.append((None, fn, None, obj))
            continue
        if fn.__code__ is f.__code__:
            fn = f
        root, *chain = name.split(".")
        if root in (LIFTED.get(fn.__code__) or ()) or (fn.__closure__ and root in fn.__code__.co_freevars):
            return None
        out.append((fn.__globals__, root, tuple(chain), obj))
    return tuple(out)


def _same_names(names) -> bool:
    """Whether each name of ``_names`` still means the same object (as ``Compiled.fresh``)."""
    for space, root, chain, obj in names:
        if space is None:   # (a callee: its defaults, written into the calls, and its code)
            if root.__defaults__ is not obj[0] or root.__kwdefaults__ is not obj[1] or root.__code__ is not obj[2]:
                return False
            continue
        now = space.get(root, _MISSING)
        if now is _MISSING:
            now = getattr(builtins, root, _MISSING)
        for attr in chain:
            now = getattr(now, attr, _MISSING)
        now = plain_function(now)
        if now is not obj and not (isinstance(obj, _METHODS) and now == obj):
            return False
    return True


def remember(key, f, args, given, comp, ret_name) -> None:
    """Remember a call (``key`` from ``lookup``) that ``_prepare`` passed, when its
    arguments needed no defaults and no module array is the function's."""
    if key is None or len(args) != given or given != len(parameters(f)[0]) \
            or comp.module_arrays:
        return
    if len(_REPEATS) > 256:
        _REPEATS.clear()
    _REPEATS[key] = (comp, ret_name, frozenset(k for k in comp.writes if isinstance(k, int) and 0 <= k < given),
                     _names(comp, f), getattr(f, "__code__", None))
