"""The conservative reading of which parameters a kernel writes."""
import numpy as np
import pytest

from adcompiler.tapes.effects import written_params


def _helper(x):
    x[0] = 1.0


def k_store(s, a):
    s[1:] = a[1:]


def k_aug(s, a):
    s += a


def k_out(s, a, b):
    np.add(a, b, out=s)
    np.copyto(b, a)


def k_view(s, a):
    v = s[1:]
    w = v.T
    w[0] = a[0]


def k_call(s, a, n):
    _helper(a)
    s[:] = np.sin(a) * len(a) + float(n)


def k_method(s, a):
    a.fill(0.0)
    s[:] = a.sum() + a.copy()


def k_read_only(s, a, b):
    t = a + b
    s[...] = t


def k_either(x, y, flag):
    t = x if flag > 0 else y
    t *= 2.0


def k_either_view(x, y, z, c):
    w = (y if 0 < c < 2 else z)[1:]
    w *= 3.0
    (x if c > 0 else z)[0] = 1.0


def test_written_through_a_conditional_expression():
    """A name bound to either of two arrays (``t = x if c else y``) writes both: the
    reading took neither, and ``grad`` then refused ``y`` as a written constant."""
    assert written_params(k_either) == {"x", "y"}
    assert written_params(k_either_view) == {"x", "y", "z"}


def tern_alias(x, y, flag=1):
    t = x if flag > 0 else y
    t *= 2.0
    t[1] = t[0] * y[2]
    return float(np.sum(x * y))


def test_grad_of_a_function_writing_through_a_conditional_expression():
    from adcompiler import grad, value_and_grad
    x, y = np.array([0.7, 0.9, 1.1, 0.6]), np.array([1.2, 0.8, 0.5, 1.0])
    want = value_and_grad(tern_alias, argnums=(0, 1))(x.copy(), y.copy())[1][0]
    got = grad(tern_alias, argnums=0)(x.copy(), y.copy())
    np.testing.assert_allclose(got, want, rtol=1e-12)
    h = 1e-6
    fd = [(tern_alias(x + h * e, y.copy()) - tern_alias(x - h * e, y.copy())) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


def test_written_params():
    assert written_params(k_store) == {"s"}
    assert written_params(k_aug) == {"s"}
    assert written_params(k_out) == {"s", "b"}
    assert written_params(k_view) == {"s"}
    assert written_params(k_call) == {"s", "a"}
    assert written_params(k_method) == {"s", "a"}
    assert written_params(k_read_only) == {"s"}


def _back_sub_step(x, U, b, i):
    s = b[i]   # (a number of a vector: b is not written)
    s -= U[i, i + 1:] @ x[i + 1:]
    x[i] = s / U[i, i]


def k_helper_reads_by_element(x, U, b):
    for i in range(x.shape[0] - 1, -1, -1):
        _back_sub_step(x, U, b, i)


def _writes_through_a_slice(x):
    v = x[1:]
    v += 1.0


def k_helper_writes_through_a_slice(x):
    _writes_through_a_slice(x)


def k_nested(x, y):
    def scale(v, c):
        return v * c

    def store(out, v):
        out[:] = v
    store(y, scale(x, 2.0))


def test_direct_writes_follow_helpers_by_their_own_names():
    """The bare differentiate refuses, when it is made, only the parameters a
    kernel (or a helper it calls) writes by their own names: ``s = b[i]; s -= e``
    in a helper was taken for a write of ``b`` (the back substitution's loss
    refused); a write through a slice is still found, by the analysis later."""
    direct = {"through_memory": True, "direct": True}
    assert written_params(k_helper_reads_by_element, **direct) == {"x"}
    assert "b" in written_params(k_helper_reads_by_element)   # (the superset: copies)
    assert written_params(k_helper_writes_through_a_slice) == {"x"}
    assert written_params(k_nested) == {"y"}   # (calls of functions defined in the body are followed)
    assert written_params(k_nested, **direct) == {"y"}


def _rhs(y, p):
    return -p * y


def _euler(f, y, p, h, n):
    for _ in range(n):
        y = y + h * f(y, p)
    return y


def k_passes_its_callback_on(y0, p, f):
    y = _euler(f, y0.copy(), p, 0.1, 5)
    return float(np.sum(y ** 2))


def _stage_into(y, p, k):
    k[:] = y * p


def _integrate_into(f, y, p, k, n):
    for _ in range(n):
        f(y, p, k)
        y = y + 0.1 * k
    return y


def k_callback_writes_k(y0, p, k, f):
    return float(np.sum(_integrate_into(f, y0.copy(), p, k, 3) ** 2))


def test_a_callback_a_helper_calls_is_checked_at_the_call():
    """A function passed on to a helper that calls it (an integrator's right-hand side)
    was a call of an unknown function: every argument of it taken as written, and the bare
    differentiate refused ("writes ['p']", a float). Its writes are checked at the call,
    with the function given, as for a parameter called in the kernel itself."""
    import autograd

    from adcompiler import differentiate, gradient
    from adcompiler.errors import AdCompilerError
    assert written_params(k_passes_its_callback_on, through_memory=True, direct=True) == set()
    y0 = np.array([0.3, -0.7, 1.1])
    F = differentiate(k_passes_its_callback_on, const=("f",))
    got = autograd.grad(lambda y: F(y, 0.7, _rhs))(y0.copy())
    np.testing.assert_allclose(got, gradient(k_passes_its_callback_on, y0.copy(), 0.7, _rhs)[0], rtol=1e-14)
    y = y0.copy()
    for _ in range(5):
        y = y + 0.1 * (-0.7 * y)
    np.testing.assert_allclose(got, 2 * y * 0.93 ** 5, rtol=1e-12)
    # a callback that writes an argument: refused at the call, not differentiated
    G = differentiate(k_callback_writes_k, const=("f",))
    with pytest.raises(AdCompilerError, match="`k`"):
        autograd.grad(lambda y: G(y, 0.7, np.zeros(3), _stage_into))(y0.copy())


def k_lambda_in_a_loop(x):
    s = 0.0
    for k in range(3):
        f = lambda v: (k + 1) * v * v  # noqa: B023
        s += float(np.sum(f(x)))
    return s


def k_lambda_in_a_loop_writes(x):
    s = 0.0
    for _ in range(2):
        g = lambda v: v.fill(0.5)
        g(x)
        s += float(np.sum(x))
    return s


def k_name_bound_twice(x, flag):
    f = lambda v: v * 2.0
    if flag:
        f = np.negative
    return float(np.sum(f(x)))


def test_lambdas_bound_in_a_loop_are_followed():
    """A lambda bound in a loop's body (not at the top of the function) was a call of an unknown
    function: its argument taken as written, and the bare differentiate refused. It is read as a
    function defined in the body, once bound; a name bound to something else too stays unknown."""
    import autograd

    from adcompiler import differentiate
    direct = {"through_memory": True, "direct": True}
    assert written_params(k_lambda_in_a_loop, **direct) == set()
    assert written_params(k_lambda_in_a_loop_writes, **direct) == {"x"}
    assert written_params(k_name_bound_twice, **direct) == {"x"}
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(autograd.grad(differentiate(k_lambda_in_a_loop))(x.copy()), 12 * x, rtol=1e-14)
