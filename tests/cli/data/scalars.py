"""Kernels whose scalar parameters have no type hint: the command line must
tell a float (Active) from an integer (Const) by --value or by how the body
uses the parameter, never take them as float arrays."""
import numpy as np


def ema(y, x, alpha):
    """Exponential moving average in place; `alpha` is a float scalar."""
    for i in range(1, len(y)):
        y[i] = alpha * y[i - 1] + (1.0 - alpha) * x[i]


def head_scale(y, x, n):
    """`n` is a range() bound: an int."""
    for i in range(n):
        y[i] = x[i] * x[i] + y[i]


def pick(y, x, i, j):
    """`i` and `j` are indices (integers), `j` inside index arithmetic."""
    y[0] = x[i] * x[j - 1]
    y[1:j] = x[:j - 1] * 2.0


def scale(y, x):
    """A Duplicated `x`: the emitted module must refuse a Python float for it."""
    y[0] = x * x + y[0]


def grow(y, a):
    """`y` is read and updated in place: the split halves must not keep the forward half's shadow."""
    y += a * y


def repeat_scale(y, x, n):
    for it in range(n):
        y[:] = y * x


def zero_d_update(s, x):
    """``s`` a 0-d array (``--shape s=``) updated in place."""
    s += np.sum(x * x)
    s *= 2.0


def decay(u, dt=0.01):
    """``dt`` a float default."""
    u *= 1.0 - dt


def countdown(u, n):
    """``n`` starts a counter that indexes ``u``: an int, even given as ``--shape n=``."""
    k = n
    while k > 0:
        u[k - 1] = u[k - 1] * u[k - 1]
        k -= 1


def rotated(z, c):
    """``c`` complex: a number (``--shape c=:complex128``), or a 0-d array with ``--dup c``."""
    z *= c
