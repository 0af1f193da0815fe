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
    rule = extend.defrule(np.asarray_chkfinite, "a", a="g", tangents={"a": "t"})
    try:
        x = np.array([0.5, 2.0, 1.5])   # (differences 1.5, -0.5: the gradient of their sum of squares)
        (g,) = adcompiler.gradient(km.missing_rule_k, x)
        np.testing.assert_allclose(g, [-3.0, 3.0 + 1.0, -1.0])
        assert rule.name == "numpy.asarray_chkfinite"
    finally:
        registry._RULES.pop(registry._key(np.asarray_chkfinite), None)


def test_a_rule_of_ones_own_before_a_rewrite():
    """A rule registered for a function ``frontend/spellings.py`` rewrites is the one used."""
    rule = extend.defrule(np.ediff1d, "ary", ary="_ad_diff_adjoint(g, 1, -1) * 2.0",
                          tangents={"ary": "np.ediff1d(t) * 2.0"})
    try:
        (g,) = adcompiler.gradient(km.user_ediff1d_k, np.array([0.5, 2.0, 1.5]))
        np.testing.assert_allclose(g, [-2.0, 0.0, 2.0])   # (twice the true [-1, 0, 1]: the registered rule)
        assert rule.name == "numpy.ediff1d"
    finally:
        registry._RULES.pop(registry._key(np.ediff1d), None)
        for forget in registry.on_register:   # (what the cache made with the rule)
            forget()
    (g,) = adcompiler.gradient(km.user_ediff1d_k, np.array([0.5, 2.0, 1.5]))
    np.testing.assert_allclose(g, [-1.0, 0.0, 1.0])


@pytest.fixture
def forget_rules(monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))   # (rules registered here end with the test)


@pytest.mark.parametrize("register,kernel,shape", [
    (lambda: extend.defrule(km.doubled, "x", x="np.sum(g) * 2.0", tangents={"x": "2.0 * t"}), km.doubled_k, (4,)),
    (lambda: extend.defrule(km.row_sums, "A", A="g", tangents={"A": "np.sum(t, axis=1)"}), km.row_sums_k, (3, 3)),
    (lambda: extend.defsplit(km.doubled, "x", lambda x: (None, 2 * x), lambda r, g, x: (np.sum(g) * 2.0,)),
     km.doubled_k, (4,)),
], ids=["scalar-adjoint", "row-adjoint", "defsplit"])
def test_a_rule_adjoint_of_the_wrong_shape_is_refused(forget_rules, register, kernel, shape):
    """numpy would broadcast it into the shadow: every element got the sum."""
    register()
    with pytest.raises(adcompiler.errors.ShapeError, match=r"kernels_misc.py:\d+.*the adjoint the rule of"):
        adcompiler.gradient(kernel, np.random.default_rng(0).standard_normal(shape))


def test_a_rule_tangent_of_the_wrong_shape_is_refused(forget_rules):
    extend.defrule(km.row_sums, "A", A="np.broadcast_to(g[:, None], A.shape)", tangents={"A": "t"})
    A = np.random.default_rng(1).standard_normal((3, 3))
    with pytest.raises(adcompiler.errors.ShapeError, match=r"kernels_misc.py:\d+.*the tangent the rule of"):
        adcompiler.autodiff(adcompiler.Forward, km.row_sums_k, adcompiler.Duplicated,
                            adcompiler.Duplicated(A, np.ones_like(A)))
    (g,) = adcompiler.gradient(km.row_sums_k, A)   # its adjoint is right
    np.testing.assert_allclose(g, 2 * np.broadcast_to(A.sum(1)[:, None], A.shape))


def test_a_defsplit_record_may_keep_its_arguments(forget_rules):
    """The record holds the arrays fwd was given (copies): the kernel writes x after
    each call, which changed a record holding x itself."""
    extend.defsplit(km.split_product, "a, b", lambda a, b: ((a, b), a * b),
                    lambda rec, g, a, b: (g * rec[1], g * rec[0]))
    rng = np.random.default_rng(2)
    from adcompiler.testing import check_grads
    check_grads(km.split_product_steps, adcompiler.Duplicated(rng.uniform(0.5, 1.5, 4), np.zeros(4)),
                adcompiler.Duplicated(rng.uniform(0.5, 1.5, 4), np.zeros(4)), ret=adcompiler.Active)


def test_second_order_through_a_user_rule(user_rule):
    """hvp/hessian through a user's rule: its adjoint expression differentiated again,
    through the shape check that wraps it (refused naming ``_ad_rule_checked``)."""
    x, w = np.array([-1.0, 0.5, 2.0]), np.array([0.3, 1.0, -2.0])
    s = 1 / (1 + np.exp(-x))
    H = adcompiler.hessian(km.user_rule_k, x, w)
    np.testing.assert_allclose(H, np.diag(2.0 * w * s * (1 - s)), rtol=1e-12, atol=1e-14)
    v = np.array([1.0, -0.5, 0.25])
    np.testing.assert_allclose(adcompiler.hvp(km.user_rule_k, (x, w), (v, np.zeros(3)))[0], H @ v, rtol=1e-12)
