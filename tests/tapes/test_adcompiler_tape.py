"""The wrapped function inside code that adcompiler itself differentiates:
its registered adjoint is used (forward pass once, reverse sweep only)."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.tapes import split
from adcompiler.testing import check_grads

from . import nested_kernels as K


def test_seed_under_adcompiler():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    g1 = ad.gradient(K.g1, a, b)
    g2 = ad.gradient(K.g2, a, b)
    for x, y in zip(g1, g2):
        np.testing.assert_allclose(x, y, rtol=1e-12)
        np.testing.assert_allclose(x, 2 * (a + b), rtol=1e-12)


def test_registered_adjoint_runs_kernel_once(monkeypatch):
    counts = {"forward": 0, "backward": 0}
    real_forward, real_backward = split.forward, split.backward

    def counting_forward(*args, **kw):
        counts["forward"] += 1
        return real_forward(*args, **kw)

    def counting_backward(*args, **kw):
        counts["backward"] += 1
        return real_backward(*args, **kw)
    monkeypatch.setattr(split, "forward", counting_forward)
    monkeypatch.setattr(split, "backward", counting_backward)
    import adcompiler.tapes.differentiate as D
    monkeypatch.setattr(D, "forward", counting_forward)
    monkeypatch.setattr(D, "backward", counting_backward)
    a = np.random.default_rng(1).uniform(-0.5, 0.5, 6)
    g = ad.gradient(K.recurrence_loss, a)[0]
    assert counts == {"forward": 1, "backward": 1}
    h, e = 1e-6, np.random.default_rng(2).standard_normal(6)
    fd = (K.recurrence_loss(a + h * e) - K.recurrence_loss(a - h * e)) / (2 * h)
    np.testing.assert_allclose(np.dot(g, e), fd, rtol=1e-6)


@pytest.mark.parametrize("name", ["written_after", "own_input_written", "copy_zeroed_after",
                                  "scalar_kernel_then_written"])
def test_kernel_arguments_written_after_the_call(name):
    """The kernel's reverse sweep reads its arguments as they were at the call,
    not as the calling code left them (the caller's array was read: a wrong
    gradient whenever the caller wrote it after the call)."""
    f = getattr(K, name)
    rng = np.random.default_rng(4)
    if name == "scalar_kernel_then_written":
        args = [ad.Duplicated(rng.normal(size=5), np.zeros(5)) for _ in range(2)]
        ret = ad.Active
    else:
        args = [ad.Duplicated(np.zeros(5), np.zeros(5)), ad.Duplicated(rng.normal(size=5), np.zeros(5))]
        ret = ad.Const
    for mode in (ad.Reverse, ad.ReverseWithPrimal, ad.ReverseSplitWithPrimal):
        check_grads(f, *args, ret=ret, mode=mode)


def test_kernel_called_with_an_integer_argument():
    """``stencil(u, c, 3)`` inside code adcompiler differentiates: the step count
    is a constant (every input was taken as needing a gradient: refused)."""
    u = np.array([0.5, 1.3, 0.7, 1.1, 0.9, 1.5, 0.6])
    check_grads(K.stencil_loss, ad.Duplicated(u, np.zeros(7)), ad.Active(0.2), ret=ad.Active)
    _, gc = ad.gradient(K.stencil_loss, u, 0.2)
    h = 1e-6
    fd = (K.stencil_loss(u.copy(), 0.2 + h) - K.stencil_loss(u.copy(), 0.2 - h)) / (2 * h)
    assert gc == pytest.approx(fd, rel=1e-6)


def test_kernel_with_const_arguments():
    """A ``const=`` argument of the kernel carries a derivative in the calling code: its
    gradient through the kernel is zero by that declaration, as on the tapes (the reverse
    sweep added the kernel's None into the adjoint: a numpy casting error)."""
    x, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    gx, gw = ad.gradient(K.weighted_square_loss, x, w)
    np.testing.assert_allclose(gx, 3.0 * w * x ** 2)
    np.testing.assert_array_equal(gw, np.zeros(3))


def test_wrapped_kernels_of_one_name_stay_apart():
    """Two ``differentiate``d kernels named alike in one caller: reverse mode ran the second for
    both and forward mode the first for both (the value 12.6 for 6.57, without an error)."""
    a = np.array([0.3, -1.2, 2.0])
    want_value = float(np.sum(np.sin(a)) + np.sum(a ** 3))
    want = np.cos(a) + 3 * a ** 2
    value, g = ad.value_and_grad(K.same_names)(a.copy())
    assert value == pytest.approx(want_value, rel=1e-12)
    np.testing.assert_allclose(g, want, rtol=1e-12)
    value, tangent = ad.jvp(K.same_names, (a.copy(),), (np.array([1.0, 0.0, 0.0]),))
    assert value == pytest.approx(want_value, rel=1e-12)
    assert tangent == pytest.approx(want[0], rel=1e-12)


@pytest.mark.parametrize("caller", [K.both_scales, K.both_scales_other_order])
def test_one_kernel_wrapped_twice_stays_two_rules(caller):
    """``const=("c",)`` on one wrapper of a kernel and not on the other: each keeps its own
    derivative with respect to ``c`` (gradient raised a TypeError or doubled it; jvp gave 0 or 28)."""
    a, c = np.array([1.0, 2.0, 3.0]), 0.7
    da, dc = ad.gradient(caller, a.copy(), c)
    np.testing.assert_allclose(da, 4 * c * a, rtol=1e-12)
    assert dc == pytest.approx(np.sum(a ** 2), rel=1e-12)   # (the const= call adds nothing)
    _, tangent = ad.jvp(caller, (a.copy(), c), (np.zeros(3), 1.0))
    assert tangent == pytest.approx(np.sum(a ** 2), rel=1e-12)
    check_grads(caller, ad.Duplicated(a.copy(), np.zeros(3)), ad.Const(c))
