"""A selection's adjoint (max, min, clip, np.max, nan_to_num) gives the operand that was not
selected nothing, whatever the adjoint is. Written as a product with 0 or 1 it was 0 * inf = nan
where an infinite partial followed the selection: the full truncation of Heston's Euler scheme,
``math.sqrt(max(v, 0.0))`` at ``v < 0``, gave a NaN gradient in reverse mode (forward mode and
finite differences: the derivative of the flat side, 0). Forward mode on arrays likewise passes a
zero tangent on as 0 through such a partial."""
from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Duplicated, extend
from adcompiler.analysis.kinds import array


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def truncated(v):
    vp = max(v, 0.0)
    return math.sqrt(vp) + v


def truncated_min(v):
    vn = min(-v, 0.0)
    return math.sqrt(-vn) + 2.0 * v


def heston_scalar(v0, kappa, theta, xi, z):
    # Euler with full truncation, written element by element
    v = v0
    total = 0.0
    for k in range(z.shape[0]):
        vp = max(v, 0.0)
        v = v + kappa * (theta - vp) * 0.1 + xi * math.sqrt(vp) * z[k]
        total += v
    return total


def truncated_arrays(v, z):
    vp = np.maximum(v, 0.0)
    return np.sum(np.sqrt(vp) * z + v)


def truncated_minimum(v, z):
    return np.sum(np.sqrt(-np.minimum(-v, 0.0)) * z + v)


def truncated_fmax(v, z):
    return np.sum(np.sqrt(np.fmax(v, 0.0)) * z + v)


def clipped(v, z):
    return np.sum(np.sqrt(np.clip(v, 0.0, 4.0)) * z + v)


def largest(v):
    return math.sqrt(np.max(v)) + np.sum(v * v)


def heston_arrays(v0, z, out):
    v = v0.copy()
    for k in range(z.shape[0]):
        vp = np.maximum(v, 0.0)
        v += (0.04 - vp) * 0.5 + 0.9 * np.sqrt(vp) * z[k]
        out[k] = v


V = -0.3
VS = np.array([-0.3, 0.5, -1.2, 2.0])
ZS = np.array([1.0, 2.0, -0.5, 0.7])


@pytest.mark.parametrize("f, want", [(truncated, 1.0), (truncated_min, 2.0)], ids=["max", "min"])
def test_the_number_that_lost_gets_nothing(f, want):
    assert ad.autodiff(ad.Reverse, f, Active, Active(V))[0] == want
    assert ad.autodiff(ad.Forward, f, ad.Duplicated, ad.Duplicated(V, 1.0))[0] == want
    assert ad.gradient(f, V) == (want,)
    assert ad.gradient(f, V, backend="numba") == (want,)
    check_everywhere(f, Active(V), out=(), tapes=("autograd", "jax", "torch"))


def test_the_truncated_heston_scheme_of_numbers():
    # v goes negative within the steps: the truncation is flat there
    z = np.array([-2.5, -1.0, 0.3, 1.2, -0.4])
    g = ad.gradient(heston_scalar, 0.04, 2.0, 0.04, 0.9, z)
    assert all(np.isfinite(gk).all() for gk in g)
    check_everywhere(heston_scalar, Active(0.04), Active(2.0), Active(0.04), Active(0.9), ad.Const(z), out=())
    gn = ad.gradient(heston_scalar, 0.04, 2.0, 0.04, 0.9, z, backend="numba")
    for a, b in zip(g, gn):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("f", [truncated_arrays, truncated_minimum, truncated_fmax, clipped],
                         ids=lambda f: f.__name__)
def test_the_elements_that_lost_get_nothing(f):
    g = ad.gradient(f, VS, ZS)[0]
    want = np.where(VS > 0, ZS * 0.5 / np.sqrt(np.abs(VS)), 0.0) + 1.0
    np.testing.assert_allclose(g, want, rtol=1e-14)
    # forward mode along each element: the tangent of the flat side is 0, not 0 * inf
    for k in range(VS.size):
        e = np.zeros(VS.size)
        e[k] = 1.0
        np.testing.assert_allclose(ad.jvp(f, (VS, ZS), (e, None))[1], want[k], rtol=1e-14)
    check_everywhere(f, Duplicated(VS.copy(), np.zeros(4)), ad.Const(ZS), out=(), tapes=("autograd", "jax", "torch"))


def test_the_elements_a_maximum_did_not_select_get_nothing():
    v = np.array([-1.0, 0.0, -2.0])   # (the maximum is 0: sqrt's partial there is infinite)
    g = ad.gradient(largest, v)[0]
    assert np.isinf(g[1]) and g[0] == 2 * v[0] and g[2] == 2 * v[2]


