"""Special functions: ``math.lgamma`` and ``math.gamma``, and the functions
of ``scipy.special`` common in statistics and machine learning (``gammaln``,
``expit``, ``logsumexp``, ``softmax``...). scipy is not a dependency: its rules are
registered the first time a function is looked up while ``scipy.special``
is imported (a kernel that calls it imports it)."""
import math
import sys

from .registry import defrule, elementwise

elementwise(math.lgamma, "x", x="g * _ad_digamma(x)", doc="digamma(x) = d/dx log Γ(x)")
elementwise(math.gamma, "x", x="g * ans * _ad_digamma(x)")

# (a broadcast against b first: scipy broadcasts them, and b may be the larger)
_AB = "(a if b is None else a + np.zeros(np.shape(b)))"
_LSE = f"np.exp(np.where({_AB} == -np.inf, -np.inf, {_AB} - _ad_unreduce(ans, {_AB}, axis, keepdims))) * " \
       "(1.0 if b is None else b)"   # (no share for an element at -inf: all of them gave nan)


def _lse_result(kinds, bound):
    from ..analysis.kinds import Kind, reduce_kind
    value = reduce_kind(kinds, bound)
    return Kind("tuple", elts=(value, value)) if _lse_refused(bound, "a") else value


def _like_x(kinds, bound):
    from ..analysis.kinds import FLOAT, array
    k = kinds.get("x", FLOAT)
    return array(k.ndim, "f") if k.cls == "array" else k


def _lse_refused(bound, param):
    sign = bound.get("return_sign")
    if sign is not None and not (getattr(sign, "value", None) is False):
        return "with return_sign it returns a pair; differentiate logsumexp without it"
    return None


def scipy_rules() -> bool:
    """Register the rules of ``scipy.special`` if it is imported (once); whether it is."""
    sp = sys.modules.get("scipy.special")
    if sp is None:
        return False
    elementwise(sp.gammaln, "x", name="scipy.special.gammaln", x="g * _ad_digamma(x)", doc="digamma(x) = d/dx log Γ(x)")
    elementwise(sp.gamma, "x", name="scipy.special.gamma", x="g * ans * _ad_digamma(x)")
    elementwise(sp.digamma, "x", name="scipy.special.digamma", x="g * _ad_trigamma(x)")
    elementwise(sp.expit, "x", name="scipy.special.expit", x="g * ans * (1 - ans)")
    elementwise(sp.log_expit, "x", name="scipy.special.log_expit", x="g * (1 - np.exp(ans))")
    elementwise(sp.logit, "x", name="scipy.special.logit", x="g / (x * (1 - x))")
    elementwise(sp.erf, "x", name="scipy.special.erf", x="g * 2 / np.sqrt(np.pi) * np.exp(-x * x)")
    elementwise(sp.erfc, "x", name="scipy.special.erfc", x="-g * 2 / np.sqrt(np.pi) * np.exp(-x * x)")
    elementwise(sp.ndtr, "x", name="scipy.special.ndtr", x="g * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)",
                doc="the standard normal CDF; its derivative the density")
    elementwise(sp.log_ndtr, "x", name="scipy.special.log_ndtr", x="g * np.exp(-x * x / 2 - ans) / np.sqrt(2 * np.pi)")
    elementwise(sp.ndtri, "x", name="scipy.special.ndtri", x="g * np.sqrt(2 * np.pi) * np.exp(ans * ans / 2)")
    elementwise(sp.erfinv, "x", name="scipy.special.erfinv", x="g * np.sqrt(np.pi) / 2 * np.exp(ans * ans)")
    elementwise(sp.xlogy, "x, y", name="scipy.special.xlogy", x="g * np.log(y)", y="g * x / np.where((x == 0) & (y == 0), 1.0, y)",
                doc="d/dy is 0 where x == 0")
    rule = defrule(sp.logsumexp, "a, axis=None, b=None, keepdims=False, return_sign=False", result=_lse_result,
                   name="scipy.special.logsumexp",
                   a=f"_ad_unbroadcast(_ad_unreduce(g, {_AB}, axis, keepdims) * {_LSE}, a)",
                   tangents={"a": f"np.sum(t * {_LSE}, axis=axis, keepdims=keepdims)"},
                   doc="with b a constant; not with return_sign")
    rule.refuse_when = _lse_refused
    defrule(sp.softmax, "x, axis=None", name="scipy.special.softmax", result=_like_x,
            x="ans * (g - np.sum(g * ans, axis=axis, keepdims=True))",
            tangents={"x": "ans * (t - np.sum(t * ans, axis=axis, keepdims=True))"})
    defrule(sp.log_softmax, "x, axis=None", name="scipy.special.log_softmax", result=_like_x,
            x="g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)",
            tangents={"x": "t - np.sum(t * np.exp(ans), axis=axis, keepdims=True)"})
    return True



