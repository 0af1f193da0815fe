"""Self-tests of adcompiler.testing: the harness must pass hand-written correct
adjoints and fail deliberately wrong ones, independently of the core."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler.activity import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
)
from adcompiler.testing import check_gradient, check_grads


def f_(s, a, b):
    s[:] = a + b


def scale_sum(s, a, c):
    s[:] = c * a
    return float(np.sum(s))


def sq_norm(x, n, c):
    return float(c * np.sum(x[:n] ** 2))


def adj_seed(args, variant):
    """Hand-written adjoint of ``f_``; ``variant`` injects one mistake."""
    s, a, b = args
    if variant != "no_primal":
        s.val[:] = a.val + b.val
    ds = s.dval.copy()
    for x in (a, b):
        if isinstance(x, Duplicated):
            if variant == "overwrite" and x is b:
                x.dval[:] = ds
            elif variant == "sign" and x is a:
                x.dval[:] -= ds
            else:
                x.dval[:] += ds
    if variant == "one_elem":
        a.dval[-1] -= 1e-3 * ds[-1]
    if variant != "keep_seed":
        s.dval[:] = 0.0
    return (None, None, None) if variant != "bad_tuple" else (None, None)


def adj_scale_sum(args, variant, dret=1.0):
    s, a, c = args
    ds = s.dval.copy()
    s.val[:] = c.val * a.val
    g = ds + (dret if variant != "no_return" else 0.0)
    a.dval[:] += c.val * g
    s.dval[:] = 0.0
    dc = float(np.sum(g * a.val))
    return (None, None, dc if variant != "zero_active" else 0.0)


class FakeEngine:
    """An engine exposing autodiff/autodiff_thunk/gradient with hand-written adjoints."""

    def __init__(self, variant="ok"):
        self.variant = variant

    def autodiff(self, mode, f, ret, *args):
        prim = f(*[a.val for a in _copies(args)]) if mode is ReverseWithPrimal else None
        if f is f_:
            derivs = adj_seed(args, self.variant)
        else:
            derivs = adj_scale_sum(args, self.variant)
        if mode is ReverseWithPrimal:
            return derivs, (prim if self.variant != "bad_primal" else 0.0)
        return derivs

    def autodiff_thunk(self, mode, f, ret, *types):
        def fwd(*args):
            vals = [a.val.copy() if isinstance(a.val, np.ndarray) else a.val for a in args]
            prim = f(*[a.val for a in args])
            return vals, prim

        def rev(*args):
            *args, dret, tape = args
            for a, v in zip(args, tape):
                if isinstance(v, np.ndarray):
                    a.val[:] = v  # restore the inputs, the adjoint reruns the primal
            if self.variant == "ignore_dret":
                dret = 1.0
            derivs = adj_scale_sum(args, self.variant, dret)
            return derivs
        return fwd, rev

    def gradient(self, f, *args):
        x, n, c = args
        g = np.zeros_like(x)
        g[:n] = 2 * c * x[:n]
        if self.variant == "mutate":
            x[0] += 1.0
        if self.variant == "off_by_one":
            g[n] = 1.0
        dc = float(np.sum(x[:n] ** 2))
        return (g, None if self.variant != "int_grad" else 0.0, dc)


def _copies(args):
    out = []
    for a in args:
        v = a.val.copy() if isinstance(a.val, np.ndarray) else a.val
        out.append(Duplicated(v, a.dval.copy()) if isinstance(a, Duplicated) else type(a)(v))
    return out


def seed_args(rng, n=4):
    return (Duplicated(np.zeros(n), np.zeros(n)), Duplicated(rng.normal(size=n), np.zeros(n)),
            Duplicated(rng.normal(size=n), np.zeros(n)))


def test_correct_seed_adjoint_passes():
    rng = np.random.default_rng(1)
    res = check_grads(f_, *seed_args(rng), ret=Const, engine=FakeEngine())
    assert set(res.errors) == {"s", "a", "b", "all"}
    assert max(res.errors.values()) < 1e-8


def test_correct_seed_adjoint_passes_with_const_args():
    rng = np.random.default_rng(2)
    s, a, b = seed_args(rng)
    res = check_grads(f_, s, Const(a.val), b, engine=FakeEngine())
    assert set(res.errors) == {"s", "b", "all"}


@pytest.mark.parametrize("variant", ["overwrite", "sign", "keep_seed", "no_primal", "bad_tuple",
                                     "one_elem"])
def test_wrong_seed_adjoint_fails(variant):
    rng = np.random.default_rng(3)
    with pytest.raises(AssertionError):
        check_grads(f_, *seed_args(rng), ret=Const, engine=FakeEngine(variant))


def test_small_error_in_one_element_of_many_fails():
    rng = np.random.default_rng(11)
    check_grads(f_, *seed_args(rng, 200), ret=Const, engine=FakeEngine())
    with pytest.raises(AssertionError):
        check_grads(f_, *seed_args(rng, 200), ret=Const, engine=FakeEngine("one_elem"))


def test_failure_message_names_argument_and_elements():
    rng = np.random.default_rng(4)
    with pytest.raises(AssertionError, match=r"'b'.*\n.*element-wise"):
        check_grads(f_, *seed_args(rng), ret=Const, engine=FakeEngine("overwrite"))


def test_caller_objects_untouched():
    rng = np.random.default_rng(5)
    args = seed_args(rng)
    before = [(a.val.copy(), a.dval.copy()) for a in args]
    check_grads(f_, *args, ret=Const, engine=FakeEngine())
    for a, (v, d) in zip(args, before):
        assert np.array_equal(a.val, v) and np.array_equal(a.dval, d)


def scale_args(rng, c_active=True):
    c = 1.3
    return (Duplicated(np.zeros(3), np.zeros(3)), Duplicated(rng.normal(size=3), np.zeros(3)),
            Active(c) if c_active else Const(c))


@pytest.mark.parametrize("mode", [Reverse, ReverseWithPrimal, ReverseSplitWithPrimal])
def test_active_scalar_and_return_pass(mode):
    rng = np.random.default_rng(6)
    res = check_grads(scale_sum, *scale_args(rng), mode=mode, engine=FakeEngine())
    assert set(res.errors) == {"s", "a", "c", "all"}
    if mode is not Reverse:
        assert res.primal_return == pytest.approx(1.3 * np.sum(scale_args(np.random.default_rng(6))[1].val))


@pytest.mark.parametrize("variant,mode", [("no_return", Reverse), ("zero_active", Reverse),
                                          ("bad_primal", ReverseWithPrimal),
                                          ("ignore_dret", ReverseSplitWithPrimal)])
def test_wrong_active_adjoint_fails(variant, mode):
    rng = np.random.default_rng(7)
    with pytest.raises(AssertionError):
        check_grads(scale_sum, *scale_args(rng), mode=mode, engine=FakeEngine(variant))


def test_return_const_ignores_return_term():
    # with ret=Const the correct adjoint is the one without the return seed
    rng = np.random.default_rng(8)
    check_grads(scale_sum, *scale_args(rng), ret=Const, engine=FakeEngine("no_return"))
    with pytest.raises(AssertionError):
        check_grads(scale_sum, *scale_args(rng), ret=Const, engine=FakeEngine())


def test_float32_uses_looser_tolerance():
    rng = np.random.default_rng(9)
    args = [Duplicated(np.zeros(4, np.float32), np.zeros(4, np.float32)),
            Duplicated(rng.normal(size=4).astype(np.float32), np.zeros(4, np.float32)),
            Duplicated(rng.normal(size=4).astype(np.float32), np.zeros(4, np.float32))]
    check_grads(f_, *args, ret=Const, engine=FakeEngine())


def test_shared_memory_refused():
    x = np.zeros(4)
    with pytest.raises(ValueError):
        check_grads(f_, Duplicated(x, np.zeros(4)), Duplicated(x[:], np.zeros(4)),
                    Duplicated(np.ones(4), np.zeros(4)), engine=FakeEngine())


@pytest.mark.parametrize("variant,ok", [("ok", True), ("mutate", False), ("off_by_one", False),
                                        ("int_grad", False)])
def test_check_gradient(variant, ok):
    x = np.random.default_rng(10).normal(size=5)
    if ok:
        res = check_gradient(sq_norm, x, 3, 0.7, engine=FakeEngine(variant))
        assert set(res.errors) == {"x", "c", "all"}
    else:
        with pytest.raises(AssertionError):
            check_gradient(sq_norm, x, 3, 0.7, engine=FakeEngine(variant))


def _scaled_by_list(s, x, L):
    s[:] = L[0] * x + L[1] * x ** 2


def test_check_grads_takes_const_containers_of_arrays():
    """A Const list holding an array (numpy could not make one array of it: a raw ValueError)."""
    from adcompiler import Const, Duplicated
    from adcompiler.testing import check_grads
    x = np.array([0.3, 0.5, 0.7])
    res = check_grads(_scaled_by_list, Duplicated(np.zeros(3), np.zeros(3)), Duplicated(x, np.zeros(3)),
                      Const([np.array([1.0, 2.0, 3.0]), 0.5]))
    assert res.errors["all"] < 1e-6 and set(res.errors) == {"s", "x", "all"}


def _carry(M, v):
    s = 0.0
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            s = s * 0.5 + M[i, j] * v[j]
    return s


def test_check_grads_takes_fortran_ordered_arrays():
    """Its seeds were C-ordered, which ``Duplicated`` refuses for a Fortran-ordered array."""
    from adcompiler import Duplicated, ReverseSplitWithPrimal
    rng = np.random.default_rng(0)
    M = np.asfortranarray(rng.uniform(-1, 1, (3, 4)))
    res = check_grads(_carry, Duplicated(M, np.zeros_like(M)), Duplicated(rng.normal(size=4), np.zeros(4)),
                      mode=ReverseSplitWithPrimal)
    assert res.errors["all"] < 1e-6


def test_check_grads_with_nothing_to_check_warns():
    """A plain array is a constant: no derivative is checked, which looked like a pass."""
    import warnings

    from adcompiler.errors import AdCompilerWarning
    from adcompiler.testing import check_grads

    def cube_sum(x):
        return float(np.sum(x ** 3))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        check_grads(cube_sum, np.array([1.0, 2.0]))
    assert any(issubclass(w.category, AdCompilerWarning) and "no derivative is checked" in str(w.message)
               for w in seen)


def _sum_and_squares(x):
    return float(np.sum(x)), x ** 2


def test_primal_returns_holding_arrays_are_compared_element_by_element():
    """``check_grads`` with a primal-returning mode of a function returning a tuple
    that holds an array: the comparison asked numpy for the truth of an array
    (a ValueError); a wrong element is still told apart."""
    from adcompiler import Const, Duplicated, ReverseSplitWithPrimal, ReverseWithPrimal
    from adcompiler.testing import check_grads
    from adcompiler.testing.fd import close
    x = np.array([0.7, 1.2, 0.9])
    for mode in (ReverseWithPrimal, ReverseSplitWithPrimal):
        check_grads(_sum_and_squares, Duplicated(x.copy(), np.zeros(3)), ret=Const, mode=mode)
    assert close((2.8, x ** 2), (2.8, x ** 2))
    assert not close((2.8, x ** 2), (2.8, x ** 2 + 1e-6))
    assert not close((2.8, x ** 2), (2.8, x ** 2, 1.0))
    assert close({"a": x}, {"a": x.copy()}) and not close({"a": x}, {"b": x})


def test_primal_results_with_nan_and_inf_are_compared():
    """``close`` (the primal results' comparison of ``check_grads``): an argument holding NaN was
    reported as changed (NaN != NaN); one holding inf made the tolerance infinite, so that any
    other values passed."""
    from adcompiler.testing.fd import close
    assert close(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert not close(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert not close(np.array([np.inf, 1.0]), np.array([np.inf, 5.0]))
    assert close(np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf]))
    assert not close(np.array([np.inf, 1.0]), np.array([-np.inf, 1.0]))
    assert close(float("nan"), float("nan")) and not close(float("nan"), 1.0)


def _leapfrog_float32_step(q, p, traj, k):
    dt = np.float32(0.1)   # (0.5 * dt * k is a float32: a staircase in k at the scale of float32's spacing)
    for i in range(traj.shape[0]):
        p -= 0.5 * dt * k * q
        q += dt * p
        p -= 0.5 * dt * k * q
        traj[i] = q


def _leapfrog_args():
    f32 = np.float32
    return (Duplicated(np.array([1.0, 0.5], f32), np.zeros(2, f32)), Duplicated(np.array([0.0, 0.2], f32),
            np.zeros(2, f32)), Duplicated(np.zeros((4, 2), f32), np.zeros((4, 2), f32)), Active(1.2))


def test_a_staircase_of_float32_arithmetic_is_checked_at_coarser_steps():
    """A step of 1e-6 differences float32's rounding of ``0.5 * dt * k`` (a finite difference
    12% off: a false alarm on a right gradient); the differences of two coarser steps agree."""
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(_leapfrog_float32_step, *_leapfrog_args(), mode=mode)


class _OffEngine:
    """adcompiler's derivatives, that of ``k`` 1% off."""
    @staticmethod
    def autodiff(mode, f, ret, *args, **kw):
        import adcompiler
        out = list(adcompiler.autodiff(mode, f, ret, *args, **kw))
        out[3] = out[3] * 1.01
        return tuple(out)


