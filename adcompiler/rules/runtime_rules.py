"""Rules for the helpers generated reverse code calls, so that reverse code
can itself be differentiated in forward mode (second derivatives by
forward-over-reverse). Each helper is linear in its adjoint argument."""
import ast

from ..runtime import core as R
from ..runtime import lists as LS
from ..runtime import orders as OR
from ..runtime import products as P
from ..runtime import running as RN
from ..runtime import special as SP
from ..runtime import views as RV
from .registry import (
    REQUIRED,
    Rule,
    defrule,
    differentiate_source,
    elementwise,
    nondifferentiable,
    register_rule,
)


def _int_kind():
    from ..analysis.kinds import INT
    return INT


_INT = _int_kind()


def _kind_of(param):
    """The kind of ``param`` itself (a copy's: an int array's copy is an int array), float where
    it is not an array or a number."""
    def result(kinds, bound):
        from ..analysis.kinds import FLOAT
        k = kinds.get(param)
        return k if k is not None and k.cls in ("array", "num", "float") else FLOAT
    return result


def _like(param):
    """The kind of ``param``, as an adjoint or a tangent of it has it: ``_kind_of``, float where
    ``param`` is an int or bool array (the adjoint of ``np.append(np.arange(2), x)``'s int part is
    float too)."""
    same = _kind_of(param)

    def result(kinds, bound):
        from ..analysis.kinds import array
        k = same(kinds, bound)
        return array(k.ndim, "f") if k.cls == "array" and k.dtype in ("i", "b") else k
    return result


def _like_part(first, other):
    """The kind of ``first`` where the ``first`` flag is true (or not given), else of ``other``:
    the adjoint of one operand or the other (``_ad_cross_adjoint(g, a, b, first)``)."""
    def result(kinds, bound):
        flag = bound.get("first")
        if flag is None or isinstance(flag, ast.Constant) and flag.value is True:
            return _like(first)(kinds, bound)
        if isinstance(flag, ast.Constant) and flag.value is False:
            return _like(other)(kinds, bound)
        return _any_rank("g")(kinds, bound)
    return result


def _any_rank(param):
    """An array of ``param``'s dtype whose rank is not known here."""
    def result(kinds, bound):
        from ..analysis.kinds import array
        k = kinds.get(param)
        return array(None, k.dtype if k is not None and k.dtype in ("f", "c") else "f")
    return result


def _concat_part_kind(kinds, bound):
    """``_ad_concat_part(g, arr, values, axis, first)``: the adjoint of ``arr`` (``first``) or of
    ``values``, of that part's rank (it was ``arr``'s, also for ``values``: an int ``arr`` made the
    adjoint of ``values`` an int, and a second derivative dropped it)."""
    first = bound.get("first")
    return _like("arr" if isinstance(first, ast.Constant) and first.value is True else "values")(kinds, bound)


defrule(LS.seq_adjoint, "g, v", result=lambda kinds, bound: kinds.get("g"),
        tangents={"g": "_ad_seq_adjoint(t, v)", "v": "0.0"})
defrule(R.unbroadcast, "v, x", result=_like("x"), v="_ad_broadcast_like(g, v)",
        tangents={"v": "_ad_unbroadcast(t, x)"})
defrule(R.unreduce, "v, x, axis=None, keepdims=False", result=_like("x"),
        v="_ad_unbroadcast(g, v)", tangents={"v": "_ad_unreduce(t, x, axis, keepdims)"})
defrule(R.select_adjoint, "v, x, ans, axis=None, keepdims=False", result=_like("x"),
        tangents={"v": "_ad_select_adjoint(t, x, ans, axis, keepdims)", "x": "0.0", "ans": "0.0"})
defrule(RN.running_extreme_adjoint, "v, a, ans, axis=0, larger=True", result=_like("a"),   # (weights: 0 or 1 away from ties)
        tangents={"v": "_ad_running_extreme_adjoint(t, a, ans, axis, larger)", "a": "0.0", "ans": "0.0"})
