"""The finite-difference engine: every numerical derivative adcompiler checks against.

Functions of one real variable ``t`` (a float or an array result):

- ``derivative(g, h, order)``: central difference of ``g`` at ``t = 0``,
  second order ``(g(h) - g(-h)) / 2h`` or fourth order
  ``(g(-2h) - 8 g(-h) + 8 g(h) - g(2h)) / 12h``; with ``kink=`` it also
  compares the one-sided differences and raises ``NonSmooth`` where they
  disagree (a branch, ``abs``/``max`` tie or changed trip count at the point).
- ``derivative_with_noise(J, h)``: the fourth-order difference of a scalar
  ``J`` that also reports the magnitude of its terms, and a bound on the
  rounding noise of the difference (what ``check_grads`` uses).

Functions of several arguments, evaluated on copies (the function may mutate
its arguments; every evaluation gets fresh float64 copies):

- ``float64_copies(values)`` and ``shifted(values, dirs, t)``;
- ``directional(F, values, dirs, h)``: the derivative of ``F(values + t*dirs)``;
- ``gradient(J, values, positions, h)``: element-wise partial derivatives of
  a scalar ``J(values)`` with respect to the arguments at ``positions``;
- ``seeded_sum(f, values, seeds, ret_weight)``: the objective of the
  reverse-mode contract ``sum_k <seed_k, x_k after f> + c * f(...)``;
- ``reverse_reference(f, args, ret_active)``: what ``autodiff(Reverse, ...)``
  must produce for annotated arguments, by central differences.

Comparison: ``compare(ad, ad_mag, fd, noise, rtol, atol)`` (relative error
beyond noise, tolerance, verdict), ``agree(got, want, rtol)`` (element-wise,
against a finite-difference reference) and ``close(x, ref)`` (primal results
agree up to rounding).

>>> round(derivative(lambda t: (1.0 + t) ** 3, order=4), 6)
3.0
"""
from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

EPS = float(np.finfo(np.float64).eps)
STEP = 1e-6
"""The default step ``h``."""
KINK = 1e-4
"""Default for ``kink=``: one-sided differences that differ by more than
``KINK * max(1, |central|)`` mark a kink or a jump."""
NOISE_FACTOR = 64.0
"""The rounding-noise bound of a fourth-order difference is
``NOISE_FACTOR * EPS * max|terms| / h``."""

# order -> (denominator, ((point, weight), ...)): the derivative is sum(weight * g(point * h)) / (denominator * h)
_STENCILS = {2: (2.0, ((-1.0, -1.0), (1.0, 1.0))),
             4: (12.0, ((-2.0, 1.0), (-1.0, -8.0), (1.0, 8.0), (2.0, -1.0)))}


def _combine(order: int, values: Sequence, h: float) -> Any:
    den, stencil = _STENCILS[order]
    total = values[0] * stencil[0][1]
    for (_, w), v in zip(stencil[1:], values[1:]):
        total = total + w * v
    return total / (den * h)


class NonSmooth(Exception):
    """The function is not differentiable (to working accuracy) at the point."""


class Comparison(NamedTuple):
    """Outcome of ``compare``: relative error beyond noise, tolerance, verdict."""

    rel: float
    tol: float
    ok: bool


def is_float_array(x: Any) -> bool:
    """A numpy array of a real or complex floating dtype."""
    return isinstance(x, np.ndarray) and x.dtype.kind in "fc"


def is_float_scalar(x: Any) -> bool:
    """A real or complex number that is neither a bool nor an integer."""
    return isinstance(x, numbers.Complex) and not isinstance(x, (bool, np.bool_, numbers.Integral))


def wide(x: Any) -> Any:
    """``x`` in float64, or complex128 when it is complex."""
    if np.iscomplexobj(x):
        return np.asarray(x, dtype=np.complex128) if isinstance(x, np.ndarray) else complex(x)
    return np.asarray(x, dtype=np.float64) if isinstance(x, np.ndarray) else float(x)


def inner(a: Any, b: Any) -> float:
    """The real inner product ``Re(sum(conj(a) * b))`` (complex numbers as pairs of reals)."""
    return float(np.sum(np.real(np.conj(a) * b)))


def derivative(g: Callable[[float], Any], h: float = STEP, order: int = 2,
               kink: float | None = None, what: str = "", at0: Any = None) -> Any:
    """Central difference of ``g`` at 0 (``order`` 2 or 4); float or array like ``g``.

    With ``kink`` (second order only), ``g(0)`` is needed too (``at0`` if
    given, else evaluated) and ``NonSmooth`` (naming ``what``) is raised when
    the result is not finite or the forward and backward differences differ
    by more than ``kink * max(1, |central|)``.
    """
    if order not in _STENCILS or (kink is not None and order != 2):
        raise ValueError(f"derivative: order must be 2 or 4 (2 with kink=), not {order}")
    values = [g(s * h) for s, _ in _STENCILS[order][1]]
    central = _combine(order, values, h)
    if kink is not None:
        y0 = g(0.0) if at0 is None else at0
        _check_kink(central, y0, values[1], values[0], h, kink, what)
    return central


