"""Real numpy code, unchanged: omitted default arguments, ``np.ndarray`` as an
allocator, ranks known through views, and the rules added for it (histogram,
cov, corrcoef, FFT, einsum of any arity, ``ufunc.at``, ``where=``), each
through every entry point (``everywhere.check_everywhere``)."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient
from optional import require
from real.kernels_idioms import rnn_collect
from scipy import special

from adcompiler import (
    Active,
    AdCompilerError,
    BatchDuplicated,
    Const,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
    gradient,
    hessian,
    jvp,
)
from adcompiler.errors import UnsupportedSyntaxError
from adcompiler.testing import check_grads


def D(rng, *shape):
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return Duplicated(x, np.zeros_like(x))


# -- 1. omitted default arguments are Const -------------------------------------------

def damped(x, tol=1e-1, max_iter=3):
    s = 0.0
    for _ in range(max_iter):
        s += np.sum(np.sin(x) * x) * tol
    return s


def test_defaults_reverse_forward_batch_gradient(rng):
    x = rng.standard_normal(4)
    want = 3 * 1e-1 * (np.sin(x) + x * np.cos(x))
    dx = np.zeros(4)
    assert autodiff(Reverse, damped, Active, Duplicated(x, dx)) == (None,)
    np.testing.assert_allclose(dx, want)
    (g,) = gradient(damped, x)
    np.testing.assert_allclose(g, want)
    v = rng.standard_normal(4)
    (t,) = autodiff(Forward, damped, Duplicated, Duplicated(x, v.copy()))
    np.testing.assert_allclose(t, want @ v)
    ((t1, t2),) = autodiff(Forward, damped, Duplicated, BatchDuplicated(x, (v.copy(), np.ones(4))))
    np.testing.assert_allclose([t1, t2], [want @ v, want.sum()])
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, damped, Active, Duplicated)
    dx = np.zeros(4)
    tape, value = fwd(Duplicated(x, dx))
    assert rev(Duplicated(x, dx), 1.0, tape) == (None,)
    np.testing.assert_allclose(dx, want)
    np.testing.assert_allclose(value, damped(x))


def test_defaults_some_given(rng):
    """A default given explicitly is used; the rest are filled."""
    x = rng.standard_normal(3)
    dx = np.zeros(3)
    autodiff(Reverse, damped, Active, Duplicated(x, dx), Const(0.5))
    np.testing.assert_allclose(dx, 3 * 0.5 * (np.sin(x) + x * np.cos(x)))
    check_grads(damped, D(rng, 3), Const(0.5), ret=Active)


def test_defaults_every_mode(rng):
    for mode in (Reverse, ReverseSplitWithPrimal):
        check_grads(damped, D(rng, 3), ret=Active, mode=mode)


# -- 2. np.ndarray as an allocator --------------------------------------------------

def ndarray_scratch(o, x):
    n, m = x.shape
    t = np.ndarray((n, m), dtype=x.dtype)
    for i in range(n):
        t[i, :] = np.sin(x[i, :]) * 2.0
    u = np.ndarray(shape=n)
    u[:] = np.sum(t * t, axis=1)
    o[:] = u * x[:, 0]


def test_ndarray_allocates(rng):
    check_everywhere(ndarray_scratch, D(rng, 3), D(rng, 3, 2), out="o")


# -- 3. kind inference keeps every rank it can know -----------------------------------

def flip_dot(x, y, k):
    b = 1.0
    b *= 1.0 - np.dot(np.flip(x[:k]), y[:k])
    return b


def views_then_update(x, y):
    b = 1.0
    b *= np.sum(np.squeeze(np.expand_dims(x, 0), axis=0)) + np.dot(np.roll(x, 1), y)
    b *= np.dot(np.flipud(x), y) * np.dot(np.atleast_1d(x), y) + np.dot(np.moveaxis(x, 0, 0), y)
    b *= np.dot(np.reshape(x, -1), y) + np.dot(np.rot90(np.reshape(x, (2, 2)))[0], y[:2])
    b *= np.dot(np.tile(x, 1), y) + np.dot(np.repeat(x, 1), y) + np.dot(np.pad(x, 1)[1:5], y)
    b *= np.dot(np.take(x, np.arange(4)), y) + np.dot(np.broadcast_to(x, (4,)), y)
    b *= np.sum(np.matmul(np.reshape(x, (2, 2)), y[:2])) + np.tensordot(x, y, 1)
    b *= np.sum(np.linalg.solve(np.eye(2) * 3.0 + np.reshape(x, (2, 2)), y[:2]))
    return b


def test_flip_dot_is_a_scalar(rng):
    check_everywhere(flip_dot, D(rng, 5), D(rng, 5), Const(3))


def test_views_keep_their_rank(rng):
    check_everywhere(views_then_update, D(rng, 4), D(rng, 4))


@pytest.mark.parametrize("expr, ndim", [
    ("np.flip(x)", 2), ("np.fliplr(x)", 2), ("np.roll(x, 1)", 2), ("np.transpose(x)", 2),
    ("np.swapaxes(x, 0, 1)", 2), ("np.moveaxis(x, 0, 1)", 2), ("np.squeeze(x, axis=0)", 1),
    ("np.squeeze(x)", None), ("np.expand_dims(x, 0)", 3), ("np.expand_dims(x, (0, 1))", 4),
    ("np.reshape(x, (2, 3, 1))", 3), ("np.reshape(x, -1)", 1), ("np.ravel(x)", 1), ("np.rot90(x)", 2),
    ("np.atleast_3d(x)", 3), ("np.tile(x, (2, 1, 1))", 3), ("np.repeat(x, 2)", 1),
    ("np.repeat(x, 2, axis=0)", 2), ("np.pad(x, 1)", 2), ("np.take(x, [0, 1], axis=1)", 2),
    ("np.broadcast_to(x, (4, 2, 3))", 3), ("np.dot(x, x.T)", 2), ("np.dot(x, x[0])", 1),
    ("np.matmul(x, x[0])", 1), ("np.tensordot(x, x, 2)", 0), ("np.kron(x, x)", 2),
    ("np.linalg.inv(x)", 2), ("np.real(x)", 2),
])
def test_result_rank(expr, ndim):
    import linecache

    from adcompiler.analysis.kinds import array
    from adcompiler.pipeline import analyse
    ns = {"np": np}
    src = f"def f(x):\n    y = {expr}\n    return np.sum(y)\n"
    name = f"<reach {expr}>"
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)
    exec(compile(src, name, "exec"), ns)  # noqa: S102 - a one-line kernel written above
    kinds = analyse(ns["f"], (array(2, "f"),)).kinds
    k = kinds["y"]
    want = 0 if ndim == 0 else ndim
    if want == 0:
        assert k.cls == "array" and k.ndim == 0 or k.cls == "float", k
    else:
        assert k.cls == "array" and k.ndim == want, (expr, k)


def singular_values_out(a, out):
    out[:] = np.linalg.svdvals(a) ** 2 + out


def named_factorizations(a, out):
    r = np.linalg.eigh(a + a.T)
    q = np.linalg.qr(a)
    s = np.linalg.slogdet(a @ a.T + np.eye(3))
    out[:] = r[0] * q[1][0] + s[1]


def test_svdvals_and_named_tuple_results_everywhere():
    """``np.linalg.svdvals`` has a rule; forward mode of a factorization bound
    whole (``r = np.linalg.eigh(a)``, a named tuple) crashed building its
    tangent as the named tuple's type."""
    rng = np.random.default_rng(4)
    check_everywhere(singular_values_out, D(rng, 3, 3), D(rng, 3))
    check_everywhere(named_factorizations, D(rng, 3, 3), D(rng, 3))


def fill_diagonal_scalar(x, corr):
    corr[:, :] = np.outer(x, x) * 2.0
    np.fill_diagonal(corr, x[0] ** 2)


def fill_diagonal_rectangular(x, corr):
    corr[:, :] = np.outer(x, x[:2]) * 2.0
    np.fill_diagonal(corr, x[:2] * 3)
    corr *= x[1]


def fill_diagonal_constant(x, corr):
    corr[:, :] = np.outer(x, x)
    np.fill_diagonal(corr, 1.0)


