"""Kernels of test_math_log.py: ``log`` imported from math, the module itself never
imported (the derivative wrote ``math.e`` for the default base and needed ``math`` here)."""
from math import log


def log_product(x):
    return log(x[0]) * log(x[1], 3.0)


def log_loop(x, y):
    for i in range(x.shape[0]):
        y[i] = log(x[i] * x[i] + 1.0)
