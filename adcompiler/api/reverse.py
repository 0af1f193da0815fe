"""Reverse mode: autodiff, autodiff_thunk, gradient, adjoint_source (forward modes go to ``api.forward``)."""
from __future__ import annotations

import numbers
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import activity as A
from .. import pipeline
from ..analysis.kinds import COMPLEX, FLOAT, Kind, array, kind_of_value
from ..backends import choice
from ..codegen import cache
from ..errors import ActivityError, AdCompilerError, ShapeError, at_definition
from ..runtime import core as runtime_core
from ..runtime.checkpoint import parse_bytes
from . import explain, repeats
from .arguments import (
    annotate,
    brief,
    check_dict_iteration,
    check_layout,
    derivative,
    dtype_chars,
    function_called,
    is_float_array,
    is_float_scalar,
    kernel_of,
    located_half,
    refuse_subclasses,
    shadows_in_layout,
    warn_bare_arrays,
)
from .arguments import check_alias as _check_alias
from .arguments import fill_defaults as _fill_defaults
from .arguments import flat_args as _flat_args
from .arguments import param_names as _param_names
from .arguments import wrap as _wrap
from .constants import without_underivable
from .forward import autodiff_forward
from .split_record import Tape, read_record, same_read, same_written, written_record


def _ret_name(ret) -> str:
    if ret in (A.Active, "Active") or isinstance(ret, A.Active):
        return "Active"
    if ret in (A.Const, None, "Const") or isinstance(ret, A.Const):
        return "Const"
    if ret in (A.Duplicated, A.DuplicatedNoNeed):
        raise ActivityError("a Duplicated return activity exists only in forward mode.",
                            construct="Duplicated", hint="use Active (a float return) or Const in reverse mode.")
    what = brief(ret)
    raise ActivityError(f"the return activity must be Active or Const, not {what}.", construct=what,
                        hint="pass the class Active or Const after the function, before the arguments: "
                             "autodiff(Reverse, f, Const, Duplicated(x, dx), ...).")


def _act_name(a) -> str:
    if isinstance(a, A.Active):
        return "Active"
    if isinstance(a, A.BatchDuplicated):
        raise ActivityError("BatchDuplicated is a forward-mode activity.", construct="BatchDuplicated",
                            hint="use Duplicated in reverse mode.")
    if isinstance(a, A.Duplicated):
        return "Duplicated"
    return "Const"


def _fine(a) -> bool:
    """The common case of ``_check``, quickly: a float array and a shadow of its
    shape, dtype and layout that can be written."""
    x, dx = a.val, a.dval
    return type(x) is np.ndarray and type(dx) is np.ndarray and x.dtype is dx.dtype and x.shape == dx.shape \
        and x.dtype.kind in "fc" and dx.flags.writeable \
        and x.strides == dx.strides


def _check(args, names):
    if all(_fine(a) if isinstance(a, A.Duplicated) else True for a in args):
        return
    for i, a in enumerate(args):
        name = names[i] if i < len(names) else f"argument {i}"
        if isinstance(a, A.Duplicated):
            x, dx = a.val, a.dval
            if not isinstance(x, np.ndarray):
                raise ActivityError(
                    f"`{name}` is Duplicated but is a {type(x).__name__}, not a numpy array.",
                    construct=f"Duplicated({name}, ...)",
                    hint="use Active for float scalars, or pass an array.")
            if x.dtype.kind not in "fc":
                raise ActivityError(
                    f"`{name}` is Duplicated but has dtype {x.dtype}; only float and complex arrays carry derivatives.",
                    construct=f"Duplicated({name}, ...)", hint="pass integer arrays as Const, or convert to float.")
            if not isinstance(dx, np.ndarray) or dx.shape != x.shape or dx.dtype != x.dtype:
                got = f"{getattr(dx, 'shape', None)} {getattr(dx, 'dtype', type(dx).__name__)}" + (
                    "" if isinstance(dx, np.ndarray) else f" ({type(dx).__name__}, not an array: it cannot be written)")
                raise ShapeError(
                    f"the shadow of `{name}` must be an array of shape {x.shape} and dtype {x.dtype}, got {got}.",
                    construct=f"Duplicated({name}, d{name})", hint=f"create it with np.zeros_like({name}).")
            if not dx.flags.writeable:
                raise ActivityError(f"the shadow of `{name}` is read-only.", construct=f"d{name}",
                                    hint="pass a writeable array (np.zeros_like).")
            refuse_subclasses([a], [name])
            check_layout(name, x, dx, "shadow",
                         f"create the shadow with np.zeros_like({name}) or pass contiguous copies.")


