"""Loop kernels for the numba backend's tests and benchmark (in-place, element loops)."""
import numpy as np


def recurrence(s, a, b):
    s[0] = b[0]
    for i in range(1, a.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]


def recurrence_sum(s, a, b):
    s[0] = b[0]
    for i in range(1, a.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]
    return np.sum(s * s)


def gemm(c, a, b):
    n, m, p = a.shape[0], b.shape[1], a.shape[1]
    for i in range(n):
        for j in range(m):
            acc = 0.0
            for k in range(p):
                acc += a[i, k] * b[k, j]
            c[i, j] = acc


def heat(u, work, r, steps):
    n = u.shape[0]
    for _ in range(steps):
        for i in range(1, n - 1):
            work[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = work[i]


def gauss_seidel(u, f, sweeps):
    n, m = u.shape
    for _ in range(sweeps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - f[i, j])


def forces(x, f):
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            if i != j:
                dx = x[i, 0] - x[j, 0]
                dy = x[i, 1] - x[j, 1]
                r2 = dx * dx + dy * dy + 0.1
                w = 1.0 / (r2 * np.sqrt(r2))
                f[i, 0] += w * dx
                f[i, 1] += w * dy


def vectorised(x):
    return np.sum(np.tanh(x) ** 2)


def unsupported(x):
    t = 0.0
    for i in range(x.shape[0]):
        t += x[i] * x[i]
    y = np.einsum("i,i->i", x, x) * t
    return np.sum(y)


UNSUPPORTED_LINE = unsupported.__code__.co_firstlineno + 4