def test_a_wrong_derivative_of_a_float32_staircase_still_fails():
    with pytest.raises(AssertionError, match="'k'"):
        check_grads(_leapfrog_float32_step, *_leapfrog_args(), engine=_OffEngine())


def _wiggle(k, w):
    return k + 0.03 / w * np.sin(w * k)


class _ScaledK:
    """adcompiler's derivatives, that of the first argument times ``s``."""
    def __init__(self, s):
        self.s = s

    def autodiff(self, mode, f, ret, *args, **kw):
        import adcompiler
        out = list(adcompiler.autodiff(mode, f, ret, *args, **kw))
        out[0] = out[0] * self.s
        return tuple(out)


def test_float64_arguments_are_not_checked_at_coarser_steps():
    """A wiggle of the period of the coarser steps is invisible to them: for float64 arguments
    only the step h decides (a derivative 2% off was accepted when the coarse steps ran for any
    dtype)."""
    from adcompiler.testing.check import Problem
    d = Problem(_wiggle, (Active(0.4), Const(1.0)), np.random.default_rng(0)).dirs[0]
    w = np.pi / (1000 * 1e-6 * abs(d))
    true = 1.0 + 0.03 * np.cos(w * 0.4)
    check_grads(_wiggle, Active(0.4), Const(w), engine=_ScaledK(1.0))
    with pytest.raises(AssertionError, match="'k'"):
        check_grads(_wiggle, Active(0.4), Const(w), engine=_ScaledK(1.0 / true))


