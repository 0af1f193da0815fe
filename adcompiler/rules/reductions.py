"""Reductions (``axis`` int or tuple, ``keepdims``, ``where=`` where numpy has
it), cumulative functions, ``diff``, ``average`` and ``linalg.norm``."""
import ast

import numpy as np

from ..analysis.kinds import FLOAT, array, axes_count
from .registry import defrule

RED = "axis=None, dtype=None, out=None, keepdims=False"


def _reduced(kinds, bound):
    from ..analysis.kinds import reduce_kind
    return reduce_kind(kinds, bound)


def _norm_result(kinds, bound):
    b = dict(bound)
    b["a"] = b.get("x")
    return _reduced({**kinds, "a": kinds.get("x", FLOAT)}, b)


def _flat_or_same(kinds, bound):
    a = kinds.get("a", FLOAT)
    n = axes_count(bound.get("axis"), kinds.get("axis"))
    if n in ("all", None):   # (flat; or a name that may hold None: not known)
        return array(1 if n == "all" else None, a.dtype or "f")
    return array(a.ndim, a.dtype or "f")


def _same(param):
    def result(kinds, bound):
        k = kinds.get(param, FLOAT)
        return array(k.ndim if k.cls == "array" else None, k.dtype or "f")
    return result


SUM_T = {"a": "np.sum(t, axis=axis, keepdims=keepdims, where=where)"}
defrule(np.sum, "a, " + RED + ", initial=0, where=True", result=_reduced,
        a="_ad_unreduce(g, a, axis, keepdims) * where", tangents=SUM_T)
defrule(np.mean, "a, " + RED + ", where=True", result=_reduced,
        a="_ad_mean_adjoint(g, a, axis, keepdims, where)",
        tangents={"a": "np.mean(t, axis=axis, keepdims=keepdims, where=where)"})
defrule(np.nansum, "a, " + RED, result=_reduced, a="np.where(np.isnan(a), 0.0, _ad_unreduce(g, a, axis, keepdims))",
        tangents={"a": "np.sum(np.where(np.isnan(a), 0, t), axis=axis, keepdims=keepdims)"},
        doc="NaN entries get no adjoint")
defrule(np.nanmean, "a, " + RED, result=_reduced, a="_ad_nan_mean_adjoint(g, a, axis, keepdims)",
        tangents={"a": "np.nanmean(np.where(np.isnan(a), np.nan, t), axis=axis, keepdims=keepdims)"},
        doc="NaN entries get no adjoint")
defrule(np.prod, "a, " + RED, result=_reduced, a="_ad_prod_adjoint(g, a, axis, keepdims)",
        tangents={"a": "np.sum(_ad_prod_adjoint(1.0, a, axis, True) * t, axis=axis, keepdims=keepdims)"},
        doc="exact with zeros in the input (products of the other elements)")
_SEL = "np.sum(_ad_select_adjoint(np.ones(np.shape(ans)), a, ans, axis, keepdims) * t, axis=axis, keepdims=keepdims)"
for _f in (np.max, np.min, np.amax, np.amin, np.nanmax, np.nanmin):
    defrule(_f, "a, axis=None, out=None, keepdims=False", result=_reduced,
            a="_ad_select_adjoint(g, a, ans, axis, keepdims)", tangents={"a": _SEL},
            doc="ties split the adjoint equally among the maximal (minimal) elements; NaN gets nothing")
defrule(np.ptp, "a, axis=None, out=None, keepdims=False", result=_reduced,
        a="_ad_ptp_adjoint(g, a, axis, keepdims)",
        tangents={"a": "np.sum(_ad_ptp_adjoint(1.0, a, axis, True) * t, axis=axis, keepdims=keepdims)"},
        doc="ties split the adjoint equally (as max and min)")
defrule(np.var, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", result=_reduced, a="_ad_var_adjoint(g, a, axis, ddof, keepdims)",
        tangents={"a": "np.sum(_ad_var_adjoint(1.0, a, axis, ddof, True) * t, axis=axis, keepdims=keepdims)"})
