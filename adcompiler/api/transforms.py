"""Function transforms over ``autodiff``: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``.

They take the function and its plain arguments, choose the activities, and
never modify the caller's arrays (every array is copied before the function
runs). Every float array argument is differentiated, whether or not its
derivative is asked for, so a loss that writes scratch arrays it is given
(``f(work, x)``) is differentiated correctly; integer arrays, integers and
other values are constant.

For a float-returning ``f``:

>>> import numpy as np
>>> def loss(x, c):
...     return float(np.sum(c * x ** 2))
>>> value_and_grad(loss)(np.array([1.0, 2.0]), 3.0)
(15.0, array([ 6., 12.]))

For a mutating kernel, ``out=`` names the arguments (positions or parameter
names) whose final values are the outputs:

>>> def scale(s, a):
...     s[:] = 2.0 * a
>>> outs, pullback = vjp(scale, np.zeros(2), np.array([1.0, 3.0]), out="s")
>>> outs
array([2., 6.])
>>> pullback(np.array([1.0, 1.0]))[1]
array([2., 2.])
"""
from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import activity as A
from ..errors import (
    ActivityError,
    AdCompilerError,
    ShapeError,
    at_definition,
    located_at_definition,
)
from ..frontend.parse import by_position
from .arguments import (
    _may_write,
    annotate,
    copy_values,
    derivative,
    is_float_array,
    is_float_scalar,
    kernel_of,
    layout_zeros,
    param_names,
    positional,
    real_direction,
)
from .constants import without_underivable
from .copies import SameDraws, check_free_state, free_state
from .forward import autodiff_forward
from .reverse import autodiff


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """``grad(f)(*args)``: the gradient of a float-returning ``f`` with respect
    to argument ``argnums`` (a tuple of gradients for a tuple of positions)."""
    f = kernel_of(f)
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def gradient_of_f(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]
    return gradient_of_f


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """``value_and_grad(f)(*args) -> (f(*args), gradient)``, the gradient as in
    ``grad``. Usable directly as ``scipy.optimize.minimize(..., jac=True)``'s
    objective."""
    f = kernel_of(f)
    @functools.wraps(f)
    def value_and_gradient(*args: Any, **kwargs: Any) -> tuple:
        args = positional(f, args, kwargs)
        try:
            nums = _positions(f, argnums, args)
        except AdCompilerError as e:
            raise at_definition(e, f)
        ann = annotate(args, nums, f)
        derivs, value = _of_a_number("grad", f, ann)
        grads = tuple(derivative(a, d) for a, d in ((ann[i], derivs[i]) for i in nums))
        return _number(value), (grads[0] if isinstance(argnums, numbers.Integral) else grads)
    return value_and_gradient


def _number(value):
    """The float ``f`` returned (a numpy scalar as it is: np.float32 keeps its precision)."""
    return value if isinstance(value, np.floating) else float(value)


