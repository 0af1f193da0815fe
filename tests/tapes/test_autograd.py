"""The autograd adapter: primitive with a VJP built on split mode."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from adcompiler.tapes.differentiate import differentiate

from . import kernels as K

RNG = np.random.default_rng(0)


def test_seed_matches_direct_formula(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = RNG.normal(size=7), RNG.normal(size=7)

    def g1(a, b):
        return anp.sum((a + b) ** 2)

    def g2(a, b):
        return anp.sum(f(a, b) ** 2)

    r1 = autograd.grad(g1, (0, 1))(a, b)
    r2 = autograd.grad(g2, (0, 1))(a, b)
    np.testing.assert_allclose(r2[0], 2 * (a + b))
    np.testing.assert_allclose(r2[1], 2 * (a + b))
    np.testing.assert_allclose(r1[0], r2[0])
    np.testing.assert_allclose(r1[1], r2[1])


def test_one_primal_run_per_forward_and_backward(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = RNG.normal(size=5), RNG.normal(size=5)
    autograd.grad(lambda a: anp.sum(f(a, b) ** 2))(a)
    assert (thunk.primal_runs, thunk.rev_calls) == (1, 1)
    autograd.grad(lambda a: anp.sum(f(a, b) ** 2))(a)
    assert (thunk.primal_runs, thunk.rev_calls) == (2, 2)


def test_cotangent_is_left_unchanged(thunk):
    f = differentiate(K.seed_, out="s", like="a")
    a, b = RNG.normal(size=5), RNG.normal(size=5)
    seen = []
    vjp, _ = autograd.make_vjp(lambda a: f(a, b))(a)
    g = RNG.normal(size=5)
    g_ref = g.copy()
    seen.append(vjp(g))
    np.testing.assert_array_equal(g, g_ref)
    np.testing.assert_allclose(seen[0], g_ref)
    # the record serves a second backward pass with the same result
    np.testing.assert_allclose(vjp(g), g_ref)
    assert thunk.primal_runs == 1


def test_several_outputs_and_active_scalar(thunk):
    f = differentiate(K.two_out_, out=("s", "t"), like="a")
    a = RNG.normal(size=6)
    x = 1.7

    def loss(a, x):
        s, t = f(a, x)
        return anp.sum(s * t) + 3.0 * anp.sum(s)

    da, dx = autograd.grad(loss, (0, 1))(a, x)
    # s = a x, t = sin a: d/da = x sin a + a x cos a + 3x; d/dx = sum(a sin a) + 3 sum(a)
    np.testing.assert_allclose(da, x * np.sin(a) + a * x * np.cos(a) + 3 * x)
    np.testing.assert_allclose(dx, np.sum(a * np.sin(a)) + 3 * np.sum(a))
    assert np.ndim(dx) == 0


def test_unused_output_gets_zero_cotangent(thunk):
    f = differentiate(K.two_out_, out=("s", "t"), like="a")
    a = RNG.normal(size=4)
    da = autograd.grad(lambda a: anp.sum(f(a, 2.0)[1]))(a)
    np.testing.assert_allclose(da, np.cos(a))


def test_in_out_argument_is_copied_and_differentiated(thunk):
    f = differentiate(K.scale_inplace_, out="u")
    u, c = RNG.normal(size=5), RNG.normal(size=5)
    u_ref = u.copy()
    du, dc = autograd.grad(lambda u, c: anp.sum(f(u, c) ** 2), (0, 1))(u, c)
    np.testing.assert_array_equal(u, u_ref)
    np.testing.assert_allclose(du, 2 * u * c * c)
    np.testing.assert_allclose(dc, 2 * u * c * u)


def test_float_return_with_inferred_const(thunk):
    f = differentiate(K.sum_sq_)
    a = RNG.normal(size=5)
    np.testing.assert_allclose(autograd.grad(lambda a: f(a, 3) * 2.0)(a), 2.0 * 3 * 2 * a)


def test_const_declared_gets_zero_gradient(thunk):
    f = differentiate(K.seed_, out="s", like="a", const=("b",))
    a, b = RNG.normal(size=3), RNG.normal(size=3)
    da, db = autograd.grad(lambda a, b: anp.sum(f(a, b)), (0, 1))(a, b)
    np.testing.assert_allclose(da, np.ones(3))
    np.testing.assert_array_equal(db, np.zeros(3))


def test_second_order_is_refused(thunk):
    from adcompiler.errors import AdCompilerError
    f = differentiate(K.seed_, out="s", like="a")
    b = np.ones(3)
    with pytest.raises(AdCompilerError, match="higher-order"):
        autograd.grad(lambda a: anp.sum(autograd.grad(lambda a: anp.sum(f(a, b) ** 2))(a)))(np.ones(3))


def _recurrence_autograd(x):
    ys = [x[0]]
    for i in range(1, x.shape[0]):
        ys.append(anp.sin(ys[-1]) * x[i] + x[i])
    return anp.stack(ys)


def test_output_written_by_the_caller_before_the_vjp(thunk):
    """``vjp, y = make_vjp(f)(x); y -= data; vjp(y)``: the output was the
    record's memory, which the reverse sweep reads (a wrong gradient)."""
    f = differentiate(K.recurrence_, out="y")
    x = np.array([0.9, 1.1, 0.8, 1.2, 0.7])
    data = np.linspace(0.2, 1.0, 5)
    got = []
    for model in (lambda x: f(np.zeros(5), x), _recurrence_autograd):
        vjp, y = autograd.make_vjp(model)(x)
        y -= data
        got.append(vjp(y))
    np.testing.assert_allclose(got[0], got[1], rtol=1e-12)