def test_float32_arithmetic_inside_a_kernel_of_float64_arguments():
    """The staircase comes from ``np.float32(0.1)`` in the kernel (the leapfrog above, given float64
    arguments): its source names the type."""
    args = (Duplicated(np.array([1.0, 0.5]), np.zeros(2)), Duplicated(np.array([0.0, 0.2]), np.zeros(2)),
            Duplicated(np.zeros((4, 2)), np.zeros((4, 2))), Active(1.2))
    check_grads(_leapfrog_float32_step, *args, rtol=1e-3)
    with pytest.raises(AssertionError, match="'k'"):
        check_grads(_leapfrog_float32_step, *args, rtol=1e-3, engine=_OffEngine())


def _loop_square_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i] * (i + 1.0)
    return s


@pytest.mark.parametrize("engine", ["numpy", "auto", "numba"])
def test_engine_named_by_its_backend(engine):
    """``engine="numba"`` (as a user writes it) was an AttributeError ('str' object has no
    attribute 'autodiff'); a backend's name runs autodiff, autodiff_thunk and gradient under it."""
    if engine == "numba":
        from optional import require
        require("numba")
    x = np.array([0.5, -1.0, 2.0])
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(_loop_square_sum, Duplicated(x.copy(), np.zeros(3)), mode=mode, engine=engine)
    check_gradient(_loop_square_sum, x.copy(), engine=engine)
    with pytest.raises(ValueError, match="not a backend"):
        check_grads(_loop_square_sum, Duplicated(x.copy(), np.zeros(3)), engine="numbaa")
