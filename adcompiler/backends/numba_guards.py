"""numba_guards: the source of the numba versions of the helpers that read a
value's dtype or finiteness, part of the text ``numba_runtime.source`` gives
(after its core, whose ``_ad_overload`` and ``_ad_types`` they use):

- ``_ad_type_limit``: ``np.finfo(x.dtype).eps`` for the dtype numba typed ``x``
  with, a constant (``runtime/ranges.py``);
- ``_ad_unread_product``, ``_ad_overflow_term`` and ``_ad_finite_tangent``: adjoint terms 0 where the
  adjoint is 0, tangents 0 where the value is infinite (``runtime/finite.py``);
- ``_ad_as_dtype``: ``np.array(x, dtype=...)`` of an array, ``x.astype(...)``;
- ``_ad_to_int``: ``int(x)``, ``round(x)``, ``math.floor``/``ceil``/``trunc`` of a float,
  raising where Python's int would not fit in int64 (numba's saturated: ``round(1e19)``
  was -9.2e18) or where Python raises (nan, inf);
- ``_ad_int_mul`` and ``_ad_int_shl``: ``a * b`` and ``a << b`` of Python ints, raising
  OverflowError where Python's would not fit in int64; ``_ad_int_shr`` and ``_ad_np_shl``:
  ``a >> b``, and ``a << b`` of numpy ints, 0 (or -1) for counts of 64 or more, as Python and
  numpy give, where numba's count wraps (``numba_scalars.int_products``);
- ``_ad_real_power_checked``: nothing (numba's power of a negative float to a fractional exponent is
  nan, as numpy's float64 gives: numba cannot tell a Python float, whose power is complex, from one).

- ``_ad_alias_of``: the shadow of what a helper returned as its argument ``x`` (the numpy backend's
  ``_ad_rebase`` of ``_ad_shadow_ref(k, v)``): ``dx`` where ``v`` is ``x`` itself; a view of it is
  refused, at the call's line, when met (``VIEW_RETURNED``; ``auto`` runs numpy then).

Any other form leaves the overload untyped, and the backend refuses the line
(``backend="auto"`` runs it on numpy).
"""
from __future__ import annotations

# (VIEW_RETURNED: the first argument of the error ``_ad_alias_of`` raises)
from ..runtime.views import VIEW_RETURNED

