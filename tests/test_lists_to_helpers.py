"""Lists a function builds by appends and passes to a helper.

A helper sees what the list holds (the kinds of the values appended to it),
so a list of constants (``(index, weight)`` pairs, weights computed from a
Const argument, rows of a Const array, ints) is read by the helper as the
written-out list is. A helper that appends to such a list values carrying
derivatives is refused at the call: the caller reads the list's items as
what it pushed itself, and their derivatives would be lost (they were, before
this refusal: a silently wrong gradient in every mode).
"""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import AdCompilerError, Const, Duplicated, Forward, Reverse, autodiff


def _weighted_squares(x, pairs):
    s = 0.0
    for i, w in pairs:
        s += w * x[i] ** 2
    return s


def pairs_built(x):
    pairs = []
    for i in range(x.shape[0]):
        pairs.append((i, 0.25 * i + 0.5))
    return _weighted_squares(x, pairs)


def _dotted(ws, x):
    s = 0.0
    for k in range(len(ws)):
        s += ws[k] * x[k]
    return s


def weights_from_const(x, c):
    ws = []
    for k in range(3):
        ws.append(c[k] * 2.0)
    return _dotted(ws, x) * x[0]


def _rows_dot(rows, x):
    s = 0.0
    for r in rows:
        s += np.dot(r, np.sin(x))
    return s


def rows_of_const(x, A):
    rows = []
    for k in range(A.shape[0]):
        rows.append(A[k] * 0.5)
    return _rows_dot(rows, x)


def _scale_at(y, idx, x):
    for i in idx:
        y[i] *= x[i]


def index_list(y, x):
    idx = []
    for i in range(0, x.shape[0], 2):
        idx.append(i)  # noqa: PERF402 (a list built by appends, as kernels build them)
    _scale_at(y, idx, x)


@pytest.mark.parametrize("f, extra", [(pairs_built, ()), (weights_from_const, (Const,)), (rows_of_const, (Const,))])
def test_a_list_of_constants_read_by_a_helper(f, extra):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(4)
    args = [Duplicated(x, np.zeros(4))]
    if extra:
        args.append(Const(rng.standard_normal((2, 4)) if f is rows_of_const else rng.standard_normal(4)))
    check_everywhere(f, *args, out=(), tapes=("autograd", "jax", "torch"))


def test_a_list_of_ints_given_to_a_writing_helper():
    rng = np.random.default_rng(4)
    y, x = rng.standard_normal(5), rng.standard_normal(5)
    check_everywhere(index_list, Duplicated(y, np.zeros(5)), Duplicated(x, np.zeros(5)), out="y",
                     tapes=("autograd", "jax", "torch"))


def _push(L, v):
    L.append(v)


def pushed_by_helper(x):
    L = []
    L.append(1)
    _push(L, x[0] * 2.0)
    return x[1] * L[-1]


def stored_by_helper(x):
    L = []
    L.append(0.0)
    _put(L, x)
    return x[1] * L[0]


def _put(L, x):
    L[0] = np.sin(x[0])


@pytest.mark.parametrize("f", [pushed_by_helper, stored_by_helper])
def test_a_helper_appending_derivatives_to_a_list_is_refused_at_the_call(f):
    x = np.array([0.3, 0.7, 1.1])
    line = {pushed_by_helper: "_push(L, x[0] * 2.0)", stored_by_helper: "_put(L, x)"}[f]
    for run in (lambda: autodiff(Reverse, f, ad.Active, Duplicated(x.copy(), np.zeros(3))),
                lambda: autodiff(Forward, f, Duplicated, Duplicated(x.copy(), np.ones(3))),
                lambda: ad.gradient(f, x.copy())):
        with pytest.raises(AdCompilerError, match="list") as e:
            run()
        assert e.value.construct.strip() == line and e.value.filename == __file__


def pushed_constant_by_helper(x):
    L = []
    L.append(1)
    _push(L, 2.5)
    return x[1] * L[-1]


def test_a_helper_appending_a_constant_is_differentiated():
    check_everywhere(pushed_constant_by_helper, Duplicated(np.array([0.3, 0.7, 1.1]), np.zeros(3)), out=(),
                     tapes=("autograd", "jax", "torch"))


# -- helpers writing into the arrays a list or tuple holds ---------------------------------------
# (the container is passed without shadows: these were silently wrong, a gradient of 0 or twice the
# right one, in every mode and on every tape)

def _store_item(arrs, x):
    arrs[1][:] = arrs[0] * x


def _store_item_outer(arrs, x):
    _store_item(arrs, x)


def list_items_stored_two_levels(x):
    p = x * 1.0
    q = np.zeros_like(x)
    arrs = [p, q]
    _store_item_outer(arrs, x)
    return np.sum(q)


