"""Reductions: sum, mean, max, min (``axis`` int or tuple, ``keepdims``)."""
import numpy as np

from .registry import defrule


def _reduced(kinds, bound):
    from ..analysis.kinds import reduce_kind
    return reduce_kind(kinds, bound)


defrule(np.sum, "a, axis=None, dtype=None, out=None, keepdims=False", result=_reduced,
        a="_ad_unreduce(g, a, axis, keepdims)",
        tangents={"a": "np.sum(_ad_broadcast_like(t, a), axis=axis, keepdims=keepdims)"})
defrule(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False", result=_reduced,
        a="_ad_unreduce(g, a, axis, keepdims) / _ad_reduce_count(a, axis)",
        tangents={"a": "np.mean(_ad_broadcast_like(t, a), axis=axis, keepdims=keepdims)"})
for _f in (np.max, np.min, np.amax, np.amin):
    defrule(_f, "a, axis=None, out=None, keepdims=False", result=_reduced,
            a="_ad_select_adjoint(g, a, ans, axis, keepdims)",
            tangents={"a": "_ad_select_tangent(t, a, ans, axis, keepdims)"},
            doc="ties split the adjoint equally")
