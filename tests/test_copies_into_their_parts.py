"""``np.concatenate(..., out=y)``, ``np.stack(..., out=A)`` and ``np.place(y, m, vals)`` whose
parts (values) are views of the array written: numpy copies element by element, so a part
reads what the copy of an earlier element wrote (no copy of the parts first, as a ufunc
makes); the derivative read each part whole, and the arrays left and the gradient differed
from numpy's, without an error. Refused at the line now, on each backend; parts that are
separate arrays (or new values) are differentiated as before."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Const, Duplicated


def shift_left(y):
    np.concatenate([y[1:], y[:1]], out=y)
    y *= y


def shift_right_by_place(y):
    np.place(y[1:], np.array([True, True, True]), y[:3])
    y *= y


def swap_rows(A):
    np.stack([A[1], A[0]], out=A)
    A *= A


def swap_columns(A):
    np.stack([A[:, 1], A[:, 0]], axis=1, out=A[:, :2])
    A *= A


def joined_apart(y, a, b):
    np.concatenate((a, b * 2.0), out=y)
    y *= a[0]


def stacked_apart(A, a, b):
    np.stack([np.sin(a), b], out=A)


def placed_apart(y, v):
    np.place(y, y > 0.5, v)
    y *= y


Y0 = np.array([0.2, 0.9, 0.7, 0.6])
A0 = np.array([[0.2, 0.9, 0.7], [0.6, 0.3, 0.5]])


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
@pytest.mark.parametrize("f, x", [(shift_left, Y0), (shift_right_by_place, Y0), (swap_rows, A0), (swap_columns, A0)],
                         ids=["concatenate", "place", "stack-rows", "stack-columns"])
def test_parts_that_are_views_of_the_output_are_refused(f, x, backend):
    y = x.copy()
    with pytest.raises(ad.AdCompilerError) as e:   # (numba refuses np.place whatever its arguments)
        ad.autodiff(ad.Reverse, f, Const, Duplicated(y, np.ones_like(y)), backend=backend)
    assert "share memory" in str(e.value) or backend == "numba" and f is shift_right_by_place
    assert e.value.filename.endswith("test_copies_into_their_parts.py") and e.value.lineno is not None


def test_parts_apart_everywhere():
    r = np.random.default_rng(3)
    a, b = r.standard_normal(3), r.standard_normal(2)
    check_everywhere(joined_apart, Duplicated(np.zeros(5), np.zeros(5)), Duplicated(a, np.zeros(3)),
                     Duplicated(b, np.zeros(2)), ret=Const, out=("y",), tapes=("autograd", "jax", "torch"))
    check_everywhere(stacked_apart, Duplicated(np.zeros((2, 3)), np.zeros((2, 3))), Duplicated(a.copy(), np.zeros(3)),
                     Duplicated(r.standard_normal(3), np.zeros(3)), ret=Const, out=("A",), tapes=("autograd", "jax", "torch"))
    check_everywhere(placed_apart, Duplicated(np.array([0.2, 0.9, 0.7, 0.1]), np.zeros(4)),
                     Duplicated(np.array([1.5, -0.5]), np.zeros(2)), ret=Const, out=("y",), tapes=("autograd",))


def test_gradient_of_a_join_apart():
    def loss(a, b):
        y = np.empty(5)
        np.concatenate((a, b), out=y)
        return np.sum(y * y)
    g = ad.gradient(loss, np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0]))
    np.testing.assert_allclose(g[0], [2.0, 4.0, 6.0])
    np.testing.assert_allclose(g[1], [8.0, 10.0])

