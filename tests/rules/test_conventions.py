"""Conventions at non-differentiable points (documented in docs/rules.md),
the indexing semantics of ``x[idx] += v`` against ``np.add.at``, and the
refusal of functions without a rule."""
import warnings

import numpy as np
import pytest

import adcompiler
from adcompiler.errors import NoRuleError

from . import kernels_misc as km


def test_abs_at_zero_is_zero():
    (g,) = adcompiler.gradient(km.abs_k, np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


def test_max_ties_split_equally():
    (g,) = adcompiler.gradient(km.max_k, np.array([1.0, 3.0, 3.0, 3.0]))
    np.testing.assert_allclose(g, [0.0, 1 / 3, 1 / 3, 1 / 3])
    (g,) = adcompiler.gradient(km.max_axis_k, np.array([[2.0, 2.0], [1.0, 5.0]]))
    np.testing.assert_allclose(g, [[0.5, 0.5], [0.0, 1.0]])


def test_maximum_tie_gives_half_to_each():
    gx, gy = adcompiler.gradient(km.maximum_k, np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(gx, [0.5, 1.0])
    np.testing.assert_allclose(gy, [0.5, 0.0])


def test_sqrt_at_zero_is_infinite():
    with np.errstate(divide="ignore"):
        (g,) = adcompiler.gradient(km.sqrt_k, np.array([0.0, 4.0]))
    assert np.isinf(g[0]) and g[1] == pytest.approx(0.25)


def test_clip_bounds_are_inclusive():
    (g,) = adcompiler.gradient(km.clip_k, np.array([-1.0, 0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0, 0.0])


def test_norm_at_zero_is_zero():
    (g,) = adcompiler.gradient(km.norm_k, np.zeros(3))
    np.testing.assert_array_equal(g, np.zeros(3))


def test_repeated_index_increment_follows_numpy():
    """numpy applies ``x[idx] += v`` once per distinct index (the last
    occurrence wins); ``np.add.at`` accumulates every occurrence."""
    v, w = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])
    x = np.zeros(3)
    km.inc_k(x, v, w)
    np.testing.assert_array_equal(x, [2.0, 0.0, 3.0])
    x = np.zeros(3)
    km.add_at_k(x, v, w)
    np.testing.assert_array_equal(x, [3.0, 0.0, 3.0])
    _, gv, _ = adcompiler.gradient(km.inc_k, np.zeros(3), v, w)
    np.testing.assert_array_equal(gv, [0.0, 10.0, 30.0])
    _, gv, _ = adcompiler.gradient(km.add_at_k, np.zeros(3), v, w)
    np.testing.assert_array_equal(gv, [10.0, 10.0, 30.0])


def test_function_without_rule_is_refused():
    with pytest.raises(NoRuleError) as info:
        adcompiler.gradient(km.missing_rule_k, np.ones(3))
    msg = str(info.value)
    assert "asarray_chkfinite" in msg and "kernels_misc.py" in msg and "adcompiler.extend" in msg
    import inspect
    line = inspect.getsourcelines(km.missing_rule_k)[1] + 1
    assert f"kernels_misc.py:{line}:" in msg


def test_max_ties_split_in_one_group_while_another_has_none():
    # two ties in the first row, the second row's maximum NaN (equal to no element): as many
    # elements equal their results as there are rows, but the first row's are still shared
    (g,) = adcompiler.gradient(km.max_axis_k, np.array([[2.0, 2.0], [np.nan, 1.0]]))
    np.testing.assert_array_equal(g, [[0.5, 0.5], [0.0, 0.0]])   # (NaN gets nothing)


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)])
def test_select_adjoint_shares_at_ties_on_every_axis(axis, keepdims):
    from adcompiler.runtime.core import select_adjoint
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, (4, 3, 5)).astype(float)   # (many ties)
    ans = np.max(x, axis=axis, keepdims=keepdims)
    g = rng.standard_normal(np.shape(ans))
    axes = tuple(range(3)) if axis is None else tuple(a % 3 for a in np.atleast_1d(axis))
    full = np.max(x, axis=axes, keepdims=True)
    mask = x == full
    want = np.reshape(g, full.shape) * mask / mask.sum(axis=axes, keepdims=True)
    np.testing.assert_array_equal(select_adjoint(g, x, ans, axis, keepdims), want)
    one = np.arange(60.0).reshape(4, 3, 5)   # (no ties: one element each)
    ans = np.max(one, axis=axis, keepdims=keepdims)
    mask = one == np.max(one, axis=axes, keepdims=True)
    np.testing.assert_array_equal(select_adjoint(np.ones(np.shape(ans)), one, ans, axis, keepdims), mask * 1.0)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_group_of_nans_gets_nothing(backend):
    # an all-NaN row of nanmax (NaN equals nothing): its adjoint was 0 / 0, NaN, where forward
    # mode and finite differences of the masked loss give 0
    x = np.array([[1.0, 3.0, 3.0], [np.nan, np.nan, np.nan]])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # (numpy's all-NaN slice)
        if backend == "numpy":
            (g,) = adcompiler.gradient(km.nanmax_masked_k, x)
            np.testing.assert_array_equal(g, [[0.0, 3.0, 3.0], [0.0, 0.0, 0.0]])
            t = adcompiler.autodiff(adcompiler.Forward, km.nanmax_masked_k, adcompiler.Duplicated,
                                    adcompiler.Duplicated(x, np.ones_like(x)))[0]
            assert t == pytest.approx(6.0)
        (g,) = adcompiler.gradient(km.nan_total_max_k, np.array([np.nan, np.nan]), backend=backend)
        np.testing.assert_array_equal(g, [0.0, 0.0])


