"""choice: which backend compiles a function, and the record of why.

``backend="numpy"`` (the default) runs the generated code as Python over
numpy; ``"numba"`` compiles it with numba and refuses what numba cannot
compile; ``"auto"`` takes numba for a function whose work is in element loops
(a loop that reads or writes single elements, ``x[i]``) and numpy otherwise,
and falls back to numpy when numba is missing or refuses the code (before
anything has run), or stops partway on arguments of a layout its code has not run
on before (their arrays restored from copies first). Each decision is recorded: ``backend_report(f)`` lists
them for ``f``.
"""
from __future__ import annotations

import ast
import dataclasses
import threading
from dataclasses import dataclass

import numpy as np

from ..codegen import cache
from ..errors import AdCompilerError, BackendError

BACKENDS = ("numpy", "numba", "auto")
_lock = threading.Lock()
_reports: dict = {}     # function -> [Decision]
_autos: dict = {}       # (function, signature) -> the auto-chosen Compiled


def _forget_compiled() -> None:
    """Forget the auto-chosen code with the cache's (a rule registered again: new code)."""
    with _lock:
        _autos.clear()


cache.on_clear.append(_forget_compiled)


@dataclass(frozen=True)
class Decision:
    """One choice of backend: for which function and mode, what was asked, what runs and why."""

    function: str
    mode: str
    asked: str
    backend: str
    reason: str

    def __str__(self):
        return f"{self.function} ({self.mode}, backend={self.asked!r}): {self.backend}: {self.reason}"


def check(backend) -> str:
    if backend not in BACKENDS:
        raise AdCompilerError(f"unknown backend {backend!r}.", construct=f"backend={backend!r}",
                              hint="choose 'numpy', 'numba' or 'auto'.")
    return backend


def record(func, mode, asked, backend, reason) -> None:
    d = Decision(getattr(func, "__qualname__", repr(func)), mode, asked, backend, reason)
    with _lock:
        entries = _reports.setdefault(func, [])
        if d in entries:   # (made again: the newest, last)
            entries.remove(d)
        entries.append(d)


def backend_report(func) -> list:
    """The backend decisions made for ``func`` so far (``Decision`` entries,
    printable), newest last; empty before it was differentiated."""
    with _lock:
        return list(_reports.get(getattr(func, "__wrapped__", func), []))


def element_loop(func) -> str | None:
    """Why ``func``'s work is in element loops (the first loop that indexes
    single elements), or None."""
    from ..frontend.parse import parse_function
    try:
        tree = parse_function(func).tree
    except AdCompilerError:
        return None
    for loop in ast.walk(tree):
        if not isinstance(loop, (ast.For, ast.While)):
            continue
        for node in ast.walk(loop):
            if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice) and not (
                    isinstance(node.slice, ast.Tuple) and any(isinstance(e, ast.Slice) for e in node.slice.elts)):
                return f"its loop at line {loop.lineno} works element by element ({ast.unparse(node)})"
    return None


#: why single-precision arguments are refused under numba (``{}``: their dtype)
SINGLE_PRECISION = ("computes {} values in double precision where they meet a Python float (as in "
                    "`s = 0.0; s += x[i]`, an example), which numpy computes in single precision: the values, and the branches taken "
                    "on them, could differ from the function's.")


def _refuse(func, reason: str, otherwise: str):
    """Refuse ``func`` under backend='numba', at its definition."""
    code = func.__code__
    raise BackendError(reason, filename=code.co_filename, lineno=code.co_firstlineno, construct=func.__name__,
                       hint=f"use backend='numpy' (backend='auto' falls back by itself), or {otherwise}")


def _single_precision(dtypes: str) -> str | None:
    """The single-precision dtype among the arguments' (``dtypes``: their dtype chars), if any."""
    for char, name in (("e", "float16"), ("f", "float32"), ("F", "complex64")):
        if char in dtypes:
            return name
    return None