defrule(P.dot_adjoint_a, "v, a, b", result=_like("a"),
        tangents={"v": "_ad_dot_adjoint_a(t, a, b)", "a": "0.0", "b": "_ad_dot_adjoint_a(v, a, t)"})
defrule(P.dot_adjoint_b, "v, a, b", result=_like("b"),
        tangents={"v": "_ad_dot_adjoint_b(t, a, b)", "a": "_ad_dot_adjoint_b(v, t, b)", "b": "0.0"})
defrule(P.matmul_adjoint_a, "v, a, b", result=_like("a"),
        tangents={"v": "_ad_matmul_adjoint_a(t, a, b)", "a": "0.0", "b": "_ad_matmul_adjoint_a(v, a, t)"})
defrule(P.matmul_adjoint_b, "v, a, b", result=_like("b"),
        tangents={"v": "_ad_matmul_adjoint_b(t, a, b)", "a": "_ad_matmul_adjoint_b(v, t, b)", "b": "0.0"})


def _tuple_adjoint(kinds, bound):
    """A tuple's adjoint (``_ad_tadd``, ``_ad_tplus``): a tuple of as many elements,
    each an array or a float (kept from the adjoint it adds to where that is known)."""
    from ..analysis.kinds import Kind
    dt, n = kinds.get("dt"), bound.get("n")
    if dt is not None and dt.cls == "tuple" and dt.elts:
        return dt
    size = n.value if isinstance(n, ast.Constant) and isinstance(n.value, int) else None
    if size is None:
        g = kinds.get("g")
        return g if g is not None and g.cls == "tuple" else Kind("num", None, "f")
    return Kind("tuple", elts=(Kind("num", None, "f"),) * size)


def _tuple_element(kinds, bound):
    from ..analysis.kinds import Kind
    dt, k = kinds.get("dt"), bound.get("k")
    if dt is not None and dt.cls == "tuple" and dt.elts and isinstance(k, ast.Constant) \
            and isinstance(k.value, int) and -len(dt.elts) <= k.value < len(dt.elts):
        e = dt.elts[k.value]
        if e is not None:
            return e
    return Kind("num", None, "f")


# the adjoint of a tuple is a list of its elements' adjoints (0.0: all zeros); each
# helper is linear in the adjoints it takes, and tangents of two terms add element by element
defrule(R.tget, "dt, k", result=_tuple_element, tangents={"dt": "_ad_tget(t, k)"})
defrule(R.tadd, "dt, k, g, n", result=_tuple_adjoint,
        tangents={"dt": "_ad_tadd(t, k, 0.0, n)", "g": "_ad_tadd(0.0, k, t, n)"}).tuple_result = True
defrule(R.tplus, "dt, g", result=_tuple_adjoint,
        tangents={"dt": "_ad_tplus(t, 0.0)", "g": "_ad_tplus(0.0, t)"}).tuple_result = True
# the shadow of a helper's result that is (a view of) its argument: the same view of
# the argument's shadow, and its tangent the same view of that shadow's tangent
defrule(R.alias_view, "dx, x, v", kind="view", result=_like("v"), tangents={"dx": "_ad_alias_view(t, x, v)"})
defrule(RV.view_checked, "dv, v, x, where", kind="view", result=_like("dv"),
        tangents={"dv": "_ad_view_checked(t, v, x, where)"})
defrule(R.copy, "x", result=_kind_of("x"), x="g", tangents={"x": "_ad_copy(t)"})
defrule(LS.copy_method, "x", result=_kind_of("x"), x="g", tangents={"x": "_ad_copy(t)"})
elementwise(R.np_number, "x", x="g").result = _kind_of("x")   # (a number read as numpy's: FormBuilder.numpy_divisors)
defrule(R.gather_last, "x, idx", tangents={"x": "_ad_gather_last(t, idx)"})
defrule(R.index_adjoint, "v, x, idx", result=_like("x"), tangents={"v": "_ad_index_adjoint(t, x, idx)"})
defrule(R.per_element, "gs, n", tangents={"gs": "t"})
defrule(R.broadcast_like, "v, x", result=_like("x"), tangents={"v": "_ad_broadcast_like(t, x)"})
defrule(R.fresh_like, "v, x", result=_like("x"), tangents={"v": "_ad_fresh_like(t, x)"})
nondifferentiable(R.reduce_count, R.shape, R.zero_tangent)
register_rule(Rule(R.shadow_like, "adcompiler.runtime.shadow_like", [("x", REQUIRED)], {}, None, "alloc",
                   _like("x")))

