"""Lists a function builds (appends, comprehensions, lists written out), read
as arrays where their values carry derivatives: item reads, ``sum``, loops
over them, ``np.array`` of them, the name rebound to that array.

Every case runs through every entry point (``check_everywhere``) against
central differences; the refusals name the line.
"""
import math
import re

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, AdCompilerError, Const, Duplicated, Reverse, autodiff


def summed(x):
    vals = []
    for i in range(x.shape[0]):
        vals.append(x[i] ** 2)
    return sum(vals)


def summed_with_start(x):
    vals = []
    for i in range(x.shape[0]):
        vals.append(np.sin(x[i]))
    return sum(vals, 0.5 * x[0])


def items_read(x):
    vals = []
    for i in range(x.shape[0]):
        vals.append(x[i] ** 2)
    return vals[-1] * vals[0] + vals[1]


def comprehension_indexed(x):
    vals = [x[i] * 2.0 for i in range(x.shape[0])]
    return vals[0] * vals[1] + vals[-1] ** 2


def recurrence_in_a_list(x):
    s = []
    s.append(x[0])
    for i in range(1, x.shape[0]):
        s.append(s[i - 1] * 0.5 + np.tanh(x[i]) * s[-1])
    return s[-1] + 0.1 * sum(s)


def rebound_to_its_array(x):
    vals = []
    for i in range(x.shape[0]):
        vals.append(x[i] ** 2)
    vals = np.array(vals)
    return vals[0] * vals[2] + np.sum(vals * x)


def trajectory(x):
    traj = [x.copy()]
    for _ in range(3):
        x = x * 0.5 + np.sin(x)
        traj.append(x)
    return sum(np.sum(t ** 2) for t in traj)


def loop_over_items(x):
    rows = []
    for i in range(x.shape[0] - 1):
        rows.append(x[i:i + 2] * x[i + 1])
    total = 0.0
    for r in rows:
        total = total + r[0] * r[1]
    return total


def written_out(x):
    coeffs = [x[0], x[1] * 2.0, np.exp(x[2])]
    return coeffs[0] * coeffs[1] + coeffs[2]


def into_output(y, x):
    terms = [x[i] * x[i + 1] for i in range(x.shape[0] - 1)]
    for k in range(y.shape[0]):
        y[k] = terms[k] + sum(terms)


def pairs_of_values(x):
    pairs = []
    for k in range(x.shape[0] - 1):
        pairs.append((x[k], x[k + 1] * 2.0))
    e = 0.0
    for p in pairs:
        a, b = p
        e = e + a * b ** 2
    return e


def neighbour_lists(x, adj):
    # index arrays of different lengths: read as the items themselves
    nbrs = []
    for i in range(x.shape[0]):
        nbrs.append(np.flatnonzero(adj[i]))
    e = 0.0
    for i in range(x.shape[0]):
        for j in nbrs[i]:
            e = e + (x[i] - x[j]) ** 2 * 0.5
    return e


X = np.array([0.3, 0.7, 1.1, -0.4])

SCALAR = [summed, summed_with_start, items_read, comprehension_indexed, recurrence_in_a_list,
          rebound_to_its_array, trajectory, loop_over_items, written_out, pairs_of_values]


@pytest.mark.parametrize("f", SCALAR, ids=[f.__name__ for f in SCALAR])
def test_lists_of_values_with_derivatives_everywhere(f):
    check_everywhere(f, Duplicated(X.copy(), np.zeros(4)), out=(), tapes=("autograd", "torch", "jax"))


def test_lists_of_index_arrays_of_different_lengths():
    adj = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]])
    check_everywhere(neighbour_lists, Duplicated(X.copy(), np.zeros(4)), Const(adj), out=None)


def test_a_list_read_into_an_output():
    check_everywhere(into_output, Duplicated(np.zeros(3), np.zeros(3)), Duplicated(X.copy(), np.zeros(4)),
                     out=("y",), tapes=("autograd", "torch", "jax"))


def written_through_an_item(s, a):
    items = []
    items.append(a * 2.0)
    r = items[0]
    r *= 3.0
    s[:] = items[0]


def appended_while_looped(s, a):
    items = [v * 2.0 for v in a]
    for v in items:
        items.append(v)
        if len(items) > 5:
            break
    s[0] = items[-1]


def sliced(s, a):
    items = [v * 2.0 for v in a]
    s[0] = sum(items[1:])


@pytest.mark.parametrize("f,words", [
    (written_through_an_item, "an item of the list `items` is written in place"),
    (appended_while_looped, "a loop over the list `items` that its body appends to"),
    (sliced, "unknown"),
])
def test_uses_of_lists_that_are_not_differentiated_are_refused(f, words):
    s, a = np.zeros(3), np.arange(3.0) + 1.0
    with pytest.raises(AdCompilerError, match=words) as exc:
        autodiff(Reverse, f, Const, Duplicated(s, np.ones(3)), Duplicated(a, np.zeros(3)))
    assert "test_lists.py" in str(exc.value)


@pytest.mark.parametrize("f", SCALAR, ids=[f.__name__ for f in SCALAR])
def test_lists_second_order(f):
    # hvp against central differences of the reverse-mode gradient
    import adcompiler as ad
    v = np.array([0.2, -0.5, 0.9, 0.4])
    hv = ad.hvp(f, [X.copy()], [v])[0]
    h = 1e-5
    want = (ad.grad(f)(X + h * v) - ad.grad(f)(X - h * v)) / (2 * h)
    np.testing.assert_allclose(hv, want, rtol=1e-5, atol=1e-7)


def enumerate_reversed(x, y):
    for i, v in enumerate(reversed(y)):
        x[i] += v * y[i]


def zip_reversed(x, y):
    for a, b in zip(reversed(y), x):
        x[0] += a * b


@pytest.mark.parametrize("f", [enumerate_reversed, zip_reversed])
def test_reversed_inside_enumerate_and_zip(f):
    # reversed(arr) inside enumerate or zip iterates the view arr[::-1] (read as the loop runs)
    y = np.array([0.4, -0.3, 1.2])
    check_everywhere(f, Duplicated(np.array([0.5, 0.1, -0.7]), np.zeros(3)), Duplicated(y, np.zeros(3)),
                     out=("x",), tapes=("autograd", "torch", "jax"))


