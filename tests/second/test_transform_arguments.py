"""The arguments the function transforms pass: hvp and hessian of a function
with default parameters (refused: the function takes 3 arguments but 1 were
given), a bare array for hvp's argument tuple (it was iterated), jacobian of a
kernel with work buffers (refused as Const arguments written). Against
differences of the function or of its gradient."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad


def loss_with_defaults(x, c=2.0, n=3):
    s = 0.0
    for _ in range(n):
        s += c * np.sum(np.sin(x) * x) ** 2
    return s


def test_hvp_and_hessian_fill_defaults():
    x = np.array([0.3, 0.5, 0.7])
    h = 1e-6

    def grad(y):
        return ad.gradient(loss_with_defaults, y)[0]
    H = ad.hessian(loss_with_defaults, x)
    for k, v in enumerate(np.eye(3)):
        fd = (grad(x + h * v) - grad(x - h * v)) / (2 * h)
        (hv,) = ad.hvp(loss_with_defaults, (x,), (v,))
        np.testing.assert_allclose(hv, fd, rtol=1e-6)
        np.testing.assert_allclose(H[:, k], fd, rtol=1e-6)


def test_hvp_refuses_a_bare_array_for_its_arguments():
    x = np.array([0.3, 0.5, 0.7])
    with pytest.raises(ad.AdCompilerError, match="as tuples"):
        ad.hvp(loss_with_defaults, x, x)


def thomas(a, b, c, d, x, cp, dp):
    n = d.shape[0]
    cp[0] = c[0] / b[0]
    dp[0] = d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / m
        dp[i] = (d[i] - a[i] * dp[i - 1]) / m
    x[n - 1] = dp[n - 1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_kernel_with_work_buffers(mode):
    """The work buffers (cp, dp), neither outputs nor inputs, were passed as
    Const and the kernel's writes into them refused: they get zero shadows."""
    rng = np.random.default_rng(0)
    n = 4
    a, b, c, d = rng.uniform(0, 1, n), rng.uniform(3, 4, n), rng.uniform(0, 1, n), rng.normal(size=n)
    J = ad.jacobian(thomas, a, b, c, d, np.zeros(n), np.zeros(n), np.zeros(n), out=(4,), wrt=(1, 3), mode=mode)

    def solve(bb, dd):
        x = np.zeros(n)
        thomas(a, bb, c, dd, x, np.zeros(n), np.zeros(n))
        return x
    h = 1e-6
    for k, (bb, dd) in ((1, (1, 0)), (3, (0, 1))):
        fd = np.stack([(solve(b + h * e * bb, d + h * e * dd) - solve(b - h * e * bb, d - h * e * dd)) / (2 * h)
                       for e in np.eye(n)], 1)
        np.testing.assert_allclose(J[4, k], fd, rtol=1e-6, atol=1e-9)


def cubic_residual(x):
    return (x[0] ** 3 - 8.0) ** 2 + (np.sqrt(x[1]) - 2.0) ** 2


def test_hessian_at_a_stationary_point():
    """The adjoint of a number is 0 at a stationary point: the first-order code
    skips its partial there, which must not drop the second-order term (the
    Hessian of (x^3 - 8)^2 at x = 2 came out 0, not 288)."""
    H = ad.hessian(cubic_residual, np.array([2.0, 4.0]))
    np.testing.assert_allclose(H, [[288.0, 0.0], [0.0, 0.125]], rtol=1e-10, atol=1e-12)


def _nested(x):
    return (x[0] * x[1], x[2]), x[2] * x[0]


def nested_tuple_loss(x):
    (a, b), c = _nested(x)
    return a * b + c * x[0]


def number_list_loss(x):
    acc = [0.0, 0.0]
    acc[0] += x[0] ** 2
    acc[1] += x[1] * x[0]
    return sum(acc)


@pytest.mark.parametrize("f", [nested_tuple_loss, number_list_loss])
def test_hessians_through_nested_tuples_and_lists_of_numbers(f):
    """The tangents of a nested tuple's adjoints added element by element (a
    TypeError); a list of numbers' shadow is an array, which the second-order
    code updates in place (a list raised a TypeError)."""
    x = np.array([0.7, 1.1, 0.9])
    h = 1e-6

    def grad(y):
        return ad.gradient(f, y)[0]
    fd = np.stack([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(3)], 1)
    np.testing.assert_allclose(ad.hessian(f, x), fd, rtol=1e-6, atol=1e-8)


def interp_cubed(x, t):
    return float(np.sum(np.interp(np.array([0.1, 0.35, 0.8]), t, x) ** 3))


def test_arrays_without_a_direction_are_constants():
    """``hvp(f, (x, t), (v, None))``, ``hessian(f, x, t)`` and ``jvp`` with a None
    tangent: an array held constant that the function only reads (np.interp's
    grid) is a constant where it cannot be differentiated, as for ``grad`` (it
    was given a derivative and refused)."""
    x, t = np.array([0.3, -0.2, 0.9, 0.4, -0.7, 0.5]), np.linspace(0.0, 1.0, 6)
    v = np.linspace(-1.0, 1.0, 6)
    (hv, none) = ad.hvp(interp_cubed, (x, t), (v, None))
    assert none is None
    h = 1e-5
    fd = (ad.gradient(interp_cubed, x + h * v, t, wrt=(0,))[0] - ad.gradient(interp_cubed, x - h * v, t, wrt=(0,))[0])
    np.testing.assert_allclose(hv, fd / (2 * h), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ad.hessian(interp_cubed, x, t) @ v, hv, rtol=1e-10, atol=1e-12)
    value, tangent = ad.jvp(interp_cubed, (x, t), (v, None))
    assert value == pytest.approx(interp_cubed(x, t))
    assert tangent == pytest.approx(float(ad.gradient(interp_cubed, x, t, wrt=(0,))[0] @ v))


