"""Writes a derivative could not follow, refused at the user's line; what
Python means by them kept where it can be (found on real code: module-level
work buffers filled by helpers, lists of arrays updated in place)."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_primal_annotated

import adcompiler as ad
from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Forward,
    Reverse,
    autodiff,
    differentiate,
)

H = np.zeros(3)
G = np.array([1.0, 2.0, 3.0])


def _fill(y, a):
    y[:] = a ** 2


def global_by_helper(s, x):
    _fill(H, x)
    s[:] = H * x


def global_by_alias(s, x):
    v = G
    v[0] = x[0] * 2.0
    s[:] = G * x


def global_by_view(s, x):
    v = H[0:2]
    v += x[:2] ** 2
    s[:] = H * x


def _helper_writing_global(x):
    _fill(H, x)
    return H * x


def global_in_helper(s, x):
    s[:] = _helper_writing_global(x)


def make_closure(W):
    def kernel(s, x):
        _fill(W, x)
        s[:] = W * x
    return kernel


def global_read_only(s, x):
    v = G[1:]
    s[1:] = v * x[1:]


def D(x):
    x = np.array(x, dtype=float)
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("f", [global_by_helper, global_by_alias, global_by_view, global_in_helper,
                               make_closure(np.zeros(3))])
def test_writes_into_module_arrays_are_refused(f):
    """Writing ``H[:] = ...`` was refused, but through a helper, another name or
    a view the array was taken for a constant: its derivative (3x**2 for
    ``global_by_helper``) lost, at every entry point."""
    s = Duplicated(np.zeros(3), np.ones(3))
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+.*an array of its module or closure"):
        autodiff(Reverse, f, Const, s, D([0.3, 0.5, 0.7]))
    with pytest.raises(AdCompilerError, match="an array of its module or closure"):
        differentiate(f, out="s")(np.zeros(3), np.array([0.3, 0.5, 0.7]))


def test_module_arrays_read_through_views_still_differentiate():
    check_everywhere(global_read_only, D([0.1, 0.2, 0.3]), D([0.3, 0.5, 0.7]), out="s",
                     tapes=("autograd", "torch", "jax"))


def list_of_arguments(s, x, y):
    L = [x, y]
    L[0] *= 2.0   # Python doubles x itself
    s[:] = x * y


def list_updated_in_loop(s, a, b, x):
    bufs = [a, b]
    for k in range(2):
        bufs[k] += x ** 2
    s[:] = a * b


def dict_entry(s, x, d):
    d["w"] *= 2.0
    s[:] = d["w"] * x


def list_argument(s, x, L):
    L[0] += x
    s[:] = L[0] * x


def test_in_place_operator_on_an_item_of_a_list_read_by_constant_indices():
    """``L = [x, y]; L[0] *= 2.0``: the list read only by constant indices is one name per index
    (``frontend/dicts.py``), so Python's in-place doubling of x itself is followed."""
    rng = np.random.default_rng(0)
    args = lambda: (Duplicated(np.zeros(3), np.zeros(3)), D(rng.uniform(0.5, 1.5, 3)), D(rng.uniform(0.5, 1.5, 3)))
    check_everywhere(list_of_arguments, *args(), out=("s", "x"), tapes=("autograd", "jax", "torch"))
    check_primal_annotated(list_of_arguments, args())


@pytest.mark.parametrize("f", [list_updated_in_loop, dict_entry])
def test_in_place_operators_on_arrays_in_containers_are_refused(f):
    """``L[0] *= 2.0`` became ``L[0] = L[0] * 2.0`` (x was left as it was, the
    primal wrong); ``bufs[k] += ...`` wrote the arrays but lost the derivative."""
    rng = np.random.default_rng(0)
    args = [Duplicated(np.zeros(3), np.ones(3))] + [D(rng.uniform(0.5, 1.5, 3))
                                                    for _ in range(f.__code__.co_argcount - 1)]
    if f is dict_entry:
        args[-1] = Const({"w": np.ones(3)})
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+.*held by a list, tuple or dict"):
        autodiff(Reverse, f, Const, *args)


def test_stores_into_a_list_argument_are_refused():
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+.*element of a list"):
        autodiff(Reverse, list_argument, Const, Duplicated(np.zeros(3), np.ones(3)), D([0.3, 0.5, 0.7]),
                 Const([np.ones(3)]))


def scalar_accumulator(x):
    acc = [0.0, 1.0]
    for i in range(len(x)):
        acc[0] += x[i] ** 2
        acc[1] *= x[i]
    return acc[0] + acc[1]


def test_in_place_operators_on_numbers_in_a_list_are_rebindings():
    check_everywhere(scalar_accumulator, D([0.3, 0.5, 0.7]), ret=Active, out=(), tapes=("autograd", "torch", "jax"))


def _put_into_module_array(s, x):
    np.put(H, [0, 1], x[:2] * 2.0)
    s[:] = H * x


@pytest.mark.parametrize("f", [_put_into_module_array])
def test_in_place_writers_into_module_arrays_are_refused(f):
    """``np.put(H, ...)`` into a module array: a NameError in the generated code."""
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+.*writing into `H`"):
        autodiff(Reverse, f, Const, Duplicated(np.zeros(3), np.ones(3)), D([0.3, 0.5, 0.7]))


def put_view(x):
    np.put(x[1:], [0], 3.0 * x[0])


def putmask_view(x, m):
    np.putmask(x[1:], m, 2.0 * x[:-1])


def fill_view(A):
    np.fill_diagonal(A[1:], 2.0 * A[0, 0])


def put_transposed(A):
    np.put(A.T, [1], 5.0 * A[0, 0])


def add_at_view(x, idx):
    np.add.at(x[1:], idx, 3.0 * x[0])


def multiply_at_view(x, idx):
    np.multiply.at(x[1:], idx, x[0])


def put_rows(A):
    for i in range(2):
        np.put(A[i], [0, 1], A[i + 1, :2] * 2.0)


def place_view(x, m):
    np.place(x[::2], m, 2.0 * x[1])


def _in(rng, *shape):
    x = rng.uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("case", range(8))
