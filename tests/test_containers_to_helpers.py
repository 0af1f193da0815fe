"""Lists and tuples written out, passed to helpers (``frontend/specialise.py``).

``_forward(x, [(W1, b1), (W2, b2)])``: the derivatives of a list's items were
not followed through a call, and such a call was refused. Each call now calls
a copy of the helper taking the items as arguments of their own, so every
mode follows them: layers of different shapes, a tuple state given to a step
function in a loop, stages kept in a named list read by a variable index,
helpers that write into the arrays the list holds. Checked against reverse
mode's finite differences, forward/reverse dot products, split halves with
fresh shadows, the emitted module, vector mode, differentiate on the three
tapes, numba and second order. Lists the caller or a helper changes (append,
a store into the list) are left as they were: refused at their line.
"""
import numpy as np
import pytest
from everywhere import annotated, check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import AdCompilerError

R = np.random.default_rng(5)


def _r(*shape):
    return R.standard_normal(shape)


def _forward(x, layers):
    for W, b in layers:
        x = np.tanh(x @ W + b)
    return x


def layers_in_a_list(x, W1, b1, W2, b2):
    out = _forward(x, [(W1, b1), (W2, b2)])
    return np.sum(out ** 2)


def _total(arrs):
    s = 0.0
    for a in arrs:
        s = s + np.sum(a * a)
    return s


def list_and_tuple_of_arrays(a, b, c):
    return _total([a, b, c]) + _total((a, c * b[:2]))


def _stage(y, ks, i):
    return y + 0.5 * ks[i - 1]


def stages_in_a_named_list(y):
    ks = [y * 1.0, np.sin(y)]
    z = _stage(y, ks, 1) + _stage(y, ks, 2)
    return np.sum(z * z)


def _step(state, dt):
    u, v = state
    return u + dt * v, v - dt * np.sin(u)


def tuple_state_stepped(u, v):
    for _ in range(3):
        u, v = _step((u, v), 0.1)
    return np.sum(u * v)


def _weighted(x, ws=None, k=1.0):
    s = 0.0
    for w in ws:
        s += np.dot(w, x)
    return k * s


def parameter_with_a_default(x, w1, w2):
    return _weighted(x, [w1, w2 * x]) + _weighted(x, ws=(w2,), k=0.5)


def _inner(ps, x):
    return np.sum(ps[0] * x) + np.sum(ps[-1] * x * x)


def _outer(ps, x):
    return _inner(ps, x) * 2.0


def passed_on_to_another_helper(x, p, q):
    return _outer((p, q), x)


def named_list_iterated_and_passed(x, W1, W2):
    Ws = [W1, W2]
    h = x
    for W in Ws:
        h = np.tanh(W @ h)
    return _total(Ws) + np.sum(h)


def _scale_each(layers, s):
    for W in layers:
        W *= s


def list_of_arguments_scaled(w):
    layers = [w]
    _scale_each(layers, 0.5)
    return np.sum(w * w)


def tuple_of_arguments_scaled(w, u):
    _scale_each((w, u), 0.5)
    return np.sum(w * u)


def _write_state(st, x):
    a, b = st
    b[:] = a + x


def tuple_state_written(x):
    a = np.zeros(3)
    b = np.zeros(3)
    st = (a, b)
    _write_state(st, x)
    return np.sum(b * b)


def _pairs_written(pairs, x):
    for a, b in pairs:
        b[:] = a * x


def tuple_of_pairs_written(x):
    a = x * 1.0
    b = np.zeros(3)
    _pairs_written(((a, b),), x)
    return np.sum(b)


def list_of_pairs_written(x):
    a = x * 1.0
    b = np.zeros(3)
    _pairs_written([(a, b)], x)
    return np.sum(b)


def _first_of(st):
    return st[0]


def _head_of(st):
    return st[0][0:2]


def returned_item_written(x):
    a = np.zeros(3)
    b = np.zeros(3)
    c = _first_of((a, b))
    c[:] = np.sin(x)
    return np.sum(a * x)


def returned_view_written(x):
    a = np.zeros(3)
    v = _head_of((a,))
    v[:] = x[:2] ** 2
    return np.sum(a)