def len_before_an_append(x):
    L = [x[0], x[1]]
    t = 0.0
    for i in range(len(L)):
        t = t + x[i] * x[i + 1]
    L.append(x[2])
    return t + sum(L)


def len_as_an_index(x):
    L = [x[0] * 2.0, x[1] * 2.0]
    t = x[len(L)] ** 2
    L.append(x[3] * 3.0)
    return t + sum(L)


def appended_in_a_range_of_its_length(x):
    L = [x[0], x[1] * 2.0]
    for k in range(len(L)):
        L.append(L[k] * x[2])
    return sum(L) + x[len(L) - 1]


def list_copied(x):
    o = [1, 2]
    p = o.copy()
    q = p * 2            # a list repeated, not doubled
    return x[len(q)] ** 2


@pytest.mark.parametrize("f", [len_before_an_append, len_as_an_index, appended_in_a_range_of_its_length,
                               list_copied])
def test_lengths_of_lists_that_change(f):
    """``len(L)`` in a range or an index is read when the line runs (the reverse
    sweep evaluated it again with the list's final length: wrong gradients);
    ``L.copy()`` of a list is a list (it was an array: ``p * 2`` doubled it)."""
    x = np.array([0.3, 0.7, 1.1, -0.4, 0.9])
    check_everywhere(f, Duplicated(x, np.zeros(5)), out=(), tapes=("autograd", "torch", "jax"))
    import adcompiler as ad
    v = np.array([0.2, -0.5, 0.9, 0.4, 1.0])
    h = 1e-5
    want = (ad.grad(f)(x + h * v) - ad.grad(f)(x - h * v)) / (2 * h)
    np.testing.assert_allclose(ad.hvp(f, [x], [v])[0], want, rtol=1e-5, atol=1e-7)


def mean_of_stacked(x):
    L = [x[i] * np.cos(x[i]) for i in range(x.shape[0])]
    a = np.array(L)
    return np.mean(a) + np.max(a) * 0.5


def test_second_order_through_a_reduction_of_a_stacked_list():
    # (the reduction's adjoint, a number standing for the whole array, met the list's adjoint: AxisError)
    import adcompiler as ad
    x = np.array([0.3, 0.7, 1.1, -0.4, 0.9])
    v = np.array([0.2, -0.5, 0.9, 0.4, 1.0])
    h = 1e-5
    want = (ad.grad(mean_of_stacked)(x + h * v) - ad.grad(mean_of_stacked)(x - h * v)) / (2 * h)
    np.testing.assert_allclose(ad.hvp(mean_of_stacked, [x], [v])[0], want, rtol=1e-5, atol=1e-7)
    check_everywhere(mean_of_stacked, Duplicated(x, np.zeros(5)), out=(), tapes=("autograd",))


def ragged_rows(x):
    rows = []
    for i in range(1, x.shape[0]):
        rows.append(x[:i] * 2.0)
    t = 0.0
    for r in rows:
        t = t + np.sum(r)
    return t


def test_items_of_different_shapes_refused_at_the_line():
    x = np.array([0.3, 0.7, 1.1])
    with pytest.raises(AdCompilerError, match=r"test_lists\.py:\d+: `for r in rows:`: .*cannot be stacked"):
        autodiff(Reverse, ragged_rows, Active, Duplicated(x, np.zeros(3)))


def list_sorted_in_place(x):
    order = [3, 1, 2, 0]
    order.sort()
    return x[order[0]] ** 2 + x[order[1]]


def test_list_methods_other_than_append_and_pop_refused_at_the_line():
    # (sort was taken for the array method: a TypeError writing order[...] in the derivative)
    with pytest.raises(AdCompilerError, match=r"test_lists\.py:\d+:\d+: `order.sort\(\)`: the list method"):
        autodiff(Reverse, list_sorted_in_place, Active, Duplicated(np.ones(4), np.zeros(4)))


def len_in_a_slice(x):
    L = [x[0]]
    L.append(x[1])
    t = float(np.sum(x[:len(L)] ** 2))
    L.append(x[2])
    return t + sum(L) * 0.0


def test_len_of_a_growing_list_in_a_slice():
    # (the bound was bound to a name whole: `_t = :len(L)` did not compile)
    check_everywhere(len_in_a_slice, Duplicated(np.array([0.3, 0.7, 1.1]), np.zeros(3)), out=(),
                     tapes=("autograd",))


def _doubles(x, pair):
    x *= 2.0
    return float(np.sum(x * pair[0]))


def test_a_written_argument_also_held_in_a_tuple_argument_refused():
    # (the tuple's copy did not share the written array's memory: value and gradient of another function)
    import adcompiler as ad
    from adcompiler.errors import AliasingError
    x = np.array([0.5, 1.0, 1.5])
    with pytest.raises(AliasingError, match="share memory"):
        ad.gradient(_doubles, x, (x,))
    y = x.copy()
    np.testing.assert_allclose(ad.gradient(_doubles, x.copy(), (y,))[0], 2.0 * y)


def _copied_list_written(x):
    w = [x[0] * 1.0, x[1] * 1.0, x[2] * 1.0]
    v = w.copy()
    v.append(x[0] * 2.0)
    return sum(w) * 0.7


@pytest.mark.parametrize("backend", ["numpy", "auto", "numba"])
def test_a_copied_list_is_another_list(backend):
    import adcompiler as ad
    from adcompiler.errors import BackendError
    try:
        g = ad.gradient(_copied_list_written, np.array([0.3, 0.7, 1.1]), backend=backend)[0]
    except BackendError:
        assert backend == "numba"   # (lists under numba may be refused; never wrong)
        return
    np.testing.assert_allclose(g, [0.7, 0.7, 0.7], rtol=1e-14)


def index_value_pairs(x):
    pairs = []
    for i in range(x.shape[0]):
        pairs.append((i, x[i] * 2.0))
    t = 0.0
    for k in range(len(pairs)):
        j, v = pairs[k]
        t = t + x[j] * v
    return t


