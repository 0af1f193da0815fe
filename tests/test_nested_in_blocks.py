"""A function defined in a loop's or a branch's body (``f = lambda yy: -k * yy + np.sin(t)``
in an integrator's time loop, a ``def rhs`` in a ``while``) was refused: it is lifted as a
function defined at the top is, where it is only called later in the body that defines it
(a closure reads the names it uses when it is called, so each definition computes what the
lifted one does); called elsewhere, it is refused. References: every entry point."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def integrator(y, k, dt, n):
    t = 0.0
    for _ in range(n):
        f = lambda yy: -k * yy + np.sin(t)  # noqa: B023  (read when called, as intended)
        k1 = f(y)
        k2 = f(y + 0.5 * dt * k1)
        y[:] = y + dt * k2
        t += dt
    return float(np.sum(y ** 2))


def in_a_while(y, k, n):
    i = 0
    while i < n:
        def rhs(v):
            return -k * v * (i + 1)  # noqa: B023
        if i % 2 == 0:
            g = lambda v, c=2.0: c * rhs(v)
            y += 0.1 * g(y)
        else:
            y += 0.1 * rhs(y)
        i += 1
    return float(np.sum(y))


def called_after_its_loop(y, k):
    for _ in range(2):
        g = lambda v: k * v
    return float(np.sum(g(y)))


@pytest.mark.parametrize("f,args", [
    (integrator, (np.array([1.0, -0.5, 2.0]), 0.7, 0.1, 5)),
    (in_a_while, (np.array([1.0, -0.5, 2.0]), 0.7, 3)),
])
def test_lifted_from_a_block(f, args):
    y, *rest = args
    ann = [Duplicated(y.copy(), np.zeros(3)), Active(rest[0])] + [Const(v) for v in rest[1:]]
    check_everywhere(f, *ann, ret=Active)
    got = ad.gradient(f, y.copy(), *rest, backend="numba")
    want = ad.gradient(f, y.copy(), *rest)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    assert got[1] == pytest.approx(want[1], rel=1e-12)


def test_called_outside_its_block_is_refused():
    with pytest.raises(ad.AdCompilerError, match="called outside the block that defines it"):
        ad.gradient(called_after_its_loop, np.ones(3), 0.5)
