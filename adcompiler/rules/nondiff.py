"""Functions with no derivative, and array creation.

Their results are constants by declaration: rounding, signs, comparisons,
predicates, index-producing functions and array creation.
"""
import ast

import numpy as np

from ..analysis.kinds import FLOAT, INT, Kind, array
from ..runtime import attempts as AT
from ..runtime import ranges as RG
from .registry import allocating, defrule, elementwise, lookup, nondifferentiable

nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.trunc, np.rint, np.fix, np.signbit, np.floor_divide,
    np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.any, np.all,
    np.argmax, np.argmin, np.argsort, np.argpartition, np.argwhere, np.flatnonzero, np.count_nonzero,
    np.searchsorted, np.digitize, np.shape, np.ndim, np.size, np.result_type, np.int64,
    np.iscomplexobj, np.isrealobj, np.iscomplex, np.isreal,
    np.isin, np.isneginf, np.isposinf, np.nanargmax, np.nanargmin,
)
lookup(np.sign).complex_varies = True   # (z / |z| for complex z: refused, not taken as constant)
# window functions of a length: tables of constants
nondifferentiable(np.hamming, np.hanning, np.blackman, np.bartlett, params="M", result=lambda kinds, bound: array(1))
nondifferentiable(np.kaiser, params="M, beta", result=lambda kinds, bound: array(1))
lookup(np.kaiser).refuse_when = lambda bound, p: (
    "its shape parameter beta carries a derivative, which is not available" if p == "beta" else None)
allocating(np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
           np.eye, np.identity, np.tri)
# float conversions pass the derivative through (np.float64(x[0]) is x[0])
def _floats_of(kinds, bound):
    """np.float64(n) of an int (or a bool) is a float: its kind is not its argument's."""
    k = kinds.get("x")
    return array(k.ndim, "f") if k is not None and k.cls == "array" else FLOAT


elementwise(np.float64, "x", x="g").result = _floats_of
elementwise(np.float32, "x", x="g").result = _floats_of
# ranges whose values are their arguments' values: linspace is differentiated
# (its elements are linear in start and stop); the others are refused where
# an argument carries a derivative (their result used to pass for a constant)
def _ramp_kind(kinds, bound):
    """A range between numbers is 1-d; between arrays, one axis more than they have (unknown otherwise)."""
    ends = [kinds.get(p) for p in ("start", "stop")]
    if any(k is None or k.cls not in ("float", "int", "bool", "num", "array") for k in ends):
        return array(None)
    dtype = "c" if any(k.dtype == "c" for k in ends) else "f"
    ranks = [k.ndim if k.cls in ("array", "num") else 0 for k in ends]
    return array(None if None in ranks else max(ranks) + 1, dtype)


defrule(np.linspace, "start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0", result=_ramp_kind,
        start="_ad_linspace_adjoint(g, start, stop, num, endpoint, retstep, axis, 'start')",
        stop="_ad_linspace_adjoint(g, start, stop, num, endpoint, retstep, axis, 'stop')",
        tangents={"start": "_ad_linspace_tangent(t, start, stop, num, endpoint, axis, 'start')",
                  "stop": "_ad_linspace_tangent(t, start, stop, num, endpoint, axis, 'stop')"})


def _limit_kind(kinds, bound):
    """``np.finfo(x.dtype).eps`` is a float, ``.bits`` and ``np.iinfo``'s attributes ints."""
    from ..runtime.ranges import FINFO_INTS
    which, attr = (bound.get(p) for p in ("which", "attr"))
    ints = which is not None and which.value == "iinfo" or attr is not None and attr.value in FINFO_INTS
    return INT if ints else FLOAT


nondifferentiable(RG.type_limit, params="x, which, attr", result=_limit_kind)
nondifferentiable(RG.linspace_step_factor, params="num, endpoint=True", result=lambda kinds, bound: FLOAT)
nondifferentiable(AT.attempt, result=lambda kinds, bound: INT)   # (frontend/attempts.py: a try's probe)


def _values_not_differentiated(bound, param):
    return (f"its result is built from the value of `{param}`, and that derivative is not available; "
            "write it from np.arange(n) (e.g. start + step * np.arange(n), or base ** np.linspace(a, b, n))")


for _f, _params in ((np.arange, "start, stop=None, step=None, dtype=None"),
                    (np.logspace, "start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0"),
                    (np.geomspace, "start, stop, num=50, endpoint=True, dtype=None, axis=0")):
    allocating(_f, params=_params)
    lookup(_f).refuse_when = _values_not_differentiated
# the fill value of full/full_like is differentiable
defrule(np.full, "shape, fill_value, dtype=None", fill_value="_ad_unbroadcast(g, fill_value)",
        tangents={"fill_value": "np.full(shape, t, dtype=dtype)"})
defrule(np.full_like, "a, fill_value, dtype=None", fill_value="_ad_unbroadcast(g, fill_value)",
        tangents={"fill_value": "np.full_like(a, t, dtype=dtype)"}).constant = {"a"}   # its shape only
# ``np.ndarray(shape, dtype=...)`` called directly allocates like ``np.empty``
allocating(np.ndarray)
# Gauss quadrature nodes and weights of a degree: tables of constants
nondifferentiable(np.polynomial.legendre.leggauss, np.polynomial.hermite.hermgauss,
                  np.polynomial.hermite_e.hermegauss, np.polynomial.laguerre.laggauss,
                  np.polynomial.chebyshev.chebgauss, params="deg",
                  result=lambda kinds, bound: Kind("tuple", elts=(array(1), array(1))))
# sorting keys (the order of integer or float keys is constant)
nondifferentiable(np.lexsort, params="keys, axis=-1", result=lambda kinds, bound: array(1, "i"))


def _unique_kind(kinds, bound):
    """``np.unique``'s values (1-D, of the argument's dtype), and the indices,
    inverse and counts its ``return_*`` flags ask for (flags given as constants)."""
    k = kinds.get("ar", Kind("other"))
    flags = [bound.get(name) for name in ("return_index", "return_inverse", "return_counts")]
    if k.cls != "array" or not all(isinstance(f, ast.Constant) for f in flags):
        return Kind("other")
    parts = [array(1, k.dtype)] + [array(k.ndim if name == "inverse" and k.ndim == 1 else 1 if name != "inverse"
                                         else None, "i")
                                   for name, f in zip(("index", "inverse", "counts"), flags) if f.value]
    return parts[0] if len(parts) == 1 else Kind("tuple", elts=tuple(parts))


nondifferentiable(np.unique, params="ar, return_index=False, return_inverse=False, return_counts=False, axis=None, "
                                    "equal_nan=True", result=_unique_kind)
lookup(np.unique).refuse_when = lambda bound, p: (
    "its values are the argument's, sorted, and that derivative is not available; use np.sort (differentiated) "
    "or take np.unique of constant data")