def _kind(a) -> Kind:
    v = a.val
    if isinstance(a, A.Active):
        return COMPLEX if isinstance(v, (complex, np.complexfloating)) else FLOAT
    k = kind_of_value(v)
    if isinstance(v, np.ndarray):
        return array(v.ndim, v.dtype.kind)
    return k


def checkpoint_option(spec):
    """``spec`` checked: None, a number of snapshots (>= 1) or a memory budget ("12MB")."""
    if spec is None:
        return None
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool) and spec >= 1:
        return int(spec)
    if isinstance(spec, str):
        try:
            if parse_bytes(spec) > 0:   # (a budget of 0 or below would keep one snapshot whatever it said)
                return spec
        except ValueError:
            pass
    raise AdCompilerError(f"checkpoint={spec!r} is neither a number of snapshots nor a memory budget.",
                          construct=f"checkpoint={spec!r}",
                          hint="pass a number of snapshots (checkpoint=100) or a budget in bytes with a unit "
                               "(checkpoint='12MB').")


#: (f, ret, backend, checkpoint, argument signature) -> compiled adjoint: the calls after
#: the first skip the kinds and the cache's key (a few tens of microseconds a call)
_RECENT: dict = {}
_SCALARS = (float, int, bool, complex)
cache.on_clear.append(_RECENT.clear)


def _signature(args):
    """What decides the kinds of annotated arguments, or None where only the
    kinds themselves do (containers)."""
    out = []
    for a in args:
        v = a.val
        t = type(v)
        if t is np.ndarray:
            out.append((type(a), v.ndim, v.dtype.char))
        elif t in _SCALARS or isinstance(v, np.generic):
            out.append((type(a), t))
        else:
            return None
    return tuple(out)


def compiled_for(f, args, ret: str, backend: str = "numpy", checkpoint=None):
    """The (cached) generated adjoint of ``f`` for these annotated arguments
    (``backend``: see ``backends/choice``; ``checkpoint``: see ``checkpoint_option``)."""
    sig = _signature(args) if isinstance(checkpoint, (int, str, type(None))) else None
    key = None if sig is None else (f, getattr(f, "__code__", None), ret, backend, checkpoint, sig)
    if key is not None:
        comp = _RECENT.get(key)
        if comp is not None and comp.fresh(f):
            return comp
    comp = _compiled_for(f, args, ret, backend, checkpoint)
    if key is not None:
        if len(_RECENT) > 256:
            _RECENT.clear()
        _RECENT[key] = comp
    return comp


def _compiled_for(f, args, ret, backend, checkpoint):
    kinds = tuple(_kind(a) for a in args)
    acts = tuple(_act_name(a) for a in args)
    dtypes = dtype_chars(args)
    return choice.compiled(f, kinds, acts, ret == "Active", "reverse", dtypes, backend,
                           checkpoint_option(checkpoint))


def _prepare(f, ret, args, backend="numpy", checkpoint=None):
    args = _fill_defaults(f, [_wrap(a) for a in args])
    names = _param_names(f, len(args))
    _check(args, names)
    ret = _ret_name(ret)
    comp = compiled_for(f, args, ret, backend, checkpoint)
    _check_alias(args, names, comp.writes, comp.module_arrays)
    check_dict_iteration(f, args, names)
    return args, ret, comp


