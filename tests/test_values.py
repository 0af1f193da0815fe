"""numpy calls that repeat, pad or cycle values: numpy's in-place writers cycle
too few values (``np.place``, ``np.putmask``, ``np.put``: a ``(2, 1)`` value
array given to ``putmask`` was broadcast, a wrong primal and gradient),
``np.resize`` repeats, ``np.kron`` and ``np.cross`` pad the operand of lower
rank or length, ``np.average`` takes weights along several axes. Each runs
through every entry point against finite differences (and hvp against
differences of the gradient); what has no derivative is refused at the line."""
from __future__ import annotations

import warnings

import kernels_values as K
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Duplicated, Forward, autodiff, gradient, hvp
from adcompiler.errors import AdCompilerError, UnsupportedValueError


def D(x):
    x = np.array(x, dtype=float)
    return Duplicated(x, np.zeros_like(x))


rng = np.random.default_rng(7)
CASES = {
    "place_cycled": (K.place_cycled, ([1.0, 2.0, -1.0, 3.0], [5.0, 7.0])),
    "putmask_cycled": (K.putmask_cycled, ([1.0, 2.0, -1.0, 3.0], [5.0, 7.0])),
    "putmask_column": (K.putmask_column, (np.arange(6.0).reshape(2, 3), [[1.5], [2.5]])),
    "put_cycled": (K.put_cycled, ([1.0, 2.0, -1.0, 3.0], [5.0, 7.0])),
    "resized": (K.resized, ([0.3, -1.2, 0.8],)),
    "average_axes": (K.average_axes, (rng.standard_normal((2, 3, 4)), rng.random((2, 4)) + 0.5)),
    "average_axes_reversed": (K.average_axes_reversed, (rng.standard_normal((2, 3, 4)), rng.random((4, 2)) + 0.5)),
    "kron_vector_matrix": (K.kron_ranks, (rng.standard_normal(2), rng.standard_normal((2, 3)))),
    "kron_matrix_vector": (K.kron_ranks, (rng.standard_normal((2, 3)), rng.standard_normal(2))),
    "kron_three_two": (K.kron_ranks, (rng.standard_normal((2, 1, 3)), rng.standard_normal((2, 2)))),
    "cross_2_2": (K.cross_two, (rng.standard_normal((3, 2)), rng.standard_normal(2))),
    "cross_2_3": (K.cross_two, (rng.standard_normal(2), rng.standard_normal(3))),
    "cross_3_2": (K.cross_two, (rng.standard_normal((4, 3)), rng.standard_normal(2))),
    "svd_values_tall": (K.svd_values, (rng.standard_normal((3, 2)),)),
    "svd_values_wide": (K.svd_values, (rng.standard_normal((2, 4)),)),
    "svd_first_columns": (K.svd_first_columns, (rng.standard_normal((3, 2)),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_everywhere(name):
    f, args = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # (np.cross of 2-vectors)
        check_everywhere(f, *(D(a) for a in args))


def test_putmask_cycles_rather_than_broadcasts():
    a, v = np.arange(6.0).reshape(2, 3), np.array([[1.5], [2.5]])
    want = a.copy()
    np.putmask(want, want > -10, v)   # [[1.5, 2.5, 1.5], [2.5, 1.5, 2.5]]
    d = 2 * want * np.arange(1.0, 7.0).reshape(2, 3)
    da, dv = gradient(K.putmask_column, a, v)
    np.testing.assert_allclose(da, 0.0)
    np.testing.assert_allclose(dv.ravel(), [d.ravel()[0::2].sum(), d.ravel()[1::2].sum()])


@pytest.mark.parametrize("name", ["kron_three_two", "cross_2_3", "average_axes_reversed", "resized"])
def test_hvp_against_differences_of_the_gradient(name):
    f, args = CASES[name]
    xs = tuple(np.array(a, dtype=float) for a in args)
    vs = tuple(np.random.default_rng(3).standard_normal(x.shape) for x in xs)
    eps = 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        got = hvp(f, xs, vs)
        plus = gradient(f, *(x + eps * v for x, v in zip(xs, vs)))
        minus = gradient(f, *(x - eps * v for x, v in zip(xs, vs)))
    got, plus, minus = (t if isinstance(t, tuple) else (t,) for t in (got, plus, minus))
    for h, p, m in zip(got, plus, minus):
        np.testing.assert_allclose(h, (p - m) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_svd_columns_past_the_rank_are_refused_at_the_line():
    A = rng.standard_normal((3, 2))
    with pytest.raises(UnsupportedValueError, match=r"kernels_values.py:\d+.*full_matrices=False"):
        gradient(K.svd_all_columns, A)
    assert isinstance(UnsupportedValueError("x"), AdCompilerError)


def test_svd_columns_past_the_rank_have_a_nan_tangent():
    A = rng.standard_normal((3, 2))
    (t,) = autodiff(Forward, K.svd_all_columns, Duplicated, Duplicated(A, np.ones_like(A)))
    assert np.isnan(t)
    (t,) = autodiff(Forward, K.svd_first_columns, Duplicated, Duplicated(A, np.ones_like(A)))
    assert np.isfinite(t)


def test_interp_period_refused_at_the_line():
    with pytest.raises(AdCompilerError, match=r"kernels_values.py:\d+.*period=2.0 is not differentiated"):
        gradient(K.interp_period, np.array([0.3, 0.7]), np.array([1.0, 2.0, 0.5]))