# (a list or tuple written out, given to a helper writing its arrays, is given item by item now:
# tests/test_containers_to_helpers.py differentiates such calls everywhere)
@pytest.mark.parametrize("f, line", [(list_items_stored_two_levels, "_store_item_outer(arrs, x)")])
def test_a_helper_writing_into_the_arrays_of_a_container_is_refused_at_the_call(f, line):
    args = [np.array([0.3, -0.7, 1.1])]
    runs = [lambda: autodiff(Reverse, f, ad.Active, *[Duplicated(a.copy(), np.zeros(3)) for a in args]),
            lambda: autodiff(Forward, f, Duplicated, *[Duplicated(a.copy(), np.ones(3)) for a in args]),
            lambda: ad.gradient(f, *[a.copy() for a in args]),
            lambda: ad.hvp(f, tuple(a.copy() for a in args), tuple(np.ones(3) for _ in args)),
            lambda: autodiff(Reverse, f, ad.Active, *[Duplicated(a.copy(), np.zeros(3)) for a in args],
                             backend="numba")]
    for run in runs:
        with pytest.raises(AdCompilerError, match="writes into the arrays") as e:
            run()
        assert e.value.construct.strip() == line and e.value.filename == __file__


def _scale_buffers(bufs, s):
    for b in bufs:
        b *= s


def constant_buffers_scaled(x):
    # (arrays that carry no derivative, written by a helper through a list: differentiated)
    b0 = np.ones(3)
    b1 = np.full(3, 2.0)
    bufs = [b0, b1]
    _scale_buffers(bufs, 0.5)
    return np.sum(x * b0 + x ** 2 * b1)


def test_a_helper_writing_constant_arrays_of_a_container_is_differentiated():
    check_everywhere(constant_buffers_scaled, Duplicated(np.array([0.3, -0.7, 1.1]), np.zeros(3)), out=(),
                     tapes=("autograd", "jax", "torch"))


def _triples_sum(x, tr):
    s = 0.0
    for i, j, w in tr:
        s += w * x[i] * x[j]
    return s


def triples_built(x):
    tr = []
    for i in range(x.shape[0]):
        for j in range(i, x.shape[0]):
            tr.append((i, j, 1.0 / (1 + i + j)))
    return _triples_sum(x, tr)


def test_second_order_through_a_list_of_constants_given_to_a_helper():
    # (the code differentiated again passes the list to the helper's halves: it holds the triples there too)
    x = np.linspace(0.1, 0.5, 4)
    W = np.array([[1.0 / (1 + i + j) if j >= i else 0.0 for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(ad.hessian(triples_built, x), W + W.T, rtol=1e-12)
    v = np.array([0.3, -1.0, 0.5, 2.0])
    np.testing.assert_allclose(ad.hvp(triples_built, (x,), (v,))[0], (W + W.T) @ v, rtol=1e-12)


def _same(st):
    return st


def _first_of(st):
    return st[0]


def returned_container_written(x):
    a = np.zeros(3)
    b = np.zeros(3)
    st = _same((a, b))
    st[1][:] = x * 2.0
    return np.sum(b * x)


# (tuples of pairs written by a helper, and an item or view a helper returns written by the caller, are
# differentiated now, the tuples given item by item: tests/test_containers_to_helpers.py)
@pytest.mark.parametrize("f, line, what", [
    (returned_container_written, "st = _same((a, b))", "writes through the result")])
def test_containers_of_containers_and_returned_containers_written_are_refused(f, line, what):
    # (a helper's returned container was copied when written: the write never reached the arrays, a
    # wrong primal and a gradient of 0)
    x = np.array([0.3, -0.7, 1.1])
    for run in (lambda: autodiff(Reverse, f, ad.Active, Duplicated(x.copy(), np.zeros(3))),
                lambda: autodiff(Forward, f, Duplicated, Duplicated(x.copy(), np.ones(3))),
                lambda: ad.gradient(f, x.copy())):
        with pytest.raises(AdCompilerError, match=what) as e:
            run()
        assert e.value.construct.strip() == line and e.value.filename == __file__


def returned_item_read(x, W1, W2):
    W = _first_of((W1, W2))
    return np.sum(np.tanh(W @ x))


def test_a_returned_item_of_a_container_of_constants_only_read():
    rng = np.random.default_rng(5)
    check_everywhere(returned_item_read, Duplicated(rng.standard_normal(3), np.zeros(3)),
                     Const(rng.standard_normal((2, 3))), Const(rng.standard_normal((2, 3))), out=(),
                     tapes=("autograd", "jax", "torch"))