@pytest.mark.parametrize("ties", [False, True])
def test_a_small_network_through_every_entry_point(ties):
    # the max's adjoint (sharing only where a row ties), the 2-D products' adjoints assigned to a
    # zero adjoint, `dm -= ...`: every mode, split halves, the emitted module, forward and vector
    # mode, and the three tapes
    from everywhere import check_everywhere
    rng = np.random.default_rng(5)
    x, W, V = rng.standard_normal((6, 4)), 0.5 * rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    if ties:
        V[:, 2] = V[:, 1]   # (two equal columns: every row's maximum may tie)
    y = np.eye(3)[[0, 2, 1, 1, 0, 2]]
    args = [adcompiler.Const(x), adcompiler.Duplicated(W, np.zeros_like(W)),
            adcompiler.Duplicated(V, np.zeros_like(V)), adcompiler.Const(y)]
    check_everywhere(km.small_network, *args, ret=adcompiler.Active, out=(), tapes=("autograd", "torch", "jax"))


def _eigenvalues_squared(A):
    w, V = np.linalg.eigh(A)   # noqa: RUF059 (V never read: what is tested)
    return np.sum(w ** 2)


def _singular_values_squared(B):
    U, s, Vt = np.linalg.svd(B)   # noqa: RUF059 (U and Vt never read)
    return np.sum(s ** 2)


def _top_vector(out, A):
    w, V = np.linalg.eigh(A)
    out[:] = V[:, -1] ** 2 * w[-1]


def test_repeated_eigenvalues_where_no_vector_adjoint_reaches_them():
    # (the pairs' 1 / (w_j - w_i) is infinite at a repeated eigenvalue; the vectors' adjoint there is
    # 0 when the vectors are not read: the gradient was NaN everywhere, JAX gives 2A)
    A = np.diag([1.0, 1.0, 2.0])
    np.testing.assert_allclose(adcompiler.gradient(_eigenvalues_squared, A)[0], 2 * A, atol=1e-14)
    B = np.eye(3, 4)
    np.testing.assert_allclose(adcompiler.gradient(_singular_values_squared, B)[0], 2 * B, atol=1e-14)
    # the isolated top eigenvector's derivative is finite: reverse against forward mode
    A = np.diag([1.0, 1.0, 3.0])
    T = np.array([[0.3, 0.0, 0.2], [0.0, -0.1, 0.4], [0.2, 0.4, 0.5]])   # (symmetric)
    seed = np.array([0.7, -0.2, 1.1])
    dA = np.zeros((3, 3))
    ad = adcompiler
    ad.autodiff(ad.Reverse, _top_vector, ad.Const, ad.Duplicated(np.zeros(3), seed.copy()), ad.Duplicated(A.copy(), dA))
    out_t = np.zeros(3)
    ad.autodiff(ad.Forward, _top_vector, ad.Const, ad.Duplicated(np.zeros(3), out_t), ad.Duplicated(A.copy(), T.copy()))
    assert np.all(np.isfinite(dA))
    assert np.sum(dA * T) == pytest.approx(seed @ out_t, rel=1e-10) and seed @ out_t != 0


def _singular_values_squared_reduced(B):
    return np.sum(np.linalg.svd(B, full_matrices=False)[1] ** 2)


def test_a_zero_singular_value_of_a_non_square_matrix():
    # (the tall or wide term divided by the singular values: 0 * inf where the vectors' adjoint is 0)
    for B in (np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])):
        np.testing.assert_allclose(adcompiler.gradient(_singular_values_squared_reduced, B)[0], 2 * B, atol=1e-14)


def test_repeated_eigenvalues_through_every_entry_point():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from everywhere import check_everywhere
    check_everywhere(_eigenvalues_squared, adcompiler.Duplicated(np.diag([1.0, 1.0, 2.0]), np.zeros((3, 3))), out=(),
                     tapes=("autograd", "jax", "torch"))
    check_everywhere(_singular_values_squared_reduced,
                     adcompiler.Duplicated(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), np.zeros((3, 2))), out=(),
                     tapes=("autograd", "jax", "torch"))