def test_in_place_writers_into_views_everywhere(case):
    """``np.put(x[1:], ...)``, ``np.add.at(x[1:], ...)``...: the view was bound to
    a temporary taken for a new array, and the write was lost from the derivative."""
    rng = np.random.default_rng(case)
    m3, i3 = Const(np.array([True, False, True])), Const(np.array([0, 2, 0]))
    f, args = [(put_view, (_in(rng, 4),)), (putmask_view, (_in(rng, 4), m3)), (fill_view, (_in(rng, 4, 3),)),
               (put_transposed, (_in(rng, 3, 3),)), (add_at_view, (_in(rng, 4), i3)),
               (multiply_at_view, (_in(rng, 4), i3)), (put_rows, (_in(rng, 3, 3),)),
               (place_view, (_in(rng, 5), m3))][case]
    check_everywhere(f, *args, out=(f.__code__.co_varnames[0],), tapes=("autograd", "torch", "jax"))


BUFFERS = {"b": np.zeros(3)}


def _returns_module_array(x):
    return H


def module_dict_entry_written(s, x):
    b = BUFFERS["b"]
    b[:] = x ** 2
    s[:] = BUFFERS["b"] * x


def module_dict_entry_filled(s, x):
    _fill(BUFFERS["b"], x)
    s[:] = BUFFERS["b"] * x


def module_array_returned_then_written(s, x):
    b = _returns_module_array(x)
    b[:] = x ** 2
    s[:] = H * x


@pytest.mark.parametrize("f", [module_dict_entry_written, module_dict_entry_filled, module_array_returned_then_written])
def test_writes_into_module_containers_and_returned_arrays_are_refused(f):
    """An array held by a module-level dict, or returned by a helper, written by
    the caller: its derivative was lost (dx half the true value)."""
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+.*of its module or closure"):
        autodiff(Reverse, f, Const, Duplicated(np.zeros(3), np.ones(3)), D([0.3, 0.5, 0.7]))


def diagonal_pushed(A):
    st = []
    st.append(np.diag(A))
    A *= 3.0
    return float(np.sum(np.stack(st) ** 2))


def slice_pushed(u):
    st = []
    for _ in range(3):
        st.append(u[1:])
        u *= 1.1
    return float(np.sum(np.stack(st) ** 2))


@pytest.mark.parametrize("f", [diagonal_pushed, slice_pushed])
def test_views_pushed_onto_lists_then_written_are_refused(f):
    """The list holds the view, which shows the later writes: taken for a copy
    at the push, the derivative was that of the value pushed."""
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+"):
        autodiff(Reverse, f, Active, Duplicated(np.ones((3, 3)) if f is diagonal_pushed else np.ones(4),
                                                np.zeros((3, 3)) if f is diagonal_pushed else np.zeros(4)))


def tuple_element_written(A):
    tp = (A[0:2], A[2:4])
    a = tp[0]
    a *= 3.0


def _overlapping_pair(x):
    a = x * 2.0
    return (a[1:], a[:-1])


def pair_taken_by_index(x):
    tp = _overlapping_pair(x)
    p = tp[0]
    q = tp[1]
    p *= 3.0
    return np.sum(q * q)


def tuple_aliased(x):
    a = x * 1.0
    tp = (a[1:], a[:-1])
    tp2 = tp
    p = tp2[0]
    p *= 3.0
    return np.sum(tp2[1] ** 2)


def tuple_on_two_paths(x, c):
    a = x * 1.0
    tp = (a[1:], a[:-1]) if c > 0 else (a[:-1], a[1:])
    p = tp[0]
    p *= 3.0
    return np.sum(tp[1] ** 2)


def test_tuple_elements_written_in_forward_and_vector_mode():
    """Forward and vector mode took ``a = tp[0]`` for row 0 of the first
    element's tangent (``_d_t1[0]``), not the element itself."""
    from adcompiler import BatchDuplicated, Forward
    rng = np.random.default_rng(12)
    A = rng.uniform(0.5, 1.5, (4, 3))
    t1, t2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    d1, d2, d = t1.copy(), t2.copy(), t1.copy()
    autodiff(Forward, tuple_element_written, Const, Duplicated(A.copy(), d))
    autodiff(Forward, tuple_element_written, Const, BatchDuplicated(A.copy(), (d1, d2)))
    for t, got in ((t1, d), (t1, d1), (t2, d2)):
        want = t.copy()
        want[0:2] *= 3.0
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("f", [pair_taken_by_index, tuple_aliased, tuple_on_two_paths])
def test_tuple_elements_that_may_share_memory_written_are_refused(f):
    """A helper's tuple under the user's name, a tuple's alias, a tuple built on
    two paths: an element written in place, the others' derivatives were those
    of copies (the refusals looked only at tuples bound straight from their call
    or display)."""
    args = [D([0.3, 0.5, 0.7, 0.9])] + ([Const(1.0)] if f is tuple_on_two_paths else [])
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+"):
        autodiff(Reverse, f, Active, *args)


def _module_array_by_another_name():
    h = H
    return h


def module_array_returned_by_alias(s, x):
    w = _module_array_by_another_name()
    w[:] = x * 2.0
    s[:] = H * x


def test_module_array_returned_under_another_name_written_is_refused():
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+.*of its module or closure"):
        autodiff(Reverse, module_array_returned_by_alias, Const, Duplicated(np.zeros(3), np.ones(3)),
                 D([0.3, 0.5, 0.7]))


def unpack_pair(x):
    a, b = x
    return a * b


def unpack_rows(P, y):
    s = 0.0
    for a, b in P:
        s += a * b * y[0]
    return s


@pytest.mark.parametrize("f, args", [
    (unpack_pair, lambda: [D([0.3, 0.5, 0.7])]),
    (unpack_rows, lambda: [D(np.ones((2, 3))), D([1.0, 2.0])]),
])
def test_unpacking_more_values_than_names_raises(f, args):
    """``a, b = x`` with three values (``for a, b in P`` with rows of three):
    Python raises; the derivative took the first two and a zero for the third."""
    vals = [a.val.copy() for a in args()]
    with pytest.raises(ValueError, match="too many values"):
        f(*vals)
    for mode in ("reverse", "forward"):
        with pytest.raises(ValueError, match=r"unpacking needs exactly 2 values.*test_silent_containers\.py:\d+"):
            if mode == "reverse":
                autodiff(Reverse, f, Active, *args())
            else:
                from adcompiler import Forward
                autodiff(Forward, f, Const, *args())
    with pytest.raises((ValueError, AdCompilerError), match="unpacking needs exactly 2|too many values"):
        differentiate(f)(*vals)


