"""User rules through ``adcompiler.extend``, used inside a kernel."""
import numpy as np
import pytest

import adcompiler
from adcompiler import extend
from adcompiler.rules import registry

from . import kernels_misc as km


@pytest.fixture
def user_rule():
    rule = extend.elementwise(km.softplus, "x", x="g / (1 + np.exp(-x))")
    yield rule
    registry._RULES.pop(registry._key(km.softplus), None)


def test_user_rule_inside_kernel(user_rule):
    x, w = np.array([-1.0, 0.5, 2.0]), np.array([0.3, 1.0, -2.0])
    gx, _ = adcompiler.gradient(km.user_rule_k, x, w)
    np.testing.assert_allclose(gx, 2.0 * w / (1 + np.exp(-x)))
    assert "softplus(" in adcompiler.adjoint_source(km.user_rule_k, adcompiler.Duplicated, adcompiler.Const,
                                                    ret=adcompiler.Active)


def test_rule_for_a_numpy_function_we_lack():
    rule = extend.defrule(np.nancumprod, "a", a="_ad_cumprod_adjoint(g, a, None)",
                          tangents={"a": "_ad_cumprod_tangent(t, a, ans, None)"})
    try:
        x = np.array([0.5, 2.0, 1.5])
        (g,) = adcompiler.gradient(km.missing_rule_k, x)
        np.testing.assert_allclose(g, [1 + 2.0 + 3.0, 0.5 + 0.75, 1.0])
        assert rule.name == "numpy.nancumprod"
    finally:
        registry._RULES.pop(registry._key(np.nancumprod), None)
