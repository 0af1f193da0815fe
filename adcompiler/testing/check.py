"""Gradient checks against finite differences, for users and for the test suite.

``check_grads`` tests reverse mode on a function that mutates its arguments;
``check_gradient`` tests ``adcompiler.gradient`` on a float-returning function.
Both compare a directional derivative computed from the gradient with a
fourth-order central finite difference of the same function, evaluated in
float64 on fresh copies of every argument (the function mutates them).

The objective checked by ``check_grads``: with a random non-zero seed ``w_k``
placed in the shadow of every Duplicated argument ``x_k`` and a return seed
``c`` (1.0, or random in split mode), reverse mode must produce the gradient of

    J(x0, a) = sum_k <w_k, x_k1(x0, a)> + c * f(x0, a)     (return term only if Active)

with respect to the initial memory ``x_k0`` (the whole exit value of the
shadow, since the seed itself enters J through untouched entries) and with
respect to every Active scalar ``a_j`` (the returned derivative). Const memory
is not differentiated.
"""
from __future__ import annotations

import copy
import functools
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..activity import (
    Active,
    Const,
    Duplicated,
    DuplicatedNoNeed,
    Mode,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from ..frontend.parse import by_position
from . import fd
from .fd import close, is_float_array, is_float_scalar

_DETAIL_MAX = 64  # arrays up to this size get an element-wise diagnosis on failure


@dataclass
class GradCheckResult:
    """Outcome of a passing check: relative error and tolerance per argument.

    ``errors[name]`` is ``(|ad - fd| - noise)+ / max(sum|g*v|, |fd|)`` for a random
    direction ``v`` over that argument alone; ``errors["all"]`` for a direction
    over every differentiable argument at once.
    """

    errors: dict[str, float] = field(default_factory=dict)
    tolerances: dict[str, float] = field(default_factory=dict)
    primal_return: Any = None

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v:.1e}" for k, v in self.errors.items())
        return f"GradCheckResult({parts})"


def _arg_names(f: Callable, n: int) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(n)]


class Problem:
    """The function, its unannotated values, kinds, seeds, directions and the objective J.

    Shared by ``check_grads`` and ``adcompiler check`` (which reports every row).
    """

    def __init__(self, f: Callable, args: tuple, rng: np.random.Generator):
        self.f = f
        self.kinds: list[str] = []
        self.vals: list[Any] = []
        for a in args:
            if isinstance(a, DuplicatedNoNeed):
                kind = "noneed"
            elif isinstance(a, Duplicated):
                kind = "dup"
            elif isinstance(a, Active):
                kind = "active"
            elif isinstance(a, Const):
                kind = "const"
            else:
                kind = "const"
                a = Const(a)
            if kind in ("dup", "noneed") and not is_float_array(a.val):
                raise TypeError(f"check_grads: Duplicated needs a float array, got {type(a.val).__name__}")
            self.kinds.append(kind)
            self.vals.append(copy.deepcopy(a.val))
        self.names = _arg_names(f, len(args))
        self.dups = [k for k, kind in enumerate(self.kinds) if kind in ("dup", "noneed")]
        self.diff = [k for k, kind in enumerate(self.kinds) if kind != "const"]
        arrays = [args[k].val for k in self.dups]
        for i, x in enumerate(arrays):
            for y in arrays[i + 1:]:
                if np.shares_memory(x, y):
                    raise ValueError("check_grads does not support Duplicated arguments that share memory")
        # seeds rounded to the argument's dtype, so J uses exactly the seed the shadow holds
        self.seeds = {k: fd.wide(_random_seed(rng, self.vals[k].shape, np.iscomplexobj(self.vals[k]))
                                 .astype(self.vals[k].dtype)) for k in self.dups}
        self.dirs = {k: _direction(rng, self.vals[k]) for k in self.diff}

    def fresh(self) -> list[Any]:
        """Deep copies of the argument values (identity aliasing preserved)."""
        return copy.deepcopy(self.vals)

    def J(self, values: list, ret_active: bool, cret: float) -> tuple[float, float]:
        """J after running ``f`` on ``values`` (mutated), and the magnitude of its terms."""
        return fd.seeded_sum(by_position(self.f), values, {k: self.seeds[k] for k in self.dups},
                             cret if ret_active else None)

    def objective(self, t: float, dirs: dict[int, Any], ret_active: bool,
                  cret: float) -> tuple[float, float]:
        """J at x + t*v, in float64 on fresh copies, and the magnitude of its terms."""
        return self.J(fd.shifted(self.vals, dirs, t), ret_active, cret)


