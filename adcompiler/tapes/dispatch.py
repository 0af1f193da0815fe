"""Route a call of a ``differentiate`` function to the tape its arguments use.

A framework is recognised only if it is already imported (``sys.modules``),
so plain numpy callers never import torch or JAX. Arguments from two
frameworks in one call are refused: no tape can see the other's gradient.
"""
from __future__ import annotations

import sys
from typing import Any

from ..activity import record_fields
from ..errors import AdCompilerError
from ..frontend.resolve import plain_function
from . import split


def framework_of(value: Any) -> str | None:
    """'autograd', 'torch', 'jax' or None (plain values)."""
    ag = sys.modules.get("autograd.tracer")
    if ag is not None and isinstance(value, ag.Box):
        return "autograd"
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return "torch"
    jax = sys.modules.get("jax")
    if jax is not None and isinstance(value, jax.Array):
        return "jax"
    return None


def call(w: Any, values: list) -> Any:
    """Evaluate the pure function ``w`` on ``values`` (in ``w.inputs`` order)."""
    seen: dict = {}
    for name, v in zip(w.inputs, values):
        fw = framework_of(v)
        if fw is not None:
            seen.setdefault(fw, name)
            continue
        held = record_fields(v)   # (a record: its fields)
        if isinstance(held, (list, tuple, dict)):
            inner = _framework_inside(held)
            if inner is not None:
                raise AdCompilerError(
                    f"{w.__name__}: argument {name!r} is a {type(v).__name__} holding {inner} arrays; "
                    "differentiate follows only arrays passed as arguments themselves.",
                    hint=f"pass the arrays in {name!r} as separate arguments (or convert them to numpy "
                         "arrays if they need no gradient).")
    _refuse_tracked_closures(w.mutating)
    for v in values:   # (a function given as an argument, a partial's made function: what it reads)
        if callable(v) and not isinstance(v, type) and framework_of(v) is None:
            _refuse_tracked_closures(plain_function(v))
    if len(seen) > 1:
        desc = ", ".join(f"{fw} ({name!r})" for fw, name in seen.items())
        raise AdCompilerError(
            f"{w.__name__} was called with values from several frameworks: {desc}.",
            hint="convert every argument to one framework's arrays before the call.")
    if not seen:
        return split.primal(w, values)
    fw = next(iter(seen))
    if fw == "autograd":
        from .autograd import call_autograd
        return call_autograd(w, values)
    if fw == "torch":
        from .torch import call_torch
        return call_torch(w, values)
    from .jax import call_jax
    return call_jax(w, values)


def _framework_inside(v: Any) -> str | None:
    """The framework of a tape value inside the list, tuple or dict ``v``, or None."""
    for e in v.values() if isinstance(v, dict) else v:
        e = record_fields(e)
        fw = framework_of(e) if not isinstance(e, (list, tuple, dict)) else _framework_inside(e)
        if fw is not None:
            return fw
    return None


def _tracked(v: Any) -> str | None:
    """The framework whose tape tracks ``v`` (an autograd box, a torch tensor that requires grad, a
    JAX tracer), inside a list, tuple, dict or record too; None otherwise."""
    v = record_fields(v)
    if isinstance(v, (list, tuple, dict)):
        return next((fw for e in (v.values() if isinstance(v, dict) else v) if (fw := _tracked(e))), None)
    fw = framework_of(v)
    if fw == "autograd" or fw == "torch" and v.requires_grad:
        return fw
    jax = sys.modules.get("jax")
    return "jax" if jax is not None and isinstance(v, jax.core.Tracer) else None


def _refuse_tracked_closures(f: Any) -> None:
    """Refuse a kernel that reads a value a tape tracks from its enclosing function or its defaults
    (``def make(c): def k(u): u[1] *= c``, called under jax.grad in ``c``): the kernel takes it for
    a constant, so its derivative would be lost (JAX raised a leaked tracer, PyTorch cut the graph)."""
    code = getattr(f, "__code__", None)
    if code is None:
        return
    held = []   # (what the kernel reads, the hint's way out, the value)
    for name, cell in zip(code.co_freevars, f.__closure__ or ()):
        try:
            way = f"pass `{name}` to the kernel as an argument (it then has a derivative)"
            held.append((f"`{name}` from its enclosing function", way, cell.cell_contents))
        except ValueError:   # (an empty cell: a name the enclosing function binds later)
            pass
    held += [(f"its default value ({k + 1})", "pass the value as an argument", v)
             for k, v in enumerate(f.__defaults__ or ())]
    held += [(f"the value `functools.partial` binds to {what}", "pass the value as an argument", v)
             for what, v in getattr(f, "_ad_bound", ())]   # (frontend/partials.py)
    for what, way, v in held:
        fw = _tracked(v)
        if fw is not None:
            raise AdCompilerError(
                f"`{f.__name__}` reads {what}, {'an' if fw[0] in 'aeiou' else 'a'} {fw} value its tape tracks: the "
                f"kernel takes it for a constant, so its derivative would be lost.",
                filename=code.co_filename, lineno=code.co_firstlineno, construct=f"def {f.__name__}(...)",
                hint=f"{way}, or a plain number or numpy array if it needs none.")
