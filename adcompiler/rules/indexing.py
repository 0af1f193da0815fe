"""Index arithmetic and scatter-add.

Subscript reads and stores (basic, integer-array and boolean indices,
``x[idx] += v``) are differentiated by the transform itself; ``np.add.at``
is rewritten (``frontend/inplace.py``) into a scatter-add through
``np.bincount``, whose weights are differentiable.
"""
import ast

import numpy as np

from ..analysis.kinds import Kind, array
from ..runtime import numpy as RN
from .registry import defrule, lookup, nondifferentiable

defrule(np.bincount, "x, weights=None, minlength=0", weights="g[x]",
        tangents={"weights": "np.bincount(x, weights=t, minlength=minlength)"},
        result=lambda kinds, bound: array(1), doc="differentiable in the weights; repeated bins accumulate")
nondifferentiable(RN.at_inverse, params="a, idx", result=lambda kinds, bound: array(  # (idx's shape, of one array)
    getattr(kinds.get("idx"), "ndim", None) if getattr(kinds.get("idx"), "cls", None) == "array" else None, "i"))
nondifferentiable(RN.at_targets, params="a, idx", result=lambda kinds, bound: array(1, "i") if getattr(
    kinds.get("a"), "ndim", None) == 1 else Kind("tuple", elts=None, dtype="ai1"))   # (of a 1-D array: one array)
defrule(RN.scatter_sum, "x, weights, minlength", weights="g[x]",
        tangents={"weights": "_ad_scatter_sum(x, t, minlength)"},
        result=lambda kinds, bound: array(1, "c" if getattr(kinds.get("weights"), "dtype", None) == "c" else "f"))


def _int_arrays(count, rank=1):
    """A tuple of ``count(kinds, bound)`` integer index arrays of rank ``rank``
    (``np.nonzero``: one per axis of its argument; ``np.tril_indices``: two), or
    of unknown length (its elements are still integer arrays)."""
    def result(kinds, bound):
        n = count(kinds, bound)
        r = rank(kinds, bound) if callable(rank) else rank
        elt = array(r, "i") if r != 0 else Kind("int")
        # of unknown length: "ai1" (rank-1 arrays, np.nonzero's) or "ai" (integer arrays of unknown rank)
        return Kind("tuple", elts=(elt,) * n if n is not None else None,
                    dtype=None if n is not None else "ai1" if r == 1 else "ai", seq="tuple")
    return result


def _ndim_of(param):
    def count(kinds, bound):
        k = kinds.get(param)
        return k.ndim if k is not None and k.cls == "array" else None
    return count


def _constant_int(param, default):
    def count(kinds, bound):
        v = bound.get(param)
        if v is None:
            return default
        return v.value if isinstance(v, ast.Constant) and type(v.value) is int else None
    return count


def _unravel_count(kinds, bound):
    k = kinds.get("shape")
    if k is not None and k.cls == "tuple" and k.elts is not None:
        return len(k.elts)
    return 1 if k is not None and k.cls == "int" else None


def _unravel_rank(kinds, bound):
    k = kinds.get("indices")
    return k.ndim if k is not None and k.cls == "array" else 0 if k is not None and k.cls == "int" else None


def _two(kinds, bound):
    return 2


nondifferentiable(np.nonzero, params="a", result=_int_arrays(_ndim_of("a")))
nondifferentiable(np.diag_indices_from, params="arr", result=_int_arrays(_ndim_of("arr")))
nondifferentiable(np.tril_indices_from, np.triu_indices_from, params="arr, k=0", result=_int_arrays(_two))
nondifferentiable(np.tril_indices, np.triu_indices, params="n, k=0, m=None", result=_int_arrays(_two))
nondifferentiable(np.mask_indices, params="n, mask_func, k=0", result=_int_arrays(_two))
nondifferentiable(np.diag_indices, params="n, ndim=2", result=_int_arrays(_constant_int("ndim", 2)))
nondifferentiable(np.unravel_index, params="indices, shape, order='C'",
                  result=_int_arrays(_unravel_count, _unravel_rank))
nondifferentiable(np.indices, result=lambda kinds, bound: array(None, "i"))


def _open_mesh(kinds, bound):
    """``np.ix_(a, b, ...)``: one integer array per argument, each of rank the number of arguments."""
    seqs = bound.get("args")
    n = len(seqs.elts) if isinstance(seqs, ast.Tuple) else None
    return Kind("tuple", elts=(array(n, "i"),) * n, seq="tuple") if n else Kind("tuple", dtype="ai", seq="tuple")


nondifferentiable(np.ix_, params="args", result=_open_mesh)
lookup(np.ix_).varargs = "args"
nondifferentiable(np.ravel_multi_index)



def gradient_axes(n, axis, spacings: int):
    """The axes ``np.gradient`` of an array of rank ``n`` computes along where it returns one array per
    axis (``axis`` not given, of rank 2 or more, or a tuple of ints), with no spacing, one, or one per axis:
    ``transform/lower.py`` writes it as one call per axis. None for the other forms."""
    if n is None:
        return None
    if axis is None or isinstance(axis, ast.Constant) and axis.value is None:
        axes = tuple(range(n)) if n >= 2 else None
    elif isinstance(axis, ast.Tuple) and axis.elts and all(
            isinstance(e, ast.Constant) and type(e.value) is int and -n <= e.value < n for e in axis.elts):
        axes = tuple(e.value % n for e in axis.elts)
    else:
        axes = None
    return axes if axes is not None and spacings in (0, 1, len(axes)) else None


def _gradient_kind(kinds, bound):
    """``np.gradient`` along one axis (of a 1-D array, or ``axis=`` an integer): an array of
    ``f``'s rank; along several (``gradient_axes``), the tuple of one per axis (numpy's own for
    one axis in a tuple: the array)."""
    k = kinds.get("f", Kind("float"))
    n = k.ndim if k.cls == "array" else None
    axis = bound.get("axis")
    one = isinstance(axis, ast.Constant) and (type(axis.value) is int or axis.value is None and n == 1)
    each = array(n, "c" if k.dtype == "c" else "f")
    spacing = bound.get("spacing")
    axes = gradient_axes(n, axis, len(spacing.elts) if isinstance(spacing, ast.Tuple) else 0)
    if axes is not None and not one:
        return each if len(axes) == 1 else Kind("tuple", elts=(each,) * len(axes), seq="tuple")
    return each if one else Kind("other")


defrule(np.gradient, "f, spacing=(), axis=None, edge_order=1", varargs="spacing", result=_gradient_kind,
        f="_ad_gradient_adjoint(g, f, spacing, axis, edge_order)",
        tangents={"f": "_ad_gradient_tangent(t, spacing, axis, edge_order)"},
        doc="uniform spacings, along one axis (a 1-D array, or axis= an integer), or of several (every axis "
            "of an array of known rank without axis=, a tuple of axes: the tuple numpy returns, one call per axis)")
