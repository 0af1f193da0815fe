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


def test_a_strided_2d_view_and_a_shadow_in_another_layout():
    """A 2-D strided view given np.zeros_like(A) (contiguous) as shadow: autodiff
    runs on a copy of the shadow with A's strides and writes it back; split mode,
    whose halves cannot, refuses it naming the two ways that work, and both do."""
    from adcompiler import (
        Active,
        Duplicated,
        Reverse,
        ReverseSplitWithPrimal,
        autodiff,
        autodiff_thunk,
    )
    from adcompiler.errors import ShapeError
    base = np.arange(12.0).reshape(3, 4) / 10
    A = base[:, 1:]
    dA = np.zeros_like(A)
    autodiff(Reverse, _sum_of_squares_2d, Active, Duplicated(A, dA))
    np.testing.assert_allclose(dA, 2 * A)
    fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, _sum_of_squares_2d, Active, Duplicated)
    with pytest.raises(ShapeError, match=r"np.ascontiguousarray\(A\)") as e:
        fwd(Duplicated(A, np.zeros_like(A)))
    assert "np.zeros_like(base)[:, 1:]" in str(e.value)
    for x, dx in ((np.ascontiguousarray(A), np.zeros_like(A)), (A, np.zeros_like(base)[:, 1:])):
        tape, _ = fwd(Duplicated(x, dx))
        assert tape is not None


def _smoothed_through_a_ravel(x):
    y = np.ravel(x)   # (x contiguous: a view, the loop updates x)
    for i in range(1, y.shape[0]):
        y[i] = y[i] + 0.5 * y[i - 1] ** 2


def _chained_through_a_ravel(x):
    y = np.ravel(x)
    for i in range(1, y.shape[0]):
        y[i] = y[i] + 0.5 * y[i - 1] ** 2
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] ** 2
    return s


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_a_shadow_that_is_a_column_of_a_matrix(backend):
    """A contiguous argument whose shadow is a column of a gradient matrix (strides
    differ): the derivative followed ``np.ravel(dx)``, a copy, and its writes were
    lost (the seed came back unchanged), silently; with an Active return under
    numba the gradient was off. autodiff now runs on a copy in ``x``'s layout.
    (numba refuses the Const-return kernel's view of a shadow: checked under
    numpy and auto.)"""
    from adcompiler import Active, Const, Duplicated, Forward, Reverse, autodiff
    if backend != "numpy":
        pytest.importorskip("numba")
    x0, w = np.array([0.3, -0.2, 0.5, 0.1]), np.array([1.0, 2.0, -1.0, 0.5])
    h, eye = 1e-6, np.eye(4)

    def chained(x):
        return _chained_through_a_ravel(x.copy())
    want = np.array([(chained(x0 + h * e) - chained(x0 - h * e)) / (2 * h) for e in eye])
    G = np.zeros((4, 3))
    autodiff(Reverse, _chained_through_a_ravel, Active, Duplicated(x0.copy(), G[:, 1]), backend=backend)
    np.testing.assert_allclose(G[:, 1], want, rtol=1e-6)
    assert not G[:, [0, 2]].any()
    if backend == "numba":
        return

    def seeded(x):
        x = x.copy()
        _smoothed_through_a_ravel(x)
        return w @ x
    want = np.array([(seeded(x0 + h * e) - seeded(x0 - h * e)) / (2 * h) for e in eye])
    G[:, 1] = w
    autodiff(Reverse, _smoothed_through_a_ravel, Const, Duplicated(x0.copy(), G[:, 1]), backend=backend)
    np.testing.assert_allclose(G[:, 1], want, rtol=1e-6)
    T = np.zeros((4, 3))
    T[:, 2] = eye[0]
    autodiff(Forward, _smoothed_through_a_ravel, Const, Duplicated(x0.copy(), T[:, 2]), backend=backend)
    want = np.array([(seeded_col(x0 + h * eye[0], k) - seeded_col(x0 - h * eye[0], k)) / (2 * h) for k in range(4)])
    np.testing.assert_allclose(T[:, 2], want, rtol=1e-6, atol=1e-9)


def seeded_col(x, k):
    x = x.copy()
    _smoothed_through_a_ravel(x)
    return x[k]


def test_split_mode_refuses_a_shadow_in_another_layout():
    from adcompiler import Const, Duplicated, ReverseSplitWithPrimal, autodiff_thunk
    from adcompiler.errors import ShapeError
    fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, _smoothed_through_a_ravel, Const, Duplicated)
    x = np.array([0.3, -0.2, 0.5, 0.1])
    with pytest.raises(ShapeError, match="steps through memory"):
        fwd(Duplicated(x, np.zeros((4, 2))[:, 0]))


def _inner(x, y):
    return float(np.sum(x * y))


def test_one_shadow_in_another_order_for_an_array_passed_twice():
    """f(A, A) with one F-ordered shadow object for both (A in C order): each got its
    own copy in A's layout, which no longer shared memory, and the call was refused;
    one copy serves both now: the seed plus 2A."""
    A = np.arange(1.0, 7.0).reshape(2, 3)
    dF = np.asfortranarray(np.ones((2, 3)))
    ad.autodiff(ad.Reverse, _inner, ad.Active, ad.Duplicated(A, dF), ad.Duplicated(A, dF))
    assert np.allclose(dF, 1.0 + 2.0 * A) and dF.flags.f_contiguous