def index_functions(x, A):
    A[:, :] = np.outer(x, x)
    A[np.tril_indices(3, -1)] = 0.0
    A[np.nonzero(x > 0)] *= x[0]
    A[np.unravel_index(4, A.shape)] = x[1] ** 2
    A[np.diag_indices(3)] += x


@pytest.mark.parametrize("f,shape", [(fill_diagonal_scalar, (3, 3)), (fill_diagonal_rectangular, (3, 2)),
                                     (fill_diagonal_constant, (3, 3)), (index_functions, (3, 3))],
                         ids=["fill_scalar", "fill_rectangular", "fill_constant", "index_functions"])
def test_fill_diagonal_and_index_functions_everywhere(f, shape):
    """``np.fill_diagonal`` writes the diagonal in place (it had no rule). The
    index functions return tuples of index arrays: typed as numbers they went
    to the float stack of the tape (a crash), and vector mode indexed the
    tangent with the tuple nested (``np.nonzero`` of a vector)."""
    rng = np.random.default_rng(2)
    check_everywhere(f, D(rng, 3), D(rng, *shape))


def fill_diagonal_wrap(x, A):
    A[:, :] = np.outer(x, x[:2])
    np.fill_diagonal(A, 1.0, wrap=True)


def test_fill_diagonal_wrap_is_refused():
    rng = np.random.default_rng(2)
    with pytest.raises(AdCompilerError, match=r"test_reach\.py:\d+.*wrap="):
        check_everywhere(fill_diagonal_wrap, D(rng, 3), D(rng, 3, 2))


def convolve_full(x, w, out):
    out[:] = np.convolve(x, w) * 2


def convolve_valid(x, w, out):
    out[:] = np.convolve(x, w, mode="valid") + out


def convolve_same_swapped(x, w, out):
    out[:] = np.convolve(w, x, mode="same") ** 2


def diagonal_from_flat(x, w, out):
    out[:, :] = np.diagflat(x) @ np.diagflat(w[:3].reshape(3, 1), 0) + np.diagflat(x[:2], 1) * out


@pytest.mark.parametrize("f,n,m,shape", [
    (convolve_full, 5, 3, (7,)), (convolve_valid, 5, 3, (3,)), (convolve_valid, 3, 6, (4,)),
    (convolve_same_swapped, 5, 3, (5,)), (convolve_same_swapped, 4, 6, (6,)), (diagonal_from_flat, 3, 4, (3, 3)),
], ids=["conv_full", "conv_valid", "conv_valid_long_kernel", "conv_same", "conv_same_long_kernel", "diagflat"])
def test_convolve_and_diagflat_everywhere(f, n, m, shape):
    """``np.convolve`` (every mode, either operand longer) and ``np.diagflat`` had no rules."""
    rng = np.random.default_rng(6)
    check_everywhere(f, D(rng, n), D(rng, m), D(rng, *shape))


def trapezoid_spacing(y, out, h):
    out[0] = np.trapezoid(y ** 2, dx=h)


def trapezoid_points(y, x, out):
    out[0] = np.trapezoid(np.sin(y) * x, x)


def trapezoid_axis(Y, x, out):
    out[:] = np.trapezoid(Y * Y, x, axis=0)


def trapezoid_grid(Y, X, out):
    out[:] = np.trapezoid(Y, X, axis=1) + out


def interpolate_values(q, fp, out):
    out[:] = np.interp(q, np.array([0.0, 0.5, 1.0, 2.0]), fp) ** 2


def interpolate_outside(q, fp, out, lo):
    out[:] = np.interp(q * 3, np.array([0.0, 0.5, 1.0, 2.0]), fp, left=lo, right=lo * 2)


def interpolate_scalar(fp, out):
    out[0] = np.interp(0.7, np.array([0.0, 0.5, 1.0]), fp) * fp[0]


def polynomial(p, x, out):
    out[:] = np.polyval(p, x) * x + np.polyval(np.polyder(p), x[0])


def _uniform(rng, lo, hi, *shape):
    x = rng.uniform(lo, hi, shape)
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("case", ["trapezoid_spacing", "trapezoid_points", "trapezoid_axis", "trapezoid_grid",
                                  "interpolate_values", "interpolate_outside", "interpolate_scalar", "polynomial"])
def test_curve_functions_everywhere(case):
    """``np.trapezoid`` (samples, points, spacing), ``np.interp`` (queries inside and
    outside the sample points, values, left/right) and ``np.polyval``/``np.polyder``."""
    rng = np.random.default_rng(8)
    u = functools.partial(_uniform, rng)
    args = {
        "trapezoid_spacing": (trapezoid_spacing, u(-1, 1, 5), u(-1, 1, 1), Active(0.3)),
        "trapezoid_points": (trapezoid_points, u(-1, 1, 5), Duplicated(np.sort(rng.uniform(0, 2, 5)), np.zeros(5)),
                             u(-1, 1, 1)),
        "trapezoid_axis": (trapezoid_axis, u(-1, 1, 4, 3), Duplicated(np.array([0, 0.3, 0.9, 1.4]), np.zeros(4)),
                           u(-1, 1, 3)),
        "trapezoid_grid": (trapezoid_grid, u(-1, 1, 2, 4),
                           Duplicated(np.cumsum(rng.uniform(0.1, 1, (2, 4)), axis=1), np.zeros((2, 4))), u(-1, 1, 2)),
        "interpolate_values": (interpolate_values, u(-0.3, 2.3, 6), u(-1, 1, 4), u(-1, 1, 6)),
        "interpolate_outside": (interpolate_outside, u(-0.3, 0.9, 6), u(-1, 1, 4), u(-1, 1, 6), Active(0.4)),
        "interpolate_scalar": (interpolate_scalar, u(-1, 1, 3), u(-1, 1, 1)),
        "polynomial": (polynomial, u(-1, 1, 4), u(-1, 1, 3), u(-1, 1, 3)),
    }[case]
    check_everywhere(*args)


def interpolate_periodic(q, fp, out):
    out[:] = np.interp(q, np.array([0.0, 0.5, 1.0]), fp, period=1.0)


def test_interp_refuses_period_and_varied_sample_points():
    rng = np.random.default_rng(8)
    with pytest.raises(AdCompilerError, match=r"test_reach.py:\d+.*period=1.0 is not differentiated"):
        check_everywhere(interpolate_periodic, D(rng, 4), D(rng, 3), D(rng, 4))
    with pytest.raises(AdCompilerError, match="xp"):
        check_everywhere(interpolate_points_varied, D(rng, 4), D(rng, 3), D(rng, 4))


def interpolate_points_varied(q, xp, out):
    out[:] = np.interp(q, np.cumsum(np.abs(xp)), xp * 2)


def trajectory_array(x, out):
    xs = []
    y = x * 1.0
    for _ in range(4):
        y = y + 0.1 * np.sin(y)
        xs.append(y.copy())
    A = np.array(xs)
    out[:] = A.sum(axis=0) * A[-1]


def stacked_then_popped(x, out):
    st = []
    st.append(x * 2.0)
    st.append(x ** 2)
    v = st.pop()
    st.append(v * 3.0)
    st.append(np.sin(x))
    M = np.asarray(st)
    w = st.pop()
    out[:] = M[0] * M[1] + M[2] * w


def stacked_scalars(x, out):
    vals = []
    for i in range(3):
        vals.append(x[i] * x[i - 1])
    out[:] = np.array(vals) * x


def stacked_columns(x, out):
    cols = []
    for i in range(2):
        cols.append(x * (i + 1.0))
    C = np.stack(cols, axis=1)
    out[:] = C[:, 0] * C[:, 1]


@pytest.mark.parametrize("case", ["hidden_states", "trajectory", "popped", "scalars", "columns"])
def test_list_stacked_into_an_array_everywhere(case):
    """A list built with append, stacked into an array (np.stack, np.array,
    np.asarray), also after pops and with scalars; it was refused."""
    rng = np.random.default_rng(9)
    f, args = {
        "hidden_states": (rnn_collect, (D(rng, 4, 3), D(rng, 2), D(rng, 3, 2), D(rng, 2, 2), D(rng, 4, 2))),
        "trajectory": (trajectory_array, (D(rng, 3), D(rng, 3))),
        "popped": (stacked_then_popped, (D(rng, 3), D(rng, 3))),
        "scalars": (stacked_scalars, (D(rng, 3), D(rng, 3))),
        "columns": (stacked_columns, (D(rng, 3), D(rng, 3))),
    }[case]
    check_everywhere(f, *args, tapes=("autograd", "torch", "jax") if case == "hidden_states" else ("autograd",))


