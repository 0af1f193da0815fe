"""Functions with no derivative, and array creation.

Their results are constants by declaration: rounding, signs, comparisons,
predicates, index-producing functions and array creation.
"""
import numpy as np

from .registry import allocating, defrule, nondifferentiable

nondifferentiable(
    np.sign, np.floor, np.ceil, np.round, np.trunc, np.rint, np.fix, np.signbit, np.floor_divide,
    np.heaviside, np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.any, np.all,
    np.argmax, np.argmin, np.argsort, np.nonzero, np.argwhere, np.flatnonzero, np.count_nonzero,
    np.searchsorted, np.digitize, np.shape, np.ndim, np.size, np.result_type,
    np.float64, np.float32, np.int64,
)
allocating(np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
           np.arange, np.linspace, np.logspace, np.geomspace, np.eye, np.identity, np.tri)
# the fill value of full/full_like is differentiable
defrule(np.full, "shape, fill_value, dtype=None", fill_value="np.sum(g)",
        tangents={"fill_value": "np.full(shape, t, dtype=dtype)"})
defrule(np.full_like, "a, fill_value, dtype=None", fill_value="np.sum(g)",
        tangents={"fill_value": "np.full_like(a, t, dtype=dtype)"})
# ``np.ndarray(shape, dtype=...)`` called directly allocates like ``np.empty``
allocating(np.ndarray)
