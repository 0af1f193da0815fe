"""The copies of the arguments the function transforms (``grad``, ``jvp``,
``jacobian``...) run on, and the memory checks that make running on copies
give what the call on the caller's arrays gives."""
from __future__ import annotations

import contextlib
import copy
import hashlib
import inspect
import random

import numpy as np

from ..activity import record_fields
from ..errors import AliasingError, at_definition
from ..frontend.parse import parameters
from ..frontend.resolve import free_values


class SameDraws:
    """Called before each run of ``f`` by a transform that runs it once per direction (``jacobian``,
    ``hessian``): every run starts from the state numpy's and Python's global random generators had
    at the first, so numbers ``f`` draws (a draw declared non-differentiable) are one realization,
    not one per column. The state afterwards is that of a single call."""

    def __init__(self):
        self.states = None

    def __call__(self) -> None:
        if self.states is None:
            self.states = (np.random.get_state(), random.getstate())
        else:
            np.random.set_state(self.states[0])
            random.setstate(self.states[1])

    @contextlib.contextmanager
    def replayed(self):
        """The first run's draws again (``vjp``'s pullback runs ``f`` once more), the caller's
        state as it was afterwards."""
        now = (np.random.get_state(), random.getstate())
        self()
        try:
            yield
        finally:
            np.random.set_state(now[0])
            random.setstate(now[1])


def copy_values(args, f=None) -> list:
    """``copy_value`` of each argument. Arguments that share memory (``f(x, x)``,
    views of one array, an array whose elements do) are copied apart, which is right only while ``f``
    writes none of them: otherwise (the caller's call reads the write through
    the other) they are refused, as ``autodiff`` refuses them. So is a written
    argument that is the memory of an array ``f`` (or a function it calls)
    reads from its module or closure: the copy would leave that array as it was. A
    record (a dataclass, a ``SimpleNamespace``) is taken as ``Const`` takes it: the
    dict of its fields, its arrays copied too."""
    args = [record_fields(a) for a in args]
    arrays = [(k, a) for k, v in enumerate(args) for a in _arrays_in(v)]   # (those inside containers too)
    if f is not None:   # (an omitted parameter's default is the function's memory, never copied)
        arrays += [(k, a) for k, v in _omitted_defaults(f, len(args)) for a in _arrays_in(v)]
    shared = {k for n, (k, a) in enumerate(arrays) for m, (j, b) in enumerate(arrays)
              if m != n and np.may_share_memory(a, b) and np.shares_memory(a, b)}   # (the bounds first: cheap)
    shared |= {k for k, a in arrays if overlaps_itself(a)}   # (a sliding window: its copy's elements are apart)
    if shared and f is not None:
        written = shared & _written_params(f, args)
        if written:
            raise at_definition(AliasingError(   # (at the definition, whose line names the parameters)
                f"arguments {sorted(shared)} share memory (with each other, or between their own elements) and "
                f"argument {min(written)} is written by "
                f"`{getattr(f, '__name__', f)}`{_defaults_named(f, shared, len(args))}: the derivative is taken on "
                "copies of the arguments, which would not share it.", hint="pass separate arrays (copy one of them)."),
                f)
    if f is not None and arrays:
        _refuse_module_memory(f, args, arrays)
    return [copy_value(a) for a in args]


def _defaults_named(f, positions, given) -> str:
    """`` (argument 1 is the default value of `c`)`` for the omitted parameters among ``positions``."""
    names = [f"argument {k} is the default value of `{_name(f, k)}`" for k in sorted(positions) if k >= given]
    return f" ({', '.join(names)})" if names else ""


def _omitted_defaults(f, given) -> list:
    """(position, default value) of the parameters of ``f`` after the ``given`` ones that take their
    defaults (``fill_defaults``)."""
    names, defaults = parameters(f)
    first = len(names) - len(defaults)
    return [(k, defaults[k - first]) for k in range(max(given, first), len(names))]


def _refuse_module_memory(f, args, arrays) -> None:
    hidden = [(name, g) for name, v in module_memory(f, args) for g in _arrays_in(v)]
    hit = {k: name for k, a in arrays for name, g in hidden
           if np.may_share_memory(a, g) and np.shares_memory(a, g)}
    if not hit:
        return
    written = set(hit) & _written_params(f, args)
    if written:
        k = min(written)
        raise AliasingError(
            f"`{_name(f, k)}` (argument {k}) is the memory of `{hit[k]}`, an array `{getattr(f, '__name__', f)}` reads from its "
            "module or closure, and the function writes it: the derivative is taken on a copy of the "
            "argument, which would leave that array as it was.",
            construct=hit[k], hint="pass a copy (.copy()) of the array as the argument.")


def free_state(f, args=()) -> list:
    """(name, object, a copy of it where it is an array) of every value ``f`` and the
    functions it names read from their modules or closures, as they are now."""
    return [(name, obj, layout_copy(obj) if isinstance(obj, np.ndarray) else
             fingerprint(obj) if isinstance(obj, (dict, list, tuple)) else None)
            for name, obj in _free_values(f, args)]


def check_free_state(f, args, state, what: str) -> None:
    """Refuse where a value ``free_state`` recorded was bound again or an array of it written since
    (an array a dict, list or tuple holds too: ``CFG["w"][:] = ...`` or ``CFG["w"] = ...``)."""
    now = _free_values(f, args)   # (in the same order: the functions are walked alike)
    if [n for n, _ in now] != [n for n, _, _ in state]:
        now = [(name, None) for name, _, _ in state]   # (a function bound again: every name changed)
    for (name, obj, saved), (_, current) in zip(state, now):
        if current is not obj or (isinstance(obj, np.ndarray) and not np.array_equal(obj, saved, equal_nan=True)) \
                or (isinstance(obj, (dict, list, tuple)) and fingerprint(obj) != saved):
            raise AliasingError(
                f"`{name}`, which `{getattr(f, '__name__', f)}` reads from its module or closure, changed since "
                f"{what}: the derivative would be taken at the new value, the outputs at the old one.",
                construct=name, hint=f"call {what.split()[0]} again after changing `{name}`.")


