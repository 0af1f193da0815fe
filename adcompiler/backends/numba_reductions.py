"""numba_reductions: the source of the numba versions of the reductions' adjoint helpers
(``_ad_unreduce``, ``_ad_select_adjoint``, ``_ad_mean_adjoint``, ``_ad_var_adjoint``,
``_ad_std_adjoint``), part of the text
``numba_runtime.source`` gives (after its core, whose ``_ad_jit``, ``_ad_overload``,
``_ad_types`` and ``_ad_none`` they use).

Each is an overload of the numpy backend's helper for the forms numba compiles: a
reduction over all elements (variances and standard deviations: only that), and for
sums and means one over a single axis (the
adjoint of each line spread back over it, in C order). Any other form leaves the
overload untyped, and the backend refuses the line.
"""
from __future__ import annotations

REDUCTIONS = '''
def _ad_unreduce(g, x, axis=None, keepdims=False):
    return g


@_ad_overload(_ad_unreduce)
def _ad_unreduce_typed(g, x, axis=None, keepdims=False):
    """A reduction's adjoint spread over ``x``: over all elements (a scalar), or over one
    axis (``g`` has ``x``'s shape without that axis, or with it of length 1; tuples of
    axes: refused)."""
    if not _ad_none(axis) and isinstance(axis, _ad_types.Integer) and isinstance(x, _ad_types.Array):
        if not isinstance(g, _ad_types.Array):
            return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g)
        return lambda g, x, axis=None, keepdims=False: _ad_spread_axis(g, x, axis)
    if not _ad_none(axis) or isinstance(g, _ad_types.Array):
        return None
    if isinstance(x, _ad_types.Array):
        return lambda g, x, axis=None, keepdims=False: np.full(x.shape, g)
    return lambda g, x, axis=None, keepdims=False: g


@_ad_jit
def _ad_spread_axis(g, x, axis):
    """``g`` (one value per line of ``x`` along ``axis``, in C order) at every element of its line."""
    shape = x.shape
    ax = axis % len(shape)
    n = shape[ax]
    inner = 1
    for k in range(ax + 1, len(shape)):
        inner *= shape[k]
    flat = np.ascontiguousarray(g).ravel()
    out = np.empty(x.size, flat.dtype)
    for k in range(x.size):
        out[k] = flat[(k // (inner * n)) * inner + k % inner]
    return out.reshape(shape)


def _ad_select_adjoint(g, x, ans, axis=None, keepdims=False):
    return g


@_ad_overload(_ad_select_adjoint)
def _ad_select_adjoint_typed(g, x, ans, axis=None, keepdims=False):
    """max/min over all elements: ``g`` shared by the elements equal to the result
    (a 0-d array ``g``: forward mode's ``np.ones(np.shape(ans))``)."""
    if not _ad_none(axis) or isinstance(g, _ad_types.Array) and g.ndim != 0:
        return None
    if isinstance(g, _ad_types.Array) and isinstance(x, _ad_types.Array):
        def impl0(g, x, ans, axis=None, keepdims=False):
            mask = x == ans
            return np.where(mask, np.sum(g) / max(np.sum(mask), 1.0), 0.0)   # (a NaN result equals nothing: 0)
        return impl0
    if isinstance(x, _ad_types.Array):
        def impl(g, x, ans, axis=None, keepdims=False):
            mask = x == ans
            return np.where(mask, g / max(np.sum(mask), 1.0), 0.0)   # (a selection: an infinite g, 0 elsewhere)
        return impl
    return lambda g, x, ans, axis=None, keepdims=False: g


def _ad_prod_adjoint(g, a, axis=None, keepdims=False):
    return g


@_ad_overload(_ad_prod_adjoint)
def _ad_prod_adjoint_typed(g, a, axis=None, keepdims=False):
    """The product of all elements: ``g`` times the product of the others, from the products
    before and after each element (exact with zeros, no division)."""
    if not _ad_none(axis) or isinstance(g, _ad_types.Array) or not isinstance(a, _ad_types.Array) \
            or not isinstance(a.dtype, (_ad_types.Float, _ad_types.Integer)):
        return None

    def impl(g, a, axis=None, keepdims=False):
        x = np.ascontiguousarray(a).ravel()
        n = x.size
        out = np.empty(n, np.float64)
        before = 1.0
        for k in range(n):
            out[k] = before
            before = before * x[k]
        after = 1.0
        for k in range(n - 1, -1, -1):
            out[k] = g * out[k] * after
            after = after * x[k]
        return out.reshape(a.shape)
    return impl


def _ad_mean_adjoint(g, a, axis=None, keepdims=False, where=True):
    return g


@_ad_overload(_ad_mean_adjoint)
def _ad_mean_adjoint_typed(g, a, axis=None, keepdims=False, where=True):
    """The mean over all elements or over one axis (no ``where``)."""
    if not (where is None or isinstance(where, (_ad_types.Omitted, _ad_types.BooleanLiteral, _ad_types.Boolean))):
        return None
    if not _ad_none(axis) and isinstance(axis, _ad_types.Integer) and isinstance(a, _ad_types.Array):
        if not isinstance(g, _ad_types.Array):
            return lambda g, a, axis=None, keepdims=False, where=True: np.full(a.shape, g / a.shape[axis % a.ndim])
        return lambda g, a, axis=None, keepdims=False, where=True: \
            _ad_spread_axis(g, a, axis) / a.shape[axis % a.ndim]
    if not _ad_none(axis) or isinstance(g, _ad_types.Array):
        return None
    if isinstance(a, _ad_types.Array):
        return lambda g, a, axis=None, keepdims=False, where=True: np.full(a.shape, g / a.size)
    return lambda g, a, axis=None, keepdims=False, where=True: g


def _ad_var_adjoint(g, a, axis=None, ddof=0, keepdims=False):
    return g


@_ad_jit
def _ad_centered(a, ddof):
    """``a`` less its mean, over ``a.size - ddof``."""
    x = np.asarray(a).astype(np.float64)
    return (x - np.mean(x)) / (x.size - ddof)


@_ad_overload(_ad_var_adjoint)
def _ad_var_adjoint_typed(g, a, axis=None, ddof=0, keepdims=False):
    """The variance of all elements (``g`` a number, or forward mode's 0-d array)."""
    if not _ad_none(axis) or not isinstance(a, _ad_types.Array) or isinstance(g, _ad_types.Array) and g.ndim != 0:
        return None
    return lambda g, a, axis=None, ddof=0, keepdims=False: 2.0 * np.sum(np.asarray(g)) * _ad_centered(a, ddof)


def _ad_std_adjoint(g, a, ans, axis=None, ddof=0, keepdims=False):
    return g


@_ad_overload(_ad_std_adjoint)
def _ad_std_adjoint_typed(g, a, ans, axis=None, ddof=0, keepdims=False):
    """The standard deviation of all elements; 0 where it is 0 (runtime.numpy.std_adjoint)."""
    if not _ad_none(axis) or not isinstance(a, _ad_types.Array) or isinstance(g, _ad_types.Array) and g.ndim != 0:
        return None

    def impl(g, a, ans, axis=None, ddof=0, keepdims=False):
        c = _ad_centered(a, ddof)
        return c * (np.sum(np.asarray(g)) / ans) if ans != 0 else c * 0.0
    return impl
'''
