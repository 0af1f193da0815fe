"""Statements with several stores whose values are views of memory an earlier
store of the same statement writes (for tests/test_stores.py). numpy's views
see that store: ``x[:], y[:] = y, x`` leaves both equal to the old ``y``."""
import numpy as np


def swap_args(x, y):
    x[:], y[:] = y, x


def swap_rows(A):
    A[0], A[1] = A[1], A[0]
    A *= A


def rotate_rows(A):
    A[0, :], A[1, :], A[2, :] = A[1, :] * 1.0, A[2, :], A[0, :]
    A *= A


def mixed_targets(A, x):
    x[:], A[0, :] = A[0, :], x * 3.0
    A *= A


def chained_reversed(x, y):
    x[:] = y[:] = x[::-1]
    x *= np.arange(1.0, x.shape[0] + 1)


def bubble_rows(A):
    n = A.shape[0]
    for k in range(n - 1):
        A[k], A[k + 1] = A[k + 1], A[k]
    A *= A


def zip_swap(A):
    for a, b in zip(A[:2], A[2:]):
        a[:], b[:] = b, a
    A *= A


def store_and_name(A, x):
    A[0, :], x = x, A[0, :]
    x *= 3.0
    A *= A