def test_unpacking_exactly_as_many_values_is_differentiated():
    check_everywhere(unpack_pair, D([0.3, 0.5]), out=())
    check_everywhere(unpack_rows, D(np.full((3, 2), 0.7)), D([1.0, 2.0]), out=())


def _fields_loop(u, v, c):
    fields = [u, v]
    for a in fields:
        a *= c


def _fields_tuple_loop(u, v, c):
    fields = (u, v)
    for a in fields:
        a *= c


def _fields_element(u, v, c):
    fields = [u, v]
    a = fields[0]
    a *= c


def _rows_unpacked(A, c):
    rows = [A[0], A[1]]
    a, b = rows
    a *= c
    b *= c


def _fields_by_helper(u, v, c):
    state = (u, v)
    for f in state:
        _fill(f, f * c)


@pytest.mark.parametrize("f", [_fields_loop, _fields_tuple_loop, _fields_element, _fields_by_helper])
def test_arrays_of_a_named_list_or_tuple_written_through_an_element(f):
    """``fields = [u, v]; for a in fields: a *= c``: a named list of arrays was
    taken for a new 2-D array (its rows copies), a tuple's element chosen as
    the code runs was followed nowhere: the writes were lost from the derivative
    at every entry point (the derivative of the identity); then refused. The loop
    is unrolled now and each copy writes the array by its own name (frontend/unroll)."""
    check_everywhere(f, D([0.5, 1.0, -0.3]), D([2.0, -1.0, 0.7]), Active(1.3), out=("u", "v"),
                     tapes=("autograd", "jax", "torch"))


def test_arrays_of_a_named_list_unpacked_and_written_are_refused():
    args = [D(np.array([[1.0, 2.0], [3.0, -1.0]]).ravel()).val.reshape(2, 2)]
    args = [Duplicated(args[0], np.zeros_like(args[0]))]
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+"):
        autodiff(Reverse, _rows_unpacked, Const, *args, Active(1.3))


def _fields_read(u, v, c):
    fields = (u, v)
    s = 0.0
    for k in range(2):
        s += np.sum(fields[0] * fields[1]) * c
    return s


def test_arrays_of_a_named_tuple_read_only():
    check_everywhere(_fields_read, D([0.5, 1.0, -0.3]), D([2.0, -1.0, 0.7]), Active(1.3), out=())


def _local_buffers_in_a_tuple(x):
    w1, w2 = np.zeros(3), np.ones(3)
    fields = (w1, w2)
    for a in fields:
        a += x
    return float(np.sum(w1 * w2))


def test_local_arrays_of_a_tuple_written_through_an_element():
    # (refused while the loop read the tuple by a variable index; unrolled, each copy writes w1, w2 by name)
    check_everywhere(_local_buffers_in_a_tuple, D([0.5, 1.0, -0.3]), out=(), tapes=("autograd", "jax", "torch"))


def _loop_over_reversed_view(y, x):
    for v in y[::-1]:
        y[0] = y[0] * x[1] + v


def _loop_over_a_row(y, A, x):
    for v in A[0]:
        A[0, 1] = A[0, 1] * x[1] + v
    y[:] = A[0]


def _zip_over_a_slice(y, x):
    for v, w in zip(y[1:], x):
        y[-1] = y[-1] * w + v


@pytest.mark.parametrize("f", [_loop_over_reversed_view, _loop_over_a_row, _zip_over_a_slice])
def test_loop_over_a_view_the_body_writes(f):
    """numpy iterates a view live: ``for v in y[::-1]`` reads the elements the
    body has already written. The derivative took them as read before the loop
    (the primal was right) at every entry point."""
    x = np.array([0.5, 0.9, 1.1, 0.7])
    args = [D([1.0, 0.2, 0.3, 0.4]), D(x)]
    if f is _loop_over_a_row:
        args = [D(np.zeros(3)), Duplicated(np.array([[1.0, 0.2, 0.3], [0.4, 0.5, 0.6]]), np.zeros((2, 3))), D(x)]
    check_everywhere(f, *args, out=("y",), tapes=("autograd", "torch", "jax"))


def _numbers_then_appended(x):
    c = [0.5]
    c.append(2.0)
    c.append(x[0] * 3.0)
    return c[2] * x[1] + c[1]


def test_list_of_numbers_appended_values_with_derivatives_is_refused():
    """A list written out with numbers (taken as their array), then a stack:
    a ValueError or AttributeError from the runtime in the reverse sweep."""
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+: `c\.append\(x\[0\] \* 3\.0\)`: the list `c`"):
        autodiff(Reverse, _numbers_then_appended, Active, D([0.3, 0.9]))


def _log_appended(u, log):
    log.append(u * 2.0)
    return np.sum(log[0] * u)


def _log_in_a_loop(u, log):
    for i in range(u.shape[0]):
        log.append(u[i] ** 2)
    s = 0.0
    for v in log:
        s += v
    return s


def _log_by_default(u, log=[]):   # noqa: B006 (the mutable default is the case)
    log.append(float(u[0]))
    return log[-1] * u[1]


def _indices_appended(u, idx):
    idx.append(1)
    return np.sum(u[idx] ** 2)


@pytest.mark.parametrize("f", [_log_appended, _log_in_a_loop, _log_by_default])
def test_a_list_argument_empty_on_entry_appended_values_with_derivatives_is_refused(f):
    """The items a list argument receives are read back: derivatives through them were lost
    where the list was empty on entry (its items were taken for numbers, never read)."""
    u = np.array([0.3, 0.6, 0.9])
    calls = [lambda: autodiff(Reverse, f, Active, Duplicated(u.copy(), np.zeros(3)), Const([])),
             lambda: ad.gradient(f, u.copy(), []),
             lambda: ad.gradient(f, u.copy(), [], backend="auto"),
             lambda: autodiff(Forward, f, Duplicated, Duplicated(u.copy(), np.ones(3)), Const([])),
             lambda: ad.jvp(f, (u.copy(), []), (np.ones(3), None)),
             lambda: ad.hvp(f, (u.copy(), []), (np.ones(3), None)),
             lambda: ad.autodiff_thunk(ad.ReverseSplitWithPrimal, f, Active, Duplicated, Const)[0](
                 Duplicated(u.copy(), np.zeros(3)), Const([]))]
    for call in calls:
        with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+"):
            call()


