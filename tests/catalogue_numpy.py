"""Catalogue part 2: broadcasting, reductions, linear algebra, elementwise
numpy, shape queries and allocations (see catalogue_base for the row format)."""
from __future__ import annotations

import numpy as np
from catalogue_base import J, P, U, add

# --- broadcasting ----------------------------------------------------------

def bcast_row(s, A, b):
    s[:] = A + b


add(bcast_row, lambda r: (U(r, 3, 4), U(r, 3, 4), U(r, 4)), "DDD", "DCD", "DDC")


def bcast_col(s, A, c):
    s[:] = A * c


add(bcast_col, lambda r: (U(r, 3, 4), U(r, 3, 4), U(r, 3, 1)), "DDD", "DDC", "DCD")


def bcast_inplace(A, b, c):
    A += b
    A *= c


add(bcast_inplace, lambda r: (U(r, 3, 4), U(r, 4), U(r, 3, 1)), "DDD", "DCD", "CDD")


def bcast_scalar_into_slice(x, a):
    x[:, 1] = np.sum(a)
    x[0, :] = a


add(bcast_scalar_into_slice, lambda r: (U(r, 3, 4), U(r, 4)), "DD")


# --- reductions --------------------------------------------------------------

def reduce_sum_mean(s0, s1, A):
    s0[:] = np.sum(A, axis=0) * 2.0
    s1[:] = np.mean(A, axis=1)


add(reduce_sum_mean, lambda r: (U(r, 4), U(r, 3), U(r, 3, 4)), "DDD", "DCD")


def reduce_keepdims(B, A):
    B[:] = A - np.mean(A, axis=1, keepdims=True) + np.sum(A, axis=0, keepdims=True) * A


add(reduce_keepdims, lambda r: (U(r, 3, 4), U(r, 3, 4)), "DD", "CD")


def reduce_max_min(s0, s1, A):
    s0[:] = np.max(A, axis=1)
    s1[:] = np.min(A, axis=0) * np.max(A, axis=0, keepdims=True)[0]
    return float(np.max(A) - np.min(A, keepdims=True)[0, 0])


add(reduce_max_min, lambda r: (U(r, 3), U(r, 4), U(r, 3, 4)), "DDD>A", "DDD>C", "CCD>A")


def method_reductions(A):
    t = A.sum() + A.mean() * 2.0 + A.max() - A.min()
    return float(t + A.sum(axis=0)[1] * A.mean(axis=1)[0] + A.max(axis=0)[2])


add(method_reductions, lambda r: (U(r, 3, 4),), "D>A")


def sum_full_return(A, w):
    return float(np.sum(np.sum(A, axis=1, keepdims=True) * A * w) + np.mean(A * A))


add(sum_full_return, lambda r: (U(r, 3, 4), U(r, 4)), "DD>A", "DC>A", "CD>A")


# --- linear algebra ----------------------------------------------------------

def dot_matmul(s, A, x, y):
    s[:] = A @ x + np.dot(A, y)


add(dot_matmul, lambda r: (U(r, 3), U(r, 3, 4), U(r, 4), U(r, 4)), "DDDD", "DCDD", "DDCD")


def matmul_transpose(C, A, B):
    C[:] = A @ B.T + np.matmul(A, B.T) * 0.5


add(matmul_transpose, lambda r: (U(r, 3, 2), U(r, 3, 4), U(r, 2, 4)), "DDD", "DCD", "DDC")


def dot_scalar_return(a, b):
    return float(np.dot(a, b) * (a @ a))


add(dot_scalar_return, lambda r: (U(r, 5), U(r, 5)), "DD>A", "CD>A")


# --- elementwise numpy --------------------------------------------------------

def unary_chain(s, a):
    s[:] = np.exp(a) * np.sin(a) + np.log(a) - np.cos(a) * np.tanh(a) + np.sqrt(a) + np.abs(a - 1.0)


add(unary_chain, lambda r: (U(r, 5), U(r, 5, lo=1.1, hi=2.0)), "DD", "CD")


def max_min_where(s, a, b):
    s[:] = np.where(a > b, a * b, np.maximum(a, 0.3) - np.minimum(b, -0.2))


add(max_min_where, lambda r: (U(r, 5), J(r, [0.9, 0.1, -0.7, 0.6, -0.5]),
                              J(r, [0.5, 0.6, -0.9, 0.9, 0.4])), "DDD", "DCD", "DDC")


def max_min_arrays(s, a, b):
    s[:] = np.maximum(a, b) * np.minimum(a, b)


add(max_min_arrays, lambda r: (U(r, 4), J(r, [0.9, 0.1, -0.7, 0.6]), J(r, [0.5, 0.6, -0.9, 0.9])),
    "DDD", "DCD")


def power_ops(s, a, b):
    s[:] = a ** 3 + np.power(b, 2.0) - a ** b


add(power_ops, lambda r: (U(r, 4), P(r, 4), U(r, 4)), "DDD", "DCD", "DDC")


def arith_ops(s, a, b):
    np.subtract(a, b, out=s)
    s[:] = np.divide(s, b) + np.negative(a) * np.multiply(a, b)


add(arith_ops, lambda r: (U(r, 4), U(r, 4), P(r, 4)), "DDD", "DCD", "DDC")


def scalar_ops(s, a, c):
    t = c * a[0] - a[1] / c + (-a[2]) ** 2
    s[:] = a * t + c ** 2


add(scalar_ops, lambda r: (U(r, 4), U(r, 4), 1.4), "DDA", "DCA", "DDC")


# --- shape queries, copies, allocations --------------------------------------

def shape_len_copy_T(s, A):
    n = len(A)
    m = A.shape[1]
    B = A.copy()
    B[0, :] *= 2.0
    B[A.shape[0] - 1, 0] = float(n * m) * A[1, 1]
    s[:] = np.sum(B.T * 3.0, axis=1) + B.T[:, 0]


add(shape_len_copy_T, lambda r: (U(r, 4), U(r, 3, 4)), "DD", "CD")


def temporaries(s, a):
    tmp = np.zeros_like(a)
    for i in range(len(a)):
        tmp[i] = a[i] * (i + 1.0)
    e = np.empty(len(a))
    e[:] = a
    f = np.full(len(a), 0.5)
    s[:] = tmp + np.ones(len(a)) * e * f + np.ones_like(a) + np.zeros(len(a)) + np.copy(a) * 2.0


add(temporaries, lambda r: (U(r, 4), U(r, 4)), "DD", "CD")


def float32_seed(s, a, b):
    s[:] = a * b + a


add(float32_seed, lambda r: (U(r, 5).astype(np.float32), U(r, 5).astype(np.float32),
                             U(r, 5).astype(np.float32)), "DDD", "DCD")
