"""``np.maximum.accumulate`` and ``np.minimum.accumulate`` (a running peak, a
drawdown) and ``np.partition`` (the k smallest) through every entry point
against finite differences; at a tie the running extremes split the
derivative as ``np.maximum``'s rule splits it."""
from __future__ import annotations

import numpy as np
from everywhere import check_everywhere

from adcompiler import Duplicated, gradient


def _d(x):
    return Duplicated(x, np.zeros_like(x))


def drawdown(prices, out):
    peak = np.maximum.accumulate(prices)
    out[:] = (peak - prices) / peak


def running_extremes(X):
    hi = np.maximum.accumulate(X, axis=1)
    lo = np.minimum.accumulate(X[::-1] * 2.0)
    return np.sum(hi ** 2 * np.arange(4.0)) + np.sum(lo * X)


def test_drawdown():
    prices = np.array([1.0, 1.3, 1.1, 1.6, 1.2, 0.9, 1.7])
    check_everywhere(drawdown, _d(prices), _d(np.zeros(7)), out="out", tapes=("autograd", "torch", "jax"))


def test_running_extremes_along_axes():
    check_everywhere(running_extremes, _d(np.sin(np.arange(12.0) * 1.7).reshape(3, 4)))


def peak_total(x):
    return np.sum(np.maximum.accumulate(x))


def test_ties_split_as_maximum_splits():
    # peaks 1, 1, 1: the second element ties the first, so each later peak passes half to each
    (g,) = gradient(peak_total, np.array([1.0, 1.0, 0.5]))
    np.testing.assert_allclose(g, [1.0 + 0.5 + 0.5, 0.5 + 0.5, 0.0])


def smallest_three(X):
    rows = np.partition(X, 2, axis=1)[:, :3]
    flat = np.partition(X, (1, 4), axis=None)
    return np.sum(rows ** 2 * np.array([1.0, 2.0, 3.0])) + np.sum(flat[:5] * flat[-3:].sum()) \
        + np.sum(np.partition(X, 1, axis=0)[0] ** 3)


def test_partition():
    X = np.array([[0.3, -1.2, 0.8, 2.2, -0.1], [1.7, 0.4, -0.7, 0.05, 1.1], [0.9, -2.0, 0.6, 1.4, -0.5]])
    check_everywhere(smallest_three, _d(X))


def test_partition_ties():
    """Each element gets the weight of the place it went to (its value found there), ties once each."""
    x = np.array([0.5, 0.2, 0.5, 0.2, 0.9, -0.3])
    (g,) = gradient(weighted_partition, x)
    np.testing.assert_array_equal(np.sort(g), np.arange(1.0, 7.0))
    ans = np.partition(x, 2)
    for i in range(6):
        assert ans[int(g[i]) - 1] == x[i]


def weighted_partition(x):
    return np.sum(np.partition(x, 2) * np.arange(1.0, 7.0))
