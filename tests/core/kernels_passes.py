"""Functions whose pass outputs are kept as golden files."""
import math

import numpy as np


def augmented(x, a, c):
    x[1:-1] *= c
    x[0] += a[0] * a[1]
    t = x.sum()
    t += math.sin(c)
    return t


def branches(x, y):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            continue
        elif x[i] < -1:
            break
        s = s + y[i] * x[i]
    return s


def while_loop(x, tol):
    k = 0
    v = x[0]
    while abs(v) > tol and k < 10:
        v = v * 0.5 + np.tanh(x[k % len(x)])
        k += 1
    return v


def methods_and_out(s, a, b):
    np.multiply(a, b, out=s)
    s += a.T.copy()
    np.copyto(s, np.maximum(s, 0.0))
    s[...] = s.clip(-1.0, 1.0) if False else s


def helper(out, v):
    out[:] = out * v


def calls(x, y):
    helper(x, 2.0)
    y[0] = x.max()


def accumulate_broadcast(a, x, M):
    ta = a
    tb = x
    np.subtract(ta, ta / (2.0 + np.cos(np.sum(M * tb, axis=0, keepdims=True)[0])), out=ta)
    return float(np.sum(tb))