CASES = [(layers_in_a_list, [_r(3, 4), _r(4, 5), _r(5), _r(5, 2), _r(2)], True),
         (list_and_tuple_of_arrays, [_r(3), _r(4), _r(2)], True),
         (stages_in_a_named_list, [_r(3)], False),   # (numba: a list read by a variable index)
         (tuple_state_stepped, [_r(3), _r(3)], False),   # (numba: a tuple returned in a loop)
         (parameter_with_a_default, [_r(3), _r(3), _r(3)], True),
         (passed_on_to_another_helper, [_r(3), _r(3), _r(3)], True),
         (named_list_iterated_and_passed, [_r(3), _r(3, 3), _r(3, 3)], True),
         (list_of_arguments_scaled, [_r(3)], True),
         (tuple_of_arguments_scaled, [_r(3), _r(3)], True),
         (tuple_state_written, [_r(3)], True),
         (tuple_of_pairs_written, [_r(3)], True),
         (list_of_pairs_written, [_r(3)], True),
         (returned_item_written, [_r(3)], False),   # (numba: the shadow of a returned view between halves)
         (returned_view_written, [_r(3)], False)]


@pytest.mark.parametrize("f, args, numba", CASES, ids=[c[0].__name__ for c in CASES])
def test_a_helper_given_a_list_written_out_is_differentiated_everywhere(f, args, numba):
    writes = f in (list_of_arguments_scaled, tuple_of_arguments_scaled)   # (bare differentiate: no writes)
    check_everywhere(f, *annotated(args), out=None if writes else (), tapes=("autograd", "jax", "torch"))
    if numba:
        check_numba_gradient(f, *annotated(args))
    else:
        with pytest.raises(AdCompilerError):
            ad.gradient(f, *[a.copy() for a in args], backend="numba")


@pytest.mark.parametrize("f, args", [(layers_in_a_list, [_r(2, 3), _r(3, 3), _r(3), _r(3, 2), _r(2)]),
                                     (tuple_state_stepped, [_r(3), _r(3)]),
                                     (stages_in_a_named_list, [_r(3)]),
                                     (tuple_of_arguments_scaled, [_r(3), _r(3)])])
def test_second_order_through_a_list_written_out(f, args):
    """hvp against central differences of the gradient along the direction."""
    v = [_r(*a.shape) for a in args]
    got = ad.hvp(f, tuple(a.copy() for a in args), tuple(v))
    got = got if isinstance(got, tuple) else (got,)
    h = 1e-5
    plus = ad.gradient(f, *[a + h * d for a, d in zip(args, v)])
    minus = ad.gradient(f, *[a - h * d for a, d in zip(args, v)])
    plus, minus = (plus, minus) if isinstance(plus, tuple) else ((plus,), (minus,))
    for g, p, m in zip(got, plus, minus):
        np.testing.assert_allclose(g, (p - m) / (2 * h), rtol=1e-5, atol=1e-7)


# -- lists that are changed are not specialised: refused at their line as before ----------------

def mutated_by_the_caller(a, b, c):
    L = [a, b]
    L.append(c * 2.0)
    return _total(L)


def _push(P, x):
    P.append(x * 3.0)


def appended_by_a_helper(a, b):
    L = [a, b]
    _push(L, a)
    return _total(L)


def _set_first(P, x):
    P[0] = x * 2.0


def stored_into_by_a_helper(a, b):
    L = [a, b]
    _set_first(L, b)
    return np.sum(L[0] * L[1])


def item_rebound_after_the_list(a, b):
    L = [a, b]
    a = a * 3.0
    return _total(L) + np.sum(a)


@pytest.mark.parametrize("f, line", [(mutated_by_the_caller, "return _total(L)"),
                                     (appended_by_a_helper, "_push(L, a)"),
                                     (stored_into_by_a_helper, "_set_first(L, b)"),
                                     (item_rebound_after_the_list, "return _total(L) + np.sum(a)")])
def test_a_list_that_is_changed_or_outlived_is_refused_at_its_line(f, line):
    args = [_r(3) for _ in range(f.__code__.co_argcount)]
    with pytest.raises(AdCompilerError, match="differentiated only as a stack") as e:
        ad.gradient(f, *args)
    assert e.value.construct.strip() == line and e.value.filename == __file__


def _first(P):
    return P[0]


def item_returned_then_written(a, b):
    x = _first((a, b))
    x[0] = 5.0
    return np.sum(a * b)


def test_an_item_a_helper_returns_is_the_callers_array():
    check_everywhere(item_returned_then_written, *annotated([_r(3), _r(3)]))
    a, b = _r(3), _r(3)
    ga, gb = ad.gradient(item_returned_then_written, a.copy(), b.copy())
    np.testing.assert_allclose(ga, np.r_[0.0, b[1:]])
    np.testing.assert_allclose(gb, np.r_[5.0, a[1:]])

