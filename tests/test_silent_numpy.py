"""numpy semantics the derivatives got wrong without an error: ``np.dot`` of a
vector and a stack of matrices, and vector mode through index arrays a slice
separates (numpy puts their axes first)."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Const, Duplicated


def dot_vector_stack(y, a, B):
    y[...] = np.dot(a, B) * 2.0


def D(rng, *shape):
    x = rng.normal(size=shape)
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("shape_b", [(3, 2), (4, 3, 2), (2, 4, 3, 5), (3, 3, 3)])
def test_dot_of_a_vector_and_a_stack_everywhere(shape_b):
    """``np.dot(a, B)`` with a 1-D ``a`` sums over ``B``'s second-to-last axis:
    the adjoint of ``B`` put ``a``'s axis first (transposed for a square stack,
    a ValueError otherwise)."""
    rng = np.random.default_rng(1)
    out = np.dot(np.zeros(3), np.zeros(shape_b)).shape
    check_everywhere(dot_vector_stack, D(rng, *out), D(rng, 3), D(rng, *shape_b), out="y",
                     tapes=("autograd", "torch", "jax"))


def read_separated(Y, X, i, j):
    Y[...] = X[i, :, j] * 2.0


def increment_separated(X, V, i, j):
    X[i, :, j] += V * X[i, :, j]


def int_and_array(Y, X, j):
    Y[...] = X[0, :, j] * X[1, :, j]


def mask_and_array(Y, X, m, j):
    Y[...] = X[m, :, j] * X[m, :, j]


def store_separated(X, V, i, j):
    X[i, :, j] = V ** 2


@pytest.mark.parametrize("n", [2, 3])
def test_index_arrays_a_slice_separates_in_vector_mode(n):
    """``X[i, :, j]``: numpy puts the index arrays' axis first, and vector mode's
    ``dX[:, i, :, j]`` put it before the directions: directions were swapped
    (n = 2) or a ValueError raised (n = 3)."""
    rng = np.random.default_rng(2)
    i, j = Const(np.arange(n)[::-1].copy()), Const(np.array([1, 3, 0][:n]))
    m = Const(np.array([True, False, True]))
    check_everywhere(read_separated, D(rng, n, 2), D(rng, 3, 2, 4), i, j)
    check_everywhere(increment_separated, D(rng, 3, 2, 4), D(rng, n, 2), i, j)
    check_everywhere(int_and_array, D(rng, n, 2), D(rng, 2, 2, 4), j)
    check_everywhere(mask_and_array, D(rng, 2, 2), D(rng, 3, 2, 4), m, Const(np.array([1, 3])))
    check_everywhere(store_separated, D(rng, 3, 2, 4), D(rng, n, 2), i, j)


def damped_step(x, H, g, mu):
    x -= g / np.diag(H)   # Levenberg-Marquardt: the diagonal read, then the matrix damped in place
    H += mu * np.eye(3)
    return np.sum(x ** 2) + np.sum(H ** 2)


def logdet_then_scale(L):
    ld = 2.0 * np.sum(np.log(np.diag(L)))
    L *= 2.0
    return ld + np.sum(L)


def broadcast_then_write(a, x):
    y = x * np.broadcast_to(a, (3, 3))
    a *= 3.0
    return np.sum(y ** 2) + np.sum(a)


def diagonal_named(A):
    d = np.diag(A)
    s = np.sum(d * d)
    A *= 2.0
    return s + np.sum(A)


def levenberg_marquardt_damping(J, lam):
    H = J.T @ J
    H += lam * np.diag(np.diag(H))   # the outer np.diag (of a vector) builds a new matrix: no view kept
    return np.sum(H ** 2)


@pytest.mark.parametrize("f", [damped_step, logdet_then_scale, broadcast_then_write, diagonal_named,
                               levenberg_marquardt_damping])
def test_read_only_views_read_before_a_write_everywhere(f):
    """``np.diag(H)`` and ``np.broadcast_to(a, ...)`` are views: read before ``H``
    (``a``) is written, the reverse sweep read them after, with the written
    values (the derivative of the Cholesky log-determinant came out wrong)."""
    from adcompiler import Active
    rng = np.random.default_rng(4)
    args = {damped_step: lambda: (P(rng, 3), P(rng, 3, 3), P(rng, 3), Active(0.3)),
            logdet_then_scale: lambda: (P(rng, 3, 3),), broadcast_then_write: lambda: (P(rng, 3), P(rng, 3, 3)),
            diagonal_named: lambda: (P(rng, 3, 3),),
            levenberg_marquardt_damping: lambda: (P(rng, 5, 3), Active(0.1))}[f]()
    check_everywhere(f, *args, ret=Active)


def P(rng, *shape):
    x = rng.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


def einsum_diagonal_written(K, sn, y):
    d = np.einsum("ii->i", K)
    d += sn ** 2
    return np.sum(K * y)


def test_one_operand_einsum_views_written_are_refused():
    """``np.einsum("ii->i", K)`` is a writeable view of K's diagonal: ``d += v``
    writes K, which was taken for a new array (the derivative in ``sn`` was 0)."""
    from adcompiler import Active, AdCompilerError, Reverse, autodiff
    rng = np.random.default_rng(5)
    with pytest.raises(AdCompilerError, match=r"test_silent_numpy\.py:\d+.*einsum. of one operand"):
        autodiff(Reverse, einsum_diagonal_written, Active, P(rng, 3, 3), Active(0.5), Const(np.ones((3, 3))))


def split_then_write(A, y):
    y[0] = np.sum(np.split(A, 3)[1] ** 3)
    A *= 2.0
    y[1] = np.sum(A)


def imaginary_part_of_real(A, y):
    t = np.imag(A)
    A *= 2.0
    y[0] = np.sum(t ** 3) + np.sum(A)


@pytest.mark.parametrize("f", [split_then_write, imaginary_part_of_real])
def test_views_functions_return_everywhere(f):
    """``np.split`` then a write: split mode's reverse half raised an
    AttributeError (a list of views); ``np.imag`` of a real array is numpy's
    read-only zeros (its shadow was a read-only view: a ValueError)."""
    rng = np.random.default_rng(6)
    check_everywhere(f, P(rng, 6), P(rng, 2), out=("A", "y"), tapes=("autograd", "torch", "jax"))


def solve_stack(A, b, y):
    y[...] = np.linalg.solve(A, b) * 2.0


def test_solve_of_a_stack_with_one_vector_everywhere():
    """``np.linalg.solve(A, b)`` of a stack (k, m, m) and a vector (m,): one
    vector for every matrix (a ValueError in reverse and forward mode)."""
    rng = np.random.default_rng(7)
    A = rng.normal(size=(4, 3, 3)) + 3 * np.eye(3)
    check_everywhere(solve_stack, Duplicated(A, np.zeros_like(A)), D(rng, 3), D(rng, 4, 3), out="y",
                     tapes=("autograd", "torch", "jax"))


def diagonal_by_keyword(A):
    s = float(np.sum(np.diag(v=A) ** 2))
    A *= 3.0
    return s + float(np.sum(A))


def einsum_view_with_options(K, sn, y):
    d = np.einsum("ii->i", K, optimize=False)
    d += sn ** 2
    return np.sum(K * y)


def test_read_only_views_by_keyword_and_einsum_options():
    """``np.diag(v=A)`` escaped the check (it read ``args[0]``), and a one-operand
    einsum with ``optimize=`` escaped the view refusal."""
    from adcompiler import Active, AdCompilerError, Reverse, autodiff
    rng = np.random.default_rng(8)
    check_everywhere(diagonal_by_keyword, P(rng, 3, 3), ret=Active)
    with pytest.raises(AdCompilerError, match=r"einsum. of one operand"):
        autodiff(Reverse, einsum_view_with_options, Active, P(rng, 3, 3), Active(0.5), Const(np.ones((3, 3))))


def broadcast_of_diagonal(A, s):
    d = np.diag(A)
    b = np.broadcast_to(d, (2, 3))
    A[1, 1] *= s
    return float(np.sum(b ** 2))


def _diagonal_of(A):
    return np.diag(A)


def helper_diagonal_then_write(A, s):
    d = _diagonal_of(A)
    A *= s
    return float(np.sum(d ** 2))


def solve_broadcast(A, B, y):
    y[...] = np.linalg.solve(A, B)


@pytest.mark.parametrize("f", [broadcast_of_diagonal, helper_diagonal_then_write])
def test_views_of_read_only_views_and_returned_views_refused(f):
    """A view of ``np.diag(A)`` read after ``A`` is written (the primal was
    wrong: 214 for 614), and a helper returning ``np.diag(A)`` before the caller
    writes ``A`` (taken for a new array)."""
    from adcompiler import Active, AdCompilerError, Reverse, autodiff
    rng = np.random.default_rng(13)
    with pytest.raises(AdCompilerError, match=r"test_silent_numpy\.py:\d+"):
        autodiff(Reverse, f, Active, P(rng, 3, 3), Active(2.0))


def test_solve_with_broadcast_stacks_everywhere():
    """numpy broadcasts the stacks of ``a`` and ``b``: the adjoints are summed
    back to each operand's shape (a ValueError)."""
    rng = np.random.default_rng(14)
    A = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    check_everywhere(solve_broadcast, Duplicated(A, np.zeros_like(A)), D(rng, 3, 4, 2), D(rng, 3, 4, 2), out="y",
                     tapes=("autograd", "torch", "jax"))
    A3 = rng.normal(size=(3, 4, 4)) + 4 * np.eye(4)
    check_everywhere(solve_broadcast, Duplicated(A3, np.zeros_like(A3)), D(rng, 4, 2), D(rng, 3, 4, 2), out="y")


