"""Checks and conversions of the arguments every entry point takes."""
from __future__ import annotations

import ast
import functools
import inspect
import numbers
import warnings

import numpy as np

from .. import activity as A
from ..errors import (
    ActivityError,
    AdCompilerError,
    AdCompilerWarning,
    AliasingError,
    ShapeError,
    at_definition,
)
from ..frontend.parse import parameters
from ..frontend.resolve import plain_function
from .copies import copy_values, layout_copy, overlaps_itself


def is_float_array(a) -> bool:
    """A float or complex array (one that carries derivatives)."""
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def is_float_scalar(a) -> bool:
    """A float or complex scalar."""
    return isinstance(a, numbers.Complex) and not isinstance(a, (bool, np.bool_, numbers.Integral)) \
        and not isinstance(a, np.ndarray)


def layout_zeros(a: np.ndarray) -> np.ndarray:
    """Zeros in ``a``'s memory layout (``layout_copy``): a shadow must have it."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return np.zeros_like(a)
    out = layout_copy(a)
    out[...] = 0
    return out


def real_direction(t, x: np.ndarray, what: str) -> np.ndarray:
    """A tangent, cotangent or direction ``t`` for the array ``x``, in its dtype; a complex one for a
    real ``x`` is refused (its imaginary part would be dropped, as numpy's cast drops it)."""
    if np.iscomplexobj(t) and not np.iscomplexobj(x):
        raise ShapeError(f"{what} is complex, for a real array.", construct="tangent",
                         hint="give real tangents for real arguments (complex ones for complex arguments).")
    return np.asarray(t, dtype=x.dtype)


def same_strides(x: np.ndarray, dx: np.ndarray) -> bool:
    """Whether ``dx`` steps through memory as ``x`` does (along every axis longer than 1): then a reshape
    or ravel views both or copies both. An empty array has no layout."""
    return x.strides == dx.strides or x.size == 0 or \
        all(n <= 1 or s == t for n, s, t in zip(x.shape, x.strides, dx.strides))


def shadows_in_layout(args) -> tuple:
    """``(args, restore)``: each Duplicated array whose shadow (or tangent) steps
    through memory otherwise than the array (a column of a matrix for a
    contiguous array, ``C`` for ``F`` order) given a copy of it in the array's
    layout (``layout_copy``); ``restore()`` writes the copies back into the
    caller's shadows. (A shadow followed through ``np.ravel(x)``, a view of ``x``,
    was a copy of the shadow: the writes through it were lost, silently.)"""
    dup = A.Duplicated
    for a in args:   # (the common case, quickly: every call of autodiff passes here)
        if type(a) is dup and type(a.dval) is np.ndarray and type(a.val) is np.ndarray \
                and a.val.strides != a.dval.strides:
            break
    else:
        return args, None
    swaps, out, made = [], [], {}
    for a in args:
        if type(a) is A.Duplicated and (id(a.val), id(a.dval)) in made:   # (f(A, A), one shadow: one copy)
            a = A.Duplicated(a.val, made[id(a.val), id(a.dval)])
        elif type(a) is A.Duplicated and isinstance(a.val, np.ndarray) and \
                isinstance(a.dval, np.ndarray) and a.val.shape == a.dval.shape and a.val.dtype == a.dval.dtype \
                and a.dval.flags.writeable and not same_strides(a.val, a.dval) and not _shares_other(a, args):
            work = made[id(a.val), id(a.dval)] = layout_copy(a.val)
            if same_strides(a.val, work):   # (not for repeated strides: a broadcast array; refused later)
                work[...] = a.dval
                swaps.append((a.dval, work))
                a = A.Duplicated(a.val, work)
        out.append(a)

    def restore():
        for dx, work in swaps:
            dx[...] = work
    return (out, restore) if swaps else (args, None)


def _shares_other(a, args) -> bool:
    """Whether the shadow of ``a`` shares memory with an array of ``args`` other than
    itself given again with the same array (``f(A, A)``): with its own array or another
    argument, or another's shadow. Such a shadow is not copied (a copy of each would
    part memory the alias checks must see shared); its layout is refused instead."""
    dx = a.dval
    for b in args:
        for v in (getattr(b, "val", None), getattr(b, "dval", None)):
            if not isinstance(v, np.ndarray) or v is dx and b.val is a.val:
                continue
            if np.may_share_memory(dx, v) and np.shares_memory(dx, v):
                return True
    return False


def check_layout(name, x, dx, what, hint) -> None:
    """Refuse a ``what`` (shadow or tangent) ``dx`` that steps through memory
    otherwise than ``x`` (``same_strides``): it follows ``x``'s views, and a
    reshape that views one and copies the other would lose its writes.
    (``autodiff`` gives such a shadow a copy in ``x``'s layout first,
    ``shadows_in_layout``; split mode's halves cannot.)"""
    if not same_strides(x, dx):
        repeats = any(st == 0 and n > 1 for n, st in zip(x.shape, x.strides))
        if overlaps_itself(x) and not repeats:
            hint = (f"`{name}`'s elements share memory (a sliding window, as_strided): pass a copy of it "
                    f"(np.array({name})), whose elements each have a derivative of their own, and a shadow "
                    "np.zeros_like of that copy.")
        elif repeats:
            hint = (f"`{name}` repeats its elements in memory (np.broadcast_to): pass a copy of it (np.array({name})) "
                    f"and a shadow np.zeros_like of that copy.")
        elif not (x.flags.c_contiguous or x.flags.f_contiguous):   # (a strided view: np.zeros_like is contiguous)
            hint = (f"`{name}` is a strided view: pass a contiguous copy (np.ascontiguousarray({name})), or make "
                    f"the {what} the same view of zeros of its base (np.zeros_like(base)[:, 1:] for base[:, 1:]).")
        raise ShapeError(f"the {what} of `{name}` steps through memory otherwise than `{name}` (its strides, "
                         f"{dx.strides}, are not {x.strides}).",
                         construct=f"Duplicated({name}, d{name})", hint=hint)


def annotate(args, active_positions, f=None) -> list:
    """Copies of the arguments (``copy_values``): float arrays Duplicated (a
    scratch shadow for those not asked for), float scalars at
    ``active_positions`` Active, the rest Const."""
    ann = []
    copies = copy_values(args, f)
    asked = set(active_positions)
    written = _may_write(f, len(args)) if any(
        is_float_array(a) and i not in asked for i, a in enumerate(args)) else set()
    for i, a in enumerate(args):
        if is_float_array(a) and (i in active_positions or i in written):
            x = copies[i]
            ann.append(A.Duplicated(x, layout_zeros(x)))
        elif i in active_positions and is_float_scalar(a):
            # (a numpy scalar as it is: the function computes in its precision, np.float32 too)
            ann.append(A.Active(a if isinstance(a, np.inexact) else float(a) if isinstance(a, numbers.Real)
                                else complex(a)))
        else:
            ann.append(A.Const(copies[i]))
    return ann


def _may_write(f, n) -> set:
    """The positions of the arguments ``f`` may write (by a conservative reading
    of its source; all of them where it cannot be read): those not asked for get
    a scratch shadow, the others are constants (``np.interp``'s grid has no
    derivative, so it could not be given one)."""
    try:
        names = _written_names(f)
    except TypeError:   # (not hashable)
        names = None
    if names is None:
        return set(range(n))
    return {i for i, p in enumerate(param_names(f, n)) if p in names}


@functools.lru_cache(maxsize=256)
def _written_names(f):
    """``written_params(f)`` once per function (reading the source costs about
    0.4 ms, a gradient's whole time on a small kernel); None where it cannot be read.
    (A helper of ``f`` changed since to write an argument only makes a constant
    written: refused, never a wrong derivative.)"""
    from ..errors import SourceError
    from ..tapes.effects import rebound_params, written_params
    try:
        # (and those rebound, ``u_prev, u = u, u_next``: a value with a derivative may flow through them)
        return frozenset(written_params(f)) | frozenset(rebound_params(f))
    except (SourceError, SyntaxError, TypeError, ValueError, OSError):
        return None


def derivative(a, d):
    """What ``annotate``d argument ``a`` gets: its shadow, its Active derivative ``d``, or None."""
    if isinstance(a, A.Duplicated):
        return a.dval
    if isinstance(a, A.Active):
        return d
    return None


def wrap(arg):
    if isinstance(arg, A.Annotation):
        return arg
    if isinstance(arg, type) and issubclass(arg, A.Annotation):
        raise ActivityError(f"the activity class {arg.__name__} was given where a value is expected.",
                            construct=arg.__name__, hint=f"wrap the value: {arg.__name__}(x).")
    return A.Const(arg)


def warn_bare_arrays(f, args) -> None:
    """A bare float array where an activity is expected is taken as Const, as
    in Enzyme: say so, since its derivative is then silently not computed."""
    if not any(isinstance(a, np.ndarray) for a in args):
        return
    names = param_names(f, len(args))
    for name, a in zip(names, args):
        if isinstance(a, np.ndarray) and a.dtype.kind in "fc":
            warnings.warn(f"`{name}` is a bare float array, taken as Const: its derivative is not computed. "
                          f"Pass Duplicated({name}, d{name}) for its derivative, or Const({name}) to say it is "
                          "constant.", AdCompilerWarning, stacklevel=3)


def _apart(arrays) -> bool:
    """Whether no two of these arguments' arrays (values and shadows) can
    share memory: each owns its buffer (a view never does) and each is a
    different object. Then the pairwise checks have nothing to find."""
    seen = set()
    for _, a in arrays:
        for x in (a.val, a.dval) if isinstance(a, A.Duplicated) else (a.val,):
            if type(x) is not np.ndarray or not x.flags.owndata or id(x) in seen:
                return False
            seen.add(id(x))
    return True


def _check_hidden(args, arrays, names, writes, module_arrays):
    """Refuse an argument that carries a derivative or is written, or a shadow, whose memory is
    an array the analyses cannot see as the argument's: one the function reads from its module
    (``module_arrays``: (name, an array or a container of them)) or one a container argument holds."""
    # (a container's arrays as they are now: a dict the function reads may have changed)
    hidden = [(f"`{name}`, an array the function reads from its module" if isinstance(v, np.ndarray) else
               f"an array in `{name}{''.join(f'[{k!r}]' for k in path)}`, which the function reads from its "
               "module", g)
              for name, v, paths in module_arrays for path in paths for g in _leaves(_follow(v, path))]
    hidden += [(f"an array in `{names[i]}`", x) for i, a in enumerate(args)
               if isinstance(a.val, (dict, list, tuple)) for x in _leaves(a.val)]
    for what, g in hidden:
        # (np.matrix's `*` is a product of matrices: refused as an argument is)
        _refuse_subclass(what, g, what.split("`")[1] if "`" in what else None,
                         "hold a plain array (np.asarray, with the masked values filled first).")
        for i, a in arrays:
            if (isinstance(a, A.Duplicated) or i in writes) and np.may_share_memory(g, a.val) \
                    and np.shares_memory(g, a.val):
                raise AliasingError(
                    f"`{names[i]}` is the memory of {what}.", construct=f"{names[i]}",
                    hint="pass a copy (.copy()) of one of them: the analyses take them for separate memory.")
            if isinstance(a, A.Duplicated) and np.may_share_memory(g, a.dval) and np.shares_memory(g, a.dval):
                raise AliasingError(
                    f"the shadow of `{names[i]}` is the memory of {what}: the reverse sweep would read it "
                    "as a constant while it holds the adjoints.", construct=f"d{names[i]}",
                    hint="shadows must be separate arrays (pass a copy of the value the function reads).")


def dtype_chars(args) -> str:
    """One dtype char per annotated argument: an array's or numpy scalar's; for a container
    (tuple, list, dict, record) its first leaf of a narrow dtype (float32, int32...), which
    the numba backend refuses as it refuses one given alone; ``-`` otherwise."""
    return "".join(_dtype_char(a.val) for a in args)


def _dtype_char(v, depth: int = 0) -> str:
    if isinstance(v, (np.ndarray, np.generic)):
        return v.dtype.char
    if depth < 4 and isinstance(v, (tuple, list, dict)):
        for x in v.values() if isinstance(v, dict) else v:
            c = _dtype_char(x, depth + 1)
            d = np.dtype(c) if c != "-" else None
            if d is not None and (d.kind in "fiu" and d.itemsize < 8 or d.kind == "u" or d.kind == "c" and d.itemsize < 16):
                return c
    return "-"


def refuse_subclasses(args, names) -> None:
    """Refuse an array, or a shadow, of a subclass of numpy's array (``np.matrix``: the adjoint's products
    on a shadow would be its, and ``np.zeros_like`` of a matrix is one), or of objects."""
    for i, a in enumerate(args):
        shadows = a.dvals if isinstance(a, A.BatchDuplicated) else (a.dval,) if isinstance(a, A.Duplicated) else ()
        for v in (a.val, *shadows):
            if isinstance(v, np.ndarray) and (type(v) is not np.ndarray or v.dtype.kind == "O"):
                n, tail = names[i], "." if v is a.val else f" and a plain array for its shadow (np.zeros({names[i]}.shape))."
                _refuse_subclass(f"`{n}`" if v is a.val else f"the shadow of `{n}`", v, n,
                                 f"pass np.asarray({n}) (with the masked values filled first){tail}")


def _refuse_subclass(what: str, v, construct, hint: str) -> None:
    if isinstance(v, np.ndarray) and v.dtype.kind == "O":   # (an array it holds was taken for a constant)
        raise ActivityError(f"{what} is an array of objects, whose items the derivative does not follow.",
                            construct=construct, hint="pass the arrays it holds as arguments (or a tuple of them).")
    if isinstance(v, np.ndarray) and type(v) is not np.ndarray:
        raise ActivityError(f"{what} is a {type(v).__name__}, a subclass of numpy's array whose operators mean "
                            "other things (np.matrix multiplies with *, a masked array skips its mask).",
                            construct=construct, hint=hint)


def check_alias(args, names, writes, module_arrays=()):
    """Refuse arguments that share memory where the function writes one of them, shadows that do not
    share memory as their arrays do, and an argument that carries a derivative or is written whose memory
    is an array the function reads from its module (``module_arrays``: (name, array)), which the
    analyses take for separate memory."""
    refuse_subclasses(args, names)
    arrays = [(i, a) for i, a in enumerate(args) if isinstance(a.val, np.ndarray)]
    # memory the analyses cannot see is an argument's: (what it is, the array)
    _check_hidden(args, arrays, names, writes, module_arrays)
    if _apart(arrays):
        for i, a in arrays:
            if writes and i in writes and not a.val.flags.writeable:
                raise ActivityError(f"`{names[i]}` is written by the function but is read-only.",
                                    construct=names[i], hint="pass a writeable array.")
        return
    for i, a in arrays:
        for what, v in ((f"`{names[i]}`", a.val), (f"the shadow of `{names[i]}`", a.dval)) \
                if isinstance(a, A.Duplicated) else ((f"`{names[i]}`", a.val),) if i in writes else ():
            if isinstance(v, np.ndarray) and overlaps_itself(v):
                raise AliasingError(
                    f"{what} is an array whose elements share memory (a sliding window, a broadcast, "
                    "as_strided) and " + ("it is written by the function" if i in writes else "carries a derivative")
                    + ": the analyses take its elements for separate memory.", construct=names[i],
                    hint=f"pass a copy (np.array({names[i]})): each of its elements has memory, and a derivative, "
                         "of its own.")
    for p, (i, a) in enumerate(arrays):
        for j, b in arrays[p + 1:]:
            share = np.may_share_memory(a.val, b.val) and np.shares_memory(a.val, b.val)
            if share and (i in writes or j in writes):
                raise AliasingError(
                    f"`{names[i]}` and `{names[j]}` share memory and one of them is written by the function.",
                    construct=f"{names[i]}, {names[j]}",
                    hint="pass separate arrays (copy one of them), or restructure the function.")
            if isinstance(a, A.Duplicated) and isinstance(b, A.Duplicated):
                dshare = np.may_share_memory(a.dval, b.dval) and np.shares_memory(a.dval, b.dval)
                if dshare != share:
                    raise AliasingError(
                        f"the shadows of `{names[i]}` and `{names[j]}` do not share memory the way the arrays do.",
                        construct=f"d{names[i]}, d{names[j]}",
                        hint="give each array its own shadow (np.zeros_like), shared exactly where the arrays are.")
    for i, a in arrays:
        if isinstance(a, A.Duplicated):
            for j, b in arrays:
                if np.may_share_memory(a.dval, b.val) and np.shares_memory(a.dval, b.val):
                    raise AliasingError(f"the shadow of `{names[i]}` shares memory with `{names[j]}`.",
                                        construct=f"d{names[i]}", hint="shadows must be separate arrays.")
        if i in writes and not a.val.flags.writeable:
            raise ActivityError(f"`{names[i]}` is written by the function but is read-only.",
                                construct=names[i], hint="pass a writeable array.")


_ITERATED_DICTS: dict = {}


def check_dict_iteration(f, args, names) -> None:
    """Refuse a loop over a dict argument (``for k in d``, ``enumerate(d)``,
    ``zip(d, x)``, ``reversed(d)``): loops run over positions, which for a dict
    gave its values at keys 0, 1... where Python gives its keys."""
    dicts = {names[i] for i, a in enumerate(args) if isinstance(a.val, dict) and i < len(names)}
    code = getattr(f, "__code__", None)
    if not dicts or code is None:
        return
    key = (code, frozenset(dicts))
    if key not in _ITERATED_DICTS:
        _ITERATED_DICTS[key] = _loop_over(f, dicts)
    found = _ITERATED_DICTS[key]
    if found is not None:
        from ..errors import UnsupportedSyntaxError
        file, line, text, name = found
        raise UnsupportedSyntaxError(
            f"a loop over the dict `{name}`: loops run over positions, not over a dict's keys.",
            filename=file, lineno=line, construct=text,
            hint=f"loop over list({name}.keys()) passed as an argument, or over {name}[k] for known keys.")


def _loop_over(f, dicts):
    from ..frontend.parse import parse_function
    try:
        pf = parse_function(f)
    except AdCompilerError:
        return None
    for node in ast.walk(pf.tree):
        it = node.iter if isinstance(node, (ast.For, ast.comprehension)) else None
        if it is None:
            continue
        parts = [it] + (list(it.args) if isinstance(it, ast.Call) else [])
        for p in parts:
            if isinstance(p, ast.Name) and p.id in dicts:
                line = getattr(node, "lineno", getattr(it, "lineno", None))
                return pf.filename, line, pf.line_text(line) if line else None, p.id
    return None


def _leaves(v, seen=None):
    """The arrays a container holds (nested containers too, each once)."""
    if isinstance(v, np.ndarray):
        yield v
    elif isinstance(v, (dict, list, tuple)):
        seen = set() if seen is None else seen
        if id(v) not in seen:
            seen.add(id(v))
            for x in (v.values() if isinstance(v, dict) else v):
                yield from _leaves(x, seen)


def _follow(v, path):
    """What ``v[k1][k2]...`` holds now (up to an array: its elements are its memory), or None."""
    for k in path:
        if isinstance(v, np.ndarray):
            return v
        try:
            v = v[k]
        except (KeyError, IndexError, TypeError):
            return None
    return v


def fill_defaults(f, args: list) -> list:
    """``args`` followed by ``Const(default)`` for each omitted trailing parameter of ``f`` that has a
    default value (as Python would fill it). Keyword-only parameters come after the positional ones, as
    the generated code takes them (``parse.parameters``).

    >>> def f(x, tol=1e-8, max_iter=50): ...
    >>> [a.val for a in fill_defaults(f, [A.Const(1.0)])]
    [1.0, 1e-08, 50]
    """
    names, defaults = parameters(f)
    if not defaults or len(args) >= len(names):
        return list(args)
    first = len(names) - len(defaults)   # the first parameter with a default
    if len(args) < first:
        return list(args)   # a required parameter is missing: the call itself says so
    return list(args) + [A.Const(d) for d in defaults[len(args) - first:]]


def brief(v) -> str:
    """``v`` named in a message without its values (an annotation of a large array)."""
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape}"
    if isinstance(v, (A.Duplicated, A.Const, A.Active)):
        return f"{type(v).__name__}({brief(v.val)}{', ...' if isinstance(v, A.Duplicated) else ''})"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def param_names(f, n):
    names = parameters(f)[0]
    return names + [f"argument {i}" for i in range(len(names), n)]