def _finish_primal(ret, value):
    if type(value) is float or type(value) is np.float64:   # (the common case, quickly)
        return
    if ret == "Active" and (value is None or isinstance(value, (tuple, list, dict)) or np.ndim(value) != 0
                            or not isinstance(np.asarray(value).dtype.type(0), numbers.Number)):
        raise ActivityError(f"the return activity is Active but the function returned {type(value).__name__}.",
                            construct="Active", hint="return a float, or use Const as the return activity.")
    if ret == "Active" and np.iscomplexobj(value):
        raise ActivityError("the return activity is Active but the function returned a complex value; "
                            "an Active return is a real loss.", construct="Active",
                            hint="return a real value (np.real, np.abs), or use Const as the return activity.")


def _derivs(args, active_derivs):
    if type(active_derivs) is tuple and not active_derivs:   # (no Active argument)
        return (None,) * len(args)
    out, k = [], 0
    for a in args:
        if isinstance(a, A.Active):
            d = active_derivs[k]
            if not np.iscomplexobj(a.val):
                d = np.real(d)   # a real argument (its name may hold complex values later in the function)
            out.append((complex(d) if np.iscomplexobj(d) else float(d)) if np.ndim(d) == 0 else d)
            k += 1
        else:
            out.append(None)
    return tuple(out)


def autodiff(*call: Any, backend: str = "numpy", checkpoint: int | str | None = None,
             explain: bool = False) -> Any:
    """``autodiff([mode,] f, ret_activity, *args)``: differentiate ``f`` at ``args``.

    Reverse: returns one entry per argument (the derivative for Active, None
    otherwise); ReverseWithPrimal returns ``(derivs, primal_return)``. Shadows
    of Duplicated arguments hold the adjoint of the final value on entry and of
    the initial value on exit. Trailing parameters left out take their default
    values as Const (``autodiff(Reverse, f, Const, Duplicated(x, dx))`` for
    ``def f(x, tol=1e-8)``); they get no entry in the result. Forward modes are
    handled by ``forward.autodiff_forward``. ``backend`` is ``"numpy"``,
    ``"numba"`` or ``"auto"`` (how the derivative runs, never what it computes).

    ``checkpoint``: reverse the outermost loops (or those marked
    ``# adcompiler: checkpoint``) from snapshots instead of a tape of every
    step: a number of snapshots, or a memory budget such as ``"12MB"``.
    The result is the same to rounding. ``explain=True`` first writes to
    standard error what the reverse sweep keeps, per loop and per step (see
    ``memory_report``), measured on copies of the arguments.
    """
    try:
        return _autodiff(call, backend, checkpoint, explain)
    except AdCompilerError as e:   # (one about the arguments, which names no line: at f's definition)
        at_definition(e, function_called(call))
        raise