defrule(np.std, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", result=_reduced, a="_ad_std_adjoint(g, a, ans, axis, ddof, keepdims)",
        tangents={"a": "np.sum(_ad_std_adjoint(np.ones(np.shape(ans)), a, ans, axis, ddof, keepdims) * t, axis=axis, keepdims=keepdims)"},
        doc="0 where the standard deviation is 0 (the derivative is infinite)")
def _average_kind(kinds, bound):
    """``np.average``'s result; with ``returned=True`` the pair (average, sum of the weights),
    so that unpacking it reaches the parameter's refusal (``rules/parameters.py``)."""
    from ..analysis.kinds import Kind
    one = _reduced(kinds, bound)
    returned = bound.get("returned")
    if isinstance(returned, ast.Constant) and returned.value is True:
        return Kind("tuple", elts=(one, one))
    return one


defrule(np.average, "a, axis=None, weights=None, returned=False, keepdims=False", result=_average_kind,
        a="_ad_average_adjoint_a(g, a, axis, weights, keepdims)",
        weights="_ad_average_adjoint_w(g, a, ans, axis, weights, keepdims)",
        tangents={"a": "np.average(t, axis=axis, weights=weights, keepdims=keepdims)",
                  "weights": "_ad_average_tangent_w(t, a, ans, axis, weights, keepdims)"})
defrule(np.cumsum, "a, axis=None, dtype=None, out=None", result=_flat_or_same,
        a="_ad_cumsum_adjoint(g, a, axis)", tangents={"a": "np.cumsum(t, axis=axis)"})
def _add_reduce_kind(kinds, bound):
    """``np.add.reduce``'s result: ``np.sum``'s, along axis 0 unless another is given."""
    from ..analysis.kinds import reduce_kind
    return reduce_kind({**kinds, "a": kinds.get("array", FLOAT)}, {"axis": ast.Constant(0), **bound})


# (ufunc methods, looked up as the bound method numpy gives: the sum and running sum along axis 0)
defrule(np.add.reduce, "array, axis=0, dtype=None, out=None, keepdims=False", result=_add_reduce_kind,
        name="numpy.add.reduce", array="_ad_unreduce(g, array, axis, keepdims)",
        tangents={"array": "np.add.reduce(t, axis=axis, keepdims=keepdims)"})
defrule(np.add.reduceat, "array, indices, axis=0, dtype=None, out=None", result=_same("array"),
        name="numpy.add.reduceat", array="_ad_reduceat_adjoint(g, array, indices, axis)",
        tangents={"array": "np.add.reduceat(t, indices, axis=axis)"},
        doc="sums of segments (an index not below the next: that one element)").constant = {"indices"}
# log(sum(exp(a))) (base 2: log2(sum(2 ** a))): each element's share of the sum, exp(a - ans); none
# for an element at -inf (all of them: exp(-inf - -inf) was nan)
for _ufunc, _exp in ((np.logaddexp, "np.exp"), (np.logaddexp2, "np.exp2")):
    _share = f"{_exp}(np.where(array == -np.inf, array, array - _ad_unreduce(ans, array, axis, keepdims)))"
    defrule(_ufunc.reduce, "array, axis=0, dtype=None, out=None, keepdims=False", result=_add_reduce_kind,
            name=f"numpy.{_ufunc.__name__}.reduce", array=f"_ad_unreduce(g, array, axis, keepdims) * {_share}",
            tangents={"array": f"np.sum(t * {_share}, axis=axis, keepdims=keepdims)"},
            doc="the log of a sum of exponentials (logsumexp), stable as numpy's")
defrule(np.multiply.reduce, "array, axis=0, dtype=None, out=None, keepdims=False", result=_add_reduce_kind,
        name="numpy.multiply.reduce", array="_ad_prod_adjoint(g, array, axis, keepdims)",
        tangents={"array": "np.sum(_ad_prod_adjoint(1.0, array, axis, True) * t, axis=axis, keepdims=keepdims)"},
        doc="np.prod along axis 0 unless another is given")
for _ufunc in (np.maximum, np.minimum, np.fmax, np.fmin):
    defrule(_ufunc.reduce, "array, axis=0, dtype=None, out=None, keepdims=False", result=_add_reduce_kind,
            name=f"numpy.{_ufunc.__name__}.reduce", array="_ad_select_adjoint(g, array, ans, axis, keepdims)",
            tangents={"array": _SEL.replace("a, ans", "array, ans")},
            doc="np.max (np.min) along axis 0 unless another is given: ties split the adjoint equally")
