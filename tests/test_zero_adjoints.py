"""A number computed on every path but read only on some (``r = sqrt(x)`` used
only where ``x > 0``) passes on nothing where it is not read: its adjoint is 0
there, and 0 times its partial derivative (infinite, or nan) was nan. Python
floats (the reverse loops run on lists) raised where numpy gives inf."""
from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
)
from adcompiler import gradient as ad_gradient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import backend_kernels as kernels
from backend_kernels import forces


def sqrt_where_positive(x, y):
    for i in range(x.shape[0]):
        r = x[i] ** 0.5
        if x[i] > 0.0:
            y[i] = r
        else:
            y[i] = x[i]


def ratio_where_nonzero(x, d, y):
    for i in range(x.shape[0]):
        q = x[i] / d[i]
        if d[i] != 0.0:
            y[i] = q * x[i]
        else:
            y[i] = 2.0 * x[i]


def through_infinity(x, d, y):
    for i in range(x.shape[0]):
        w = 1.0 / d[i]
        y[i] = x[i] * x[i] / (1.0 + w * w)


def reciprocal_where_nonzero(x, y):
    for i in range(x.shape[0]):
        w = 1.0 / x[i]   # (its adjoint is -g * w * w: infinite at 0, where w is not read)
        if x[i] != 0.0:
            y[i] = w * 3.0
        else:
            y[i] = x[i]


def _cases():
    x = np.array([0.3, -0.7, 1.1, -0.2])
    d = np.array([0.5, 0.0, 2.0, 0.0])
    return [(sqrt_where_positive, [x], [1.0 / (2 * np.sqrt(0.3)), 1.0, 1.0 / (2 * np.sqrt(1.1)), 1.0]),
            (ratio_where_nonzero, [x, d], [2 * 0.3 / 0.5, 2.0, 2 * 1.1 / 2.0, 2.0]),
            (through_infinity, [x, d], [2 * 0.3 / 5.0, 0.0, 2 * 1.1 / 1.25, 0.0]),
            (reciprocal_where_nonzero, [d], [-3.0 / 0.25, 1.0, -3.0 / 4.0, 1.0])]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("case", range(4))