def _autodiff(call, backend, checkpoint, explain):
    if call and isinstance(call[0], A.Mode):
        mode, f, ret, args = call[0], call[1], call[2], call[3:]
    elif len(call) < 2 or isinstance(call[0], str):
        from ..errors import at_caller
        raise at_caller(ActivityError(f"autodiff's mode is given as the string {call[0]!r}." if call and isinstance(
            call[0], str) else "autodiff needs a function and a return activity.", construct="autodiff(...)",
            hint="autodiff(Reverse, f, Const, Duplicated(x, dx), ...): a mode of adcompiler (Reverse, Forward...)"))
    else:
        mode, f, ret, args = A.Reverse, call[0], call[1], call[2:]
    f = kernel_of(f)
    key = None
    if mode.reverse and not mode.split and not explain:
        # (a repeat's shadows have their arrays' strides: other layouts are not taken here)
        key, hit = repeats.lookup(f, ret, backend, checkpoint, args)
        if hit is not None:
            derivs, value = _run(hit[0], hit[1], args, hit[2])
            return (derivs, value) if mode.with_primal else derivs
    if mode.reverse and not mode.split:   # (forward mode: autodiff_forward does the same)
        args, restore = shadows_in_layout(args)
        if restore is not None:   # (a shadow in another layout than its array's: run on a copy in its layout)
            try:
                return _autodiff((mode, f, ret, *args), backend, checkpoint, explain)
            finally:
                restore()
    warn_bare_arrays(f, args)
    if not mode.reverse:
        return autodiff_forward(mode, f, ret, *args, backend=backend)
    if mode.split:
        raise ActivityError("split modes go through autodiff_thunk.", construct=repr(mode),
                            hint="fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, f, ret, *types)")
    given = len(args)
    if explain:
        print(memory_report(f, ret, *args, checkpoint=checkpoint), file=sys.stderr)
    asked = ret
    args, ret, comp = _prepare(f, ret, args, choice.check(backend), checkpoint)
    derivs, value = _run(comp, ret, args)
    if explain and backend != "numpy":   # (after the run: auto falls back when numba refuses at the first call)
        _print_backend(f, backend)
    derivs = derivs[:given]
    repeats.remember(key, f, asked, backend, checkpoint, args, given, comp, ret)
    return (derivs, value) if mode.with_primal else derivs


def _print_backend(f, backend) -> None:
    """``explain=True``: the backend this call ran (the newest decision for the backend asked)."""
    ran = next((d for d in reversed(choice.backend_report(f)) if d.asked == backend and d.mode == "reverse"), None)
    print(f"backend: {ran if ran is not None else backend}" + (
        "\n(the tape above is the numpy backend's: the numba backend keeps its own typed tape, not measured)"
        if ran is None or ran.backend == "numba" else ""), file=sys.stderr)


def _run(comp, ret, args, flat=None) -> tuple:
    """(the derivatives, the primal's return) of one reverse-mode call (``flat``: the arguments with their shadows)."""
    if flat is None:
        flat = _flat_args(args)
    if ret == "Active" and getattr(comp.fused, "seeds_return", False):
        # compiled code typed the return value: one fused call, checked after
        d, value = comp.fused(*flat, 1.0)
        _finish_primal(ret, value)
    elif ret == "Active":
        if getattr(comp.fused, "refusal", None) is not None:
            raise comp.fused.refusal   # (numba refused both: the function running both sweeps says why)
        tape = runtime_core.Tape()   # (the return value is checked before the reverse sweep uses it)
        value = comp.fwd(*flat, tape)
        _finish_primal(ret, value)
        d = comp.rev(*flat, 1.0, tape)
    else:
        d, value = comp.fused(*flat, None)
    return _derivs(args, d), value


def autodiff_thunk(mode: A.Mode, f: Callable, ret_activity: Any,
                   *activity_types: type, backend: str = "numpy",
                   checkpoint: int | str | None = None) -> tuple[Callable, Callable]:
    """``fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, f, ret, *types)``.

    ``tape, primal = fwd(*args)`` runs the primal and records what the reverse
    sweep needs; ``derivs = rev(*args, dret, tape)`` runs only the reverse
    sweep with the same argument objects (shadows now holding the seeds; an
    argument ``f`` only reads may be another array of equal values, one it
    writes must be the same array, holding the values fwd left in it: rev refuses
    it otherwise). Trailing parameters left out take their
    defaults as Const; ``checkpoint`` as in ``autodiff``.
    """
    return split_halves(mode, f, ret_activity, *activity_types, backend=backend, checkpoint=checkpoint)


