"""A function passed as an argument (``rk4(f, y, ...)`` called with a module-level
right-hand side): calls through the parameter are calls of that function, the
kernel analysed for each function passed. Every entry point against central
differences; what stays refused says so at its line."""
import numpy as np
import pytest
from everywhere import check_everywhere
from kernels_callables import (
    apply_elementwise,
    cube,
    damped,
    decay,
    euler,
    euler_loss,
    fast,
    linear_rhs,
    logistic,
    optional_rhs,
    passes_a_lambda,
    passes_numpy_functions,
    pendulum,
    pendulum_loss,
    rebinds,
    rhs_scaling_p,
    rk4,
    rk4_values,
    slow,
    square,
    twice,
    two_rates,
    two_rates_given,
    two_systems,
    uses_a_module_lambda,
)
from optional import require

import adcompiler as ad
from adcompiler import Active, AdCompilerError, Const, Duplicated

TAPES = ("autograd", "torch", "jax")


def test_rk4_given_its_right_hand_side_everywhere():
    for rhs in (pendulum, damped):
        y = np.array([1.0, -0.3])
        check_everywhere(rk4, Const(rhs), Duplicated(y, np.zeros(2)), Active(2.0), Const(0.1), Const(8), tapes=TAPES,
                         out="y")


def test_a_kernel_passing_a_module_function_everywhere():
    check_everywhere(pendulum_loss, Duplicated(np.array([1.0, 0.2]), np.zeros(2)), Active(1.5), ret=Active,
                     tapes=TAPES, out=())


def test_one_helper_two_functions():
    """The helper is analysed once per function passed: each call differentiates its own."""
    y0 = np.array([0.7, 0.1])
    check_everywhere(two_systems, Duplicated(y0, np.zeros(2)), Active(1.2), Duplicated(np.zeros(4), np.zeros(4)),
                     out="out", tapes=TAPES)


def test_a_function_returning_values():
    check_everywhere(euler, Const(decay), Duplicated(np.array([0.5, 1.5, 2.0]), np.zeros(3)), Const(0.1), Const(5),
                     out="y")


def test_passed_on_to_another_helper():
    check_everywhere(twice, Const(decay), Duplicated(np.array([0.5, 1.5]), np.zeros(2)), Const(0.2), Const(4),
                     out="y")


def test_an_optional_function_left_none_or_given():
    """``if f is None`` of a parameter holding None or a function is decided when the code is
    made, for each (the branch calling None was refused)."""
    for f in (None, decay, np.tanh):
        check_everywhere(optional_rhs, Duplicated(np.array([0.5, 1.5, 2.0]), np.zeros(3)), Const(0.1), Const(4),
                         Const(f), out="y")


def test_a_numpy_function_passed():
    x = np.array([0.3, -1.2, 2.0])
    for g in (np.sin, np.tanh, np.cumsum, np.flip):
        check_everywhere(apply_elementwise, Const(g), Duplicated(x, np.zeros(3)),
                         Duplicated(np.zeros(3), np.zeros(3)), out="out")


def test_numpy_functions_passed_by_their_attributes():
    check_everywhere(passes_numpy_functions, Duplicated(np.array([0.3, -0.5, 1.2]), np.zeros(3)), ret=Active,
                     tapes=TAPES, out=())


def test_grad_with_the_function_as_a_plain_argument():
    def loss(y0, p, f):
        y = y0.copy()
        rk4(f, y, p, 0.1, 10)
        return float(np.sum(y ** 2))
    y0, p = np.array([1.0, 0.0]), 2.0
    g = ad.grad(loss, argnums=(0, 1))(y0, p, damped)
    eps = 1e-6
    fd_p = (loss(y0, p + eps, damped) - loss(y0, p - eps, damped)) / (2 * eps)
    fd_y = [(loss(y0 + eps * e, p, damped) - loss(y0 - eps * e, p, damped)) / (2 * eps) for e in np.eye(2)]
    np.testing.assert_allclose(g[0], fd_y, rtol=1e-6)
    np.testing.assert_allclose(g[1], fd_p, rtol=1e-6)
    # another function at the same call: another analysis, not the first one's cached
    g2 = ad.grad(loss, argnums=(1,))(y0, p, pendulum)
    fd_p2 = (loss(y0, p + eps, pendulum) - loss(y0, p - eps, pendulum)) / (2 * eps)
    np.testing.assert_allclose(g2[0], fd_p2, rtol=1e-6)


