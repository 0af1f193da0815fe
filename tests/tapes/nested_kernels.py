"""Kernels wrapped with differentiate and used inside differentiated code."""
import numpy as np

import adcompiler as ad


@ad.differentiate(out="s", like="a")
def f(s, a, b):
    s[:] = a + b


@ad.differentiate(out="s", like="a")
def recurrence(s, a):
    s[0] = a[0]
    for i in range(1, len(s)):
        s[i] = s[i - 1] * a[i] + a[i]


def g1(a, b):
    return np.sum((a + b) ** 2)


def g2(a, b):
    return np.sum(f(a, b) ** 2)


def recurrence_loss(a):
    return np.sum(np.sin(recurrence(a)))


@ad.differentiate(out="s", like="a")
def squares(s, a):
    for i in range(a.shape[0]):
        s[i] = a[i] * a[i] + np.sin(a[i])


@ad.differentiate
def weighted(a, b):
    return float(np.sum(a * b * b))


def written_after(t, a):
    t[:] = squares(a)
    a *= 3.0   # the kernel's reverse sweep reads a as it was at the call


def own_input_written(t, a):
    t[:] = a
    t[:] = squares(t)
    t *= 2.0


def copy_zeroed_after(t, a):
    b = a.copy()
    t[:] = squares(b)
    b[:] = 0.0
    t += b


def scalar_kernel_then_written(a, b):
    r = weighted(a, b)
    a *= 2.0
    return r


def _stencil(u, c, steps):
    for _ in range(steps):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2]) * u[1:-1]


stencil = ad.differentiate(_stencil, out="u")   # (an int argument: a constant)


def stencil_loss(u, c):
    v = stencil(u, c, 3)
    return float(np.sum(v * v))


@ad.differentiate(out="y", like="x", const=("w",))
def weighted_square(y, x, w):
    y[:] = w * x ** 2


def weighted_square_loss(x, w):
    return np.sum(weighted_square(x, w) * x)


# two kernels of one name (as from two modules), and one kernel wrapped twice: each wrapper is
# its own rule in a caller's generated code (the second was served the first one's functions)
def step(s, a):
    s[:] = np.sin(a)


sine_step = ad.differentiate(step, out="s", like="a")


def step(s, a):   # (the same name on purpose)
    s[:] = a ** 3


cube_step = ad.differentiate(step, out="s", like="a")


def same_names(a):
    return float(np.sum(sine_step(a)) + np.sum(cube_step(a)))


def scale(s, a, c):
    s[:] = c * a ** 2


scaled = ad.differentiate(scale, out="s", like="a")
scaled_const_c = ad.differentiate(scale, out="s", like="a", const=("c",))


def both_scales(a, c):
    return float(np.sum(scaled(a, c) + scaled_const_c(a, c)))


def both_scales_other_order(a, c):
    t = scaled_const_c(a, c)
    return float(np.sum(scaled(a, c) + t))