def trapezoid_of_nothing(y, x, out):
    out[0] = np.trapezoid(y * y, dx=0.5) + np.trapezoid(y, x) + np.trapezoid(y[:1] * 2.0, dx=0.5)


def test_trapezoid_of_no_sample_and_one_sample():
    """The integral of no sample (or one) is 0; its adjoint once tried to build
    widths of length -1 (random program 1051 with n = 0)."""
    rng = np.random.default_rng(8)
    check_everywhere(trapezoid_of_nothing, Duplicated(np.zeros(0), np.zeros(0)), Duplicated(np.zeros(0), np.zeros(0)),
                     D(rng, 1))
    check_everywhere(trapezoid_of_nothing, D(rng, 1), D(rng, 1), D(rng, 1))


def stacked_maybe_empty(x, b, out):
    st = []
    for i in range(x.shape[0]):
        st.append(x[i] * 1.5)
    st.pop()
    t = float(np.sum(np.asarray(st))) * 0.5
    out[:] = b * t + b


@pytest.mark.parametrize("n", [1, 3])
def test_list_stacked_when_it_may_be_empty(n):
    """np.asarray of a list emptied by pop is an empty array (np.stack refused it)."""
    x = np.linspace(0.5, 1.5, n)
    b = np.array([0.3, -0.7])
    check_everywhere(stacked_maybe_empty, Duplicated(x, np.zeros(n)), Duplicated(b, np.zeros(2)),
                     Duplicated(np.zeros(2), np.zeros(2)), out="out")


# -- loops over the elements of np.nonzero(...)[0] -----------------------------------------

def over_nonzero(v, m):
    idx = np.nonzero(m > 0.5)[0]
    s = 0.0
    for j in idx:
        s += np.sin(v[j]) * v[j]
    return s


def over_nonzero_unknown_rank(v, m):
    s = 0.0
    for j in np.flatnonzero(m > 0.5):
        s += v[j] ** 2
    for j in np.nonzero(np.asarray(m).ravel() < 0.5)[0]:
        s += np.cos(v[j])
    return s


@pytest.mark.parametrize("f", [over_nonzero, over_nonzero_unknown_rank])
def test_loops_over_nonzero_indices_everywhere(f):
    """``np.nonzero``'s arrays are vectors whatever the argument, and a
    comparison of a vector is a vector: the loop's element is an int and the
    accumulator a float (it was refused as maybe an array)."""
    rng = np.random.default_rng(5)
    m = rng.uniform(0, 1, 8)
    check_everywhere(f, D(rng, 8), Const(m))
    check_everywhere(f, D(rng, 8), Const(m), ret=Active, tapes=("autograd", "torch", "jax"), out=())


def over_calls(u, v):
    s = 0.0
    for r in np.outer(u, v):
        s += np.sum(r ** 3)
    for i in np.argsort(u):
        s += u[i] * v[i] * i
    for j in np.argsort(-v)[:2]:
        s += np.sin(u[j])
    return s


def over_tuples(u, v, w):
    for a in (u, v):
        a *= 2.0
        a += np.sin(a)
    for a, b in ((u, v), (v, w), [w, u * 1.5]):
        a += b * 0.5
    for c in [0.5, 2.0]:
        w *= c


def argmax_along_axis(x, A):
    idx = np.argmax(A, 0)   # repeated rows: the adjoint accumulates
    y = x[idx]
    y *= 2.0
    x[np.argmin(A, axis=1)] += 1.0 * x[0]
    return np.sum(y ** 2) + np.sum(x ** 2) * np.count_nonzero(A, axis=0)[1]


def test_loops_over_calls_and_tuples_everywhere():
    """A loop over a call's result (``np.argsort(u)``, ``np.outer(u, v)``) runs
    over the array it returns, evaluated once; a loop over a tuple written out
    runs its body once per element (the elements' derivatives stay apart).
    The index functions are integer arrays (``np.argsort`` was typed as a float
    array and ``np.argmax(A, 0)`` as an int: the adjoint raised)."""
    rng = np.random.default_rng(6)
    tapes = ("autograd", "torch", "jax")
    check_everywhere(over_calls, D(rng, 5), D(rng, 5), ret=Active, out=(), tapes=tapes)
    check_everywhere(over_tuples, D(rng, 4), D(rng, 4), D(rng, 4), out=("u", "v", "w"), tapes=tapes)
    A = np.array([[1.0, 0, 0, 2], [0, 3, 4, 0], [5, 0, 0, 0]])
    check_everywhere(argmax_along_axis, D(rng, 3), Const(A), ret=Active)
    u, v = rng.normal(size=5), rng.normal(size=5)
    np.testing.assert_allclose(gradient(over_calls, u, v, backend="numba"), gradient(over_calls, u, v), rtol=1e-12)


def unpacked_rows(P, w):
    s = 0.0
    for a, b in P:
        s += a * b * w[0]
    for i, (a, b) in enumerate(P):
        s += np.sin(a) * w[i % 2] + b
    for (a, b), c in zip(P, w):
        s += a * c - b
    return s


def test_loop_targets_unpacking_rows_everywhere():
    """``for a, b in P:`` unpacks each row as ``a, b = P[k]`` does (it was refused)."""
    rng = np.random.default_rng(8)
    check_everywhere(unpacked_rows, D(rng, 3, 2), D(rng, 3), ret=Active, out=(), tapes=("autograd", "torch", "jax"))


def _kalman_loglik(x, P, zs, F, H, Q, R):
    ll = 0.0
    for t in range(zs.shape[0]):
        x[:] = F @ x
        P[:] = F @ P @ F.T + Q
        S = H @ P @ H.T + R
        v = zs[t] - H @ x
        Sinv = np.linalg.inv(S)
        K = P @ H.T @ Sinv
        x += K @ v
        P -= K @ H @ P
        ll -= 0.5 * (np.log(np.linalg.det(S)) + v @ Sinv @ v)
    return ll


def kalman_loss(x0, P0, zs, F):
    H = np.array([[1.0, 0.5]])   # nested lists: a matrix
    R = np.array([[0.5]])
    return _kalman_loglik(x0.copy(), P0.copy(), zs, F, H, 0.1 * np.eye(2), R)


def test_matrices_written_as_nested_lists_everywhere():
    """``np.array([[1.0, 0.5]])`` is a matrix: of unknown rank, the helper's
    ``v @ Sinv @ v`` might have been an array and ``ll -= ...`` was refused."""
    rng = np.random.default_rng(9)
    F = Duplicated(np.array([[1.0, 0.1], [0.0, 1.0]]), np.zeros((2, 2)))
    check_everywhere(kalman_loss, D(rng, 2), Duplicated(np.eye(2), np.zeros((2, 2))), Const(rng.normal(size=4)),
                     F, ret=Active)


def fem_assembly(K, k, x):
    for e in range(k.shape[0]):
        dofs = np.array([e, e + 1])
        ke = k[e] * np.array([[1.0, -1.0], [-1.0, 1.0]])
        K[np.ix_(dofs, dofs)] += ke
    return np.sum(K @ x * x)


def test_open_meshes_index_everywhere():
    """``K[np.ix_(dofs, dofs)] += ke``, finite-element assembly (np.ix_ had no rule)."""
    rng = np.random.default_rng(10)
    check_everywhere(fem_assembly, Duplicated(np.zeros((4, 4)), np.zeros((4, 4))),
                     Duplicated(rng.uniform(1, 2, 3), np.zeros(3)), D(rng, 4), ret=Active)


def scale_rebound(alpha, x):
    alpha *= 2.0          # a float: rebound, as Python does
    alpha = alpha + 1.0
    x *= alpha


def test_float_argument_updated_then_rebound_everywhere():
    """``differentiate`` made every float argument its source writes a 0-d
    array: ``alpha *= 2.0`` then wrote it in place and ``alpha = alpha + 1.0``
    was refused, naming an internal name (`alpha_1`)."""
    rng = np.random.default_rng(11)
    check_everywhere(scale_rebound, Active(0.3), D(rng, 4), out="x", tapes=("autograd", "torch", "jax"))


