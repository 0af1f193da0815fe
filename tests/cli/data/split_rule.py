"""A rule given as Python functions (defsplit): it cannot be written into a
self-contained module, so `adcompiler emit` refuses it."""
import numpy as np

from adcompiler.extend import defsplit


def softplus(x):
    return np.log1p(np.exp(x))


def _softplus_fwd(x):
    e = np.exp(x)
    return e / (1.0 + e), np.log1p(e)


def _softplus_rev(record, g, x):
    return (g * record,)


defsplit(softplus, "x", _softplus_fwd, _softplus_rev)


def f(s, a):
    s[:] = softplus(a)
