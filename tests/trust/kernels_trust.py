"""Small kernels for the catalogue of bad and unusual inputs (test_bad_inputs.py).

Each one is a plain module-level function so that its source can be read;
the odd ones (closures, decorated functions, generators...) are built here
too, so every test reads its kernel from this one file.
"""
from __future__ import annotations

import functools
import math

import numpy as np

SCALE = 3.0
GLOBAL_BUF = np.zeros(3)


def copy_scaled(s, a):
    """s = 2 a (overwrites s)."""
    s[:] = 2.0 * a


def fill_scaled(s, a):
    """s[...] = 2 a: also for 0-d arrays (``s[:]`` needs at least one dimension)."""
    s[...] = 2.0 * a


def axpy(y, a, x):
    """y += a x."""
    y[:] = y + a * x


def sumsq(x):
    """sum of squares: a float."""
    return np.sum(x * x)


def cube_sum(x):
    return np.sum(x ** 3)


def weighted(x, w):
    """sum(w * sin(x)); w may be Const."""
    return np.sum(w * np.sin(x))


def matvec(y, A, x):
    """y = A @ x (y overwritten)."""
    y[:] = A @ x


def rowsum_into(s, A):
    """s[i] = sum_j A[i, j]**2 with explicit loops."""
    for i in range(A.shape[0]):
        t = 0.0
        for j in range(A.shape[1]):
            t = t + A[i, j] * A[i, j]
        s[i] = t


def shift_add(x):
    """x[1:] += x[:-1] in place: reads and writes overlap."""
    x[1:] += x[:-1]


def scalar_poly(v):
    return v * v * v + math.sin(v)


def returns_array(x):
    return x * 2.0


def returns_int(x):
    return 3


def squared_scaled(x):
    """sum(SCALE * x**2): reads a module-level constant."""
    return np.sum(SCALE * x * x)


def writes_global(x):
    GLOBAL_BUF[:] = x
    return np.sum(x)


def recursive(x, n):
    if n > 0:
        recursive(x, n - 1)
    x[0] = x[0] * 2.0


def gen(x):
    yield np.sum(x)


async def coro(x):
    return np.sum(x)


def kwonly(x, *, scale):   # (a required keyword-only parameter: taken by position after x)
    return np.sum(scale * x)


def star_args(x, *rest):
    return np.sum(x)


def with_default(x, c=2.0):
    return np.sum(c * x * x)


def mean_log(x):
    return np.sum(np.log(x))


def sqrt_sum(x):
    return np.sum(np.sqrt(x))


def closure_reader(w):
    """A closure over the array ``w``: w is read as a constant."""
    def inner(x):
        return np.sum(w * x * x)
    return inner


def closure_writer(buf):
    """A closure that writes the array it closes over."""
    def inner(x):
        buf[:] = x
        return np.sum(x)
    return inner


def doubling(f):
    """A decorator that changes the function's value: the source of ``f`` is not what runs."""
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


@doubling
def doubled_sumsq(x):
    return np.sum(x * x)


def identity_decorator(f):
    return f


@identity_decorator
def plain_decorated(x):
    return np.sum(x * x)


@functools.wraps(sumsq)
def impostor(x):
    """Claims to be ``sumsq`` (wraps copies its name and sets __wrapped__) but computes a cube."""
    return np.sum(x ** 3)


class Model:
    def loss(self, x):
        return np.sum(x * x)

    @staticmethod
    def static_loss(x):
        return np.sum(x * x)


partial_x_bound = functools.partial(weighted, x=np.ones(3))    # (w then only by keyword: refused)
