"""A partial derivative that is infinite where the function is defined (``math.sqrt``,
``v ** 0.5`` and ``pow`` of a Python float at 0, ``math.asin``/``acos`` at 1): numpy's
backend raised Python's ZeroDivisionError from the derivative where numba's, and numpy's own
``np.sqrt``, give inf. Both give inf now, and the derivatives away from those points are
right through every entry point."""
import math
import warnings

import numpy as np
import pytest
from everywhere import check_everywhere
from kernels_infinite import (
    arcs,
    cubed_roots,
    half_power,
    power_of_a_float,
    root_of_abs,
    root_of_squares,
    root_sum,
    squares,
)

import adcompiler as ad

BACKENDS = ["numpy", "numba"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # (numpy's divide by zero, as for np.sqrt)
        yield


@pytest.mark.parametrize("backend", BACKENDS)
def test_infinite_at_zero_on_both_backends(backend):
    x = np.array([0.0, 4.0])
    (g,) = ad.gradient(root_sum, x, backend=backend)
    np.testing.assert_array_equal(g, [np.inf, 0.25])
    (g,) = ad.gradient(half_power, x, backend=backend)
    assert g[0] == np.inf and g[1] == pytest.approx(0.25 + 1.5 * 2.0 + 0.25 * 4.0 ** -0.75)
    gx, _ = ad.gradient(power_of_a_float, x, np.array([0.5, 2.0]), backend=backend)
    assert gx[0] == np.inf and gx[1] == pytest.approx(2 * 4.0 + 0.25)
    (g,) = ad.gradient(arcs, np.array([1.0, 1.0, 0.0]), backend=backend)
    np.testing.assert_array_equal(g, [np.inf, -np.inf, np.inf])


@pytest.mark.parametrize("backend", BACKENDS)
def test_forward_mode_is_infinite_too(backend):
    x, t = np.array([0.0, 4.0]), np.array([1.0, 0.0])
    tangent, _ = ad.autodiff(ad.ForwardWithPrimal, root_sum, ad.Duplicated, ad.Duplicated(x, t), backend=backend)
    assert tangent == np.inf
    tangent, _ = ad.autodiff(ad.ForwardWithPrimal, half_power, ad.Duplicated, ad.Duplicated(x, t), backend=backend)
    assert tangent == np.inf


@pytest.mark.parametrize("f, args", [
    (root_sum, (np.array([0.3, 4.0, 1.7]),)),
    (half_power, (np.array([0.3, 4.0, 1.7]),)),
    (power_of_a_float, (np.array([0.3, 4.0]), np.array([0.7, -1.5]))),
    (arcs, (np.array([0.3, -0.6, 0.8]),)),
    (squares, (np.array([0.3, -4.0]),)),
    (cubed_roots, (np.zeros(3), np.array([0.3, 4.0, 1.7]))),
], ids=lambda v: getattr(v, "__name__", ""))
def test_right_away_from_the_points(f, args):
    check_everywhere(f, *(ad.Duplicated(a.copy(), np.zeros_like(a)) for a in args),
                     ret=ad.Active if f is not cubed_roots else ad.Const, out=() if f is not cubed_roots else "y")


def test_powers_of_one_and_two_keep_python_floats():
    src = ad.adjoint_source(squares, ad.Duplicated(np.ones(2), np.zeros(2)), ret=ad.Active)
    assert "_ad_np_number" not in src[src.index("def squares_reverse"):]
    src = ad.adjoint_source(half_power, ad.Duplicated(np.ones(2), np.zeros(2)), ret=ad.Active)
    assert "_ad_np_number(v)" in src


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_zero_tangent_times_an_infinite_partial_is_zero(backend):
    # d/dy of pow(v, y) at v = 0 is 0, and v's tangent is 0 there: the term of v was 0 * inf,
    # nan, in forward mode where reverse mode gives 0 (the dot-product test failed)
    x, y = np.array([0.0, 1.0]), np.array([0.5, 2.0])
    tangent, _ = ad.autodiff(ad.ForwardWithPrimal, power_of_a_float, ad.Duplicated,
                             ad.Duplicated(x, np.zeros(2)), ad.Duplicated(y, np.array([1.0, 0.0])), backend=backend)
    _, gy = ad.gradient(power_of_a_float, x, y, backend=backend)
    assert tangent == gy[0] == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("f", [root_of_squares, root_of_abs], ids=lambda f: f.__name__)
def test_vector_mode_and_a_square_root_at_zero(f, backend):
    # the tangent along the last argument is 1 whatever the infinite partial of the square root at
    # 0 (whose operand's tangent is 0): forward mode gave nan where the operand was x ** 2 (its
    # tangent taken as one that may be infinite), vector mode on numpy nan for both
    n = 3 if f is root_of_squares else 2
    x, e = np.zeros(n), np.eye(n)[-1]
    x[-1] = 1.0
    tangent, _ = ad.autodiff(ad.ForwardWithPrimal, f, ad.Duplicated, ad.Duplicated(x, e), backend=backend)
    assert tangent == 1.0
    (t,) = ad.autodiff(ad.Forward, f, ad.Duplicated, ad.BatchDuplicated(x, (e, 2 * e)), backend=backend)
    np.testing.assert_array_equal(t, [1.0, 2.0])
    assert ad.gradient(f, x, backend=backend)[0][-1] == 1.0


def complex_root(x, z):
    return (z ** 0.5).real + 2.0 * pow(z, 0.25).real + x[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_complex_number_to_a_power_below_one_at_zero(backend):
    # Python's complex arithmetic raised ZeroDivisionError from the derivative at z = 0; the
    # derivative there is numpy's, nan (as for a complex array), and right elsewhere
    x = np.array([0.5, 1.0])
    gx, gz = ad.gradient(complex_root, x, 0j, backend=backend)
    np.testing.assert_array_equal(gx, [1.0, 0.0])
    assert np.isnan(gz)
    z = 1.0 + 2.0j
    gx, gz = ad.gradient(complex_root, x, z, backend=backend)
    # dL/dRe z + 1j dL/dIm z of Re(sqrt z) + 2 Re(z ** 0.25), by central differences
    h = 1e-6
    fd = [(complex_root(x, z + h * d) - complex_root(x, z - h * d)) / (2 * h) for d in (1.0, 1j)]
    assert gz == pytest.approx(fd[0] + 1j * fd[1], rel=1e-7)


def root_and_product(x):
    return x[1] ** 2 + math.sqrt(x[0]) + x[0] * x[1]


def test_second_order_a_zero_tangent_times_an_infinite_partial_is_zero():
    # hvp and hessian run forward mode over the reverse code, whose zero-tangent guard was left out
    # (an adjoint there may hold an array): d/dx1 of the gradient's first element, 0.5 / sqrt(x0) + x1,
    # is 1 at x0 = 0, and was nan (0 * inf from the tangent of 0.5 / sqrt(x0) along x1)
    x = np.array([0.0, 1.5])
    np.testing.assert_array_equal(ad.hvp(root_and_product, (x,), (np.array([0.0, 1.0]),))[0], [1.0, 2.0])
    H = ad.hessian(root_and_product, x)
    assert H[0, 0] == -np.inf and H[0, 1] == H[1, 0] == 1.0 and H[1, 1] == 2.0
    x = np.array([0.7, 1.5])   # (away from 0: the closed form)
    np.testing.assert_allclose(ad.hessian(root_and_product, x), [[-0.25 * 0.7 ** -1.5, 1.0], [1.0, 2.0]],
                               rtol=1e-12)


def hypot_and_angle(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
        s += math.hypot(x[i], y[i]) + math.atan2(y[i], x[i])
    return s


@pytest.mark.parametrize("backend", BACKENDS)
def test_hypot_and_atan2_at_the_origin(backend):
    # Python floats divided by 0 in their adjoints (ZeroDivisionError on the numpy backend, nan under
    # numba); 0 there now, as np.hypot's and np.arctan2's rules give, and right elsewhere
    x = np.array([0.0, 1.0])
    dx, dy = np.zeros(2), np.zeros(2)
    ad.autodiff(ad.Reverse, hypot_and_angle, ad.Active, ad.Duplicated(x.copy(), dx), ad.Duplicated(np.zeros(2), dy),
                backend=backend)
    # d/dx of hypot(x, x^2) + atan2(x^2, x) at 1: 3 / sqrt(2) + 1 / 2
    np.testing.assert_allclose(dx, [0.0, 3 / math.sqrt(2) + 0.5], rtol=1e-12)
    x = np.array([0.3, -1.2, 0.7])
    check_everywhere(hypot_and_angle, ad.Duplicated(x.copy(), np.zeros(3)), ad.Duplicated(np.zeros(3), np.zeros(3)),
                     ret=ad.Active)


def over_a_root(x):
    return x[1] / math.sqrt(x[0]) + x[2] / float(x[0])


def reciprocal_powers(x):
    return x[0] ** -1 + pow(x[1], -2) + x[2]


def power_of_elements(x):
    return pow(x[0], x[1])


def powers_of_arrays(x, y):
    return float(np.sum(np.power(x, y)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_divisions_and_negative_powers_of_zero(backend):
    # a Python float divided by 0.0 in the adjoint (ZeroDivisionError on the numpy backend) and
    # numba's float to a negative int power at 0 (ZeroDivisionError under numba): inf, as the primal
    x = np.array([0.0, 1.0, 2.0])
    g = ad.gradient(over_a_root, x, backend=backend)[0]
    assert g[0] == -np.inf and g[1] == np.inf and g[2] == np.inf
    tangent, value = ad.autodiff(ad.ForwardWithPrimal, over_a_root, ad.Duplicated,
                                 ad.Duplicated(x.copy(), np.array([0.0, 1.0, 0.0])), backend=backend)
    assert value == np.inf and tangent == np.inf
    x = np.array([0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ad.gradient(reciprocal_powers, x, backend=backend)[0], [-np.inf, -np.inf, 1.0])
    x = np.array([0.7, -1.3, 2.0])   # (away from 0: every entry point)
    for f in (over_a_root, reciprocal_powers):
        check_everywhere(f, ad.Duplicated(x.copy(), np.zeros(3)), ret=ad.Active, out=())


@pytest.mark.parametrize("backend", BACKENDS)
def test_d_dy_of_a_power_of_zero_is_zero(backend):
    # the rules say d/dy is 0 where x <= 0; at x = 0, y < 0 it was inf * log(1) = nan
    np.testing.assert_array_equal(ad.gradient(power_of_elements, np.array([0.0, -1.0]), backend=backend)[0],
                                  [-np.inf, 0.0])
    gx, gy = ad.gradient(powers_of_arrays, np.array([0.0, 2.0]), np.array([-0.5, 1.5]))
    assert gx[0] == -np.inf and gy[0] == 0.0 and gy[1] == pytest.approx(2.0 ** 1.5 * math.log(2.0))


def root_and_product_of_numbers(a, b):
    return b ** 2 + math.sqrt(a) + a * b


def arcsine_times(a, b):
    return math.asin(a) * b


def test_second_order_of_numbers_a_zero_tangent_is_zero():
    # hvp takes number arguments as 0-d arrays, whose terms had no zero-tangent guard: nan where
    # the Hessian's entries along the direction are finite
    assert ad.hvp(root_and_product_of_numbers, (0.0, 1.5), (0.0, 1.0)) == (1.0, 2.0)
    assert ad.hvp(arcsine_times, (1.0, 2.0), (0.0, 1.0)) == (np.inf, 0.0)
    hv = ad.hvp(root_and_product_of_numbers, (0.7, 1.5), (0.3, -1.0))   # (away from 0: the closed form)
    np.testing.assert_allclose(hv, (-0.25 * 0.7 ** -1.5 * 0.3 - 1.0, 0.3 - 2.0), rtol=1e-12)


def over_an_absolute_value(x):
    v = abs(float(x[0]))   # (bounded below by 0 only: 0 itself is reached)
    return x[1] / v


def floor_divided(x, L):
    return np.sum(np.floor_divide(x, L) * x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_divisor_bounded_by_zero_only_and_floor_divide_of_arrays(backend):
    # abs(v) is at least 0, which was taken for kept away from 0: ZeroDivisionError on numpy; and
    # numba's np.floor_divide of a float array floors the quotient (5.1 // 1.7 gave 3, numpy's 2)
    g = ad.gradient(over_an_absolute_value, np.array([0.0, 1.3]), backend=backend)[0]
    assert g[1] == np.inf
    x = np.array([5.1, 0.3, -5.1, 1.0])
    gx, _ = ad.gradient(floor_divided, x, 1.7, backend=backend)
    np.testing.assert_array_equal(gx, np.floor_divide(x, 1.7))   # (the quotient: piecewise constant)
    _, value = ad.autodiff(ad.ReverseWithPrimal, floor_divided, ad.Active, ad.Duplicated(x.copy(), np.zeros(4)),
                           ad.Active(1.7), backend=backend)
    assert value == pytest.approx(25.5, rel=1e-14)


def _masked_softmax_beside_complex(x):
    z = np.zeros(x.shape[0], dtype=np.complex128)
    z[:] = x + 1j * x
    z *= 1j
    x[:] += np.imag(z) * 0.5
    q = np.where(np.arange(x.shape[0]) % 2 == 0, x, -np.inf) * (0.5 + np.min(x) ** 2)
    e = np.exp(q - np.max(q))
    x[:] += e / np.sum(e) * 0.5
    return float(np.sum(x * x))


def test_tangents_of_written_infinities_in_a_function_with_complex_values():
    """``np.where(m, x, -np.inf) * c`` then its max and exp, in a function that also holds complex
    values: forward mode gave NaN (the tangent of the infinite entries, -inf * dc, was kept where
    the value is infinite; the guard was left out of every function with complex values)."""
    x = np.array([0.89, -0.42, 0.82, -0.34, -0.68, 0.42])
    check_everywhere(_masked_softmax_beside_complex, ad.Duplicated(x, np.zeros(6)))
    v, h = np.array([0.77, 0.6, 0.77, 0.26, -0.39, -0.87]), 1e-6
    want = (_masked_softmax_beside_complex(x + h * v) - _masked_softmax_beside_complex(x - h * v)) / (2 * h)
    got = ad.autodiff(ad.Forward, _masked_softmax_beside_complex, ad.Duplicated, ad.Duplicated(x.copy(), v.copy()))[0]
    np.testing.assert_allclose(got, want, rtol=1e-6)
