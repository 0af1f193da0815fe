"""What the caches of generated code are keyed on: two closures made by the
same factory share their code, and each must be differentiated with its own
values (the second one used to get the first one's value and derivatives)."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Duplicated, ReverseWithPrimal


def make_loss(c):
    def loss(x):
        return float(np.sum(np.sin(x) * c) ** 2)
    return loss


def make_kernel(c):
    def kernel(y, x):
        y[:] = np.sin(x) * c
    return kernel


X = np.array([0.3, -0.5, 0.9])


def test_closures_of_one_factory_each_with_its_values():
    l1, l2 = make_loss(1.0), make_loss(2.0)
    for _ in range(2):   # (alternating: each call finds the other's entry)
        for loss, c in ((l1, 1.0), (l2, 2.0)):
            value, grad = ad.value_and_grad(loss)(X)
            s = np.sum(np.sin(X) * c)
            assert value == pytest.approx(s ** 2)
            np.testing.assert_allclose(grad, 2 * s * c * np.cos(X))
    np.testing.assert_allclose(ad.hessian(l2, X) / ad.hessian(l1, X), 4.0)


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_closures_under_each_backend(backend):
    if backend != "numpy":
        pytest.importorskip("numba")
    for c in (1.0, 3.0, 1.0):
        dx = np.zeros(3)
        _, primal = ad.autodiff(ReverseWithPrimal, make_loss(c), Active, Duplicated(X.copy(), dx), backend=backend)
        s = np.sum(np.sin(X) * c)
        assert primal == pytest.approx(s ** 2)
        np.testing.assert_allclose(dx, 2 * s * c * np.cos(X))


def test_closure_kernels_jacobian_and_jvp():
    for c in (1.0, 3.0):
        k = make_kernel(c)
        J = ad.jacobian(k, np.zeros(3), X.copy(), out=0, wrt=1)
        np.testing.assert_allclose(J, np.diag(c * np.cos(X)))
