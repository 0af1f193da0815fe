"""grad, value_and_grad, vjp and jvp against independent references: autograd
for float-returning losses, the dot-product test <ct, J v> == <J^T ct, v>
between jvp and vjp for mutating kernels, and scipy.optimize.minimize driven
by value_and_grad."""
from __future__ import annotations

import doctest
import math

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
import scipy.optimize

import adcompiler
import adcompiler as ad
import adcompiler.api.transforms
from adcompiler import AdCompilerError, grad, jvp, value_and_grad, vjp


def loss_with_scratch(work, x, alpha):
    """A loss that writes a scratch array it is given (a recurrence)."""
    work[:] = np.tanh(x) * alpha
    for i in range(1, work.shape[0]):
        work[i] += 0.5 * work[i - 1]
    return float(np.sum(work ** 2))


def loss_reference(x, alpha):
    w = [anp.tanh(x[0]) * alpha]
    for i in range(1, x.shape[0]):
        w.append(anp.tanh(x[i]) * alpha + 0.5 * w[i - 1])
    return sum(wi ** 2 for wi in w)


def smooth_step(s, a, b, dt):
    """A mutating kernel: s <- s + dt * (a * s - b ** 2)."""
    for i in range(s.shape[0]):
        s[i] = s[i] + dt * (a[i] * s[i] - b[i] ** 2)


def rosenbrock(x):
    total = 0.0
    for i in range(x.shape[0] - 1):
        total += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_value_and_grad_against_autograd(rng):
    x, work, alpha = rng.normal(size=5), np.zeros(5), 0.7
    x0, work0 = x.copy(), work.copy()
    value, (gx, galpha) = value_and_grad(loss_with_scratch, argnums=(1, 2))(work, x, alpha)
    assert value == pytest.approx(loss_reference(x, alpha), rel=1e-12)
    np.testing.assert_allclose(gx, autograd.grad(loss_reference, 0)(x, alpha), rtol=1e-10)
    assert galpha == pytest.approx(autograd.grad(loss_reference, 1)(x, alpha), rel=1e-10)
    assert isinstance(galpha, float)
    np.testing.assert_array_equal(x, x0)          # the caller's arrays are untouched
    np.testing.assert_array_equal(work, work0)


def test_grad_single_position_returns_one_gradient(rng):
    x = rng.normal(size=4)
    g = grad(loss_with_scratch, argnums=1)(np.zeros(4), x, 1.3)
    np.testing.assert_allclose(g, autograd.grad(loss_reference, 0)(x, 1.3), rtol=1e-10)


def test_value_and_grad_drives_scipy_minimize():
    res = scipy.optimize.minimize(value_and_grad(rosenbrock), np.array([-1.2, 1.0, 0.5]), jac=True,
                                  method="BFGS", options={"gtol": 1e-9})
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(3), atol=1e-5)
    np.testing.assert_allclose(res.jac, autograd.grad(_rosenbrock_ag)(res.x), atol=1e-12)