_add_at = Rule(R.add_at, "adcompiler.runtime.add_at", [("x", REQUIRED), ("idx", REQUIRED), ("v", REQUIRED)], {},
               "_ad_add_at(d_x, idx, d_v)", "inplace")
register_rule(_add_at)
_store = Rule(R.store_adjoint, "adcompiler.runtime.store_adjoint", [("x", REQUIRED), ("idx", REQUIRED)], {},
              "_ad_store_adjoint(d_x, idx)", "inplace")
register_rule(_store)
# the adjoint of an item a reversed ``append`` pushed: the tangent list runs beside
# the adjoint list (one item per item), so its top is the tangent of the top
_stack_pop = Rule(R.stack_pop, "adcompiler.runtime.stack_pop", [("ds", REQUIRED)], {},
                  "_ad_stack_pop(d_ds)", "inplace")
register_rule(_stack_pop)
# np.stack of a user's list: the adjoint stack takes one adjoint per item, the tangent list likewise
register_rule(Rule(LS.stack_list_adjoint, "adcompiler.runtime.stack_list_adjoint",
                   [("ds", REQUIRED), ("g", REQUIRED), ("axis", 0), ("like", None)], {},
                   "_ad_stack_list_adjoint(d_ds, d_g, axis, like)", "inplace"))


# -- helpers of the numpy and linear-algebra rule tables ------------------------------
# ``linear`` is the parameter the helper is linear in (the adjoint ``g``);
# ``zero`` lists parameters it depends on only through shapes, masks or
# piecewise-constant choices; every other array parameter is refused in
# second-order code rather than differentiated wrongly.

from ..runtime import covariance as V
from ..runtime import einsums as E
from ..runtime import finite as FN
from ..runtime import inserts as I
from ..runtime import linalg as L
from ..runtime import norms as NM
from ..runtime import numpy as RN
from ..runtime import windows as W


def _linear(fn, params, linear="g", zero=(), extra=None, like=None):
    """``like``: the parameter whose kind the result has (the second one where not given: the
    primal array an adjoint is of)."""
    names = [p.split("=")[0].strip() for p in params.split(",")]
    name = "_ad_" + fn.__name__
    call = f"{name}({', '.join('t' if p == linear else p for p in names)})"
    tangents = {linear: call}
    tangents.update({p: "0.0" for p in zero})
    tangents.update(extra or {})
    rule = defrule(fn, params, tangents=tangents,
                   result=_like(like or names[1]) if len(names) > 1 or like else None)
    rule.refuse = {p for p in names if p not in tangents}
    return rule


nondifferentiable(RN.popped_int, params="v", result=lambda kinds, bound: _INT)


def _popped_ints(kinds, bound):
    from ..analysis.kinds import array
    rank = bound.get("rank")
    return array(rank.value if isinstance(rank, ast.Constant) else None, "i")


nondifferentiable(RN.popped_ints, params="v, rank", result=_popped_ints)


def _popped_tuple(kinds, bound):
    from ..analysis.kinds import BOOL, INT, Kind, array
    spec = bound.get("spec")
    if not (isinstance(spec, ast.Constant) and isinstance(spec.value, str)):
        return Kind("tuple")
    if spec.value in ("ai", "ai1"):   # (integer arrays, how many not known)
        return Kind("tuple", dtype=spec.value)
    elts = []
    for e in spec.value.split(","):
        elts.append(INT if e == "i" else BOOL if e == "b" else
                    array(int(e[1:-1]) if e[1:-1].isdigit() else None, e[-1]))
    return Kind("tuple", elts=tuple(elts))


