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


def rk4_rhs(y, k, a):
    k[:] = -a * y + np.sin(y)


def rk4_loss(y0, a, dt):
    """Four stages a step, a helper per stage (the Hessian was refused)."""
    y = y0.copy()
    k1, k2, k3, k4 = np.zeros_like(y), np.zeros_like(y), np.zeros_like(y), np.zeros_like(y)
    for t in range(4):
        rk4_rhs(y, k1, a)
        rk4_rhs(y + 0.5 * dt * k1, k2, a)
        rk4_rhs(y + 0.5 * dt * k2, k3, a)
        rk4_rhs(y + dt * k3, k4, a)
        y += dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return float(np.sum(y ** 2))


def power_iteration(A, v0):
    """A fresh array rebound each step and scaled in place (hvp was refused)."""
    v = v0.copy()
    for i in range(6):
        w = A @ v
        w /= np.sum(w)
        v[:] = w
    return float(np.sum(v * v))


def power_iteration_while(A, v0):
    v = v0.copy()
    it = 0
    while it < 5:
        w = A @ v
        w /= 2.0
        v[:] = w
        it += 1
    return float(np.sum(v * v))


def max_of_rows(X):
    m = np.max(X, axis=1)
    return float(np.sum(m * m))


def qr_parts_scaled(A):
    Q, R = np.linalg.qr(A)
    s = np.sign(np.diag(R))
    Q *= s
    R *= s[:, None]
    return float(np.sum(Q[0] * R[1]) + np.sum(R ** 2))


def eigh_parts_written(A):
    w, V = np.linalg.eigh(A + A.T)
    w *= 2.0
    V[0] = w
    return float(np.sum(w * V[0] + V[1] ** 2))


def svd_values_squared(A):
    U, S, Vt = np.linalg.svd(A, full_matrices=False)
    S **= 2
    return float(np.sum(U[0] * S + Vt[1] ** 2))


def sinc_loss(x):
    return float(np.sum(np.sinc(x)) + np.sum(np.sinc(x) * x))


def scalar_accumulated(x, c):
    s = c
    for i in range(len(x)):
        s += x[i] * c   # a float: s is rebound, c unchanged
    return s * c


def scalar_scaled(c):
    s = c
    s *= 3.0
    return s * c


def scalar_rebound(x, c):
    s = c
    for i in range(len(x)):
        s = s + x[i] * c
    return s * c