def _check_kink(central: Any, y0: Any, yp: Any, ym: Any, h: float, kink: float, what: str) -> None:
    fwd, bwd = (yp - y0) / h, (y0 - ym) / h
    if not np.all(np.isfinite(central)) or np.any(np.abs(fwd - bwd) > kink * np.maximum(1.0, np.abs(central))):
        raise NonSmooth(f"kink in {what}" if what else "kink")


def derivative_with_noise(J: Callable[[float], tuple[float, float]], h: float = STEP) -> tuple[float, float]:
    """Fourth-order central difference of ``t -> J(t)[0]`` at 0 and its rounding-noise bound.

    ``J(t)`` returns ``(value, magnitude)``, the magnitude being the sum of
    the absolute values of the terms summed into the value (it bounds the
    rounding error of each evaluation).
    """
    points = [J(s * h) for s, _ in _STENCILS[4][1]]
    fd = _combine(4, [v for v, _ in points], h)
    noise = NOISE_FACTOR * EPS * max(max(m for _, m in points), 1e-300) / h
    return fd, noise


def compare(ad: float, ad_mag: float, fd: float, noise: float, rtol: float, atol: float) -> Comparison:
    """Compare a directional derivative ``ad`` (terms of total size ``ad_mag``) with ``fd``.

    The tolerance is ``atol + rtol * max(ad_mag, |fd|) + noise``; the
    reported relative error is ``(|ad - fd| - noise)+ / max(ad_mag, |fd|)``.
    """
    scale = max(ad_mag, abs(fd))
    excess = max(0.0, abs(ad - fd) - noise)
    tol = atol + rtol * scale + noise
    rel = excess / scale if scale > 0 else excess
    return Comparison(rel, tol, abs(ad - fd) <= tol)


