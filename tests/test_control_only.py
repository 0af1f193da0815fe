"""An argument that reaches the result only through the conditions of branches or loops has the
derivative 0 by construction: a root found by bisection, as a function of the equation's parameter,
is a staircase of steps of the tolerance's width (0.0 where finite differences see 0.21). The result
is the derivative of the code; a warning now names the condition's line and what to do."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Duplicated, Reverse, autodiff
from adcompiler.errors import AdCompilerWarning


def bisection_root(p):
    a = 0.0
    b = 3.0
    while b - a > 1e-12:
        m = 0.5 * (a + b)
        if m * m * m - p > 0:
            b = m
        else:
            a = m
    return 0.5 * (a + b)


def bisection_then_newton(p):
    r = bisection_root(p)
    return r - (r * r * r - p) / (3.0 * r * r)


def step_function(x, y):
    for i in range(x.shape[0]):
        if x[i] > 0.5:
            y[i] = 1.0
        else:
            y[i] = 0.0


def smooth(p):
    s = 0.0
    for _ in range(3):
        if p > 0:
            s += p * p
    return s


def test_a_root_by_bisection_warns_at_its_condition():
    with pytest.warns(AdCompilerWarning, match=r"test_control_only\.py:\d+: `p` reaches the result only through"):
        d = autodiff(Reverse, bisection_root, Active, Active(2.0))
    assert d == (0.0,)


def test_a_newton_step_after_it_gives_the_derivative_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", AdCompilerWarning)
        d, = autodiff(Reverse, bisection_then_newton, Active, Active(2.0))
    assert d == pytest.approx(1.0 / (3.0 * 2.0 ** (2.0 / 3.0)), rel=1e-9)


def test_a_step_function_of_an_array_warns():
    with pytest.warns(AdCompilerWarning, match="`x` reaches the result only through"):
        autodiff(Reverse, step_function, ad.Const, Duplicated(np.array([0.2, 0.9]), np.zeros(2)),
                 Duplicated(np.zeros(2), np.ones(2)))


def test_an_argument_that_also_reaches_the_result_through_values_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", AdCompilerWarning)
        d, = autodiff(Reverse, smooth, Active, Active(1.5))
    assert d == pytest.approx(9.0)


def scaled_where_positive(x, y):
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            y[i] = 2.0 * x[i]


def test_an_array_that_reaches_an_output_through_values_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", AdCompilerWarning)
        x = Duplicated(np.array([0.5, -1.0]), np.zeros(2))
        autodiff(Reverse, scaled_where_positive, ad.Const, x, Duplicated(np.zeros(2), np.ones(2)))
    np.testing.assert_array_equal(x.dval, [2.0, 0.0])
