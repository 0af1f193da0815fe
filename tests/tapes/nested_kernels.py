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
