"""The conservative reading of which parameters a kernel writes."""
import numpy as np

from adcompiler.tapes.effects import written_params


def _helper(x):
    x[0] = 1.0


def k_store(s, a):
    s[1:] = a[1:]


def k_aug(s, a):
    s += a


def k_out(s, a, b):
    np.add(a, b, out=s)
    np.copyto(b, a)


def k_view(s, a):
    v = s[1:]
    w = v.T
    w[0] = a[0]


def k_call(s, a, n):
    _helper(a)
    s[:] = np.sin(a) * len(a) + float(n)


def k_method(s, a):
    a.fill(0.0)
    s[:] = a.sum() + a.copy()


def k_read_only(s, a, b):
    t = a + b
    s[...] = t


def test_written_params():
    assert written_params(k_store) == {"s"}
    assert written_params(k_aug) == {"s"}
    assert written_params(k_out) == {"s", "b"}
    assert written_params(k_view) == {"s"}
    assert written_params(k_call) == {"s", "a"}
    assert written_params(k_method) == {"s", "a"}
    assert written_params(k_read_only) == {"s"}