def dynamic_time_warping(C, D):
    n, m = C.shape
    D[0, 0] = C[0, 0]
    for i in range(1, n):
        D[i, 0] = D[i - 1, 0] + C[i, 0]
    for j in range(1, m):
        D[0, j] = D[0, j - 1] + C[0, j]
    for i in range(1, n):
        for j in range(1, m):
            D[i, j] = C[i, j] + np.min([D[i - 1, j], D[i, j - 1], D[i - 1, j - 1]])


def lists_as_arrays(x, u, M):
    s = np.linalg.norm([x[0], x[1] * 2.0]) + np.dot([x[0], x[1]], u[:2])
    s += np.sum(np.linalg.solve(M, [x[2], 1.0]))
    s += np.polyval([x[0], x[1], 1.0], 0.3)
    s += np.sum(np.cross(u, [x[0], 1.0, x[2]]))
    s += np.sum(np.interp(np.array([0.2, 0.6]), np.array([0.0, 0.5, 1.0]), [x[0], x[1], x[2]]))
    s += np.sum(np.min([u, x], axis=0) ** 2) + np.mean((x[1], x[2]))
    return s


def test_lists_written_out_where_numpy_takes_an_array_everywhere():
    """``np.min([a, b, c])`` (dynamic time warping) and the like: the derivative
    took the list for one argument per element and raised; ``np.array`` of
    numbers is a vector (its kind was unknown, and ``s += ...`` indexed a float)."""
    rng = np.random.default_rng(15)
    C = rng.uniform(0.1, 1.0, (4, 5)) + np.arange(20).reshape(4, 5) * 0.01
    check_everywhere(dynamic_time_warping, Duplicated(C, np.zeros_like(C)), Duplicated(np.zeros((4, 5)),
                     np.zeros((4, 5))), out="D", tapes=("autograd", "torch", "jax"))
    x = rng.uniform(0.2, 0.8, 3)
    u = np.array([0.3, 0.9, 0.6])
    M = np.array([[2.0, 0.3], [0.1, 1.5]])
    check_everywhere(lists_as_arrays, Duplicated(x, np.zeros(3)), Duplicated(u, np.zeros(3)),
                     Duplicated(M, np.zeros((2, 2))), ret=Active, out=(), tapes=("autograd", "torch", "jax"))


def _var_of_an_expression(x):
    return float(np.var(x * 2.0, where=x > -2.0) + np.std(x[1:] + x[:-1], where=x[1:] > 0.0))


def test_var_and_std_where_of_an_expression():
    """``np.var(x * 2.0, where=...)``: refused naming an internal temporary."""
    from everywhere import check_everywhere
    check_everywhere(_var_of_an_expression, Duplicated(np.array([0.2, -0.4, 0.8, 1.1]), np.zeros(4)), out=())


def _element_or_sum(x):
    if x[0] > 1.0:
        return x[2]
    return float(np.sum(x * x))


def element_or_sum_by_a_helper(x):
    return _element_or_sum(x) * x[3]


@pytest.mark.parametrize("x0", [1.5, 0.5])
def test_helper_returning_an_element_on_one_path(x0):
    """``return x[2]`` of a vector on one path, a float on the other: refused as
    returning an argument's memory on one path only."""
    from everywhere import check_everywhere
    check_everywhere(element_or_sum_by_a_helper, Duplicated(np.array([x0, 0.2, 0.9, 0.7]), np.zeros(4)), out=())


def _where_into_new_array(a, b):
    r = np.add(a, b, where=a > 0, out=np.zeros_like(a))
    return float(np.sum(r * r))


def _copyto_a_slice_where(a, x):
    np.copyto(a[1:], where=x[1:] > 0, src=x[:-1] * 2.0)
    return float(np.sum(a * a * x))


def _masked_decay_in_a_loop(y, x):
    m = x > 0.0
    for _ in range(2):
        np.multiply(y, 0.9, out=y, where=m)   # (y an operand of its own out=: was refused naming np.broadcast_to)
        np.add(y, x, out=y, where=m)
    return float(np.sum(y * y))


def _trajectory_where(Y, x):
    for i in range(Y.shape[0] - 1):
        np.multiply(Y[i], x, out=Y[i + 1], where=x > 0)   # (an operand viewing the memory out= writes)


def _writes_into_unnamed_views(y, x):
    np.copyto(y[::2], x[1::2] * 3.0)
    np.multiply(x[:2], 2.0, out=y[-2:])