def _rosenbrock_ag(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_jvp_and_vjp_of_a_mutating_kernel_agree(rng):
    """The dot-product test on the outputs and every input, with out= by name and by position."""
    s, a, b = rng.normal(size=6), rng.normal(size=6), rng.normal(size=6)
    vs, va, vb = rng.normal(size=6), rng.normal(size=6), rng.normal(size=6)
    (out, tangent) = jvp(smooth_step, (s, a, b, 0.1), (vs, va, vb, None), out="s")
    out2, pullback = vjp(smooth_step, s, a, b, 0.1, out=0)
    np.testing.assert_allclose(out, out2, rtol=0, atol=0)
    ct = rng.normal(size=6)
    cs, ca, cb, cdt = pullback(ct)
    lhs = float(ct @ tangent)
    rhs = float(cs @ vs + ca @ va + cb @ vb)
    assert lhs == pytest.approx(rhs, rel=1e-12)
    # the outputs are the kernel's own result
    ref = s.copy()
    smooth_step(ref, a, b, 0.1)
    np.testing.assert_allclose(out, ref, rtol=1e-15)
    # dt is a float scalar: its cotangent is returned too, and matches the tangent in dt
    _, t_dt = jvp(smooth_step, (s, a, b, 0.1), (None, None, None, 1.0), out="s")
    assert cdt == pytest.approx(float(ct @ t_dt), rel=1e-12)


def test_vjp_and_jvp_of_a_float_loss(rng):
    x = rng.normal(size=5)
    v = rng.normal(size=5)
    value, pullback = vjp(loss_with_scratch, np.zeros(5), x, 0.4)
    _, gx, galpha = pullback(2.0)
    ref = autograd.grad(loss_reference, 0)(x, 0.4)
    np.testing.assert_allclose(gx, 2.0 * ref, rtol=1e-10)
    assert galpha == pytest.approx(2.0 * autograd.grad(loss_reference, 1)(x, 0.4), rel=1e-10)
    value2, dvalue = jvp(loss_with_scratch, (np.zeros(5), x, 0.4), (None, v, None))
    assert value2 == pytest.approx(value)
    assert dvalue == pytest.approx(float(ref @ v), rel=1e-10)


def test_integer_argument_in_argnums_is_refused():
    def f(idx, x):
        return float(np.sum(x[idx]))
    with pytest.raises(AdCompilerError, match="only float arrays and float scalars have a gradient"):
        grad(f, argnums=0)(np.array([0, 2]), np.ones(3))
    g = grad(f, argnums=1)(np.array([0, 2, 2]), np.ones(3))
    np.testing.assert_array_equal(g, [1.0, 0.0, 2.0])


def test_bad_out_and_cotangent_shapes_are_refused(rng):
    with pytest.raises(AdCompilerError, match="not an argument"):
        vjp(smooth_step, np.zeros(3), np.ones(3), np.ones(3), 0.1, out="t")
    _, pullback = vjp(smooth_step, np.zeros(3), np.ones(3), np.ones(3), 0.1, out="s")
    with pytest.raises(AdCompilerError, match="shape"):
        pullback(np.ones(4))


def test_module_examples():
    assert doctest.testmod(adcompiler.api.transforms).failed == 0
    assert adcompiler.grad is grad


def test_gradient_with_a_scratch_argument_and_wrt(rng):
    """gradient differentiates a scratch array the loss writes, even when wrt leaves it out."""
    x = rng.normal(size=5)
    g = adcompiler.gradient(loss_with_scratch, np.zeros(5), x, 0.5, wrt=(1, 2))
    assert g[0] is None
    np.testing.assert_allclose(g[1], autograd.grad(loss_reference, 0)(x, 0.5), rtol=1e-10)
    assert g[2] == pytest.approx(autograd.grad(loss_reference, 1)(x, 0.5), rel=1e-10)
    with pytest.raises(AdCompilerError, match="wrt names argument 0"):
        adcompiler.gradient(lambda i, x: float(np.sum(x[i])), np.array([0, 1]), x, wrt=(0,))


def test_hessian_and_jacobian_as_function_transforms(rng):
    def cubic(x, c):
        return float(np.sum(c * x ** 3))
    x = rng.normal(size=3)
    H = adcompiler.hessian(cubic)(x, 2.0)
    np.testing.assert_allclose(H, np.diag(12.0 * x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, autograd.hessian(lambda x: anp.sum(2.0 * x ** 3))(x), rtol=1e-10, atol=1e-12)
    s, a, b = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4)
    J = adcompiler.jacobian(smooth_step, out=0, wrt=1)(s, a, b, 0.1)
    np.testing.assert_allclose(J, adcompiler.jacobian(smooth_step, s, a, b, 0.1, out=0, wrt=1), rtol=0, atol=0)
    np.testing.assert_allclose(J, np.diag(0.1 * s), rtol=1e-12)   # d s_new / d a = dt * s (diagonal)


# -- the arguments and results the transforms take ----------------------------------------

def scaled_loss(x, s):
    return float(np.sum(np.sin(x) * x) * s ** 2)


def tuple_loss(x):
    return np.sum(x ** 2), np.sum(x)


def array_result(x):
    return x * 2.0


def into_buffer(y, x, bufs):
    b = bufs[0]
    b[:] = 2.0
    y[:] = b * x * x


def test_gradient_wrt_negative_positions_and_names():
    """``wrt=-1`` passed the check but matched no position: the gradient asked for was None."""
    x, s = np.array([0.3, -0.5, 0.9]), 0.7
    want = 2 * s * np.sum(np.sin(x) * x)
    for wrt in (-1, 1, "s", (0, -1), ("x", "s")):
        got = adcompiler.gradient(scaled_loss, x, s, wrt=wrt)
        np.testing.assert_allclose(got[1], want, rtol=1e-12)
    with pytest.raises(AdCompilerError, match="wrt names `t`"):
        adcompiler.gradient(scaled_loss, x, s, wrt="t")


def test_second_order_refuses_results_other_than_a_real_float():
    """``hvp``/``hessian`` of a tuple-returning function gave zeros (``gradient`` refuses it)."""
    x = np.array([0.3, -0.5, 0.9])
    with pytest.raises(AdCompilerError, match="returns a tuple"):
        adcompiler.hessian(tuple_loss, x)
    with pytest.raises(AdCompilerError, match="returns an array"):
        adcompiler.hvp(array_result, (x,), (x,))


def test_jvp_results_and_containers():
    """jvp without out= of an array-returning function raised a TypeError; a
    complex value lost its imaginary part; the caller's list was written."""
    x = np.array([0.3, -0.5, 0.9])
    with pytest.raises(AdCompilerError, match="return a number"):
        jvp(array_result, (x,), (np.ones(3),))
    bufs = [np.zeros(3)]
    y, dy = jvp(into_buffer, (np.zeros(3), x, bufs), (None, np.ones(3), None), out=0)
    np.testing.assert_allclose(y, 2 * x * x, rtol=1e-12)
    np.testing.assert_allclose(dy, 4 * x, rtol=1e-12)
    assert not np.any(bufs[0])
    with pytest.raises(AdCompilerError, match="tangent of argument 1"):
        jvp(scaled_loss, (x, 0.7), (None, np.ones(2)))


def interp_loss(x, xp, fp):
    return float(np.sum(np.interp(x, xp, fp) ** 2))


def test_arrays_not_asked_for_and_not_written_are_constants():
    """``np.interp``'s grid has no derivative: gradient(..., wrt=...) and grad
    gave every float array a scratch shadow and were refused."""
    x, xp = np.array([0.2, 0.55, 0.7]), np.linspace(0.0, 1.0, 5)
    fp = np.sin(xp)
    gx, gxp, gfp = adcompiler.gradient(interp_loss, x, xp, fp, wrt=(0, 2))
    assert gxp is None
    h = 1e-6
    fd = [(interp_loss(x + h * e, xp, fp) - interp_loss(x - h * e, xp, fp)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(gx, fd, rtol=1e-6)
    fd = [(interp_loss(x, xp, fp + h * e) - interp_loss(x, xp, fp - h * e)) / (2 * h) for e in np.eye(5)]
    np.testing.assert_allclose(gfp, fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grad(interp_loss)(x, xp, fp), gx, rtol=1e-12)


def _squares_(y, x):
    y[:] = x * x


def test_vjp_of_an_output_named_twice_sums_its_cotangents():
    """``vjp(f, ..., out=("y", "y"))``: the second cotangent replaced the first."""
    x = np.array([0.5, 1.5, 0.7, 1.1])
    t1, t2 = np.ones(4), np.arange(4.0)
    _, pullback = adcompiler.vjp(_squares_, np.zeros(4), x, out=("y", "y"))
    np.testing.assert_allclose(pullback(t1, t2)[1], 2 * x * (t1 + t2), rtol=1e-12)


def _array_and_float(y, x):
    y[:] = x * 3.0
    return y, float(np.sum(x))


def _nested_floats(x):
    return (float(x[0]), (float(x[1]), float(x[2])))


@pytest.mark.parametrize("call", [lambda x: adcompiler.gradient(_array_and_float, np.zeros(4), x),
                                  lambda x: adcompiler.value_and_grad(_nested_floats)(x),
                                  lambda x: adcompiler.vjp(_nested_floats, x)])
def test_tuples_returned_under_an_active_return_are_refused(call):
    """A tuple holding an array, or a nested tuple: numpy's ValueError."""
    with pytest.raises(AdCompilerError, match="returned tuple"):
        call(np.array([0.5, 1.0, 1.5, 2.0]))


def _wave_leapfrog(u, u_prev, c, nt):
    u_next = np.zeros_like(u)
    for _ in range(nt):
        u_next[1:-1] = 2 * u[1:-1] - u_prev[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
        u_prev, u, u_next = u, u_next, u_prev
    return float(np.sum(u ** 2))


def test_grad_of_the_first_argument_of_a_buffer_rotation():
    """``grad(f)`` made ``u_prev`` a constant (not asked for, not written), but the
    rotation rebinds it to a value with a derivative: refused with a hint about
    activities the user does not choose."""
    x = np.linspace(0, 1, 12)
    u0 = np.exp(-30 * (x - 0.4) ** 2)
    want = adcompiler.gradient(_wave_leapfrog, u0.copy(), 0.9 * u0, 0.2, 5)[0]
    np.testing.assert_allclose(grad(_wave_leapfrog)(u0.copy(), 0.9 * u0, 0.2, 5), want, rtol=1e-12)


def _scaled_square(x, c=1.0, shift=0.0):
    return float(np.sum(c * (x + shift) ** 2))


def test_function_transforms_take_keyword_arguments():
    """``grad(f)(x, c=3.0)`` (``value_and_grad``, ``hessian``): a parameter given by
    name, the ones before it left out taking their defaults (a TypeError
    said ``f`` had no parameter ``c``)."""
    x = np.array([0.7, 1.2, 0.9])
    ad = adcompiler
    np.testing.assert_allclose(ad.grad(_scaled_square)(x, c=3.0), 6.0 * x)
    np.testing.assert_allclose(ad.grad(_scaled_square)(x, shift=0.5), 2.0 * (x + 0.5))
    value, g = ad.value_and_grad(_scaled_square, argnums=(0, 1))(x, c=3.0)
    assert value == pytest.approx(3.0 * np.sum(x ** 2))
    np.testing.assert_allclose(g[0], 6.0 * x)
    assert g[1] == pytest.approx(np.sum(x ** 2))
    np.testing.assert_allclose(ad.hessian(_scaled_square)(x, c=3.0), 6.0 * np.eye(3))
    with pytest.raises(ad.AdCompilerError, match="do not match"):
        ad.grad(_scaled_square)(x, cc=3.0)


def test_gradient_and_hessian_take_keyword_arguments_directly():
    """``gradient(f, x, c=3.0)`` and ``hessian(f, x, c=3.0)`` as the transforms take them."""
    ad = adcompiler
    x = np.array([0.7, 1.2, 0.9])
    g = ad.gradient(_scaled_square, x, c=3.0)
    np.testing.assert_allclose(g[0], 6.0 * x)
    assert g[1] == pytest.approx(np.sum(x ** 2))
    np.testing.assert_allclose(ad.gradient(_scaled_square, x, shift=0.5, wrt=0)[0], 2.0 * (x + 0.5))
    np.testing.assert_allclose(ad.hessian(_scaled_square, x, c=3.0), 6.0 * np.eye(3))


def trajectory(y0, k, dt, n):
    out = np.zeros((n + 1, y0.shape[0]))
    y = y0.copy()
    out[0] = y
    for i in range(n):
        y -= dt * k * y ** 3
        out[i + 1] = y
    return out


def nothing_returned(y, k):
    y *= k


@pytest.mark.parametrize("f", [trajectory, nothing_returned])
def test_transforms_of_a_number_refuse_other_returns_in_their_words(f):
    """grad and vjp without out= need a float: an array (or nothing) returned is refused
    naming the transform, not a return activity the user never chose."""
    args = (np.ones(2), 0.5, 0.1, 4) if f is trajectory else (np.ones(2), 0.5)
    for entry, call in (("vjp", lambda: vjp(f, *args)), ("grad", lambda: grad(f, 1)(*args)),
                        ("grad", lambda: value_and_grad(f)(*args))):
        with pytest.raises(AdCompilerError, match=f"{entry} without out= needs `{f.__name__}` to return a number") as e:
            call()
        assert "return activity" not in str(e.value) and e.value.lineno is not None


def _quartic(x):
    return float(np.sum(x ** 4))


@pytest.mark.parametrize("call", [lambda x: grad(grad(_quartic))(x),
                                  lambda x: adcompiler.hvp(grad(_quartic), (x,), (x,)),
                                  lambda x: jvp(value_and_grad(_quartic), (x,), (x,))])
def test_a_transform_of_a_transform_is_refused_pointing_to_hessian(call):
    """grad(grad(f)) and the like: refused at the user's function with hessian/hvp as the
    way (it blamed functools.wraps at a line of adcompiler's own transforms)."""
    with pytest.raises(AdCompilerError, match="transform of a transform") as e:
        call(np.array([0.5, -1.0]))
    assert "hessian" in str(e.value) and e.value.filename == __file__


def _interp_loss(x, xp, fp):
    return float(np.sum(np.interp(x, xp, fp) ** 2))


def _interp_out(y, x, xp, fp):
    y[:] = np.interp(x, xp, fp) * x


def test_a_grid_without_derivative_is_left_out_of_vjp_and_gradient():
    """vjp and gradient differentiate every float array: np.interp's grid ``xp``, read only
    and without a derivative, is a constant there (its entry None, and a warning says so),
    as jvp and grad with argnums make it (the refusal said to make it constant, which they
    cannot). The only argument is never left out: its refusal stands (test_parameters)."""
    from adcompiler import gradient
    x, xp, fp = np.array([0.3, 1.7, 2.2]), np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.5, 1.5, 0.2, 1.0])
    want = grad(_interp_loss, argnums=(0, 2))(x, xp, fp)
    with pytest.warns(UserWarning, match="`xp` is taken as a constant"):
        value, pull = vjp(_interp_loss, x, xp, fp)
    got = pull(1.0)
    assert got[1] is None and value == _interp_loss(x, xp, fp)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14)
    np.testing.assert_allclose(got[2], want[1], rtol=1e-14)
    # (the warning names the line of the call without a derivative, in the function)
    with pytest.warns(UserWarning, match=r"test_transforms.py:\d+: .*`xp` is taken as a constant"):
        g = gradient(_interp_loss, x, xp, fp)
    assert g[1] is None
    np.testing.assert_allclose(g[0], want[0], rtol=1e-14)
    _, pull = vjp(_interp_out, np.zeros(3), x, xp, fp, out="y")
    ct = np.array([1.0, -2.0, 0.5])
    with pytest.warns(UserWarning, match="`xp` is taken as a constant"):
        cot = pull(ct)
    assert cot[2] is None
    eps = 1e-6
    for k in range(3):
        e = np.eye(3)[k] * eps
        plus, minus = np.zeros(3), np.zeros(3)
        _interp_out(plus, x + e, xp, fp)
        _interp_out(minus, x - e, xp, fp)
        np.testing.assert_allclose(cot[1][k], ct @ (plus - minus) / (2 * eps), rtol=1e-6)


_G = np.array([1.0, 2.0, 3.0])


def _reads_g(x):
    return np.sum(x * _G)


def _doubles_and_reads_g(x):
    x *= 2.0
    return _reads_g(x)


@pytest.mark.parametrize("call", [
    lambda x: adcompiler.grad(_doubles_and_reads_g)(x),
    lambda x: adcompiler.value_and_grad(_doubles_and_reads_g)(x),
    lambda x: adcompiler.jvp(_doubles_and_reads_g, (x,), (np.ones(3),)),
    lambda x: adcompiler.jacobian(_doubles_and_reads_g, x, out=0),
    lambda x: adcompiler.vjp(_doubles_and_reads_g, x, out=0),
    lambda x: adcompiler.hvp(_doubles_and_reads_g, (x,), (np.ones(3),)),
])
def test_a_written_argument_that_is_an_array_the_module_reads_is_refused(call):
    """The transforms run on copies: a written argument that is ``_G`` itself, which a
    helper reads from the module, would leave ``_G`` as it was (the function of numpy
    gives 56 where the copy gives 28). Refused as ``autodiff`` refuses it."""
    before = _G.copy()
    with pytest.raises(AdCompilerError, match="memory of `_G`"):
        call(_G)
    assert np.array_equal(_G, before)
    # a copy is differentiated: 2 * _G, against the finite differences of the function
    x = _G.copy()
    g = adcompiler.grad(_doubles_and_reads_g)(x)
    e = np.eye(3) * 1e-6
    fd = [(_doubles_and_reads_g(x + e[i]) - _doubles_and_reads_g(x - e[i])) / 2e-6 for i in range(3)]
    assert np.allclose(g, fd)


def test_an_argument_the_function_only_reads_may_be_an_array_of_its_module():
    """Not written, the copy and the original give the same values: the partial derivative
    with the module's array held fixed, 2 x _G."""
    def quadratic(x):
        return np.sum(x * _G * x)
    assert np.allclose(adcompiler.grad(quadratic)(_G), 2 * _G * _G)


def _squares(s, a):
    s[:] = a * a


def test_the_pullback_of_vjp_with_out_is_taken_where_vjp_was_called():
    """The caller changes its array between ``vjp`` and the pullback (an optimiser's
    step): the pullback is the derivative at the outputs' point, 2a of the old a
    (it was 2a of the new one), as autograd's vjp gives."""
    a = np.array([1.0, 2.0, 3.0])
    outs, pullback = vjp(_squares, np.zeros(3), a, out="s")
    a += 10.0
    got = pullback(np.ones(3))[1]
    ref = autograd.make_vjp(lambda v: v * v)(np.array([1.0, 2.0, 3.0]))[0](np.ones(3))
    assert np.allclose(outs, [1.0, 4.0, 9.0]) and np.allclose(got, ref)


_RATE = 0.5
_WEIGHTS = np.full(3, 0.5)


def _scaled_squares(s, x):
    s[:] = _RATE * _WEIGHTS * x ** 2


def test_the_pullback_of_vjp_refuses_module_values_changed_since():
    """The pullback runs the function again: a module value bound again or an array written
    between vjp and the pullback gave the derivative at the new value ([10, 20, 30] for
    outputs computed with the old one); refused now. Unchanged, it is autograd's."""
    global _RATE
    x = np.array([1.0, 2.0, 3.0])
    _, pullback = vjp(_scaled_squares, np.zeros(3), x, out="s")
    np.testing.assert_allclose(pullback(np.ones(3))[1],
                               autograd.grad(lambda v: anp.sum(0.25 * v ** 2))(x), rtol=1e-14)
    try:
        _RATE = 5.0
        with pytest.raises(AdCompilerError, match="`_RATE`.*changed since vjp was called"):
            pullback(np.ones(3))
    finally:
        _RATE = 0.5
    _, pullback = vjp(_scaled_squares, np.zeros(3), x, out="s")
    _WEIGHTS[:] = 5.0
    try:
        with pytest.raises(AdCompilerError, match="`_WEIGHTS`"):
            pullback(np.ones(3))
    finally:
        _WEIGHTS[:] = 0.5


_C0 = np.array([0.5, 1.5, 1.1])


def _scaled_by_default(x, c=_C0):
    x *= c
    return np.sum(x)


@pytest.mark.parametrize("call", [
    lambda x: adcompiler.gradient(_scaled_by_default, x),
    lambda x: adcompiler.grad(_scaled_by_default)(x),
    lambda x: adcompiler.value_and_grad(_scaled_by_default)(x),
    lambda x: adcompiler.vjp(_scaled_by_default, x)[1](1.0),
    lambda x: adcompiler.jvp(_scaled_by_default, (x,), (np.ones(3),)),
    lambda x: adcompiler.hvp(_scaled_by_default, (x,), (np.ones(3),)),
], ids=["gradient", "grad", "value_and_grad", "vjp", "jvp", "hvp"])
def test_an_argument_that_is_an_omitted_default_and_written_is_refused(call):
    """``f(_C0)`` for ``def f(x, c=_C0): x *= c`` squares ``_C0``: the transforms' copy of ``x``
    left ``c`` the default's memory, and the derivative was that of x times a constant,
    silently. Refused as ``autodiff`` refuses it; a copy is differentiated as written."""
    before = _C0.copy()
    with pytest.raises(AdCompilerError, match="default value of `c`|share memory"):
        call(_C0)
    assert np.array_equal(_C0, before)
    np.testing.assert_allclose(adcompiler.grad(_scaled_by_default)(_C0.copy()), _C0)


def _scaled_in_float32(x, a, n):
    for i in range(x.shape[0]):
        x[i] = x[i] * a + n
    return float(np.sum(x ** 2)) * a


def test_a_float32_number_keeps_its_precision():
    """``value_and_grad``, ``vjp`` and ``jvp`` made an np.float32 argument a Python float: the
    primal they returned was computed in double precision, not the function's float32."""
    import adcompiler as ad
    x = np.random.default_rng(3).uniform(0.2, 1.2, 6)
    a = np.float32(1.3)
    want = _scaled_in_float32(x.copy(), a, 2)
    assert isinstance(want, np.float32)
    got = [ad.value_and_grad(_scaled_in_float32, argnums=(0, 1))(x.copy(), a, 2)[0],
           ad.vjp(_scaled_in_float32, x.copy(), a, 2)[0],
           ad.jvp(_scaled_in_float32, (x.copy(), a, 2), (np.ones(6), 1.0, None))[0]]
    for v in got:
        assert type(v) is np.float32 and v == want
    h = 1e-3   # (the derivative in a, against central differences in double precision)
    fd = (_scaled_in_float32(x.copy(), 1.3 + h, 2) - _scaled_in_float32(x.copy(), 1.3 - h, 2)) / (2 * h)
    assert ad.gradient(_scaled_in_float32, x.copy(), a, 2, wrt=1)[1] == pytest.approx(fd, rel=1e-5)
    tangent = ad.jvp(_scaled_in_float32, (x.copy(), a, 2), (np.zeros(6), 1.0, None))[1]
    assert tangent == pytest.approx(fd, rel=1e-5)


def _soft_f32(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += np.exp(x[i])
    return s


def _double_into(y, x):
    for i in range(x.shape[0]):
        y[i] = 2.0 * x[i] ** 2


def test_hessian_and_jacobian_of_float32_keep_float32():
    # (hessian took np.asarray(x, dtype=float): the Hessian of the float64 function, finite where the
    # function overflows in float32; jacobian's matrix was float64)
    x = np.array([1.0, 90.0], np.float32)
    H = ad.hessian(_soft_f32, x.copy())
    assert H.dtype == np.float32
    for k in range(2):
        e = np.zeros(2, np.float32)
        e[k] = 1.0
        np.testing.assert_array_equal(H[:, k], ad.hvp(_soft_f32, (x.copy(),), (e,))[0])
    assert np.isinf(H[1, 1])
    J = ad.jacobian(_double_into, np.zeros(2, np.float32), np.ones(2, np.float32), out=0, wrt=1)
    assert J.dtype == np.float32
    np.testing.assert_allclose(J, np.diag([4.0, 4.0]))


def test_a_complex_tangent_of_a_real_array_is_refused():
    # (its imaginary part was dropped by numpy's cast, with only a ComplexWarning)
    x = np.array([0.5, 1.0, 1.5])
    t = np.array([1.0, 2.0, 3.0]) * (1 + 1j)
    with pytest.raises(ad.AdCompilerError, match="tangent of argument 1 is complex"):
        ad.jvp(_double_into, (np.zeros(3), x), (None, t), out="y")
    _, pullback = ad.vjp(_double_into, np.zeros(3), x, out="y")
    with pytest.raises(ad.AdCompilerError, match="cotangent of output 0 is complex"):
        pullback(t)
    with pytest.raises(ad.AdCompilerError, match="direction of argument 0 is complex"):
        ad.hvp(lambda v: float(np.sum(v * v)), (x,), (t,))


def _int_when_empty(x, t):
    s = 0
    for i in range(x.shape[0]):
        if x[i] > t:
            s += x[i] * 2.0
    return s


def test_jvp_of_a_function_returning_an_int_where_no_float_met_it():
    # (refused: "needs ... to return a number; it returned int"; value_and_grad gave 0.0)
    assert ad.jvp(_int_when_empty, (np.array([1.0, 2.0]), 5.0), (np.ones(2), None)) == (0.0, 0.0)
    assert ad.jvp(_int_when_empty, (np.array([1.0, 7.0]), 5.0), (np.ones(2), None)) == (14.0, 2.0)


def _root(s):
    return math.sqrt(s)


def _powers(s):
    return s ** 0.5 + pow(s, 0.3) + math.pow(s, 0.7) + math.asin(s / 10) + math.acosh(s + 2.0)


def norm_by_helper(x):
    return _root(float(np.sum(x * x)))


def powers_by_helper(x):
    return _powers(float(np.sum(x * x)))


@pytest.mark.parametrize("f", [norm_by_helper, powers_by_helper], ids=lambda f: f.__name__)
def test_hessian_through_a_helper_returning_a_root(f):
    # math.sqrt's adjoint converted its result with np.float64, which the code differentiated again
    # refused as a conversion of an array (the helper's result had no known rank there)
    x = np.array([0.3, -1.2, 0.5])
    H = ad.hessian(f, x)
    h = 1e-6
    fd = np.array([(ad.gradient(f, x + h * e)[0] - ad.gradient(f, x - h * e)[0]) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-8)
    if f is norm_by_helper:   # (the closed form: (I - u u^T) / |x|, u = x / |x|)
        r = np.linalg.norm(x)
        np.testing.assert_allclose(H, (np.eye(3) - np.outer(x, x) / r ** 2) / r, rtol=1e-12)