def test_unread_numbers_pass_on_nothing(case, backend):
    f, inputs, want = _cases()[case]
    x = inputs[0].copy()
    dx = np.zeros_like(x)
    args = [Duplicated(x, dx)] + [Const(v) for v in inputs[1:]] + [Duplicated(np.zeros(4), np.ones(4))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the primal's own sqrt(-0.7), 1 / 0
        autodiff(Reverse, f, Const, *args, backend=backend)
    np.testing.assert_allclose(dx, want, rtol=1e-12)


def test_unread_numbers_everywhere():
    """Away from the points where the primal itself is inf or nan: every entry point."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 1.5, 4) * np.array([1, -1, 1, -1])
    d = np.array([0.5, 0.0, 2.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_everywhere(sqrt_where_positive, Duplicated(x, np.zeros(4)), Duplicated(np.zeros(4), np.zeros(4)),
                         out="y", tapes=("autograd", "torch", "jax"))
        check_everywhere(ratio_where_nonzero, Duplicated(x, np.zeros(4)), Const(d),
                         Duplicated(np.zeros(4), np.zeros(4)), out="y", tapes=("autograd", "torch", "jax"))


def zeroth_powers(x, y, s):
    s[0] = np.sum(np.power(x, y)) + np.sum(x ** 0) + x[0] ** 0 + pow(x[1], 0)
    for i in range(x.shape[0]):
        s[1] += x[i] ** y[i] + math.pow(x[i], y[i])
    s[2] = np.sum(np.float_power(x, y))


def test_zeroth_power_at_zero_has_derivative_zero():
    """``x ** 0`` (``np.power(x, e)`` with ``e == 0``) at ``x == 0``: the
    derivative ``0 * x ** -1`` was nan; it is 0 (the power is the constant 1),
    as autograd and PyTorch give."""
    import autograd
    import autograd.numpy as anp
    x, y = np.array([0.0, 0.0, 2.0, 0.5]), np.array([0.0, 1.0, 0.0, 2.0])

    def pure(x, y):
        p = anp.power(x, y)
        return anp.stack([anp.sum(p) + anp.sum(x ** 0) + x[0] ** 0 + x[1] ** 0, 2 * anp.sum(p), anp.sum(p)])

    w = np.array([1.0, 2.0, 3.0])
    want = autograd.grad(lambda x, y: anp.dot(w, pure(x, y)), (0, 1))(x, y)
    for backend in ("numpy", "numba"):
        dx, dy, s = np.zeros(4), np.zeros(4), np.zeros(3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            autodiff(Reverse, zeroth_powers, Const, Duplicated(x.copy(), dx), Duplicated(y.copy(), dy),
                     Duplicated(s, w.copy()), backend=backend)
        np.testing.assert_allclose(dx, want[0], rtol=1e-12, err_msg=backend)
        np.testing.assert_allclose(dy, want[1], rtol=1e-12, err_msg=backend)


def reciprocals(x, z, y):
    y[0] = np.sum(1 / x) + 1.0 / x[0]
    for i in range(x.shape[0]):
        y[1] += 1.0 / (x[i] * x[i] + 0.5) + 1 / x[i]
    y[2] = np.sum(np.reciprocal(x)) + np.sum(np.real(1.0 / z))


def test_reciprocals_everywhere():
    """``1 / x`` differentiates as ``np.reciprocal`` (``-g * ans * ans``, one
    division fewer): arrays, numbers, complex values, every entry point."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 1.5, 5)
    z = rng.uniform(0.5, 1.5, 5) + 1j * rng.uniform(0.5, 1.5, 5)
    check_everywhere(reciprocals, Duplicated(x, np.zeros(5)), Duplicated(z, np.zeros(5, complex)),
                     Duplicated(np.zeros(3), np.zeros(3)), out="y", tapes=("autograd", "torch", "jax"))


def pair_energy_skipped_after(x):
    E = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            inv = 1.0 / (x[i] - x[j])
            inv2 = inv * inv
            if i != j:
                E += inv2
    return E


def products_of_an_unread_log(x):
    s = 0.0
    for i in range(x.shape[0]):
        lg = np.log(x[i])
        sq = lg * lg + np.square(lg) * 0.5
        if x[i] > 0.0:
            s += sq
    return s


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_products_of_unread_infinite_numbers_pass_on_nothing(backend):
    """``inv = 1 / (x[i] - x[j])`` at ``i == j`` is infinite and unread; its
    product ``inv * inv`` passed 0 * inf = nan back to every element (the
    guard stood on divisions only, not on products of infinite factors)."""
    import autograd
    import autograd.numpy as anp

    def energy_ag(x):
        E = 0.0
        for i in range(x.shape[0]):
            for j in range(x.shape[0]):
                if i != j:
                    E = E + (1.0 / (x[i] - x[j])) ** 2
        return E
    x = np.array([0.0, 1.0, 2.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = ad_gradient(pair_energy_skipped_after, x.copy(), backend=backend)[0]
        np.testing.assert_allclose(got, autograd.grad(energy_ag)(x), rtol=1e-12)
        y = np.array([0.0, 0.5, 2.0])
        got = ad_gradient(products_of_an_unread_log, y.copy(), backend=backend)[0]
        np.testing.assert_allclose(got, [0.0, 2 * 1.5 * np.log(0.5) / 0.5, 3 * np.log(2.0) / 2.0], rtol=1e-12)
        assert not np.any(np.isnan(got)) and anp is not None


def _square_of(v):
    return v * v


def pair_energy_through_a_helper(x):
    E = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            inv = 1.0 / (x[i] - x[j])
            e = _square_of(inv)
            if i != j:
                E += e
    return E


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_helper_given_an_unread_infinite_number(backend):
    """A helper's parameters may be infinite where its caller does not read the
    result: ``v * v`` in the helper passed 0 * inf = nan back."""
    x = np.array([0.0, 1.0, 2.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = ad_gradient(pair_energy_through_a_helper, x.copy(), backend=backend)[0]
        want = ad_gradient(pair_energy_skipped_after, x.copy(), backend=backend)[0]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert np.all(np.isfinite(got))


def _soft_dtw(D, gamma):
    n, m = D.shape
    R = np.full((n + 1, m + 1), np.inf)   # (the boundary: read through exp(-inf) = 0)
    R[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            a = -R[i - 1, j - 1] / gamma
            b = -R[i - 1, j] / gamma
            c = -R[i, j - 1] / gamma
            mx = max(a, b, c)
            s = np.exp(a - mx) + np.exp(b - mx) + np.exp(c - mx)
            R[i, j] = D[i - 1, j - 1] - gamma * (np.log(s) + mx)
    return R[n, m]


def _inf_through_exp(x, gamma):
    R = np.full(2, np.inf)
    R[0] = x[0]
    a = -R[1] / gamma
    b = -R[0] / gamma
    return -gamma * np.log(np.exp(a) + np.exp(b))


def test_infinite_tangents_times_zero_partials_in_forward_mode():
    """Forward mode multiplied the tangent of ``-inf / gamma`` (infinite) by
    the partial of ``exp`` there (0): nan in ``Forward``, ``jvp``, ``hvp`` and
    ``hessian`` where reverse mode (which zeroes the unread adjoint's terms)
    and finite differences give finite values. A zero partial now passes on
    nothing, as a zero adjoint does."""
    from adcompiler import Active, BatchDuplicated, Forward, hvp, jvp
    from adcompiler import gradient as grad_of
    rng = np.random.default_rng(0)
    D = np.abs(rng.standard_normal((3, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (_, dg) = autodiff(Reverse, _soft_dtw, Active, Const(D.copy()), Active(0.7))
        h = 1e-6
        fd = (_soft_dtw(D, 0.7 + h) - _soft_dtw(D, 0.7 - h)) / (2 * h)
        np.testing.assert_allclose(dg, fd, rtol=1e-6)
        (t,) = autodiff(Forward, _soft_dtw, Duplicated, Const(D.copy()), Duplicated(0.7, 1.0))
        np.testing.assert_allclose(t, dg, rtol=1e-12)
        np.testing.assert_allclose(jvp(_soft_dtw, (D.copy(), 0.7), (None, 1.0))[1], dg, rtol=1e-12)
        ((t1, t2),) = autodiff(Forward, _soft_dtw, Duplicated, Const(D.copy()), BatchDuplicated(0.7, (1.0, -2.0)))
        np.testing.assert_allclose([t1, t2], [dg, -2.0 * dg], rtol=1e-12)
        ((t1,),) = autodiff(Forward, _inf_through_exp, Duplicated, Const(np.array([0.5])), BatchDuplicated(0.7, (1.0,)))
        assert t1 == 0.0
        second = hvp(_soft_dtw, (D.copy(), 0.7), (None, 1.0))[1]
        h = 1e-5
        want = (grad_of(_soft_dtw, D.copy(), 0.7 + h)[1] - grad_of(_soft_dtw, D.copy(), 0.7 - h)[1]) / (2 * h)
        assert np.isfinite(second)
        np.testing.assert_allclose(second, want, rtol=1e-5)


def _masked_softmax_temperature(x, mask, g):
    inv_g = 1.0 / g
    s = 0.0
    for i in range(x.shape[0]):
        t = x[i] if mask[i] else -np.inf   # (a masked entry: exp(-inf) = 0)
        s += np.exp(t * inv_g)
    return g * np.log(s)


def _free_energy(E, beta):
    Z = 0.0
    for i in range(E.shape[0]):
        Z += np.exp(-beta * E[i])   # (an infinite energy has weight 0)
    return -np.log(Z) / beta


def _logistic_of_a_sentinel(x, g):
    s = 0.0
    for i in range(x.shape[0]):
        t = -np.inf if i == 0 else x[i]
        s += 1.0 / (1.0 + np.exp(-t * g))
    return s


def test_infinite_entries_of_an_argument_read_through_a_saturating_function():
    """``exp(t * inv_g)`` with ``t = -inf`` (a mask, an infinite energy in the
    data): the adjoint of the product is 0, and its term for the other factor
    multiplied that 0 by the infinite entry: nan in reverse mode (and in forward
    mode for the energies), where finite differences are finite. The terms of a
    statement whose value a function flat far out reads are zeroed where its
    adjoint is 0, in both modes."""
    from adcompiler import Active
    x = np.array([0.3, -0.7, 1.2, 0.4])
    mask = np.array([True, False, True, True])
    E = np.array([0.5, np.inf, 1.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for f, args in ((_masked_softmax_temperature, (Const(x), Const(mask), Active(0.8))),
                        (_free_energy, (Const(E), Active(0.9))),
                        (_logistic_of_a_sentinel, (Const(x), Active(0.8)))):
            check_everywhere(f, *args, ret=Active, out=(), tapes=("autograd", "torch"))
            vals = [a.val for a in args]
            h = 1e-6
            fd = (f(*vals[:-1], vals[-1] + h) - f(*vals[:-1], vals[-1] - h)) / (2 * h)
            (*_, d) = autodiff(Reverse, f, Active, *args)
            np.testing.assert_allclose(d, fd, rtol=1e-6)
            (*_, d) = autodiff(Reverse, f, Active, *args, backend="numba")
            np.testing.assert_allclose(d, fd, rtol=1e-6)


def test_numbers_kept_away_from_zero_need_no_guard():
    """``r2 = dx * dx + dy * dy + 0.1`` is at least 0.1, its root at least
    0.316: ``1 / (r2 * sqrt(r2))`` and the root's adjoint ``g * (0.5 / sqrt(r2))``
    are finite, and their terms are plain products (the guards on the result of
    the division, which an infinite argument can make infinite, stay)."""
    import ast

    from adcompiler.analysis.finite import lower_bounds
    from adcompiler.analysis.kinds import FLOAT
    body = ast.parse("r2 = dx * dx + dy * dy + 0.1\ns = np.sqrt(r2)\nw = 1.0 / (r2 * s)\n"
                     "q = abs(w) + 2.0\np = np.maximum(t, 0.5)\nr = t\nr = 1.0\nc = 1.0\nc += t").body
    kinds = dict.fromkeys(["r2", "s", "w", "q", "p", "r", "c", "t", "dx", "dy"], FLOAT)
    b = lower_bounds(body, kinds)
    assert b["r2"] == 0.1 and b["s"] == pytest.approx(0.1 ** 0.5) and b["w"] == 0.0
    assert b["q"] == 2.0 and b["p"] == 0.5 and "r" not in b and "c" not in b and "t" not in b
    assert "r2" not in lower_bounds(body, kinds, params=("r2",))   # (a parameter's value is not bound here)
    emitted = subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"{kernels.__file__}:forces", "--target",
                              "numba", "--dup", "x,f", "--shape", "x=3,2", "--shape", "f=3,2", "--ret", "const"],
                             capture_output=True, text=True, check=True).stdout
    assert "_d_t8 * (0.5 / _t8)" in emitted and "_d_t8 * (0.5 / _t8) if" not in emitted
    assert "_d_t9 * _t8 if _d_t9 != 0.0 else 0.0" in emitted
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 2))
    check_everywhere(forces, Duplicated(x, np.zeros((5, 2))), Duplicated(np.zeros((5, 2)), np.zeros((5, 2))),
                     out="f", tapes=("autograd", "torch", "jax"))
    seed = rng.standard_normal((5, 2))
    got = {}
    for backend in ("numpy", "numba", "auto"):
        dx = np.zeros_like(x)
        autodiff(Reverse, forces, Const, Duplicated(x.copy(), dx), Duplicated(np.zeros_like(x), seed.copy()),
                 backend=backend)
        got[backend] = dx
    np.testing.assert_allclose(got["numba"], got["numpy"], rtol=1e-12)
    np.testing.assert_allclose(got["auto"], got["numpy"], rtol=1e-12)


def reciprocal_of_a_parameter_rebound(x, y, r):
    for i in range(x.shape[0]):
        w = 1.0 / r   # (r == 0 on entry: infinite, read only from the second step)
        if i > 0:
            y[i] = w * x[i]
        else:
            y[i] = x[i]
        r = x[i] * x[i] + 1.0


def test_a_parameter_rebound_to_bounded_values_keeps_its_guard():
    """``r`` is bound in the loop to ``x[i] ** 2 + 1 >= 1``, but its first value
    is the argument's (0 here): ``1 / r`` is infinite there, unread, and its term
    ``-g * w * w`` (g == 0) must stay guarded: the derivative in r is 0, not nan."""
    x = np.array([0.5, -1.5, 2.0])
    for backend in ("numpy", "numba"):
        dx, y = np.zeros(3), np.zeros(3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            (_, _, dr) = autodiff(Reverse, reciprocal_of_a_parameter_rebound, Const, Duplicated(x.copy(), dx),
                                  Duplicated(y, np.ones(3)), Active(np.float64(0.0)), backend=backend)
        assert dr == 0.0, backend
        want = [1.0 + (-2 * 0.5) * (-1.5) / 1.25 ** 2, 1 / 1.25 + (-2 * -1.5) * 2.0 / 3.25 ** 2, 1 / 3.25]
        np.testing.assert_allclose(dx, want, rtol=1e-12)



def reciprocal_of_a_sum_unread(x, c):
    s = np.sum(x * x)
    inv = 1.0 / s   # (inf at x == 0, read only when c > 0)
    if c > 0.0:
        return inv
    return s


def test_an_unread_reciprocal_recomputed_from_the_tape():
    """``s`` goes on the tape, and the reverse sweep recomputes ``inv = 1 / s``: a
    Python float popped from a typed stack raised ZeroDivisionError at ``s == 0``
    (numpy's number gives inf, unread). Divisors stay numpy numbers on the tape."""
    x = np.zeros(2)
    for backend in ("numpy", "numba", "auto"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            g = ad_gradient(reciprocal_of_a_sum_unread, x.copy(), -1.0, backend=backend)[0]
        np.testing.assert_array_equal(g, [0.0, 0.0])
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, reciprocal_of_a_sum_unread, Active, Duplicated, Const)
    dx = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tape, value = fwd(Duplicated(x, np.zeros(2)), Const(-1.0))
        rev(Duplicated(x, dx), Const(-1.0), 1.0, tape)
    assert value == 0.0 and np.array_equal(dx, [0.0, 0.0])
    xs = np.array([0.5, -1.5])
    check_everywhere(reciprocal_of_a_sum_unread, Duplicated(xs, np.zeros(2)), Const(1.0), out=None,
                     tapes=("autograd", "torch", "jax"))


def tiny_softening(x, y, c):
    for i in range(x.shape[0]):
        d = x[i] * 2.0
        r2 = d * d + 1e-150
        w = r2 ** -1.5   # (its partial overflows at d == 0 where r2 is tiny: not kept away from 0 enough)
        if c > 0.0:
            y[i] = w
        else:
            y[i] = x[i] * 2.0


def axis_maximum(x, y):
    m = np.max(x, 0)   # (an axis, not a number: no bound on m)
    w = 1.0 / (m + 1.0)
    if m > 5.0:
        y[0] = w
    else:
        y[0] = m


def test_bounds_too_small_or_not_numbers_keep_their_guards():
    """A divisor at least 1e-150 is not kept away from 0 for the partials (its
    -2.5th power overflows): the term stays guarded, the derivative 0 where unread;
    ``np.max(x, 0)`` reads an axis, not a second number, and bounds nothing."""
    from adcompiler.analysis.finite import lower_bounds
    from adcompiler.analysis.kinds import FLOAT, Kind
    for backend in ("numpy", "numba"):
        dx = np.zeros(2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            autodiff(Reverse, tiny_softening, Const, Duplicated(np.array([0.0, 0.5]), dx),
                     Duplicated(np.zeros(2), np.ones(2)), Const(-1.0), backend=backend)
        np.testing.assert_array_equal(dx, [2.0, 2.0])
    import ast
    body = ast.parse("m = np.max(x, 0)\nk = max(a, 0.5)\nq = np.maximum(a, 2.0)\nz = z0 * z0 + 1.0").body
    kinds = {"m": FLOAT, "k": FLOAT, "q": FLOAT, "z": Kind("float", dtype="c")}
    assert lower_bounds(body, kinds) == {"k": 0.5, "q": 2.0}
    x = np.array([-1.0, -3.0])
    dx = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        autodiff(Reverse, axis_maximum, Const, Duplicated(x, dx), Duplicated(np.zeros(1), np.ones(1)))
    np.testing.assert_array_equal(dx, [1.0, 0.0])


def reciprocal_of_a_product_unread(x, c):
    s = np.sum(x * x)
    t = s * 2.0
    inv = 1.0 / t   # (t recomputed from s by the reverse sweep)
    if c > 0.0:
        return inv
    return s


def negative_power_unread(x):
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] - 1.0
        g = d ** -1   # (numba's float ** negative int raised ZeroDivisionError at 0)
        if d != 0:
            s += g * x[i]
        else:
            s += x[i]
    return s


def test_unread_infinities_from_recomputed_divisors_and_negative_powers():
    """``1 / t`` with ``t = s * 2`` recomputed from a taped ``s`` (a Python float off the
    typed stack raised ZeroDivisionError), and ``d ** -1`` at ``d == 0`` under numba (its
    float to a negative int power raised): unread, so derivative 0 there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for backend in ("numpy", "numba", "auto"):
            g = ad_gradient(reciprocal_of_a_product_unread, np.zeros(2), -1.0, backend=backend)[0]
            np.testing.assert_array_equal(g, [0.0, 0.0])
            x = np.array([0.5, 1.0, 2.5])
            want = [-1.0 / (0.5 - 1.0) ** 2 * 0.5 + 1.0 / (0.5 - 1.0), 1.0, -2.5 / 1.5 ** 2 + 1.0 / 1.5]
            np.testing.assert_allclose(ad_gradient(negative_power_unread, x, backend=backend)[0], want, rtol=1e-12)
