"""Scalar kernels whose derivative is infinite at a point where they are defined
(``tests/test_infinite_partials.py``)."""
import math


def root_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sqrt(x[i])
    return s


def half_power(x):
    s = 0.0
    for i in range(x.shape[0]):
        v = float(x[i])
        s += v ** 0.5 + pow(v, 1.5) + pow(float(x[i]), 0.25)
    return s


def power_of_a_float(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        v = float(x[i])
        s += v ** y[i] + math.pow(v, 0.5)
    return s


def arcs(x):
    return math.asin(x[0]) + math.acos(x[1]) + math.acosh(x[2] + 1.0)


def squares(x):
    """Powers of 1 and 2 keep Python's arithmetic (no numpy float made)."""
    s = 0.0
    for i in range(x.shape[0]):
        v = float(x[i])
        s += v ** 2 + v ** 1 + 3.0 * v ** 0
    return s


def cubed_roots(y, x):
    for i in range(x.shape[0]):
        y[i] = math.sqrt(float(x[i]) ** 3)


def root_of_squares(x):
    return math.sqrt(x[0] ** 2 + x[1] ** 2) + x[2]


def root_of_abs(x):
    return math.sqrt(abs(x[0])) + x[1]