def split_halves(mode: A.Mode, f: Callable, ret_activity: Any, *activity_types: type, backend: str = "numpy",
                 checkpoint: int | str | None = None, watch: bool = True) -> tuple[Callable, Callable]:
    """``autodiff_thunk``; ``watch``: check that the arrays the function writes still hold, at
    the reverse half, the values the forward half left in them (``split_record``; the tape
    adapters, which own those arrays, skip it)."""
    f = kernel_of(f)
    if not isinstance(mode, A.Mode) or not mode.split:
        raise ActivityError("autodiff_thunk takes ReverseSplitWithPrimal or ReverseSplitNoPrimal.",
                            construct=repr(mode), hint="use autodiff for the other modes.")
    for t in activity_types:
        if not (isinstance(t, type) and issubclass(t, A.Annotation)):
            raise ActivityError(f"autodiff_thunk takes activity classes, got {t!r}.", construct=repr(t),
                                hint="pass Const, Active or Duplicated (the classes).")
    ret = _ret_name(ret_activity)
    choice.check(backend)

    def check_types(args):
        if len(args) != len(activity_types):
            raise ActivityError(f"expected {len(activity_types)} arguments, got {len(args)}.",
                                hint="pass one annotated argument per activity type.")
        for a, t in zip(args, activity_types):
            if type(a) is not t and not (t is A.Duplicated and isinstance(a, A.Duplicated)):
                raise ActivityError(f"argument {a!r} does not match the activity {t.__name__}.",
                                    construct=t.__name__, hint="wrap each argument in its declared activity.")

    def fwd(*args):
        args = [_wrap(a) for a in args]
        check_types(args)
        args, _, comp = _prepare(f, ret, args, backend, checkpoint)
        stack = runtime_core.Tape()
        value = comp.fwd(*_flat_args(args), stack)
        _finish_primal(ret, value)
        return Tape(comp, stack, written_record(args, comp.writes, watch), read_record(args, comp) if watch else ()), \
            (value if mode.with_primal else None)

    def rev(*call):
        if len(call) < 2 or not isinstance(call[-1], Tape):
            raise ActivityError("rev takes the arguments, the return adjoint and the tape from fwd.",
                                hint="derivs = rev(*args, dret, tape)")
        *args, dret, tape = call
        args = [_wrap(a) for a in args]
        check_types(args)
        if tape.used:
            raise ActivityError("this tape has already been consumed by a reverse pass.",
                                hint="run fwd again for another reverse pass.")
        same_written(f, _param_names(f, len(args)), args, tape)
        given = len(args)
        args = _fill_defaults(f, args)
        if tape.read:
            same_read(f, _param_names(f, len(args)), args, tape.compiled, tape)
        tape.used = True
        _check(args, _param_names(f, len(args)))
        d = tape.compiled.rev(*_flat_args(args), dret if ret == "Active" else None, tape.stack)
        return _derivs(args, d)[:given]
    return located_half(fwd, f), located_half(rev, f)


def memory_report(f: Callable, ret: Any, *args: Any, checkpoint: int | str | None = None) -> explain.MemoryReport:
    """The tape ``autodiff(Reverse, f, ret, *args, checkpoint=...)`` would
    keep, measured on copies of the arguments (the caller's arrays are not
    modified): per push site, grouped by loop, with what checkpointing would
    cost (see ``api.explain``). With ``checkpoint``, a checkpointed loop
    pushes its snapshots once, after the loop."""
    f = kernel_of(f)
    copies = [explain.copy_argument(a) for a in args]
    copies, _, comp = _prepare(f, ret, copies, checkpoint=checkpoint)
    return explain.measure(f, comp, copies, checkpoint)


