"""Index arithmetic and scatter-add.

Subscript reads and stores (basic, integer-array and boolean indices,
``x[idx] += v``) are differentiated by the transform itself; ``np.add.at``
is rewritten (``frontend/inplace.py``) into a scatter-add through
``np.bincount``, whose weights are differentiable.
"""
import numpy as np

from ..analysis.kinds import Kind, array
from .registry import defrule, nondifferentiable

defrule(np.bincount, "x, weights=None, minlength=0", weights="g[x]",
        tangents={"weights": "np.bincount(x, weights=t, minlength=minlength)"},
        result=lambda kinds, bound: array(1), doc="differentiable in the weights; repeated bins accumulate")


def _int_arrays(kinds, bound):
    """A tuple of integer index arrays (``np.diag_indices``, ``np.tril_indices``...)."""
    return Kind("tuple", elts=None)


nondifferentiable(np.unravel_index, np.tril_indices, np.triu_indices, np.diag_indices, np.nonzero,
                  np.diag_indices_from, np.tril_indices_from, np.triu_indices_from, np.mask_indices,
                  result=_int_arrays)
nondifferentiable(np.indices, result=lambda kinds, bound: array(None, "i"))
nondifferentiable(np.ravel_multi_index)
