"""A root (or fractional power) at 0 inside a smooth function: the self-pair of a pairwise
distance (``r = sqrt(d * d)`` with ``d = x[i] - x[i]``, 0 whatever x), whose kernel term is
constant. The root's adjoint there is inf, and the terms multiplying it by the partial 0 of
``d * d`` were nan: every reverse-mode gradient of an SPH density was nan (forward mode was
right; a search). The names summed into a root's argument have their terms 0 where the partial
is. Checked at every entry point against finite differences, on the tapes and under numba."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import Duplicated


def density_vectorised(x, out):
    d = x[:, None] - x[None, :]
    r = np.sqrt(d * d)
    out[:] = ((1.0 - r) ** 3).sum(1)


def density_power(x, out):
    r = np.sqrt((x[:, None] - x[None, :]) ** 2)
    out[:] = ((1.0 - r) ** 3).sum(1)


def density_2d(p, out):
    d = p[:, None, :] - p[None, :, :]
    r = np.sum(d ** 2, axis=-1) ** 0.5
    out[:] = np.sum((2.0 - r) ** 3, axis=1)


def density_loop(p, out):
    n = p.shape[0]
    for i in range(n):
        out[i] = 0.0
        for j in range(n):
            dx = p[i, 0] - p[j, 0]
            dy = p[i, 1] - p[j, 1]
            r = math.sqrt(dx * dx + dy * dy)
            out[i] += (2.0 - r) ** 3


def energy_loop(p):
    e = 0.0
    for i in range(p.shape[0]):
        for j in range(p.shape[0]):
            d = p[i] - p[j]
            e += (1.5 - np.sqrt(np.sum(d * d))) ** 2
    return e


def _d(*shape, seed=1):
    x = np.random.default_rng(seed).uniform(0.0, 0.6, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [(density_vectorised, lambda: (_d(3), _d(3, seed=2)), "out"),
         (density_power, lambda: (_d(4), _d(4, seed=2)), "out"),
         (density_2d, lambda: (_d(3, 2), _d(3, seed=2)), "out"),
         (density_loop, lambda: (_d(3, 2), _d(3, seed=2)), "out"),
         (energy_loop, lambda: (_d(3, 2),), ())]


@pytest.mark.parametrize("f, args, out", CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_every_entry_point(f, args, out):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # (numpy's 1 / 0 of the root's partial, taken out)
        check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


def test_numba():
    check_numba_gradient(energy_loop, _d(3, 2))


def dot_norm(x):
    d = x - x
    return np.sqrt(np.dot(d, d)) + np.sum(x * x)


def float_power_norm(x):
    d = x[:, None] - x[None, :]
    return np.sum((1.0 - np.float_power(d * d, 1 / 2)) ** 3) + np.sum((1.0 - (d * d) ** (1 / 2)) ** 2)


def rows_into_roots(x, A):
    return np.sum(np.sqrt(A @ x))   # (A's first row 0: that root at 0 whatever x; the other row's term finite)


def power_norm(x):
    d = x - x
    return np.power(np.sum(d * d), 0.5) + np.sum(x * x)


def reduce_pairs(P):
    d = P[:, None, :] - P[None, :, :]
    r = np.sqrt(np.add.reduce(d * d, axis=-1))
    return np.sum(np.exp(-r * r) * 0.5 + (1.0 - r) ** 3)


def batched_pairs(P):
    d = P[:, None, :] - P[None, :, :]
    r = np.sqrt((d[..., None, :] @ d[..., :, None])[..., 0, 0])
    return np.sum((1.0 - r) ** 3)


def summed_by_a_product(P):
    d = P[:, None, :] - P[None, :, :]
    r = np.sqrt((d * d) @ np.ones(P.shape[1]))
    return np.sum((1.0 - r) ** 3)


def dot_loop(P):
    e = 0.0
    for i in range(P.shape[0]):
        for j in range(P.shape[0]):
            d = P[i] - P[j]
            e += (1.5 - np.sqrt(np.dot(d, d))) ** 2
    return e


def einsum_norm(x):
    d = x - x
    return np.sqrt(np.einsum("i,i->", d, d)) + np.sum(x * x)


def einsum_pairs(P):
    """Every pair's distance by np.einsum (the diagonal's 0), under an RBF kernel: all nan before."""
    d = P[:, None, :] - P[None, :, :]
    r = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
    return np.sum(np.exp(-r))


def scaled_sums(x):
    """The sum of squares scaled by a number before the root (a search: nan before)."""
    d = x.reshape(2, 2) - x[:2]
    q = np.einsum("ij,ij->i", d, d)
    return np.sum(np.sqrt(2.0 * np.sum(d * d, axis=1))) + np.sum(np.sqrt(q / 2.0)) + np.sum(np.sqrt(q * 2.0))


PRODUCTS = [(scaled_sums, (4,)), (dot_norm, (2,)), (float_power_norm, (3,)), (power_norm, (2,)), (reduce_pairs, (3, 2)),
            (batched_pairs, (3, 2)), (summed_by_a_product, (3, 2)), (dot_loop, (3, 2)), (einsum_norm, (2,)),
            (einsum_pairs, (3, 2))]


@pytest.mark.parametrize("f, shape", PRODUCTS, ids=[f.__name__ for f, _ in PRODUCTS])
def test_squared_lengths_by_products(f, shape):
    """The squared length by ``np.dot``, ``@``, ``np.add.reduce`` or under ``np.power(q, 0.5)``,
    ``np.float_power``, ``** (1 / 2)`` (searches after the fix above): their terms were still inf * 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_everywhere(f, _d(*shape), out=(), tapes=("autograd", "jax", "torch"))


def test_a_row_at_zero_leaves_the_other_rows_terms():
    """``_ad_unread_term`` first set every nan term to 0 under an infinite adjoint: ``A.T @ g`` with
    one root at 0 lost the finite term of the other row (0 for [0.289, 0.577], silently; a search)."""
    A = np.array([[0.0, 0.0], [1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_everywhere(rows_into_roots, Duplicated(np.array([1.0, 1.0]), np.zeros(2)), ad.Const(A), out=(),
                         tapes=("autograd", "jax", "torch"))
        np.testing.assert_allclose(ad.gradient(rows_into_roots, np.array([1.0, 1.0]), A, wrt=0)[0],
                                   A[1] / (2 * np.sqrt(3.0)), rtol=1e-14)
        np.testing.assert_allclose(ad.hvp(rows_into_roots, (np.array([1.0, 1.0]), A), (np.array([1.0, 0.5]), None))[0],
                                   -A[1] * (A[1] @ [1.0, 0.5]) / (4 * 3.0 ** 1.5), rtol=1e-12)


@pytest.mark.parametrize("f", [dot_loop, dot_norm])
def test_squared_lengths_by_products_under_numba(f):
    check_numba_gradient(f, _d(3, 2) if f is dot_loop else _d(2))