_GUARDS = '''
@_ad_jit
def _ad_alias_of(dx, x, v, where):
    if v.ctypes.data != x.ctypes.data or v.shape != x.shape or v.strides != x.strides:
        raise ValueError(_AD_VIEW_RETURNED, where[0], where[1], where[2])
    return dx


def _ad_type_limit(x, which, attr):
    v = getattr((np.finfo if which == "finfo" else np.iinfo)(np.asarray(x).dtype), attr)
    return int(v) if isinstance(v, (int, np.integer)) else float(v)


@_ad_overload(_ad_type_limit, prefer_literal=True)
def _ad_type_limit_typed(x, which, attr):
    """``np.finfo(x.dtype).eps`` (``np.iinfo``...) for the dtype numba typed ``x`` with: a constant."""
    from numba.np.numpy_support import as_dtype
    if not isinstance(which, _ad_types.StringLiteral) or not isinstance(attr, _ad_types.StringLiteral):
        return None
    v = _ad_type_limit(np.empty(0, as_dtype(getattr(x, "dtype", x))), which.literal_value, attr.literal_value)
    return lambda x, which, attr: v


def _ad_unread_product(g, factor):
    return g * factor if g != 0 and factor != 0 else 0.0 * g if g == 0 else 0.0 * factor


@_ad_overload(_ad_unread_product)
def _ad_unread_product_typed(g, factor):
    """``g * factor``, 0 where ``g`` is 0 and where ``factor`` is (runtime.finite.unread_product)."""
    if isinstance(g, _ad_types.Array) and g.ndim >= getattr(factor, "ndim", 0):
        def whole(g, factor):
            out = g * factor
            flat, gf = out.reshape(-1), np.ascontiguousarray(g).reshape(-1)
            if flat.shape[0] != gf.shape[0]:   # (factor broadcasts to g's shape, the result's)
                raise ValueError("numba backend: an adjoint term larger than its adjoint")
            ff = (np.zeros(out.shape) + factor).reshape(-1)
            for k in range(gf.shape[0]):
                if gf[k] == 0 or ff[k] == 0:
                    flat[k] = 0.0
            return out
        return whole
    if not isinstance(g, _ad_types.Array) and not isinstance(factor, _ad_types.Array):
        return lambda g, factor: g * factor if g != 0 and factor != 0 else 0.0 * g if g == 0 else 0.0 * factor
    return None


def _ad_overflow_term(g, term):
    return term


@_ad_overload(_ad_overflow_term)
def _ad_overflow_term_typed(g, term):
    """``term``, 0 where it is nan and ``g`` is 0 (runtime.finite.overflow_term)."""
    if isinstance(term, _ad_types.Array):
        def whole(g, term):
            if not np.isnan(term.sum()):
                return term
            out = term.copy()
            flat, gf = out.reshape(-1), (np.zeros(out.shape) + g).reshape(-1)
            for k in range(flat.shape[0]):
                if flat[k] != flat[k] and gf[k] == 0:
                    flat[k] = 0.0
            return out
        return whole
    if not isinstance(g, _ad_types.Array):
        return lambda g, term: term if term == term or g != 0 else 0.0 * g
    return None


def _ad_unread_term(term, g, finite, signs):
    return term


@_ad_overload(_ad_unread_term)
def _ad_unread_term_typed(term, g, finite, signs):
    """``term``; where it is nan under an infinite adjoint ``g``, ``finite`` where ``signs`` is 0, else
    an infinity of the sign of ``signs`` (runtime.finite.unread_term)."""
    if isinstance(g, _ad_types.Array):
        infinite = _ad_jit(lambda g: np.isinf(g).any())
    else:
        infinite = _ad_jit(lambda g: np.isinf(g))
    if isinstance(term, _ad_types.Array):
        def whole(term, g, finite, signs):
            if not infinite(g):
                return term
            out = term.copy()
            flat = out.reshape(-1)
            fin = (np.zeros(out.shape) + finite).reshape(-1)
            sig = (np.zeros(out.shape) + signs).reshape(-1)
            for k in range(flat.shape[0]):
                if flat[k] != flat[k]:
                    flat[k] = fin[k] if sig[k] == 0 else np.inf if sig[k] > 0 else -np.inf
            return out
        return whole
    return lambda term, g, finite, signs: term if term == term or not infinite(g) else (
        finite if signs == 0 else np.inf if signs > 0 else -np.inf)


def _ad_finite_part(g):
    return np.where(np.isinf(g), 0.0, g)


@_ad_overload(_ad_finite_part)
def _ad_finite_part_typed(g):
    """``g`` with its infinite elements 0 (runtime.finite.finite_part)."""
    if isinstance(g, _ad_types.Array):
        return lambda g: np.where(np.isinf(g), 0.0, g)
    return lambda g: 0.0 if np.isinf(g) else g


def _ad_infinite_signs(g):
    return np.where(np.isinf(g), np.sign(g), 0.0)


@_ad_overload(_ad_infinite_signs)
def _ad_infinite_signs_typed(g):
    """The signs of ``g``'s infinite elements, 0 elsewhere (runtime.finite.infinite_signs)."""
    if isinstance(g, _ad_types.Array):
        return lambda g: np.where(np.isinf(g), np.sign(g), 0.0)
    return lambda g: np.sign(g) if np.isinf(g) else 0.0


def _ad_finite_tangent(t, y):
    return t if np.isfinite(y) else np.zeros_like(t)[()]


@_ad_overload(_ad_finite_tangent)
def _ad_finite_tangent_typed(t, y):
    """The tangent ``t`` of ``y``, 0 where ``y`` is not finite (runtime.finite.finite_tangent)."""
    if isinstance(y, _ad_types.Array):
        def whole(t, y):
            out = np.zeros(y.shape) + t
            flat, yf = out.reshape(-1), np.ascontiguousarray(y).reshape(-1)
            for k in range(yf.shape[0]):
                if not np.isfinite(yf[k]):
                    flat[k] = 0.0
            return out
        return whole
    if not isinstance(t, _ad_types.Array):
        return lambda t, y: t if np.isfinite(y) else 0.0
    return None


def _ad_as_dtype(x, dtype):
    return np.array(x, dtype=dtype)


@_ad_overload(_ad_as_dtype)
def _ad_as_dtype_typed(x, dtype):
    """``np.array(x, dtype=...)`` of an array (``x.astype(np.int64)`` as the frontend writes it): a
    copy in that dtype, which numba's ``np.array`` does not make of an array."""
    if isinstance(x, _ad_types.Array):
        return lambda x, dtype: x.astype(dtype)
    return None


def _ad_to_int(x, how):
    return int(x)


@_ad_overload(_ad_to_int, prefer_literal=True)
def _ad_to_int_typed(x, how):
    """``int``/``round``/``floor``/``ceil``/``trunc`` (``how``) of a number, in int64 where Python's fits."""
    if not isinstance(how, _ad_types.StringLiteral):
        return None
    if isinstance(x, (_ad_types.Integer, _ad_types.Boolean)):
        return lambda x, how: int(x)
    if not isinstance(x, _ad_types.Float):
        return None
    op = how.literal_value

    def impl(x, how):
        if x != x:
            raise ValueError("cannot convert float NaN to integer")
        if not -9.223372036854775808e18 <= x < 9.223372036854775808e18:
            raise OverflowError("an int beyond int64 (or of an infinity), which numba's code cannot hold: use "
                                "backend='numpy' for this function")
        if op == "round":
            return round(x)
        if op == "floor":
            return math.floor(x)
        if op == "ceil":
            return math.ceil(x)
        return int(x)
    return impl


@_ad_jit
def _ad_int_mul(a, b):
    # (by floats: LLVM takes a * b // a for b, an int product never overflowing for it)
    if abs(float(a) * float(b)) < 9.2e18:
        return a * b
    raise OverflowError("an int product beyond int64, which numba's code cannot hold: use backend='numpy' "
                        "for this function")


@_ad_jit
def _ad_int_shl(a, b):
    if b < 0:
        raise ValueError("negative shift count")
    return a if a == 0 else _ad_int_mul(a, 1 << min(b, 63))   # (1 << 63: int64's minimum, beyond any product)


@_ad_jit
def _ad_int_shr(a, b):
    if b < 0:
        raise ValueError("negative shift count")
    return a >> b if b < 64 else (a >> 63)


@_ad_jit
def _ad_np_shl(a, b):
    return a << b if 0 <= b < 64 else a * 0


@_ad_jit
def _ad_real_power_checked(v, where):
    # (numba's power of a negative float to a fractional exponent is nan, as numpy's float64 gives, and an
    # array's elements are those: numba cannot tell a Python float from one, so nan, never a wrong number)
    return None
'''

#: (the tag written in: the compiled code raises it by value)
GUARDS = _GUARDS.replace("_AD_VIEW_RETURNED", repr(VIEW_RETURNED))
