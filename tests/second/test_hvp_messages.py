"""hvp differentiates the generated reverse code again: what it cannot
differentiate there is refused at the user's line, not the generated one."""
import numpy as np
import pytest

import adcompiler as ad


def _boolean_index(x):
    return float(np.sum(x[(x > 1.0).nonzero()] ** 2))


def test_hvp_through_the_nonzero_indices_of_a_mask():
    """``x[mask.nonzero()]``: a tuple of index arrays indexes a copy (hvp refused it
    as 'a view or a copy?', at the user's line; now differentiated)."""
    x = np.array([0.5, 1.5, 0.7, 1.1])
    np.testing.assert_allclose(ad.gradient(_boolean_index, x)[0], np.where(x > 1.0, 2 * x, 0.0))
    v = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(ad.hvp(_boolean_index, (x,), (v,))[0], np.where(x > 1.0, 2 * v, 0.0))


def _sines_(y, x):
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i])


_step = ad.differentiate(_sines_, out="y", like="x")


def _loss_through_a_wrapped_kernel(x):
    y = _step(x)
    return float(np.sum(y * y))


def test_hvp_through_a_differentiate_wrapper_refused_with_its_name():
    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(ad.gradient(_loss_through_a_wrapped_kernel, x)[0], np.sin(2 * x), rtol=1e-12)
    with pytest.raises(ad.AdCompilerError, match=r"test_hvp_messages\.py:\d+: `y = _step\(x\)`: `_sines_` is "
                                                 r"differentiated by a forward and a reverse function"):
        ad.hvp(_loss_through_a_wrapped_kernel, (x,), (np.ones(3),))


def test_forward_mode_through_a_differentiate_wrapper():
    """(refused before: the kernel is now run in forward mode at the call, tests/tapes/test_forward_callers.py)"""
    x, t = np.array([0.1, 0.2, 0.3]), np.array([1.0, -2.0, 0.5])
    value, tangent = ad.jvp(_loss_through_a_wrapped_kernel, (x,), (t,))
    assert value == pytest.approx(float(np.sum(np.sin(x) ** 2)), rel=1e-14)
    assert tangent == pytest.approx(float(np.sin(2 * x) @ t), rel=1e-13)


def _weighted_by_a_dict(d, b):
    return float(np.sum(d["w"] * b ** 2))


def test_hessian_in_a_first_argument_that_is_no_array_is_refused():
    # (it raised a bare TypeError from converting the dict to floats)
    x = np.array([0.5, 0.8, 1.1])
    for first in ({"w": x}, "w", None):
        with pytest.raises(ad.AdCompilerError, match=r"test_hvp_messages.py:\d+.*first argument `d`.*not a float"):
            ad.hessian(_weighted_by_a_dict, first, x)


def _layers_of_two_shapes(x, W1, W2):
    Ws = []   # (built by appends: a list written out and only iterated is unrolled, frontend/unroll)
    Ws.append(W1)
    Ws.append(W2)
    h = x
    for W in Ws:
        h = np.tanh(W @ h)
    return float(np.sum(h ** 2))


def test_a_refusal_met_running_the_derivative_does_not_say_the_gradient_is_supported():
    """A list of arrays of two shapes read through its stacked items: the gradient refuses it
    when it runs, and so does the Hessian, which said the gradient of this code was supported."""
    r = np.random.default_rng(0)
    x, W1, W2 = r.standard_normal(3), r.standard_normal((4, 3)), r.standard_normal((2, 4))
    where = r"test_hvp_messages\.py:\d+: `for W in Ws:`.*cannot be stacked"
    with pytest.raises(ad.AdCompilerError, match=where):
        ad.gradient(_layers_of_two_shapes, x, W1, W2)
    with pytest.raises(ad.AdCompilerError, match=where) as got:
        ad.hvp(_layers_of_two_shapes, (x, W1, W2), (np.ones(3), None, None))
    assert "differentiated again" in str(got.value) and "gradient of this code is supported" not in str(got.value)
    # (a refusal of the reverse code's form, met before it runs, says the gradient is supported)
    with pytest.raises(ad.AdCompilerError, match="gradient of this code is supported"):
        ad.hvp(_loss_through_a_wrapped_kernel, (np.ones(3),), (np.ones(3),))


def _energy_from_a_float(x, e0):
    e = e0
    for i in range(len(x)):
        e += x[i] ** 2 * e0
    return e * e0


def _backtracking(x, alpha0):
    a = alpha0
    for _ in range(3):
        a *= 0.5
    return float(np.sum(a * x ** 2)) + alpha0 ** 3


def _scaled_by(c):
    def energy(x, e0):
        e = e0
        e += np.sum(x ** 2) * c
        return e * e0
    return energy


def test_a_float_argument_updated_in_place_is_differentiated_as_the_float_it_is():
    # (the float is differentiated again as a 0-d array, which `e += ...` would write; hvp differentiates
    # a copy of the function binding it to a copy first, as Python rebinds the float; refused before)
    x = np.array([0.3, -1.2, 0.5])
    h = 1e-5
    for f, v in ((_energy_from_a_float, (np.array([1.0, -0.5, 2.0]), 0.7)), (_backtracking, (np.ones(3), -1.3))):
        got = ad.hvp(f, (x.copy(), 0.7), v)
        plus, minus = ad.gradient(f, x + h * v[0], 0.7 + h * v[1]), ad.gradient(f, x - h * v[0], 0.7 - h * v[1])
        for g, p, m in zip(got, plus, minus):
            np.testing.assert_allclose(g, (p - m) / (2 * h), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ad.hessian(_energy_from_a_float, x, 0.7), 2 * 0.7 ** 2 * np.eye(3), rtol=1e-12)
    # (a closure is not copied: still refused, at the update)
    with pytest.raises(ad.AdCompilerError, match=r"test_hvp_messages\.py:\d+: `e \+= np.sum\(x \*\* 2\) \* c`.*`e0`"):
        ad.hvp(_scaled_by(2.0), (x, 0.7), (np.ones(3), 1.0))


def _updated_then_swapped(x, a, b):
    b *= 2.0
    for i in range(x.shape[0]):
        a, b = b, a + b * x[i]
    return a * b


def test_a_float_argument_updated_then_rebound_by_a_swap():
    """``b *= 2.0`` then ``a, b = b, a + b * x[i]``: as a 0-d array ``b`` was both an array
    updated in place and a number ("cannot tell whether `b` is an array", from hvp only);
    hvp differentiates the copy binding the floats to copies of themselves, numbers throughout."""
    x = np.array([0.3, -0.2, 0.5])
    h = 1e-5
    for v in ((None, 1.0, 0.0), (np.array([0.5, 1.0, -1.0]), 0.3, -0.7)):
        got = ad.hvp(_updated_then_swapped, (x.copy(), 0.5, 0.2), v)
        dx = v[0] if v[0] is not None else np.zeros(3)
        plus = ad.gradient(_updated_then_swapped, x + h * dx, 0.5 + h * v[1], 0.2 + h * v[2])
        minus = ad.gradient(_updated_then_swapped, x - h * dx, 0.5 - h * v[1], 0.2 - h * v[2])
        for g, p, m in zip(got, plus, minus):
            np.testing.assert_allclose(g, (p - m) / (2 * h), rtol=1e-6, atol=1e-8)
