"""Forward mode: ``autodiff(Forward, f, ret, *args)`` and vector mode."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import activity as A
from .. import pipeline
from ..analysis.kinds import COMPLEX, FLOAT, array, kind_of_value
from ..backends import choice
from ..errors import (
    ActivityError,
    AdCompilerError,
    AliasingError,
    ShapeError,
    located_at_definition,
)
from ..runtime.batch import tangent_dtype
from .arguments import (
    brief,
    check_dict_iteration,
    check_layout,
    dtype_chars,
    kernel_of,
    layout_copy,
    refuse_subclasses,
    shadows_in_layout,
)
from .arguments import check_alias as _check_alias
from .arguments import fill_defaults as _fill_defaults
from .arguments import param_names as _param_names
from .arguments import wrap as _wrap


def _ret_name(ret) -> str:
    if ret in (A.Duplicated, A.DuplicatedNoNeed) or isinstance(ret, A.Duplicated):
        return "Duplicated"
    if ret in (A.Const, None) or isinstance(ret, A.Const):
        return "Const"
    what = brief(ret)
    raise ActivityError(f"in forward mode the return activity is Duplicated or Const, not {what}.",
                        construct=what, hint="use Duplicated to get the return value's tangent.")


def _check(args, names):
    for a, name in zip(args, names):
        if isinstance(a, A.Active):
            raise ActivityError(f"`{name}` is Active, which is a reverse-mode activity.",
                                construct=f"Active({name})",
                                hint=f"in forward mode pass Duplicated({name}, tangent) for a float scalar.")
        if isinstance(a, A.Duplicated):
            x, dx = a.val, a.dval
            if isinstance(x, np.ndarray):
                if x.dtype.kind not in "fc":
                    raise ActivityError(f"`{name}` is Duplicated but has dtype {x.dtype}.",
                                        construct=f"Duplicated({name}, ...)", hint="pass integer arrays as Const.")
                if not isinstance(dx, np.ndarray) or dx.shape != x.shape or dx.dtype != x.dtype:
                    raise ShapeError(f"the tangent of `{name}` must be an array of shape {x.shape} and dtype {x.dtype}.",
                                     construct=f"Duplicated({name}, d{name})", hint=f"use np.zeros_like({name}).")
                check_layout(name, x, dx, "tangent",
                             f"create the tangent with np.zeros_like({name}) (or a copy in {name}'s order).")
            elif isinstance(x, (int, np.integer, bool, np.bool_)):
                raise ActivityError(f"`{name}` is Duplicated but is an integer ({type(x).__name__}): integers "
                                    "carry no derivatives (reverse mode refuses Active for them too).",
                                    construct=f"Duplicated({name}, ...)",
                                    hint=f"pass Const({name}), or Duplicated(float({name}), tangent) for a real number.")
            elif isinstance(x, (float, np.floating, complex, np.complexfloating)):
                if not isinstance(dx, (float, int, np.floating, np.integer, complex, np.complexfloating)):
                    raise ShapeError(f"the tangent of the scalar `{name}` must be a float.",
                                     construct=f"Duplicated({name}, d{name})", hint="pass a float tangent.")
                if isinstance(dx, (complex, np.complexfloating)) and not isinstance(x, (complex, np.complexfloating)):
                    raise ShapeError(f"the tangent of the real number `{name}` is complex ({dx!r}): a real number "
                                     "moves along the real line only.", construct=f"Duplicated({name}, d{name})",
                                     hint=f"pass a float tangent, or a complex `{name}` (complex({name})) to move it "
                                          "in the complex plane.")
            else:
                raise ActivityError(f"`{name}` is Duplicated but is a {type(x).__name__}.",
                                    construct=f"Duplicated({name}, ...)", hint="pass an array or a float.")


def _kind(a):
    v = a.val
    if isinstance(a, A.Duplicated) and not isinstance(v, np.ndarray):
        return COMPLEX if isinstance(v, (complex, np.complexfloating)) else FLOAT
    if isinstance(v, np.ndarray):
        return array(v.ndim, v.dtype.kind)
    return kind_of_value(v)


def compiled_forward(f, args, ret, backend="numpy"):
    """The (cached) tangent code of ``f`` for these annotated arguments."""
    kinds = tuple(_kind(a) for a in args)
    acts = tuple("Duplicated" if isinstance(a, A.Duplicated) else "Const" for a in args)
    dtypes = dtype_chars(args)
    return choice.compiled(f, kinds, acts, ret == "Duplicated", "forward", dtypes, backend)


@located_at_definition(1, kernel_of)
def autodiff_forward(mode: A.Mode, f: Callable, ret: Any, *args: Any, backend: str = "numpy") -> tuple:
    """Forward mode: Duplicated shadows carry tangents of initial values in and
    of final values out. Returns ``(tangent_of_return,)`` for a Duplicated
    return, ``()`` for Const; ForwardWithPrimal appends the primal return.
    Trailing parameters left out take their default values as Const."""
    f = kernel_of(f)
    backend = choice.check(backend)
    args = _fill_defaults(f, [_wrap(a) for a in args])
    if any(isinstance(a, A.BatchDuplicated) for a in args):
        return _batch(mode, f, ret, args, backend)
    args, restore = shadows_in_layout(args)
    if restore is not None:   # (a tangent in another layout than its array's: run on a copy in its layout)
        try:
            return autodiff_forward(mode, f, ret, *args, backend=backend)
        finally:
            restore()
    names = _param_names(f, len(args))
    _check(args, names)
    ret = _ret_name(ret)
    comp = compiled_forward(f, args, ret, backend)
    _check_alias(args, names, comp.writes, comp.module_arrays)
    for k, a in enumerate(args):   # (the tangent of an array the function writes is written with it)
        if k in comp.writes and isinstance(a, A.Duplicated) and isinstance(a.dval, np.ndarray) \
                and not a.dval.flags.writeable:
            raise ActivityError(f"the tangent of `{names[k]}` is read-only, and the function writes `{names[k]}`.",
                                construct=f"d{names[k]}", hint="pass a writeable array (a copy).")
    check_dict_iteration(f, args, names)
    flat = []
    for a in args:
        flat.append(a.val)
        if isinstance(a, A.Duplicated):
            flat.append(a.dval)
    value, dvalue = comp.fwd(*flat)
    _check_returned(ret, value)
    out = (dvalue,) if ret == "Duplicated" else ()
    if mode.with_primal:
        out = out + (value,)
    return out


def _check_returned(ret, value):
    """A Duplicated return needs a value (a path returning None gave the tangent 0)."""
    if ret == "Duplicated" and value is None:
        raise ActivityError("the return activity is Duplicated but the function returned None.",
                            construct="Duplicated",
                            hint="return a value on every path, or use Const as the return activity.")


def _batch(mode, f, ret, args, backend="numpy"):
    """Vector mode: k tangents propagated together, each tangent carrying a
    leading axis of length k (``transform/batch.py``). Code that has no
    vector form runs one tangent sweep per direction instead, on copies of the
    inputs, the last one on the arguments themselves so that the primal side
    effects happen exactly once. Under ``backend="numba"`` each direction is
    such a sweep, compiled (the vector form is numpy code)."""
    for a in args:
        if isinstance(a, A.Duplicated) and not isinstance(a, A.BatchDuplicated):
            raise ActivityError("Duplicated and BatchDuplicated arguments in one call: vector mode takes k "
                                "tangents for every differentiated argument.", construct="BatchDuplicated",
                                hint="pass each differentiated argument as BatchDuplicated (zero tangents where "
                                     "it has none), or make the call with Duplicated arguments only.")
    ks = {len(a.dvals) for a in args if isinstance(a, A.BatchDuplicated)}
    if len(ks) != 1:
        raise ShapeError("every BatchDuplicated argument needs the same number of tangents.",
                         construct="BatchDuplicated", hint="pass k tangents for each.")
    k = ks.pop()
    if k == 0:
        raise ShapeError("BatchDuplicated needs at least one tangent (k = 0 would run nothing).",
                         construct="BatchDuplicated", hint="pass one tangent per direction, or call f itself.")
    for a in args:
        if isinstance(a, A.BatchDuplicated) and not np.iscomplexobj(a.val) and any(np.iscomplexobj(d) for d in a.dvals):
            raise ShapeError("a complex tangent for a real argument.", construct="BatchDuplicated",
                             hint="give real tangents for real arguments (complex ones for complex arguments).")
    _check_directions_apart(f, args)
    if not any(type(a) is A.Duplicated for a in args) and k > 0 and backend != "numba":
        try:
            return _batch_vectorised(mode, f, ret, args, k)
        except AdCompilerError:
            pass
    return _batch_loop(mode, f, ret, args, k, backend)


def _check_directions_apart(f, args) -> None:
    """The tangent arrays of two directions of arguments the function writes never
    share memory (one direction would overwrite the other; a tangent only read,
    zeros given for every direction, may be one array), nor any tangent an
    argument's value; within one direction the shadows are checked as
    ``Duplicated`` ones are."""
    names = _param_names(f, len(args))
    refuse_subclasses(args, names)
    bufs = [(i, p, d) for i, a in enumerate(args) if isinstance(a, A.BatchDuplicated)
            for p, d in enumerate(a.dvals) if isinstance(d, np.ndarray)]
    vals = [(names[i], a.val) for i, a in enumerate(args) if isinstance(a.val, np.ndarray)]
    written = None
    for m, (i, p, d1) in enumerate(bufs):
        for j, q, d2 in bufs[m + 1:]:
            if p != q and np.may_share_memory(d1, d2) and np.shares_memory(d1, d2):
                written = _written(f, args) if written is None else written
                if i in written or j in written:
                    raise AliasingError(
                        f"the tangent of direction {p} of `{names[i]}` and the tangent of direction {q} of "
                        f"`{names[j]}` share memory, and the function writes `{names[i if i in written else j]}`.",
                        construct="BatchDuplicated", hint="give each direction its own tangent array (np.zeros_like).")
        for n2, v in vals:
            if np.may_share_memory(d1, v) and np.shares_memory(d1, v):
                raise AliasingError(f"the tangent of direction {p} of `{names[i]}` shares memory with `{n2}`.",
                                    construct="BatchDuplicated", hint="tangents must be separate arrays.")


def _written(f, args) -> set:
    """The positions of the arguments ``f`` writes (all of them where it cannot be analysed)."""
    try:
        return set(pipeline.analyse(f, tuple(_kind(a) for a in args)).param_writes())
    except AdCompilerError:
        return set(range(len(args)))


def _batch_vectorised(mode, f, ret, args, k):
    names = _param_names(f, len(args))
    single = [A.Duplicated(a.val, a.dvals[0]) if isinstance(a, A.BatchDuplicated) else a for a in args]
    _check(single, names)
    for a, name in zip(args, names):
        if isinstance(a, A.BatchDuplicated):
            _check([A.Duplicated(a.val, d) for d in a.dvals], [name] * k)
    ret = _ret_name(ret)
    kinds = tuple(_kind(a) for a in single)
    acts = tuple("Duplicated" if isinstance(a, A.BatchDuplicated) else "Const" for a in args)
    dtypes = dtype_chars(args)

    comp = pipeline.compiled(f, kinds, acts, ret == "Duplicated", "batch", dtypes)
    _check_alias(single, names, comp.writes, comp.module_arrays)
    flat, stacked = [], {}
    for i, a in enumerate(args):
        flat.append(a.val)
        if isinstance(a, A.BatchDuplicated):
            stacked[i] = np.stack([np.asarray(d, dtype=tangent_dtype(a.val)) for d in a.dvals])
            flat.append(stacked[i])
    value, dvalue = comp.fwd(*flat)
    _check_returned(ret, value)
    for i, t in stacked.items():
        for j, d in enumerate(args[i].dvals):
            if isinstance(d, np.ndarray):
                d[...] = t[j]
    out = (tuple(np.broadcast_to(dvalue, (k,))[j] if np.ndim(dvalue) == 0 else dvalue[j] for j in range(k)),) \
        if ret == "Duplicated" else ()
    if mode.with_primal:
        out = out + (value,)
    return out


def _copied(v, memo: dict):
    """``v`` for a direction before the last (which runs on the arguments
    themselves): arrays copied in their layout, containers (a list the function
    appends to, a dict it updates) deep-copied, so side effects happen once."""
    if id(v) in memo:
        return memo[id(v)]
    if isinstance(v, np.ndarray):
        memo[id(v)] = layout_copy(v)
    elif isinstance(v, (list, dict, set, tuple)):
        memo[id(v)] = copy.deepcopy(v, memo)
    else:
        return v
    return memo[id(v)]


def _batch_loop(mode, f, ret, args, k, backend="numpy"):
    results = []
    for j in range(k):
        last = j == k - 1
        call, memo = [], {}   # (one copy of an object passed twice, as the arguments share it)
        for a in args:
            v = a.val if last else _copied(a.val, memo)
            if isinstance(a, A.BatchDuplicated):
                call.append(A.Duplicated(v, a.dvals[j]))
            else:
                call.append(type(a)(v) if isinstance(a, A.Annotation) else v)
        results.append(autodiff_forward(mode if last else A.Forward, f, ret, *call, backend=backend))
    tangents = tuple(r[0] for r in results) if _ret_name(ret) == "Duplicated" else None
    out = (tangents,) if tangents is not None else ()
    if mode.with_primal:
        out = out + (results[-1][-1],)
    return out
