"""Forward mode of code that calls a ``differentiate``'d kernel: it was refused ("a forward
and a reverse function, which have no forward mode"); each call now runs the kernel once
in forward mode. References: central differences and reverse mode (a dot-product test)."""
import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Const, Duplicated, differentiate


def _chain(y, x, c):
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = c * y[i - 1] * x[i] + x[i] ** 2


def _energy(x, c):
    s = 0.0
    for i in range(x.shape[0]):
        s += c * x[i] ** 4 - x[i] ** 2
    return s


CHAIN = differentiate(_chain, out="y", like="x")
ENERGY = differentiate(_energy)
FIXED = differentiate(_chain, out="y", like="x", const=("c",))


def squared(x, c):
    return float(np.sum(CHAIN(x, c) ** 2))


def composed(x, c):
    z = CHAIN(x, c)
    w = CHAIN(z, c)
    return float(np.sum(w * x)) + ENERGY(z, c)


def written(y, x, c):
    z = CHAIN(x, c)
    y[:] = np.sin(z) * x


def fixed(x, c):
    return float(np.sum(FIXED(x, c) * x)) * c


def _fd(f, x, c, t, dc, h=1e-6):
    return (f(x + h * t, c + h * dc) - f(x - h * t, c - h * dc)) / (2 * h)


@pytest.mark.parametrize("f", [squared, composed, fixed])
def test_jvp_of_a_caller(f):
    rng = np.random.default_rng(0)
    x, t = rng.uniform(0.3, 1.0, 5), rng.standard_normal(5)
    value, tangent = ad.jvp(f, (x, 0.7), (t, 0.3))
    assert value == pytest.approx(f(x, 0.7), rel=1e-13)
    g = ad.gradient(f, x, 0.7)
    assert tangent == pytest.approx(float(g[0] @ t + g[1] * 0.3), rel=1e-10)
    if f is fixed:   # (const=c: no derivative in c through the kernel, by declaration, in either mode)
        tangent = ad.jvp(f, (x, 0.7), (t, 0.0))[1]
    assert tangent == pytest.approx(_fd(f, x, 0.7, t, 0.0 if f is fixed else 0.3), rel=1e-6)
    # (by the autodiff entry point, and one direction at a time in vector mode)
    tan, primal = ad.autodiff(ad.ForwardWithPrimal, f, Duplicated, Duplicated(x.copy(), t.copy()), Const(0.7))
    assert tan == pytest.approx(float(g[0] @ t), rel=1e-10) and primal == pytest.approx(value, rel=1e-13)
    (batch,) = ad.autodiff(ad.Forward, f, Duplicated, ad.BatchDuplicated(x.copy(), (t.copy(), 2 * t)), Const(0.7))
    np.testing.assert_allclose(batch, [g[0] @ t, 2 * g[0] @ t], rtol=1e-10)


def test_forward_jacobian_of_a_caller_writing_an_array():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.3, 1.0, 4)
    forward = ad.jacobian(written, np.zeros(4), x, 0.7, out=0, mode="forward")
    reverse = ad.jacobian(written, np.zeros(4), x, 0.7, out=0, mode="reverse")
    assert set(forward) == set(reverse)
    for k in forward:
        np.testing.assert_allclose(forward[k], reverse[k], rtol=1e-12, atol=1e-14)
    h, e = 1e-6, np.eye(4)
    for j in range(4):
        yp, ym = np.zeros(4), np.zeros(4)
        written(yp, x + h * e[j], 0.7)
        written(ym, x - h * e[j], 0.7)
        np.testing.assert_allclose(np.asarray(forward[(0, 1)])[:, j], (yp - ym) / (2 * h), rtol=1e-6, atol=1e-8)


def test_numba_refuses_the_caller_and_auto_runs_numpy():
    x, t = np.linspace(0.3, 1.0, 5), np.ones(5)
    with pytest.raises(ad.AdCompilerError, match="_chain_jvp"):
        ad.autodiff(ad.Forward, squared, Duplicated, Duplicated(x.copy(), t.copy()), Const(0.7), backend="numba")
    got = ad.autodiff(ad.Forward, squared, Duplicated, Duplicated(x.copy(), t.copy()), Const(0.7), backend="auto")
    want = ad.autodiff(ad.Forward, squared, Duplicated, Duplicated(x.copy(), t.copy()), Const(0.7))
    assert got == want
