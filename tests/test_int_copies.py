"""The copy of an int array (``pos = ptr.copy()``, the counting sort that builds
CSR from COO) was typed as a float array: an element of it read in a loop
(``p = pos[r]``) went to the float stack and came back a float, and
``out[p] = ...`` raised IndexError in the reverse sweep (every reverse entry
point). A copy keeps its array's dtype (an adjoint of an int array is float,
a copy of it is not). Every entry point against finite differences; numba
against numpy."""
from __future__ import annotations

import numpy as np
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Const, Duplicated, gradient


def coo_to_csr_values(out, vals, rows, ptr):
    pos = ptr.copy()
    for k in range(vals.shape[0]):
        r = rows[k]
        p = pos[r]
        out[p] = vals[k] * 2.0
        pos[r] += 1


def bucketed(x, idx, start):
    slot = np.copy(start)
    s = 0.0
    for k in range(x.shape[0]):
        b = idx[k]
        j = slot[b]
        s += x[k] * (j + 1) + x[k] ** 2 * (j // 2)
        slot[b] += 1
    return s


ROWS, PTR = np.array([1, 0, 1, 2, 0]), np.array([0, 2, 4])


def test_counting_sort_everywhere():
    vals = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    args = [Duplicated(np.zeros(5), np.zeros(5)), Duplicated(vals, np.zeros(5)), Const(ROWS), Const(PTR)]
    check_everywhere(coo_to_csr_values, *args, ret=Const, out="out", tapes=("autograd", "jax", "torch"))


def test_copy_of_an_int_array_read_in_arithmetic_everywhere():
    x = np.array([0.3, -0.7, 1.1, 0.5, 0.9])
    args = [Duplicated(x, np.zeros(5)), Const(ROWS), Const(PTR)]
    check_everywhere(bucketed, *args, tapes=("autograd", "jax", "torch"))
    check_numba_gradient(bucketed, *args)
    slots = [2, 0, 3, 4, 1]   # (the place of each element in its bucket, counted by hand)
    want = np.array([j + 1 + 2 * xk * (j // 2) for xk, j in zip(x, slots)])
    np.testing.assert_allclose(gradient(bucketed, x, ROWS, PTR)[0], want, rtol=1e-12)
