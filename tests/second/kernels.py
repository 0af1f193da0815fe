"""Float-returning functions for second-order tests (loops, in-place updates, calls)."""
import math

import numpy as np


def tanh_loss(x, w):
    y = np.tanh(x * w)
    return np.sum(y ** 2)


def recurrence(a, b):
    s = np.zeros(len(a))
    s[0] = b[0]
    for i in range(1, len(a)):
        s[i] = s[i - 1] * a[i] + b[i]
    return np.sum(s * s)


def heat(x, c):
    u = x.copy()
    for t in range(5):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 3)


def while_product(x):
    v = x[0]
    k = 0
    while k < 6:
        v = v * np.sin(x[k % len(x)]) + 0.5
        k += 1
    return v


def branches(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            s = s + x[i] ** 3
        else:
            s = s - math.exp(x[i])
    return s


def scale_inplace(out, c):
    for i in range(len(out)):
        out[i] *= c * out[i]


def calls_helper(x, c):
    y = x.copy()
    scale_inplace(y, c)
    return np.sum(np.sin(y))


def quadratic_form(x, A):
    return x @ (A @ x) + np.dot(x, x) ** 2


def logs_and_roots(x):
    return np.sum(np.log(1.0 + x * x) + np.sqrt(2.0 + np.cos(x)))


def mean_pairwise(x, y):
    d = x[:, None] - y[None, :]
    return np.mean(d ** 2 * np.exp(-d))


def powers(x, p):
    return np.sum(np.abs(x) ** p) + np.max(x * x)


def accumulate(x):
    acc = np.zeros(3)
    for i in range(len(x)):
        acc[i % 3] += x[i] * x[(i + 1) % len(x)]
    return np.sum(acc ** 2)