def compiled(func, kinds, acts, ret_active, mode, dtypes, backend, checkpoint=None):
    """``pipeline.compiled`` under ``backend`` (see the module docstring);
    ``checkpoint`` runs under numpy (``auto`` picks numpy for it)."""
    from .. import pipeline
    from . import numba as nb
    check(backend)
    if backend == "numpy":
        return pipeline.compiled(func, kinds, acts, ret_active, mode, dtypes, checkpoint=checkpoint)
    passed = _functions_passed(func, kinds)
    single = _single_precision(dtypes)
    if backend == "numba" and passed:
        _refuse(func, f"the numba backend cannot compile a function passed as an argument (`{passed}`): numba "
                      "takes no Python function as an argument.", "call the function by its module-level name "
                                                                 "in the kernel.")
    held = _dicts_passed(func, kinds)
    if backend == "numba" and held:
        _refuse(func, f"the numba backend cannot take a dict (`{held}`): numba types no Python dict passed to "
                      "compiled code.", f"pass the values as a namedtuple (a record numba types) or as "
                                        f"arguments of their own in place of `{held}`.")
    if backend == "numba" and single:
        _refuse(func, f"the numba backend {SINGLE_PRECISION.format(single)}", "pass float64 arrays.")
    if backend == "numba":
        comp = pipeline.compiled(func, kinds, acts, ret_active, mode, dtypes, backend="numba", checkpoint=checkpoint)
        record(func, mode, backend, "numba", "asked for")
        return comp
    if checkpoint is not None:
        record(func, mode, "auto", "numpy", "checkpoint= runs under numpy")
        return pipeline.compiled(func, kinds, acts, ret_active, mode, dtypes, checkpoint=checkpoint)
    key = (func, mode, kinds, acts, ret_active, dtypes)
    with _lock:
        if key in _autos and _autos[key].fresh(func):
            return _autos[key]

    def numpy(reason):
        record(func, mode, "auto", "numpy", reason)
        return pipeline.compiled(func, kinds, acts, ret_active, mode, dtypes)
    if single:
        return numpy(f"{single} arguments: numba computes them in double precision beside Python floats")
    why = element_loop(func)
    if passed:
        return numpy(f"a function is passed as an argument (`{passed}`), which numba does not take")
    if held:
        return numpy(f"a dict is passed as an argument (`{held}`), which numba does not take")
    if mode not in ("reverse", "forward"):
        return numpy(f"the numba backend does not do {mode} mode")
    if why is None:
        return numpy("no element loops (numpy operations on whole arrays run as fast under numpy)")
    if not nb.available():
        return numpy(f"{why}, but numba is not installed")
    try:
        comp = pipeline.compiled(func, kinds, acts, ret_active, mode, dtypes, backend="numba")
    except BackendError as e:
        return numpy(f"numba refused it: {e}")
    record(func, mode, "auto", "numba", why)
    auto = _fallback(comp, lambda e: numpy(f"numba refused it: {e}"))
    with _lock:
        _autos[key] = auto
    return auto


def _parameter(func, kinds, holds) -> str | None:
    """The name of the first parameter whose kind ``holds`` (a test of a kind), or None."""
    import inspect
    return next((name for name, k in zip(inspect.signature(func).parameters, kinds) if holds(k)), None)


def _dicts_passed(func, kinds) -> str | None:
    """The name of a parameter holding a dict (``cfg["scale"]``), or None."""
    return _parameter(func, kinds, lambda k: getattr(k, "keys", None) is not None and not getattr(k, "fields", None))


def _functions_passed(func, kinds) -> str | None:
    """The name of a parameter holding a function (``rk4(rhs, ...)``), or None."""
    return _parameter(func, kinds, lambda k: getattr(k, "cls", None) == "function")


def _layout(args) -> tuple:
    """What decides whether numba's code can run on these arguments where numpy's can
    (its reshape of an array that is not contiguous raises): types, ranks and contiguity."""
    return tuple((type(a), a.ndim, a.flags.c_contiguous, a.flags.f_contiguous) if isinstance(a, np.ndarray)
                 else tuple(_layout(a)) if isinstance(a, (list, tuple)) else type(a) for a in args)


def _arrays(args) -> list:
    """The writeable arrays among ``args`` and in their lists, tuples and dicts."""
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            if a.flags.writeable:
                out.append(a)
        elif isinstance(a, (list, tuple)):
            out += _arrays(a)
        elif isinstance(a, dict):
            out += _arrays(list(a.values()))
    return out


def _fallback(comp, to_numpy):
    """``comp`` (numba) whose functions switch to numpy's for good when numba
    refuses them at their first call (a refusal happens before anything runs), or
    stops partway on arguments of a layout not run before (their arrays are put back
    first, from copies taken for that first run); forward halves mark the tape with the
    backend that wrote it."""
    state = {"numpy": None}
    ran_on = set()   # (layouts numba's code has run on to the end)

    def pick(e, saved):
        if getattr(e, "ran", False):   # (numba stopped partway: the arguments may be half updated)
            if saved is None:
                raise e
            for a, c in saved:
                np.copyto(a, c)
        if state["numpy"] is None:
            state["numpy"] = to_numpy(e)
        return state["numpy"]

    def numba_call(fn, args):
        layout = _layout(args)
        saved = None if layout in ran_on else [(a, a.copy()) for a in _arrays(args)]
        try:
            out = fn(*args)
        except BackendError as e:
            pick(e, saved)
            return None, False
        ran_on.add(layout)
        return out, True

    def fused(*args):
        if state["numpy"] is None:
            out, done = numba_call(comp.fused, args)
            if done:
                return out
        return state["numpy"].fused(*args)

    split = comp.rev is not None
    fused.seeds_return = getattr(comp.fused, "seeds_return", False)

    def fwd(*args):
        if state["numpy"] is None:
            out, done = numba_call(comp.fwd, args)
            if done:
                if split:
                    args[-1].append("numba")
                return out
        out = state["numpy"].fwd(*args)
        if split:
            args[-1].append("numpy")
        return out

    def rev(*args):
        which = args[-1].pop()
        return (comp if which == "numba" else state["numpy"]).rev(*args)
    return dataclasses.replace(comp, fwd=fwd, rev=rev if comp.rev is not None else None,
                               fused=fused if comp.fused is not None else None)


def clear() -> None:
    with _lock:
        _reports.clear()
        _autos.clear()
