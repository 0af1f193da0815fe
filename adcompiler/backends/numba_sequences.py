"""numba_sequences: the source of the numba versions of the adjoint helpers of
``np.cumsum``, ``np.cumprod``, ``np.diff`` and ``np.sort``, part of the text ``numba_runtime.source``
gives (after its core, whose ``_ad_jit``, ``_ad_overload``, ``_ad_types`` and
``_ad_none`` they use).

Each is an overload of the numpy backend's helper (``runtime/numpy.py``) for the forms numba compiles, written as element loops:

- cumulative sums and products and sorts of a 1-D array, or of any array
  flattened (``axis=None``); ``np.cumprod``'s exact with zeros, as numpy's;
- differences of a 1-D array (``n`` times, no ``prepend``/``append``);
- the tangents of sorts and cumulative products of the same forms (forward mode).

A real (float) adjoint only. Any other form leaves the overload untyped, and
the backend refuses the line (``backend="auto"`` runs it on numpy).
"""
from __future__ import annotations

SEQUENCES = '''
def _ad_float_array(t):
    """Whether the numba type ``t`` is an array of real floats."""
    return isinstance(t, _ad_types.Array) and isinstance(t.dtype, _ad_types.Float)


def _ad_flat_or_1d(a, axis):
    """``axis=None`` (flattened), or any axis of a 1-D array."""
    return isinstance(a, _ad_types.Array) and (_ad_none(axis) or isinstance(axis, _ad_types.Integer) and a.ndim == 1)


def _ad_cumsum_adjoint(g, a, axis=None):
    return g


@_ad_overload(_ad_cumsum_adjoint)
def _ad_cumsum_adjoint_typed(g, a, axis=None):
    """The sums of ``g`` from each position to the end, in ``a``'s shape."""
    if not (_ad_float_array(g) and _ad_flat_or_1d(a, axis)):
        return None

    def impl(g, a, axis=None):
        flat = np.ascontiguousarray(g).ravel()
        out = np.empty(flat.size, np.float64)
        acc = 0.0
        for k in range(flat.size - 1, -1, -1):
            acc += flat[k]
            out[k] = acc
        return out.reshape(a.shape)
    return impl


def _ad_cumprod_adjoint(g, a, axis=None):
    return g


@_ad_overload(_ad_cumprod_adjoint)
def _ad_cumprod_adjoint_typed(g, a, axis=None):
    """``out[i]``: the sum over ``j >= i`` of ``g[j]`` times the product of ``a[l]``,
    ``l <= j``, but ``a[i]`` (no division: zeros welcome)."""
    if not (_ad_float_array(g) and _ad_flat_or_1d(a, axis)):
        return None

    def impl(g, a, axis=None):
        gg = np.ascontiguousarray(g).ravel()
        x = np.ascontiguousarray(a).ravel()
        n = x.size
        out = np.empty(n, np.float64)
        before = 1.0
        for i in range(n):
            q = before
            s = gg[i] * q
            for j in range(i + 1, n):
                q = q * x[j]
                s += gg[j] * q
            out[i] = s
            before = before * x[i]
        return out.reshape(a.shape)
    return impl


def _ad_diff_adjoint(g, n=1, axis=-1, a=None):
    return g


@_ad_overload(_ad_diff_adjoint)
def _ad_diff_adjoint_typed(g, n=1, axis=-1, a=None):
    """``n`` times the transpose of one difference, of a 1-D ``g``; zeros of ``a``'s size where
    ``g`` is empty (``a`` no longer than ``n``: nothing depends on it)."""
    if not (_ad_float_array(g) and g.ndim == 1):
        return None
    if not (isinstance(n, (_ad_types.Integer, _ad_types.Omitted)) and isinstance(axis, (_ad_types.Integer,
                                                                                      _ad_types.Omitted))):
        return None
    if not (isinstance(a, _ad_types.Array) and a.ndim == 1):
        return None

    def impl(g, n=1, axis=-1, a=None):
        if g.size == 0:
            return np.zeros(a.size, np.float64)
        cur = np.empty(g.size, np.float64)
        for k in range(g.size):
            cur[k] = g[k]
        for _ in range(n):
            m = cur.size
            nxt = np.empty(m + 1, np.float64)
            for k in range(m + 1):
                v = 0.0
                if k >= 1:
                    v += cur[k - 1]
                if k < m:
                    v -= cur[k]
                nxt[k] = v
            cur = nxt
        return cur
    return impl


def _ad_sort_adjoint(g, a, axis=-1):
    return g


@_ad_overload(_ad_sort_adjoint)
def _ad_sort_adjoint_typed(g, a, axis=-1):
    """``g`` sent back through the stable sorting permutation of a 1-D (or flattened) ``a``."""
    if not (_ad_float_array(g) and _ad_flat_or_1d(a, axis) and isinstance(a.dtype, (_ad_types.Float,
                                                                                    _ad_types.Integer))):
        return None

    def impl(g, a, axis=-1):
        flat = np.ascontiguousarray(g).ravel()
        perm = np.argsort(np.ascontiguousarray(a).ravel(), kind="mergesort")   # (stable, as numpy's)
        out = np.zeros(perm.size, np.float64)
        for k in range(perm.size):
            out[perm[k]] = flat[k]
        return out.reshape(a.shape)
    return impl


def _ad_sort_tangent(t, a, axis=-1):
    return t


@_ad_overload(_ad_sort_tangent)
def _ad_sort_tangent_typed(t, a, axis=-1):
    """``t`` reordered by the stable sorting permutation of a 1-D (or flattened) ``a``."""
    if not (_ad_float_array(t) and _ad_flat_or_1d(a, axis) and isinstance(a.dtype, (_ad_types.Float,
                                                                                    _ad_types.Integer))):
        return None

    def impl(t, a, axis=-1):
        flat = np.ascontiguousarray(t).ravel()
        perm = np.argsort(np.ascontiguousarray(a).ravel(), kind="mergesort")   # (stable, as numpy's)
        out = np.empty(perm.size, np.float64)
        for k in range(perm.size):
            out[k] = flat[perm[k]]
        return out
    return impl


def _ad_cumprod_tangent(t, a, ans, axis=None):
    return t


@_ad_overload(_ad_cumprod_tangent)
def _ad_cumprod_tangent_typed(t, a, ans, axis=None):
    """``out[i]``: the sum over ``j <= i`` of ``t[j]`` times the product of ``a[l]``,
    ``l <= i``, but ``a[j]`` (no division: zeros welcome), of a 1-D (or flattened) ``a``."""
    if not (_ad_float_array(t) and _ad_flat_or_1d(a, axis) and isinstance(a.dtype, _ad_types.Float)):
        return None

    def impl(t, a, ans, axis=None):
        tt = np.ascontiguousarray(t).ravel()
        x = np.ascontiguousarray(a).ravel()
        n = x.size
        out = np.zeros(n, np.float64)
        before = 1.0
        for j in range(n):
            q = tt[j] * before
            out[j] += q
            for i in range(j + 1, n):
                q = q * x[i]
                out[i] += q
            before = before * x[j]
        return out
    return impl
'''