nondifferentiable(LS.popped_tuple, params="v, spec", result=_popped_tuple)
# the tangent in g counts only where g's tangent is not 0; in the partial, only where g is not 0
defrule(FN.unread_product, "g, factor", result=lambda kinds, bound: kinds.get("g"),
        tangents={"g": "_ad_unread_product(t, factor)", "factor": "_ad_unread_product(g, t)"})
defrule(FN.overflow_term, "g, term", result=lambda kinds, bound: kinds.get("term"),
        tangents={"term": "_ad_overflow_term(g, t)"})
defrule(FN.unread_term, "term, g, finite, signs", result=lambda kinds, bound: kinds.get("term"),
        tangents={"term": "np.where(_ad_unread_mask(term, g), 0.0, t)", "g": "0.0",
                  "finite": "np.where(_ad_unread_mask(term, g) & (signs == 0), t, 0.0)", "signs": "0.0"})
nondifferentiable(FN.unread_mask, params="term, g", result=lambda kinds, bound: kinds.get("term"))
defrule(FN.finite_part, "g", result=lambda kinds, bound: kinds.get("g"), tangents={"g": "_ad_finite_part(t)"})
nondifferentiable(FN.infinite_signs, params="g", result=lambda kinds, bound: kinds.get("g"))
defrule(FN.finite_tangent, "t, y", result=lambda kinds, bound: kinds.get("t"),
        tangents={"t": "_ad_finite_tangent(t, y)", "y": "0.0"})
# digamma (the derivative of lgamma/gammaln) differentiated again: trigamma
elementwise(SP.digamma, "x", x="g * _ad_trigamma(x)")
elementwise(SP.trigamma, "x", x="g * _ad_tetragamma(x)")   # (digamma's, second order)
_linear(LS.joined_adjoint, "g, stacked, how, axis=0", zero=("stacked",))   # (stacked: its shape only)
_linear(RN.mean_adjoint, "g, a, axis=None, keepdims=False, where=True", zero=("a", "where"))
_linear(RN.gradient_adjoint, "g, f, spacing, axis, edge_order", zero=("f",))   # (f: its shape only)
_linear(RN.var_adjoint, "g, a, axis=None, ddof=0, keepdims=False",
        extra={"a": "_ad_var_adjoint(g, t, axis, ddof, keepdims)"})
# linear in a - mean(a) with ans fixed; through ans: -adjoint * t / ans (0 where ans is 0)
_linear(RN.std_adjoint, "g, a, ans, axis=None, ddof=0, keepdims=False",
        extra={"a": "_ad_std_adjoint(g, t, ans, axis, ddof, keepdims)",
               "ans": "-_ad_std_adjoint(g, a, ans, axis, ddof, keepdims) * "
                      "_ad_safe_div(_ad_expand(t, a, axis, keepdims), _ad_expand(ans, a, axis, keepdims))"})
_linear(RN.prod_adjoint, "g, a, axis=None, keepdims=False",
        extra={"a": "_ad_prod_adjoint_tangent(g, a, t, axis, keepdims)"})
_linear(RN.ptp_adjoint, "g, a, axis=None, keepdims=False", zero=("a",))
_linear(RN.nan_mean_adjoint, "g, a, axis=None, keepdims=False", zero=("a",))
_linear(RN.cumsum_adjoint, "g, a, axis=None", zero=("a",))
_linear(RN.diff_adjoint, "g, n=1, axis=-1, a=None", like="g", zero=("a",))   # (a: its shape only)
_linear(RN.diff_ends, "g, a, n=1, axis=-1, prepend=None, append=None, which=0", zero=("a", "prepend", "append"))
_linear(RN.diff_ends_tangent, "t, a, n=1, axis=-1, prepend=None, append=None, which=0",
        linear="t", zero=("a", "prepend", "append"))
_NAN_T = "np.where(np.isnan(a), np.nan, t)"   # (a's NaN entries stay NaN: they are left out)
_linear(RN.nan_var_adjoint, "g, a, axis=None, ddof=0, keepdims=False",
        extra={"a": f"_ad_nan_var_adjoint(g, {_NAN_T}, axis, ddof, keepdims)"})
