"""A ``functools.partial`` of a kernel is differentiated as the kernel with the bound
values as constants (``frontend/partials.py``), at every entry point, as an entry
and as a helper a kernel calls; forms it does not cover are refused as before."""
import functools

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient
from optional import require

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def _step(x, y, c, scale=1.0):
    y[1:] += c * scale * x[:-1] * x[1:]
    y[0] = np.sin(x[0]) * c


def _energy(k, x, w):
    return np.sum(k * w * x ** 2) + np.sum(x[1:] * x[:-1])


def _xs():
    return np.array([0.4, -1.1, 0.8, 1.7])


def _d(v):
    return Duplicated(v.copy(), np.zeros_like(v))


def test_keywords_bound():
    p = functools.partial(_step, c=2.0, scale=0.5)
    check_everywhere(p, _d(_xs()), _d(np.ones(4)), out=("y",), tapes=("autograd", "jax", "torch"))


def test_positional_and_array_bound():
    w = np.array([1.0, 2.0, 0.5, 3.0])
    p = functools.partial(_energy, 1.5)
    check_everywhere(p, _d(_xs()), Const(w), out=(), tapes=("autograd", "jax", "torch"))
    q = functools.partial(_energy, 1.5, w=w)
    check_everywhere(q, _d(_xs()), out=(), tapes=("autograd", "jax", "torch"))
    got = ad.gradient(q, _xs())[0]
    x = _xs()
    want = 2 * 1.5 * w * x + np.r_[x[1:], 0.0] + np.r_[0.0, x[:-1]]
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_default_kept_and_given():
    p = functools.partial(_step, c=1.0)
    check_everywhere(p, _d(_xs()), _d(np.ones(4)), out=("y",))
    q = functools.partial(_step)   # (nothing bound: every argument given)
    check_everywhere(q, _d(_xs()), _d(np.ones(4)), Active(1.5), Active(0.25))
    check_everywhere(functools.partial(_step, _xs() * 0.5), _d(np.ones(4)), Const(1.5), out=("y",))


_scaled_step = functools.partial(_step, c=0.7, scale=2.0)


def calls_a_partial(x, y):
    _scaled_step(x, y)
    y *= 2.0


_bound_energy = functools.partial(_energy, 1.5)


def energy_via_partial(x, w):
    return _bound_energy(x, w) * 2.0


def test_a_partial_called_as_a_helper():
    check_everywhere(calls_a_partial, _d(_xs()), _d(np.ones(4)), out=("y",), tapes=("autograd", "jax", "torch"))


def test_numba_backend():
    check_numba_gradient(functools.partial(_energy, 1.5), _d(_xs()), Const(np.array([1.0, 2.0, 0.5, 3.0])))
    check_numba_gradient(energy_via_partial, _d(_xs()), Const(np.array([1.0, 2.0, 0.5, 3.0])))


def test_numba_refuses_a_bound_array_by_its_parameter_name():
    require("numba")
    p = functools.partial(_energy, 1.5, w=np.array([1.0, 2.0, 0.5, 3.0]))
    with pytest.raises(ad.AdCompilerError, match="array `w`"):
        ad.gradient(p, _xs(), backend="numba")
    np.testing.assert_allclose(ad.gradient(p, _xs(), backend="auto")[0], ad.gradient(p, _xs())[0], rtol=1e-13)


def test_hessian_against_the_closed_form():
    w = np.array([1.0, 2.0, 0.5, 3.0])
    H = ad.hessian(functools.partial(_energy, 1.5, w=w), _xs())
    want = np.diag(2 * 1.5 * w) + np.eye(4, k=1) + np.eye(4, k=-1)
    np.testing.assert_allclose(H, want, rtol=1e-12, atol=1e-12)


def _writes_bound(x, buf):
    buf[:] = x * 2.0
    return np.sum(buf * x)


def test_a_bound_array_written_is_refused():
    p = functools.partial(_writes_bound, buf=np.zeros(4))
    with pytest.raises(ad.AdCompilerError) as e:
        ad.gradient(p, _xs())
    assert e.value.filename == __file__


def _three(x, c, y):
    y[:] = x * c


def test_a_parameter_after_a_keyword_bound_one_is_refused_as_before():
    p = functools.partial(_three, c=2.0)   # (Python gives y only by keyword then)
    with pytest.raises(ad.AdCompilerError, match="functools.partial") as e:
        ad.autodiff(ad.Reverse, p, None, _d(_xs()), _d(np.zeros(4)))
    assert e.value.filename == __file__


def test_a_value_a_tape_tracks_bound_is_refused():
    require("jax")
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def loss(c):
        k = ad.differentiate(functools.partial(_step, c=c), out="y")
        return jnp.sum(k(jnp.asarray(_xs()), jnp.zeros(4)))
    with pytest.raises(ad.AdCompilerError, match="functools.partial"):
        jax.grad(loss)(2.0)


def test_active_scalar_through_a_partial():
    def f(x, a, k):
        return np.sum(x * a * k)
    p = functools.partial(f, k=3.0)
    got = ad.autodiff(ad.Reverse, p, Active, _d(_xs()), Active(0.5))
    assert np.isclose(got[1], 3.0 * np.sum(_xs()))


def _kern(x, c):
    return np.sum(x * x * c)


