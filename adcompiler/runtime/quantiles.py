"""Order statistics: the adjoints and tangents of ``np.quantile``, ``np.percentile``,
``np.median`` and their NaN-ignoring forms.

A quantile is one sorted element, or a blend of two neighbours in sorted order
(``method="linear"``: ``s[lo] + gamma * (s[hi] - s[lo])`` at the virtual index
``q * (n - 1)``), so its derivative in ``a`` sends the adjoint to the one or two
elements it reads (ties: to the ones ``np.argsort`` puts there), and its
derivative in ``q`` is the slope ``(s[hi] - s[lo]) * (n - 1)`` between them
(0 for the discontinuous methods). NaN-ignoring forms count each slice's
numbers only (NaN sorts last). Each helper takes ``a`` for the order and
``v`` for the values it reads (``v is a`` but for second derivatives).
"""
import numpy as np

#: the methods whose derivative is given (numpy's others refuse: see rules/reductions.py)
METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _axes(a, axis):
    """The reduced axes of ``a``, as a sorted tuple."""
    if axis is None:
        return tuple(range(np.ndim(a)))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(int(ax) % np.ndim(a) for ax in axes))


def _flat(a, axes):
    """``a`` with the reduced axes moved last and merged into one: shape ``kept + (n,)``."""
    a = np.asarray(a)
    kept = [ax for ax in range(a.ndim) if ax not in axes]
    moved = np.transpose(a, kept + list(axes))
    return moved.reshape(tuple(a.shape[ax] for ax in kept) + (-1,))


def _unflat(b, a, axes):
    """The inverse of ``_flat``: ``b`` (``kept + (n,)``) laid out as ``a``."""
    kept = [ax for ax in range(np.ndim(a)) if ax not in axes]
    order = kept + list(axes)
    moved = np.reshape(b, tuple(np.shape(a)[ax] for ax in order))
    return np.transpose(moved, np.argsort(order))


def _picks(a, q, axis, method, nan):
    """Where each quantile reads, in ``_flat(a)``'s last axis: ``(lo, hi, gamma, m)``,
    each of shape ``q.shape + kept + (1,)``: the elements' positions, the weight of
    ``hi`` (``1 - gamma`` that of ``lo``), and ``n - 1`` of each slice."""
    axes = _axes(a, axis)
    if method not in METHODS:
        raise NotImplementedError(f"no derivative of method={method!r} (the methods {', '.join(METHODS)} have one)")
    if nan and np.ndim(q) > 1 and 1 < len(axes) < np.ndim(a):
        raise NotImplementedError("a NaN-ignoring quantile of a q of more than one axis over some of the array's "
                                  "axes is not differentiated (numpy lays its result out otherwise)")
    flat = _flat(a, axes)
    order = np.argsort(flat, axis=-1, kind="stable")
    n = flat.shape[-1]
    count = np.sum(~np.isnan(flat), axis=-1, keepdims=True) if nan else np.full(flat.shape[:-1] + (1,), n)
    q = np.asarray(q, dtype=float)
    m = (count - 1).astype(float)
    pos = np.reshape(q, q.shape + (1,) * flat.ndim) * m            # (q..., kept..., 1)
    top = np.maximum(count - 1, 0)
    if method == "linear":
        lo = np.floor(pos)
        gamma = pos - lo
    elif method == "lower":
        lo, gamma = np.floor(pos), np.zeros_like(pos)
    elif method == "higher":
        lo, gamma = np.ceil(pos), np.zeros_like(pos)
    elif method == "nearest":
        lo, gamma = np.around(pos), np.zeros_like(pos)
    elif method == "midpoint":
        lo = np.floor(pos)
        gamma = np.where(np.ceil(pos) > lo, 0.5, 0.0)
    else:
        raise ValueError(f"no derivative of method={method!r}")
    lo = np.clip(lo.astype(np.intp), 0, top)
    if method == "linear":   # (at the last element: its neighbour below, weight 0, for the slope in q)
        last = (lo == top) & (top > 0)
        lo, gamma = np.where(last, top - 1, lo), np.where(last, 1.0, gamma)
    hi = np.minimum(lo + 1, top)
    shape = np.broadcast_shapes(lo.shape, order.shape[:-1] + (1,))
    order = np.broadcast_to(order, shape[:-1] + (n,))
    lo = np.take_along_axis(order, np.broadcast_to(lo, shape), axis=-1)
    hi = np.take_along_axis(order, np.broadcast_to(hi, shape), axis=-1)
    return lo, hi, gamma, m