_linear(RN.nan_std_adjoint, "g, a, ans, axis=None, ddof=0, keepdims=False",
        extra={"a": f"_ad_nan_std_adjoint(g, {_NAN_T}, ans, axis, ddof, keepdims)",
               "ans": "-_ad_nan_std_adjoint(g, a, ans, axis, ddof, keepdims) * "
                      "_ad_safe_div(_ad_expand(t, a, axis, keepdims), _ad_expand(ans, a, axis, keepdims))"})
_linear(NM.norm_adjoint, "g, x, ans, ord=None, axis=None, keepdims=False",
        extra={"x": "_ad_norm_adjoint_dx(g, x, ans, ord, axis, keepdims, t)",
               "ans": "_ad_norm_adjoint_dans(g, x, ans, ord, axis, keepdims, t)"})
_linear(RN.concat_part, "g, arr, values, axis, first", zero=("arr", "values")).result = _concat_part_kind
_linear(I.insert_part, "g, arr, obj, values, axis, first", zero=("arr", "obj", "values")).result = _concat_part_kind
_linear(RN.split_adjoint, "g, ary, axis=0", zero=("ary",))
_linear(RN.pad_adjoint, "g, array, pad_width, mode='constant'", zero=("array",))
_linear(RN.take_adjoint, "g, a, indices, axis=None, mode='raise'", zero=("a",))
_linear(RN.take_along_axis_adjoint, "g, arr, indices, axis=-1", zero=("arr",))
_linear(RN.sort_adjoint, "g, a, axis=-1", zero=("a",))
_linear(OR.partition_adjoint, "g, a, ans, axis=-1", zero=("a", "ans"))   # (a, ans: only the order, constant a.e.)
_linear(OR.partition_tangent, "t, a, ans, axis=-1", linear="t", zero=("a", "ans"))
_linear(RN.roll_adjoint, "g, shift, axis=None", like="g")
_linear(RN.rot90_adjoint, "g, k=1, axes=None", like="g")
_linear(W.window_adjoint, "g, x, window_shape, axis=None", zero=("x",))
_linear(RN.tile_adjoint, "g, a, reps", zero=("a",))
_linear(RN.resize_adjoint, "g, a, new_shape", zero=("a", "new_shape"))   # (new_shape: integers)
_linear(RN.repeat_adjoint, "g, a, repeats, axis=None", zero=("a",))
_linear(RN.diag_adjoint, "g, v, k=0", zero=("v",))
_linear(RN.diagonal_adjoint, "g, a, offset=0, axis1=0, axis2=1", zero=("a",))
_linear(RN.trace_adjoint, "g, a, offset=0, axis1=0, axis2=1", zero=("a",))
_linear(RN.expand, "ans, x, axis, keepdims", linear="ans", zero=("x",))
nondifferentiable(RN.clip_inside, RN.clip_low, RN.clip_high, RN.sinc_grad2, RN.wrapped_indices)
# (its own rule, not its source: the quotient's derivative at x == 0 would be the 0 of safe_div's convention)
defrule(RN.sinc_grad, "x", tangents={"x": "t * _ad_sinc_grad2(x)"}, result=_like("x"))
defrule(RN.safe_div, "a, b", tangents={"a": "_ad_safe_div(t, b)", "b": "-_ad_safe_div(a * t, b * b)"},
        result=_like("a"))
# (the cofactors of a, whatever det_adjoint computes them from: ans gives no term of its own)
_linear(L.det_adjoint, "g, a, ans", extra={"a": "_ad_det_adjoint_da(g, a, t)"}, zero=("ans",))
_COV = "m, y, rowvar, bias, ddof, fweights, aweights, first"
_cov_adj = _linear(V.cov_adjoint, f"g, {_COV.replace('y,', 'y=None,')}",
                   extra={"m": f"_ad_cov_adjoint_tangent(g, t, None, {_COV})",
                          "y": f"_ad_cov_adjoint_tangent(g, None, t, {_COV})"})
