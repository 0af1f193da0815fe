"""Kernels whose split halves record the shadows of views of their arguments (test_split_views)."""
import numpy as np


def shifted(y, a):
    t = y[1:]
    for i in range(t.shape[0]):
        t[i] = t[i] * a[i] + y[i]
    return np.sum(y * y)

def row_sweep(A, w):
    for i in range(A.shape[0]):
        r = A[i]
        for j in range(1, r.shape[0]):
            r[j] = r[j] * w[j] + r[j - 1]
    return np.sum(A * A)

def _smooth(t, c):
    for i in range(1, t.shape[0]):
        t[i] = t[i] + c * t[i - 1]

def through_helpers(y, c):
    _smooth(y[1:], c[0])
    _smooth(y[::2], c[1])
    _smooth(y[::-1], c[0] * c[1])
    return np.sum(y * y)

def reversed_view(y, a):
    t = y[::-1]
    for i in range(1, t.shape[0]):
        t[i] = np.sin(t[i - 1]) * a[i] + t[i]
    return np.sum(y ** 3)

def view_of_view(y, a):
    t = y[1:]
    u = t[::2]
    for i in range(u.shape[0]):
        u[i] = u[i] * a[i] + t[0]
    return np.sum(y * y)

def block(A, w):
    B = A[1:, :3]
    for i in range(B.shape[0]):
        for j in range(B.shape[1]):
            B[i, j] = B[i, j] * w[j] + A[0, j]
    C = A.T
    for j in range(1, C.shape[0]):
        C[j, 0] = C[j, 0] + C[j - 1, 0] * w[j]
    return np.sum(A * A)

def reshaped(y, a):
    M = y.reshape(2, 3)
    for i in range(2):
        for j in range(1, 3):
            M[i, j] = M[i, j] * a[j] + M[i, j - 1]
    return np.sum(y * y)

def _edge(y, c):
    t = y[1:-1]
    for i in range(t.shape[0]):
        t[i] = t[i] + c * y[i] * y[i + 2]
    return np.sum(t)

def helper_with_a_view(y, c):
    s = 0.0
    for k in range(3):
        s += _edge(y, c[0])
    return s * c[1]

def empty_view(y, a):
    t = y[5:]
    for i in range(t.shape[0]):
        t[i] = t[i] * a[0]
    u = y[:3]
    for i in range(u.shape[0]):
        u[i] = u[i] * a[i]
    return np.sum(y * y)

def swapped_slices(u, v, a):
    for step in range(3):
        t = u[1:]
        for i in range(t.shape[0]):
            t[i] = t[i] + a[i] * v[i]
        u, v = v, u
    return np.sum(u * v)

def tail_of_one(y, a):
    t = y[1:]
    for i in range(t.shape[0]):
        t[i] = t[i] * a[0]
    y[0] = y[0] * y[0] * a[0]
    return np.sum(y * y)

def _rows_after_first(X, c):
    T = X[1:]
    for i in range(T.shape[0]):
        for j in range(T.shape[1]):
            T[i, j] = T[i, j] * c
    for j in range(X.shape[1]):
        X[0, j] = X[0, j] * X[0, j] * c
    return np.sum(X)

def helper_rows(X, c):
    s = 0.0
    for k in range(2):
        s += _rows_after_first(X, c[k])
    return s

def with_a_new_array(y, a):
    n = y.shape[0]
    w = np.zeros(n - 1)
    t = y[1:]
    for i in range(n - 1):
        w[i] = t[i] * a[i]
        t[i] = np.sin(w[i]) + y[i]
    return np.sum(y * y) + np.sum(w * w)

def _scaled_by(u, v):
    for i in range(u.shape[0]):
        u[i] = u[i] * v[i] + 0.1
    return np.sum(u)

def helper_given_a_new_array(y, a):
    w = a * 2.0
    s = _scaled_by(y[1:], w[:-1])
    s += _scaled_by(y[::-1], a[::-1])
    return s * np.sum(y)

def optional_rebound_in_a_loop(x, w=None):
    for i in range(2):
        w = x * 2.0
    return np.sum(w * x)