def _result_shape(out, a, q, axis, keepdims):
    """``out`` (``q.shape + kept + (1,)``) as numpy lays the result out."""
    qs = np.shape(q)
    if keepdims:
        axes = _axes(a, axis)
        return np.reshape(out, qs + tuple(1 if ax in axes else s for ax, s in enumerate(np.shape(a))))
    return np.reshape(out, np.shape(out)[:-1])


def _as_picks(g, a, q, axis, keepdims):
    """The adjoint ``g`` of a result, shaped as ``_picks``' arrays."""
    axes = _axes(a, axis)
    kept = tuple(s for ax, s in enumerate(np.shape(a)) if ax not in axes)
    return np.reshape(np.broadcast_to(g, _result_shape(np.zeros(np.shape(q) + kept + (1,)), a, q, axis, keepdims).shape),
                      np.shape(q) + kept + (1,))


def quantile_gather(v, a, q, axis=None, keepdims=False, method="linear", nan=False):
    """The quantiles' blend of ``v``'s elements where ``a``'s quantiles read: the
    tangent of the result for the tangent ``v`` of ``a``."""
    lo, hi, gamma, _ = _picks(a, q, axis, method, nan)
    flat = _flat(v, _axes(a, axis))
    flat = np.broadcast_to(flat, lo.shape[:-1] + flat.shape[-1:])
    out = (1 - gamma) * np.take_along_axis(flat, lo, axis=-1) + gamma * np.take_along_axis(flat, hi, axis=-1)
    return _result_shape(out, a, q, axis, keepdims)


def quantile_adjoint(g, a, q, axis=None, keepdims=False, method="linear", nan=False, dq=None):
    """The adjoint of ``a``: ``g`` sent to the elements each quantile reads. With ``dq``
    (a tangent of ``q``), the tangent of that adjoint due to ``dq`` instead: the
    weights' derivative in ``q`` (0 but for the linear method)."""
    lo, hi, gamma, m = _picks(a, q, axis, method, nan)
    g = _as_picks(g, a, q, axis, keepdims)
    if dq is None:
        w_lo, w_hi = (1 - gamma) * g, gamma * g
    else:
        slope = m * np.reshape(dq, np.shape(q) + (1,) * (lo.ndim - np.ndim(q))) if method == "linear" else 0.0
        w_hi = g * slope
        w_lo = -w_hi
    axes = _axes(a, axis)
    n = _flat(a, axes).shape[-1]
    kept = lo.shape[np.ndim(q):-1]
    out = np.zeros(kept + (n,))
    lead = int(np.prod(np.shape(q), dtype=int))
    for pick, w in ((lo, w_lo), (hi, w_hi)):
        w = np.reshape(np.broadcast_to(w, pick.shape), (lead,) + kept + (1,))
        pick = np.reshape(pick, (lead,) + kept + (1,))
        for k in range(lead):   # (one position per slice and quantile: no two writes meet)
            part = np.zeros(kept + (n,))
            np.put_along_axis(part, pick[k], w[k], axis=-1)
            out += part
    return _unflat(out, a, axes)


def quantile_slope(v, a, q, axis=None, keepdims=False, method="linear", nan=False):
    """The derivative of each quantile in its ``q`` (of ``v``'s values read where
    ``a``'s quantiles read): ``(v[hi] - v[lo]) * (n - 1)`` for the linear method."""
    lo, hi, _, m = _picks(a, q, axis, method, nan)
    if method != "linear":
        return _result_shape(np.zeros(lo.shape), a, q, axis, keepdims)
    flat = _flat(v, _axes(a, axis))
    flat = np.broadcast_to(flat, lo.shape[:-1] + flat.shape[-1:])
    step = np.take_along_axis(flat, hi, axis=-1) - np.take_along_axis(flat, lo, axis=-1)
    return _result_shape(step * m, a, q, axis, keepdims)


def quantile_adjoint_q(g, a, q, axis=None, keepdims=False, method="linear", nan=False, v=None):
    """The adjoint of ``q``: ``g`` times the slope, summed over each quantile's slices."""
    slope = quantile_slope(a if v is None else v, a, q, axis, keepdims, method, nan)
    total = np.broadcast_to(g, np.shape(slope)) * slope
    return np.sum(np.reshape(total, np.shape(q) + (-1,)), axis=-1).reshape(np.shape(q))


def quantile_tangent_q(u, a, q, axis=None, keepdims=False, method="linear", nan=False, v=None):
    """The tangent of the result for the tangent ``u`` of ``q``."""
    slope = quantile_slope(a if v is None else v, a, q, axis, keepdims, method, nan)
    return slope * np.reshape(u, np.shape(q) + (1,) * (np.ndim(slope) - np.ndim(q)))