def test_a_list_of_indices_appended_an_index():
    u = np.array([0.3, 0.6, 0.9])
    np.testing.assert_allclose(ad.gradient(_indices_appended, u, [0])[0], [0.6, 1.2, 0.0])
    _, t = ad.jvp(_indices_appended, (u, [0]), (np.ones(3), None))
    assert np.isclose(t, 1.8)


def _sparse_matvec(y, A, x):
    y[:] = A @ x


def _sparse_dot_into(y, A, x):
    y += A.dot(x)


def _sparse_transposed(y, A, x):
    y[:] = A.T @ x


def test_sparse_matrices_are_refused_at_the_line_that_uses_them():
    """A scipy.sparse matrix given as Const: the derivative of ``A @ x`` would
    read it as a numpy array (numpy's AxisError, or object arrays); refused at
    the line, with what to pass instead."""
    import scipy.sparse

    from adcompiler import AdCompilerError, Const, Duplicated, Reverse, autodiff
    A = scipy.sparse.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
    for f in (_sparse_matvec, _sparse_dot_into):
        with pytest.raises(AdCompilerError, match="`A` of .* is not a numpy array or a number") as e:
            autodiff(Reverse, f, Const, Duplicated(np.zeros(2), np.ones(2)), Const(A),
                     Duplicated(np.ones(3), np.zeros(3)))
        assert e.value.lineno is not None and "toarray()" in str(e.value)
    # A.T (np.transpose of the object) is no array either: numpy's AxisError in the reverse sweep
    with pytest.raises(AdCompilerError, match="an operand of .* is not a numpy array") as e:
        autodiff(Reverse, _sparse_transposed, Const, Duplicated(np.zeros(3), np.ones(3)), Const(A),
                 Duplicated(np.ones(2), np.zeros(2)))
    assert "A.T @ x" in str(e.value)


# -- the list of views np.split returns ---------------------------------------------------------

def _split_aug(a):
    parts = np.split(a, 2)
    parts[0] *= 2.0


def _array_split_aug(a):
    parts = np.array_split(a, 3)
    parts[1] *= 2.0


def _split_out(a):
    parts = np.split(a, 2)
    np.multiply(parts[0], 2.0, out=parts[0])


def _split_copyto(a):
    parts = np.split(a, 2)
    np.copyto(parts[0], parts[1])


def _split_rebind(a):
    parts = np.split(a, 2)
    parts[0] = parts[0] * 2.0   # (replaces the list's element: `a` is not written)
    a[3:] = parts[0]


def _halves(a):
    return np.split(a, 2)


def _split_by_helper(a):
    parts = _halves(a)
    parts[0] *= 2.0


def _split_in_loop(a):
    parts = np.split(a, 3)
    for i in range(3):
        parts[i] *= 1.0 + i


@pytest.mark.parametrize("f", [_split_aug, _array_split_aug, _split_out, _split_copyto, _split_rebind,
                               _split_by_helper, _split_in_loop])
def test_stores_into_the_list_np_split_returns_are_refused(f):
    """``parts = np.split(a, 2); parts[0] *= 2.0`` writes ``a`` through the view;
    it was lowered to ``parts[0] = parts[0] * 2.0``, which only replaced the
    list's element: the primal, the adjoint, the tangent and the Jacobian were
    those of the identity, silently."""
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+.*list `numpy\.(array_)?split`"):
        autodiff(Reverse, f, Const, D(np.arange(1.0, 7.0)))
    with pytest.raises(AdCompilerError, match="numpy"):
        autodiff(Forward, f, Const, D(np.arange(1.0, 7.0)))


def _split_piece_bound(a, c):
    parts = np.split(a, 2)
    p = parts[0]
    p *= c
    a[3:] = a[:3] * 3.0 + parts[1]


def test_a_piece_bound_to_a_name_is_written_through():
    check_everywhere(_split_piece_bound, D(np.arange(1.0, 7.0) / 7.0), Active(1.3), ret=Const, out="a",
                     tapes=("autograd", "torch", "jax"))


def _split_indexed_twice(x):
    parts = np.split(x, 2)
    return parts[0][0] * parts[1][1] + np.sum(parts[1] ** 2)


def _split_rows_iterated(A):
    rows = np.array_split(A, 3)
    s = 0.0
    for r in rows:
        s += r[0] * 2.0
    return s + rows[1][0] ** 2


def _split_element_written(x):
    cols = np.array_split(x, 2, axis=1)
    cols[0][1, 0] += cols[1][0][1]
    cols[1][2][0] *= 3.0
    return np.sum(x * x) + cols[1][1][0]


def _split_sliced(A):
    cols = np.array_split(A, 2, axis=1)
    rows = np.split(A, 3)
    return np.sum(cols[0][:, :1] * cols[1][:, 1:]) + np.sum(rows[2][0, 1:] ** 2)


@pytest.mark.parametrize("f, shape", [(_split_indexed_twice, 6), (_split_rows_iterated, 7),
                                      (_split_element_written, (3, 4)), (_split_sliced, (3, 4))])
def test_the_pieces_of_np_split_indexed_twice(f, shape):
    """``parts[0][0]``: the list of pieces is typed as a stacked array, and the two
    subscripts were read as one (``parts[0, 0]``: a TypeError from every entry point)."""
    x = np.random.default_rng(3).standard_normal(shape)
    check_everywhere(f, D(x), tapes=("autograd", "torch", "jax"),
                     out=() if f is not _split_element_written else None)
    if f is _split_element_written:   # (no split adjoint needed: the numba backend compiles it)
        want, got = D(x), D(x)
        autodiff(Reverse, f, Active, want)
        autodiff(Reverse, f, Active, got, backend="numba")
        np.testing.assert_allclose(got.dval, want.dval, rtol=1e-12)


def _two_of(ps):
    return ps[0][1] * ps[1][1]


def _split_given_to_a_helper(x):
    parts = np.split(x, 2)
    return _two_of(parts) + parts[1][0]


def _split_from_a_helper(x):
    parts = _halves(x)
    return np.sum(parts[0] * parts[1][::-1]) + parts[1][2]


def test_the_pieces_indexed_twice_in_a_helper_and_from_one():
    """A helper given the list of pieces read ``ps[0][1]`` as ``ps[0, 1]`` (its parameter's kind was a
    stacked array's): a TypeError at every entry point. The list's kind now says it is a list."""
    for f in (_split_given_to_a_helper, _split_from_a_helper):
        check_everywhere(f, D(np.arange(6.0) * 0.3 + 0.1), out=(), tapes=("autograd", "torch", "jax"))


