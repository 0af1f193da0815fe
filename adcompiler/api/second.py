"""Second derivatives and Jacobians.

``hvp`` and ``hessian`` apply the forward transformation to the generated
reverse code (forward-over-reverse): the reverse code of ``f`` is generated
once, compiled, and then differentiated like any user function, with the tape
of the reverse code carrying tangents beside its values. ``jacobian`` builds
the Jacobian of a mutating function column by column in forward mode or row
by row in reverse mode, whichever takes fewer sweeps.
"""
from __future__ import annotations

import functools
import inspect
import linecache
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import activity as A
from .. import pipeline
from ..codegen.compile import _COMMENT
from ..errors import (
    ActivityError,
    AdCompilerError,
    ShapeError,
    UnsupportedSyntaxError,
    located_at_definition,
)
from ..frontend.specialise import with_floats_copied
from .arguments import (
    _may_write,
    copy_values,
    fill_defaults,
    is_float_scalar,
    kernel_of,
    layout_zeros,
    param_names,
    real_direction,
    refuse_subclasses,
)
from .copies import SameDraws, kind_of_argument
from .forward import autodiff_forward
from .reverse import autodiff
from .transforms import _out_positions


def _reverse_function(f, values, const=frozenset()):
    """The generated reverse code of ``f`` (float arguments Duplicated but those
    in ``const``, Active return) as a compiled function ``f_reverse(x, dx, ..., dret)``."""
    kinds = tuple(kind_of_argument(v) for v in values)
    acts = tuple("Duplicated" if isinstance(v, np.ndarray) and v.dtype.kind in "fc" and k not in const else "Const"
                 for k, v in enumerate(values))

    an = pipeline.analyse(f, kinds)
    k = an.kinds.get(an.namer.ret)
    if k is not None and (k.cls in ("tuple", "none", "other") or k.dtype == "c" or (k.cls == "array" and k.ndim)):
        what = {"tuple": "a tuple", "none": "nothing"}.get(k.cls, "a complex number" if k.dtype == "c" else
                                                           "an array" if k.cls == "array" else "a value of unknown kind")
        raise ActivityError(f"`{an.pf.name}` returns {what}; hvp and hessian differentiate a real float loss.",
                            filename=an.pf.filename, lineno=an.pf.tree.lineno, construct=an.pf.name,
                            hint="return a float (for a complex value, its real part or its squared modulus).")
    # the reverse code is differentiated again: it keeps values and arrays (lists carry
    # no tangents), and callee halves pass shadows themselves (no _ad_rebase to differentiate)
    return pipeline.compiled(f, kinds, acts, True, "second"), acts


def _reverse_for_hvp(f, args, vs, values):
    """``_reverse_function`` with every float array differentiated, or where that is
    refused, with the arrays without a direction that ``f`` only reads taken as
    constants (np.interp's grid, which has no derivative: their part of H v is None)."""
    try:
        return _reverse_function(f, values)
    except AdCompilerError:
        undirected = {i for i, (a, v) in enumerate(zip(args, vs)) if v is None and isinstance(a, np.ndarray)}
        const = undirected - _may_write(f, len(args))
        if not const:
            raise
        return _reverse_function(f, values, const)


def _at_user_line(exc, f):
    """A refusal met in the generated reverse code (differentiated again), at the
    user's line that code came from (the comment above it), or ``exc`` itself."""
    if not (exc.filename or "").startswith("<adcompiler") or exc.lineno is None:
        return exc
    lines = linecache.getlines(exc.filename)[:exc.lineno]
    m = next((m for m in map(_COMMENT.match, reversed(lines)) if m), None)
    code = getattr(f, "__code__", None)
    # (a refusal met while the derivative ran with these values: the gradient may meet it too)
    supported = "" if getattr(exc, "at_run_time", False) else "; the gradient of this code is supported"
    if m is None and code is not None:   # (above the first line's code: a placeholder, ``_t2 = None``)
        return type(exc)(f"{exc.reason} (met in the derivative of `{f.__name__}`, differentiated again for "
                         f"second derivatives{supported})", filename=code.co_filename,
                         lineno=code.co_firstlineno, construct=f.__name__, hint=exc.hint)
    if m is None:
        return exc
    own = getattr(getattr(f, "__code__", None), "co_filename", "")
    file = own if os.path.basename(own) == m["file"] else m["file"]
    return type(exc)(f"{exc.reason} (met in the derivative of this line, differentiated again for second "
                     f"derivatives{supported})", filename=file,
                     lineno=int(m["line"]), construct=m["text"].strip(), hint=exc.hint)


