"""``np.add.accumulate`` (the running sum, ``out=x`` in place the common idiom) and
``np.add.reduce`` (the sum along axis 0 by default): rules of their own, through
every entry point (they had none and were refused)."""
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Duplicated


def prefix_in_place(x):
    np.add.accumulate(x, out=x)
    return float(np.sum(x * x))


def rows_running(out, A):
    out[...] = np.add.accumulate(A * A, axis=1)


def columns_summed(A):
    s = np.add.reduce(np.sin(A))
    return float(np.sum(s * s))


def kept(out, A):
    out[...] = np.add.reduce(A * A, axis=1, keepdims=True) * A


def complex_running(z):
    c = np.add.accumulate(z * z)
    return float(np.sum(np.abs(c) ** 2))


def reduce_out_by_position(s, A):
    np.add.reduce(A * A, 0, None, s)   # (out given by position: a store, as out=s)


def accumulate_out_by_position(y, x):
    np.add.accumulate(x * x, 0, None, y)


def local_buffer(A):
    col = np.empty(A.shape[1])
    np.add.reduce(A * A, 0, None, col)
    return float(np.sum(col ** 2))


RNG = np.random.default_rng(8)


@pytest.mark.parametrize("case", ["prefix", "rows", "columns", "kept", "complex", "reduce-out", "accumulate-out",
                                  "buffer"])
def test_everywhere(case):
    A = RNG.standard_normal((3, 4))
    if case == "prefix":
        x = RNG.standard_normal(6)
        check_everywhere(prefix_in_place, Duplicated(x, np.zeros(6)), ret=Active)
    elif case == "rows":
        check_everywhere(rows_running, Duplicated(np.zeros((3, 4)), np.zeros((3, 4))), Duplicated(A, np.zeros((3, 4))),
                         out="out", tapes=("autograd", "torch", "jax"))
    elif case == "columns":
        check_everywhere(columns_summed, Duplicated(A, np.zeros((3, 4))), ret=Active, out=())
    elif case == "kept":
        check_everywhere(kept, Duplicated(np.zeros((3, 4)), np.zeros((3, 4))), Duplicated(A, np.zeros((3, 4))), out="out")
    elif case == "complex":
        z = RNG.standard_normal(5) + 1j * RNG.standard_normal(5)
        check_everywhere(complex_running, Duplicated(z, np.zeros(5, complex)), ret=Active)
    elif case == "reduce-out":
        check_everywhere(reduce_out_by_position, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(A, np.zeros((3, 4))),
                         out="s", tapes=("autograd", "torch", "jax"))
    elif case == "accumulate-out":
        x = RNG.standard_normal(5)
        check_everywhere(accumulate_out_by_position, Duplicated(np.zeros(5), np.zeros(5)), Duplicated(x, np.zeros(5)),
                         out="y")
    else:
        check_everywhere(local_buffer, Duplicated(A, np.zeros((3, 4))), ret=Active, out=())