def _split_named_twice(x):
    parts = np.split(x, 2)
    q = parts
    return np.sum(q[0] * q[1])


def _sum_of_first_squares(ps):
    q = ps
    return np.sum(q[0] ** 2)


def _second_name_in_a_helper(x):
    ps = np.split(x, 2)
    return float(_sum_of_first_squares(ps) + np.sum(ps[1]))


def _halves_by_name(v):
    parts = np.split(v, 2)
    return parts


def _returned_by_name(x):
    a, b = _halves_by_name(x)
    return np.sum(a * b[::-1])


@pytest.mark.parametrize("f, line", [(_second_name_in_a_helper, "q = ps"), (_returned_by_name, "return parts")])
def test_a_second_name_for_the_pieces_in_a_helper_is_refused(f, line):
    """In a helper given the list, and ``return parts``: the same 0.0 + list (a TypeError, or a
    broadcast ValueError)."""
    with pytest.raises(AdCompilerError, match=rf"test_silent_containers\.py:\d+: `{line}`: a second name"):
        autodiff(Reverse, f, Active, D(np.arange(6.0)))


def test_a_second_name_for_the_pieces_is_refused():
    """``q = parts`` gave the list's adjoint to a number (``0.0 + list``: a TypeError at every
    reverse entry point); refused at its line."""
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+: `q = parts`: a second name"):
        autodiff(Reverse, _split_named_twice, Active, D(np.arange(6.0)))


def _scaled_layers(x, cfg):
    h = x
    for W in cfg["Ws"]:
        h = np.tanh(W @ h)
    return cfg["scale"] * np.sum(h) + np.sum(cfg["L"]) * x[0]


def test_a_config_dict_of_values_of_different_kinds():
    """A Const dict mixing a float, a list and arrays: each value's kind is read by
    its key (the kinds the values have in common was unknown: refused at the def
    line, or ``W`` taken for 'not an array')."""
    rng = np.random.default_rng(0)
    cfg = {"Ws": [rng.standard_normal((3, 3)) for _ in range(2)], "scale": 0.5, "L": [1.0, 2.0]}
    check_everywhere(_scaled_layers, Duplicated(rng.standard_normal(3), np.zeros(3)), Const(cfg),
                     tapes=("autograd", "torch", "jax"))


def _pair(x):
    return x * 2.0, np.sin(x)


def _element_read_back(x):
    r = _pair(x)
    c = r[0]
    c *= x
    return np.sum(r[0])


def _element_read_back_negative(x):
    r = _pair(x)
    c = r[0]
    c[1:] = x[1:] ** 3
    return np.sum(r[-2] * r[1])


def _element_read_back_unpacked(x):
    r = _pair(x)
    c = r[0]
    c *= x
    p, _q = r
    return np.sum(p)


def _element_read_back_in_loop(x):
    s = 0.0
    for i in range(3):
        r = _pair(x)
        c = r[0]
        c[i] = x[i] ** 3
        s += np.sum(r[0] ** 2)
    return s


def _element_read_back_in_helper(x):
    return 2.0 * _element_read_back(x)


def _factor_read_back(A):
    r = np.linalg.qr(A)
    q = r[0]
    q *= 2.0
    return float(np.sum(r[0] * r[0] * A[:, :1]) + np.sum(r[1]))


def _values_read_back(A):
    r = np.linalg.svd(A, full_matrices=False)
    s = r[1]
    s *= A[0, :2]
    return float(np.sum(r[1] ** 2))


@pytest.mark.parametrize("f", [_element_read_back, _element_read_back_negative, _element_read_back_unpacked,
                               _element_read_back_in_loop, _element_read_back_in_helper, _factor_read_back,
                               _values_read_back])
def test_a_tuple_element_read_after_a_name_bound_to_it_is_written_is_refused(f):
    """``r = pair(x); c = r[0]; c *= x; np.sum(r[0])``: the read of ``r[0]`` took
    the element's derivative as it was bound (gradient 2 for 4x, on every entry
    point, Forward too); refused at the read."""
    x = np.array([0.3, -0.7, 1.1]) if f not in (_factor_read_back, _values_read_back) else \
        np.random.default_rng(0).standard_normal((3, 2))
    with pytest.raises(AdCompilerError, match="is read after") as e:
        ad.gradient(f, x.copy())
    assert e.value.lineno is not None and "_t" not in str(e.value).split("Hint")[0].split(":", 2)[-1]
    with pytest.raises(AdCompilerError, match="is read after"):
        autodiff(Forward, f, Duplicated, Duplicated(x.copy(), np.ones_like(x)))
    with pytest.raises(AdCompilerError, match="is read after"):
        import autograd
        autograd.grad(differentiate(f))(x.copy())


def _element_written_other_read(x):
    r = _pair(x)
    c = r[0]
    c *= x
    return np.sum(r[1] * c) + np.sum(c)


def test_a_tuple_element_written_through_its_name_and_another_element_read():
    check_everywhere(_element_written_other_read, Duplicated(np.array([0.3, -0.7, 1.1]), np.zeros(3)),
                     out=(), tapes=("autograd", "torch", "jax"))


def _element_read_before_written(x):
    r = _pair(x)
    a = np.sum(r[0] * x)
    c = r[0]
    c *= x
    return a + np.sum(c * c)


def test_a_tuple_element_read_before_a_name_bound_to_it_is_written():
    """A read of the element before the name is bound (and not in a loop around both)
    takes the element as it was: differentiated, not refused."""
    check_everywhere(_element_read_before_written, Duplicated(np.array([0.3, -0.7, 1.1]), np.zeros(3)),
                     out=(), tapes=("autograd", "torch", "jax"))


def _nest(x):
    return (x * 2.0, np.sin(x)), np.cos(x)


def _nested_element_written(x):
    r = _nest(x)
    c = r[0][0]
    c *= x
    return np.sum(r[0][0])


def _nested_unpacked_written(x):
    (p, q), _z = _nest(x)
    p *= x
    return np.sum(p) + np.sum(q)


def _shared_nest(x):
    a = x * 2.0
    return (a, np.sin(x)), a


