"""The accepted half of the catalogue of unusual inputs (test_bad_inputs.py has the refusals).

Each row of ``ACCEPTED`` must be differentiated correctly: shadows, Active
derivatives and final argument values agree with central finite differences
of the plain function computed on contiguous float64 copies
(``adcompiler.testing.fd.reverse_reference``), whatever
the layout (strided views, transposes, Fortran order, reversed views, 0-d,
empty, float32 beside float64). Rows that need other references (NaN and inf
propagation, closures, exactly which memory a strided shadow touches) follow.
"""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Const, Duplicated, Forward, Reverse, autodiff
from adcompiler.testing.fd import reverse_reference

from . import kernels_trust as K


def u(*shape, order="C", seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return np.asfortranarray(x) if order == "F" else x


def seed_like(x, seed=1):
    """A prefilled shadow with x's layout (shadows must mirror their primal's memory order)."""
    d = np.empty_like(x)
    d[...] = np.random.default_rng(seed).uniform(-1, 1, x.shape)
    return d


def dup(x, seed=1):
    return Duplicated(x, seed_like(x, seed))


def strided(n):
    """A view x[::2] of a larger buffer, and a shadow that is a view of another buffer."""
    return Duplicated(u(2 * n)[::2], seed_like(np.zeros(2 * n))[::2])


def transposed(r, c):
    """A.T of a C-order (r, c) matrix: a Fortran-order (c, r) view, with a matching shadow view."""
    A = u(r, c)
    return Duplicated(A.T, seed_like(A).T)


def column(r, c):
    A = u(r, c)
    return Duplicated(A[:, 1], seed_like(A)[:, 1])


# (id, function, return activity, zero-argument maker of the annotated arguments)
ACCEPTED = [
    ("zero_dim_array", K.sumsq, Active, lambda: [dup(np.array(1.5))]),
    ("default_argument_omitted", K.with_default, Active, lambda: [dup(u(4))]),   # c takes its default, Const
    ("zero_dim_array_written", K.fill_scaled, Const, lambda: [dup(np.array(0.0)), dup(np.array(1.5), 2)]),
    ("empty_array", K.sumsq, Active, lambda: [dup(np.zeros(0))]),
    ("empty_array_written", K.copy_scaled, Const, lambda: [dup(np.zeros(0)), dup(np.zeros(0), 2)]),
    ("length_one", K.shift_add, Const, lambda: [dup(u(1))]),
    ("float32_duplicated", K.cube_sum, Active, lambda: [dup(u(4).astype(np.float32))]),
    ("float32_beside_float64_const", K.weighted, Active, lambda: [dup(u(4).astype(np.float32)), Const(u(4, seed=3))]),
    ("float64_beside_float32_const", K.weighted, Active, lambda: [dup(u(4)), Const(u(4, seed=3).astype(np.float32))]),
    ("strided_view_read", K.cube_sum, Active, lambda: [strided(3)]),
    ("strided_view_written", K.copy_scaled, Const, lambda: [strided(3), dup(u(3), 2)]),
    ("reversed_view", K.shift_add, Const, lambda: [Duplicated(u(5)[::-1], seed_like(u(5))[::-1])]),
    ("transposed_matrix", K.rowsum_into, Const, lambda: [dup(u(3)), transposed(2, 3)]),
    ("fortran_matrix", K.rowsum_into, Const, lambda: [dup(u(3)), dup(u(3, 2, order="F"))]),
    ("fortran_matvec", K.matvec, Const, lambda: [dup(u(3)), dup(u(3, 4, order="F")), dup(u(4), 3)]),
    ("transposed_matvec", K.matvec, Const, lambda: [dup(u(3)), transposed(4, 3),
                                                    dup(u(4), 3)]),
    ("column_of_matrix", K.cube_sum, Active, lambda: [column(4, 3)]),
    ("active_scalar", K.scalar_poly, Active, lambda: [Active(0.8)]),
    ("const_int_for_float_param", K.axpy, Const, lambda: [dup(u(3)), Const(2), dup(u(3), 2)]),
    ("active_return_of_int", K.returns_int, Active, lambda: [dup(u(3))]),
    ("global_constant_read", K.squared_scaled, Active, lambda: [dup(u(3))]),
    ("identity_decorator", K.plain_decorated, Active, lambda: [dup(u(3))]),
    ("staticmethod_through_class", K.Model.static_loss, Active, lambda: [dup(u(3))]),
    ("prefilled_shadow_overwritten_output", K.copy_scaled, Const, lambda: [dup(u(3), 5), dup(u(3), 6)]),
]


@pytest.mark.parametrize("row", ACCEPTED, ids=[r[0] for r in ACCEPTED])
def test_accepted_matches_finite_differences(row):
    _, f, ret, make = row
    args = make()
    ref_derivs, ref_shadows, ref_finals = reverse_reference(f, args, ret is Active)
    derivs = autodiff(Reverse, f, ret, *args)
    tol = 2e-3 if any(getattr(a.val, "dtype", None) == np.float32 for a in args) else 1e-6
    for k, a in enumerate(args):
        if isinstance(a, Duplicated):
            assert a.dval.dtype == a.val.dtype
            np.testing.assert_allclose(a.dval, ref_shadows[k], rtol=tol, atol=tol, err_msg=f"shadow {k}")
            np.testing.assert_allclose(a.val, ref_finals[k], rtol=tol, atol=tol, err_msg=f"final value {k}")
        if isinstance(a, Active):
            assert derivs[k] == pytest.approx(ref_derivs[k], rel=tol, abs=tol)
        else:
            assert derivs[k] is None


def test_nan_and_inf_propagate_as_numpy_does():
    x = np.array([1.0, np.nan, np.inf, -np.inf])
    dx = np.zeros(4)
    (_d,), value = autodiff(ad.ReverseWithPrimal, K.sumsq, Active, Duplicated(x, dx))
    assert np.isnan(value)   # nan + inf + inf
    np.testing.assert_array_equal(dx, 2.0 * x)   # 2x elementwise, nan and infinities included
    y = np.array([-1.0, 0.0, 4.0])
    dy = np.zeros(3)
    with np.errstate(all="ignore"):
        (_,), value = autodiff(ad.ReverseWithPrimal, K.mean_log, Active, Duplicated(y, dy))
        np.testing.assert_array_equal(dy, 1.0 / y)   # [-1, inf, 0.25]: log(-1) is nan, its derivative is not
        assert np.isnan(value)
        t = np.zeros(3)
        (tangent,) = autodiff(Forward, K.sqrt_sum, Duplicated, Duplicated(np.array([0.0, 1.0, 4.0]), t + 1.0))
        assert tangent == np.inf


def test_closure_reading_an_array_treats_it_as_constant():
    """A closed-over array is read as a constant: no derivative flows to it and it is not modified."""
    w = np.array([1.0, 2.0, 3.0])
    f = K.closure_reader(w)
    x, dx = u(3), np.zeros(3)
    autodiff(Reverse, f, Active, Duplicated(x, dx))
    np.testing.assert_allclose(dx, 2.0 * w * x)
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])
    w[:] = [0.0, 0.0, 1.0]   # the closure reads the array's current values on the next call
    dx[:] = 0.0
    autodiff(Reverse, f, Active, Duplicated(x, dx))
    np.testing.assert_allclose(dx, 2.0 * w * x)