def test_pairs_of_an_index_and_a_value_refused_at_the_line():
    # (stacked, the index became a float: an IndexError in the derivative)
    with pytest.raises(AdCompilerError, match=r"`j, v = pairs\[k\]`: .*mix integers with floats"):
        autodiff(Reverse, index_value_pairs, Active, Duplicated(np.array([0.3, 0.7, 1.1]), np.zeros(3)))


def _loss_of_a_method_of_a_call(x, w):
    return float(np.exp(x).dot(w))


def test_a_method_of_a_call_result_writes_nothing():
    # (its arguments were taken as written: the bare differentiate refused a pure loss)
    import autograd

    import adcompiler as ad
    f = ad.differentiate(_loss_of_a_method_of_a_call)
    x, w = np.array([0.3, -0.5, 1.6]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(autograd.grad(f)(x, w), np.exp(x) * w, rtol=1e-14)


def len_in_an_index_tuple(A):
    L = []
    L.append(A[0, 0])
    t = A[1, len(L)] ** 2
    L.append(A[0, 1])
    return t + sum(L)


def test_len_of_a_growing_list_in_an_index_tuple():
    # (A[1, len(L)] kept the tuple whole: the reverse sweep read A[1, 2], the list's final length)
    A = np.array([[0.3, 0.7, 1.1], [0.2, 0.5, 0.9]])
    check_everywhere(len_in_an_index_tuple, Duplicated(A, np.zeros((2, 3))), out=(), tapes=("autograd", "torch", "jax"))


def largest_magnitude(x):
    m = max(abs(x[i]) for i in range(x.shape[0]))
    return np.sum(x / m)


def extremes_of_a_list(x, y):
    vals = []
    for i in range(x.shape[0]):
        vals.append(x[i] * y[i])
    y[0] = min(vals) + max(vals) * 2.0


def largest_index(x):
    m = max(i * 2 for i in range(x.shape[0]))
    return x[m // 2] * 3.0 + m


def test_max_and_min_of_comprehensions_and_lists_everywhere():
    """``max(abs(x[i]) for i ...)`` and ``min(vals)`` of a list the function
    builds were refused (a list with derivatives used otherwise than as a
    stack); ``max(i * 2 for i ...)`` of integers was taken for a float and
    saved on the float tape (an IndexError indexing with it)."""
    x = np.array([0.3, 1.2, -0.8, 2.1])
    check_everywhere(largest_magnitude, Duplicated(x.copy(), np.zeros(4)), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    check_everywhere(extremes_of_a_list, Duplicated(x.copy(), np.zeros(4)),
                     Duplicated(np.array([1.0, 0.5, 2.0, 1.5]), np.zeros(4)), out="y",
                     tapes=("autograd", "torch", "jax"))
    check_everywhere(largest_index, Duplicated(x.copy(), np.zeros(4)), ret=Active, out=())
    m, s = 2.1, x.sum()
    want = np.full(4, -1 / m ** 2)
    want[3] = -5 / m ** 2 + 2 * s / m ** 3
    np.testing.assert_allclose(ad.hvp(largest_magnitude, (x.copy(),), (np.ones(4),))[0], want, rtol=1e-12)


def largest_square_twice(x):
    s = 0.0
    for _ in range(2):
        vals = []
        for i in range(x.shape[0]):
            vals.append(x[i] * x[i])
        s += max(vals)
    return s


def test_second_order_of_a_reduced_list_rebuilt_in_a_loop():
    """The adjoint of ``np.stack(L)`` read the stacked array's name after the
    reverse sweep had put back its previous value (the last iteration's, or
    None): hvp of ``max(vals)`` in a loop raised AxisError."""
    x = np.array([0.3, -1.2, 0.8])
    check_everywhere(largest_square_twice, Duplicated(x.copy(), np.zeros(3)), ret=Active, out=())
    np.testing.assert_allclose(ad.hvp(largest_square_twice, (x.copy(),), (np.ones(3),))[0], [0.0, 4.0, 0.0])
    np.testing.assert_allclose(ad.hessian(largest_square_twice)(x.copy()), np.diag([0.0, 4.0, 0.0]))


def rows_vstacked(x, W):
    rows = []
    for i in range(3):
        rows.append(np.sin(x * (i + 1)))
    M = np.vstack(rows)   # (3, n)
    blocks = []
    for i in range(2):
        blocks.append(W * x[i])
    B = np.vstack(blocks)   # (4, 2) from two (2, 2)
    return np.sum(M ** 2 * x) + np.sum(B[1:] ** 3)


def joined_every_way(x, W):
    parts = [x[i] * W for i in range(2)]   # two (2, 2)
    H = np.hstack(parts)        # (2, 4)
    C = np.concatenate(parts, axis=1)
    cols = []
    for j in range(3):
        cols.append(x * j)
    S = np.column_stack(cols)   # (n, 3)
    F = np.concatenate([np.cos(x[i:i + 2]) for i in range(3)])
    v = np.hstack(cols)
    return np.sum(H * C) + np.sum(np.tanh(S) * S) + np.sum(F ** 2) + np.sum(v ** 3) * x[0]


@pytest.mark.parametrize("f", [rows_vstacked, joined_every_way])
def test_lists_joined_everywhere(f):
    x, W = np.array([0.3, -0.7, 1.1, 0.4]), np.array([[0.5, -1.2], [0.8, 0.1]])
    check_everywhere(f, Duplicated(x, np.zeros(4)), Duplicated(W, np.zeros((2, 2))), tapes=("autograd", "torch", "jax"))


def ragged_concatenated(x):
    return np.sum(np.concatenate([x[i:] for i in range(3)]) ** 2)


def test_a_list_of_items_of_different_shapes_joined_is_refused_at_its_line():
    with pytest.raises(AdCompilerError, match=r"test_lists\.py:\d+.*cannot be stacked"):
        ad.grad(ragged_concatenated)(np.arange(4.0))


@pytest.mark.parametrize("f", [rows_vstacked, joined_every_way])
def test_lists_joined_second_order(f):
    x, W = np.array([0.3, -0.7, 1.1, 0.4]), np.array([[0.5, -1.2], [0.8, 0.1]])
    vx, vW = np.array([1.0, -0.5, 0.25, 2.0]), np.array([[0.3, 0.1], [-0.2, 0.4]])
    h = 1e-5
    gp = ad.gradient(f, x + h * vx, W + h * vW)
    gm = ad.gradient(f, x - h * vx, W - h * vW)
    got = ad.hvp(f, (x.copy(), W.copy()), (vx, vW))
    for g, a, b in zip(got, gp, gm):
        np.testing.assert_allclose(g, (a - b) / (2 * h), rtol=1e-5, atol=1e-7)


def capped_stack(c, a, b):
    st = [a, b]
    total = 0.0
    count = 0
    while st and count < 40:   # (a test of the list inside `and`: each operand's truth)
        hi = st.pop()
        lo = st.pop()
        total += (hi - lo) * math.exp(c * 0.5 * (lo + hi))
        if count < 2 and hi - lo > 0.1:
            mid = 0.5 * (lo + hi)
            st.append(lo)
            st.append(mid)
            st.append(mid)
            st.append(hi)
        count += 1
    return total


def test_a_list_tested_inside_and_everywhere():
    from everywhere import check_everywhere
    check_everywhere(capped_stack, Active(1.3), Active(0.2), Active(1.5), ret=Active,
                     tapes=("autograd", "torch", "jax"))


def two_lists_unpacked(x):
    acc, other = [], []
    for i in range(x.shape[0]):
        acc.append(x[i] ** 2)
        other.append(x[i] * 3.0)
    return acc[-1] + other[0]


def rows_stacked_from_unpacked(x):
    rows, count = [], 0
    for i in range(x.shape[0]):
        rows.append(x * i)
        count += 1
    return float(np.sum(np.stack(rows) ** 2)) / count


@pytest.mark.parametrize("f", [two_lists_unpacked, rows_stacked_from_unpacked], ids=lambda f: f.__name__)
def test_lists_bound_by_unpacking_literals(f):
    # `a, b = [], []` was refused (a value of unknown kind, or np.stack of a list it did not know)
    # where `a = []` then `b = []` was differentiated
    x = np.array([1.0, 2.0, 3.0])
    check_everywhere(f, Duplicated(x.copy(), np.zeros(3)), out=())
    # (x[2] ** 2 + 3 x[0]; the sum over i of i^2 |x|^2, over 3)
    want = np.array([3.0, 0.0, 2 * x[2]]) if f is two_lists_unpacked else 2 * x * 5 / 3
    np.testing.assert_allclose(ad.gradient(f, x)[0], want, rtol=1e-12)


def lattice_directions(f, u):
    c = [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1)]
    w = [4.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9]
    for k in range(5):
        cu = c[k][0] * u[0] + c[k][1] * u[1]
        f[k] = w[k] * (1.0 + 3.0 * cu + 4.5 * cu * cu)
        rows = [[1.5, 0.5], [0.25, 2.0]]
        f[k] += rows[k % 2][1] * u[k % 2] ** 2


def test_items_of_a_list_of_tuples_read_by_chained_indices():
    """``c[k][0]`` of a list of number tuples: it is a list when the code runs, and the two
    subscripts were merged into ``c[k, 0]`` (a TypeError raised by the derivative)."""
    u = np.array([0.3, -0.2])
    check_everywhere(lattice_directions, Duplicated(np.zeros(5), np.ones(5)), Duplicated(u, np.zeros(2)),
                     out="f", tapes=("autograd", "jax", "torch"))

    def total(u):
        f = np.zeros(5)
        lattice_directions(f, u)
        return np.sum(f * f)
    np.testing.assert_allclose(ad.gradient(total, u, backend="auto")[0], ad.gradient(total, u)[0])
    h, eps = 1e-6, np.eye(2) * 1e-6
    fd = np.array([(ad.gradient(total, u + e)[0] - ad.gradient(total, u - e)[0]) / (2 * h) for e in eps])
    np.testing.assert_allclose(ad.hessian(total, u), fd, rtol=1e-6, atol=1e-8)


def repeated_tuples(x):
    c = [(1.0, 0.5)] * 3
    s = 0.0
    for k in range(3):
        s = s + c[k][0] * x[k] + c[k][1] * x[k] ** 2
    return s


def repeated_int_tuples(x):
    pairs = 2 * [(2, 1)]
    s = 0.0
    for k in range(2):
        s = s + pairs[k][1] * x[pairs[k][0]] ** 3
    return s


def repeated_lists(x):
    c = [[1.0, 0.5]] * 3
    s = 0.0
    for k in range(3):
        s = s + c[k][1] * x[k] ** 2
    return s


def test_items_of_a_repeated_list_of_tuples_read_by_chained_indices():
    """``c = [(1.0, 0.5)] * 3; c[k][0]``: a list of tuples when the code runs, whose two subscripts
    were merged (a TypeError raised by the derivative); ``[[1.0, 0.5]] * 3`` (refused)."""
    x = np.array([0.7, -0.3, 1.1])
    check_everywhere(repeated_tuples, Duplicated(x, np.zeros(3)))
    np.testing.assert_allclose(ad.gradient(repeated_tuples, x)[0], 1.0 + x)
    np.testing.assert_allclose(ad.hessian(repeated_tuples, x), np.eye(3))
    check_everywhere(repeated_int_tuples, Duplicated(x, np.zeros(3)))
    np.testing.assert_allclose(ad.gradient(repeated_int_tuples, x)[0], [0.0, 0.0, 6 * x[2] ** 2])
    check_everywhere(repeated_lists, Duplicated(x, np.zeros(3)))
    np.testing.assert_allclose(ad.gradient(repeated_lists, x)[0], x)


def tableau_with_an_empty_row(x):
    a = [[], [0.5], [0.0, 0.5]]
    s = 0.0
    for i in range(3):
        for j in range(i):
            s = s + a[i][j] * x[j] ** 2
    return s


def test_a_ragged_list_of_numbers_with_an_empty_row():
    """A Butcher tableau written as lists, its first row empty: differentiated (refused: the kind of
    ``a[i]`` was unknown)."""
    x = np.array([0.7, -0.3, 1.1])
    check_everywhere(tableau_with_an_empty_row, Duplicated(x, np.zeros(3)))
    np.testing.assert_allclose(ad.gradient(tableau_with_an_empty_row, x)[0], [x[0], x[1], 0.0])
    np.testing.assert_allclose(ad.hessian(tableau_with_an_empty_row, x), np.diag([1.0, 1.0, 0.0]))


def equilibrium(f, feq):
    c = [(0, 0), (1, 0), (0, 1), (-1, 0), (0, -1)]
    w = [4.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9, 1.0 / 9]
    for i in range(f.shape[1]):
        rho = 0.0
        ux = 0.0
        uy = 0.0
        for k in range(5):
            rho += f[k, i]
            ux += c[k][0] * f[k, i]
            uy = uy + c[k][1] * f[k, i]
        ux = ux / rho
        uy = uy / rho
        for k in range(5):
            cu = 3.0 * (c[k][0] * ux + c[k][1] * uy)
            feq[k, i] = w[k] * rho * (1.0 + cu + 0.5 * cu * cu - 1.5 * (ux * ux + uy * uy))


def test_a_list_of_int_tuples_is_a_matrix_of_ints():
    """``c = [(0, 0), (1, 0), ...]``: a list of rows of ints, whose items ``c[k][0]`` are numbers
    (the kind took it for an array of unknown rank: ``ux += c[k][0] * f[k, i]`` then ``ux = ux /
    rho`` was refused as maybe an array; numba refused the rows, tuples when the code runs)."""
    f = np.random.default_rng(0).random((5, 4)) + 0.5
    check_everywhere(equilibrium, Duplicated(f, np.zeros_like(f)), Duplicated(np.zeros_like(f), np.ones_like(f)),
                     out="feq", tapes=("autograd", "jax", "torch"))
    from optional import require
    require("numba")
    seed = np.random.default_rng(1).random(f.shape)
    got, want = np.zeros_like(f), np.zeros_like(f)
    autodiff(Reverse, equilibrium, Const, Duplicated(f.copy(), got), Duplicated(np.zeros_like(f), seed.copy()),
             backend="numba")
    autodiff(Reverse, equilibrium, Const, Duplicated(f.copy(), want), Duplicated(np.zeros_like(f), seed.copy()))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def stencil_of_offsets_and_weights(u, out):
    offs = [(-1, 0, 1.0), (1, 0, 1.0), (0, -1, 0.5), (0, 1, 0.5)]
    for i in range(1, u.shape[0] - 1):
        for j in range(1, u.shape[1] - 1):
            acc = -3.0 * u[i, j]
            for di, dj, wk in offs:
                acc += wk * np.sin(u[i + di, j + dj])
            out[i, j] = acc


def terms_of_indices_and_weights(x):
    terms = [(0, 1.0), (2, 2.5), (0, -0.5)]
    s = 0.0
    for k in range(3):
        s += terms[k][1] * x[terms[k][0]] ** 2
    for idx, coef in terms:
        s += coef * x[idx]
    return s


def test_a_list_of_tuples_of_ints_and_floats():
    """``[(-1, 0, 1.0), ...]``, offsets and a weight: its rows are tuples of ints and floats (the list
    was taken for an array of floats of unknown rank, its items' kinds unknown: refused; a list of
    int-float rows taken for a float matrix made the ints floats, raising an IndexError)."""
    u = np.random.default_rng(0).random((4, 5))
    check_everywhere(stencil_of_offsets_and_weights, Duplicated(u, np.zeros_like(u)),
                     Duplicated(np.zeros_like(u), np.ones_like(u)), out="out", tapes=("autograd", "jax", "torch"))
    x = np.array([0.7, -0.3, 1.1])
    check_everywhere(terms_of_indices_and_weights, Duplicated(x, np.zeros(3)))
    np.testing.assert_allclose(ad.gradient(terms_of_indices_and_weights, x)[0], [x[0] + 0.5, 0.0, 5 * x[2] + 2.5])
    np.testing.assert_allclose(ad.hessian(terms_of_indices_and_weights, x), np.diag([1.0, 0.0, 5.0]))
    from optional import require
    require("numba")
    np.testing.assert_allclose(ad.gradient(terms_of_indices_and_weights, x, backend="numba")[0],
                               [x[0] + 0.5, 0.0, 5 * x[2] + 2.5])


def tuples_as_multi_indices(A):
    c = [(0, 1), (1, 0)]
    s = 0.0
    for k in range(2):
        s += A[c[k]] ** 2
        row = c[k] + (1,)
        s += A[row[0], row[-1]] * A[len(row) - 2, 0]
    return s


def rows_of_ints_and_of_floats(x):
    c = [(1, 2), (0.5, 1.5)]
    return x[c[0][0]] * c[1][0] + x[c[0][1]] ** 2 * c[1][1]


def test_items_of_a_list_of_tuples_are_tuples():
    """``A[c[k]]`` of ``c = [(0, 1), (1, 0)]`` is one element (the items were read as rows of an int
    matrix: vector mode took them for index arrays, silently wrong); ``c[k] + (1,)`` is a tuple (hvp
    refused it), and a row of ints beside a row of floats keeps its ints (hvp refused the index)."""
    A = np.array([[0.7, -0.3], [1.1, 0.4]])
    check_everywhere(tuples_as_multi_indices, Duplicated(A, np.zeros_like(A)))
    # (A01 ** 2 + A10 ** 2 + A01 * A10 + A11 * A10)
    want = np.array([[0.0, 2 * A[0, 1] + A[1, 0]], [2 * A[1, 0] + A[0, 1] + A[1, 1], A[1, 0]]])
    np.testing.assert_allclose(ad.gradient(tuples_as_multi_indices, A)[0], want)
    tangents = (np.ones_like(A), np.arange(4.0).reshape(2, 2))
    got = np.zeros(2)
    for k, t in enumerate(tangents):
        got[k] = np.sum(want * t)
    batch = autodiff(ad.Forward, tuples_as_multi_indices, Duplicated, ad.BatchDuplicated(A, tangents))[0]
    np.testing.assert_allclose(batch, got)
    x = np.array([0.7, -0.3, 1.1, 0.4])
    v = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(ad.hvp(rows_of_ints_and_of_floats, (x,), (v,))[0], [0.0, 0.0, 3 * v[2], 0.0])
    check_everywhere(rows_of_ints_and_of_floats, Duplicated(x, np.zeros(4)))


def adams_bashforth_history(y0, k):
    y = y0.copy()
    hist = [-k * y]
    for step in range(4):
        acc = np.zeros_like(y)
        for f in hist:
            acc = acc + 0.5 * f
        y = y + 0.1 * acc
        hist.append(-k * y)
    return float(np.sum(y ** 2))


def weights_appended_after_their_loop(x):
    w = [1.0, 2.0]
    c = [(0, 1.0), (1, 2.0)]
    s = 0.0
    for it in range(3):
        for wt in reversed(w):
            s += wt * x[0] ** 2
        for i, wt in c:
            s += wt * x[i] ** 3
        w.append(float(it))
    c.append((2, 4.0))
    return s


def list_extended_in_place(x):
    w = [1.0, 2.0]
    s = 0.0
    for it in range(2):
        for wt in w:
            s += wt * x[0] ** 2
        w += [float(it)]
    return s


def test_a_loop_over_a_list_appended_to_after_it():
    """A loop over a list the function appends to after the loop (in a loop around it: an
    Adams-Bashforth history) runs backwards the times it ran (the reverse sweep took the list's
    length at its end: an IndexError, or a TypeError, from the derivative); ``w += [v]`` is refused
    (a TypeError from the derivative: the list taken for an array)."""
    y0, k = np.array([1.0, 2.0]), 0.7
    check_everywhere(adams_bashforth_history, Duplicated(y0, np.zeros(2)), Active(k))
    x = np.array([0.5, -1.0, 2.0])
    check_everywhere(weights_appended_after_their_loop, Duplicated(x, np.zeros(3)))
    # (3 passes over [1, 2] grown by 0, 1: weights 3 + 3 + 4 on x0 ** 2; 3 passes over c)
    want = [2 * 10 * x[0] + 3 * 3 * 1.0 * x[0] ** 2, 3 * 3 * 2.0 * x[1] ** 2, 0.0]
    np.testing.assert_allclose(ad.gradient(weights_appended_after_their_loop, x)[0], want)
    np.testing.assert_allclose(ad.hessian(weights_appended_after_their_loop, x),
                               np.diag([20 + 18 * x[0], 36 * x[1], 0.0]))
    with pytest.raises(AdCompilerError, match=r"test_lists\.py:\d+: `w \+= \[float\(it\)\]`: .*extends"):
        ad.gradient(list_extended_in_place, x)


def worklist_of_indices(x):
    todo = [0]
    t = 0.0
    for i in todo:
        t = t + x[i] ** 2
        if i + 1 < x.shape[0]:
            todo.append(i + 1)
    return t


def indices_popped_while_read(x):
    L = [0, 1, 2, 3]
    t = 0.0
    for i in L:
        t = t + x[i] ** 2
        L.pop()
    return t


@pytest.mark.parametrize("f,line", [(worklist_of_indices, "for i in todo:"), (indices_popped_while_read, "for i in L:")])
def test_a_loop_over_a_list_of_ints_its_body_resizes_is_refused(f, line):
    """Python's loop over a list its body appends to runs over the items appended: the loop ran over
    the list's first length (a worklist: wrong primal and gradient, silently); one its body pops from
    raised an IndexError from the derivative."""
    x = np.array([0.3, 0.7, 1.1, -0.4, 0.9])
    for call in (lambda: ad.gradient(f, x.copy()), lambda: ad.jvp(f, (x.copy(),), (np.ones(5),)),
                 lambda: ad.gradient(f, x.copy(), backend="auto")):
        with pytest.raises(AdCompilerError, match=rf"test_lists\.py:\d+:\d+: `{re.escape(line)}`: a loop over the list"):
            call()


def popped_and_pushed_back(x):
    L = []
    L.append(x[0] * x[0])
    L.append(x[1] * x[1])
    a = L.pop()
    b = L.pop()
    L.append(a)
    return L[-1] * x[1] + b


def test_second_order_through_a_value_popped_and_pushed_back():
    """``a = L.pop(); L.append(a)``: the reverse code, differentiated again, took the pop for its own
    restore of ``a`` (pushed after it) and gave ``a`` no kind: its tangent was dropped (the Hessian
    4 x1 where 6 x1 is right, silently; the first derivatives were right)."""
    x = np.array([0.8, 1.3])
    check_everywhere(popped_and_pushed_back, Duplicated(x, np.zeros(2)))
    np.testing.assert_allclose(ad.gradient(popped_and_pushed_back, x)[0], [2 * x[0], 3 * x[1] ** 2])
    np.testing.assert_allclose(ad.hessian(popped_and_pushed_back, x), np.diag([2.0, 6 * x[1]]))
    np.testing.assert_allclose(ad.hvp(popped_and_pushed_back, (x,), (np.array([0.5, -1.0]),))[0],
                               [1.0, -6 * x[1]])


def limited_history_direction(g, S, Y):
    s_list = []
    y_list = []
    d = 0.0
    for it in range(S.shape[0]):
        s_list.append(S[it] * g[it % g.shape[0]])
        y_list.append(Y[it] + 0.1 * g)
        if len(s_list) > 2:   # (the newest kept, the one before dropped)
            ns = s_list.pop()
            s_list.pop()
            s_list.append(ns)
            ny = y_list.pop()
            y_list.pop()
            y_list.append(ny)
        q = g.copy()
        for i in range(len(s_list) - 1, -1, -1):
            q = q - np.dot(s_list[i], q) / np.dot(y_list[i], s_list[i]) * y_list[i]
        d = d + np.sum(q * g)
    return d


def test_second_order_through_a_list_of_arrays_with_items_dropped():
    """A history of arrays whose second newest item is dropped (pop, pop, push back): hvp raised a
    ValueError from the derivative (the adjoint list's items, pushed by the adjoint of the items
    read, were taken for numbers)."""
    rng = np.random.default_rng(0)
    g, S, Y = rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal((5, 3)) + 2.0
    check_everywhere(limited_history_direction, Duplicated(g, np.zeros(3)), Const(S), Const(Y))
    v, h = rng.standard_normal(3), 1e-5
    want = (ad.gradient(limited_history_direction, g + h * v, S, Y)[0]
            - ad.gradient(limited_history_direction, g - h * v, S, Y)[0]) / (2 * h)
    np.testing.assert_allclose(ad.hvp(limited_history_direction, (g, S, Y), (v, None, None))[0], want, rtol=1e-6)


def adams_bashforth_zipped(y, h):
    hist = []
    c = [1.5, -0.5, 0.25]
    for step in range(3):
        hist.append(-0.5 * y * y)
        inc = np.zeros_like(y)
        for cj, fj in zip(c, reversed(hist)):
            inc = inc + cj * fj
        for j, fj in enumerate(reversed(hist)):
            inc = inc + (0.1 / (j + 1)) * fj
        y = y + h * inc
    return np.sum(y ** 2)


def test_a_list_of_arrays_reversed_inside_zip_and_enumerate():
    """``zip(c, reversed(hist))`` and ``enumerate(reversed(hist))`` of a history of arrays: read from
    the last item (refused: the reversed list was a slice of a list, of unknown kind)."""
    y = np.array([1.0, 2.0])
    check_everywhere(adams_bashforth_zipped, Duplicated(y, np.zeros(2)), Active(0.1))
    v, e = np.array([0.3, -1.0]), 1e-5
    want = (ad.gradient(adams_bashforth_zipped, y + e * v, 0.1)[0]
            - ad.gradient(adams_bashforth_zipped, y - e * v, 0.1)[0]) / (2 * e)
    np.testing.assert_allclose(ad.hvp(adams_bashforth_zipped, (y, 0.1), (v, None))[0], want, rtol=1e-6)
    np.testing.assert_allclose(ad.gradient(adams_bashforth_zipped, y, 0.1, backend="auto")[0],
                               ad.gradient(adams_bashforth_zipped, y, 0.1)[0], rtol=1e-12)


def tables_on_two_branches(x):
    if x[0] > 0:
        c = [(0, 1.0), (1, 2.0)]
    else:
        c = [(1, 3.0), (2, 4.0), (3, 5.0)]
    s = 0.0
    for i, wt in c:
        s += wt * x[i] ** 2
    return s


def test_tables_of_different_lengths_on_two_branches():
    """Tables of (index, weight) pairs of different lengths on two branches (refused: their join was
    of unknown kind)."""
    for x0 in (0.7, -0.7):
        x = np.array([x0, -0.3, 1.1, 0.4])
        check_everywhere(tables_on_two_branches, Duplicated(x, np.zeros(4)))
        want = [2 * x[0], 4 * x[1], 0.0, 0.0] if x0 > 0 else [0.0, 6 * x[1], 8 * x[2], 10 * x[3]]
        np.testing.assert_allclose(ad.gradient(tables_on_two_branches, x)[0], want)
        np.testing.assert_allclose(ad.hessian(tables_on_two_branches, x),
                                   np.diag([2.0, 4.0, 0.0, 0.0] if x0 > 0 else [0.0, 6.0, 8.0, 10.0]))


def table_popped(x):
    c = [(0, 1.0), (1, 2.0), (2, 0.5)]
    r = c.pop()
    s = r[1] * x[r[0]] ** 2
    for i, wt in c:
        s += wt * x[i] ** 2
    return s


def test_a_table_popped_row_by_row():
    """``r = c.pop()`` of a list of (index, weight) pairs: a pair (refused: cannot tell whether ``s``
    is an array)."""
    x = np.array([0.7, -0.3, 1.1])
    check_everywhere(table_popped, Duplicated(x, np.zeros(3)))
    np.testing.assert_allclose(ad.gradient(table_popped, x)[0], [2 * x[0], 4 * x[1], x[2]])


def stack_of_pairs(x, y):
    st = []
    for i in range(x.shape[0]):
        st.append((x[i], y[i] * x[i], i))
    s = 0.0
    while st:
        a, b, k = st.pop()
        s = s + a * b * k + b
    return s


def test_second_order_through_a_stack_of_tuples():
    """A stack of tuples, differentiated again: the adjoint popped from the adjoint list of tuples
    was taken for a number or a tuple (refused: kind unknown; the gradient was right)."""
    x, y = np.array([0.5, -1.0, 2.0, 0.3]), np.array([0.2, 0.7, -0.4, 1.1])
    check_everywhere(stack_of_pairs, Duplicated(x, np.zeros(4)), Duplicated(y, np.zeros(4)))
    k = np.arange(4.0)
    np.testing.assert_allclose(ad.hessian(stack_of_pairs, x, y), np.diag(2 * k * y))
    v, w = np.array([0.3, -1.0, 0.5, 2.0]), np.array([1.0, 0.5, -0.5, 0.2])
    hx, hy = ad.hvp(stack_of_pairs, (x, y), (v, w))
    np.testing.assert_allclose(hx, 2 * k * y * v + (2 * k * x + 1) * w)
    np.testing.assert_allclose(hy, (2 * k * x + 1) * v)


def table_as_an_array(x):
    c = [(0.0, 1.0), (1.0, 0.5), (2.0, 0.25)]
    C = np.array(c)
    return np.sum(C[:, 1] * x[:3] ** 2 + C[:, 0] * x[:3])


def test_second_order_through_an_array_of_a_named_table():
    """``C = np.array(c)`` of a table of float tuples bound to a name: hvp refused it (in the reverse
    code differentiated again, an item's placeholder None made the table an array on one pass and a
    tuple of tuples on the next: of unknown kind)."""
    x = np.array([0.7, -0.3, 1.1, 0.4])
    check_everywhere(table_as_an_array, Duplicated(x, np.zeros(4)))
    v = np.array([1.0, -0.5, 0.3, 2.0])
    np.testing.assert_allclose(ad.hvp(table_as_an_array, (x,), (v,))[0], [2.0 * v[0], v[1], 0.5 * v[2], 0.0])


def over_an_index_list(x):
    idx = list(range(x.shape[0]))
    order = []
    for i in idx:
        order.append(x.shape[0] - 1 - i)
    s = 0.0
    for i in idx:
        s += np.sin(x[i]) * x[order[i]]
    return s


def test_items_of_a_list_of_indices_are_ints_in_second_order_and_numba():
    """``idx = list(range(n))``, ``order.append(n - 1 - i)``: the items are ints (the kind of
    ``x[i]`` was unknown in second order and under numba: refused)."""
    x = np.array([0.4, -1.2, 0.9, 2.0])
    check_everywhere(over_an_index_list, Duplicated(x, np.zeros(4)))
    h, eps = 1e-6, np.eye(4) * 1e-6
    fd = np.array([(ad.gradient(over_an_index_list, x + e)[0] - ad.gradient(over_an_index_list, x - e)[0]) / (2 * h)
                   for e in eps])
    np.testing.assert_allclose(ad.hessian(over_an_index_list, x), fd, rtol=1e-6, atol=1e-8)
    from everywhere import check_numba_gradient
    check_numba_gradient(over_an_index_list, Duplicated(x, np.zeros(4)))


def weighted_rows(x, w):
    rows = []
    for i in range(x.shape[0]):
        rows.append((i, 0.5))
    s = 0.0
    for i, c in rows:
        s += c * w[i] * x[i] ** 3
    return s


def test_second_order_through_a_list_of_index_and_weight_pairs():
    """A list of constant (index, weight) pairs built by appends, differentiated again: an index
    used in a store of the reverse code (``dx[i] += ...``) was taken for a name bound from the
    arguments, the list for one whose values carry derivatives, and its items stacked (refused: ints
    beside floats; the gradient was right)."""
    x, w = np.array([1.0, 2.0, -3.0, 0.5]), np.array([0.3, -1.0, 2.0, 1.5])
    check_everywhere(weighted_rows, Duplicated(x, np.zeros(4)), Duplicated(w, np.zeros(4)))
    np.testing.assert_allclose(ad.hessian(weighted_rows, x, w), np.diag(3.0 * w * x))
    v, u = np.array([0.3, -1.0, 0.5, 2.0]), np.array([1.0, 0.5, -0.5, 0.2])
    hx, hw = ad.hvp(weighted_rows, (x, w), (v, u))
    np.testing.assert_allclose(hx, 3.0 * w * x * v + 1.5 * x ** 2 * u)
    np.testing.assert_allclose(hw, 1.5 * x ** 2 * v)


def _fill_twice(w, x):
    w[:] = 2.0 * x


def list_of_a_viewed_array(x):
    w = np.zeros(x.shape[0])
    v = w[:]
    v[:] = x
    L = []
    for i in range(x.shape[0]):
        L.append(w[i] ** 2)
    return sum(L)


def list_of_a_copied_array(x):
    w = np.zeros(x.shape[0])
    np.copyto(w, x)
    L = [w[i] ** 3 for i in range(x.shape[0])]
    return L[0] * L[-1] + max(L)


def history_of_an_array_a_helper_fills(x):
    w = np.zeros(x.shape[0])
    _fill_twice(w, x)
    hist = []
    for k in range(3):
        hist.append(w * k)
    s = 0.0
    for h in hist:
        s += np.sum(h ** 2)
    return s


def list_of_a_reshaped_array(x):
    w = np.zeros((2, 2))
    w.reshape(4)[:] = x
    Q = []
    Q.append(w[0, 1] * w[1, 0])
    return sum(Q) + w[0, 0]


def list_of_an_array_scattered_into(x):
    w = np.zeros(4)
    np.add.at(w, np.array([0, 1, 1]), x[:3])
    L = []
    L.append(w[1] ** 2)
    return L[0]


def _pendulum(y, dydt):
    dydt[0] = y[1]
    dydt[1] = -np.sin(y[0])


def stages_a_helper_writes(x):
    k = np.zeros(2)
    ks = []
    for i in range(3):
        _pendulum(x[:2] + 0.1 * i * x[2:], k)
        ks.append(k.copy())
    s = 0.0
    for v in ks:
        s += np.sum(v ** 2)
    return s


def stages_a_helper_writes_by_keyword(x):
    k = np.zeros(2)
    ks = []
    for i in range(3):
        _pendulum(x[:2] * (1.0 + i) + x[2:], dydt=k)
        ks.append(k[0] * k[1])
    return sum(ks)


def _first_half(w):
    return w[: w.shape[0] // 2]


def list_of_an_array_written_through_a_helpers_view(x):
    w = np.zeros(4)
    v = _first_half(w)
    v[:] = x[:2] ** 2 + x[2:]
    L = []
    for i in range(2):
        L.append(w[i] * 3.0)
    return sum(L) * L[1]


@pytest.mark.parametrize("f", [list_of_a_viewed_array, list_of_a_copied_array, history_of_an_array_a_helper_fills,
                               list_of_a_reshaped_array, list_of_an_array_scattered_into, stages_a_helper_writes,
                               stages_a_helper_writes_by_keyword, list_of_an_array_written_through_a_helpers_view])
def test_a_list_of_values_of_a_local_array_written_indirectly(f):
    """The values appended come from a local array the function writes through a view, np.copyto, a
    helper, a reshape or np.add.at: the list was not taken for one that carries derivatives, and its
    reads (``sum(L)``, ``L[0]``, ``for h in hist``) were refused."""
    x = np.array([0.3, -1.2, 0.8, 0.5])
    check_everywhere(f, Duplicated(x.copy(), np.zeros(4)))
    h = 1e-6
    fd = np.array([(ad.gradient(f, x + h * e)[0] - ad.gradient(f, x - h * e)[0]) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(ad.hessian(f, x), fd, rtol=1e-6, atol=1e-8)