def _nested_shared_written(x):
    (p, _q), z = _shared_nest(x)
    z *= x
    return np.sum(p)


def _scaled_pair(x):
    r = _pair(x)
    c = r[0]
    c *= x
    return r


def _returned_after_written(x):
    a, _b = _scaled_pair(x)
    return np.sum(a)


@pytest.mark.parametrize("f", [_nested_element_written, _nested_unpacked_written, _nested_shared_written,
                               _returned_after_written])
def test_arrays_of_nested_tuples_written_and_tuples_returned_after_a_write_are_refused(f):
    """An array inside a tuple of tuples written through a name (the checks of what a
    write reaches follow one level), and a helper returning the tuple whose element it
    wrote through a name: each gave the element's derivative as bound (2 for 4x)."""
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(AdCompilerError) as e:
        ad.gradient(f, x.copy())
    assert e.value.lineno is not None and "`_t" not in str(e.value)
    with pytest.raises(AdCompilerError):
        autodiff(Forward, f, Duplicated, Duplicated(x.copy(), np.ones(3)))


def _last_of_pair(x):
    r = _pair(x)
    return np.sum(r[-1]) + np.sum(r[-2] * x)


def test_a_tuple_read_at_a_negative_index():
    """``r[-1]`` of a tuple carrying derivatives (refused as 'indexed with a variable')."""
    check_everywhere(_last_of_pair, Duplicated(np.array([0.3, -0.7, 1.1]), np.zeros(3)), out=(),
                     tapes=("autograd", "torch", "jax"))


WEIGHTS = {"W": np.linspace(0.5, 1.5, 5)}
LAYERS = [np.linspace(0.5, 1.5, 5)]