def test_the_truncated_heston_scheme_of_arrays():
    z = np.array([[-2.5, 0.3], [-1.0, -0.2], [0.3, 1.5]])
    v0 = np.array([0.04, 0.09])
    out = np.zeros((3, 2))
    check_everywhere(heston_arrays, Duplicated(v0.copy(), np.zeros(2)), ad.Const(z),
                     Duplicated(out, np.zeros((3, 2))), out="out", tapes=("autograd", "jax", "torch"))


def draw_normals(n):
    return np.random.standard_normal(n)


def draw_gauss(n):
    return np.array([random.gauss(0.0, 1.0) for _ in range(n)])


extend.nondifferentiable(draw_normals, draw_gauss, result=lambda kinds, bound: array(1, "f"))


def noisy(x):
    z = draw_normals(x.shape[0]) + draw_gauss(x.shape[0])
    return np.sum(x * x * z)


def noisy_out(out, x):
    out[:] = x * (draw_normals(x.shape[0]) + draw_gauss(x.shape[0]))


def test_jacobian_and_hessian_see_one_realization_of_the_draws():
    # one run per column: each starts from the generators' state at the first
    x = np.linspace(0.5, 1.5, 5)
    np.random.seed(7)
    random.seed(7)
    z = draw_normals(5) + draw_gauss(5)
    after = (np.random.standard_normal(), random.random())
    np.random.seed(7)
    random.seed(7)
    np.testing.assert_allclose(ad.hessian(noisy, x), np.diag(2 * z), rtol=1e-14)
    assert (np.random.standard_normal(), random.random()) == after   # (the state of one call)
    for mode in ("forward", "reverse"):
        np.random.seed(7)
        random.seed(7)
        J = ad.jacobian(noisy_out, np.zeros(5), x, out=0, wrt=1, mode=mode)
        np.testing.assert_allclose(J, np.diag(z), rtol=1e-14)


def test_vjp_pullback_sees_the_outputs_draws():
    """``vjp(..., out=)``'s pullback runs the function again: it drew other numbers than the outputs
    it returned (a vjp of another realization, another at each call, silently), and moved the
    caller's generators along (a search). It replays the outputs' draws and leaves the state be."""
    x = np.linspace(0.5, 1.5, 5)
    np.random.seed(3)
    random.seed(3)
    z = draw_normals(5) + draw_gauss(5)
    np.random.seed(3)
    random.seed(3)
    y, pullback = ad.vjp(noisy_out, np.zeros(5), x, out=0)
    np.testing.assert_allclose(y, x * z, rtol=1e-14)
    after = (np.random.get_state()[1].copy(), random.getstate())
    ct = np.linspace(1.0, 2.0, 5)
    for _ in range(2):
        np.testing.assert_allclose(pullback(ct)[1], ct * z, rtol=1e-14)
        assert np.array_equal(np.random.get_state()[1], after[0]) and random.getstate() == after[1]


def kw_scaled(y, x, *, alpha=2.0):
    y[:] = alpha * x ** 2


def test_jacobian_takes_the_functions_keyword_arguments():
    x = np.array([0.5, -1.0, 2.0])
    want = np.diag(2 * 5.0 * x)
    np.testing.assert_allclose(ad.jacobian(kw_scaled, np.zeros(3), x, alpha=5.0, out="y", wrt="x"), want)
    np.testing.assert_allclose(ad.jacobian(kw_scaled, out="y", wrt="x")(np.zeros(3), x, alpha=5.0), want)


def scaled_by_an_element(u):
    b = float(u[0])
    u[:] = u * b
    return float(np.sum(u))


def divided_by_rows(Y, A, b):
    Y[:] = b / A


def times_its_largest(y, x):
    s = np.max(x)
    y[:] = s * x