def _free_values(f, args) -> list:
    """(name, value) of what ``f``, its callees and the functions in ``args`` read from their
    modules or closures (``frontend.resolve.free_values``)."""
    return [(name, obj) for _, name, obj in free_values(f, args)]


def module_memory(f, args=()) -> list:
    """(name, value) of the arrays and containers ``f``, the functions it names
    and the functions passed in ``args`` read from their modules or closures
    (a superset: a function named but never called is counted too)."""
    return [(name, obj) for name, obj in _free_values(f, args) if isinstance(obj, (np.ndarray, dict, list, tuple))]


def copy_value(a):
    """A copy of an argument the caller keeps: an array in its own layout, a
    container (dict, list, tuple) whole, anything else itself. (A container's
    arrays written by the function changed the caller's, and each call of a
    Hessian's or Jacobian's loop saw the last one's writes.)"""
    if isinstance(a, np.ndarray):
        return layout_copy(a)
    if isinstance(a, (dict, list, tuple)):
        return copy.deepcopy(a)
    return a


def overlaps_itself(a: np.ndarray) -> bool:
    """Whether two elements of ``a`` may be one place in memory (a broadcast array, a
    sliding window, ``as_strided``): conservatively, unless each axis (by stride) steps
    over all the elements of the axes of smaller stride."""
    if a.flags.c_contiguous or a.flags.f_contiguous or a.size <= 1:
        return False
    reach = a.itemsize
    for step, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n > 1):
        if step < reach:
            return True
        reach = step * (n - 1) + reach
    return False


def layout_copy(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` with ``a``'s strides (a step-sliced view's copy is strided
    too): whether ``np.ravel``, ``reshape``... of it return a view or a copy is
    as for the caller's array, so the function copied runs as the caller's
    would (a contiguous copy turned ``v = np.ravel(X); v *= 2`` into a write of
    ``X``). Arrays with repeated or odd strides, or whose elements share memory,
    are copied in order "K" (each element its own memory)."""
    if a.flags.c_contiguous or a.flags.f_contiguous or a.dtype.hasobject or overlaps_itself(a):
        return a.copy(order="K")
    size = a.itemsize
    steps = [s for s, n in zip(a.strides, a.shape) if n > 1]
    if a.size == 0 or any(s == 0 or s % size for s in steps):
        return a.copy(order="K")
    lo = sum(min(0, (n - 1) * s) for s, n in zip(a.strides, a.shape) if n > 1) // size
    hi = sum(max(0, (n - 1) * s) for s, n in zip(a.strides, a.shape) if n > 1) // size
    buf = np.zeros(hi - lo + 1, a.dtype)
    out = np.lib.stride_tricks.as_strided(buf[-lo:], a.shape, a.strides, writeable=True)
    out[...] = a
    return out


def kind_of_argument(v):
    """The kind the analyses take a value passed as an argument for (an array by its
    rank and dtype)."""
    from ..analysis.kinds import array, kind_of_value
    return array(v.ndim, v.dtype.kind) if isinstance(v, np.ndarray) else kind_of_value(v)


def _name(f, k) -> str:
    names = parameters(f)[0]
    return names[k] if k < len(names) else f"argument {k}"


def _arrays_in(v) -> list:
    """The arrays ``v`` is or holds (in tuples, lists and dict values, nested)."""
    if isinstance(v, np.ndarray):
        return [v]
    if isinstance(v, (tuple, list)):
        return [a for x in v for a in _arrays_in(x)]
    if isinstance(v, dict):
        return [a for x in v.values() for a in _arrays_in(x)]
    return []


def _written_params(f, args) -> set:
    """The positions of the parameters ``f`` writes, called with ``args`` (all,
    where the signature cannot be read). Where the analysis refuses ``f``, its
    refusal (at the line it names) is raised: the derivative would meet it too."""
    from .. import pipeline
    from ..analysis.kinds import kind_of_value
    kinds = [kind_of_argument(a) for a in args]
    try:
        params = list(inspect.signature(f).parameters.values())
        kinds += [kind_of_value(p.default) for p in params[len(kinds):]]
    except (TypeError, ValueError):
        return set(range(len(args)))
    try:
        return set(pipeline.analyse(f, tuple(kinds)).param_writes())
    except (TypeError, ValueError):
        return set(range(len(args)))


def digest(a: np.ndarray) -> bytes | None:
    """A digest of ``a``'s values (its bytes in C order, with its shape and dtype); None for
    an array of objects (its bytes are references)."""
    if a.dtype.hasobject:
        return None
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((a.shape, a.dtype.str)).encode())
    if a.size:
        h.update(memoryview(np.ascontiguousarray(a).reshape(-1)).cast("B"))
    return h.digest()


def fingerprint(v):
    """What ``v`` holds, to compare: an array's digest, a number's type and value, a container's
    items' fingerprints (a record passed as Const: its fields); other objects by identity."""
    if isinstance(v, np.ndarray):
        return "array", digest(v) if not v.dtype.hasobject else id(v)
    if isinstance(v, dict):   # (also a record's Fields)
        return "dict", tuple((k, fingerprint(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return type(v).__name__, tuple(fingerprint(x) for x in v)
    if v is None or isinstance(v, (bool, int, float, complex, str, bytes, np.generic)):
        return type(v).__name__, repr(v)
    return "object", id(v)
