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


RNG = np.random.default_rng(8)


@pytest.mark.parametrize("case", ["prefix", "rows", "columns", "kept", "complex"])
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
    else:
        z = RNG.standard_normal(5) + 1j * RNG.standard_normal(5)
        check_everywhere(complex_running, Duplicated(z, np.zeros(5, complex)), ret=Active)