def agree(got: Any, want: Any, rtol: float) -> bool:
    """Element-wise ``|got - want| <= rtol * max(1, |want|)`` (same shape required).

    The bound for comparing a derivative with a finite-difference reference
    whose own error is about ``rtol`` (absolute near zero, relative elsewhere).
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False
    return bool(np.all(np.abs(got - want) <= rtol * np.maximum(1.0, np.abs(want))))


def close(x: Any, ref: Any) -> bool:
    """Primal results agree up to rounding (1e-12 relative for float64, 1e-5 for float32 arrays);
    a NaN where the reference has one."""
    if isinstance(ref, np.ndarray):
        if not isinstance(x, np.ndarray) or x.shape != ref.shape:
            return False
        rtol = 1e-12 if ref.dtype == np.float64 else 1e-5
        finite = np.abs(ref[np.isfinite(ref)]) if ref.dtype.kind in "fc" else np.zeros(0)
        scale = float(np.max(finite)) if finite.size else 0.0
        return bool(np.allclose(x, ref, rtol=rtol, atol=rtol * max(scale, 1e-300), equal_nan=True))
    if ref is None or x is None:
        return ref is x
    if is_float_scalar(ref) or is_float_scalar(x):
        return bool(np.isclose(float(x), float(ref), rtol=1e-12, atol=1e-300, equal_nan=True))
    if isinstance(ref, (tuple, list, dict)):   # (a tuple holding arrays: element by element)
        if type(x) is not type(ref) or len(x) != len(ref):
            return False
        pairs = zip(x.values(), ref.values()) if isinstance(ref, dict) else zip(x, ref)
        return (not isinstance(ref, dict) or x.keys() == ref.keys()) and all(close(a, b) for a, b in pairs)
    return bool(np.all(x == ref))


def float64_copies(values: Sequence) -> list:
    """Deep copies of ``values``: real float arrays become C-contiguous float64.

    An object passed twice stays one object (identity aliasing is kept), so
    the copy behaves as the original arguments do, in float64 and whatever
    the original memory layout.
    """
    out = copy.deepcopy(list(values))
    converted: dict[int, np.ndarray] = {}
    for k, v in enumerate(out):
        if not is_float_array(v):
            continue   # (a list or tuple holding arrays is copied as it is)
        want = np.complex128 if np.iscomplexobj(v) else np.float64
        if v.dtype != want or not v.flags.c_contiguous:
            out[k] = converted.setdefault(id(v), np.array(v, dtype=want, order="C"))
    return out


def shifted(values: Sequence, dirs: Mapping[int, Any], t: float) -> list:
    """Float64 copies of ``values`` with ``values[k] + t * dirs[k]`` for every ``k`` in ``dirs``."""
    out = float64_copies(values)
    for k, d in dirs.items():
        if isinstance(out[k], np.ndarray):
            out[k] = np.asarray(out[k] + t * wide(d))   # 0-d stays an array
        else:
            out[k] = wide(out[k]) + t * wide(d)
    return out


def directional(F: Callable[[list], Any], values: Sequence, dirs: Mapping[int, Any], h: float = STEP,
                order: int = 2, kink: float | None = None, what: str = "", at0: Any = None) -> Any:
    """d/dt ``F(values + t * dirs)`` at 0 (``F`` receives fresh float64 copies each time).

    ``F`` returns a float or an array; ``order``, ``kink``, ``what`` and
    ``at0`` (``F(values)`` if known) are those of ``derivative``.
    """
    return derivative(lambda t: F(shifted(values, dirs, t)), h, order, kink, what, at0)


def _unit(shape: tuple, index: tuple | None, scale: float) -> Any:
    if index is None:
        return scale
    e = np.zeros(shape)
    e[index] = scale
    return e


def gradient(J: Callable[[list], float], values: Sequence, positions: Iterable[int], h: float = STEP,
             order: int = 2, kink: float | None = None, scale: float = 1.0,
             names: Sequence[str] | None = None) -> dict[int, Any]:
    """Element-wise partial derivatives of the scalar ``J(values)``.

    For each ``k`` in ``positions``: an array of ``values[k]``'s shape for an
    array, a float for a scalar. Each coordinate is moved by ``t * scale``
    (the result is divided by ``scale``). With ``kink``, ``J(values)`` must
    be finite and a kink at any coordinate raises ``NonSmooth`` naming it
    (``names[k]`` and the index).
    """
    j0 = J(float64_copies(values)) if kink is not None else None
    if j0 is not None and not np.isfinite(j0):
        raise NonSmooth("J is not finite")
    grads: dict[int, Any] = {}
    for k in positions:
        shape = np.shape(values[k])
        indices = list(np.ndindex(*shape)) if isinstance(values[k], np.ndarray) else [None]
        parts = []
        for index in indices:
            label = (names[k] if names else f"argument {k}") + ("" if index is None else str(list(index)))
            d = {k: _unit(shape, index, scale)}
            parts.append(directional(J, values, d, h, order, kink, label, j0) / scale)
        grads[k] = float(parts[0]) if indices == [None] else np.array(parts, dtype=np.float64).reshape(shape)
    return grads


def seeded_sum(f: Callable, values: list, seeds: Mapping[int, Any],
               ret_weight: float | None = None) -> tuple[float, float]:
    """Run ``f(*values)`` (it mutates ``values``: pass copies) and return ``(J, magnitude)``.

    ``J = sum_k <seeds[k], values[k] after the call> + ret_weight * return``
    (the return term only when ``ret_weight`` is not None): the objective
    whose gradient reverse mode computes from seeded shadows. ``magnitude``
    is the sum of the absolute values of the terms. Floating-point warnings
    are silenced: a reference may step into a region where numpy warns.
    """
    with np.errstate(all="ignore"):
        r = f(*values)
    total, mag = 0.0, 0.0
    for k, w in seeds.items():
        prod = np.real(np.conj(wide(w)) * values[k])   # complex values: Re and Im as two real numbers
        total += float(np.sum(prod))
        mag += float(np.sum(np.abs(prod)))
    if ret_weight is not None:
        total += ret_weight * float(np.real(r))   # a complex return: its real part
        mag += abs(ret_weight * float(np.real(r)))
    return total, mag


def reverse_reference(f: Callable, args: Sequence, ret_active: bool,
                      h: float = STEP) -> tuple[list, dict[int, np.ndarray], list]:
    """What ``autodiff(Reverse, f, ret, *args)`` must produce, by central differences.

    ``args`` are activity annotations whose Duplicated shadows hold the
    seeds. Returns ``(derivs, shadows, finals)``: the derivative of each
    Active argument (None elsewhere), the exit shadow of each Duplicated
    argument by position, and every argument's value after a plain run, all
    computed in float64 on contiguous copies.
    """
    from ..activity import Active, Duplicated

    vals = [a.val for a in args]
    seeds = {k: a.dval for k, a in enumerate(args) if isinstance(a, Duplicated)}
    active = [k for k, a in enumerate(args) if isinstance(a, Active)]

    def J(vs: list) -> float:
        return seeded_sum(f, vs, seeds, 1.0 if ret_active else None)[0]

    grads = gradient(J, vals, [*seeds, *active], h)
    finals = float64_copies(vals)
    with np.errstate(all="ignore"):
        f(*finals)
    derivs = [grads[k] if k in active else None for k in range(len(args))]
    return derivs, {k: grads[k] for k in seeds}, finals
