"""A shadow in another layout than its array is given a copy in the array's
layout (``shadows_in_layout``) before the alias checks. A shadow sharing memory
with another argument, its own array or another shadow (``dy[::-1]`` as the
shadow of ``x`` beside ``Duplicated(y, dy)``) was copied too: the checks saw
separate copies, and the copies written back clobbered the other array (a
shadow lost, a primal result overwritten, silently). Such a shadow is not
copied now, and the call is refused, on every entry point that copies."""
from __future__ import annotations

import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler.errors import AdCompilerError


def ew(y, x):
    y[:] = np.sin(x) * x + y * x


def readboth(a, b):
    return float(np.sum(a * b))


X0 = np.array([0.3, 0.5, 0.7, 0.9])
Y0 = np.array([1.1, 1.2, 1.3, 1.4])


def _cases():
    """(name, build): build() -> (y, dy, x, dx, the arrays whose memory the call must leave alone)."""
    def shadow_reversed():
        y, x, dy = Y0.copy(), X0.copy(), np.ones(4)
        return y, dy, x, dy[::-1], [dy]

    def shadow_is_other_primal():
        y, x, dy = Y0.copy(), X0.copy(), np.ones(4)
        return y, dy, x, y[::-1], [y]

    def shadow_is_own_primal():
        y, x, dy = Y0.copy(), X0.copy(), np.ones(4)
        return y, dy, x, x[::-1], [x]

    def overlapping_strided():
        y, x, D = Y0.copy(), X0.copy(), np.ones(8)
        return y, D[:4], x, D[::2], [D]

    def one_shadow_two_arrays():
        y, x, d = Y0.copy(), X0.copy(), np.ones(8)
        return y, d[::2], x, d[::2], [d]

    return [shadow_reversed, shadow_is_other_primal, shadow_is_own_primal, overlapping_strided,
            one_shadow_two_arrays]


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
@pytest.mark.parametrize("mode", [ad.Reverse, ad.ReverseWithPrimal, ad.Forward, ad.ForwardWithPrimal],
                         ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("build", _cases(), ids=lambda f: f.__name__)
def test_aliased_shadow_in_another_layout_is_refused(build, mode, backend):
    if backend != "numpy":
        require("numba")
    y, dy, x, dx, kept = build()
    before = [k.copy() for k in kept] + [y.copy(), x.copy()]
    with pytest.raises(AdCompilerError):
        ad.autodiff(mode, ew, ad.Const, ad.Duplicated(y, dy), ad.Duplicated(x, dx), backend=backend)
    for k, b in zip(kept + [y, x], before):   # (refused before anything ran or was written back)
        np.testing.assert_array_equal(k, b)


@pytest.mark.parametrize("mode", [ad.Reverse, ad.Forward], ids=lambda m: type(m).__name__)
def test_overlapping_arrays_with_shadows_overlapping_alike_in_another_layout(mode):
    """Read-only arrays sharing memory (``X[1:]``, ``X[:-1]`` of an F-ordered ``X``)
    with shadows sharing it alike in C order: refused for the layout (it was refused
    saying the shadows did not share memory as the arrays do); in the arrays' layout, exact."""
    X = np.asfortranarray(np.arange(12.0).reshape(3, 4) / 7)
    dX = np.zeros(X.shape)
    with pytest.raises(AdCompilerError, match="steps through memory"):
        ad.autodiff(mode, readboth, ad.Active if mode is ad.Reverse else ad.Const,
                    ad.Duplicated(X[1:], dX[1:]), ad.Duplicated(X[:-1], dX[:-1]))
    dX = np.zeros_like(X)   # (F order, as X)
    ad.autodiff(ad.Reverse, readboth, ad.Active, ad.Duplicated(X[1:], dX[1:]), ad.Duplicated(X[:-1], dX[:-1]))
    want = np.zeros_like(X)
    want[1:] += X[:-1]
    want[:-1] += X[1:]
    np.testing.assert_allclose(dX, want, rtol=1e-14)


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_a_shadow_in_another_layout_apart_from_everything_is_still_copied(backend):
    """The copy stays for a shadow that shares memory with nothing else: the
    derivatives land in the caller's shadow (against the derivatives written out)."""
    if backend != "numpy":
        require("numba")
    y, x = Y0.copy(), X0.copy()
    base = np.zeros(8)
    dx = base[::2]                       # (a strided shadow of a contiguous x)
    dy = np.ones(4)
    ad.autodiff(ad.Reverse, ew, ad.Const, ad.Duplicated(y, dy), ad.Duplicated(x, dx), backend=backend)
    np.testing.assert_allclose(y, np.sin(X0) * X0 + Y0 * X0, rtol=1e-14)
    want = np.sin(X0) + X0 * np.cos(X0) + Y0
    np.testing.assert_allclose(dx, want, rtol=1e-12)
    np.testing.assert_allclose(base[1::2], 0.0)
    np.testing.assert_allclose(dy, X0, rtol=1e-14)