def flat_args(args):
    out = []
    for a in args:
        out.append(a.val)
        if isinstance(a, A.Duplicated):
            out.append(a.dval)
    return out


def kernel_of(f):
    """The function a ``differentiate`` object wraps (entry points differentiate
    it as that function: ``gradient(energy, x)`` of ``@differentiate def energy``),
    the Python function of a numba-compiled one (``resolve.plain_function``), else ``f``."""
    return f.mutating if getattr(f, "pure_function_of_kernel", False) and hasattr(f, "mutating") \
        else plain_function(f)


def function_called(call):
    """The function of an ``autodiff`` call ``call`` (None where there is none)."""
    f = call[1] if call and isinstance(call[0], A.Mode) and len(call) > 1 else call[0] if call else None
    try:
        return kernel_of(f) if callable(f) else None
    except AdCompilerError:
        return None


def located_half(half, f):
    """A split half, its errors about the arguments that name no line located at ``f``'s definition."""
    @functools.wraps(half)
    def run(*args):
        try:
            return half(*args)
        except AdCompilerError as e:
            at_definition(e, f)
            raise
    return run


def positional(f, args, kwargs) -> tuple:
    """``f``'s arguments given by position and keyword (``grad(f)(x, c=3.0)``) as
    positions: the parameters left out before the last one given take their defaults."""
    if not kwargs:
        return args
    try:
        bound = inspect.signature(f).bind(*args, **kwargs)
    except TypeError as e:
        raise at_definition(ActivityError(f"the arguments do not match {getattr(f, '__name__', 'f')}'s parameters: "
                                          f"{e}.", hint="pass each parameter once, by position or by name."),
                            kernel_of(f)) from None
    names = list(inspect.signature(f).parameters)
    last = max(names.index(k) for k in bound.arguments)
    bound.apply_defaults()
    return tuple(bound.arguments[k] for k in names[:last + 1])
