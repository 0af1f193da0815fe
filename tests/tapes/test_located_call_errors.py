"""Refusals met when a ``differentiate``d function is called (an int output, ``like=`` naming no
input or giving another shape, a list of tape arrays as an argument) name the kernel's definition
(file and line), as the refusals met at ``differentiate`` do; they named none."""
import numpy as np
import pytest

from adcompiler import differentiate
from adcompiler.errors import AdCompilerError

from .conftest import require


def mixed(y, k, x):
    y[:] = x * x
    k[:] = np.argsort(x)


def squared(y, x):
    y[:] = x * x


def summed(y, xs, w):
    for x in xs:
        y += x * w


X = np.array([0.3, -1.2, 0.8, 2.0])


@pytest.mark.parametrize("call, says", [
    (lambda: differentiate(mixed, out=("y", "k"), like={"y": "x", "k": np.zeros(4, np.int64)})(X), "dtype int64"),
    (lambda: differentiate(squared, out="y", like="zz")(X), "names 'zz'"),
    (lambda: differentiate(squared, out="y", like=(3,))(X), "failed on arguments")])
def test_errors_of_a_call_name_the_definition(call, says):
    with pytest.raises(AdCompilerError, match=says) as e:
        call()
    assert e.value.filename == __file__ and e.value.lineno is not None


def test_a_list_of_tape_arrays_names_the_definition():
    torch = require("torch")
    with pytest.raises(AdCompilerError, match="list holding torch arrays") as e:
        differentiate(summed, out="y")(torch.zeros(2), [torch.ones(2, requires_grad=True)], torch.ones(2))
    assert e.value.filename == __file__ and e.value.lineno == summed.__code__.co_firstlineno
