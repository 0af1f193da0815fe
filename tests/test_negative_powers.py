"""A negative Python float to a fractional power is a complex number in Python
(``(-2.0) ** 1.5``; numpy's float64 gives nan). The analyses take a power of a real
number for a real number: where it is complex at run time, the call is refused at the
user's line, on every entry point. Before, reverse and forward mode gave the derivative
with the wrong sign without an error (or raised a bare TypeError from the tape)."""
import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import (
    Active,
    BatchDuplicated,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    ReverseWithPrimal,
    autodiff,
)


def scaled(x, a):
    return np.sum(np.abs(x * a ** 1.5))


def in_a_loop(x, a):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * a ** 0.5
    return s


def raised_in_place(x, a):
    a **= 1.5   # (a number: a = a ** 1.5)
    return np.sum(np.abs(x * a))


X = np.array([0.3, -1.2, 0.7])
REFUSED = "test_negative_powers.py:[0-9]+.*complex number in Python"


@pytest.mark.parametrize("f", [scaled, in_a_loop, raised_in_place])
def test_refused_at_the_line_on_every_entry_point(f):
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        autodiff(Reverse, f, Active, Const(X), Active(-2.0))
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        autodiff(ReverseWithPrimal, f, Active, Duplicated(X.copy(), np.zeros(3)), Active(-2.0))
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        fwd, _ = ad.autodiff_thunk(ReverseSplitWithPrimal, f, Active, Duplicated, Active)
        fwd(Duplicated(X.copy(), np.zeros(3)), Active(-2.0))
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        autodiff(Forward, f, Duplicated, Const(X), Duplicated(-2.0, 1.0))
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        autodiff(Forward, f, Duplicated, Const(X), BatchDuplicated(-2.0, (1.0, 2.0)))
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        ad.gradient(f, X, -2.0)
    autograd, torch = require("autograd"), require("torch")
    g = ad.differentiate(f)
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        autograd.grad(g, 1)(X, -2.0)
    a = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ad.AdCompilerError, match=REFUSED):
        g(torch.tensor(X), a).backward()


def test_the_emitted_module_refuses_it_too():
    """The stand-alone module carries the check: it raises where the base is negative."""
    from everywhere import emitted_module
    ns, info = emitted_module(scaled, [Const(X), Active(-2.0)], Active)
    with pytest.raises(ValueError, match=r"negative_powers.py:\d+: .*is a complex number in Python"):
        ns[info.fused_name](X, -2.0)
    got = ns[info.fused_name](X, 2.0)
    assert got[0] == pytest.approx(1.5 * np.sqrt(2.0) * np.sum(np.abs(X)), rel=1e-14)


@pytest.mark.parametrize("f", [scaled, in_a_loop, raised_in_place])
def test_positive_bases_everywhere(f):
    check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), Active(2.0), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))


def test_a_base_known_to_be_positive_is_not_checked():
    """``r2 = d * d + 0.1``: at least 0.1, so its power is real; no check is emitted."""
    def gravity(x, f):
        for i in range(x.shape[0]):
            d = x[i] - 1.0
            r2 = d * d + 0.1
            f[i] += d / r2 ** 1.5
    from adcompiler.analysis.kinds import array
    from adcompiler.pipeline import reverse_module
    mod = reverse_module(gravity, (array(1), array(1)), ("Duplicated", "Duplicated"), False)
    assert "_ad_real_power_checked" not in mod.source and "r2 ** 1.5" in mod.source


def test_under_numba_nan_as_numpy_gives():
    """numba computes in float64 and cannot tell a Python float from an array's element: the power
    of a negative base is nan there (as numpy's float64 gives), never a wrong number."""
    require("numba")
    for backend in ("numba", "auto"):
        (_, da), value = autodiff(ReverseWithPrimal, in_a_loop, Active, Duplicated(X.copy(), np.zeros(3)),
                                  Active(-2.0), backend=backend)
        assert np.isnan(value) and np.isnan(da)
        (_, da), value = autodiff(ReverseWithPrimal, in_a_loop, Active, Duplicated(X.copy(), np.zeros(3)),
                                  Active(2.0), backend=backend)
        assert value == pytest.approx(np.sum(X) * np.sqrt(2.0), rel=1e-14)
        assert da == pytest.approx(np.sum(X) * 0.5 / np.sqrt(2.0), rel=1e-14)


def masked_root(x, y):
    for i in range(x.shape[0]):
        r = x[i] ** 0.5   # (an element: numpy's float64, nan where negative, and not read there)
        if x[i] > 0.0:
            y[i] = r
        else:
            y[i] = x[i]


def test_elements_of_arrays_are_numpy_floats():
    """A power of an array's element is numpy's (nan for a negative base): not refused."""
    x = np.array([0.3, -0.7, 1.1])
    for backend in ("numpy", "numba"):
        dx, y = np.zeros(3), np.zeros(3)
        with np.errstate(invalid="ignore"):
            autodiff(Reverse, masked_root, Const, Duplicated(x.copy(), dx), Duplicated(y, np.ones(3)), backend=backend)
        np.testing.assert_allclose(y, [np.sqrt(0.3), -0.7, np.sqrt(1.1)], rtol=1e-14)
        np.testing.assert_allclose(dx, [0.5 / np.sqrt(0.3), 1.0, 0.5 / np.sqrt(1.1)], rtol=1e-14)
