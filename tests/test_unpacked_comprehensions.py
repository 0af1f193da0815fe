"""A list comprehension (or generator) unpacked into names, ``ig, fg, og =
[sigmoid(g[k * H:(k + 1) * H]) for k in range(3)]`` (an LSTM cell's gates), was
refused: the list's elements had no known kind. Over a range of constants or
a display it is the tuple of its elements (``frontend/contexts.py``), built
whole before it is unpacked, as the list is. Every entry point against finite
differences; numba against numpy."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Active, Duplicated, gradient


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_cell(W, x, h, c):
    H = h.shape[0]
    g = W @ np.concatenate([x, h])
    ig, fg, og = [sigmoid(g[k * H:(k + 1) * H]) for k in range(3)]
    cand = np.tanh(g[3 * H:])
    c2 = fg * c + ig * cand
    h2 = og * np.tanh(c2)
    return np.sum(h2 ** 2) + np.sum(c2)


def interleaved(z):
    a, b = (np.tanh(z[k::2]) for k in range(2))
    return np.sum(a * b)


def over_names(x, w1, w2):
    p, q = [w * x for w in (w1, w2)]
    return np.sum(p * q)


def counted_down(x):
    a, b, c = [x[k] * x[k - 1] for k in range(4, 1, -1)]
    return a + 2.0 * b + 3.0 * c


def reads_its_targets(x, y):
    """The elements read ``y`` as it was: the tuple is built before ``y`` is bound again."""
    y, z = [y * (k + 2.0) + x for k in range(2)]
    return np.sum(y * z)


R = np.random.default_rng(4)
H, X = 3, 2
CASES = [(lstm_cell, (R.random((4 * H, X + H)), R.random(X), R.random(H), R.random(H))),
         (interleaved, (R.random(6),)), (counted_down, (R.random(5),)), (over_names, (R.random(4), R.random(4), R.random(4))),
         (reads_its_targets, (R.random(3), R.random(3)))]


@pytest.mark.parametrize("f,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_unpacked_comprehension_everywhere(f, args):
    ann = [Duplicated(a.copy(), np.zeros_like(a)) for a in args]
    check_everywhere(f, *ann, ret=Active, tapes=("autograd", "jax", "torch"))
    check_numba_gradient(f, *ann)


def test_targets_read_before_they_are_bound():
    x, y = R.random(3), R.random(3)
    gx, gy = gradient(reads_its_targets, x, y)
    # f = sum((2y + x) * (3y + x))
    np.testing.assert_allclose(gx, (3 * y + x) + (2 * y + x), rtol=1e-12)
    np.testing.assert_allclose(gy, 2 * (3 * y + x) + 3 * (2 * y + x), rtol=1e-12)