def _hvp_arguments(f, args, vs) -> tuple:
    """``(args, vs)`` checked, with the omitted trailing parameters that have
    defaults filled in (constants, as Python fills them)."""
    if not isinstance(args, (tuple, list)) or not isinstance(vs, (tuple, list)):
        raise ShapeError("hvp takes the arguments and the directions as tuples: hvp(f, (x, y), (v, None)).",
                         construct="hvp", hint="wrap a single argument in a tuple: hvp(f, (x,), (v,)).")
    if len(vs) != len(args):
        raise ShapeError(f"hvp needs one direction per argument ({len(args)}), got {len(vs)}.",
                         hint="pass None for arguments not differentiated.")
    filled = fill_defaults(f, [A.Const(a) for a in args])
    return tuple(args) + tuple(c.val for c in filled[len(args):]), tuple(vs) + (None,) * (len(filled) - len(args))


def _refuse_floats_written(f, args, vs, comp, values) -> None:
    """Refuse a float argument written in place (``s = c; s += e``): as the 0-d array it is differentiated
    as, the write reaches ``c`` too; as the float it is, it does not."""
    for i, (a, v) in enumerate(zip(args, vs)):
        if is_float_scalar(a) and v is not None and i in comp.writes:
            names = list(inspect.signature(f).parameters)
            shown = f"`{names[i]}`" if i < len(names) else str(i)
            where = {}
            try:   # (at the line that writes it; else at f's definition, by hvp's decorator)
                an = pipeline.analyse(f, tuple(kind_of_argument(x) for x in values))
                w = an.eff.writers_of_memory(an.params[i])
                if w:
                    line = w[0].lineno
                    where = {"filename": an.pf.filename, "lineno": line, "construct": an.pf.line_text(line)}
            except (AdCompilerError, IndexError):
                pass
            raise ActivityError(
                f"hvp and hessian: argument {shown} of `{getattr(f, '__name__', f)}`, a float, is written in place "
                "once it is differentiated again as a 0-d array (a name bound to it updated with +=, *=...), which "
                "the float itself never is.", hint="rebind instead of updating in place (`s = s + e`), or pass the "
                                                   "argument as a 1-element array and index it.", **where)


def _reverse_of_floats(f, args, vs, values, names):
    """``_reverse_for_hvp``, or where ``f`` is refused as it is, of the copy of ``f`` binding its
    directed floats to copies of themselves (``b *= 2.0`` of a float argument later rebound to a
    number, ``a, b = b, a + b * x[i]``: as a 0-d array ``b`` is both; as the copy, a number)."""
    try:
        return _reverse_for_hvp(f, args, vs, values)
    except UnsupportedSyntaxError:
        floats = [names[i] for i, (a, v) in enumerate(zip(args, vs)) if is_float_scalar(a) and v is not None
                  and i < len(names)]
        copied = with_floats_copied(f, floats) if floats else None
        if copied is None:
            raise
        return _reverse_for_hvp(copied, args, vs, values)


