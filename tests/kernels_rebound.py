"""Kernels that rebind names the derivative reads, or take a view that numpy
returns as a copy: each gave a wrong gradient without an error."""
import math

import numpy as np


# -- an array rebound to a value computed from itself, then written in place
def square_then_scale(x):
    x = x * x
    x *= 2.0
    return x.sum()


def sine_then_scale(x):
    x = np.sin(x)
    x *= 2.0
    return x.sum()


def alias_rebound_argument_written(x):
    z = x
    z = z * z
    x *= 2.0
    return z.sum()


def alias_rebound_then_stored(x, y):
    z = y
    z = z * x
    y[:] = z


def power_iteration(A, x):
    for _ in range(3):
        x = A @ x
        x /= np.sqrt((x * x).sum())
    return x @ (A @ x)


def rows_normalised(X):
    X = X * X
    X /= X.sum(axis=1, keepdims=True)
    return float(np.sum(X[0] * X[1]))


def rebound_in_branch(x, y, c):
    if c > 0:
        x = x * x
    y[:] = x
    x[0] = 0.0
    return float(np.sum(x))


def rebound_in_while(x):
    k = 0
    while k < 3:
        x = np.sin(x) * x
        x[0] = 1.0
        k += 1
    return float(np.sum(x))


# -- a negative index: x[i - 1] at i = 0 is the last element, written later
def wrapping_recurrence(x):
    for i in range(3):
        x[i] *= x[i - 1]


def wrapping_by_two(x):
    for i in range(x.shape[0]):
        x[i] = x[i] * x[i - 2] + 1.0


# -- loop variables and bounds the body rebinds
def loop_variable_rebound(x):
    for i in range(3):
        i = 2 - i
        x[i] = x[i] * x[i]


def loop_variable_incremented(x):
    for i in range(3):
        i += 1
        x[i] = x[i] * x[i - 1]


def loop_bound_rebound(x):
    n = 3
    for i in range(n):
        n = n - 1
        x[n] *= 2.0


def inner_loop_reuses_variable(x):
    for i in range(2):
        for i in range(2):
            x[i + 1] *= x[i]
        x[i] += x[2]


# -- conversions that copy
def astype_copy_written(x):
    a = x.astype(np.float64)
    a *= 2.0
    return (x * x).sum() + (a * a).sum()


def astype_no_copy_written(x):
    a = x.astype(np.float64, copy=False)
    a *= 2.0
    return (x * x).sum() + (a * a).sum()


def reshape_view_written(A, y):
    r = A.reshape(-1)
    r *= 2.0
    y[:] = r


# -- refused: a view numpy returns as a copy, a scalar type of an array
def reshape_of_transpose_written(A, y):
    r = A.T.reshape(-1)
    r *= 2.0
    y[:] = r


def ravel_of_strided_written(A):
    r = A[:, ::2].ravel()
    r *= r
    return (A * A).sum() + r.sum()


def asarray_other_dtype_written(x):
    a = np.asarray(x, dtype=np.float32)
    a *= 2.0
    return (x * x).sum() + a.sum()


def float64_of_array_written(x):
    a = np.float64(x)
    a *= 2.0
    return (x * x).sum() + (a * a).sum()


# -- refused at the line: layouts the rules do not take
def flatten_fortran(A, w):
    r = A.flatten(order="F")
    return np.sum(r * w)


def ravel_fortran(A, w):
    r = np.ravel(A, order="F")
    return np.sum(r * w)


def ravel_written(A, x):
    r = A.ravel()
    r[:] = r * x
    return float(np.sum(A * A))


# -- once crashes
def columns_scaled(A, c):
    for col in A.T:
        col *= c
    return np.sum(A * A)


def take_of_a_list(A):
    B = np.take(A, [2, 0, 0], axis=1)
    return np.sum(B * B)


def complex_scalar_recurrence(z, c):
    s = 0.0 + 0.0j
    for i in range(z.shape[0]):
        s = s * c + z[i]
    return abs(s) ** 2


def axpy_(y, a, x):
    y += a * x


# -- helpers whose result carries no derivative: their writes were dropped
def _scale_count(x, a):
    x *= a
    return 1


def _scale_unused_float(x, a):
    x *= a
    return float(np.sum(x))


def _scale_pair(x, a):
    x *= a
    return x * 2.0, a