def _int_array_stored_a_float(x):
    w = np.array([1, 2, 3])
    w[0] = x[0] * 2.5          # numpy truncates: w[0] is an int, constant in x
    return float(np.sum(w * x))


def _int_table_indexes(x):
    idx = np.array([2, 0, 1])
    s = 0.0
    for i in range(3):
        k = idx[i]
        s += x[k] * (i + 1.5)
    return s


def _int_full_stored_a_float(x):
    w = np.full(3, 2)
    w[1] = x[1] * 1.5
    return float(np.sum(w * x * x))


@pytest.mark.parametrize("f", [_int_array_stored_a_float, _int_table_indexes, _int_full_stored_a_float],
                         ids=lambda f: f.__name__)
def test_arrays_of_integer_literals_are_integer_arrays(f):
    """``np.array([1, 2, 3])`` was taken for a float array: a float stored into it
    (truncated by numpy) carried a derivative (6.25 for 3.0)."""
    from everywhere import check_everywhere
    check_everywhere(f, Duplicated(np.array([1.3, 0.4, 0.7]), np.zeros(3)), out=(),
                     tapes=("autograd", "torch", "jax"))


def _unsigned_weights(x, m):
    return float(np.sum(m * x))


def _list_starting_with_an_int(x):
    v = np.array([0, x[0] * x[1]])
    w = np.array([1, x[0], x[1]])
    return float(np.sum(v) + np.dot(w, x))