def _random_seed(rng: np.random.Generator, shape: tuple, cplx: bool = False) -> np.ndarray:
    """Non-zero seeds of either sign with magnitude in [0.5, 1.5] (complex: each part so)."""
    s = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return s + 1j * _random_seed(rng, shape) if cplx else s


def _direction(rng: np.random.Generator, x: Any) -> Any:
    scale = max(1.0, float(np.max(np.abs(x)))) if np.size(x) else 1.0
    if isinstance(x, np.ndarray):
        d = rng.uniform(-1.0, 1.0, x.shape) * scale
        return d + 1j * rng.uniform(-1.0, 1.0, x.shape) * scale if np.iscomplexobj(x) else d
    d = float(rng.uniform(-1.0, 1.0)) * scale
    return d + 1j * float(rng.uniform(-1.0, 1.0)) * scale if np.iscomplexobj(x) else d


def check_grads(f: Callable, *args: Any, ret: Any = None, mode: Mode = Reverse,
                seed: int = 0, rtol: float | None = None, atol: float = 0.0,
                h: float = 1e-6, engine: Any = None) -> GradCheckResult:
    """Check reverse mode of ``f`` at ``args`` against finite differences.

    ``args`` are activity annotations (``Const``, ``Duplicated``,
    ``DuplicatedNoNeed``, ``Active``) or plain values (taken as Const). Only
    their values, shapes and dtypes are used: shadows are replaced by random
    non-zero seeds and the caller's objects are never modified. ``ret`` is
    ``Active`` or ``Const``; ``None`` means Active exactly when ``f`` returns
    a float. ``mode`` is ``Reverse``, ``ReverseWithPrimal`` or
    ``ReverseSplitWithPrimal`` (through ``autodiff_thunk``, driven as the tape
    adapters drive it: the forward half runs with fresh zero shadows, which it
    must leave untouched, and the reverse half with other fresh shadows holding
    the seeds; the return seed is random). ``engine`` is a backend's name
    (``"numba"``, ``"auto"``, ``"numpy"``) or any object with
    ``autodiff``/``autodiff_thunk`` of adcompiler's signature (default: the
    adcompiler package).

    Checked, raising AssertionError with a diagnosis on failure:

    1. the result is a tuple with one entry per argument, a float for Active
       arguments and None otherwise (and the primal return matches ``f``'s in
       the WithPrimal modes);
    2. after the call every non-NoNeed argument holds what ``f`` leaves in it;
    3. for every differentiable argument alone, and for all together, the
       directional derivative ``<g, v>`` of the objective J in the module
       docstring along a random ``v`` agrees with a fourth-order central
       difference of step ``h`` (scaled by each argument's magnitude), within
       ``atol + rtol * max(sum|g*v|, |fd|)`` plus a bound on rounding noise (with float32 arguments or
       types named in ``f``, or at steps ``1000 h`` and ``10000 h`` both: a staircase at ``h``'s scale).

    ``rtol`` defaults to 1e-6, or 1e-3 when a Duplicated array is float32."""
    engine = _engine(engine)
    rng = np.random.default_rng(seed)
    prob = Problem(f, args, rng)
    if not prob.diff:
        _nothing_to_check(f)
    ref_vals = prob.fresh()
    ref_ret = by_position(f)(*ref_vals)
    if ret is None:
        ret = Active if is_float_scalar(ref_ret) else Const
    narrow = any(_narrow(v) for v in prob.vals) or _names_narrow_types(f)
    if rtol is None:
        rtol = 1e-3 if any(prob.vals[k].dtype not in (np.float64, np.complex128) for k in prob.dups) else 1e-6
    cret = float(_random_seed(rng, ())) if mode is ReverseSplitWithPrimal else 1.0
    label = getattr(f, "__name__", repr(f))
    vals = prob.fresh()
    shadows = {k: _in_layout(prob.seeds[k], vals[k]) for k in prob.dups}
    derivs, primal = _run_reverse(engine, label, prob, mode, ret, vals, shadows, cret)
    if mode in (ReverseWithPrimal, ReverseSplitWithPrimal):
        assert close(primal, ref_ret), f"{label}: primal return {primal!r} != f's return {ref_ret!r}"
    _check_derivs_shape(label, prob, derivs)
    _check_finals(label, prob, vals, ref_vals)
    grads = {k: fd.wide(shadows[k]) if k in shadows else fd.wide(derivs[k]) for k in prob.diff}
    result = _check_directions(
        label, prob.names, prob.kinds, prob.vals, prob.diff, prob.dirs, grads,
        lambda vs: prob.J(vs, ret is Active, cret), rtol, atol, h, coarse=narrow)
    result.primal_return = primal
    return result


