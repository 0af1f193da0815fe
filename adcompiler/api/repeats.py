"""repeats: the reverse-mode calls of ``autodiff`` after the first, quickly.

A call whose arguments are all annotated (``Duplicated``, ``Const``,
``Active``) arrays and numbers, or plain numbers, that needed no defaults, is remembered by
its function, return activity, backend and checkpoint option with a checker
generated for its arguments' activities, types, ranks and dtypes (at most
``_PER_FUNCTION`` signatures per function, the newest first). A repeat runs
the checker, straight-line code without the general path's look-ups
(argument names, defaults, containers, the kinds and the cache's key), which
checks what depends on the arrays themselves as ``_prepare`` checks it: each
shadow has its array's shape, dtype and (2-D and up) C layout and can be
written, every array (value or shadow) owns its memory and is another object
than the others (so none shares memory with another), the written arguments
can be written, and the compiled code is still fresh (the function's code,
each module name it reads, its callees' code and defaults). Any other case
takes the general path, which raises what it raises.
"""
from __future__ import annotations

import builtins
import types

import numpy as np

from .. import activity as A
from ..codegen import cache
from ..codegen.compile import compile_source
from ..frontend.parse import parameters
from ..frontend.resolve import LIFTED, plain_function, same_keyword_defaults

_REPEATS: dict = {}
cache.on_clear.append(_REPEATS.clear)
_SCALARS = (float, int, bool, complex)
_PER_FUNCTION = 8


def _scan(args):
    """The signature of ``args`` (per argument, ``(activity, rank, dtype)`` for
    an array, ``(activity, type)`` for a number, ``(None, type)`` for a plain
    number, taken as Const), or None where a repeat of
    these arguments is not taken quickly."""
    sig, seen = [], set()
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
            sig.append((t, x.ndim, dtype))
        elif t in _SCALARS:   # (a plain number: a Const)
            sig.append((None, t))
        elif t is A.Const or t is A.Active:
            x = a.val
            tv = type(x)
            if tv is np.ndarray:
                if not x.flags.owndata or id(x) in seen:
                    return None
                seen.add(id(x))
                sig.append((t, x.ndim, x.dtype))
            elif tv in _SCALARS:
                sig.append((t, tv))
            else:
                return None
        else:
            return None
    return sig


def lookup(f, ret, backend, checkpoint, args):
    """``(signature, hit)``: ``signature`` under which the call may be remembered
    (None: it is not), ``hit`` the remembered ``(compiled, return activity, flat
    arguments)`` when this call is a repeat whose arguments pass the checks."""
    if not (checkpoint is None or type(checkpoint) in (int, str)) or type(backend) is not str \
            or not (ret is None or type(ret) in (type, str)):
        return None, None
    try:
        known = _REPEATS.get(f)
    except TypeError:   # (an unhashable callable)
        return None, None
    if known:
        n = len(args)
        for r, b, c, m, check, comp, ret_name in known:
            if m == n and r == ret and b == backend and c == checkpoint:
                flat = check(args)
                if flat is not None:
                    return None, (comp, ret_name, flat)
    return _scan(args), None


def remember(sig, f, ret, backend, checkpoint, args, given, comp, ret_name) -> None:
    """Remember a call (``sig`` from ``lookup``) that ``_prepare`` passed, when its
    arguments needed no defaults and no module array is the function's."""
    code = getattr(f, "__code__", None)
    if sig is None or code is None or len(args) != given or given != len(parameters(f)[0]) \
            or comp.module_arrays:
        return
    writes = {k for k in comp.writes if isinstance(k, int) and 0 <= k < given}
    check = _checker(f, code, sig, writes, _names(comp, f), comp)
    if len(_REPEATS) > 256:
        _REPEATS.clear()
    known = [e for e in _REPEATS.get(f, ()) if e[4].signature != (ret, backend, checkpoint, tuple(sig))]
    entry = (ret, backend, checkpoint, given, check, comp, ret_name)
    check.signature = (ret, backend, checkpoint, tuple(sig))
    _REPEATS[f] = [entry, *known][:_PER_FUNCTION]


