"""``copy.copy``, ``copy.deepcopy`` and ``.copy()``: a copy of an array is new memory (every
entry point); a shallow copy of a list of arrays shares the arrays, so it is refused at the
line (its derivative took the copy for new values: a write into an item through the copy
changed the list in Python and not in the derivative, a wrong gradient without an error)."""
import copy

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Const, Duplicated
from adcompiler.testing import check_grads


def copies_of_an_array(x):
    y = copy.copy(x)
    y *= 2.0
    z = copy.deepcopy(y)
    z[0] = 1.0
    w = y.copy()
    w[1] += x[2] ** 2
    return np.sum(y * x) + np.sum(z * w)


def deep_copy_of_a_list(x):
    L = [x * 1.0, x * 2.0]
    M = copy.deepcopy(L)
    M[0][0] = 5.0
    return np.sum(L[0] * x) + np.sum(M[0] * x)


def copy_of_a_list_of_floats(x):
    L = [1.0, 2.0, 3.0]
    M = L.copy()
    M[0] = 5.0
    return np.sum(np.array(L) * x) + np.sum(np.array(M) * x * x)


def shallow_method_copy(x):
    L = [x * 1.0, x * 2.0]
    M = L.copy()
    M[0][0] = 5.0
    return np.sum(L[0] * x)


def shallow_module_copy(x):
    L = [x * 1.0, x * 2.0]
    M = copy.copy(L)
    M[0][0] = 5.0
    return np.sum(L[0] * x)


def shallow_copy_of_an_argument(x, arrs):
    M = arrs.copy()
    M[0][0] = 5.0
    return np.sum(arrs[0] * x)


def x0():
    return np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize("f", [copies_of_an_array, copy_of_a_list_of_floats])
def test_copies_everywhere(f):
    check_everywhere(f, Duplicated(x0(), np.zeros(3)), ret=Active, out=(), tapes=("autograd", "jax", "torch"))


def test_copies_of_an_array_under_numba():
    check_grads(copies_of_an_array, Duplicated(x0(), np.zeros(3)), ret=Active, engine="numba")


def test_deep_copy_of_a_list_is_right_or_refused():
    # (L[0] is 1 * x whatever M's items become: the gradient is 2 x + M[0] with M[0][0] = 5)
    try:
        g, = ad.gradient(deep_copy_of_a_list, x0())
    except ad.AdCompilerError as e:
        assert e.filename.endswith("test_copy_module.py")
    else:
        np.testing.assert_allclose(g, 2 * x0() + np.array([5.0, 4.0, 6.0]))


@pytest.mark.parametrize("f, line", [(shallow_method_copy, "M = L.copy()"), (shallow_module_copy, "M = copy.copy(L)")])
def test_shallow_copies_of_lists_of_arrays_are_refused(f, line):
    with pytest.raises(ad.AdCompilerError, match="shallow") as e:
        ad.gradient(f, x0())
    assert e.value.filename.endswith("test_copy_module.py") and line in str(e.value)


def test_shallow_copy_of_an_argument_is_refused():
    with pytest.raises(ad.AdCompilerError, match="shallow"):
        ad.autodiff(ad.Reverse, shallow_copy_of_an_argument, Active, Duplicated(x0(), np.zeros(3)),
                    Const([x0(), 2 * x0()]))


def test_deepcopy_with_a_memo_is_refused():
    def f(x):
        return np.sum(copy.deepcopy(x, None) * x)
    with pytest.raises(ad.AdCompilerError, match="memo"):
        ad.gradient(f, x0())
