"""Loops over lists and tuples written out (``frontend/unroll``): the layers of a network as a
list of arrays of different shapes, of ``(W, b)`` tuples, zipped lists, ``enumerate``, and
``range(len(L))`` with ``L[k]``. Each was refused (a list whose items carry derivatives is read
from its items stacked, which arrays of different shapes cannot be; a tuple read by a variable
index); unrolled, each copy of the body reads its item by a constant index.

Every case runs through every entry point against central differences, under numba, and
second order against differences of the gradient.
"""
import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import Duplicated


def list_of_arrays(x, W1, W2):
    Ws = [W1, W2]
    h = x
    for W in Ws:
        h = np.tanh(W @ h)
    return np.sum(h ** 2)


def list_of_layer_tuples(x, W1, b1, W2, b2):
    layers = [(W1, b1), (W2, b2)]
    h = x
    for W, b in layers:
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def zipped_lists(x, W1, b1, W2, b2):
    Ws = [W1, W2]
    bs = [b1, b2]
    h = x
    for W, b in zip(Ws, bs):
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def enumerated(x, W1, b1, W2, b2):
    Ws = [W1, W2]
    h = x
    for k, W in enumerate(Ws, 1):
        h = np.tanh(W @ h) * (1.0 / k)
    return np.sum(h ** 2) + np.sum(b1) * np.sum(b2)


def enumerated_zip(x, W1, b1, W2, b2):
    Ws = [W1, W2]
    bs = [b1, b2]
    h = x
    for k, (W, b) in enumerate(zip(Ws, bs)):
        h = np.tanh(W @ h + b) * (k + 1.0)
    return np.sum(h ** 2)


def indexed_by_range(x, W1, b1, W2, b2):
    layers = [(W1, b1), (W2, b2)]
    h = x
    for k in range(len(layers)):
        W, b = layers[k]
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2) + k


def inline_tuple_of_pairs(x, W1, b1, W2, b2):
    h = x
    for W, b in ((W1, b1), (W2, b2)):
        h = np.tanh(W @ h + b)
    return np.sum(h ** 2)


def items_evaluated_first(x, W1, b1, W2, b2):
    # (the display is built before the loop, as in Python: the body rebinding h does not change its items)
    h = x * 1.0
    g = np.tanh(W1 @ h + b1)
    for v in [h, g]:
        h = np.sin(v[:2]) + b2
    return np.sum(h ** 2) + np.sum(W2)


def _args(rng):
    return [rng.standard_normal(3), rng.standard_normal((4, 3)), rng.standard_normal(4),
            rng.standard_normal((2, 4)), rng.standard_normal(2)]


CASES = [list_of_layer_tuples, zipped_lists, enumerated, indexed_by_range, enumerated_zip, inline_tuple_of_pairs,
         items_evaluated_first]


@pytest.mark.parametrize("f", [list_of_arrays] + CASES, ids=lambda f: f.__name__)
def test_layers_everywhere(f):
    vals = _args(np.random.default_rng(8))
    if f is list_of_arrays:
        vals = [vals[0], vals[1], vals[3]]
    args = [Duplicated(v, np.zeros_like(v)) for v in vals]
    check_everywhere(f, *args, out=(), tapes=("autograd", "jax", "torch"))
    check_numba_gradient(f, *args)


@pytest.mark.parametrize("f", CASES[:5], ids=lambda f: f.__name__)
def test_layers_second_order(f):
    vals = _args(np.random.default_rng(9))
    v = np.random.default_rng(10).standard_normal(3)
    W1, b1, W2, b2 = vals[1:]

    def of_x(x):
        return f(x, W1, b1, W2, b2)
    got = ad.hvp(of_x, (vals[0],), (v,))[0]
    h = 1e-5
    g = [ad.gradient(of_x, vals[0] + s * h * v)[0] for s in (1, -1)]
    np.testing.assert_allclose(got, (g[0] - g[1]) / (2 * h), rtol=1e-6, atol=1e-8)