def _concatenate_of_ints_and_floats(x):
    v = np.concatenate((np.arange(2), x[1:] * x[0]))
    return float(np.sum(v * v))


def _dtypes_by_position(x):
    a = np.zeros(3, "i8")
    a[0] = x[0] * 2.75
    b = np.ones_like(a, float)
    b[1] = x[1] * 1.5
    c = np.eye(3, 3, 0, int)
    c[0, 0] = x[2] * 3.5
    d = np.arange(3, dtype=float)
    d[2] = x[2] * x[0]
    return float(np.sum(a * x) + np.sum(b * x) + np.sum(c[0] * x) + np.sum(d * x))


@pytest.mark.parametrize("f, extra", [
    (_unsigned_weights, [Const(np.array([1, 2, 3], dtype=np.uint8))]),
    (_list_starting_with_an_int, []),
    (_concatenate_of_ints_and_floats, []),
    (_dtypes_by_position, []),
], ids=lambda v: getattr(v, "__name__", ""))
def test_dtypes_numpy_gives(f, extra):
    """Unsigned integer arrays (their dtype was unknown: the product carried no
    derivative), lists and joins whose first element is an integer (the result took
    its dtype: the floats after it lost their derivatives), dtypes given by position
    (``np.zeros(3, "i8")``: a float stored, truncated by numpy, carried one)."""
    from everywhere import check_everywhere
    check_everywhere(f, Duplicated(np.array([1.3, 0.4, 0.7]), np.zeros(3)), *extra, out=(),
                     tapes=("autograd", "torch", "jax"))


def _asarray_as_floats(x, k):
    w = np.asarray(k, float)   # a new array (k holds integers)
    w[0] = x[0] * 2.5
    v = np.asarray(k, dtype=np.float64)
    v[1] = x[1] * x[2]
    return float(np.sum(w * x) + np.sum(v))


def test_asarray_converting_an_integer_array_is_a_new_array():
    """``np.asarray(k, float)`` of an integer array was taken for a view of ``k``
    (a NameError for ``k``'s shadow, which an integer argument has not)."""
    from everywhere import check_everywhere
    check_everywhere(_asarray_as_floats, Duplicated(np.array([0.7, 1.3, -0.4]), np.zeros(3)),
                     Const(np.array([2, 5, 7])), out=(), tapes=("autograd", "torch", "jax"))


def _int_or_float_by_branch(x):
    if x[0] > 0:
        w = np.zeros(3, dtype=int)
    else:
        w = np.zeros(3)
    w[1] = x[1] * 2.5               # truncated where w holds integers
    return float(np.sum(w * x))


def test_a_name_integer_on_one_path_and_float_on_another_written_is_refused():
    """Kinds are per name: ``w`` was a float array on both paths, and the float
    stored into its integer version (truncated by numpy) carried a derivative."""
    from adcompiler import Active, Reverse, autodiff
    from adcompiler.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="integer array on one path and a float array"):
        autodiff(Reverse, _int_or_float_by_branch, Active, Duplicated(np.array([0.7, 1.3, -0.4]), np.zeros(3)))


