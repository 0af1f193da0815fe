"""Kernels calling helpers that return arrays they make (test_returned_arrays)."""
import numpy as np


def _thomas(a, b, c, d):
    n = d.shape[0]
    cp = np.zeros(n)
    dp = np.zeros(n)
    x = np.zeros(n)
    cp[0] = c[0] / b[0]
    dp[0] = d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * cp[i - 1]
        cp[i] = c[i] / m
        dp[i] = (d[i] - a[i] * dp[i - 1]) / m
    x[n - 1] = dp[n - 1]
    for i in range(n - 2, -1, -1):
        x[i] = dp[i] - cp[i] * x[i + 1]
    return x

def implicit_heat(u, k):
    n = u.shape[0]
    a = np.full(n, -k[0])
    c = np.full(n, -k[0])
    b = np.full(n, 1.0 + 2.0 * k[0])
    for _ in range(3):
        u = _thomas(a, b, c, u)
    return np.sum(u * u)

def _squash(u):
    v = np.empty_like(u)
    for i in range(u.shape[0]):
        v[i] = np.tanh(u[i])
    return v

def in_a_loop(u, y):
    for t in range(3):
        w = _squash(u)
        for i in range(y.shape[0]):
            y[i] += w[i] * u[i]

def _early(u, lim):
    v = np.zeros(u.shape[0])
    for i in range(u.shape[0]):
        v[i] = u[i] * u[i]
        if v[i] > lim:
            return v
    v[0] += 1.0
    return v

def early_return(u):
    w = _early(u, 2.0)
    s = 0.0
    for i in range(w.shape[0]):
        s += w[i] * (i + 1.0)
    return s

def _one_of_two(u, flag):
    v = np.zeros(u.shape[0])
    w = np.zeros(u.shape[0])
    for i in range(u.shape[0]):
        v[i] = u[i] * 2.0
        w[i] = u[i] * u[i]
    if flag > 0:
        return v
    return w

def one_of_two(u, flag):
    r = _one_of_two(u, flag)
    return np.sum(r * r)

def _outer(u):
    return _squash(u)

def nested(u):
    w = _outer(u)
    return np.sum(w * u)

def _scaled_copy(u, s):
    v = u.copy()
    v *= s
    return v

def scaled_copy(u):
    w = _scaled_copy(u, 3.0)
    w[0] = w[0] * w[1]
    return np.sum(w * w)

def _fill(u):
    out = np.empty(u.shape[0])
    for i in range(u.shape[0]):
        out[i] = np.sin(u[i])
    return out

def reassigned(u):
    w = _fill(u)
    w = _fill(w)
    return np.sum(w)


def _apply_bc(u, left):
    u[0] = left
    for i in range(1, u.shape[0]):
        u[i] = u[i] * u[i - 1] * 0.5 + u[i]
    return u


def returned_argument(u, left):
    w = _apply_bc(u, left[0])
    s = 0.0
    for i in range(w.shape[0]):
        s += w[i] * w[i]
    return s


def _interior(u):
    for i in range(u.shape[0]):
        u[i] = u[i] * 1.5
    return u[1:-1]


def returned_view(u):
    w = _interior(u)
    return np.sum(w * w)