_cov_adj.result = _like_part("m", "y")
# linear in the adjoint and in the other operand (its own operand gives only the length)
_linear(L.convolve_adjoint, "g, a, v, mode='full', first=True",
        extra={"a": "0.0 if first else _ad_convolve_adjoint(g, t, v, mode, first)",
               "v": "_ad_convolve_adjoint(g, a, t, mode, first) if first else 0.0"}).result = _like_part("a", "v")
_linear(RN.outer_sum, "g, nd_a, nd_g, first").result = _any_rank("g")
_linear(L.cross_adjoint, "g, a, b, first=True",
        extra={"a": "0.0 if first else _ad_cross_adjoint(g, t, b, first)",
               "b": "_ad_cross_adjoint(g, a, t, first) if first else 0.0"}).result = _like_part("a", "b")
_linear(L.inner_adjoint_a, "g, a, b", zero=("a",), extra={"b": "_ad_inner_adjoint_a(g, a, t)"})
_linear(L.inner_adjoint_b, "g, a, b", zero=("b",), extra={"a": "_ad_inner_adjoint_b(g, t, b)"}, like="b")
_linear(L.tensordot_adjoint_a, "g, a, b, axes=2", zero=("a",),
        extra={"b": "_ad_tensordot_adjoint_a(g, a, t, axes)"})
_linear(L.tensordot_adjoint_b, "g, a, b, axes=2", zero=("b",),
        extra={"a": "_ad_tensordot_adjoint_b(g, t, b, axes)"}, like="b")
nondifferentiable(R.inverse_axes, R.default)
_linear(R.einsum_maybe, "subscripts, a, b", linear="a", zero=("subscripts",),
        extra={"b": "_ad_einsum_maybe(subscripts, a, t)"})

# -- helpers of complex adjoints and of the FFT (their marks for complex values: rules/complexes.py)
from ..runtime import averages as A
from ..runtime import complexes as C
from ..runtime import curves as Q
from ..runtime import fft as F
from ..runtime import histogram as H
from ..runtime import ranges as G

_linear(C.real_if, "g, like", zero=("like",))
_linear(C.conj_each, "gs", linear="gs")
_linear(C.imag_adjoint, "g, x", zero=("x",))
_linear(C.abs_adjoint, "g, x, ans", extra={"x": "_ad_abs_adjoint_dx(g, x, ans, t)",
                                           "ans": "_ad_abs_adjoint_dans(g, x, ans, t)"})
_linear(C.vdot_adjoint_a, "g, a, b", zero=("a",), extra={"b": "_ad_vdot_adjoint_a(g, a, t)"})
_linear(F.fft_adjoint, "g, a, axis=-1, norm=None, inverse=False", zero=("a",))
_linear(F.fftn_adjoint, "g, a, s=None, axes=None, norm=None, inverse=False, default=None", zero=("a",))
_linear(F.rfft_adjoint, "g, a, n=None, axis=-1, norm=None", zero=("a",))
_linear(F.irfft_adjoint, "g, a, n=None, axis=-1, norm=None", zero=("a",))
_linear(F.rfftn_adjoint, "g, a, s=None, axes=None, norm=None, default=None", zero=("a",))
_linear(F.irfftn_adjoint, "g, a, s=None, axes=None, norm=None, default=None", zero=("a",))

