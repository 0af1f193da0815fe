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


def _back_sub_step(x, U, b, i):
    s = b[i]   # (a number of a vector: b is not written)
    s -= U[i, i + 1:] @ x[i + 1:]
    x[i] = s / U[i, i]


def k_helper_reads_by_element(x, U, b):
    for i in range(x.shape[0] - 1, -1, -1):
        _back_sub_step(x, U, b, i)


def _writes_through_a_slice(x):
    v = x[1:]
    v += 1.0


def k_helper_writes_through_a_slice(x):
    _writes_through_a_slice(x)


def k_nested(x, y):
    def scale(v, c):
        return v * c

    def store(out, v):
        out[:] = v
    store(y, scale(x, 2.0))


def test_direct_writes_follow_helpers_by_their_own_names():
    """The bare differentiate refuses, when it is made, only the parameters a
    kernel (or a helper it calls) writes by their own names: ``s = b[i]; s -= e``
    in a helper was taken for a write of ``b`` (the back substitution's loss
    refused); a write through a slice is still found, by the analysis later."""
    direct = {"through_memory": True, "direct": True}
    assert written_params(k_helper_reads_by_element, **direct) == {"x"}
    assert "b" in written_params(k_helper_reads_by_element)   # (the superset: copies)
    assert written_params(k_helper_writes_through_a_slice) == {"x"}
    assert written_params(k_nested) == {"y"}   # (calls of functions defined in the body are followed)
    assert written_params(k_nested, **direct) == {"y"}