@located_at_definition(0, kernel_of)
def hvp(f: Callable, args: Sequence, vs: Sequence) -> tuple:
    """Hessian-vector products of a float-returning ``f`` at ``args``.

    ``vs`` gives a direction for each argument (None for arguments not differentiated); float
    scalars are treated as 0-d arrays. Returns a tuple with ``H v`` restricted to each
    differentiated argument (None elsewhere). The caller's arrays are not modified.

    A complex array argument ``z`` takes a complex direction ``v``; its part
    of the result is the derivative along ``v`` of its gradient (``dL/dRe z +
    1j dL/dIm z``, the shadow's convention): the Hessian over the real and
    imaginary parts applied to ``(Re v, Im v)``, written as one complex array.
    """
    f, given = kernel_of(f), len(args) if isinstance(args, (tuple, list)) else 0
    args, vs = _hvp_arguments(f, args, vs)
    values = []
    for a, v, c in zip(args, vs, copy_values(args, f)):
        if is_float_scalar(a) and v is not None:
            values.append(np.array(complex(a) if isinstance(a, (complex, np.complexfloating)) else float(a)))
        else:
            values.append(c)
    names = list(inspect.signature(f).parameters)
    comp, acts = _reverse_of_floats(f, args, vs, values, names)
    written = [names[i] for i, (a, v) in enumerate(zip(args, vs)) if is_float_scalar(a) and v is not None
               and i in comp.writes and i < len(names)]
    copied = with_floats_copied(f, written) if written else None
    if copied is not None:   # (``a = alpha; a *= 0.5``: a float rebound, not the 0-d array written)
        comp, acts = _reverse_for_hvp(copied, args, vs, values)
    _refuse_floats_written(copied or f, args, vs, comp, values)
    call, hv = [], {}
    for i, (x, act, v) in enumerate(zip(values, acts, vs)):
        if act == "Duplicated":
            direction = layout_zeros(x)   # (x's memory layout: a shadow must have it)
            if v is not None:
                if np.shape(v) != x.shape:
                    raise ShapeError(f"hvp: the direction of argument {i} has shape {np.shape(v)}, not "
                                     f"{x.shape}.", construct="hvp", hint="pass directions of the arguments' shapes.")
                direction[...] = real_direction(v, x, f"hvp: the direction of argument {i}")
            call.append(A.Duplicated(x, direction))
            hv[i] = layout_zeros(x)
            call.append(A.Duplicated(layout_zeros(x), hv[i]))
        else:
            if v is not None:
                raise ActivityError(f"argument {i} is not a float array or scalar, so it has no direction.",
                                    hint="pass None for it.")
            call.append(A.Const(x))
    call.append(A.Const(1.0))
    try:
        autodiff_forward(A.Forward, comp.fwd, A.Const, *call)
    except AdCompilerError as exc:
        raise _at_user_line(exc, f) from exc
    out = []
    for i, a in enumerate(args):
        if i not in hv:
            out.append(None)
        elif is_float_scalar(a):
            out.append(complex(hv[i]) if np.iscomplexobj(hv[i]) else float(hv[i]))
        else:
            out.append(hv[i])
    return tuple(out[:given])


_MISSING = object()


@located_at_definition(0, kernel_of)
def hessian(f: Callable, x: Any = _MISSING, *rest: Any, **kwargs: Any) -> Any:
    """The Hessian of a float-returning ``f`` with respect to its first
    argument ``x`` (other arguments constant), one ``hvp`` per coordinate.
    ``hessian(f)`` alone is the function transform: ``hessian(f)(x, *rest)``.

    For a complex ``x`` the Hessian is over its real and imaginary parts: a
    real array ``H`` of shape ``(2, *x.shape, 2, *x.shape)`` with ``H[p, i,
    q, j]`` the second derivative in part ``p`` of ``x[i]`` and part ``q`` of
    ``x[j]`` (0: real, 1: imaginary)."""
    f = kernel_of(f)
    from .arguments import positional
    if x is _MISSING:
        return functools.wraps(f)(lambda *args, **kwargs: hessian(f, *positional(f, args, kwargs)))
    if kwargs:
        return hessian(f, *positional(f, (x,) + rest, kwargs))
    if isinstance(x, np.ndarray) and type(x) is not np.ndarray:   # (np.asarray below would differentiate another f)
        refuse_subclasses([A.Const(x)], [param_names(f, 1)[0]])
    if np.iscomplexobj(x):
        return _complex_hessian(f, np.asarray(x), rest)
    if is_float_scalar(x):   # (hvp checks that the float is not written as a 0-d array would be)
        return np.asarray(hvp(f, (float(x),) + rest, (1.0,) + (None,) * len(rest))[0])
    given, x = x, np.asarray(x)
    if x.dtype.kind not in "biuf":   # (a dict, a string, an object: no coordinates to differentiate in)
        raise ActivityError(   # (located at f's definition by hessian's decorator)
            f"hessian differentiates `{f.__name__}` in its first argument `{param_names(f, 1)[0]}`, which is "
            f"a {type(given).__name__}{'' if x.dtype.kind == 'O' else ' of ' + str(x.dtype)}, not a float "
            "array or a float.", construct=param_names(f, 1)[0],
            hint="put the array to differentiate first (a lambda reordering the arguments), or use hvp with a "
                 "direction for each float array.")
    if x.dtype.kind != "f":
        x = x.astype(float)   # (a float32 x keeps its precision: the Hessian of the function as it computes)
    n = x.size
    H = np.zeros((n, n), dtype=x.dtype)
    draws = SameDraws()
    for k in range(n):
        e = np.zeros(n, dtype=x.dtype)
        e[k] = 1.0
        draws()
        H[:, k] = np.ravel(hvp(f, (x.reshape(x.shape),) + rest, (e.reshape(x.shape),) + (None,) * len(rest))[0])
    return H.reshape(x.shape + x.shape)