def test_vector_mode_of_broadcast_operands():
    # a tangent with the directions first is not aligned with a broadcast term's shape: the
    # zero-tangent guard of arrays is left out there (it picked the wrong direction's rows)
    u = np.array([2.0, 3.0, 0.5, 1.0, 4.0])
    e = [np.eye(5)[k] for k in range(3)]
    got = ad.autodiff(ad.Forward, scaled_by_an_element, ad.Duplicated,
                      ad.BatchDuplicated(u.copy(), tuple(d.copy() for d in e)))[0]
    for k in range(3):
        one = ad.autodiff(ad.Forward, scaled_by_an_element, ad.Duplicated, ad.Duplicated(u.copy(), e[k].copy()))[0]
        np.testing.assert_allclose(got[k], one, rtol=1e-14)
    A = np.array([[1.0, 2.0, 4.0], [0.5, 1.0, 2.0]])
    for k in (2, 3):
        dirs = tuple(np.random.default_rng(k + j).standard_normal(3) for j in range(k))
        Y, dY = np.zeros((2, 3)), tuple(np.zeros((2, 3)) for _ in range(k))
        ad.autodiff(ad.Forward, divided_by_rows, ad.Const, ad.BatchDuplicated(Y, dY), ad.Const(A),
                    ad.BatchDuplicated(np.array([1.0, 0.5, 2.0]), dirs))
        for j in range(k):
            np.testing.assert_allclose(dY[j], dirs[j] / A, rtol=1e-14)
    x = np.array([2.0, 3.0])
    check_everywhere(times_its_largest, Duplicated(np.zeros(2), np.zeros(2)), Duplicated(x, np.zeros(2)), out="y")
    check_everywhere(divided_by_rows, Duplicated(np.zeros((2, 3)), np.zeros((2, 3))), ad.Const(A),
                     Duplicated(np.array([1.0, 0.5, 2.0]), np.zeros(3)), out="Y")


def truncated_by_element(y, x):
    for i in range(x.shape[0]):
        y[i] = np.sqrt(np.maximum(x[i], 0.0))


def logs_by_element(y, x):
    for i in range(x.shape[0]):
        y[i] = np.log(x[i]) + np.log1p(x[i] - 1.0) + np.arctanh(x[i] - 1.0) if x[i] > 0 else 0.0


def powers_by_element(y, x):
    for i in range(x.shape[0]):
        y[i] = np.power(np.maximum(x[i], 0.0), 0.5) + np.divide(1.0, x[i] + 2.0)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_elements_a_step_saved_divide_as_numpy(backend):
    # the value a loop's step pops from the tape is a Python float: the rules divide with np.divide
    # (np.power), inf at 0 as numpy gives, not ZeroDivisionError
    x = np.array([-0.5, 0.25, 4.0, 0.0])
    y, dx = np.zeros(4), np.zeros(4)
    ad.autodiff(ad.Reverse, truncated_by_element, ad.Const, Duplicated(y, np.ones(4)), Duplicated(x.copy(), dx),
                backend=backend)
    np.testing.assert_array_equal(dx, [0.0, 1.0, 0.25, np.inf])
    dx = np.zeros(4)
    ad.autodiff(ad.Reverse, powers_by_element, ad.Const, Duplicated(np.zeros(4), np.ones(4)),
                Duplicated(x.copy(), dx), backend=backend)
    np.testing.assert_allclose(dx, [0.0, 1.0, 0.25, np.inf] - 1.0 / (x + 2.0) ** 2, rtol=1e-14)
    x = np.array([-0.5, 0.5, 1.5])
    dx = np.zeros(3)
    ad.autodiff(ad.Reverse, logs_by_element, ad.Const, Duplicated(np.zeros(3), np.ones(3)),
                Duplicated(x.copy(), dx), backend=backend)
    np.testing.assert_allclose(dx, np.where(x > 0, 2 / x + 1 / (1 - (x - 1) ** 2), 0.0), rtol=1e-14)


def test_elements_a_step_saved_everywhere():
    x = np.array([-0.5, 0.25, 1.2, 1.5])   # (arctanh(x - 1) defined)
    for f in (truncated_by_element, powers_by_element, logs_by_element):
        check_everywhere(f, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(x.copy(), np.zeros(4)), out="y")


def truncated_squared(v0, z0):
    v1 = v0 + z0
    v2 = v1 + math.sqrt(max(v1, 0.0))
    return v2 * v2


def test_second_order_of_a_truncation():
    # at v1 < 0 the function is v1 ** 2: the selection's zero partial times sqrt's infinite adjoint
    # is 0 in the code differentiated again too
    assert ad.hvp(truncated_squared, (0.04, -1.0), (1.0, None))[0] == pytest.approx(2.0, rel=1e-14)
    hv = ad.hvp(truncated_squared, (0.04, -1.0), (1.0, 1.0))   # (H = 2 everywhere there)
    assert hv[0] == pytest.approx(4.0, rel=1e-14) and hv[1] == pytest.approx(4.0, rel=1e-14)
    v1 = 0.5   # (the other side: (v + sqrt v)^2)
    want = 2 * (1 + 0.5 / v1 ** 0.5) ** 2 + 2 * (v1 + v1 ** 0.5) * (-0.25 * v1 ** -1.5)
    assert ad.hvp(truncated_squared, (0.5, 0.0), (1.0, None))[0] == pytest.approx(want, rel=1e-12)