def _engine(engine: Any) -> Any:
    """The adcompiler package, or its ``autodiff``, ``autodiff_thunk`` and ``gradient`` under the
    backend ``engine`` names."""
    import adcompiler
    if engine is None:
        return adcompiler
    if isinstance(engine, str):
        if engine not in ("numpy", "numba", "auto"):
            raise ValueError(f"engine={engine!r} is not a backend ('numpy', 'numba' or 'auto').")
        return types.SimpleNamespace(
            autodiff=lambda *call: adcompiler.autodiff(*call, backend=engine),
            autodiff_thunk=lambda *call: adcompiler.autodiff_thunk(*call, backend=engine),
            gradient=lambda f, *args: adcompiler.gradient(f, *args, backend=engine))
    return engine


def _nothing_to_check(f: Callable) -> None:
    import warnings

    from ..errors import AdCompilerWarning
    warnings.warn(AdCompilerWarning(
        f"check_grads({getattr(f, '__name__', f)}): no argument is Duplicated or Active, so no derivative "
        "is checked (plain values are Const): annotate the arguments to check, e.g. Duplicated(x, dx)."),
        stacklevel=3)


def _in_layout(seed: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``seed`` in ``x``'s dtype and memory layout (a shadow must have it: C or Fortran order)."""
    out = np.empty_like(x)
    out[...] = seed
    return out


def _run_reverse(engine: Any, label: str, prob: Problem, mode: Mode, ret: Any, vals: list[Any],
                 shadows: dict[int, np.ndarray], cret: float) -> tuple[Any, Any]:
    """Call the engine in ``mode`` on ``vals`` with seeded ``shadows``: (derivs, primal)."""
    annots = _annotate(prob.kinds, vals, shadows)
    if mode is ReverseSplitWithPrimal:
        fwd, rev = engine.autodiff_thunk(mode, prob.f, ret, *[type(a) for a in annots])
        zeros = {k: np.zeros_like(shadows[k]) for k in prob.dups}
        tape, primal = fwd(*_annotate(prob.kinds, vals, zeros))
        for k in prob.dups:
            assert not np.any(zeros[k]), f"{label}: the forward half wrote the shadow of '{prob.names[k]}'"
        return rev(*annots, cret, tape), primal
    out = engine.autodiff(mode, prob.f, ret, *annots)
    if mode is ReverseWithPrimal:
        assert isinstance(out, tuple) and len(out) == 2, (
            f"{label}: ReverseWithPrimal must return (derivs, primal), got {out!r}")
        return out
    return out, None


def _annotate(kinds: list[str], vals: list[Any], shadows: dict[int, np.ndarray]) -> list[Any]:
    cls = {"dup": Duplicated, "noneed": DuplicatedNoNeed}
    out = []
    for k, kind in enumerate(kinds):
        if kind in cls:
            out.append(cls[kind](vals[k], shadows[k]))
        else:
            out.append(Active(vals[k]) if kind == "active" else Const(vals[k]))
    return out


def _check_derivs_shape(label: str, prob: Problem, derivs: Any) -> None:
    assert isinstance(derivs, tuple) and len(derivs) == len(prob.kinds), (
        f"{label}: expected a tuple of {len(prob.kinds)} derivatives, got {derivs!r}")
    for k, (kind, d) in enumerate(zip(prob.kinds, derivs)):
        if kind == "active":
            assert is_float_scalar(d) or (isinstance(d, np.ndarray) and d.shape == ()), (
                f"{label}: derivative of Active argument '{prob.names[k]}' is {d!r}, not a float")
        else:
            assert d is None, f"{label}: entry for non-Active argument '{prob.names[k]}' is {d!r}, not None"


def _check_finals(label: str, prob: Problem, vals: list[Any], ref_vals: list[Any]) -> None:
    """After the call every non-NoNeed array argument holds what ``f`` leaves in it."""
    for k, kind in enumerate(prob.kinds):
        if kind != "noneed" and isinstance(ref_vals[k], np.ndarray):
            assert close(vals[k], ref_vals[k]), (
                f"{label}: after the call argument '{prob.names[k]}' holds {vals[k]!r}, "
                f"but f leaves {ref_vals[k]!r}")


Objective = Callable[[list], tuple[float, float]]
"""J of float64 argument values (mutated by the call): (value, magnitude of its terms)."""


def _check_directions(label: str, names: list[str], kinds: list[str], vals: list[Any],
                      diff: list[int], dirs: dict[int, Any], grads: dict[int, Any],
                      J: Objective, rtol: float, atol: float, h: float, coarse: bool = False) -> GradCheckResult:
    """Directional checks per differentiable argument and for all together (``coarse``: float32
    arguments or types named in the function, whose arithmetic makes J a staircase at ``h``'s scale)."""
    result = GradCheckResult()
    groups = [(names[k], [k]) for k in diff]
    if len(diff) > 1:
        groups.append(("all", list(diff)))
    for name, ks in groups:
        sub = {k: dirs[k] for k in ks}
        ad = sum(fd.inner(grads[k], sub[k]) for k in ks)
        ad_mag = sum(float(np.sum(np.abs(np.real(np.conj(grads[k]) * sub[k])))) for k in ks)
        along = functools.partial(_along, J, vals, sub)
        fdv, noise = fd.derivative_with_noise(along, h)
        rel, tol, ok = fd.compare(ad, ad_mag, fdv, noise, rtol, atol)
        if not ok and coarse and _coarse_steps_agree(along, h, ad, ad_mag, rtol, atol):
            ok = True   # (J is a staircase at the scale of h, float32 arithmetic inside: two coarser steps agree)
        result.errors[name] = rel
        result.tolerances[name] = tol
        if not ok:
            detail = _element_detail(vals, grads[ks[0]], ks[0], J, h) if len(ks) == 1 else ""
            raise AssertionError(
                f"{label}: gradient disagrees with finite differences for "
                f"{'all arguments' if name == 'all' else repr(name)} "
                f"({', '.join(kinds[k] for k in ks)}): <g, v> = {ad!r}, "
                f"finite difference = {fdv!r}, |diff| = {abs(ad - fdv):.3e} > tol {tol:.3e} "
                f"(relative error {rel:.3e}).{detail}")
    return result


def _along(J, vals, sub, t):
    """J at ``vals`` moved by ``t`` along the directions ``sub``."""
    return J(fd.shifted(vals, sub, t))


def _names_narrow_types(f) -> bool:
    """Whether ``f``'s source names a float32 (or narrower) type: its arithmetic may be a staircase
    at the scale of ``h`` whatever its arguments' dtypes (``dt = np.float32(0.1)``, ``.astype(np.complex64)``)."""
    try:
        text = inspect.getsource(f)
    except (OSError, TypeError):
        return False
    return any(t in text for t in ("float32", "float16", "complex64", "single", "half", "csingle"))


def _narrow(v) -> bool:
    """A float32 (or narrower) array or number, real or complex."""
    d = getattr(v, "dtype", None)
    return d is not None and d.kind in "fc" and d.itemsize < (16 if d.kind == "c" else 8)


def _coarse_steps_agree(J, h, ad, ad_mag, rtol, atol) -> bool:
    """Whether the finite differences of steps ``1000 h`` and ``10000 h`` both agree with ``ad``:
    a function computed partly in float32 is flat between float32's values, so a step of
    ``h`` differences its rounding; a wrong derivative disagrees at every step (the fourth
    order's own error at ``10000 h`` is ``(10000 h)**4`` times the fifth derivative)."""
    for step in (1000 * h, 10000 * h):
        fdv, noise = fd.derivative_with_noise(J, step)
        if not fd.compare(ad, ad_mag, fdv, noise, rtol, atol).ok:
            return False
    return True


def _element_detail(vals: list[Any], grad: Any, k: int, J: Objective, h: float) -> str:
    """Element-wise finite-difference gradient of argument k, for the message (real arguments)."""
    if np.iscomplexobj(vals[k]):
        return ""
    g = np.atleast_1d(np.asarray(grad, dtype=np.float64)).ravel()
    if g.size > _DETAIL_MAX:
        return ""
    scale = max(1.0, float(np.max(np.abs(vals[k]))))
    fdg = fd.gradient(lambda vs: J(vs)[0], vals, [k], h, order=4, scale=scale)[k]
    fdg = np.atleast_1d(np.asarray(fdg, dtype=np.float64)).ravel()
    worst = int(np.argmax(np.abs(g - fdg)))
    return (f"\n  element-wise: AD {np.array2string(g, precision=6)}"
            f"\n               FD {np.array2string(fdg, precision=6)}"
            f"\n  worst flat index {worst}: AD {g[worst]!r} vs FD {fdg[worst]!r}")


def check_gradient(f: Callable, *args: Any, seed: int = 0, rtol: float = 1e-6,
                   atol: float = 0.0, h: float = 1e-6, engine: Any = None) -> GradCheckResult:
    """Check ``gradient(f, *args)`` for a float-returning ``f`` against finite differences.

    Checked, raising AssertionError on failure: the result is a tuple with one
    entry per argument, an array of the argument's shape for float arrays, a
    float for float scalars and None for anything else (ints, bools, ...);
    the caller's arrays are bit-for-bit unchanged; for each float argument
    alone and for all together, ``<g, v>`` along a random direction agrees with
    a fourth-order central difference of ``f`` (evaluated in float64 on copies)
    within ``atol + rtol * max(sum|g*v|, |fd|)`` plus a rounding-noise bound.
    """
    engine = _engine(engine)
    rng = np.random.default_rng(seed)
    label = getattr(f, "__name__", repr(f))
    names = _arg_names(f, len(args))
    before = copy.deepcopy(list(args))
    grads_out = engine.gradient(f, *args)
    for k, (a, b) in enumerate(zip(args, before)):
        if isinstance(b, np.ndarray):
            assert a.shape == b.shape and np.array_equal(a, b, equal_nan=True), (
                f"{label}: gradient() modified the caller's argument {names[k]!r}")
    assert isinstance(grads_out, tuple) and len(grads_out) == len(args), (
        f"{label}: expected a tuple of {len(args)} gradients, got {grads_out!r}")
    kinds, grads = _gradient_kinds(label, names, before, grads_out)
    diff = list(grads)
    dirs = {k: _direction(rng, before[k]) for k in diff}

    def J(vs: list) -> tuple[float, float]:
        r = float(np.real(by_position(f)(*vs)))
        return r, abs(r)

    return _check_directions(label, names, kinds, before, diff, dirs, grads, J, rtol, atol, h)


def _gradient_kinds(label: str, names: list[str], before: list[Any],
                    grads_out: tuple) -> tuple[list[str], dict[int, Any]]:
    """Each argument's kind (array, scalar, none) and the float64 gradients of the float ones."""
    kinds, grads = [], {}
    for k, (a, g) in enumerate(zip(before, grads_out)):
        if is_float_array(a):
            assert isinstance(g, np.ndarray) and g.shape == a.shape, (
                f"{label}: gradient for {names[k]!r} should be an array of shape {a.shape}, got {g!r}")
            kinds.append("array")
            grads[k] = fd.wide(g)
        elif is_float_scalar(a):
            assert is_float_scalar(g) or (isinstance(g, np.ndarray) and g.shape == ()), (
                f"{label}: gradient for float {names[k]!r} should be a float, got {g!r}")
            kinds.append("scalar")
            grads[k] = fd.wide(g)
        else:
            assert g is None, f"{label}: gradient for non-float {names[k]!r} should be None, got {g!r}"
            kinds.append("none")
    return kinds, grads
