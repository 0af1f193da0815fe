"""Kernels whose numpy calls repeat, pad or cycle values (for tests/test_values.py)."""
import numpy as np


def place_cycled(x, v):
    np.place(x, x > 0, v)
    return np.sum(x ** 2)


def putmask_cycled(x, v):
    np.putmask(x, x > 0, v)
    return np.sum(x ** 2)


def putmask_column(a, v):
    np.putmask(a, a > -10, v)   # v of shape (2, 1) cycles over a's flat positions, it is not broadcast
    return np.sum(a ** 2 * np.arange(1.0, 7.0).reshape(2, 3))


def put_cycled(x, v):
    np.put(x, [0, 1, 3], v)
    return np.sum(x ** 3)


def resized(x):
    y = np.resize(x, (2, 5))
    return np.sum(np.sin(y) * np.arange(10.0).reshape(2, 5))


def average_axes(A, w):
    return np.sum(np.average(A, axis=(0, 2), weights=w) ** 2)


def average_axes_reversed(A, w):
    return np.sum(np.average(A, axis=(2, 0), weights=w) ** 2)


def kron_ranks(a, B):
    return np.sum(np.sin(np.kron(a, B)))


def cross_two(a, b):
    return np.sum(np.cross(a, b) ** 2)


def svd_values(A):
    _u, s, Vt = np.linalg.svd(A)
    return np.sum(s ** 2) + np.sum(np.abs(Vt[:2]) ** 3)


def svd_first_columns(A):
    U, s, _vt = np.linalg.svd(A)
    return np.sum(U[:, :2] ** 3) + np.sum(s)


def svd_all_columns(A):
    U, s, _vt = np.linalg.svd(A)
    return np.sum(U ** 3) + np.sum(s)


def interp_period(x, fp):
    return np.sum(np.interp(x, np.array([0.0, 0.5, 1.0]), fp, period=2.0))