def with_break(x, W1, W2):
    # (a loop left by break stays a loop: a list of arrays of one shape, read from its items stacked)
    Ws = [W1, W2]
    h = x
    for W in Ws:
        h = np.tanh(W @ h)
        if np.sum(h) > 100.0:
            break
    return np.sum(h ** 2)


def test_a_loop_with_break_stays_a_loop():
    rng = np.random.default_rng(11)
    args = [Duplicated(rng.standard_normal(3), np.zeros(3)), Duplicated(rng.standard_normal((3, 3)), np.zeros((3, 3))),
            Duplicated(rng.standard_normal((3, 3)), np.zeros((3, 3)))]
    check_everywhere(with_break, *args, out=(), tapes=("autograd",))


def display_with_continue(x, a, b):
    t = 0.0
    for v in [a, b]:
        if v[0] < -10.0:
            continue
        t += np.sum(v * x) ** 2
    return t


def tuple_display_with_continue(x, a, b):
    t = 0.0
    for v in (a, b * 2.0):
        if v[0] > 0.2:
            continue
        t += np.sum(v * x) ** 2
    return t


@pytest.mark.parametrize("f", [display_with_continue, tuple_display_with_continue], ids=lambda f: f.__name__)
def test_a_loop_over_a_display_that_stays_a_loop_reads_a_list_of_it(f):
    # (written out in the header, such a loop was refused: a tuple indexed with a variable; as the loop
    # over a named list it is, its items are read from their stacked array)
    rng = np.random.default_rng(12)
    for x0 in (rng.standard_normal(3), np.array([0.5, -0.3, 0.1])):
        args = [Duplicated(x0.copy(), np.zeros(3))] + [Duplicated(rng.standard_normal(3), np.zeros(3)) for _ in range(2)]
        check_everywhere(f, *args, out=(), tapes=("autograd", "jax", "torch"))
    with pytest.raises(ad.AdCompilerError, match="no numba version"):
        ad.gradient(f, *[rng.standard_normal(3) for _ in range(3)], backend="numba")


def zipped_with_a_range(x, a, b):
    t = 0.0
    for i, v in zip(range(2), [a, b]):
        t += v[i] * x[i] ** 2
    return t


def zipped_with_a_range_from_one(x, W1, W2):
    h = x
    for k, W in zip(range(1, 3), (W1, W2)):
        h = np.tanh(W @ h) * k
    return np.sum(h ** 2)


@pytest.mark.parametrize("f, shapes", [(zipped_with_a_range, [(3,), (3,), (3,)]),
                                       (zipped_with_a_range_from_one, [(3,), (4, 3), (2, 4)])],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_a_range_of_constants_zipped_with_a_display_is_unrolled(f, shapes):
    # (a call in zip's arguments kept the loop a loop: refused as a tuple indexed with a variable; layers of
    # two shapes could not be stacked either)
    rng = np.random.default_rng(13)
    args = [Duplicated(rng.standard_normal(s), np.zeros(s)) for s in shapes]
    check_everywhere(f, *args, out=(), tapes=("autograd", "jax", "torch"))
    check_numba_gradient(f, *args)


def weights_zipped_with_stages(y, k1, k2, h):
    acc = y * 1.0
    for c, k in zip((0.5, 0.25), (k1, k2)):
        acc += h * c * np.sin(k)
    return np.sum(acc ** 2)


def test_numbers_zipped_with_a_display_are_unrolled():
    # (a tuple of numbers among zip's arguments kept the loop a loop: refused as a tuple indexed with a variable)
    rng = np.random.default_rng(14)
    args = [Duplicated(rng.standard_normal(3), np.zeros(3)) for _ in range(3)] + [ad.Active(0.1)]
    check_everywhere(weights_zipped_with_stages, *args, out=(), tapes=("autograd", "jax", "torch"))
    check_numba_gradient(weights_zipped_with_stages, *args)
