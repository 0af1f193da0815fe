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
         (tuple_state_stepped, [_r(3), _r(3)], True),   # (numba: a tuple of arrays returned in a loop, numba_tuples)
         (parameter_with_a_default, [_r(3), _r(3), _r(3)], True),
         (passed_on_to_another_helper, [_r(3), _r(3), _r(3)], True),
         (named_list_iterated_and_passed, [_r(3), _r(3, 3), _r(3, 3)], True),
         (list_of_arguments_scaled, [_r(3)], True),
         (tuple_of_arguments_scaled, [_r(3), _r(3)], True),
         (tuple_state_written, [_r(3)], True),
         (tuple_of_pairs_written, [_r(3)], True),
         (list_of_pairs_written, [_r(3)], True),
         (returned_item_written, [_r(3)], True),   # (numba: the helper returns its argument, _ad_alias_of)
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



# -- found by a search of this change: an item of a list returned, defaults, a helper rebound ----

def _tail(L):
    return L[1:]


def _pick(L, i):
    return L[i]


def _pick_from_own_list(p, q, i):
    L = [p, q]
    return L[i]


def _first_after_append(L, x):
    L.append(x)
    return L[0]


def item_slice_written(a, b):
    a2 = a * 1.0
    R = _tail([b, a2])
    R[0][:] = R[0] * 3.0
    return np.sum(a2 ** 2)


def item_by_variable_written(a):
    a2 = a * 1.0
    u = _pick([a2], 0)
    u[:] = u * 3.0
    return np.sum(a2 ** 2)


def item_of_own_list_written(a, b):
    a2 = a * 1.0
    u = _pick_from_own_list(a2, b, 0)
    u[:] = u * 3.0
    return np.sum(a2 ** 2)


def item_after_append_written(a, b):
    a2 = a * 1.0
    u = _first_after_append([a2], b)
    u[:] = u * 3.0
    return np.sum(a2 ** 2)


@pytest.mark.parametrize("f, line", [(item_slice_written, "return L[1:]"), (item_by_variable_written, "return L[i]"),
                                     (item_of_own_list_written, "return L[i]"),
                                     (item_after_append_written, "return L[0]")])
def test_an_item_or_slice_of_a_list_holding_arguments_returned_is_refused(f, line):
    # (the caller's write through it never reached its array: 2a for 18a, silently, in every mode; the
    # list built in the helper itself, _pick_from_own_list, was so before lists were given item by item)
    args = [_r(3) for _ in range(f.__code__.co_argcount)]
    runs = [lambda: ad.gradient(f, *[a.copy() for a in args]),
            lambda: ad.autodiff(ad.Forward, f, ad.Duplicated, *[ad.Duplicated(a.copy(), np.ones(3)) for a in args]),
            lambda: ad.hvp(f, tuple(a.copy() for a in args), tuple(np.ones(3) for _ in args))]
    for run in runs:
        with pytest.raises(AdCompilerError, match="returns an item|built from others .* is returned") as e:
            run()
        assert e.value.construct.strip() == line and e.value.filename == __file__


SCALE = 1.0


def _weighted_pair(x, ws, k=SCALE):
    return k * (np.sum(ws[0] * x) + np.sum(ws[1] * x))


SCALE = 3.0


def default_of_its_definition(x, a, b):
    return _weighted_pair(x, [a, b])


def _make_weighted(beta):
    def weighted(x, ws, k=beta):
        return k * np.sum(ws[0] * ws[1] * x)
    return weighted


_weighted_by_five = _make_weighted(5.0)


def default_from_a_factory(x, a, b):
    return _weighted_by_five(x, (a, b))


def test_the_copy_keeps_the_helpers_defaults():
    # (the copy evaluated its defaults again in the module: SCALE 3 where the helper holds 1, a NameError
    # for a factory's argument; and a default set later was not seen)
    x, a, b = np.array([1.0, 2.0, 3.0]), _r(3), _r(3)
    np.testing.assert_allclose(ad.gradient(default_of_its_definition, x, a, b)[1], x)
    np.testing.assert_allclose(ad.gradient(default_from_a_factory, x, a, b)[1], 5.0 * b * x)
    check_everywhere(default_from_a_factory, *annotated([x, a, b]), out=(), tapes=("autograd", "jax", "torch"))
    saved = _weighted_pair.__defaults__
    try:
        _weighted_pair.__defaults__ = (4.0,)
        np.testing.assert_allclose(ad.gradient(default_of_its_definition, x, a, b)[1], 4.0 * x)
    finally:
        _weighted_pair.__defaults__ = saved
    np.testing.assert_allclose(ad.gradient(default_of_its_definition, x, a, b)[1], x)


def _energy(ps):
    return np.sum(ps[0] ** 2) + np.sum(ps[1] ** 2)


def _energy_cubed(ps):
    return np.sum(ps[0] ** 3) + np.sum(ps[1] ** 3)


def total_energy(a, b):
    return _energy([a, b])


def test_a_helper_rebound_in_its_module_is_differentiated_anew():
    # (the caller's code, which calls the copy, was reused after `_energy` was rebound: 2a for 3a^2)
    global _energy
    a, b = np.array([1.0, 2.0, 3.0]), _r(3)
    np.testing.assert_allclose(ad.gradient(total_energy, a, b)[0], 2 * a)
    saved = _energy
    try:
        _energy = _energy_cubed
        np.testing.assert_allclose(ad.gradient(total_energy, a, b)[0], 3 * a ** 2)
    finally:
        _energy = saved
    np.testing.assert_allclose(ad.gradient(total_energy, a, b)[0], 2 * a)


def _relax_pair(rs, w):
    r0, r1 = rs
    r0[:] = r0 + w * r1


def rows_given_in_a_tuple(B):
    _relax_pair((B[0], B[1]), 0.3)
    B[2] *= B[0]


def test_rows_of_one_array_given_in_a_tuple_are_checked_apart_at_run_time():
    # (refused as two arguments that may share memory; given as arguments of their own they were checked
    # at run time: the helper's unpacked names are its parameters too, param_writes._aliases)
    B = _r(3, 3)
    check_everywhere(rows_given_in_a_tuple, *annotated([B]), out=("B",), tapes=("autograd", "jax", "torch"))
    with pytest.raises(AdCompilerError, match="share memory"):   # (the check, at run time: B[0] twice)
        ad.gradient(_rows_twice, B.copy())


def _rows_twice(B):
    _relax_pair((B[0], B[0]), 0.3)
    return np.sum(B ** 2)


def _step_state(state, dt):
    a, b = state
    b -= dt * np.sin(a)


def state_stepped_then_read(u, v, dt):
    _step_state((u, v), dt)
    return float(np.sum(v ** 2))


def test_the_transforms_see_the_arrays_a_helper_given_a_tuple_writes():
    # (grad(argnums=0) and gradient(wrt=) took `v` for an array only read, a constant: refused as a constant
    # receiving a derivative; tapes.effects._roots reads the items of a display)
    u, v = _r(2), _r(2)
    want = ad.gradient(state_stepped_then_read, u.copy(), v.copy(), 0.1)
    np.testing.assert_allclose(ad.grad(state_stepped_then_read, argnums=0)(u.copy(), v.copy(), 0.1), want[0])
    got = ad.gradient(state_stepped_then_read, u.copy(), v.copy(), 0.1, wrt=(0,))
    np.testing.assert_allclose(got[0], want[0])
    assert got[1] is None
    check_everywhere(state_stepped_then_read, *annotated([u, v, 0.1]), out=None)
