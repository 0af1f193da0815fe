"""``while True:`` left by ``return`` (a Newton iteration) returns a number on every path:
the numba backend compiles it. Before, the loop's own exit test (rewritten as a break
that is never taken) and the returns (rewritten as breaks) made the function look as if
it could fall off its end and return None, which numba refuses. A loop that can fall off
(a ``break`` with nothing returned) is still refused under numba."""
import numpy as np
import pytest
from numba_engine import Numba
from optional import require

from adcompiler import Active, Duplicated, ReverseWithPrimal, autodiff
from adcompiler.errors import BackendError
from adcompiler.testing import check_grads

require("numba")


def newton_sqrt(a):
    x = 1.0
    while True:
        fx = x * x - a
        if abs(fx) < 1e-13:
            return x
        x -= fx / (2 * x)


def rounds(x):
    s = 0.0
    while True:
        for i in range(x.shape[0]):
            s += x[i] * x[i]
            if s > 10.0:
                break
        if s > 5.0:
            return s
        s += 1.0


def two_returns(x):
    k = 0
    while True:
        k += 1
        if x[0] * k > 3.0:
            return x[0] * k
        if k > 100:
            return -x[0]


def may_fall_off(a):
    x = 1.0
    while True:
        x = x * 0.5
        if x < a:
            return x * a
        if x < 1e-3:
            break


def test_newton_on_both_backends():
    for backend in ("numpy", "numba"):
        (da,), value = autodiff(ReverseWithPrimal, newton_sqrt, Active, Active(2.0), backend=backend)
        assert value == pytest.approx(np.sqrt(2.0), rel=1e-14)
        assert da == pytest.approx(0.5 / np.sqrt(2.0), rel=1e-12)


@pytest.mark.parametrize("f,x", [(rounds, np.array([0.5, 0.7, 1.1])), (two_returns, np.array([0.7]))])
def test_loops_left_by_return_against_differences(f, x):
    check_grads(f, Duplicated(x.copy(), np.zeros_like(x)), ret=Active, engine=Numba)
    check_grads(f, Duplicated(x.copy(), np.zeros_like(x)), ret=Active)


def test_a_loop_that_may_fall_off_is_still_refused_under_numba():
    with pytest.raises(BackendError, match="may be None or a number"):
        autodiff(ReverseWithPrimal, may_fall_off, Active, Active(0.3), backend="numba")
    (da,), value = autodiff(ReverseWithPrimal, may_fall_off, Active, Active(0.3))
    assert value == pytest.approx(0.075) and da == pytest.approx(0.25)
