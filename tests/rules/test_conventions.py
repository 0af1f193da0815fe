"""Conventions at non-differentiable points (documented in docs/rules.md),
the indexing semantics of ``x[idx] += v`` against ``np.add.at``, and the
refusal of functions without a rule."""
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
