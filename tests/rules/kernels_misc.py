"""Kernels for the convention, extension and indexing tests (module level, so
``inspect.getsource`` works)."""
import math

import numpy as np

IDX = np.array([0, 0, 2])


def abs_k(x):
    return np.sum(np.abs(x))


def max_k(x):
    return np.max(x)


def max_axis_k(x):
    return np.sum(np.max(x, axis=1))


def maximum_k(x, y):
    return np.sum(np.maximum(x, y))


def sqrt_k(x):
    return np.sum(np.sqrt(x))


def clip_k(x):
    return np.sum(np.clip(x, -1.0, 1.0))


def norm_k(x):
    return np.linalg.norm(x)


def inc_k(x, v, w):
    x[IDX] += v
    return np.sum(x * w)


def add_at_k(x, v, w):
    np.add.at(x, IDX, v)
    return np.sum(x * w)


def softplus(x):
    return np.log1p(np.exp(x))


def user_rule_k(x, w):
    y = softplus(x) * 2.0
    return np.sum(y * w)


def missing_rule_k(x):
    y = np.diff(np.asarray_chkfinite(x))
    return np.sum(y * y)


def doubled(x):
    return x * 2.0


def row_sums(A):
    return np.sum(A, axis=1)


def split_product(a, b):
    return a * b


def doubled_k(x):
    return np.sum(doubled(x) ** 2)


def row_sums_k(A):
    return np.sum(row_sums(A) ** 2)


def split_product_steps(x, y):
    for t in range(3):
        x[:] = split_product(x, y) + 0.1   # x is written after each call
    return np.sum(x ** 3)


def user_ediff1d_k(x):
    return np.sum(np.ediff1d(x))


def nanmax_masked_k(x):
    m = np.nanmax(x, axis=1)
    return np.sum(np.where(np.isnan(m), 0.0, m) ** 2)


def nan_total_max_k(x):
    m = np.max(x)
    return m if not math.isnan(m) else 0.0


def small_network(x, W, V, y):
    """A tanh layer, a linear one and a log-sum-exp loss: max with keepdims, 2-D products,
    a negated accumulation into the max's shadow."""
    h = np.tanh(x @ W)
    z = h @ V
    m = np.max(z, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1))
    return np.sum(lse - np.sum(z * y, axis=1)) / x.shape[0]