def inverse_squares(x):
    return np.sum(x ** -2)


def test_an_array_to_a_negative_whole_power_at_zero_under_numba():
    # (numba's power of a float to a negative int raised ZeroDivisionError at 0; numpy gives inf)
    x = np.array([0.0, 2.0])
    for backend in ("numpy", "numba"):
        dx = np.zeros(2)
        _, value = ad.autodiff(ad.ReverseWithPrimal, inverse_squares, Active, Duplicated(x.copy(), dx),
                               backend=backend)
        assert value == np.inf
        np.testing.assert_array_equal(dx, [-np.inf, -0.25])


def roots_summed(x):
    s = x[0] * 0
    for i in range(x.shape[0]):
        s = s + np.sqrt(x[i])
    return s


def test_a_number_divided_by_keeps_its_precision():
    # (the number a rule divides by is read as numpy's only where it is Python's: a float32 stays one)
    x = np.array([0.25, 4.0, 0.0], dtype=np.float32)
    t, v = ad.autodiff(ad.ForwardWithPrimal, roots_summed, ad.Duplicated, Duplicated(x.copy(), np.ones(3, np.float32)))
    assert type(v) is np.float32 and type(t) is np.float32 and t == np.inf
    t, v = ad.autodiff(ad.ForwardWithPrimal, roots_summed, ad.Duplicated,
                       Duplicated(x[:2].copy(), np.ones(2, np.float32)))
    assert type(t) is np.float32 and t == pytest.approx(1.25, rel=1e-6)


def complex_roots(x):
    s = 0.0
    for i in range(x.shape[0]):
        c = complex(x[i], 0.5)
        s += (c ** 0.5).real + (c ** -1.5).imag
    return s


def test_second_order_of_a_complex_number_to_a_fractional_power():
    # (the power's derivative reads its base as numpy's number; that read is differentiated again)
    x = np.array([0.7, 1.3])
    v = np.array([1.0, -0.5])
    got = ad.hvp(complex_roots, (x.copy(),), (v,))[0]
    h = 1e-5
    want = (ad.gradient(complex_roots, x + h * v)[0] - ad.gradient(complex_roots, x - h * v)[0]) / (2 * h)
    np.testing.assert_allclose(got, want, rtol=1e-7)


def weighted_truncation(S, v):
    return np.sum(S * np.sqrt(np.maximum(v, 0.0)))


def test_second_derivatives_on_the_flat_side_of_a_truncated_root():
    """Full truncation, ``S * sqrt(maximum(v, 0))`` at ``v < 0``: the root's tangent in the reverse
    code differentiated again was 0 * inf (nan) where ``v`` is truncated, and hvp and hessian gave
    nan for the whole S part (a Heston path's every entry)."""
    S, v = np.array([1.0, 2.0, 0.5]), np.array([0.04, -0.01, 0.09])
    want_ss = np.zeros((3, 3))
    np.testing.assert_array_equal(ad.hessian(weighted_truncation, S, v), want_ss)
    hs, hv = ad.hvp(weighted_truncation, (S, v), (np.ones(3), np.ones(3)))
    pos = v > 0
    np.testing.assert_allclose(hs, np.where(pos, 0.5 / np.sqrt(np.abs(v)), 0.0))
    np.testing.assert_allclose(hv, np.where(pos, 0.5 / np.sqrt(np.abs(v)) - 0.25 * S * np.abs(v) ** -1.5, 0.0))


def smallest_k_squared(x, k):
    idx = np.argpartition(x, k)[:k]
    return float(np.sum(x[idx] ** 2))


def smallest_two_of_rows(X):
    idx = np.argpartition(X, 1, axis=1)[:, :2]
    return float(np.sum(np.take_along_axis(X, idx, axis=1) ** 3))


def test_argpartition_picks_the_elements_without_a_derivative_of_its_own():
    # (np.argpartition had no rule: refused; its indices are ints, as np.argsort's)
    x = np.array([0.3, -1.2, 2.0, 0.7, -0.1])
    check_everywhere(smallest_k_squared, Duplicated(x.copy(), np.zeros(5)), 2, out=(), tapes=("autograd", "jax", "torch"))
    np.testing.assert_allclose(ad.gradient(smallest_k_squared, x, 2)[0], [0, -2.4, 0, 0, -0.2])
    X = np.random.default_rng(3).standard_normal((3, 4))
    check_everywhere(smallest_two_of_rows, Duplicated(X, np.zeros((3, 4))), out=(), tapes=("autograd", "jax", "torch"))
