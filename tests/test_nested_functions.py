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


# -- Python's scopes: what a nested function reads is the enclosing function's name ---------

def sibling_binds_the_name(x, k):
    def h(v):
        return k * v   # (the enclosing k)

    def g(v):
        k = 5.0   # (g's own k: h still reads the enclosing one)
        return h(v) * k
    return np.sum(g(x))


def sibling_parameter_has_the_name(x, k):
    def h(v):
        return k * v

    def g(v, k):   # (a parameter k of g; h reads the enclosing k)
        return h(v) + k
    return np.sum(g(x, 1.0))


def forcing_reads_the_loop_time(y, w, dt, n):
    t = 0.0

    def forcing():
        return np.sin(w * t)   # (the enclosing t, as it is when called)

    def rhs(t, y):
        return -y + forcing()
    for _ in range(n):
        k1 = rhs(t, y)
        k2 = rhs(t + dt / 2, y + dt / 2 * k1)
        y = y + dt / 2 * (k1 + k2)
        t = t + dt
    return np.sum(y ** 2)


def inner_binds_the_name(x, k):
    def outer(v):
        def inner(t):
            k = 2.0   # (inner's own k)
            return k * t
        return k * inner(v)   # (the enclosing k)
    return np.sum(outer(x))


def positional_only(x, k):
    def g(v, /, s=-1.0):
        return k * v ** 2 + s
    return np.sum(g(x)) - 1.5


def comprehension_names(x, k):
    def g(v):
        return k * v[0] + sum(v[k] ** 2 for k in range(v.shape[0]))   # (that k is the generator's)
    sq = [x[j] ** 2 for j in range(x.shape[0])]
    return g(x) + sum(sq)


@pytest.mark.parametrize("f, args", [
    (sibling_binds_the_name, 1), (sibling_parameter_has_the_name, 1), (inner_binds_the_name, 1),
    (positional_only, 1), (comprehension_names, 1)])
def test_names_resolve_as_python_scopes_them(rng, f, args):
    """A name a nested function reads was passed on by name at each call: a
    sibling that bound the same name (a local, a parameter, a loop index) passed
    its own; a name bound in an inner function or a comprehension counted as
    the enclosing function's; positional-only parameters came before the names
    passed. Primal and derivatives were wrong, silently."""
    x = rng.uniform(0.5, 1.5, 3)
    want = f(x.copy(), 0.7)
    dx = np.zeros(3)
    _, value = autodiff(ad.ReverseWithPrimal, f, Active, Duplicated(x.copy(), dx), Active(0.7))
    np.testing.assert_allclose(value, want, rtol=1e-12)
    check_everywhere(f, D(rng, 3), Active(0.7), ret=Active, out=())


def test_a_helper_passes_on_what_its_callee_reads_under_another_name(rng):
    y = rng.uniform(0.5, 1.5, 2)
    want = forcing_reads_the_loop_time(y.copy(), 1.3, 0.1, 3)
    (_, _, _, _), value = autodiff(ad.ReverseWithPrimal, forcing_reads_the_loop_time, Active,
                                   Duplicated(y.copy(), np.zeros(2)), Active(1.3), Const(0.1), Const(3))
    np.testing.assert_allclose(value, want, rtol=1e-12)
    check_everywhere(forcing_reads_the_loop_time, D(rng, 2), Active(1.3), Const(0.1), Const(3), ret=Active, out=())


def test_bare_differentiate_of_a_kernel_calling_a_nested_function(rng):
    """The tapes' reading of what a kernel writes took a call of a nested
    function for a call that may write its arguments: the bare differentiate
    was refused ("writes ['x'] in place")."""
    check_everywhere(positional_only, D(rng, 3), Active(0.7), ret=Active, out=(), tapes=("autograd", "torch", "jax"))


# -- refused at the line -------------------------------------------------------------------

def in_loop(x):
    s = 0.0
    for i in range(2):
        def g(v):
            return v * i  # noqa: B023
        s += np.sum(g(x))
    return s


def out_of_its_loop(x):
    for i in range(2):
        def g(v):
            return v * i  # noqa: B023
    return np.sum(g(x))


def test_a_def_in_a_loop_reads_the_loop_variable_when_called():
    """(refused before: lifted now, tests/test_nested_in_blocks.py)"""
    x = np.linspace(0.5, 1.0, 3)
    dx = np.zeros(3)
    autodiff(Reverse, in_loop, Active, Duplicated(x.copy(), dx))
    np.testing.assert_allclose(dx, np.ones(3))   # (0 + 1 per element)


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


def comprehension_hides(x, k):
    def g(v):
        return k * v
    return sum([g(x[k]) for k in range(x.shape[0])])


def calls_a_closure_function(x):
    return _factory(np.sin)(x)


def _factory(rhs):
    def kernel(x):
        def step(v):
            return rhs(v) * 2.0
        return np.sum(step(x))
    return kernel


def relax_view(x):
    inner = x[1:]

    def relax():
        inner[:] = inner * 0.5 + x[:-1] * 0.25
    relax()
    return np.sum(x * x)


@pytest.mark.parametrize("f, what, line", [
    (comprehension_hides, "comprehension's variable", "return sum([g(x[k])"),
    (relax_view, "a nested function, reads", "relax()"),
    (out_of_its_loop, "called outside the block that defines it", "return np.sum(g(x))"),
    (as_value, "used as a value", "h = g"),
    (recursive, "calls itself", "return v if n == 0"),
    (uses_nonlocal, "nonlocal", "nonlocal t"),
    (array_default, "not a literal number", "def g(v, m=w):"),
    (called_first, "before its definition", "s = np.sum(g(x))"),
    (decorated, "decorators", "def g(v):"),
])
def test_refusals_name_the_line(f, what, line):
    x = np.linspace(0.5, 1.0, 3)
    with pytest.raises(AdCompilerError) as e:
        autodiff(Reverse, f, Active, Duplicated(x, np.zeros(3)), *([Active(0.7)] if f is comprehension_hides else []))
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


def test_a_function_of_the_enclosing_closure_is_refused():
    with pytest.raises(AdCompilerError, match="a function of the enclosing function's closure"):
        gradient(_factory(np.sin), np.linspace(0.5, 1.0, 3))