def _interpolate_into(y, t, xp, fp):
    y[:] = np.interp(t, xp, fp)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_takes_arrays_it_only_reads_outside_wrt_as_constants(mode):
    """np.interp's grid ``xp`` (no derivative) outside ``wrt``: jacobian gave every float array
    a shadow, and the refusal's hint (make `xp` constant) had no way to be followed."""
    t, xp, fp = np.array([0.1, 0.5, 1.5]), np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 2.0])
    J = ad.jacobian(_interpolate_into, np.zeros(3), t, xp, fp, out="y", wrt=("fp",), mode=mode)
    h, want = 1e-6, np.zeros((3, 3))
    for k in range(3):
        e = np.eye(3)[k] * h
        want[:, k] = (np.interp(t, xp, fp + e) - np.interp(t, xp, fp - e)) / (2 * h)
    np.testing.assert_allclose(J, want, rtol=1e-8, atol=1e-10)
    with pytest.raises(ad.AdCompilerError, match="xp"):
        ad.jacobian(_interpolate_into, np.zeros(3), t, xp, fp, out="y", wrt=("xp",), mode=mode)


def _ping_pong_heat(u, work, nu, n):
    a, b = u, work
    for _ in range(n):
        b[1:-1] = a[1:-1] + nu * (a[2:] - 2 * a[1:-1] + a[:-2]) + 0.01 * a[1:-1] ** 2
        b[0] = a[0]
        b[-1] = a[-1]
        a, b = b, a
    if n % 2 == 1:
        u[:] = work


def test_jacobian_follows_writes_through_swapped_names():
    """The work buffer written through ``a, b = u, work`` (then swapped) carries derivatives:
    jacobian's reading of the writes must see it (it was made Const and refused)."""
    u0, nu, n = np.linspace(0, 1, 6) ** 2, 0.2, 3

    def final(u):
        u, work = u.copy(), np.zeros(6)
        _ping_pong_heat(u, work, nu, n)
        return u
    want = np.stack([(final(u0 + 1e-6 * e) - final(u0 - 1e-6 * e)) / 2e-6 for e in np.eye(6)], axis=1)
    for mode in ("forward", "reverse"):
        J = ad.jacobian(_ping_pong_heat, u0.copy(), np.zeros(6), nu, n, out=0, wrt=(0,), mode=mode)
        np.testing.assert_allclose(J, want, rtol=1e-6, atol=1e-8)


@ad.differentiate(out="y", like="x")
def _doubled_squares(y, x):
    y[:] = 2.0 * x ** 2


def _sine_of_a_wrapped_kernel(z, x):
    z[:] = np.sin(_doubled_squares(x)) * x


def test_jacobian_through_a_wrapped_kernel_in_either_mode():
    """A wrapped kernel inside had no tangents: the forward mode jacobian picked by size was
    refused (it fell back to reverse); the kernel now runs in forward mode at the call."""
    x = np.array([0.3, -0.7, 1.2])
    want = np.diag(np.cos(2 * x ** 2) * 4 * x ** 2 + np.sin(2 * x ** 2))
    for mode in (None, "forward", "reverse"):
        J = ad.jacobian(_sine_of_a_wrapped_kernel, np.zeros(3), x, out=0, wrt=1, **({"mode": mode} if mode else {}))
        np.testing.assert_allclose(J, want, rtol=1e-13, atol=1e-15)


def _decaying_profile(out, x, k, dt):
    for i in range(x.shape[0]):
        out[i] = x[i] * np.exp(-k * dt * i) + k ** dt
    out *= dt


@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
def test_jacobian_with_respect_to_float_arguments(mode):
    # (a float in wrt was refused: "not a float array"; its column is d out / d k)
    x = np.random.default_rng(4).standard_normal(5)

    def run(a, k, dt):
        o = np.zeros(5)
        _decaying_profile(o, a, k, dt)
        return o
    J = ad.jacobian(_decaying_profile, np.zeros(5), x, 0.7, 0.2, out="out", wrt=("x", "k", "dt"), mode=mode)
    h = 1e-6
    np.testing.assert_allclose(J[0, 2], (run(x, 0.7 + h, 0.2) - run(x, 0.7 - h, 0.2)) / (2 * h), rtol=1e-7)
    np.testing.assert_allclose(J[0, 3], (run(x, 0.7, 0.2 + h) - run(x, 0.7, 0.2 - h)) / (2 * h), rtol=1e-7)
    np.testing.assert_allclose(J[0, 1], np.stack([(run(x + h * e, 0.7, 0.2) - run(x - h * e, 0.7, 0.2)) / (2 * h)
                                                  for e in np.eye(5)], 1), rtol=1e-7, atol=1e-10)
    with pytest.raises(ad.AdCompilerError, match="not a float array or a float"):
        ad.jacobian(_decaying_profile, np.zeros(5), x, 3, 0.2, out="out", wrt=("k",))
