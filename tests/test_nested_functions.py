"""Functions defined inside the differentiated function (``frontend/nested.py``):
lifted to helpers that take what they read from the enclosing function, each
through every entry point (``everywhere.check_everywhere``); what cannot be
lifted is refused at its line."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Reverse,
    autodiff,
    gradient,
)
from adcompiler.testing import check_grads


def rk4(y, k, dt, n):
    def rhs(y):   # (reads k of the enclosing function)
        return -k * y + np.sin(y)
    for _ in range(n):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * dt * k1)
        k3 = rhs(y + 0.5 * dt * k2)
        k4 = rhs(y + dt * k3)
        y[:] = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum(y ** 2)


def heat_bc(u, c, steps):
    n = u.shape[0]

    def apply_bc():   # (writes into an array of the enclosing function)
        u[0] = u[n - 2]
        u[n - 1] = u[1]

    def step(v):   # (calls the other nested function: passes on what it reads)
        apply_bc()
        v[1:-1] = v[1:-1] + c * (u[:-2] - 2 * u[1:-1] + u[2:])
    tmp = np.zeros(n)
    for _ in range(steps):
        tmp[:] = u
        step(tmp)
        u[:] = tmp
    return np.sum(u * u)


def late_binding(x, s):
    a = 2.0

    def scaled(v, p=1.0):   # (reads `a` when called: the value at the call, as a closure does)
        return a * v ** p
    total = 0.0
    for i in range(x.shape[0]):
        a = s * (i + 1)
        total += scaled(x[i])
    total += scaled(x[0], p=2.0)
    return total


def loop_body_out(x, y, w):
    def accumulate(i, scale):
        y[i] += scale * np.tanh(w * x[i])
    for i in range(x.shape[0]):
        accumulate(i, 0.5)
        accumulate(i, x[i])


def nested_twice(x):
    def outer(v):
        def inner(t):   # (reads `v` of `outer`, which reads nothing else)
            return t * v
        return inner(v) + inner(1.0)
    return np.sum(outer(x))


def make_kernel(scale):
    def kernel(x):   # (a closure: the nested helper reads the factory's variable)
        def term(v):
            return scale * np.cos(v)
        return np.sum(term(x) * x)
    return kernel


def D(rng, *shape):
    x = rng.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


def test_rk4_right_hand_side(rng):
    check_everywhere(rk4, D(rng, 5), Active(0.7), Const(0.1), Const(4), ret=Active, out=None)


def test_boundary_condition_and_step_helpers(rng):
    check_everywhere(heat_bc, D(rng, 8), Active(0.2), Const(3), ret=Active, out=None)


def test_late_binding_and_defaults(rng):
    check_everywhere(late_binding, D(rng, 4), Active(0.3), ret=Active, out=None)
    x = np.array([0.5, 1.0, 1.5])
    assert abs(late_binding(x, 0.3) - sum(0.3 * (i + 1) * x[i] for i in range(3)) - 0.9 * x[0] ** 2) < 1e-12


def test_writes_into_enclosing_arrays(rng):
    check_everywhere(loop_body_out, D(rng, 5), D(rng, 5), Active(0.8), ret=Const, out=None)


def test_nested_in_nested(rng):
    check_everywhere(nested_twice, D(rng, 4), ret=Active, out=None)


def test_closure_kernel_with_nested_helper(rng):
    f = make_kernel(1.7)
    check_grads(f, D(rng, 4), ret=Active)
    x = rng.uniform(0.5, 1.5, 4)
    (g,) = gradient(f, x)
    np.testing.assert_allclose(g, 1.7 * (np.cos(x) - x * np.sin(x)))
    (g2,) = gradient(make_kernel(-2.0), x)   # (another closure of the same code: its own value)
    np.testing.assert_allclose(g2, -2.0 * (np.cos(x) - x * np.sin(x)))


def test_writes_under_each_tape(rng):
    check_everywhere(loop_body_out, D(rng, 5), D(rng, 5), Active(0.8), ret=Const, out="y",
                     tapes=("autograd", "torch", "jax"))


def test_grad_against_autograd(rng):
    import autograd
    import autograd.numpy as anp
    y0 = rng.uniform(0.5, 1.5, 4)

    def ref(y, k):
        for _ in range(3):
            def rhs(v):
                return -k * v + anp.sin(v)
            k1 = rhs(y)
            k2 = rhs(y + 0.05 * k1)
            k3 = rhs(y + 0.05 * k2)
            k4 = rhs(y + 0.1 * k3)
            y = y + 0.1 / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        return anp.sum(y ** 2)
    want = autograd.grad(ref, (0, 1))(y0, 0.7)
    got = ad.grad(rk4, argnums=(0, 1))(y0.copy(), 0.7, 0.1, 3)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10)


def test_numba_backend_matches(rng):
    from optional import require
    require("numba")
    x = rng.uniform(0.5, 1.5, 5)
    y = np.zeros(5)
    dy = rng.standard_normal(5)
    want_dx, want_dy = np.zeros(5), dy.copy()
    want = autodiff(Reverse, loop_body_out, Const, Duplicated(x.copy(), want_dx), Duplicated(y.copy(), want_dy),
                    Active(0.8))
    got_dx, got_dy = np.zeros(5), dy.copy()
    got = autodiff(Reverse, loop_body_out, Const, Duplicated(x.copy(), got_dx), Duplicated(y.copy(), got_dy),
                   Active(0.8), backend="numba")
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)
    np.testing.assert_allclose(got_dx, want_dx, rtol=1e-12)


def test_emitted_module_runs_without_the_package(tmp_path):
    from adcompiler.cli import main
    out = tmp_path / "rk4_ad.py"
    assert main(["emit", f"{__file__}:rk4", "--dup", "y", "--active", "k", "--const", "dt,n", "-o", str(out)]) == 0
    space: dict = {}
    exec(compile(out.read_text(), str(out), "exec"), space)   # noqa: S102
    y = np.linspace(0.5, 1.0, 4)
    dy = np.zeros(4)
    (dk,) = space["rk4_reverse"](y.copy(), dy, 0.7, 0.1, 3)
    want_dy = np.zeros(4)
    (_, want_dk, _, _) = autodiff(Reverse, rk4, Active, Duplicated(y.copy(), want_dy), Active(0.7), Const(0.1),
                                  Const(3))
    np.testing.assert_allclose(dk, want_dk, rtol=1e-12)
    np.testing.assert_allclose(dy, want_dy, rtol=1e-12)


# -- refused at the line -------------------------------------------------------------------

def in_loop(x):
    s = 0.0
    for i in range(2):
        def g(v):
            return v * i  # noqa: B023
        s += np.sum(g(x))
    return s


def as_value(x):
    def g(v):
        return v * 2.0
    h = g
    return np.sum(h(x))


def recursive(x):
    def g(v, n):
        return v if n == 0 else g(v * 2.0, n - 1)
    return np.sum(g(x, 2))


def uses_nonlocal(x):
    t = 0.0

    def g(v):
        nonlocal t
        t = np.sum(v)
        return v
    g(x)
    return t


def array_default(x):
    w = np.ones(3)

    def g(v, m=w):
        return v * m
    return np.sum(g(x))


def called_first(x):
    s = np.sum(g(x))   # noqa: F821

    def g(v):
        return v
    return s


def decorated(x):
    @staticmethod
    def g(v):
        return v
    return np.sum(g(x))


@pytest.mark.parametrize("f, what, line", [
    (in_loop, "nested def inside a loop", "def g(v):"),
    (as_value, "used as a value", "h = g"),
    (recursive, "calls itself", "return v if n == 0"),
    (uses_nonlocal, "nonlocal", "nonlocal t"),
    (array_default, "not a number", "def g(v, m=w):"),
    (called_first, "before its definition", "s = np.sum(g(x))"),
    (decorated, "decorators", "def g(v):"),
])
def test_refusals_name_the_line(f, what, line):
    x = np.ones(3)
    with pytest.raises(AdCompilerError) as e:
        autodiff(Reverse, f, Active, Duplicated(x, np.zeros(3)))
    msg = str(e.value)
    assert what in msg and "test_nested_functions.py" in msg and line in msg, msg


def with_lambda(x, k):
    f = lambda v: -k * v + np.sin(v)
    y = x.copy()
    for _ in range(3):
        y = y + 0.1 * f(y)
    return np.sum(y * y)


def test_lambda_bound_at_the_top(rng):
    check_everywhere(with_lambda, D(rng, 4), Active(0.6), ret=Active, out=None)