def test_under_the_tapes_with_the_function_constant():
    torch = require("torch")
    solve = ad.differentiate(rk4, out="y", const=("f", "h", "n"))
    y0, p = np.array([1.0, -0.3]), 2.0

    def ref(y0, p):
        y = y0.copy()
        rk4(pendulum, y, p, 0.1, 8)
        return y
    yt = torch.tensor(y0, requires_grad=True)
    pt = torch.tensor(p, requires_grad=True)
    out = solve(pendulum, yt, pt, 0.1, 8)
    torch.sum(out ** 2).backward()
    eps = 1e-6
    fd_p = (np.sum(ref(y0, p + eps) ** 2) - np.sum(ref(y0, p - eps) ** 2)) / (2 * eps)
    np.testing.assert_allclose(pt.grad.item(), fd_p, rtol=1e-6)
    np.testing.assert_allclose(out.detach().numpy(), ref(y0, p), rtol=1e-14)


def test_numba_backend_right_or_refused():
    require("numba")
    y0, p = np.array([1.0, 0.2]), 1.5
    want = ad.gradient(pendulum_loss, y0, p)
    try:
        got = ad.gradient(pendulum_loss, y0, p, backend="numba")
    except AdCompilerError as e:
        assert "kernels_callables.py" in str(e) and "function is passed" in str(e)
        return
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-10)


def test_numba_refuses_and_auto_falls_back():
    require("numba")
    y = np.array([1.0, -0.3])
    with pytest.raises(AdCompilerError, match=r"kernels_callables\.py:\d+: .*function passed as an argument"):
        ad.autodiff(ad.Reverse, rk4, Const, Const(pendulum), Duplicated(y.copy(), np.ones(2)), Active(2.0), Const(0.1),
                    Const(8), backend="numba")
    got, want = np.ones(2), np.ones(2)
    ad.autodiff(ad.Reverse, rk4, Const, Const(pendulum), Duplicated(y.copy(), got), Active(2.0), Const(0.1), Const(8),
                backend="auto")
    ad.autodiff(ad.Reverse, rk4, Const, Const(pendulum), Duplicated(y.copy(), want), Active(2.0), Const(0.1), Const(8))
    np.testing.assert_array_equal(got, want)
    assert "function is passed" in ad.backend_report(rk4)[-1].reason


def test_a_parameter_bound_again_is_refused():
    with pytest.raises(AdCompilerError) as e:
        ad.autodiff(ad.Reverse, rebinds, Const, Const(damped), Duplicated(np.ones(2), np.ones(2)))
    assert "kernels_callables.py" in str(e.value) and "`f`" in str(e.value)


def test_a_lambda_passed_is_refused():
    with pytest.raises(AdCompilerError) as e:
        ad.autodiff(ad.Reverse, passes_a_lambda, Const, Duplicated(np.ones(2), np.ones(2)))
    assert "kernels_callables.py" in str(e.value)


def test_second_order_and_jvp():
    y0, p, v = np.array([1.0, 0.2]), 1.5, np.array([0.3, -0.7])
    got = ad.hvp(pendulum_loss, (y0, p), (v, 0.4))
    eps = 1e-6
    plus = ad.grad(pendulum_loss, argnums=(0, 1))(y0 + eps * v, p + eps * 0.4)
    minus = ad.grad(pendulum_loss, argnums=(0, 1))(y0 - eps * v, p - eps * 0.4)
    for k in range(2):
        np.testing.assert_allclose(got[k], (plus[k] - minus[k]) / (2 * eps), rtol=1e-6)

    def ref(y0, p):
        y = y0.copy()
        rk4(pendulum, y, p, 0.1, 8)
        return y
    _, tangent = ad.jvp(rk4, (pendulum, y0.copy(), p, 0.1, 8), (None, v, 0.4, None, None), out="y")
    np.testing.assert_allclose(tangent, (ref(y0 + eps * v, p + eps * 0.4) - ref(y0 - eps * v, p - eps * 0.4))
                               / (2 * eps), rtol=1e-6)


