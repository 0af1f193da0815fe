"""Second order through the shapes of reverse code that first order generates:
each kernel makes the reverse sweep use a construct (a runtime helper, an index
form, a tape pattern) that forward mode then differentiates. ``hvp`` and
``hessian`` against central differences of the gradient."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import hessian, hvp

from .test_second_reach import fd_hvp


def fancy_store_distinct(x):
    v = x * 1.0
    v[[0, 1]] *= np.cos(x[-1])
    return float(np.sum(v * v[::-1]))


def fancy_store_repeated(x):
    v = np.copy(x)
    v[[1, 1]] *= np.abs(x[0]) + x[2]
    return float(np.sum(np.exp(0.5 * v)) + np.sum(v * v))


def _check(f, args, k=0, seed=0):
    v = np.random.default_rng(seed).standard_normal(np.shape(args[k]))
    vs = [None] * len(args)
    vs[k] = v
    got = hvp(f, tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args), tuple(vs))[k]
    np.testing.assert_allclose(got, fd_hvp(f, args, k, v, h=1e-6), rtol=1e-5, atol=1e-7)


def _check_hessian(f, x, *rest):
    H = hessian(f, x, *rest)
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1.0
        np.testing.assert_allclose(H.reshape(x.size, x.size)[:, j],
                                   fd_hvp(f, [x, *rest], 0, e.reshape(x.shape), h=1e-6).ravel(),
                                   rtol=1e-5, atol=1e-7)


X3 = np.array([0.7, -0.4, 0.9])


@pytest.mark.parametrize("f", [fancy_store_distinct, fancy_store_repeated])
def test_fancy_index_store(f):
    """``v[[0, 1]] *= c`` reverses to ``_ad_store_adjoint(dv, [0, 1])``: forward
    mode read the list index as a tuple (two axes) and crashed."""
    _check(f, [X3.copy()])
    _check_hessian(f, X3.copy())


def restored_loop_index(a, b):
    s = 0.0
    for i in range(1, len(a), 2):
        s += np.maximum(a[i], b[i]) * s + a[i]
    a[:] = np.tanh(a * b)
    for i in range(len(a) - 2, -1, -1):
        a[i] = a[i] * (b[i] - a[i + 1])
    return float(s * np.sum(a) + np.sum(a * a))


def restored_loop_index_2d(M, v):
    t = 0.0
    for i in range(M.shape[0]):
        t = t + np.sum(M[i] * v) * t + M[i, 0]
    M *= 0.5
    for i in range(M.shape[0] - 1, -1, -1):
        w = M[i]
        w *= np.sin(v)
        t = t + np.sum(w * M[i]) * t
    return float(t)


@pytest.mark.parametrize("f,args", [
    (restored_loop_index, [np.array([0.3, -0.6, 0.8, 0.5, -0.2]), np.array([0.9, 0.4, -0.7, 0.6, 1.1])]),
    (restored_loop_index_2d, [np.array([[0.3, -0.6, 0.8], [0.5, -0.2, 0.1]]), np.array([0.9, 0.4, -0.7])]),
], ids=["1d", "2d"])
def test_loop_index_restored_from_the_tape(f, args):
    """The reverse code pushes a loop index (``_tape.append(i)``) onto the tape
    that holds floats and arrays, and pops it back (``i = _tape.pop()``): the
    index was of unknown kind, ``a[i]`` neither a view nor a copy, and second
    order refused."""
    _check(f, [a.copy() for a in args], 0)
    _check(f, [a.copy() for a in args], 1)
    _check_hessian(f, *[a.copy() for a in args])


def list_stack(x):
    st = []
    for i in range(len(x)):
        st.append(np.sin(x[i]) * x[i])
    s = 0.5
    for i in range(len(x)):
        s += st.pop() * s + x[i] * x[i]
    return float(s * s)


def list_stack_partly_popped(x):
    st = []
    for i in range(len(x)):
        st.append(np.exp(x[i]) * x[0])
    s = x[1]
    for i in range(len(x) - 2):
        s = s * st.pop()
    return float(s + np.sum(x * x * x))


@pytest.mark.parametrize("f", [list_stack, list_stack_partly_popped])
def test_python_list_as_a_stack(f):
    """A Python list used as a stack reverses to an adjoint list read with
    ``_ad_stack_pop`` (0.0 for an item never popped), which had no second-order rule."""
    x = np.array([0.4, -0.3, 0.7, 0.2])
    _check(f, [x.copy()])
    _check_hessian(f, x.copy())


def _scaled_in_place(a, c):
    a *= c
    return a


def _first(a, b):
    return a


def _tail(a):
    return a[1:]


def _scaled_tail(a, c):
    a *= c
    return a[1:]


def _scaled_reversed(a, c):
    a *= c
    return a[::-1]


def helper_writes_and_returns_a_view(x, y):
    u = _scaled_tail(y, x[0])
    return float(np.sum(x * x * y) + np.sum(u * x[1]))


def helper_views_of_both_arguments(x, y):
    t = _tail(x)
    t *= np.sin(y[1:])
    u = _scaled_reversed(y, x[0])
    u += x * x
    return float(np.sum(x * x * y) + np.sum(u * t[0]))


def helper_returns_its_argument(x):
    w = x * x
    h = _scaled_in_place(w, x[0])
    h *= np.sin(x)   # writes w through the alias
    return float(np.sum(w * w) + np.sum(h * x))


def helper_returns_its_argument_untouched(x):
    w = np.full(x.shape[0], 0.5)
    h = _first(w, w.copy())
    h *= 3.0
    w += np.tanh(x)
    return float(np.min(w * x) + np.sum(h * h * x))


def helper_returns_a_view(x):
    w = np.cos(x)
    t = _tail(w)
    t *= x[1:]
    return float(np.sum(w * w * x))


@pytest.mark.parametrize("f", [helper_returns_its_argument, helper_returns_its_argument_untouched,
                               helper_returns_a_view])
def test_helper_returning_an_argument(f):
    """A helper's result that is (a view of) its argument has the same view of
    the argument's shadow as its shadow; the reverse code built it with
    ``_ad_rebase``, which forward mode refused."""
    x = np.array([0.4, -0.3, 0.7, 0.2])
    _check(f, [x.copy()])
    _check_hessian(f, x.copy())


@pytest.mark.parametrize("f", [helper_writes_and_returns_a_view, helper_views_of_both_arguments])
def test_helper_writing_its_argument_and_returning_a_view(f):
    """The helper's forward half pushes the shadow of its argument (``da_1 = da``,
    never written there) and its reverse half writes it: the tangent pushed was a
    fresh copy, so the second derivative through the argument was lost."""
    x, y = np.array([0.4, -0.3, 0.7]), np.array([0.9, 0.2, -0.5])
    _check(f, [x.copy(), y.copy()], 0)
    _check(f, [x.copy(), y.copy()], 1)
    _check_hessian(f, x.copy(), y.copy())


def _pair(a, b):
    return np.sin(a), b * b


def _triple(a, s):
    return a * s, float(np.dot(a, a)), np.exp(a)


def helper_tuples_unpacked(x, y):
    u, w = _pair(x, y)
    s = float(np.sum(u * w))
    p, q, r = _triple(y, x[0])
    return s + q * s + float(np.sum(p * r))


def helper_tuple_indexed(x, y):
    t = _pair(y, x)
    x[:] += t[0] * 0.5
    s = float(np.sum(t[1] * x))
    k = _triple(x, s)
    return s * k[1] + float(np.sum(k[2]))


def helper_tuple_aliased(x, y):
    t = _pair(y, x)
    if x[0] > 0:
        u = t   # the adjoints of u and t are summed (_ad_tplus)
    else:
        u = _pair(x, y)
    s = float(np.sum(u[1] * t[0])) + float(np.sum(t[1]))
    return s * s


@pytest.mark.parametrize("f", [helper_tuples_unpacked, helper_tuple_indexed, helper_tuple_aliased])
def test_helper_returning_a_tuple(f):
    """A tuple's adjoint is a list built with ``_ad_tadd``/``_ad_tplus`` and read
    with ``_ad_tget`` (0.0 standing for all zeros): these had no second-order
    rule, and the kind of an adjoint that is a tuple or 0.0 was unknown."""
    x, y = np.array([0.4, -0.3, 0.7]), np.array([0.9, 0.2, -0.5])
    _check(f, [x.copy(), y.copy()], 0)
    _check(f, [x.copy(), y.copy()], 1)
    _check_hessian(f, x.copy(), y.copy())


def fancy_rows(M):
    r = M[[0, 2], :]
    return float(np.sum(r * r * M[1]))


def fancy_rows_stored(M):
    r = M[:, [0, 2]]
    M[[1, 1], 1:] *= np.sin(M[0, 1:])
    return float(np.sum(r * r * M[1, 0]) + np.sum(M * M))


def newaxis_view(M):
    a = M[1] * 1.0
    a[:] = (a[np.newaxis, :] * np.mean(M[0]))[0]
    return float(np.sum(a * a * M[2]))


@pytest.mark.parametrize("f", [fancy_rows, fancy_rows_stored, newaxis_view])
def test_index_tuples_with_slices(f):
    """A fancy index with a slice reverses to ``_ad_add_at(dM, ([0, 2], slice(None,
    None, None)), g)`` (a slice prints as a call there), which second order
    refused; ``a[np.newaxis, :]`` reads ``a[_t, :]`` with ``_t = None``, an index of
    unknown kind (neither a view nor a copy)."""
    M = np.array([[0.4, -0.3, 0.7], [0.9, 0.2, -0.5], [0.1, 0.6, -0.8]])
    _check(f, [M.copy()])
    _check_hessian(f, M.copy())


def written_after_a_sum(a, b):
    w = np.full(len(a), 0.5)
    b[1:-1] = np.cos(w + a)[1:-1]
    a[1] = b[1] * a[-1]
    return float(np.sum(np.cos(b)))


def test_tangent_of_a_sum_with_a_constant_then_written():
    """Forward mode over the reverse code gave ``w + a`` (w constant) the tangent of
    ``a`` itself, which the later ``a[1] = ...`` changed in place (random seed 5054)."""
    a, b = np.array([0.4, -0.3, 0.7, 0.2]), np.array([0.9, 0.2, -0.5, 0.3])
    _check(written_after_a_sum, [a.copy(), b.copy()], 0)
    _check_hessian(written_after_a_sum, a.copy(), b.copy())


def _doubled(a, c):
    a *= 2.0


def helper_scales_its_argument(a, b):
    b[0] += a[1] * a[2]
    _doubled(a, 1.0)
    return float(np.sum(b * b) + np.sum(b) * a[2])


def helper_scales_and_returns_its_argument(a, b):
    b[0] += a[1] * a[2]
    h = _scaled_in_place(a, 2.0)
    return float(np.sum(b * b) + np.sum(b) * h[2])


@pytest.mark.parametrize("f", [helper_scales_its_argument, helper_scales_and_returns_its_argument])
def test_helper_writing_its_argument(f):
    """The helper's reverse half pops its argument's shadow from the tape under
    another name and writes it: forward mode saw a write nobody reads and dropped
    the tangent (random seed 5217; wrong before any of these fixes)."""
    a, b = np.array([0.4, -0.3, 0.7]), np.array([0.9, 0.2, -0.5])
    _check(f, [a.copy(), b.copy()], 0)
    _check(f, [a.copy(), b.copy()], 1)
    _check_hessian(f, a.copy(), b.copy())


def _filled(a, b):
    z = np.zeros(len(a))
    z[:] = a * b
    return z


def _filled_view(a, b):
    z = np.zeros(len(a) + 1)
    z[1:] = np.sin(a) * b
    z[0] = a[0]
    return z[1:]


def _filled_loop(a):
    z = np.empty(len(a))
    for i in range(len(a)):
        z[i] = a[i] * a[i - 1]
    return z


def filled_then_scaled(x, y):
    w = _filled(x, y)
    w *= np.sin(x)
    return float(np.sum(w * w * y))


def filled_view_in_a_loop(x, y):
    s = 0.0
    for k in range(3):
        w = _filled_view(x, y)
        s = s + float(np.sum(w * w)) * s + w[0]
    return s


def filled_twice(x, y):
    w = _filled_loop(x)
    u = _filled(w, y)
    u[0] += x[1] * u[2]
    return float(np.sum(u * u * w))


def filled_view_written(x, y):
    w = _filled(x, y)
    t = _filled_view(w, x)
    t[1] = t[1] * w[0]
    return float(np.sum(t * w * t))


@pytest.mark.parametrize("f", [filled_then_scaled, filled_view_in_a_loop, filled_twice, filled_view_written])
def test_helper_returning_memory_it_fills(f):
    """A helper returning a local array it fills: its forward half pushes the
    array's shadow under two names (``_d_ret = dz``) that its reverse half
    writes; the tangents pushed were two zero arrays made at each push, so the
    alias was lost, and second order refused these helpers."""
    x, y = np.array([0.4, -0.3, 0.7]), np.array([0.9, 0.2, -0.5])
    _check(f, [x.copy(), y.copy()], 0)
    _check(f, [x.copy(), y.copy()], 1)
    _check_hessian(f, x.copy(), y.copy())


def _scaled_sum(out, inp, alpha):
    out *= -1.25
    acc = out[1] * out[2]
    return float(acc + np.sum(out) * alpha)


def helper_given_views(x, y, c):
    w = x.copy()
    s = _scaled_sum(y[:], w[::-1], c)
    return float(s + np.mean(np.tanh(w)) + np.sum(w) * x[0])


def test_helper_writing_a_view_it_is_given():
    """The reverse code binds the shadow of ``y[:]`` as ``dy[:]`` and the helper's
    reverse half writes it through its tape, which the caller's analysis does not
    see: forward mode gave it a fresh tangent and lost the write (random seed
    7048; wrong before this branch too)."""
    x, y = np.array([0.4, -0.3, 0.7]), np.array([0.9, 0.2, -0.5])
    _check(helper_given_views, [x.copy(), y.copy(), 0.8], 0)
    _check(helper_given_views, [x.copy(), y.copy(), 0.8], 1)


def _product_and_sum(a, b):
    return a * b, float(np.sum(a))


def _weighted(out, a, b):
    for i in range(len(out)):
        out[i] = a[i] * np.sin(b[i])


def same_array_twice(a, y):
    tp = _product_and_sum(a, a)
    a[...] = tp[0] * y
    w = np.zeros(len(a))
    _weighted(w, y, y)
    return float(np.sum(a * a * w) + tp[1])


def test_same_array_passed_twice():
    """``f(a, a)`` to a helper that only reads them: its reverse half adds into
    ``da`` twice (two shadow parameters that are one array), which second order
    refused as aliasing."""
    a, y = np.array([0.4, -0.3, 0.7]), np.array([0.9, 0.2, -0.5])
    _check(same_array_twice, [a.copy(), y.copy()], 0)
    _check(same_array_twice, [a.copy(), y.copy()], 1)
    _check_hessian(same_array_twice, a.copy(), y.copy())


def saves_beside_tuples(a, y):
    w = np.full(len(a), 0.5)
    s = 0.0
    for r in range(2):
        tp = _pair(a, w)
        w[...] = tp[0] * y
        s += float(np.sum(tp[1]))
    return s + float(np.sum(w * w * a))


def test_saved_values_beside_tuples_on_the_tape():
    """A value saved before it is overwritten (``_tape.append(_ad_copy(w))`` ...
    ``_s1_w = _tape.pop()``) shares the tape with tuples: its kind was the join
    of everything pushed (unknown), and second order refused (random seeds
    7299, 7320, 10110)."""
    a, y = np.array([0.4, -0.3, 0.7]), np.array([0.9, 0.2, -0.5])
    _check(saves_beside_tuples, [a.copy(), y.copy()], 0)
    _check(saves_beside_tuples, [a.copy(), y.copy()], 1)
    _check_hessian(saves_beside_tuples, a.copy(), y.copy())


def cumulative_product_loss(a):
    return float(np.sum(np.cumprod(a)))


def test_cumprod_second_order():
    """``np.cumprod`` reverses to ``_ad_cumprod_adjoint(g, a, ...)``. With a constant
    seed nothing but ``a`` makes the call active; forward mode once dropped it and
    hvp returned zeros. Its derivative in ``a`` now comes from its source."""
    a = np.array([0.4, -0.3, 0.7, 0.2])
    _check(cumulative_product_loss, [a.copy()])
    _check_hessian(cumulative_product_loss, a.copy())


def singular_values_loss(A):
    return float(np.sum(np.linalg.svd(A, compute_uv=False) ** 3))


def test_singular_values_without_factors():
    """``svd(..., compute_uv=False)``: its adjoint is that of the singular values
    alone (the rule's template keeps the branch of the literal compute_uv)."""
    A = np.array([[0.4, -0.3, 0.7], [0.2, 0.9, -0.1]])
    _check(singular_values_loss, [A.copy()])


def matrix_norms_loss(A, b):
    return float(np.linalg.norm(A, "nuc") ** 2 * np.sum(b) + np.linalg.norm(A, 2) * b[0] + np.linalg.norm(A, -2) ** 3)


def test_spectral_and_nuclear_norms():
    """The matrix norms 2, -2 and "nuc": the derivative of their adjoint (u v^T
    directions) through the tangent of the SVD; hvp refused them at the last stop."""
    A = np.array([[0.4, -0.3, 0.7], [0.2, 0.9, -0.1], [0.5, 0.1, 0.3]])
    b = np.array([0.3, -0.6, 0.8])
    _check(matrix_norms_loss, [A.copy(), b.copy()], 0)
    _check(matrix_norms_loss, [A.copy(), b.copy()], 1)


def singular_values_flag(A, flag):
    return float(np.sum(np.linalg.svd(A, compute_uv=flag) ** 3))


def test_singular_values_with_a_constant_flag():
    A = np.array([[0.4, -0.3, 0.7], [0.2, 0.9, -0.1]])
    _check(singular_values_flag, [A.copy(), False])


def std_loss(a):
    return float(np.std(a) * np.sum(a * a))


def std_of_columns(M):
    return float(np.sum(np.std(M, axis=1, ddof=1, keepdims=True) * M) + np.sum(np.std(M, axis=0) * M[0]))


@pytest.mark.parametrize("f,x", [(std_loss, np.array([0.4, -0.3, 0.7, 0.2])),
                                 (std_of_columns, np.array([[0.4, -0.3, 0.7], [0.9, 0.2, -0.5]]))],
                         ids=["std", "std_axes"])
def test_std(f, x):
    """``np.std`` reverses to ``_ad_std_adjoint(g, a, ans, ...)``, whose derivative in
    ``a`` and ``ans`` second order refused (random seeds 11136, 11936)."""
    _check(f, [x.copy()])
    _check_hessian(f, x.copy())