defrule(np.add.accumulate, "array, axis=0, dtype=None, out=None", result=_same("array"),
        name="numpy.add.accumulate", array="_ad_cumsum_adjoint(g, array, axis)",
        tangents={"array": "np.add.accumulate(t, axis=axis)"})
for _ufunc, _larger in ((np.maximum, True), (np.minimum, False)):
    defrule(_ufunc.accumulate, "array, axis=0, dtype=None, out=None", result=_same("array"),
            name=f"numpy.{_ufunc.__name__}.accumulate",
            array=f"_ad_running_extreme_adjoint(g, array, ans, axis, {_larger})",
            tangents={"array": f"_ad_running_extreme_tangent(t, array, ans, axis, {_larger})"},
            doc="a tie gives half to each side, as np.maximum's rule")
defrule(np.cumprod, "a, axis=None, dtype=None, out=None", result=_flat_or_same,
        a="_ad_cumprod_adjoint(g, a, axis)",
        tangents={"a": "_ad_cumprod_tangent(t, a, ans, axis)"}, doc="exact with zeros in the input")
_ENDS = "a, n, axis, prepend, append"
def _diff_kind(kinds, bound):
    """``a``'s rank; floats where ``a``, ``prepend`` or ``append`` are (an int array with a float
    prepended is a float array: the derivative reaching it was dropped)."""
    k = _same("a")(kinds, bound)
    ends = [kinds.get(p) for p in ("prepend", "append") if kinds.get(p) is not None]
    if k.cls == "array" and k.dtype in ("i", "b") and any(e.is_float for e in ends):
        return array(k.ndim, "c" if any(e.dtype == "c" for e in ends) else "f")
    return k


defrule(np.diff, "a, n=1, axis=-1, prepend=None, append=None", result=_diff_kind,
        a=f"_ad_diff_adjoint(g, n, axis, a) if prepend is None and append is None else _ad_diff_ends(g, {_ENDS}, 0)",
        prepend=f"_ad_diff_ends(g, {_ENDS}, -1)", append=f"_ad_diff_ends(g, {_ENDS}, 1)",
        tangents={"a": "np.diff(t, n=n, axis=axis) if prepend is None and append is None else "
                       f"_ad_diff_ends_tangent(t, {_ENDS}, 0)",
                  "prepend": f"_ad_diff_ends_tangent(t, {_ENDS}, -1)", "append": f"_ad_diff_ends_tangent(t, {_ENDS}, 1)"},
        doc="prepend= and append= as numpy joins them (a number is broadcast along the axis)")
_NAN = "np.where(np.isnan(a), {}, a)"
_OK_T = "np.where(np.isnan(a), 0.0, t)"
defrule(np.nanvar, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", result=_reduced,
        a="_ad_nan_var_adjoint(g, a, axis, ddof, keepdims)",
        tangents={"a": f"np.sum(_ad_nan_var_adjoint(1.0, a, axis, ddof, True) * {_OK_T}, axis=axis, keepdims=keepdims)"},
        doc="NaN entries get no adjoint")
defrule(np.nanstd, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False", result=_reduced,
        a="_ad_nan_std_adjoint(g, a, ans, axis, ddof, keepdims)",
        tangents={"a": "np.sum(_ad_nan_std_adjoint(np.ones(np.shape(ans)), a, ans, axis, ddof, keepdims) * "
                       f"{_OK_T}, axis=axis, keepdims=keepdims)"},
        doc="NaN entries get no adjoint; 0 where the deviation is 0")
defrule(np.nanprod, "a, " + RED, result=_reduced,
        a=f"np.where(np.isnan(a), 0.0, _ad_prod_adjoint(g, {_NAN.format('1.0')}, axis, keepdims))",
        tangents={"a": f"np.sum(_ad_prod_adjoint(1.0, {_NAN.format('1.0')}, axis, True) * {_OK_T}, axis=axis, "
                       "keepdims=keepdims)"},
        doc="NaN entries (taken as 1) get no adjoint")
