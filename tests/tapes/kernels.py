"""Mutating kernels the tape tests wrap, with hand-derived gradients."""
import numpy as np


def seed_(s, a, b):
    s[:] = a + b


def two_out_(s, t, a, x):
    s[:] = a * x
    t[:] = np.sin(a)


def scale_inplace_(u, c):
    u[:] = u * c


def sum_sq_(a, n):
    return np.sum(a * a) * n


def heat_(u, c, steps):
    for _ in range(steps):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])


def recurrence_(y, x):
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = np.sin(y[i - 1]) * x[i] + x[i]


def signed_angle(s, a, c):
    s[:] = a * np.arctan2(c, -1.0)


def big_offset(s, a, p):
    s[:] = a * (p[0] + 1 - p[0])
