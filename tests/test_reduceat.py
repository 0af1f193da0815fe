"""``np.add.reduceat``: sums of segments, the row sums of a CSR matrix-vector product
(``y[:] = np.add.reduceat(data * x[indices], indptr[:-1])``). It had no rule (refused); each
element gets the adjoint of the segment holding it, an index not below the next one makes a
segment of that one element (numpy's rule), overlapping segments add up. Checked at every entry
point against finite differences, against the same product written as loops, and on a tape."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Const, Duplicated

INDPTR = np.array([0, 2, 3, 6])
INDICES = np.array([0, 2, 1, 0, 1, 3])


def csr_matvec(data, x, indices, indptr, y):
    y[:] = np.add.reduceat(data * x[indices], indptr[:-1])


def csr_matvec_loops(data, x, indices, indptr, y):
    for i in range(indptr.shape[0] - 1):
        acc = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * x[indices[k]]
        y[i] = acc


def segments(a, idx):
    return np.sum(np.add.reduceat(a, idx) ** 2)


def along_columns(A, idx):
    return np.sum(np.sin(np.add.reduceat(A, idx, axis=1)))


def _a(*shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    return Duplicated(x, np.zeros_like(x))


def test_csr_matvec_every_entry_point():
    check_everywhere(csr_matvec, _a(6), _a(4, seed=1), Const(INDICES), Const(INDPTR), _a(3, seed=2), ret=Const)


def test_csr_matvec_equals_the_loops():
    rng = np.random.default_rng(3)
    data, x, seed = rng.standard_normal(6), rng.standard_normal(4), rng.standard_normal(3)
    runs = []
    for f in (csr_matvec, csr_matvec_loops):
        args = [Duplicated(data.copy(), np.zeros(6)), Duplicated(x.copy(), np.zeros(4)), Const(INDICES),
                Const(INDPTR), Duplicated(np.zeros(3), seed.copy())]
        ad.autodiff(ad.Reverse, f, Const, *args)
        runs.append([args[0].dval, args[1].dval])
    for got, want in zip(*runs):
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("f, shape, idx", [
    (segments, (8,), np.array([0, 4, 1, 5, 5, 7])),   # (4 > 1 and 5 == 5: segments of one element)
    (along_columns, (3, 6), np.array([1, 3, 3, 0])),
], ids=["decreasing and repeated", "axis 1"])
def test_every_entry_point(f, shape, idx):
    check_everywhere(f, _a(*shape), Const(idx), ret=Active)


def test_a_tape():
    import autograd
    idx = np.array([0, 3, 5])
    a = np.random.default_rng(4).standard_normal(7)
    want = ad.gradient(segments, a.copy(), idx)[0]
    np.testing.assert_allclose(autograd.grad(ad.differentiate(segments))(a.copy(), idx), want, rtol=1e-12)