def test_the_bare_differentiate_of_a_kernel_calling_its_function_parameter():
    """Refused at the decoration ("writes ['p'] in place": the call of `f` was read as
    writing every argument); the writes are known at the call, when `f` is. A function
    that writes `p` is refused then, before the caller's array is written."""
    autograd = require("autograd")
    bare = ad.differentiate(euler_loss, const=("f",))
    y0 = np.array([1.0, 2.0])
    g = autograd.grad(lambda y: bare(linear_rhs, y, np.array([0.7, 0.7]), 0.1, 5))(y0)
    np.testing.assert_allclose(g, 2 * (1 - 0.07) ** 10 * y0, rtol=1e-12)
    p = np.array([0.7, 0.7])
    with pytest.raises(AdCompilerError, match=r"kernels_callables.py:92: `f\(y, p, k\)`: euler_loss may write \['p'\] in place"):
        autograd.grad(lambda y: bare(rhs_scaling_p, y, p, 0.1, 5))(y0)
    assert np.array_equal(p, [0.7, 0.7])


def test_two_closures_of_one_factory_in_one_kernel(rng):
    """Refused ("the name `c` means different things"): each closure's generated code
    reads its own rate now, under its own name in the module."""
    y0 = rng.uniform(0.5, 1.0, 3)
    check_everywhere(two_rates, Duplicated(y0, np.zeros(3)), ret=Active)
    check_everywhere(two_rates_given, Const(slow), Const(fast), Duplicated(y0.copy(), rng.uniform(-1, 1, 3)),
                     Const(0.1), out="y")
    g = ad.grad(two_rates)(y0)
    eps, e = 1e-6, np.eye(3)
    fd = [(two_rates(y0 + eps * e[i]) - two_rates(y0 - eps * e[i])) / (2 * eps) for i in range(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-7)


def test_lambdas_defined_outside_the_kernel(rng):
    """A module-level lambda the kernel calls, a lambda passed to the differentiated
    function, two lambdas on one line: each read from its file (by line, parameters and
    the columns its code runs at) as a def. A lambda written inline inside the kernel
    stays refused (test_a_lambda_passed_is_refused)."""
    y0 = rng.uniform(0.2, 0.6, 3)
    check_everywhere(uses_a_module_lambda, Duplicated(y0.copy(), np.zeros(3)), Active(0.9), ret=Active,
                     tapes=("autograd", "torch", "jax"))
    eps, e = 1e-6, np.eye(3)
    for f in (logistic, lambda y, p: -p * y * y):
        g = ad.grad(rk4_values, argnums=1)(f, y0, 0.9, 0.1, 4)
        fd = [(rk4_values(f, y0 + eps * e[i], 0.9, 0.1, 4) - rk4_values(f, y0 - eps * e[i], 0.9, 0.1, 4)) / (2 * eps)
              for i in range(3)]
        np.testing.assert_allclose(g, fd, rtol=1e-7)
    np.testing.assert_allclose(ad.grad(square)(y0), 2 * y0)
    assert ad.autodiff(ad.Reverse, lambda x: x * x, Active, Active(1.5)) == (3.0,)
    np.testing.assert_allclose(ad.grad(cube)(y0), 3 * y0 ** 2)
    autograd = require("autograd")
    bare = ad.differentiate(rk4_values, const=("f", "h", "n"))
    np.testing.assert_allclose(autograd.grad(lambda y: bare(logistic, y, 0.9, 0.1, 4))(y0),
                               ad.grad(rk4_values, argnums=1)(logistic, y0, 0.9, 0.1, 4), rtol=1e-12)


def _rate_lambda(k):
    return lambda y, p: -k * p * y * y


def test_a_lambda_made_again_at_each_call_is_analysed_once():
    """`grad(rk4_values, argnums=1)(lambda y, p: ..., ...)` in a loop: each new lambda object
    with the same code and closure values is the function seen before (it was analysed and
    compiled again at every call); one capturing other values is another function."""
    from adcompiler.codegen import cache
    y0 = np.array([1.0, 0.5])
    counts = []
    for _ in range(5):
        ad.grad(rk4_values, argnums=1)(lambda y, p: -p * y * y, y0, 0.7, 0.1, 4)
        counts.append(cache.stats["transforms"])
    assert counts[1:] == [counts[0]] * 4
    eps, e = 1e-6, np.eye(2)
    for k in (0.5, 2.0):
        f = _rate_lambda(k)
        fd = [(rk4_values(f, y0 + eps * e[i], 0.7, 0.1, 4) - rk4_values(f, y0 - eps * e[i], 0.7, 0.1, 4)) / (2 * eps)
              for i in range(2)]
        np.testing.assert_allclose(ad.grad(rk4_values, argnums=1)(_rate_lambda(k), y0, 0.7, 0.1, 4), fd, rtol=1e-7)