def test_keywords_set_anew_are_read():
    """A partial's keywords (a dict) set after its first derivative: the derivative, the value
    and the differentiate object read the new value."""
    x = _xs()
    p = functools.partial(_kern, c=2.0)
    np.testing.assert_allclose(ad.gradient(p, x.copy())[0], 4.0 * x)
    p.keywords["c"] = 5.0
    np.testing.assert_allclose(ad.gradient(p, x.copy())[0], 10.0 * x)
    value, _ = ad.value_and_grad(p)(x.copy())
    assert value == pytest.approx(p(x.copy()))
    import autograd
    q = functools.partial(_kern, c=2.0)
    D = ad.differentiate(q)
    np.testing.assert_allclose(autograd.grad(D)(x.copy()), 4.0 * x)
    q.keywords["c"] = 6.0
    np.testing.assert_allclose(autograd.grad(D)(x.copy()), 12.0 * x)
    assert D(x.copy()) == pytest.approx(q(x.copy()))


def _with_defaults(x, y=1.5, c=0.0):
    return np.sum(x * x * y) + c * np.sum(x)


def test_defaults_set_anew_are_read():
    x = _xs()
    p = functools.partial(_with_defaults, c=2.0)
    saved = _with_defaults.__defaults__
    try:
        np.testing.assert_allclose(ad.gradient(p, x.copy())[0], 3.0 * x + 2.0)
        _with_defaults.__defaults__ = (3.0, 0.0)
        np.testing.assert_allclose(ad.gradient(p, x.copy())[0], 6.0 * x + 2.0)
    finally:
        _with_defaults.__defaults__ = saved


_scaled_sum = lambda x, c: np.sum(x * x) * c   # (a module's lambda)


def test_a_partial_of_a_lambda():
    np.testing.assert_allclose(ad.gradient(functools.partial(_scaled_sum, c=2.0), _xs())[0], 4.0 * _xs())


def _reads_a_parameter_by_a_ufunc(x, c):
    return np.sum(np.cos(x)) * c


def test_differentiate_reads_the_writes_of_the_function_itself():
    """The bare differentiate of a partial was refused as writing ``x`` (its source read at the
    wrong place)."""
    import autograd
    D = ad.differentiate(functools.partial(_reads_a_parameter_by_a_ufunc, c=2.0))
    np.testing.assert_allclose(autograd.grad(D)(_xs()), -2.0 * np.sin(_xs()))


# --- a partial given as an argument: a right-hand side handed to an integrator ---

def _lorenz(y, sigma=10.0, rho=28.0, beta=8 / 3):
    return np.array([sigma * (y[1] - y[0]), y[0] * (rho - y[2]) - y[1], y[0] * y[1] - beta * y[2]])


def _linear(y, A):
    return A @ y


def _integrate(f, y0, dt, n: int):
    y = y0.copy()
    for _ in range(n):
        k1 = f(y)
        k2 = f(y + 0.5 * dt * k1)
        y = y + dt * k2
    return np.sum(y ** 2)


_integrate_pure = ad.differentiate(_integrate, const=("f", "n"))


@pytest.mark.parametrize("rhs", [functools.partial(_lorenz, sigma=9.0), functools.partial(_lorenz, rho=20.0, beta=2.0),
                                 functools.partial(_linear, A=np.array([[0.1, 0.2, 0.0], [-0.3, 0.05, 0.1],
                                                                       [0.0, 0.2, -0.1]]))])
def test_a_partial_given_as_an_argument(rhs):
    """Refused before: "calling the local variable `f` is not supported" (a plain function given
    the same way was differentiated)."""
    check_everywhere(_integrate, Const(rhs), _d(np.array([1.0, 0.5, 0.2])), Active(0.01), Const(4), ret=Active,
                     out=(), tapes=("autograd", "jax", "torch"), emitted=False)


def test_a_partial_given_anew_is_read():
    y0 = np.array([1.0, 0.5, 0.2])
    for sigma in (9.0, 5.0):
        rhs = functools.partial(_lorenz, sigma=sigma)
        got = ad.gradient(_integrate, rhs, y0, 0.01, 3)[1]
        h = 1e-6
        fd = [(_integrate(rhs, y0 + h * e, 0.01, 3) - _integrate(rhs, y0 - h * e, 0.01, 3)) / (2 * h) for e in np.eye(3)]
        np.testing.assert_allclose(got, fd, rtol=1e-6)


@pytest.mark.parametrize("tape", ["autograd", "torch", "jax"])
@pytest.mark.parametrize("form", ["partial", "closure"])
def test_a_tracked_value_inside_a_function_argument_is_refused(tape, form):
    """A matrix the tape tracks bound in the partial (or read by a lambda) given as the
    argument: "returned ArrayBox" under autograd, a TypeError under PyTorch, before."""
    A, y0 = np.array([[0.1, 0.2, 0.0], [-0.3, 0.05, 0.1], [0.0, 0.2, -0.1]]), np.array([1.0, 0.5, 0.2])

    def loss(A, y):
        f = functools.partial(_linear, A=A) if form == "partial" else (lambda v: A @ v)
        return _integrate_pure(f, y, 0.01, 3)
    match = "functools.partial" if form == "partial" else "enclosing function"
    with pytest.raises(ad.AdCompilerError, match=match):
        if tape == "autograd":
            import autograd
            autograd.grad(loss)(A, y0)
        elif tape == "torch":
            torch = require("torch")
            At = torch.tensor(A, requires_grad=True)
            loss(At, torch.tensor(y0)).backward()
        else:
            jax = require("jax")
            jax.config.update("jax_enable_x64", True)
            jax.grad(loss)(A, y0)