def gradient(f: Callable, *args: Any, wrt: int | Sequence[int] | None = None, backend: str = "numpy",
             checkpoint: int | str | None = None, **kwargs: Any) -> tuple:
    """Gradient of a float-returning ``f`` with respect to its float arguments.

    Returns a tuple with one entry per argument: an array for float arrays, a
    float for float scalars (only at positions in ``wrt`` when given), None
    for the rest. Parameters left out take their default values (as Const);
    ``f``'s parameters may be given by name (one entry each, in ``f``'s order).
    The caller's arrays are not modified. ``checkpoint`` as in ``autodiff``.
    """
    f = kernel_of(f)
    if kwargs:
        from .arguments import positional
        args = positional(f, args, kwargs)
    wanted = () if wrt is None else _wrt_positions(f, wrt, args)
    for i in wanted:
        a = args[i]
        if not (is_float_array(a) or is_float_scalar(a)):
            raise ActivityError(f"wrt names argument {i}, which is not a float array or a float scalar "
                                f"({type(a).__name__}{' of dtype ' + str(a.dtype) if isinstance(a, np.ndarray) else ''}).",
                                construct="wrt", hint="name only float arguments in wrt; integers have no gradient.")
    # a scratch shadow where no gradient is asked for: a loss may write the array
    def attempt(positions):
        ann = annotate(args, positions, f)
        return ann, autodiff(A.Reverse, f, A.Active, *ann, backend=backend, checkpoint=checkpoint)
    if wrt is None:   # (every float argument: one np.interp's grid is, read only, left out where refused)
        (ann, d), wanted = without_underivable(f, args, range(len(args)), attempt)
    else:
        ann, d = attempt(wanted)
    return tuple(derivative(a, di) if i in wanted else None for i, (a, di) in enumerate(zip(ann, d)))


def _wrt_positions(f, wrt, args) -> tuple:
    """The positions ``wrt`` names: positions (negative ones from the end, as
    Python indexes) or parameter names."""
    names = _param_names(f, len(args))
    out = []
    for w in wrt if isinstance(wrt, (tuple, list)) else (wrt,):
        k = names.index(w) if isinstance(w, str) and w in names else w
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not -len(args) <= k < len(args):
            raise ActivityError(f"wrt names `{w}`, which is not an argument of `{getattr(f, '__name__', f)}`.",
                                construct="wrt", hint=f"give positions or parameter names: {', '.join(names)}.")
        out.append(int(k) % len(args))
    return tuple(out)


def adjoint_source(f: Callable, *activities: Any, ret: Any = None) -> str:
    """The generated adjoint module of ``f`` as source text.

    ``activities`` are the classes (``Const, Duplicated, Active``) or annotated
    values; with values, ranks and dtypes are known and the code can be more
    specific. ``ret`` defaults to Active when ``f`` returns a value.
    """
    f = kernel_of(f)
    kinds, acts = [], []
    given = [a for a in activities if not (isinstance(a, type) and issubclass(a, A.Annotation))]
    if len(given) == len(activities):   # values: omitted defaults are Const values too
        activities = _fill_defaults(f, [_wrap(a) for a in activities])
    for a in activities:
        if isinstance(a, type) and issubclass(a, A.Annotation):
            acts.append("Duplicated" if issubclass(a, A.Duplicated) else a.__name__)
            kinds.append({"Duplicated": array(None, "f"), "Active": FLOAT}.get(acts[-1], Kind("num", None, None)))
        else:
            a = _wrap(a)
            acts.append(_act_name(a))
            kinds.append(_kind(a))
    for d in _omitted_defaults(f, len(acts)):   # (classes given: the defaults left out are Const values)
        acts.append("Const")
        kinds.append(_kind(A.Const(d)))
    if ret is None:
        an = pipeline.analyse(f, tuple(kinds))
        ret = "Active" if an.has_return else "Const"
    else:
        ret = _ret_name(ret)
    return pipeline.reverse_module(f, tuple(kinds), tuple(acts), ret == "Active").source


def _omitted_defaults(f, given: int) -> list:
    """The default values of the parameters of ``f`` after the first ``given``
    (none where a parameter left out has no default: the count is refused later)."""
    import inspect
    try:
        params = list(inspect.signature(f).parameters.values())[given:]
    except (TypeError, ValueError):
        return []
    if any(p.default is p.empty or p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        return []
    return [p.default for p in params]


__all__ = ["AdCompilerError", "adjoint_source", "autodiff", "autodiff_thunk", "gradient"]
