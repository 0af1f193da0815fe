"""Functions of sampled curves: ``np.trapezoid`` (in the samples, the sample
points and the spacing), ``np.interp`` (in the queries, the values and the
outside values; the sample points must be constant) and ``np.polyval`` /
``np.polyder``, ``np.vander``, ``np.unwrap`` (the phase). Their helpers: ``runtime/curves.py``."""
import numpy as np

from ..analysis.kinds import COMPLEX, FLOAT, array
from .registry import defrule


def _rank_of(param, delta=0):
    def result(kinds, bound):
        k = kinds.get(param)
        if k is None or k.cls != "array":
            return FLOAT if k is not None and k.cls in ("float", "int") else array(None)
        if k.ndim is None:
            return array(None)
        return FLOAT if k.ndim + delta == 0 else array(k.ndim + delta)
    return result


if hasattr(np, "trapezoid"):   # numpy >= 2.0 (np.trapz before)
    defrule(np.trapezoid, "y, x=None, dx=1.0, axis=-1",
            y="_ad_trapezoid_adjoint_y(g, y, x, dx, axis)", x="_ad_trapezoid_adjoint_x(g, y, x, axis)",
            dx="_ad_trapezoid_adjoint_dx(g, y, x, axis)",
            tangents={"y": "np.trapezoid(t, x, dx, axis)", "x": "_ad_trapezoid_tangent_x(t, y, x, axis)",
                      "dx": "_ad_trapezoid_tangent_dx(t, y, x, axis)"},
            result=_rank_of("y", -1), doc="in y, x and a scalar dx")
defrule(np.interp, "x, xp, fp, left=None, right=None, period=None",
        x="g * _ad_interp_slope(x, xp, fp, period)", fp="_ad_interp_adjoint_fp(g, x, xp, fp, left, right, period)",
        left="np.sum(g * _ad_interp_side(x, xp, 'left'))", right="np.sum(g * _ad_interp_side(x, xp, 'right'))",
        tangents={"x": "t * _ad_interp_slope(x, xp, fp, period)",
                  "fp": "_ad_interp_tangent_fp(t, x, xp, left, right, period)",
                  "left": "t * _ad_interp_side(x, xp, 'left')", "right": "t * _ad_interp_side(x, xp, 'right')"},
        result=_rank_of("x"),
        doc="the sample points xp constant; the slope of the interval at a query (0 outside xp; at a "
            "sample point, the interval to its right; at the last one, the last interval); period= refused").refuse = {"xp", "period"}
def _polyval_result(kinds, bound):
    """x's rank; complex where the coefficients or x are."""
    k = _rank_of("x")(kinds, bound)
    if not any(getattr(kinds.get(q), "dtype", None) == "c" for q in ("p", "x")):
        return k
    return COMPLEX if k is FLOAT else array(k.ndim, "c")


defrule(np.polyval, "p, x", p="_ad_polyval_adjoint_p(g, p, x)", x="g * _ad_polyval_slope(p, x)",
        tangents={"p": "np.polyval(t, x)", "x": "t * _ad_polyval_slope(p, x)"}, result=_polyval_result,
        doc="coefficients highest power first")
defrule(np.polyder, "p, m=1", p="_ad_polyder_adjoint(g, p, m)", tangents={"p": "np.polyder(t, m)"},
        result=lambda kinds, bound: array(1))
defrule(np.vander, "x, N=None, increasing=False", x="np.sum(g * _ad_vander_slopes(x, N, increasing), axis=1)",
        tangents={"x": "t[:, None] * _ad_vander_slopes(x, N, increasing)"}, result=lambda kinds, bound: array(2),
        doc="columns x ** p, the powers decreasing unless increasing=True")
defrule(np.unwrap, "p, discont=None, axis=-1, period=6.283185307179586", p="g", tangents={"p": "t"},
        result=lambda kinds, bound: array(getattr(kinds.get("p"), "ndim", None), "f"),
        doc="in p (the multiples of the period it adds are constant between jumps); discont and period "
            "constant").refuse = {"discont", "period"}