def _complex_hessian(f, z, rest):
    n = z.size
    real = np.finfo(z.dtype).dtype
    H = np.zeros((2, n, 2, n), dtype=real)
    draws = SameDraws()
    for q, unit in enumerate((1.0, 1j)):
        for k in range(n):
            e = np.zeros(n, dtype=z.dtype)
            e[k] = unit
            draws()
            hv = np.ravel(hvp(f, (z,) + rest, (e.reshape(z.shape),) + (None,) * len(rest))[0])
            H[0, :, q, k], H[1, :, q, k] = hv.real, hv.imag
    return H.reshape((2,) + z.shape + (2,) + z.shape)


def jacobian(f_: Callable, *args: Any, out: Any, wrt: Any = None, mode: Any = None,
             holomorphic: bool = False, **kwargs: Any) -> Any:
    """The Jacobian of the outputs of a mutating function (``jacobian(f_,
    out=...)`` without arguments is the function transform: it returns
    ``lambda *args: jacobian(f_, *args, out=..., ...)``).

    ``out`` names the argument positions whose final values are the outputs
    (an int or a tuple), ``wrt`` the positions of the inputs (default: every
    float array argument). Returns a dict ``J[(o, i)]`` (``o`` and ``i``
    argument positions) of arrays of shape ``out_shape + in_shape``, or that
    single array when there is one output and one input. Forward
    mode is used when the inputs have fewer elements than the outputs,
    reverse mode otherwise (``mode="forward"``/``"reverse"`` forces one).
    The caller's arrays are not modified.

    Complex outputs of real inputs give complex Jacobians. Complex inputs
    need ``holomorphic=True`` (as in JAX): the Jacobian is then the complex
    derivative ``dy/dz``, and each column (row in reverse mode) is checked
    against the Cauchy-Riemann equations, so a function that is not
    complex-analytic is refused rather than given a wrong Jacobian.
    """
    f_ = kernel_of(f_)
    if not args and not kwargs:
        return functools.wraps(f_)(lambda *a, **kw: jacobian(f_, *a, out=out, wrt=wrt, mode=mode,
                                                             holomorphic=holomorphic, **kw))
    if kwargs:   # (the function's keyword arguments, by position: out= and wrt= count positions)
        from .arguments import positional
        return jacobian(f_, *positional(f_, args, kwargs), out=out, wrt=wrt, mode=mode, holomorphic=holomorphic)
    if mode not in (None, "forward", "reverse"):
        raise ActivityError(f"jacobian: mode={mode!r} is not a mode.", construct="jacobian",
                            hint="pass mode='forward', mode='reverse' or leave it out.")
    outs = _out_positions(f_, out, args)   # (positions or parameter names)
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind in "fc")
    ins = _out_positions(f_, wrt, args, "wrt", scalars=True)   # (a float input: one column, d out / d k)
    floats = {i for i in ins if not isinstance(args[i], np.ndarray)}
    complex_in = [i for i in ins if np.iscomplexobj(args[i])]
    if complex_in and not holomorphic:
        raise ActivityError(f"jacobian: argument {complex_in[0]} is complex; the Jacobian in a complex input "
                            "is a complex matrix only for complex-analytic functions.", construct="jacobian",
                            hint="pass holomorphic=True for a complex-analytic function (it is checked), "
                                 "or pass the real and imaginary parts as two float arrays.")
    n_in = sum(np.size(args[i]) for i in ins)
    n_out = sum(np.size(args[o]) for o in outs)
    chosen = mode is None
    if chosen:
        mode = "forward" if n_in <= n_out else "reverse"
    cplx = any(np.iscomplexobj(args[k]) for k in outs + ins)
    J = {(o, i): np.zeros(np.shape(args[o]) + np.shape(args[i]), dtype=np.result_type(
             *(args[k] for k in outs + ins), np.float32, *((np.complex64,) if cplx else ())))
         for o in outs for i in ins}
    copy_values(args, f_)   # (arguments sharing memory that f_ writes: refused)
    unit = functools.partial(_unit, args, sorted((set(ins) - floats) | set(outs) | _written_floats(f_, args)),
                             floats)
    _sweeps(mode, chosen, (f_, args, outs, ins, complex_in, unit, J))
    if len(outs) == 1 and len(ins) == 1:
        return J[outs[0], ins[0]]
    return {key: value for key, value in J.items()}