# -- helpers differentiated from their own source ---------------------------------------
# adjoints that are not linear in one argument alone (they read the primal inputs
# and outputs of a matrix function): forward mode differentiates their bodies as it
# does a user function's; tests/second/test_second_helpers.py checks each
differentiate_source(
    L.solve_adjoint_a, L.solve_adjoint_b, L.inv_adjoint, L.slogdet_adjoint, L.matrix_power_adjoint,
    L.matrix_power_tangent,
    L.cholesky_adjoint, L.qr_adjoint, L.eigh_adjoint, L.eigvalsh_adjoint, L.svd_adjoint,
    L.svdvals_adjoint, L.pinv_adjoint, L.lstsq_adjoint_a, L.lstsq_adjoint_b, L.kron_adjoint,
    C.angle_adjoint, V.corrcoef_adjoint, G.linspace_adjoint,
    L._t, L._lower, L._sym_lower, L._offdiag_inverse, RN.cumprod_adjoint, A.average_adjoint_w, A.average_adjoint_a,
    A._avg_weights, C.cnorm_adjoint, Q.trapezoid_adjoint_y, Q.trapezoid_adjoint_x, Q.trapezoid_adjoint_dx,
    Q._last, Q._widths, Q._pad, Q._trapezoid_coefficients, Q.trapezoid_tangent_x, Q.trapezoid_tangent_dx,
    Q.interp_adjoint_fp, Q._interp_parts, Q.interp_slope, Q.interp_tangent_fp, Q.polyval_adjoint_p,
    Q.polyval_slope, Q.polyder_adjoint, Q.vander_slopes, H.histogram_adjoint_w, H.histogram_adjoint_a, H._counts,
    H.histogram_adjoint_bins, H.histogram_adjoint_range,
)
nondifferentiable(H._bins_of, H._data_edges, H._edge_weights, Q.interp_side, L._full_column_rank)
nondifferentiable(RN._norm_axes, A._other_axes, A._weights_layout, L._kron_layout, L._svd_reduced_rank, L._tall)
nondifferentiable(C._is_complex, G.linspace_weights)
nondifferentiable(RV.disjoint_checked, params="a, b, where", result=lambda kinds, bound: _none())
nondifferentiable(RV.real_power_checked, params="v, where", result=lambda kinds, bound: _none())
# a user's rule's adjoint, its shape checked: the value itself, differentiated again (its shape checked again)
defrule(RV.rule_checked, "value, like, rule, param, what, also=None", result=_like("value"),
        tangents={"value": "_ad_rule_checked(t, like, rule, param, what, also)"})


def _none():
    from ..analysis.kinds import NONE
    return NONE


def _operands_kind(kinds, bound):
    from ..analysis.kinds import Kind
    ops = kinds.get("operands")
    return ops if ops is not None and ops.cls == "tuple" else Kind("num", None, "f")


# the adjoint of each einsum operand is linear in the cotangent and in every other operand
defrule(E.einsum_adjoints, "g, subscripts, operands", result=_operands_kind,
        tangents={"g": "_ad_einsum_adjoints(t, subscripts, operands)",
                  "operands": "_ad_einsum_adjoints_tangent(g, subscripts, operands, t)"}).tuple_result = True


# -- order statistics (np.quantile and its kin): each helper is linear in its first argument;
# the order (``a``) is piecewise constant, and ``v`` is the values read in that order
from ..runtime import quantiles as QT

_QP = "a, q, axis=None, keepdims=False, method='linear', nan=False"
_QA = "a, q, axis, keepdims, method, nan"


def _NUMF(kinds, bound):
    from ..analysis.kinds import Kind
    return Kind("num", None, "f")   # (a float or an array of unknown rank)


_linear(QT.quantile_adjoint, "g, " + _QP + ", dq=None", zero=("a",),
        extra={"q": f"(_ad_quantile_adjoint(g, {_QA}, t) if dq is None else 0.0)"})
defrule(QT.quantile_gather, "v, " + _QP, result=_NUMF,
        tangents={"v": f"_ad_quantile_gather(t, {_QA})", "a": "0.0", "q": f"_ad_quantile_tangent_q(t, {_QA}, v)"})
defrule(QT.quantile_adjoint_q, "g, " + _QP + ", v=None", result=_NUMF,
        tangents={"g": f"_ad_quantile_adjoint_q(t, {_QA}, v)",
                  "a": f"(_ad_quantile_adjoint_q(g, {_QA}, t) if v is None else 0.0)", "v": f"_ad_quantile_adjoint_q(g, {_QA}, t)", "q": "0.0"})
defrule(QT.quantile_tangent_q, "u, " + _QP + ", v=None", result=_NUMF,
        tangents={"u": f"_ad_quantile_tangent_q(t, {_QA}, v)",
                  "a": f"(_ad_quantile_tangent_q(u, {_QA}, t) if v is None else 0.0)", "v": f"_ad_quantile_tangent_q(u, {_QA}, t)", "q": "0.0"})