def vjp(f: Callable, *args: Any, out: Any = None) -> tuple[Any, Callable]:
    """``outputs, pullback = vjp(f, *args, out=None)``.

    Without ``out``, ``f`` returns a float and ``pullback(ct)`` returns
    ``ct`` times its gradient: one entry per argument (an array for float
    arrays, a float for float scalars, None for the rest). With ``out``
    (positions or parameter names of arrays ``f`` writes), the outputs are
    the final values of those arguments (a tuple for several) and
    ``pullback(*cts)`` takes one cotangent per output and returns the
    cotangents of every argument's initial value. Each ``pullback`` call runs
    the function again on fresh copies of the arguments as they were when
    ``vjp`` was called (the caller may change its arrays in between).
    """
    f = kernel_of(f)
    if out is None:
        def attempt(nums):
            ann = annotate(args, nums, f)
            return ann, _of_a_number("vjp", f, ann)
        ann, (derivs, value) = without_underivable(f, args, _all_float_positions(args), attempt)[0]
        grads = [derivative(a, d) for a, d in zip(ann, derivs)]

        def pullback_value(ct: Any) -> tuple:
            return tuple(None if g is None else ct * g for g in grads)
        return _number(value), pullback_value
    outs = _out_positions(f, out, args)
    draws = SameDraws()
    draws()   # (numbers f draws: the pullback's run draws the outputs' again)
    outputs = _run_outputs(f, args, outs)
    args = tuple(copy_values(args))   # (the point the pullback is taken at: not the caller's arrays changed since)
    state = free_state(f, args)   # (nor the module's values: the pullback runs the function again)

    def pullback(*cts: Any) -> tuple:
        check_free_state(f, args, state, "vjp was called")
        if len(cts) != len(outs):
            raise ShapeError(f"the pullback takes one cotangent per output ({len(outs)}), got {len(cts)}.",
                             construct="pullback", hint="pass a cotangent array for each `out` argument.")
        def attempt(nums):
            ann = annotate(args, nums, f)
            for k, ct in zip(outs, cts):
                ct = real_direction(ct, ann[k].val, f"the cotangent of output {k}")
                if ct.shape != ann[k].val.shape:
                    raise ShapeError(f"the cotangent of output {k} has shape {ct.shape}, not {ann[k].val.shape}.",
                                     construct="pullback", hint="pass one array of each output's shape.")
                ann[k].dval[...] += ct   # (an output named twice: the sum of its cotangents)
            return ann, autodiff(A.Reverse, f, A.Const, *ann)
        with draws.replayed():
            ann, derivs = without_underivable(f, args, _all_float_positions(args), attempt)[0]
        return tuple(derivative(a, d) for a, d in zip(ann, derivs))
    return (outputs[0] if len(outs) == 1 else outputs), pullback


@located_at_definition(0, kernel_of)
def jvp(f: Callable, args: Sequence, tangents: Sequence, out: Any = None) -> tuple[Any, Any]:
    """``(outputs, output_tangents) = jvp(f, args, tangents, out=None)``.

    ``tangents`` gives one direction per argument (None for arguments held
    constant). Without ``out``, ``f`` returns a float and the result is
    ``(f(*args), directional derivative)``; with ``out``, the outputs are the
    final values of the named arguments and their tangents (tuples for
    several). Forward mode: one pass whatever the number of outputs.
    """
    f = kernel_of(f)
    args, tangents = tuple(args), tuple(tangents)
    if len(tangents) != len(args):
        raise ShapeError(f"jvp needs one tangent per argument ({len(args)}), got {len(tangents)}.",
                         construct="jvp", hint="pass None for arguments held constant.")
    ann = []
    # (an array held constant that the function writes keeps a zero tangent: values with
    # tangents may flow through it; one it only reads is a constant, np.interp's grid)
    written = _may_write(f, len(args)) if any(t is None and is_float_array(a) for a, t in zip(args, tangents)) \
        else set()
    for i, (a, t, c) in enumerate(zip(args, tangents, copy_values(args, f))):
        x = c   # (copies: of arrays, and of the arrays in lists and dicts)
        if is_float_array(a) and t is None and i not in written:
            ann.append(A.Const(x))
        elif is_float_array(a):
            dx = layout_zeros(x)
            if t is not None and np.shape(t) == x.shape:
                dx[...] = real_direction(t, x, f"the tangent of argument {i}")
            elif t is not None:
                raise ShapeError(f"the tangent of argument {i} has shape {np.shape(t)}, not {x.shape}.",
                                 construct="jvp", hint="pass tangents of the arguments' shapes.")
            ann.append(A.Duplicated(x, dx))
        elif is_float_scalar(a) and t is not None:
            num = complex if np.iscomplexobj(a) else float   # a complex scalar keeps a complex tangent
            if np.ndim(t) != 0 or (np.iscomplexobj(t) and num is float) or not isinstance(
                    t, (numbers.Number, np.generic, np.ndarray)):
                raise ShapeError(f"the tangent of argument {i}, a {num.__name__}, must be a {num.__name__}, "
                                 f"not {type(t).__name__}.", construct="jvp", hint="pass a number of the argument's type.")
            ann.append(A.Duplicated(a if isinstance(a, np.inexact) else num(a), num(t)))   # (np.float32 kept)
        else:
            if t is not None:
                raise ActivityError(f"argument {i} is not a float array or scalar, so it has no tangent.",
                                    construct="jvp", hint="pass None as its tangent.")
            ann.append(A.Const(x))
    if out is None:
        tangent, value = autodiff_forward(A.ForwardWithPrimal, f, A.Duplicated, *ann)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value, tangent = value[()], np.asarray(tangent)[()]
        if not is_float_scalar(value) and not (isinstance(value, numbers.Number) and not isinstance(value, bool)):
            raise ActivityError(
                f"jvp without out= needs `{getattr(f, '__name__', f)}` to return a number; it returned "
                f"{type(value).__name__}.", construct="jvp",
                hint="name the arguments whose final values are the outputs with out=..., or return a float.")
        num = complex if np.iscomplexobj(value) else float   # (a complex value: its complex tangent)
        return value if isinstance(value, np.inexact) else num(value), num(tangent)
    outs = _out_positions(f, out, args)
    autodiff_forward(A.Forward, f, A.Const, *ann)
    values = tuple(ann[k].val for k in outs)
    dvalues = tuple(ann[k].dval for k in outs)
    return (values[0], dvalues[0]) if len(outs) == 1 else (values, dvalues)