def _sweeps(mode, chosen, how) -> None:
    """Fill the Jacobian (``how``: ``_columns``' arguments) in ``mode``; a forward mode that was
    chosen, not asked for, and is refused falls back to reverse mode."""
    try:
        (_columns if mode == "forward" else _rows)(*how)
    except AdCompilerError:
        if not (chosen and mode == "forward"):
            raise
        for v in how[-1].values():   # (forward mode refused where reverse may not be: a wrapped kernel has no tangents)
            v.fill(0)
        _rows(*how)


def _written_floats(f_, args) -> set:
    """The float arrays ``f_`` may write: they get shadows of zeros too, as work buffers (an RK4's
    stages) carry derivatives between its steps, which a Const could not hold; those it only reads
    are Const (np.interp's grid, which has no derivative)."""
    from ..tapes.effects import written_params
    try:
        written, names = written_params(f_), list(inspect.signature(f_).parameters)
    except (AdCompilerError, TypeError, ValueError):   # (the source or signature not known: all of them)
        written, names = set(), []
    return {k for k, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind in "fc"
            and (k >= len(names) or names[k] in written)}


def _unit(args, diff, floats, position, idx, value=1.0, active=False):
    """Copies of the arguments; shadows of zeros for those in ``diff`` but ``value``
    at ``idx`` of argument ``position``; the float inputs (``floats``) Const, but ``position``
    with the tangent ``value`` (forward mode), or all of them Active (``active``: reverse mode)."""
    vals = copy_values(args)
    shadows = {k: layout_zeros(vals[k]) for k in diff}
    if position in shadows:
        shadows[position][idx] = value
    ann = [A.Duplicated(vals[k], shadows[k]) if k in shadows else A.Active(float(vals[k])) if k in floats and active
           else A.Duplicated(float(vals[k]), float(value)) if k == position else A.Const(vals[k])
           for k in range(len(vals))]
    return ann, shadows


def _columns(f_, args, outs, ins, complex_in, unit, J):
    """Forward mode: one column per input element (and its imaginary direction for
    a complex input, which must give 1j times the column)."""
    draws = SameDraws()
    for i in ins:
        for idx in np.ndindex(np.shape(args[i])):
            ann, shadows = unit(i, idx)
            draws()
            autodiff_forward_call(f_, ann)
            if i in complex_in:
                ann_im, shadows_im = unit(i, idx, 1j)
                draws()
                autodiff_forward_call(f_, ann_im)
            for o in outs:
                J[o, i][(Ellipsis,) + idx] = shadows[o]   # (a float input: idx is (), the whole column)
                if i in complex_in:
                    _cauchy_riemann(shadows_im[o], 1j * shadows[o], i, idx)


def _rows(f_, args, outs, ins, complex_in, unit, J):
    """Reverse mode: one row per output element; a complex output takes a second
    sweep seeded with 1j (the gradient of its imaginary part)."""
    draws = SameDraws()
    for o in outs:
        complex_out = np.iscomplexobj(args[o])
        for idx in np.ndindex(np.shape(args[o])):
            ann, shadows = unit(o, idx, active=True)
            draws()
            shadows.update((i, d) for i, d in enumerate(autodiff(A.Reverse, f_, A.Const, *ann)) if d is not None)
            im = {}
            if complex_out:
                ann_im, shadows_im = unit(o, idx, 1j, active=True)
                draws()
                shadows_im.update((i, d) for i, d in enumerate(autodiff(A.Reverse, f_, A.Const, *ann_im))
                                  if d is not None)
                im = {i: shadows_im[i] for i in ins}
            for i in ins:
                g_re = shadows[i]
                g_im = im.get(i, np.zeros_like(g_re))
                if i in complex_in:   # the shadow is conj(dy/dz), that of Im(y) 1j conj(dy/dz)
                    _cauchy_riemann(g_im, 1j * g_re, i, idx)
                    J[o, i][idx] = np.conj(g_re)
                else:
                    J[o, i][idx] = g_re + 1j * g_im if complex_out else g_re


def _cauchy_riemann(along_imag, expected, i, idx):
    """Refuse a Jacobian with holomorphic=True of a function that is not complex-analytic."""
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    if not np.allclose(along_imag, expected, rtol=1e-7, atol=1e-9 * scale):
        raise ActivityError(f"jacobian(holomorphic=True): the function is not complex-analytic in argument {i} "
                            f"at element {idx} (its derivative along the imaginary direction is not 1j times "
                            "that along the real one).", construct="jacobian",
                            hint="without abs, conj, real, imag or angle the function is analytic; otherwise "
                                 "pass the real and imaginary parts as two float arrays.")


def autodiff_forward_call(f_, ann):
    return autodiff_forward(A.Forward, f_, A.Const, *ann)