def scaled_recurrence(x, c, y):
    for i in range(1, x.shape[0]):
        x[i] = x[i - 1] * c + y[i]


def scaled_overwrites(x, c, y):
    k = c * 1.0001
    for i in range(1, x.shape[0]):
        x[i] = x[i] * k + y[i] * x[i - 1] * 0.999
        y[i] = y[i] * c


@pytest.mark.parametrize("f", [scaled_recurrence, scaled_overwrites])
@pytest.mark.parametrize("narrow", [np.float32, np.float16])
def test_a_narrow_numpy_scalar_with_float64_arrays_in_reversed_loops(f, narrow):
    """A reversed element loop runs on Python lists; NumPy 2 makes a Python
    float times an ``np.float32`` a float32, where numpy's float64 elements
    made float64: every step rounded to float32 (relative error 1e-4 on the
    gradients of 300 steps)."""
    rng = np.random.default_rng(3)
    n = 300
    check_everywhere(f, Duplicated(rng.normal(size=n) * 0.1, np.zeros(n)), Const(narrow(0.999)),
                     Duplicated(rng.normal(size=n), np.zeros(n)), out=None)


def test_a_narrow_active_scalar_in_a_reversed_loop():
    """The same with the scalar Active: its value as a Python float gives the
    same primal, so the same derivatives (Reverse, emitted module, split halves)."""
    from everywhere import emitted_module

    from adcompiler import Active, Reverse, autodiff
    rng = np.random.default_rng(3)
    n = 2000
    x0, y0, seed = rng.normal(size=n) * 0.1, rng.normal(size=n), rng.normal(size=n)
    c = np.float32(0.999)

    def run(cv):
        x, y, dx, dy = x0.copy(), y0.copy(), seed.copy(), seed.copy()
        d = autodiff(Reverse, scaled_recurrence, Const, Duplicated(x, dx), Active(cv), Duplicated(y, dy))
        return dx, dy, d[1]
    want = run(float(c))
    for g, w in zip(run(c), want):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
    ns, info = emitted_module(scaled_recurrence, (Duplicated(x0, seed), Active(c), Duplicated(y0, seed)), Const)
    x, y, dx, dy = x0.copy(), y0.copy(), seed.copy(), seed.copy()
    dc, = ns[info.fused_name](x, dx, c, y, dy)
    np.testing.assert_allclose(dx, want[0], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dc, want[2], rtol=1e-13)
    x, y, dx, dy = x0.copy(), y0.copy(), np.zeros(n), np.zeros(n)   # split halves, fresh shadows
    tape = ns["_ad_tape"]()
    ns[info.fwd_name](x, dx, c, y, dy, tape)
    dx, dy = seed.copy(), seed.copy()
    dc, = ns[info.rev_name](x, dx, c, y, dy, None, tape)
    np.testing.assert_allclose(dy, want[1], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dc, want[2], rtol=1e-13)


def ones_from_an_int_float64(x, a):
    w = np.full(x.size, np.float64(1))   # np.float64 of an int: floats
    w *= a
    return np.sum(w * x)


def zeros_from_float64_items(x, a):
    t = np.array([np.float64(0), np.float64(0), np.float64(0)])
    for i in range(3):
        t[i] = x[i] * a
    return np.sum(t ** 2)


def range_from_a_rounded_float(x, a):
    r = np.arange(np.round(a * 0 + 4.3))   # np.round of a float is a float (round() gives an int)
    r[0] = a
    return np.sum(r[:3] * x)


@pytest.mark.parametrize("f", [ones_from_an_int_float64, zeros_from_float64_items, range_from_a_rounded_float])
def test_float_conversions_of_ints_make_floats_everywhere(f):
    """``np.float64(1)`` took its argument's kind (int), ``np.round(4.3)`` was taken for ``round``'s
    int: arrays built from them were int arrays, and the derivatives written into them were 0."""
    from adcompiler import Active
    check_everywhere(f, Duplicated(np.array([0.3, -0.7, 1.2]), np.zeros(3)), Active(0.8), ret=Active,
                     tapes=("autograd", "torch", "jax"))


def _over_a_buffer(y, x):
    a = x * 2.0
    b = np.ndarray(a.shape, buffer=a)   # (an array over a's memory)
    a *= x
    y[:] = b * 3.0


def test_an_ndarray_over_a_buffer_is_refused():
    # (taken for new memory like np.empty: dx 0 where it is 12 x)
    import adcompiler as ad
    x = np.array([0.3, -0.7, 1.1, 0.5])
    with pytest.raises(ad.AdCompilerError, match=r"test_silent_numpy.py:\d+.*np.ndarray. given a buffer"):
        ad.autodiff(ad.Reverse, _over_a_buffer, ad.Const, ad.Duplicated(np.zeros(4), np.ones(4)),
                    ad.Duplicated(x.copy(), np.zeros(4)))