defrule(np.nancumsum, "a, axis=None, dtype=None, out=None", result=_flat_or_same,
        a="np.where(np.isnan(a), 0.0, _ad_cumsum_adjoint(g, a, axis))",
        tangents={"a": f"np.cumsum({_OK_T}, axis=axis)"}, doc="NaN entries (taken as 0) get no adjoint")
defrule(np.nancumprod, "a, axis=None, dtype=None, out=None", result=_flat_or_same,
        a=f"np.where(np.isnan(a), 0.0, _ad_cumprod_adjoint(g, {_NAN.format('1.0')}, axis))",
        tangents={"a": f"_ad_cumprod_tangent({_OK_T}, {_NAN.format('1.0')}, ans, axis)"},
        doc="NaN entries (taken as 1) get no adjoint")
defrule(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", result=_norm_result,
        x="_ad_norm_adjoint(g, x, ans, ord, axis, keepdims)",
        tangents={"x": "_ad_norm_tangent(t, x, ans, ord, axis, keepdims)"},
        doc="0 at the zero vector; ties of the inf and 1 norms split equally; ord=0 has no derivative; "
            "matrix 2/-2/nuc norms need distinct singular values")


def _quantile_result(kinds, bound):
    """Numpy's layout: ``q``'s axes, then those ``a`` keeps; floats whatever ``a`` holds."""
    k = _reduced(kinds, bound)
    qk = kinds.get("q")
    qn = 0 if qk is None or qk.cls in ("float", "int", "bool") else qk.ndim if qk.cls == "array" else None
    base = k.ndim if k.cls == "array" else 0 if k.cls in ("float", "int", "bool") else None   # (num: not known)
    if qn is None or base is None:
        return array(None)
    return FLOAT if base + qn == 0 else array(base + qn)


def _quantile_rule(func, params, q, scale, nan):
    """``func``'s rule: quantile ``q`` (an expression in the parameters) of ``a``, whose
    derivative in ``q`` is ``scale`` times that in the quantile's own ``q``."""
    args = f"a, {q}, axis, keepdims, {'method' if 'method' in params else repr('linear')}, {nan}"
    adjoints = {"a": f"_ad_quantile_adjoint(g, {args})"}
    tangents = {"a": f"_ad_quantile_gather(t, {args})"}
    if "q," in params:
        adjoints["q"] = f"_ad_quantile_adjoint_q(g, {args}) * {scale}"
        tangents["q"] = f"_ad_quantile_tangent_q(t * {scale}, {args})"
    rule = defrule(func, params, result=_quantile_result, tangents=tangents,
                   doc="the adjoint goes to the one or two elements each quantile reads (ties: those "
                       "np.argsort puts there)" + ("; NaN gets nothing" if nan else "")
                       + "; methods linear, lower, higher, midpoint, nearest", **adjoints)
    rule.refuse_when = _quantile_refusals
    return rule


def _quantile_refusals(bound, p):
    from ..runtime.quantiles import METHODS
    method, over = bound.get("method"), bound.get("overwrite_input")
    if isinstance(method, ast.Constant) and method.value not in METHODS:   # (a name: checked when it runs)
        return f"method={ast.unparse(method)} is not differentiated (the methods {', '.join(METHODS)} are)"
    if over is not None and not (isinstance(over, ast.Constant) and over.value is False):
        return "overwrite_input lets numpy reorder the array in place; leave it False"
    for name in ("weights", "interpolation"):
        v = bound.get(name)
        if v is not None and not (isinstance(v, ast.Constant) and v.value is None):
            return f"{name}= is not differentiated" + ("; use method=" if name == "interpolation" else "")
    return None


_Q = "a, q, axis=None, out=None, overwrite_input=False, method='linear', keepdims=False, weights=None, " \
     "interpolation=None"
_M = "a, axis=None, out=None, overwrite_input=False, keepdims=False"
_quantile_rule(np.quantile, _Q, "q", "1", False)
_quantile_rule(np.nanquantile, _Q, "q", "1", True)
_quantile_rule(np.percentile, _Q, "np.asarray(q) / 100", "0.01", False)
_quantile_rule(np.nanpercentile, _Q, "np.asarray(q) / 100", "0.01", True)
_quantile_rule(np.median, _M, "0.5", "1", False)
_quantile_rule(np.nanmedian, _M, "0.5", "1", True)