def scale_by_module_dict(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * WEIGHTS["W"][i]


def scale_by_module_list(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * LAYERS[0][i]


def weighted_by_a_list(x, y, ws):
    for i in range(5):
        y[i] = x[i] * ws[0][4 - i]


@pytest.mark.parametrize("f, held", [(scale_by_module_dict, lambda: WEIGHTS["W"]),
                                     (scale_by_module_list, lambda: LAYERS[0])])
def test_an_argument_that_is_an_array_of_a_module_container_is_refused(f, held):
    """``x`` passed as the very array of a module dict or list the function reads
    (``x[i] * D["W"][i]`` is ``x[i] ** 2``): the derivative took ``D["W"]`` for
    separate constant memory (x0**2 for 2*x0); refused, as a module array is.
    A copy is differentiated as the product it then is."""
    for mode in (Reverse, Forward):
        with pytest.raises(ad.errors.AliasingError, match=r"an array in `(WEIGHTS\[.W.\]|LAYERS\[0\])`"):
            autodiff(mode, f, Const if mode is Reverse else Duplicated, Duplicated(held(), np.ones(5)))
    w = held().copy()
    x, dx = np.linspace(0.2, 1.0, 5), np.ones(5)
    autodiff(Reverse, f, Const, Duplicated(x, dx))
    np.testing.assert_allclose(dx, w, rtol=1e-15)


def test_a_shadow_held_in_a_const_container_is_refused():
    """The seed ``dy`` passed again in a Const list the function reads as weights:
    the reverse sweep read the weights after it had zeroed ``dy`` (dx [0 0 0 1 1]
    for ones); refused, as ``Const(dy)`` is."""
    x, dy = np.linspace(0.5, 1.5, 5), np.ones(5)
    with pytest.raises(ad.errors.AliasingError, match="the shadow of `y` is the memory of an array in `ws`"):
        autodiff(Reverse, weighted_by_a_list, Const, Duplicated(x, np.zeros(5)), Duplicated(np.zeros(5), dy),
                 Const([dy]))
    dx = np.zeros(5)
    autodiff(Reverse, weighted_by_a_list, Const, Duplicated(x, dx), Duplicated(np.zeros(5), np.ones(5)),
             Const([np.ones(5)]))
    np.testing.assert_allclose(dx, np.ones(5), rtol=1e-15)


PARAMS = {"W": np.array([1.0, 2.0]), "scale": 2.0}
CONFIG = {"a": {"b": {"c": {"d": {"e": np.linspace(0.5, 1.5, 3)}}}}}


def reads_only_w(b):
    return float(np.sum(PARAMS["W"] * b * b) * PARAMS["scale"])


def scaled_in_place(x):
    x *= 2.0
    return float(np.sum(PARAMS["scale"] * x))


def deep_weights(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * CONFIG["a"]["b"]["c"]["d"]["e"][i]


def test_module_containers_are_checked_where_the_function_reads_them():
    """An array of a module dict the function does not read (``PARAMS["b"]`` while it reads
    ``PARAMS["W"]``) is another argument's memory to pass; one it reads, however deep
    (five dicts), is refused; and a dict holding only numbers at the first calls is checked
    again once it holds the argument (the repeat path skipped the check: dy [4 8 12] for
    [8 16 24])."""
    b, db = np.array([0.7, 0.95]), np.zeros(2)
    try:
        PARAMS["b"] = b
        autodiff(Reverse, reads_only_w, Active, Duplicated(b, db))
        np.testing.assert_allclose(db, 2.0 * 2.0 * PARAMS["W"] * b, rtol=1e-15)
        with pytest.raises(ad.errors.AliasingError, match=r"an array in `PARAMS\['W'\]`"):
            autodiff(Reverse, reads_only_w, Active, Duplicated(PARAMS["W"], np.zeros(2)))
        for _ in range(3):
            autodiff(Reverse, scaled_in_place, Active, Duplicated(np.ones(3), np.zeros(3)))
        y = np.array([1.0, 2.0, 3.0])
        PARAMS["scale"] = y
        with pytest.raises(ad.errors.AliasingError, match=r"PARAMS\['scale'\]"):
            autodiff(Reverse, scaled_in_place, Active, Duplicated(y, np.zeros(3)))
    finally:
        PARAMS.pop("b", None)
        PARAMS["scale"] = 2.0
    with pytest.raises(ad.errors.AliasingError, match="CONFIG"):
        autodiff(Reverse, deep_weights, Const, Duplicated(CONFIG["a"]["b"]["c"]["d"]["e"], np.ones(3)))


KERNEL_WEIGHTS = np.array([1.0, 2.0, 3.0])


@differentiate(out="y", like="x")
def _weighted_squares(y, x):
    y[:] = KERNEL_WEIGHTS * x * x


def through_a_wrapped_kernel(x):
    return np.sum(_weighted_squares(x))


def test_an_argument_that_is_an_array_a_wrapped_kernel_reads_is_refused():
    """``x`` is the module array a wrapped kernel the function calls reads: it ran (2Wx for
    3x**2), while a plain helper reading it was refused; a copy is differentiated."""
    with pytest.raises(ad.errors.AliasingError, match="KERNEL_WEIGHTS"):
        autodiff(Reverse, through_a_wrapped_kernel, Active, Duplicated(KERNEL_WEIGHTS, np.zeros(3)))
    x, dx = KERNEL_WEIGHTS.copy(), np.zeros(3)
    autodiff(Reverse, through_a_wrapped_kernel, Active, Duplicated(x, dx))
    np.testing.assert_allclose(dx, 2 * KERNEL_WEIGHTS * x, rtol=1e-15)


def _held_then_scaled(x):
    held = [0.0]
    v = x * 2.0
    held[0] = v   # (the list holds v's array, which the next line scales in place)
    v *= 3.0
    return np.sum(held[0])


def _held_number(x):
    held = [0.0]
    held[0] = x[0] * 2.0
    return held[0] * x[1]


def test_an_array_stored_into_a_written_out_list_is_followed():
    """A list written out (``held = [0.0]``) was typed as its array, so ``held[0] = v`` of an array
    was taken for a copy into its memory: the gradient was 2 for 6 (Python's list holds v itself,
    scaled after). Read only by constant indices, the list is one name per index: the gradient is 6;
    a number stored there is still taken."""
    import adcompiler as ad
    np.testing.assert_allclose(ad.gradient(_held_then_scaled, np.ones(3))[0], 6.0)
    check_everywhere(_held_then_scaled, D([0.3, 0.5, 0.9]))
    x = np.array([0.5, 1.5, 2.0])
    np.testing.assert_allclose(ad.gradient(_held_number, x)[0], [2.0 * x[1], 2.0 * x[0], 0.0])


def _pair_product(xs):
    return float(np.sum(xs[0] * xs[1]))


@pytest.mark.parametrize("call", ["gradient", "vjp"])
def test_a_container_of_floats_is_said_to_be_a_constant(call):
    """``gradient`` and ``vjp`` take a tuple, list or dict of float arrays for a constant
    (None; ``grad`` refuses it): a warning says so (the None came silently)."""
    from adcompiler import gradient, vjp
    from adcompiler.errors import AdCompilerWarning
    x = np.array([1.0, 2.0])
    with pytest.warns(AdCompilerWarning, match="`xs` is a tuple of float arrays, taken as a constant"):
        got = gradient(_pair_product, (x, 2 * x)) if call == "gradient" else vjp(_pair_product, (x, 2 * x))[1](1.0)
    assert got == (None,)
    with pytest.warns(AdCompilerWarning, match="`xs` is a list of floats, taken as a constant"):
        gradient(_pair_product, [1.5, 2.5])


def _list_element_written_through_itself(s, x):
    L = [np.zeros(3), np.zeros(3)]
    L[0][1] = x[0] * x[1]
    s[:] = L[0] + x[:3]


def _list_argument_element_written(x, bufs):
    bufs[0][:] = x * 2.0
    return float(np.sum(bufs[0] ** 2))


def test_an_element_written_through_its_subscript_then_read_is_refused_in_the_users_words():
    # (a list written out and read by constant indices is one name per index: followed)
    check_everywhere(_list_element_written_through_itself, Duplicated(np.zeros(3), np.zeros(3)),
                     D([0.3, 0.5, 0.9, 1.1]), out=("s",), tapes=("autograd", "jax", "torch"))
    # (a list given as an argument: the refusal names the container, not a temporary)
    with pytest.raises(AdCompilerError, match=r"`bufs\[0\]` is read after element 0 of `bufs`"):
        ad.gradient(_list_argument_element_written, np.ones(3), [np.zeros(3)])


def _arrays_into_a_repeated_list(x):
    L = [None] * 2
    L[0] = x * 1.0
    L[1] = x * 3.0
    return float(np.sum(L[1] * L[0]))


def _arrays_into_a_list_of_zeros(x):
    L = [0.0] * 2
    L[0] = x * 1.0
    L[1] += x * 3.0
    return float(np.sum(L[1] * L[0]))


def _ints_given_a_float(x):
    L = [0, 1]
    L.append(x[0] * 2.0)
    return L[-1] + x[L[1]]


def _zeros_popped(x):
    L = [0.0] * x.shape[0]
    for i in range(x.shape[0]):
        L[i] = x[i] * 2.0
    v = L.pop()
    return v * L[0]


def _numbers_stored(x):
    L = [0.0] * x.shape[0]
    for i in range(x.shape[0]):
        L[i] = x[i] * 2.0
    return L[0] * L[-1]


@pytest.mark.parametrize("f", [_arrays_into_a_repeated_list, _arrays_into_a_list_of_zeros])
def test_arrays_stored_into_a_list_read_by_constant_indices_are_followed(f):
    """(Refused before: the list was taken for an array of numbers; read only by constant indices it
    is one name per index.)"""
    check_everywhere(f, D([0.4, -1.2, 0.9]))
    check_primal_annotated(f, (D([0.4, -1.2, 0.9]),))


@pytest.mark.parametrize("f", [_ints_given_a_float, _zeros_popped])
def test_a_list_written_out_with_numbers_given_arrays_or_used_as_a_stack_is_refused(f):
    """A list written out (or repeated, ``[0.0] * n``) is taken for an array of numbers: an array
    stored as an item had its derivative summed into a number (silently wrong), a value with a
    derivative appended to a list of ints lost it, and ``pop`` raised an AttributeError."""
    x = np.array([0.4, -1.2, 0.9])
    for call in (lambda: ad.gradient(f, x), lambda: ad.jvp(f, (x,), (np.ones(3),)),
                 lambda: autodiff(Forward, f, Duplicated, Duplicated(x.copy(), np.ones(3)))):
        with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+: .*list"):
            call()
    np.testing.assert_allclose(ad.gradient(_numbers_stored, x)[0], [4 * x[2], 0.0, 4 * x[0]])


def _ints_then_halved(x):
    w = [1] * 3
    for i in range(1, 3):
        w[i] = w[i - 1] * 0.5
    s = 0.0
    for i in range(3):
        s += w[i] * x[i] ** 2
    return s


def test_a_list_of_ints_given_floats_under_numba():
    """numba's list of ``[1] * 3`` holds int64: the 0.5 stored became 0 (wrong primal and gradient
    under numba and auto). numba refuses it; auto runs it on numpy."""
    from optional import require
    require("numba")
    x = np.array([0.4, -1.2, 0.9])
    want = 2 * x * np.array([1.0, 0.5, 0.25])
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+: `w\[i\] = w\[i - 1\] \* 0\.5`"):
        ad.gradient(_ints_then_halved, x, backend="numba")
    np.testing.assert_allclose(ad.gradient(_ints_then_halved, x, backend="auto")[0], want)
    dx = np.zeros(3)
    _, value = autodiff(ad.ReverseWithPrimal, _ints_then_halved, Active, Duplicated(x.copy(), dx), backend="auto")
    np.testing.assert_allclose(dx, want)
    assert np.isclose(value, _ints_then_halved(x))
    _, t = ad.jvp(_ints_then_halved, (x,), (np.ones(3),))
    assert np.isclose(t, np.sum(want))
    with pytest.raises(AdCompilerError, match="written out with ints"):
        autodiff(Forward, _ints_then_halved, Duplicated, Duplicated(x.copy(), np.ones(3)), backend="numba")
    out = autodiff(Forward, _ints_then_halved, Duplicated, Duplicated(x.copy(), np.ones(3)), backend="auto")
    assert np.isclose(out[0], np.sum(want))


def _legendre_in_an_int_list(x):
    p = [0] * 4
    p[0] = 1
    p[1] = x[0]
    for k in range(2, 4):
        p[k] = ((2 * k - 1) * x[0] * p[k - 1] - (k - 1) * p[k - 2]) / k
    return p[3] * x[1]


def _filled_then_repeated(x):
    L = [0.0]
    L[0] = x[0] ** 2
    M = L * 3
    return sum(M)


def _filled_then_joined(x):
    a = [0.0]
    b = [0.0]
    a[0] = x[0] ** 2
    b[0] = 3.0 * x[1]
    c = a + b
    return 10.0 * c[0] + c[1]


@pytest.mark.parametrize("f", [_legendre_in_an_int_list, _filled_then_repeated, _filled_then_joined])
def test_a_list_of_numbers_given_derivatives_then_taken_for_ints_or_arithmetic_is_refused(f):
    """``[0] * n`` given ``x[0]`` kept the derivative out (an int list); ``L * 3`` and ``a + b`` of
    filled lists were differentiated as a product and a sum (gradients 3x and mixed)."""
    x = np.array([0.4, -1.2, 0.9])
    for call in (lambda: ad.gradient(f, x), lambda: ad.jvp(f, (x,), (np.ones(3),)),
                 lambda: autodiff(Forward, f, Duplicated, Duplicated(x.copy(), np.ones(3)))):
        with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+: .*list"):
            call()


def _indices_in_int_lists(x):
    idx = [0] * 3
    for i in range(3):
        idx[i] = int(np.argmax(x[i:]))
    L = [0, 1]
    L.append(int(np.argmin(x)))
    cnt = [0] * 2
    cnt[0] += 1
    return x[idx[1]] * x[L[2]] + cnt[0] * x[0]


def _recurrence_in_a_float_list(x):
    L = [0.0] * 3
    L[0] = x[0]
    for k in range(1, 3):
        L[k] = L[k - 1] * x[k]
    return L[2]


def test_lists_of_ints_given_ints_and_float_lists_given_numbers_still_differentiate():
    x = np.array([0.4, -1.2, 0.9, 0.3])
    check_everywhere(_indices_in_int_lists, Duplicated(x, np.zeros(4)))
    np.testing.assert_allclose(ad.gradient(_indices_in_int_lists, x)[0], [1.0, 2 * x[1], 0.0, 0.0])
    y = x[:3]
    check_everywhere(_recurrence_in_a_float_list, Duplicated(y.copy(), np.zeros(3)))
    h = ad.hessian(_recurrence_in_a_float_list, y)
    np.testing.assert_allclose(h, [[0, y[2], y[1]], [y[2], 0, y[0]], [y[1], y[0], 0]])


def _list_as_an_item(x):
    L = [0.0] * 2
    L[0] = [x[0], x[1]]
    return L[0][0] * L[0][1]


def _tuple_as_an_item(x):
    P = [None] * 2
    P[0] = (x[0], x[1])
    a, b = P[0]
    return a * b


def _numbers_in_a_none_list(x):
    L = [None] * 2
    L[0] = x[0] * 2.0
    L[1] = x[1] - x[0]
    return np.sum(np.array(L) ** 2)


def test_lists_and_tuples_stored_as_items_of_a_list_read_by_constant_indices():
    """``L[0] = [x[0], x[1]]`` into ``[0.0] * 2`` raised a TypeError from the derivative (``L[0, 0]``);
    ``P[0] = (x[0], x[1])`` into ``[None] * 2`` was refused with another construct's reason, and hvp
    raised an IndexError. Read only by constant indices, the lists are one name per index: first
    and second order against the closed forms of x0 * x1."""
    x = np.array([0.7, -0.3])
    for f in (_list_as_an_item, _tuple_as_an_item):
        check_everywhere(f, D(x))
        np.testing.assert_allclose(ad.gradient(f, x)[0], [x[1], x[0]])
        np.testing.assert_allclose(ad.hvp(f, (x,), (np.array([1.0, 2.0]),))[0], [2.0, 1.0])


def test_numbers_in_a_list_repeated_from_none():
    """First order through ``[None] * 2`` holding numbers; second order refused at its line (hvp raised
    a TypeError: the list's shadow is a list, written as an array)."""
    x = np.array([0.7, -0.3])
    check_everywhere(_numbers_in_a_none_list, Duplicated(x, np.zeros(2)))
    np.testing.assert_allclose(ad.gradient(_numbers_in_a_none_list, x)[0], [8 * x[0] - 2 * (x[1] - x[0]),
                                                                          2 * (x[1] - x[0])])
    with pytest.raises(AdCompilerError, match=r"test_silent_containers\.py:\d+: `L = \[None\] \* 2`"):
        ad.hvp(_numbers_in_a_none_list, (x,), (np.ones(2),))
