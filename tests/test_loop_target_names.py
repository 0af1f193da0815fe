"""A loop's target that reuses the name of a float with a derivative (``t = 2 * x[0]`` before
``for t in range(3)``) is bound by each step to a value without one. Its adjoint and tangent
were kept from the float: the gradient of ``(2 x0)^2 + 0.01 * (0 + 1 + 2)`` came out 4.06 at
``x0 = 0.5`` (right: 4.0), in reverse and forward mode, checkpointed or not."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Duplicated


def squared_then_counted(x):
    t = float(x[0]) * 2.0
    y = t * t
    for t in range(3):
        y = y + 0.01 * t
    return y


def enumerated_after(x):
    t = x[0] * 3.0
    y = t * x[1]
    for t, v in enumerate(x):
        y = y + t * v
    return y


def started_later(x):
    k = x[1] * x[1]
    y = np.sin(k)
    for k in range(1, 3):
        y = y * 1.5 + k
    return y + k


def nested_in_a_time_loop(x, out):
    # the time variable is a float of the argument before the loop reuses its name
    dt = x[0] * 0.1
    u = x.copy()
    for dt in range(4):
        u[1:] += 0.05 * dt * u[:-1]
    out[:] = u * (1.0 + dt)


X = np.array([0.5, 0.3, -1.1])


@pytest.mark.parametrize("f", [squared_then_counted, enumerated_after, started_later], ids=lambda f: f.__name__)
def test_a_loop_target_starts_without_a_derivative(f):
    check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), out=(), tapes=("autograd", "jax", "torch"))


def test_the_values():
    g = ad.gradient(squared_then_counted, X)[0]
    np.testing.assert_allclose(g, [4.0, 0.0, 0.0], rtol=1e-14)
    np.testing.assert_allclose(ad.gradient(squared_then_counted, X, backend="numba")[0], [4.0, 0.0, 0.0], rtol=1e-14)
    np.testing.assert_allclose(ad.jvp(squared_then_counted, (X,), (np.array([1.0, 0.0, 0.0]),))[1], 4.0, rtol=1e-14)
    # d/dx of 3 x0 x1 + sum(k x_k): (3 x1, 3 x0 + 1, 2)
    np.testing.assert_allclose(ad.gradient(enumerated_after, X)[0], [3 * X[1], 3 * X[0] + 1, 2.0], rtol=1e-14)


def checkpointed_as_plain(f):
    """``f(x, out)`` through every entry point, and checkpointed as on a plain tape."""
    check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), Duplicated(np.zeros(3), np.ones(3)), out="out")
    seeds = np.array([1.0, -2.0, 0.5])
    plain, ck = np.zeros(3), np.zeros(3)
    ad.autodiff(ad.Reverse, f, ad.Const, Duplicated(X.copy(), plain), Duplicated(np.zeros(3), seeds.copy()))
    ad.autodiff(ad.Reverse, f, ad.Const, Duplicated(X.copy(), ck), Duplicated(np.zeros(3), seeds.copy()),
                checkpoint=2)
    np.testing.assert_allclose(ck, plain, rtol=1e-13)


def test_checkpointed_and_with_arrays():
    checkpointed_as_plain(nested_in_a_time_loop)


def while_checkpointed(x, out):
    u = x.copy()
    k = 0
    while k < 5:   # adcompiler: checkpoint
        u[1:] += 0.1 * u[:-1] * u[1:]
        k += 1
    out[:] = u


def test_a_checkpointed_while_loop_binds_no_target():
    checkpointed_as_plain(while_checkpointed)
