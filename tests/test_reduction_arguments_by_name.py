"""Reductions given ``axis`` or ``keepdims`` through a name (``keep = True; np.sum(A, axis=0,
keepdims=keep)``, a helper's parameter, ``ax = None``, ``ax = (0, 1)``). The result's rank was
read from the written-out value only: ``keepdims=keep`` counted as False, so ``m[0]`` of a row
was a number and ``r = m[0]; r *= 2.0`` wrote nothing into ``m`` (the values the function left,
and the gradient, were wrong, with no error); ``axis=ax`` counted as one axis, so ``ax = None``
gave a float the code indexed (TypeError from the derivative) or refused an Active return ("an
array of rank 1"); ``np.cumsum``, ``np.sort``, ``np.take``, ``np.append`` given ``axis=ax`` holding
None flatten, which was missed the same way. The rank is now read from the name's kind (None, an int, a tuple of known
length) or is unknown, and code that needs it is refused at its line. Checked at every entry
point against finite differences."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def _column_means(X, keep):
    return np.mean(X, axis=0, keepdims=keep)


def row_doubled_through_a_helper(A, out):
    m = _column_means(A, True)
    r = m[0]
    r *= 2.0
    out[:] = m[0]


def row_doubled_by_a_name(A, out):
    keep = True
    m = np.sum(A, axis=0, keepdims=keep)
    r = m[0]
    r *= 2.0
    out[:] = m[0]


def every_axis_by_a_name(A, out):
    ax = None
    s = np.sum(A, axis=ax)
    t = s
    s += 1.0
    out[:] = A[0] * t


def a_tuple_of_axes_by_a_name(T, out):
    ax = (0, 1)
    m = np.sum(T * T, axis=ax)
    r = m[0]
    r += 1.0
    out[:] = m


def _norm(v, axis):
    return np.sqrt(np.sum(v * v, axis=axis))


def a_helper_given_none(A):
    return _norm(A, None) * 2.0


def one_axis_by_a_name(A, out):
    ax = 1
    out[:] = np.sum(A * A, axis=ax)


def centred(X, keep):
    mu = np.mean(X, axis=-1, keepdims=keep)
    return np.sum((X - mu) ** 2)


def kept_by_one(A, out):
    m = np.max(A, axis=1, keepdims=1)
    out[:] = (A / m)[:, 0]


def cumsum_of_every_axis(A, out):
    ax = None
    c = np.cumsum(A, axis=ax)
    r = c[0]
    r += 1.0
    out[:] = c[:2] * 2.0


def sorted_flat(A, out):
    ax = None
    out[:] = np.sort(A * A, axis=ax)[:3]


def squeezed(A, out):
    ax = 0
    out[:] = np.squeeze(A, axis=ax) * 2.0


def expanded(x, out):
    ax = 1
    e = np.expand_dims(x, axis=ax)
    out[:] = (e * e)[:, 0]


def taken_flat(A, out):
    ax = None
    out[:] = np.take(A, np.array([0, 4]), axis=ax) * 3.0


def appended_flat(A, B, out):
    ax = None
    out[:] = np.append(A, B, axis=ax)[:4]


def median_along_a_named_axis(A, out):
    ax = 1
    out[:] = np.median(A, axis=ax)


def quantiles_along_a_named_axis(A):
    ax = 1
    q = np.quantile(A, np.array([0.25, 0.75]), axis=ax)
    return float(np.sum((q[1] - q[0]) ** 2))


def median_of_every_axis_by_a_name(A):
    ax = None
    return np.median(A, axis=ax) * 2.0


def norm_along_a_named_axis(A, out):
    ax = 1
    n = np.linalg.norm(A, axis=ax)
    t = n
    n += 1.0
    out[:] = t * 2.0


def argmax_of_every_axis_by_a_name(A):
    ax = None
    k = np.argmax(A, axis=ax)
    r, c = np.unravel_index(k, A.shape)
    return A[r, c] * 2.0 + np.sum(A)


def argmax_kept_by_a_name(A):
    keep = True
    k = np.argmax(A, axis=1, keepdims=keep)
    return np.sum(np.take_along_axis(A, k, axis=1) ** 2)


def argsort_flat_by_a_name(A):
    ax = None
    order = np.argsort(A, axis=ax)
    return np.sum(A.ravel()[order] * np.arange(A.size))


def rows_any_along_a_named_axis(A):
    ax = 1
    hit = np.any(A > 1.0, axis=ax)
    return np.sum(A[hit] ** 2)


def _distinct(*shape, seed=0):
    """Distinct values (a quantile's derivative is taken away from ties)."""
    x = np.random.default_rng(seed).permutation(np.arange(float(np.prod(shape)))).reshape(shape) / 7 + 0.1
    return Duplicated(x, np.zeros_like(x))


def _a(*shape, seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("f, args, ret", [
    (every_axis_by_a_name, lambda: (_a(2, 3), _a(3, seed=1)), Const),
    (a_tuple_of_axes_by_a_name, lambda: (_a(2, 3, 4), _a(4, seed=1)), Const),
    (a_helper_given_none, lambda: (_a(2, 3),), Active),
    (one_axis_by_a_name, lambda: (_a(2, 3), _a(2, seed=1)), Const),
    (centred, lambda: (_a(2, 3), Const(True)), Active),
    (kept_by_one, lambda: (_a(2, 3), _a(2, seed=1)), Const),
    # (the functions that flatten where axis is None: cumsum's c[0] was taken for a row, a TypeError)
    (cumsum_of_every_axis, lambda: (_a(2, 3), _a(2, seed=1)), Const),
    (sorted_flat, lambda: (_a(2, 3), _a(3, seed=1)), Const),
    (squeezed, lambda: (_a(1, 3), _a(3, seed=1)), Const),
    (expanded, lambda: (_a(3), _a(3, seed=1)), Const),
    (taken_flat, lambda: (_a(2, 3), _a(2, seed=1)), Const),
    (appended_flat, lambda: (_a(2, 2), _a(2, 2, seed=1), _a(4, seed=2)), Const),
    # (a quantile's rank was left unknown by the first version of this change and taken for a
    # number's: the seed of a row of medians was summed, [[0, 11, 0], [0, 11, 0]] for [[0, 1, 0], [0, 10, 0]])
    (median_along_a_named_axis, lambda: (_distinct(2, 3), _a(2, seed=1)), Const),
    (quantiles_along_a_named_axis, lambda: (_distinct(2, 5),), Active),
    (median_of_every_axis_by_a_name, lambda: (_distinct(2, 3),), Active),
    (norm_along_a_named_axis, lambda: (_a(2, 3), _a(2, seed=1)), Const),
    # (the index functions: argmax's axis=ax holding None counted as one axis, an index array)
    (argmax_of_every_axis_by_a_name, lambda: (_distinct(3, 4),), Active),
    (argmax_kept_by_a_name, lambda: (_distinct(3, 4),), Active),
    (argsort_flat_by_a_name, lambda: (_distinct(3, 4),), Active),
    (rows_any_along_a_named_axis, lambda: (_a(3, 4),), Active),
], ids=["ax None", "ax a tuple", "helper given None", "ax an int", "keepdims a parameter", "keepdims=1",
        "cumsum", "sort", "squeeze", "expand_dims", "take", "append", "median", "quantiles", "median of all",
        "norm", "argmax of all", "argmax kept", "argsort flat", "any along"])
def test_every_entry_point(f, args, ret):
    # (on the three tapes too: the out buffer the output, or the float returned)
    check_everywhere(f, *args(), ret=ret, out="out" if ret is Const else (), tapes=("autograd", "jax", "torch"))


@pytest.mark.parametrize("f", [row_doubled_through_a_helper, row_doubled_by_a_name], ids=lambda f: f.__name__)
def test_a_rank_not_known_is_refused_where_it_matters(f):
    # (it left out half of what the function leaves: [0.83 1.04 0.98] for [1.65 2.08 1.95])
    with pytest.raises(ad.AdCompilerError, match=r"cannot tell whether `r` is an array") as e:
        ad.autodiff(ad.Reverse, f, Const, _a(2, 3), _a(3, seed=1))
    assert "test_reduction_arguments_by_name.py:" in str(e.value)