def _checker(f, code, sig, writes, names, comp):
    """The generated function of ``args`` that returns the flat arguments (each
    array, then its shadow) when a call with ``args`` is a repeat of ``sig``,
    else None."""
    ns = {"_F": f, "_CODE": code, "_ndarray": np.ndarray, "_builtins": builtins, "_MISSING": _MISSING,
          "_same_plain": _same_plain, "_fresh": comp.fresh, "_same_kw": same_keyword_defaults}
    params = [f"a{k}" for k in range(len(sig))]
    body = [f"    {', '.join(params)}{',' if len(params) == 1 else ''} = args"] if params else []
    body.append("    if _F.__code__ is not _CODE:\n        return None")
    flat, arrays, types_ = [], [], []
    for k, s in enumerate(sig):
        ns[f"_T{k}"] = s[0] if s[0] is not None else s[1]
        types_.append(f"type(a{k}) is not _T{k}")
    if types_:
        body.append(f"    if {' or '.join(types_)}:\n        return None")
    for k, s in enumerate(sig):
        t = s[0]
        if t is None:   # (a plain number, its type checked above)
            flat.append(f"a{k}")
            continue
        # (a Const's value as given: a record's would be read field by field, and is not taken here)
        read = f"    if a{k}._record:\n        return None\n    v{k} = a{k}._given\n" if t is A.Const else \
            f"    v{k} = a{k}.val\n"
        if len(s) == 2:   # (a number)
            ns[f"_S{k}"] = s[1]
            body.append(f"{read}    if type(v{k}) is not _S{k}:\n        return None")
            flat.append(f"v{k}")
            continue
        _, rank, dtype = s
        ns[f"_D{k}"] = dtype
        body.append(f"{read}    if type(v{k}) is not _ndarray or v{k}.dtype is not _D{k} "
                    f"or v{k}.ndim != {rank}:\n        return None")
        # (flags.num, one read of the flags: C-contiguous 1, owns its data 4, writeable 0x400)
        dup, c = t is A.Duplicated, rank >= 2 and t is A.Duplicated
        need = _OWN | (_WRITEABLE if k in writes else 0) | (_C if c else 0)
        body.append(f"    if v{k}.flags.num & {need} != {need}:\n        return None")
        flat.append(f"v{k}")
        arrays.append(f"v{k}")
        if dup:
            # (a C-contiguous array and shadow of one shape have one layout; a 1-D one may be strided)
            same = f"v{k}.shape != d{k}.shape" + ("" if c else f" or v{k}.strides != d{k}.strides")
            need = _OWN | _WRITEABLE | (_C if c else 0)
            body.append(f"    d{k} = a{k}._dval\n    if type(d{k}) is not _ndarray or d{k}.dtype is not _D{k} "
                        f"or d{k}.flags.num & {need} != {need} or {same}:\n        return None")
            flat.append(f"d{k}")
            arrays.append(f"d{k}")
    if len(arrays) > 1:   # (another object each: two arrays that own their memory share none)
        body.append(f"    if len({{{', '.join(f'id({a})' for a in arrays)}}}) != {len(arrays)}:\n        return None")
    body.extend(_name_checks(names, ns))
    body.append(f"    return ({', '.join(flat)}{',' if len(flat) == 1 else ''})")
    source = "def check(args):\n" + "\n".join(body) + "\n"
    return compile_source(source, ns, f"repeat check of {getattr(f, '__qualname__', 'a kernel')}")["check"]


def _name_checks(names, ns) -> list:
    """Lines of the checker: each name of ``_names`` still means the same object
    (``Compiled.fresh`` where the names are not all plain module names)."""
    if names is None:
        return ["    if not _fresh(_F):\n        return None"]
    out = []
    for k, (space, root, chain, obj) in enumerate(names):
        ns[f"_O{k}"] = obj
        if space is None:   # (a callee: its defaults, written into the calls, and its code)
            ns[f"_C{k}"] = root
            out.append(f"    if _C{k}.__defaults__ is not _O{k}[0] or not _same_kw(_C{k}, _O{k}[1]) "
                       f"or _C{k}.__code__ is not _O{k}[2]:\n        return None")
            continue
        ns[f"_G{k}"] = space
        line = f"    now = _G{k}.get({root!r}, _MISSING)\n    if now is _MISSING:\n" \
               f"        now = getattr(_builtins, {root!r}, _MISSING)\n"
        line += "".join(f"    now = getattr(now, {attr!r}, _MISSING)\n" for attr in chain)
        out.append(line + f"    if now is not _O{k} and not _same_plain(now, _O{k}):\n        return None")
    return out


_C, _OWN, _WRITEABLE = 0x1, 0x4, 0x400   # (numpy's NPY_ARRAY_C_CONTIGUOUS, _OWNDATA, _WRITEABLE)
_MISSING = object()
_METHODS = (types.BuiltinMethodType, types.MethodType)


def _names(comp, f):
    """``Compiled.fresh`` of ``f``'s entry as a tuple ``(module dictionary, name,
    attribute chain, object)`` per non-local name, checked by the generated
    checker (a callee's defaults and code: ``(None, callee, None, (defaults,
    keyword defaults, code))``); None where a name is not a plain module name or
    builtin (a closure's cell, a lifted name): ``fresh`` checks those."""
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


def _same_plain(now, obj) -> bool:
    """Whether ``now``, a name's object that is not ``obj``, still means ``obj`` (as ``Compiled.fresh``)."""
    now = plain_function(now)
    return now is obj or (isinstance(obj, _METHODS) and now == obj)
