"""The JAX adapter: custom_vjp around pure_callback, built on split mode."""
import numpy as np
import pytest

from adcompiler.errors import AdCompilerError
from adcompiler.tapes.differentiate import differentiate

from . import kernels as K
from .conftest import require

jax = require("jax")
jnp = jax.numpy


@pytest.fixture(autouse=True)
def x64():
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", prev)


def _pair(seed=0, n=6):
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.normal(size=n)), jnp.asarray(rng.normal(size=n))


@pytest.mark.parametrize("jit", [False, True])
def test_seed_matches_direct_formula(thunk, jit):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _pair()

    def g1(a, b):
        return jnp.sum((a + b) ** 2)

    def g2(a, b):
        return jnp.sum(f(a, b) ** 2)

    grad1, grad2 = jax.grad(g1, (0, 1)), jax.grad(g2, (0, 1))
    if jit:
        grad1, grad2 = jax.jit(grad1), jax.jit(grad2)
    r1, r2 = grad1(a, b), grad2(a, b)
    for x1, x2 in zip(r1, r2):
        assert x2.dtype == jnp.float64
        np.testing.assert_allclose(x2, 2 * (a + b), rtol=1e-13)
        np.testing.assert_allclose(x1, x2, rtol=1e-13)


def test_jit_value_and_repeated_calls(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _pair(1)
    step = jax.jit(jax.value_and_grad(lambda a, b: jnp.sum(f(a, b) ** 2)))
    for _ in range(3):
        v, g = step(a, b)
        np.testing.assert_allclose(v, np.sum((a + b) ** 2))
        np.testing.assert_allclose(g, 2 * (a + b))
    assert (thunk.primal_runs, thunk.rev_calls) == (3, 3)


def test_float32_without_x64(thunk):
    jax.config.update("jax_enable_x64", False)
    f = differentiate(K.seed_, out="s", like="a")
    a, b = jnp.ones(3), jnp.arange(3.0)
    g = jax.grad(lambda a: jnp.sum(f(a, b) ** 2))(a)
    assert g.dtype == jnp.float32
    np.testing.assert_allclose(g, 2 * (a + b))


def test_one_primal_run_and_cotangent_unchanged(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _pair(2)
    _out, vjp = jax.vjp(f, a, b)
    g = jnp.asarray([1.0, -2.0, 3.0, 0.5, 0.0, 7.0])
    g_ref = np.array(g)
    da, db = vjp(g)
    np.testing.assert_array_equal(np.asarray(g), g_ref)
    np.testing.assert_allclose(da, g_ref)
    np.testing.assert_allclose(db, g_ref)
    assert (thunk.primal_runs, thunk.rev_calls) == (1, 1)


def test_several_outputs_and_active_scalar(thunk):
    f = differentiate(K.two_out_, out=("s", "t"), like="a")
    a, _ = _pair(3)
    x = 1.3

    def loss(a, x):
        s, t = f(a, x)
        return jnp.sum(s * t) + 3.0 * jnp.sum(s)

    da, dx = jax.jit(jax.grad(loss, (0, 1)))(a, x)
    np.testing.assert_allclose(da, x * np.sin(a) + a * x * np.cos(a) + 3 * x, rtol=1e-12)
    np.testing.assert_allclose(dx, np.sum(a * np.sin(a)) + 3 * np.sum(a), rtol=1e-12)


def test_in_out_argument(thunk):
    f = differentiate(K.scale_inplace_, out="u")
    u, c = _pair(4)
    du, dc = jax.grad(lambda u, c: jnp.sum(f(u, c) ** 2), (0, 1))(u, c)
    np.testing.assert_allclose(du, 2 * u * c * c)
    np.testing.assert_allclose(dc, 2 * u * c * u)


def test_float_return_and_const(thunk):
    f = differentiate(K.sum_sq_)
    a, _ = _pair(5)
    np.testing.assert_allclose(jax.grad(lambda a: f(a, 3))(a), 6 * a)
    g = differentiate(K.seed_, out="s", like="a", const=("b",))
    db = jax.grad(lambda b: jnp.sum(g(a, b)))(a)
    np.testing.assert_array_equal(db, np.zeros(6))


def test_vmap_and_jacrev(thunk):
    f = differentiate(K.two_out_, out=("s", "t"), like="a")
    rng = np.random.default_rng(6)
    A = jnp.asarray(rng.normal(size=(3, 4)))
    s, t = jax.vmap(lambda a: f(a, 2.0))(A)
    np.testing.assert_allclose(s, 2.0 * A)
    np.testing.assert_allclose(t, np.sin(A))
    G = jax.vmap(jax.grad(lambda a: jnp.sum(f(a, 2.0)[1])))(A)
    np.testing.assert_allclose(G, np.cos(A))
    J = jax.jacrev(lambda a: f(a, 2.0)[1])(A[0])
    np.testing.assert_allclose(J, np.diag(np.cos(A[0])), atol=1e-15)


def test_mixed_frameworks_are_refused(thunk):
    torch = require("torch")
    f = differentiate(K.seed_, out="s", like="a")
    with pytest.raises(AdCompilerError, match="several frameworks"):
        f(jnp.ones(3), torch.ones(3))


def test_jit_primal_and_unperturbed_operand_is_const(thunk):
    from adcompiler.activity import Const, Duplicated
    f = differentiate(K.seed_, out="s", like="a")
    a, b = _pair(7)
    np.testing.assert_allclose(jax.jit(f)(a, b), a + b)
    assert thunk.rev_calls == 0 and thunk.fwd_calls == 0
    g = jax.grad(lambda a, b: jnp.sum(f(a, b) ** 2))(a, b)
    np.testing.assert_allclose(g, 2 * (a + b))
    assert f.last_activities == (Duplicated, Duplicated, Const)


def test_constants_that_compare_equal_are_not_one_call(thunk):
    """0.0 and -0.0 (or 10**20 and 1e20 in a tuple) compare equal but give other
    results: each call runs with its own constant."""
    f = differentiate(K.signed_angle, out="s", like="a")
    a = jnp.ones(3)
    np.testing.assert_allclose(f(a, 0.0), np.pi)
    np.testing.assert_allclose(f(a, -0.0), -np.pi)
    g = differentiate(K.big_offset, out="s", like="a")
    np.testing.assert_allclose(g(a, (10 ** 20,)), 1.0)
    np.testing.assert_allclose(g(a, (1e20,)), 0.0)


def _sines_(y, x):
    for i in range(x.shape[0]):
        y[i] = np.sin(x[i]) * x[i]


def _quartic(x):
    e = 0.0
    for i in range(x.shape[0]):
        e += x[i] ** 4
    return e


def test_a_vjp_function_called_again():
    """A Jacobian row by row from one jax.vjp: the record is kept for the calls after the first."""
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    step = differentiate(_sines_, out="y", like="x")
    x = jax.numpy.array([0.1, 0.2, 0.3])
    _, pullback = jax.vjp(step, x)
    rows = np.stack([np.asarray(pullback(e)[0]) for e in jax.numpy.eye(3)])
    xn = np.asarray(x)
    np.testing.assert_allclose(rows, np.diag(np.cos(xn) * xn + np.sin(xn)), rtol=1e-12)
    both = jax.jit(lambda c: pullback(c)[0] + pullback(2.0 * c)[0])(jax.numpy.ones(3))
    np.testing.assert_allclose(np.asarray(both), 3.0 * (np.cos(xn) * xn + np.sin(xn)), rtol=1e-12)


@pytest.mark.parametrize("how", ["grad_of_grad", "hessian"])
def test_second_derivatives_under_jax_refused_with_the_kernel_named(how):
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    energy = differentiate(_quartic)
    x = jax.numpy.array([0.1, 0.2, 0.3])
    with pytest.raises(AdCompilerError, match="_quartic: an adcompiler kernel under JAX is differentiated once"):
        if how == "hessian":
            jax.hessian(energy)(x)
        else:
            jax.grad(lambda x: jax.grad(energy)(x).sum())(x)


def _returns_a_float_(x):
    x[:] = x ** 2
    return float(np.sum(x))


def test_a_kernel_returning_a_value_with_out_refused_at_its_line_under_jit():
    """Said before the kernel runs (under jax.jit the callback's error was JAX's INTERNAL error)."""
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    D = differentiate(_returns_a_float_, out="x")
    with pytest.raises(AdCompilerError, match=r"test_jax\.py:\d+: _returns_a_float_ returns a value although out=.*"
                                              r"scratch=\['x'\] instead of out="):
        jax.jit(jax.grad(lambda x: jax.numpy.sum(D(x))))(np.array([1.0, 2.0]))


def _pair_energy_(x, f):
    e = 0.0
    f[:] = 0.0
    for i in range(x.shape[0]):
        for j in range(i + 1, x.shape[0]):
            r = x[j] - x[i]
            e += 1.0 / (r * r)
            f[i] -= 2.0 / (r * r * r)
            f[j] += 2.0 / (r * r * r)
    return e


def test_the_hint_of_a_kernel_returning_a_value_with_out_works():
    """An energy-and-forces kernel given out="f" is refused, saying to name f with scratch=;
    so named, jax.grad of the energy is the finite difference's (and minus the forces)."""
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    x = np.array([0.0, 1.1, 2.3, 3.2])
    with pytest.raises(AdCompilerError, match=r"scratch=\['f'\] instead of out="):
        jax.grad(lambda y: differentiate(_pair_energy_, out="f", like={"f": "x"})(y)[0])(x)
    D = differentiate(_pair_energy_, scratch="f")
    got = np.asarray(jax.grad(lambda y: D(y, jax.numpy.zeros(4)))(x))
    h, fd = 1e-6, np.zeros(4)
    for i in range(4):
        e = np.zeros(4)
        e[i] = h
        fd[i] = (_pair_energy_(x + e, np.zeros(4)) - _pair_energy_(x - e, np.zeros(4))) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=1e-6)
    forces = np.zeros(4)
    _pair_energy_(x, forces)
    np.testing.assert_allclose(got, -forces, rtol=1e-12)


def _squares_up_to(y, x, n):
    for i in range(n):
        y[i] = x[i] ** 2


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_an_integer_argument_under_jit_is_a_number_again(backend):
    """``jax.jit`` traces an int argument: it reached the kernel as a 0-d array,
    which numba's ``range`` does not take (JAX's INTERNAL callback error)."""
    jnp = jax.numpy
    f = differentiate(_squares_up_to, out="y", like="x", backend=backend)
    x = jnp.array([0.7, 1.2, 0.9, 1.1])
    g = jax.jit(jax.grad(lambda x, n: jnp.sum(f(x, n))))(x, 3)
    np.testing.assert_allclose(np.asarray(g), [1.4, 2.4, 1.8, 0.0], rtol=1e-12)


def _column_sums_into(A, c):
    c += A.sum(axis=0)


@pytest.mark.parametrize("jit", [False, True])
def test_an_empty_matrix(jit):
    """A (0, 3) array: JAX's zero-size shadow has strides (0, 0), which the layout
    check refused (an empty array has no layout)."""
    F = differentiate(_column_sums_into, out="c")
    grad = jax.grad(lambda A, c: jnp.sum(F(A, c)), (0, 1))
    gA, gc = (jax.jit(grad) if jit else grad)(jnp.zeros((0, 3)), jnp.ones(3))
    assert gA.shape == (0, 3)
    np.testing.assert_array_equal(np.asarray(gc), np.ones(3))


@differentiate
def _energy(x):
    return float(np.sum(2.0 * x ** 2))


def _energy_plus_sum(x):
    return _energy(x) + float(np.sum(x))


def test_a_wrapped_function_used_by_jax_then_called_in_differentiated_code():
    """After jax.grad the wrapped function's caches hold a custom_vjp, which the copy of
    the calling code's tree tried to copy (TypeError)."""
    from adcompiler import gradient
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(np.asarray(jax.grad(_energy)(jnp.asarray(x))), 4 * x, rtol=1e-15)
    np.testing.assert_allclose(gradient(_energy_plus_sum, x)[0], 4 * x + 1, rtol=1e-15)


def _counted_energy(v, wts):
    idx = np.floor(v).astype(np.int64)
    u, counts = np.unique(idx, return_counts=True)
    return np.sum(wts[:u.shape[0]] ** 2 * counts)


def test_a_numba_refusal_under_jit_is_adcompilers():
    """What numba cannot type is refused at its first call: under jax.jit that call was inside
    a callback, and the refusal reached the user as JAX's runtime error. The halves are now
    compiled for the arguments' types when the call is traced, and the refusal is raised there."""
    require("numba")
    from adcompiler.errors import BackendError
    pure = differentiate(_counted_energy, backend="numba")
    v, w = jnp.asarray([0.5, 1.5, 2.5, 1.2]), jnp.asarray([1.0, 2.0, 0.5, 1.0])
    with pytest.raises(BackendError, match=r"test_jax.py:\d+"):
        jax.jit(jax.grad(lambda w: pure(v, w)))(w)
    auto = differentiate(_counted_energy, backend="auto")   # (auto runs it on numpy)
    got = jax.jit(jax.grad(lambda w: auto(v, w)))(w)
    np.testing.assert_allclose(got, [2.0, 8.0, 1.0, 0.0])   # (2 w counts: bins 0, 1, 2 counted 1, 2, 1)


def _doubled_into(y, x):
    y[:] = 2.0 * x


def test_a_pullback_whose_record_is_gone_is_refused_at_the_kernel():
    # (the refusal named no file or line)
    k = differentiate(_doubled_into, out="y", like="x")
    x = jnp.ones(3)
    _, pull = jax.vjp(k, x)
    pull(jnp.ones(3))
    for _ in range(5):
        jax.grad(lambda v: jnp.sum(k(v)))(x)
    with pytest.raises(Exception, match=r"test_jax\.py:\d+: `_doubled_into`: .*record of this call is gone"):
        pull(jnp.ones(3))


def _squares_cycled_(s, x, n):
    for i in range(n):
        s[i] = x[i % x.shape[0]] ** 2


def test_like_a_function_of_an_operands_value_is_not_cached_by_shape():
    """``like=lambda x, n: (int(n),)``: the adapter kept one custom_vjp per operand shape, so a second
    call with another n reused the first's output shape (JAX's error about the callback's shape)."""
    f = differentiate(_squares_cycled_, out="s", like=lambda x, n: (int(n),))
    x = jnp.arange(1.0, 6.0)
    assert f(x, jnp.asarray(3)).shape == (3,)
    np.testing.assert_allclose(np.asarray(f(x, jnp.asarray(7))), np.arange(1.0, 6.0)[np.arange(7) % 5] ** 2)
    g = jax.grad(lambda x: jnp.sum(f(x, jnp.asarray(7))))(x)
    np.testing.assert_allclose(np.asarray(g), 2 * np.arange(1.0, 6.0) * np.bincount(np.arange(7) % 5, minlength=5))