@pytest.mark.parametrize("f, make, out", [
    (_where_into_new_array, lambda: [np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.7, 0.2])], ()),
    (_copyto_a_slice_where, lambda: [np.array([1.0, -2.0, 3.0, 0.4]), np.array([0.5, -0.7, 0.2, 0.3])], None),
    (_writes_into_unnamed_views, lambda: [np.zeros(6), np.linspace(0.1, 0.9, 6)], "y"),
    (_masked_decay_in_a_loop, lambda: [np.array([1.0, 2.0, 3.0]), np.array([0.5, -0.7, 0.2])], None),
    (_trajectory_where, lambda: [np.vstack([[0.4, 0.9, -0.7], np.ones((3, 3))]), np.array([0.5, -0.3, 0.8])], "Y"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_writes_into_an_expression(f, make, out):
    """``out=np.zeros_like(a)`` with ``where=``, ``np.copyto(a[1:], ..., where=...)``:
    refused naming a temporary (``_t1``) and no line."""
    check_everywhere(f, *[Duplicated(v, np.zeros_like(v)) for v in make()], out=out,
                     tapes=("autograd", "torch", "jax"))


def pairs_by_divmod(x, y):
    n = x.shape[0]
    for k in range(2 * n):
        q, r = divmod(k, n)
        y[r] += x[q] * x[r]


def wrapped_phase(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.fmod(x[i] * 3.0, x[0] + 0.45) * x[i]
    return s


def remainder_of_values(x):
    _q, r = divmod(x[0], 0.7)
    return r * x[1]


def test_divmod_of_indices_and_math_fmod_everywhere():
    """``divmod`` of integers (index arithmetic) has no derivative; ``math.fmod``
    is ``x - y * trunc(x / y)``: both had no rule. numba has no ``math.fmod``:
    it runs as ``np.fmod`` of floats."""
    x = np.array([0.3, 1.2, 0.8, 2.1])
    check_everywhere(pairs_by_divmod, Duplicated(x.copy(), np.zeros(4)), Duplicated(np.zeros(4), np.zeros(4)),
                     out="y", tapes=("autograd", "torch", "jax"))
    check_everywhere(wrapped_phase, Duplicated(x.copy(), np.zeros(4)), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    want = gradient(wrapped_phase, x.copy())
    for backend in ("numba", "auto"):
        np.testing.assert_allclose(gradient(wrapped_phase, x.copy(), backend=backend)[0], want[0], rtol=1e-12)
        dx, dy = np.zeros(4), np.ones(4)
        autodiff(Reverse, pairs_by_divmod, Const, Duplicated(x.copy(), dx), Duplicated(np.zeros(4), dy),
                 backend=backend)
        np.testing.assert_allclose(dx, [5.9, 5.9, 1.5, 1.5], rtol=1e-12)


def test_divmod_of_values_with_derivatives_is_refused_at_its_line():
    with pytest.raises(AdCompilerError, match=r"divmod: its remainder has a derivative.*a // b") as e:
        gradient(remainder_of_values, np.array([1.3, 0.4]))
    assert e.value.lineno is not None and "divmod(x[0], 0.7)" in str(e.value)


def phase_fraction(a):
    _q, r = divmod(a * 2, 1.0)
    return r * r


def learned_window(x, beta):
    return np.sum(x * np.kaiser(8, beta + 1))


def log_grid(c):
    return np.sum(np.logspace(0.0, -c, 4))


def shifted_range(c):
    return np.sum(np.arange(c * 2, 5.0))


def keyword_range(c):
    return np.sum(np.arange(start=c, stop=5.0))   # (its kind: floats, from a keyword's float)


def _half(n):
    return n // 2


def _doubled(c):
    return c * 2.0


def first_half_squares(x):
    t = np.arange(_half(x.shape[0]))   # a helper's int in a call without a derivative
    w = np.zeros(_half(x.shape[0]))
    w += x[t]
    return float(np.sum(w ** 2) + x[divmod(_half(x.shape[0]) + 1, 3)[1]])


def range_from_a_helper(c):
    return np.sum(np.arange(_doubled(c), 5.0))


def test_a_helper_inside_a_call_without_a_derivative():
    """``np.arange(_half(n))``: refused as a user call "inside a condition"; computed first now,
    and refused where the helper's result carries a derivative (``np.arange(_doubled(c), 5.0)``)."""
    check_everywhere(first_half_squares, Duplicated(np.linspace(0.3, 1.7, 8), np.zeros(8)), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    with pytest.raises(AdCompilerError, match="numpy.arange: its result is built from the value of `start`"):
        gradient(range_from_a_helper, 0.3)


def decay_at_steps(x, rate):
    t = np.arange(0.0, x.shape[0])   # a float start, the stop a shape: no derivative
    k = np.arange(int(rate * 10.0))    # a length from int() of a value: none either
    return float(np.sum(x * np.exp(-rate * t)) + rate * k.shape[0] + divmod(len(x) + 1, 2)[1])


def test_calls_without_a_derivative_of_shapes_and_int_values_are_accepted():
    """What an argument of such a call reads for a shape (``x.shape[0]``, ``len(x)``) or
    through ``int`` carries no derivative into it (refused once expressions were checked)."""
    x, rate = np.array([0.5, 1.5, -0.3, 2.0]), 0.33
    check_everywhere(decay_at_steps, Duplicated(x.copy(), np.zeros(4)), Active(rate), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))


@pytest.mark.parametrize("f, args, construct", [
    (phase_fraction, (0.7,), "divmod(a * 2, 1.0)"),
    (learned_window, (np.linspace(0.1, 0.8, 8), 1.3), "np.kaiser(8, beta + 1)"),
    (log_grid, (0.6,), "np.logspace(0.0, -c, 4)"),
    (shifted_range, (0.3,), "np.arange(c * 2, 5.0)"),
    (keyword_range, (0.3,), "np.arange(start=c, stop=5.0)"),
])
def test_calls_refusing_a_derivative_refuse_it_in_an_expression(f, args, construct):
    """A value carrying a derivative reaches a call with no derivative in that argument
    inside an expression the call keeps whole (``a * 2``, ``beta + 1``, ``-c``): it
    was refused as a bare name only, and gave 0 (divmod: 0 for 1.6; kaiser 0 for -0.585)."""
    for run in (lambda: gradient(f, *args), lambda: jvp(f, args, tuple(np.ones_like(a) for a in args))):
        with pytest.raises(AdCompilerError) as e:
            run()
        assert construct in str(e.value) and e.value.lineno is not None


def element_energy(X, tri, u):
    E = 0.0
    for e in range(tri.shape[0]):
        g = np.array([[X[0, 1], X[1, 1]], [X[0, 0], X[1, 0]]]) @ u[tri[e]]
        E += np.dot(g, g)
    return E


def gathers(A, idx, y):
    y[...] = A[idx, 1:].sum(axis=1)[:, None] * A[idx[:, None], idx[None, :]].sum(axis=0)[None, :2]
    B = A[None, idx]
    y[0, 0] += np.sum(B * B) + np.sum(A[:, idx][idx])


def test_ranks_of_gathers_by_index_arrays():
    """``u[tri[e]]`` (an index array of known rank) has a known rank: a finite
    element's energy accumulated by ``E += np.dot(g, g)`` was refused as maybe
    an array updated in place; gathers mixing index arrays, slices and None."""
    X = np.arange(12.0).reshape(6, 2) / 10 + 0.3
    check_everywhere(element_energy, Duplicated(X, np.zeros_like(X)), Const(np.array([[0, 1], [1, 2]])),
                     Duplicated(np.array([1.0, 2.0, 3.0]), np.zeros(3)), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    A = np.random.default_rng(0).normal(size=(4, 3))
    check_everywhere(gathers, Duplicated(A, np.zeros_like(A)), Const(np.array([2, 0, 1])),
                     Duplicated(np.zeros((3, 2)), np.zeros((3, 2))), out="y", tapes=("autograd", "torch", "jax"))


def horner_tail(x, coeffs, k):
    t = 0.0
    for c in coeffs[1:]:
        t = t * x[1] + c
    for c in coeffs[:-1]:
        t = t * x[0] + c * x[2]
    for c in coeffs[::2]:
        t += c * x[1]
    for c in coeffs[k:]:
        t += c * x[0] * x[0]
    return t


def with_extra_terms(x, extra):
    t = 0.0
    for i in range(x.shape[0]):
        t += x[i] * x[i]
    for c in extra:
        t = t + c * x[0]
    return t


@pytest.mark.parametrize("coeffs", [(0.3, 0.7, 1.1), [0.3, 0.7, 1.1, -0.4], (2.0,)])
def test_loops_over_slices_and_empty_constant_containers(coeffs):
    """``for c in coeffs[1:]`` over a Const tuple or list was refused at the
    ``def`` line (the slice was taken for one of its items); a loop over an
    empty Const list made a float accumulator ``array or scalar?``."""
    x = np.array([0.7, 1.2, 0.9])
    check_everywhere(horner_tail, Duplicated(x.copy(), np.zeros(3)), Const(coeffs), Const(1), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    for extra in ([], [0.5], ()):
        check_everywhere(with_extra_terms, Duplicated(x.copy(), np.zeros(3)), Const(extra), ret=Active, out=(),
                         tapes=("autograd",))


def gradient_energy(u, dx):
    du = np.gradient(u, dx)
    return float(np.sum(du ** 2) + np.sum(np.gradient(u) * u))


def gradients_along_axes(u):
    d0 = np.gradient(u, 0.5, axis=0, edge_order=2)
    d1 = np.gradient(u, axis=1)
    return float(np.sum(d0 * d1) + np.sum(np.gradient(u, 0.7, axis=-1) ** 2))


def transport_steps(u, v, dt):
    for _ in range(3):
        u[:] = u + dt * np.gradient(v, 0.1, edge_order=2)
        v[:] = v + dt * np.gradient(u, 0.1)


def gradients_of_each_axis(u):
    gx, gy = np.gradient(u)
    return float(np.sum(gx * gy))


def total_variation(u, h):
    gy, gx = np.gradient(u, h, 2.0 * h, edge_order=2)
    return np.sum(np.sqrt(gx ** 2 + gy ** 2 + 1e-3))


def gradients_along_a_tuple_of_axes(u):
    gx, gy = np.gradient(u, 0.5, 2.0, axis=(1, 0))
    g0 = np.gradient(u, axis=(0,))
    return np.sum(gx * gy ** 2) + np.sum(g0 * u)


def gradient_flow(u):
    for _ in range(2):
        gy, gx = np.gradient(u)
        u = u + 0.1 * (gy + gx)
    return np.sum(u ** 2)


def gradients_held(u):
    g = np.gradient(u, 0.5)
    gz, gy, gx = g
    return np.sum(gz * gy) + np.sum(g[-1] * u * gx) + len(g)


def test_np_gradient_everywhere():
    """``np.gradient`` of uniform spacings along one axis (a 1-D array or
    ``axis=``), both edge orders; had no rule. One array per axis (a list)
    is refused at its line."""
    rng = np.random.default_rng(0)
    check_everywhere(gradient_energy, Duplicated(rng.normal(size=6), np.zeros(6)), Const(0.25), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    check_everywhere(gradients_along_axes, Duplicated(rng.normal(size=(4, 5)), np.zeros((4, 5))), ret=Active,
                     out=(), tapes=("autograd", "torch", "jax"))
    check_everywhere(transport_steps, Duplicated(rng.normal(size=5), np.zeros(5)),
                     Duplicated(rng.normal(size=5), np.zeros(5)), Const(0.05), out=("u", "v"),
                     tapes=("autograd", "torch", "jax"))



@pytest.mark.parametrize("f, shape, more", [(gradients_of_each_axis, (3, 4), ()), (total_variation, (4, 5), (Const(0.3),)),
                                            (gradients_held, (3, 4, 5), ()),
                                            (gradients_along_a_tuple_of_axes, (3, 4), ()), (gradient_flow, (3, 4), ())])
def test_np_gradient_of_every_axis(f, shape, more):
    """``np.gradient`` of an array of two or more axes without ``axis``: the tuple of one array
    per axis numpy returns (no spacing, one number, one per axis; edge orders), each along its
    axis; refused before."""
    u = np.random.default_rng(1).normal(size=shape)
    check_everywhere(f, Duplicated(u, np.zeros(shape)), *more, ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))


def segments_by_unique(out, keys, x):
    u, inv = np.unique(keys, return_inverse=True)
    np.add.at(out, inv, x * x)
    out[: u.shape[0]] += u * 0.5


def ordered_by_keys(y, k1, k2, x):
    o = np.lexsort((k2, k1))
    y[:] = np.cumsum(x[o])


def rows_added_at(Y, ri, v):
    np.add.at(Y, (ri, slice(None)), v * v)


def unique_values(x):
    return float(np.sum(np.unique(x) ** 2))


def test_unique_lexsort_and_slice_objects_of_constant_data():
    """``np.unique`` (with ``return_inverse``) and ``np.lexsort`` of constant keys,
    ``slice(None)`` in an index: had no rule. ``np.unique`` of values with
    derivatives is refused at its line."""
    keys = Const(np.array([7, 3, 7, 9]))
    check_everywhere(segments_by_unique, Duplicated(np.zeros(3), np.zeros(3)), keys,
                     Duplicated(np.arange(1.0, 5.0), np.zeros(4)), out="out", tapes=("autograd", "torch", "jax"))
    check_everywhere(ordered_by_keys, Duplicated(np.zeros(4), np.zeros(4)), Const(np.array([1, 0, 1, 0])),
                     Const(np.array([3, 2, 1, 0])), Duplicated(np.arange(1.0, 5.0), np.zeros(4)), out="y",
                     tapes=("autograd", "torch", "jax"))
    check_everywhere(rows_added_at, Duplicated(np.zeros((3, 2)), np.zeros((3, 2))), Const(np.array([0, 2, 2])),
                     Duplicated(np.array([0.5, 1.5]), np.zeros(2)), out="Y", tapes=("autograd", "torch", "jax"))
    with pytest.raises(AdCompilerError, match="numpy.unique: its values are the argument's") as e:
        gradient(unique_values, np.array([0.5, 0.2, 0.5]))
    assert e.value.lineno is not None


def masked_energy(u, mask, M):
    E = 0.0
    for k in range(2):
        g = u[mask] * (k + 1.0)
        E += np.dot(g, g)
    h = M[M > 0.5]
    E += np.dot(h, h) + np.sum(M[mask[:2], 1:] ** 2)
    return E


def test_ranks_of_gathers_by_boolean_masks():
    """``u[mask]`` (a boolean array of known rank) has a known rank: ``E += np.dot(g, g)``
    of such a gather was refused as maybe an array updated in place."""
    M = np.array([[0.7, 0.2, 0.9], [0.1, 0.6, 0.3]])
    check_everywhere(masked_energy, Duplicated(np.array([0.3, -1.2, 0.8, 2.0]), np.zeros(4)),
                     Const(np.array([True, False, True, True])), Duplicated(M, np.zeros((2, 3))), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))


# -- a row stored from a list display ---------------------------------------------------

def _henon_rows(traj, a, b):
    for i in range(1, traj.shape[0]):
        x, y = traj[i - 1]
        traj[i] = [1 - a * x ** 2 + y, b * x]   # (as textbooks write it: a list, stored as a tuple is)
    return np.sum(traj ** 2)


def _block_from_nested_lists(M, c):
    M[0:2, 0:2] = [[c * M[0, 0], 1.0], [M[1, 0] * c, c]]
    return np.sum(M * M)


def test_a_list_display_stored_into_an_array():
    """``traj[i] = [expr, expr]`` was refused as a list written out with values
    that carry derivatives; numpy stores it as it stores the tuple."""
    t = np.zeros((5, 2))
    t[0] = [0.1, 0.2]
    check_everywhere(_henon_rows, Duplicated(t, np.zeros((5, 2))), Active(1.4), Active(0.3), ret=Active, out=None)
    M = np.arange(1.0, 10.0).reshape(3, 3) / 5
    check_everywhere(_block_from_nested_lists, Duplicated(M, np.zeros((3, 3))), Active(0.7), ret=Active, out=None)


def _one_value_over_a_row(x, t):
    t[1, :] = [x[0] * 2.0]   # (numpy broadcasts the one value over the row)
    t[:, 0] = (x[1] * x[0],)
    t[2] += (x[1],)


def _every_row(x, t):
    t[...] = [x[0] * 1.5, x[1] * 0.5, x[0] * 0.75]


def test_a_sequence_broadcast_over_a_region():
    """``t[1, :] = [v]``, ``t[:, 0] = (v,)``, ``t[2] += (v,)``: the adjoint of the
    sequence was the region's first element only (``[2, 0]`` for ``[222, 0]``);
    ``t[...] = [a, b, c]`` into a matrix crashed in the derivative."""
    x = np.array([0.7, 1.3])
    check_everywhere(_one_value_over_a_row, Duplicated(x.copy(), np.zeros(2)),
                     Duplicated(np.ones((3, 3)), np.zeros((3, 3))), out="t", tapes=("autograd", "torch", "jax"))
    check_everywhere(_every_row, Duplicated(x.copy(), np.zeros(2)), Duplicated(np.zeros((3, 3)), np.zeros((3, 3))),
                     out="t")


def weighted_by_position(x, y):
    # zip of a range with arrays: the range's k-th number (a + k * c) beside each element
    s = 0.0
    for i, a, b in zip(range(1, 9, 2), x, y):
        s += a * i * b
        y[0] += a * i
    for j, a in zip(range(3), x[::-1]):
        s = s + a ** j
    for a, j in zip(x, reversed(range(4))):
        s = s + a * j
    return s


def test_zip_of_a_range_and_arrays_everywhere():
    x = np.arange(1.0, 6.0)
    check_everywhere(weighted_by_position, Duplicated(x.copy(), np.zeros(5)), Duplicated(x * 0.5, np.zeros(5)),
                     tapes=("autograd", "torch", "jax"))


def vander_fit(x, w):
    V = np.vander(x, 4)
    U = np.vander(x, increasing=True)
    return np.sum((V @ w) ** 2) + np.sum(U[:, 1:] * x[:, None])


def test_vander_everywhere():
    x = np.array([0.3, -0.7, 1.1, 0.4])
    check_everywhere(vander_fit, Duplicated(x, np.zeros(4)), Duplicated(np.array([0.5, -1.0, 2.0, 0.3]), np.zeros(4)),
                     tapes=("autograd", "torch", "jax"))


def other_names_and_constant_tables(x, idx):
    # np.asanyarray/np.around/np.concat are np.asarray/np.round/np.concatenate under other names;
    # window tables, isin, nanargmax and isposinf have no derivative
    y = np.asanyarray(x)
    m = np.isin(idx, [1, 2])
    w = np.hamming(4) + np.kaiser(4, 2.0) + np.blackman(4) + np.hanning(4) + np.bartlett(4)
    k = np.nanargmax(x)
    z = np.concat([y * 2, np.around(x) * y])
    return np.sum(z ** 2 * np.tile(w, 2)) + np.sum(np.where(m, x, 0.0)) + x[k] + np.sum(np.isposinf(x))


def test_other_names_and_constant_tables_everywhere():
    x = np.array([0.3, -0.7, 1.1, 0.4])
    check_everywhere(other_names_and_constant_tables, Duplicated(x, np.zeros(4)), Const(np.array([0, 1, 2, 3])),
                     tapes=("autograd", "torch", "jax"))


def on_grids(x, y, z):
    X, Y = np.meshgrid(x, y)
    A, B = np.meshgrid(x, y, indexing="ij")
    P, Q, R = np.meshgrid(x, y, z)
    S, T = np.meshgrid(x, y, sparse=True)
    G = np.meshgrid(y, x, copy=False)
    X[0, 0] = 2.0 * Y[1, 0]   # (a new array: the write stays in it)
    return np.sum(np.sin(X) * Y ** 2) + np.sum(A * B ** 3) + np.sum(P * Q * R ** 2) + np.sum(S * T) + \
        np.sum(G[0] * G[1] ** 2)


def test_meshgrid_everywhere():
    x, y, z = np.array([0.3, -0.7, 1.1, 0.4]), np.array([0.5, 1.5, -0.2]), np.array([0.9, 0.1])
    check_everywhere(on_grids, Duplicated(x, np.zeros(4)), Duplicated(y, np.zeros(3)), Duplicated(z, np.zeros(2)),
                     tapes=("autograd", "torch", "jax"))


def correlated_and_normal(x, t):
    c = np.correlate(x, t, mode="full")
    d = np.correlate(x, t)   # (mode "valid" by default)
    e = np.correlate(t, x, "same") + np.correlate(t[:2], x, mode="same")   # (the shorter first, even: numpy's window)
    return np.sum(c ** 2) + np.sum(d * 3) + np.sum(e ** 3) + np.sum(special.ndtr(x)) + \
        np.sum(special.log_ndtr(x)) + np.sum(special.ndtri(t * 0.1 + 0.5)) + np.sum(special.erfinv(t * 0.2))


def test_correlate_and_the_normal_distribution_everywhere():
    x, t = np.array([0.3, -0.7, 1.1, 0.4, 0.2]), np.array([0.5, 1.5, -0.2])
    check_everywhere(correlated_and_normal, Duplicated(x, np.zeros(5)), Duplicated(t, np.zeros(3)),
                     tapes=("autograd", "torch", "jax"))


def dihedral_energy(x, kd):
    e = 0.0
    for i in range(x.shape[0] - 1):
        e += np.sum((x[i + 1] - x[i]) ** 2)
    for t in range(x.shape[0] - 3):
        n1 = np.cross(x[t + 1] - x[t], x[t + 2] - x[t + 1])
        n2 = np.cross(x[t + 2] - x[t + 1], x[t + 3] - x[t + 2])
        e += kd * np.dot(n1, n2) + np.cross(x[t], x[t + 1])[0]
    return e


def test_cross_products_of_rows_accumulated_everywhere():
    """np.cross had no result kind: ``e += np.dot(n1, n2)`` was refused as 'array or
    scalar?' (naming the first ``e +=`` of the function)."""
    x = np.random.default_rng(0).standard_normal((5, 3))
    check_everywhere(dihedral_energy, Duplicated(x, np.zeros_like(x)), Active(0.4), tapes=("autograd", "torch", "jax"))


def kaiser_weighted(x, beta):
    return np.sum(np.kaiser(x.shape[0], beta) * x ** 2)


def test_a_window_of_a_differentiated_shape_parameter_is_refused():
    """np.kaiser has no derivative in beta: with beta carrying one, its derivative
    was 0, silently."""
    x = np.arange(1.0, 5.0)
    with pytest.raises(AdCompilerError, match=r"test_reach\.py:\d+: .*beta"):
        gradient(kaiser_weighted, x, 2.0)
    with pytest.raises(AdCompilerError, match="beta"):
        autodiff(Forward, kaiser_weighted, Duplicated, Const(x), Duplicated(2.0, 1.0))


def taylor_exp(x, terms):
    s = np.zeros_like(x)
    for k in range(terms):
        s += x ** k / math.factorial(k) + 0.0 * math.comb(terms, k)
    return float(np.sum(s))


def test_integer_functions_of_integers_are_constants():
    x = np.array([0.3, -0.7, 1.1])
    check_everywhere(taylor_exp, Duplicated(x, np.zeros(3)), Const(12), tapes=("autograd", "torch", "jax"))


def diagonal_copied_in_a_loop(P):
    for _ in range(2):
        d = np.diag(P).copy()
        P[0, 0] = 2.0 * P[0, 0] + d[1] * 0.5
    return float(np.sum(d * d) + np.sum(P * P))


def test_a_diagonal_copied_at_once_in_a_loop_that_writes_its_matrix():
    """``d = np.diag(P).copy()`` in a loop writing P was refused, its hint the code
    refused (the view is copied at once: no write comes between)."""
    P = np.arange(4.0).reshape(2, 2) + 1.0
    check_everywhere(diagonal_copied_in_a_loop, Duplicated(P, np.zeros_like(P)), tapes=("autograd", "torch", "jax"))


def damped_normal_matrix(J, lam):
    s = 0.0
    for it in range(2):
        H = J.T @ J
        H += lam * np.diag(np.diag(H))
        s += float(np.sum(H * H)) * (it + 1.0)
    return s


def test_a_diagonal_made_a_matrix_at_once_in_a_loop_that_writes_its_matrix():
    """Levenberg-Marquardt's damping, ``H += lam * np.diag(np.diag(H))`` in a loop, was
    refused (the view of H's diagonal read after H is written): it becomes a new matrix at once."""
    J = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]])
    check_everywhere(damped_normal_matrix, Duplicated(J, np.zeros_like(J)), Active(0.1),
                     tapes=("autograd", "torch", "jax"))


def numbers_tested(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] % 1.0:   # a number tested: its truth, kept for the reverse sweep
            s += x[i] ** 2
        s += x[i] if x[i] - 0.5 else 2.0 * x[i]
        if x[i] and x[i] * 0.5:
            s += 0.5 * x[i]
    return s


def test_numbers_tested_as_conditions_everywhere():
    check_everywhere(numbers_tested, Duplicated(np.array([0.3, 0.6, 0.7, 0.9]), np.zeros(4)),
                     tapes=("autograd", "torch", "jax"))


def items_read(X):
    return X.item(1) * X.item(1, 2) + X.item((0, 1)) ** 2 + X.item(-1) * np.sum(X)


def test_item_with_an_index():
    """``x.item(k)`` (the k-th element of the flattened array), ``x.item(i, j)`` and
    ``x.item((i, j))``: differentiated like the elements they read (refused before,
    while ``x[k].item()`` was differentiated)."""
    X = np.random.default_rng(0).uniform(0.5, 1.5, (2, 3))
    check_everywhere(items_read, Duplicated(X, np.zeros((2, 3))), out=(), tapes=("autograd", "torch", "jax"))
    want = np.full((2, 3), X.item(-1))
    want[0, 1] += X.item(1, 2) + 2 * X.item(0, 1)
    want[1, 2] += X.item(1)
    want[1, 2] += np.sum(X)
    for backend in ("numpy", "numba", "auto"):
        np.testing.assert_allclose(gradient(items_read, X.copy(), backend=backend)[0], want, rtol=1e-12)


def damped_quietly(y, k, n):
    for _ in range(n):
        with np.errstate(over="ignore", invalid="warn"):
            y += 0.1 * (-k * y)
    with np.errstate(all="ignore"):
        return np.sum(y ** 2)


def damped_raising(y, k, n):
    with np.errstate(over="raise"):
        y += 0.1 * (-k * y)
    return np.sum(y ** 2)


def test_errstate_that_only_silences_warnings():
    """``with np.errstate(over="ignore")`` (common in time loops) changes only what numpy
    prints: its body is differentiated as written. ``"raise"`` changes what runs: refused."""
    y = np.array([1.0, 0.5])
    check_everywhere(damped_quietly, Duplicated(y.copy(), np.zeros(2)), Active(0.5), Const(3), out=None,
                     tapes=("autograd", "torch", "jax"))
    g = gradient(damped_quietly, y.copy(), 0.5, 3)
    np.testing.assert_allclose(g[0], 2 * y * 0.95 ** 6, rtol=1e-12)
    with pytest.raises(UnsupportedSyntaxError, match="with"):
        gradient(damped_raising, y.copy(), 0.5, 1)


def item_of_complex_and_ints(z, big, idx, x):
    return abs(z.item(1)) * x[idx.item(1)] + float(big.item(0) - big.item(1)) * x[0] + z[:1].item().real * x[1]


def test_item_keeps_the_arrays_dtype():
    """``.item`` gives a number of the array's dtype: float() dropped a complex
    element's imaginary part (|3 - 4j| came out 3), rounded int64 above 2**53 (a
    difference of 1 came out 0) and made an int index a float (numpy's IndexError)."""
    z = np.array([1.0 + 1.0j, 3.0 - 4.0j])
    big = np.array([2 ** 60 + 1, 2 ** 60], dtype=np.int64)
    idx = np.array([0, 2])
    x = np.array([0.5, 1.5, 2.5])
    want = np.array([1.0, 1.0, 5.0])
    for backend in ("numpy", "auto"):
        np.testing.assert_allclose(gradient(item_of_complex_and_ints, z, big, idx, x, wrt=3, backend=backend)[3],
                                   want, rtol=1e-14)
    assert item_of_complex_and_ints(z, big, idx, x) == pytest.approx(5.0 * 2.5 + 0.5 + 1.5)


def skip_near(x):
    s = 0.0
    for i in range(x.shape[0]):
        if math.isclose(x[i], 0.3, rel_tol=1e-3):
            continue
        s += x[i] * x[i]
    return s


def test_math_isclose_in_a_condition():
    """``math.isclose`` (a test, as ``math.isfinite`` and ``np.isclose``) has no derivative to take."""
    x = np.array([0.4, 0.3, 0.9])
    np.testing.assert_allclose(gradient(skip_near, x)[0], [0.8, 0.0, 1.8], rtol=1e-14)
    check_everywhere(skip_near, Duplicated(np.array([0.4, 0.7, 0.9]), np.zeros(3)), out=(),
                     tapes=("autograd", "torch", "jax"))


def matrix_powers(A, k):
    return float(np.sum(np.linalg.matrix_power(A, k) ** 2))


def squared_up(A, s):
    E = A * 2.0 ** -s
    for _ in range(s):
        E = np.linalg.matrix_power(E, 2)
    return float(np.trace(E))


def complex_power(A):
    return float(np.sum(np.abs(np.linalg.matrix_power(A, 3)) ** 2))


def test_matrix_power():
    """``np.linalg.matrix_power`` (scaling and squaring, Padé loops): its adjoint by
    the recurrence over the powers, of a negative power through the inverse; against
    JAX to second order, every entry point, complex matrices."""
    jax = require("jax")
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(1)
    A = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    for k in (0, 1, 2, 3, 5, -1, -2, -3):
        ref = lambda A, k=k: jnp.sum(jnp.linalg.matrix_power(A, k) ** 2)
        np.testing.assert_allclose(gradient(matrix_powers, A.copy(), k)[0], np.asarray(jax.grad(ref)(A)),
                                   rtol=1e-12, atol=1e-12)
        if k in (3, -2, 5):
            np.testing.assert_allclose(np.asarray(hessian(matrix_powers, A.copy(), k)).reshape(9, 9),
                                       np.asarray(jax.hessian(ref)(A)).reshape(9, 9), rtol=1e-10, atol=1e-10)
    check_everywhere(matrix_powers, Duplicated(A.copy(), np.zeros((3, 3))), Const(4), out=(),
                     tapes=("autograd", "torch", "jax"))
    check_everywhere(squared_up, Duplicated(A.copy(), np.zeros((3, 3))), Const(3), out=(),
                     tapes=("autograd", "torch", "jax"))
    Ac = A + 0.2j * rng.standard_normal((3, 3))
    want = np.conj(jax.grad(lambda A: jnp.sum(jnp.abs(jnp.linalg.matrix_power(A, 3)) ** 2))(Ac))
    np.testing.assert_allclose(gradient(complex_power, Ac.copy())[0], np.asarray(want), rtol=1e-12)
    check_grads(complex_power, Duplicated(Ac.copy(), np.zeros((3, 3), complex)), ret=Active)


def boundary_values(u, a, b, out):
    v = np.concatenate(([a], u, [b]))
    w = np.hstack((u, [a * b, 2.0]))
    out[:] = v[1:-1] * v[:-2] + v[2:] + w[:-2] * w[-2]


def weighted_by_ramp(x):
    total = 0.0
    for xi, wi in zip(x, np.linspace(0.0, 1.0, len(x))):
        total += wi * xi ** 2
    return total


def test_parts_written_as_lists():
    """``np.concatenate(([a], u, [b]))`` with numbers carrying derivatives: the list part is
    the array numpy makes of it (it was refused as a list of values)."""
    u = np.array([0.3, -0.6, 0.9, 1.2])
    check_everywhere(boundary_values, Duplicated(u, np.zeros(4)), Active(0.5), Active(-1.1),
                     Duplicated(np.zeros(4), np.zeros(4)), out="out")


def test_loop_over_a_linspace():
    """``zip(x, np.linspace(...))``: a range between numbers is 1-d, so its items are numbers
    (the running sum was refused: array or number unknown)."""
    check_everywhere(weighted_by_ramp, Duplicated(np.array([0.4, -1.3, 0.8, 2.0]), np.zeros(4)))


def enumerated_ranges(x):
    s = 0.0
    for k, i in enumerate(reversed(range(len(x)))):
        s += (k + 1.0) * x[i] ** 2
    for k, i in enumerate(range(1, len(x), 2), start=1):
        s += k * x[i]
    for k, v in enumerate(reversed(x)):
        s += k * v
    return s


def test_enumerate_of_a_range():
    """``enumerate(reversed(range(n)))`` and ``enumerate(range(...))``: the range's numbers, counted
    (refused: reversed was read as a function without a rule)."""
    check_everywhere(enumerated_ranges, Duplicated(np.array([0.5, -1.0, 2.0, 0.3]), np.zeros(4)))


def _doubled(x):
    return x * 2.0


def reversed_results(x, y):
    s = 0.0
    for i in reversed(np.argsort(x)):
        s = s * 0.5 + x[i] ** 2
    for k, v in enumerate(reversed(_doubled(x))):
        s += (k + 1.0) * np.sin(v)
    for v, w in zip(reversed(np.sort(x)), x):
        s += v * w
    for j, i in enumerate(reversed(np.argsort(-x))):
        y[j] = x[i] * (j + 1.0)
    y[0] += s


def reversed_total(x):
    y = np.zeros_like(x)
    reversed_results(x, y)
    return np.sum(y * y)


def test_reversed_call_results():
    """``reversed(np.argsort(x))``, ``reversed(helper(x))``: the call's result evaluated once before
    the loop, its items from the last (refused: "this loop is not supported")."""
    x = np.array([0.5, -1.0, 2.0, 0.3])
    check_everywhere(reversed_results, Duplicated(x, np.zeros(4)), Duplicated(np.zeros(4), np.ones(4)),
                     out="y", tapes=("autograd", "jax", "torch"))
    check_everywhere(reversed_total, Duplicated(x, np.zeros(4)))
    check_numba_gradient(reversed_total, Duplicated(x, np.zeros(4)))


def guarded_norms(x, y):
    eps = np.finfo(float).eps
    tiny = np.finfo(np.float64).tiny
    y[:] = np.sqrt(x * x + eps) + np.log(x * x + tiny) * 0.1
    big = np.iinfo(np.int32).max
    return float(np.sum(y)) + min(x.shape[0], big) * 0.0


def test_numbers_of_a_named_dtype():
    # (np.finfo(float).eps was refused: "the attribute `.eps` is not supported")
    check_everywhere(guarded_norms, Duplicated(np.array([0.5, -1.5, 2.0]), np.zeros(3)),
                     Duplicated(np.zeros(3), np.ones(3)))



def dtype_guarded(y, x, idx):
    t = np.finfo(x.dtype).tiny
    bits = np.finfo(x.dtype).bits
    top = np.iinfo(idx.dtype).max
    for i in range(x.shape[0]):
        y[i] = np.sqrt(x[i] * x[i] + np.finfo(y.dtype).eps) * (bits / 64.0) + x[i] * t * (top > 100)
    return float(np.sum(y * y))


def test_numbers_of_an_arguments_dtype():
    """``np.finfo(x.dtype).eps`` of an argument (refused: "name the dtype") is read when the
    code runs: float32's eps for a float32 array, in the numba module the typed dtype's."""
    x = np.array([0.5, -1.5, 0.3])
    check_everywhere(dtype_guarded, Duplicated(np.zeros(3), np.zeros(3)), Duplicated(x.copy(), np.zeros(3)),
                     Const(np.arange(3)), tapes=("autograd", "torch", "jax"))
    (g,) = gradient(lambda_free_eps, np.float32([1e-4, 0.5]))
    eps32 = float(np.finfo(np.float32).eps)
    np.testing.assert_allclose(g, np.float32([1e-4, 0.5]) / np.sqrt(np.float32([1e-8, 0.25]) + eps32), rtol=1e-5)
    assert g.dtype == np.float32
    with pytest.raises(AdCompilerError, match="not a number"):
        gradient(dtype_kind, np.ones(2))


def lambda_free_eps(x):
    return np.sum(np.sqrt(x * x + np.finfo(x.dtype).eps))


def dtype_kind(x):
    return float(np.sum(x)) * np.finfo(x.dtype).dtype
