"""Index arithmetic and scatter-add.

Subscript reads and stores (basic, integer-array and boolean indices,
``x[idx] += v``) are differentiated by the transform itself; ``np.add.at``
is rewritten (``frontend/inplace.py``) into a scatter-add through
``np.bincount``, whose weights are differentiable.
"""
import numpy as np

from ..analysis.kinds import array
from .registry import defrule, nondifferentiable

defrule(np.bincount, "x, weights=None, minlength=0", weights="g[x]",
        tangents={"weights": "np.bincount(x, weights=t, minlength=minlength)"},
        result=lambda kinds, bound: array(1), doc="differentiable in the weights; repeated bins accumulate")
nondifferentiable(np.unravel_index, np.ravel_multi_index, np.indices, np.tril_indices, np.triu_indices,
                  np.diag_indices)