def result_an_int(x, a):
    n = _scale_count(x, a)
    return float(np.sum(x ** 2)) + 0.0 * n


def result_unused(x, a):
    _unused = _scale_unused_float(x, a)
    return float(np.sum(x ** 2))


def result_a_tuple_unused(x, a):
    _p, _q = _scale_pair(x, a)
    return float(np.sum(x ** 3))


def _sweep(x, b, w):
    res = 0.0
    for i in range(x.shape[0]):
        left = x[i - 1] if i > 0 else 0.0
        new = (1.0 - w) * x[i] + w * 0.5 * (b[i] + 0.3 * left)
        res = max(res, abs(new - x[i]))
        x[i] = new
    return res


def residual_in_a_test(b, w):
    x = np.zeros(b.shape[0])
    res = 1.0
    k = 0
    while res > 1e-10 and k < 60:
        res = _sweep(x, b, w)
        k += 1
    return float(np.sum(x * x))


def count_in_a_loop(x, a):
    s = 0.0
    for _ in range(3):
        n = _scale_count(x, a)
        s = s + float(np.sum(x)) * n
    return s


# -- floats made of integers, integers made of floats (the numba tape keeps ints and floats apart)
def root_of_the_step(x):
    for t in range(x.shape[0]):
        s = np.sqrt(t + 2) + math.sqrt(t + 1) + (t + 1) ** -1 + np.round(t / 3, 2)   # (round(v, 2): refused under numba)
        x[t] = x[t] * s
    return float(np.sum(x ** 2))


def floor_as_index(x, g):
    for p in range(x.shape[0]):
        j = math.floor(x[p])
        g[j] += x[p] * x[p]


# -- a module constant a helper reads
GAIN = 0.1


def _gained(x, y):
    for i in range(x.shape[0]):
        y[i] += GAIN * x[i] ** 2


def gained(x, y):
    _gained(x, y)


# -- a helper returning new memory on the path taken, its argument on another
def _normalised(x):
    x = x / np.sum(x)
    return x


def normalised_then_added(a):
    for _ in range(2):
        z = _normalised(a)
        a += z
    return float(np.sum(a ** 2))


def matvec_(y, A, x):
    for i in range(A.shape[0]):
        y[i] = 0.0
        for j in range(A.shape[1]):
            y[i] += A[i, j] * x[j]


# -- a module-level array also passed as an argument
TABLE = np.array([1.0, 2.0, 3.0])


def scaled_against_the_table(x):
    x *= 2.0
    return float(np.sum(x * TABLE))


# -- inputs written through aliases the wrapper's reading of the source missed
def rows_doubled_then_summed(X):
    for row in X:
        row *= 2.0
    return np.sum(X * X)


def reshaped_then_doubled(s, x):
    v = np.reshape(x, (-1,))
    v *= 2.0
    s[:] = x * x


# -- containers passed as Const
def doubled_against_a_dict(x, d):
    x *= 2.0
    return np.sum(d["x"] * x)


def dict_weights_doubled(x, d):
    w = d["w"]
    w *= 2.0
    return np.sum(w * x * x)


def loop_over_a_dict(x, d):
    s = 0.0
    for k in d:
        s += np.sum(x * x) * k
    return s


def matrix_product_by_star(X, M):
    return float(np.sum(M * X))


def contiguous_written(x):
    # np.ascontiguousarray of a contiguous array is the array itself: the write reaches x
    c = np.ascontiguousarray(x)
    c *= c
    return (x * x).sum() + np.sin(np.ascontiguousarray(x[::2])).sum()


def contiguous_of_strided_written(A):
    r = np.ascontiguousarray(A[:, ::2])
    r *= r
    return (A * A).sum() + r.sum()


def fortran_written(A):
    r = np.asfortranarray(A)
    r[0] *= 3.0
    return (A * A).sum() + np.sum(np.asfortranarray(A.T) ** 3)


def gram_row_(y, A):
    y[:] = (A.T @ A)[0]


def sorted_row_(y, A):
    y[:] = np.sort(A, axis=0)[0] * 2.0   # (np.sort's adjoint has no numba version: the numba backend refuses it)


def levinson_errors(ef, x):
    # (names whose shadows would be keywords: d + ef, d + el)
    el = x[0] * x[1]
    ef = ef * el
    return ef * el