def test_one_array_passed_twice_read_only_with_one_shadow():
    """weighted(a, a) = sum(a sin a): both derivatives accumulate into the shared shadow."""
    a, d = u(3), np.full(3, 0.5)
    autodiff(Reverse, K.weighted, Active, Duplicated(a, d), Duplicated(a, d))
    np.testing.assert_allclose(d, 0.5 + np.sin(a) + a * np.cos(a))


def test_strided_shadow_touches_only_its_view():
    base_x, base_d = np.ones(6), np.full(6, 7.0)
    d = base_d[::2]
    d[:] = 0.0
    autodiff(Reverse, K.cube_sum, Active, Duplicated(base_x[::2], d))
    np.testing.assert_array_equal(base_d, [3.0, 7.0, 3.0, 7.0, 3.0, 7.0])


def test_forward_tangent_of_array_return():
    x, dx = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 2.0])
    (t,) = autodiff(Forward, K.returns_array, Duplicated, Duplicated(x, dx))
    np.testing.assert_array_equal(t, 2.0 * dx)


@pytest.mark.parametrize("f, grad", [(K.doubled_sumsq, lambda x: 4.0 * x), (K.impostor, lambda x: 3.0 * x ** 2)],
                         ids=["wrapper_that_doubles", "wraps_borrowed_metadata"])
def test_wrapped_function_right_or_refused(f, grad):
    """Regression of core bug trust-2 (the wrapped function's source was differentiated: wrong gradients)."""
    x, dx = u(3), np.zeros(3)
    try:
        autodiff(Reverse, f, Active, Duplicated(x, dx))
    except ad.AdCompilerError:
        return
    np.testing.assert_allclose(dx, grad(x))
