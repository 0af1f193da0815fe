"""The pure entry points (``grad``, ``value_and_grad``, ``gradient``, ``vjp``,
``jvp``, ``hvp``, ``differentiate``) run the function on copies of the
caller's arrays. A copy must keep the caller's strides: whether ``np.ravel``
or ``reshape`` of an argument returns a view or a copy depends on them, and a
contiguous copy of a step-sliced array turned ``v = np.ravel(X); v *= a``
into a write of ``X`` (value and gradient of another function, silently)."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler.api.arguments import layout_copy, layout_zeros
from adcompiler.errors import AdCompilerError


def ravel_write(X, a):
    v = np.ravel(X)          # a copy for a step-sliced X, a view of a contiguous one
    v *= a[0]
    return float(np.sum(X * a[1]))


def reads_strided(X, a):
    s = 0.0
    for i in range(X.shape[0]):
        s += np.sum(np.ravel(X[i]) * a[i])
    return s * a[0]


def _strided():
    base = np.arange(24.0).reshape(3, 8) / 10.0
    return base[:, ::2], np.array([2.0, 3.0, 0.5])


@pytest.mark.parametrize("make", [
    lambda: (np.arange(24.0).reshape(3, 8))[:, ::2],
    lambda: (np.arange(24.0).reshape(3, 8))[::-1, 1::3],
    lambda: (np.arange(60.0).reshape(3, 4, 5)).transpose(2, 0, 1)[::2],
    lambda: np.arange(10.0)[::-2],
    lambda: np.arange(12.0).reshape(3, 4).T,
    lambda: np.zeros((0, 3))[:, ::2],
])
def test_layout_copy_keeps_strides_and_values(make):
    x = make()
    c = layout_copy(x)
    assert c.strides == x.strides and c.flags.writeable
    assert not np.shares_memory(c, x)
    np.testing.assert_array_equal(c, x)
    z = layout_zeros(x)
    assert z.strides == x.strides and not np.any(z)


@pytest.mark.parametrize("call", [
    lambda X, a: ad.value_and_grad(ravel_write, argnums=(0, 1))(X, a),
    lambda X, a: ad.grad(ravel_write, argnums=1)(X, a),
    lambda X, a: ad.gradient(ravel_write, X, a),
    lambda X, a: ad.vjp(ravel_write, X, a),
    lambda X, a: ad.jvp(ravel_write, (X, a), (np.ones_like(X), np.ones(3))),
    lambda X, a: ad.hvp(ravel_write, (X, a), (np.ones_like(X), np.ones(3))),
    lambda X, a: ad.differentiate(ravel_write)(X, a),
], ids=["value_and_grad", "grad", "gradient", "vjp", "jvp", "hvp", "differentiate"])
def test_strided_argument_is_refused_as_autodiff_refuses_it(call):
    """``f`` itself copies (ravel of a strided array); the transforms ran it on a
    contiguous copy, where ravel views: 79.2 for 39.6, gradient [39.6, 26.4, 0]
    for [0, 13.2, 0]."""
    X, a = _strided()
    assert ravel_write(X.copy(order="K")[:, :], a.copy()) != ravel_write(layout_copy(X), a.copy())
    with pytest.raises(AdCompilerError, match=r"returned a copy, not a view|writes \['X'\] in place"):
        call(X, a)
    with pytest.raises(AdCompilerError, match="returned a copy, not a view"):
        ad.autodiff(ad.ReverseWithPrimal, ravel_write, ad.Active, ad.Duplicated(layout_copy(X), layout_zeros(X)),
                    ad.Duplicated(a.copy(), np.zeros(3)))


def test_strided_reads_are_differentiated_on_every_pure_entry_point():
    X, a = _strided()
    want_val = reads_strided(X, a)
    Xc, ac = X.copy(), a.copy()
    value, (gX, ga) = ad.value_and_grad(reads_strided, argnums=(0, 1))(X, a)
    assert value == pytest.approx(want_val)
    h = 1e-6
    for arr, g in ((X, gX), (a, ga)):
        for idx in np.ndindex(arr.shape):
            xp = [X.copy(), a.copy()]
            xm = [X.copy(), a.copy()]
            k = 0 if arr is X else 1
            xp[k][idx] += h
            xm[k][idx] -= h
            fd = (reads_strided(*xp) - reads_strided(*xm)) / (2 * h)
            assert g[idx] == pytest.approx(fd, rel=1e-6, abs=1e-8)
    np.testing.assert_array_equal(X, Xc)   # the caller's arrays are as they were
    np.testing.assert_array_equal(a, ac)
    v = (np.linspace(0.1, 1.0, X.size).reshape(X.shape), np.array([0.3, -0.2, 0.7]))
    _, tangent = ad.jvp(reads_strided, (X, a), v)
    assert tangent == pytest.approx(np.sum(gX * v[0]) + np.sum(ga * v[1]))
    import autograd
    g_ag = autograd.grad(lambda a_: ad.differentiate(reads_strided)(X, a_))(a)
    np.testing.assert_allclose(g_ag, ga, rtol=1e-12)


def test_a_write_through_np_ravel_makes_the_argument_written():
    """``v = np.ravel(X); v *= a[0]`` writes a contiguous ``X``: ``grad`` in ``a``
    alone gives ``X`` a scratch shadow (it was a Const receiving a derivative: refused)."""
    X = np.arange(12.0).reshape(3, 4) / 10.0
    a = np.array([2.0, 3.0, 0.5])
    g = ad.grad(ravel_write, argnums=1)(X, a)
    np.testing.assert_allclose(g, [a[1] * X.sum(), a[0] * X.sum(), 0.0], rtol=1e-12)
    with pytest.raises(AdCompilerError, match=r"writes \['X'\] in place"):
        ad.differentiate(ravel_write)(X, a)


def _sum_of_squares_2d(A):
    t = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            t += A[i, j] ** 2
    return t


def test_a_strided_2d_view_asks_for_a_shadow_it_can_take():
    """A 2-D strided view given np.zeros_like(A) as shadow: the hint said to use
    np.zeros_like(A), which was what was given; it names the two ways that work,
    and both do."""
    from adcompiler import Active, Duplicated, Reverse, autodiff
    from adcompiler.errors import ShapeError
    base = np.arange(12.0).reshape(3, 4) / 10
    A = base[:, 1:]
    with pytest.raises(ShapeError, match=r"np.ascontiguousarray\(A\)") as e:
        autodiff(Reverse, _sum_of_squares_2d, Active, Duplicated(A, np.zeros_like(A)))
    assert "np.zeros_like(base)[:, 1:]" in str(e.value)
    for x, dx in ((np.ascontiguousarray(A), np.zeros_like(A)), (A, np.zeros_like(base)[:, 1:])):
        autodiff(Reverse, _sum_of_squares_2d, Active, Duplicated(x, dx))
        np.testing.assert_allclose(dx, 2 * A)
