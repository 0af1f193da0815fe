"""Kernels a user has already compiled with numba (``@njit``, ``prange``, an njit'd
helper): adcompiler differentiates the Python function each one compiles."""
import numba
import numpy as np


@numba.njit
def pair_energy(x):
    e = 0.0
    for i in range(x.shape[0]):
        for j in range(i + 1, x.shape[0]):
            r = x[i] - x[j]
            e += 1.0 / (1.0 + r * r)
    return e


@numba.njit(cache=False)
def _square_at(a, i):
    return a[i] * a[i]


@numba.njit(parallel=True)
def accumulate(y, x, c):
    for i in numba.prange(x.shape[0]):
        y[i] += c * _square_at(x, i) + np.sin(x[i])


@numba.njit
def recurrence(s, a, b):
    s[0] = b[0]
    for i in range(1, a.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]


@numba.vectorize
def vsquare(v):
    return v * v


def calls_a_vectorized_ufunc(y, x):
    y[:] = vsquare(x)


@numba.njit
def smooth_overlapping(x, w):
    x *= w
    x[1:] += x[:-1]   # (numba: a running sum; numpy: the old values added)


@numba.njit
def smooth_copied(x, w):
    x *= w
    x[1:] += x[:-1].copy()


@numba.njit
def running_by_elements(x, w):
    for i in range(1, x.shape[0]):
        x[i] += w * x[i - 1]


@numba.njit
def _sum_of_squares(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


def reads_through_a_jitted_helper(x):
    return 0.5 * _sum_of_squares(x)


@numba.cfunc("float64(float64)")
def _c_square(v):
    return v * v


def through_a_cfunc_pointer(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += _c_square.ctypes(x[i])
    return s