# -- helpers -------------------------------------------------------------------------------
def _of_a_number(entry, f, ann) -> tuple:
    """``autodiff`` in ReverseWithPrimal of ``f``, which must return a number: an array or
    nothing returned is refused in the words of ``entry`` (no return activity was chosen)."""
    try:
        return autodiff(A.ReverseWithPrimal, f, A.Active, *ann)
    except ActivityError as e:
        what = next((w for w in ("returns an array", "returns nothing") if f"` {w}" in str(e)), None)
        if "the return activity is Active but" not in str(e) or what is None:
            raise
        hint = ("name the arguments whose final values are the outputs with out=..., or return a float."
                if entry == "vjp" else "return a float (e.g. np.sum(...)); for an array's derivatives use vjp, "
                "jacobian or autodiff.")
        raise ActivityError(f"{entry} without out= needs `{getattr(f, '__name__', f)}` to return a number; it "
                            f"{what}.", filename=e.filename, lineno=e.lineno, construct=e.construct,
                            hint=hint) from None


def _all_float_positions(args) -> tuple:
    return tuple(i for i, a in enumerate(args) if is_float_array(a) or is_float_scalar(a))


def _positions(f, argnums, args) -> tuple:
    nums = (argnums,) if isinstance(argnums, numbers.Integral) else tuple(argnums)
    names = param_names(f, len(args))
    for i in nums:
        if not -len(args) <= i < len(args):
            raise ActivityError(f"argnums names argument {i}, but {len(args)} arguments were given.",
                                construct="argnums", hint="give positions of the arguments to differentiate.")
        a = args[i]
        if not (is_float_array(a) or is_float_scalar(a)):
            raise ActivityError(
                f"`{names[i]}` (argument {i}) is {type(a).__name__}"
                f"{' of dtype ' + str(a.dtype) if isinstance(a, np.ndarray) else ''}: only float arrays and "
                "float scalars have a gradient.", construct="argnums",
                hint="leave integer and other arguments out of argnums, or convert them to float.")
    return tuple(i % len(args) for i in nums)


def _out_positions(f, out, args, what="out", scalars=False) -> tuple:
    """The positions ``out`` names (positions or parameter names), each a float array (or a real
    float scalar, with ``scalars``: jacobian's inputs)."""
    names = param_names(f, len(args))
    outs = []
    for o in (out if isinstance(out, (tuple, list)) else (out,)):
        k = names.index(o) if isinstance(o, str) and o in names else o
        if not isinstance(k, numbers.Integral) or not 0 <= k < len(args):
            raise ActivityError(f"{what} names `{o}`, which is not an argument of `{getattr(f, '__name__', f)}`.",
                                construct=what, hint=f"give positions or parameter names: {', '.join(names)}.")
        if not is_float_array(args[k]) and not (scalars and is_float_scalar(args[k]) and not np.iscomplexobj(args[k])):
            raise ActivityError(f"`{names[k]}` (in {what}) is not a float array{' or a float' if scalars else ''}.",
                                construct=what, hint="outputs are float arrays the function writes, inputs float "
                                                     "arrays or floats.")
        outs.append(int(k))
    return tuple(outs)


def _run_outputs(f, args, outs) -> tuple:
    vals = copy_values(args, f)
    by_position(f)(*vals)
    return tuple(vals[k] for k in outs)


__all__ = ["grad", "jvp", "value_and_grad", "vjp"]
