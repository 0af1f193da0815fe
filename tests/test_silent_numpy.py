"""numpy semantics the derivatives got wrong without an error: ``np.dot`` of a
vector and a stack of matrices, and vector mode through index arrays a slice
separates (numpy puts their axes first)."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Const, Duplicated


def dot_vector_stack(y, a, B):
    y[...] = np.dot(a, B) * 2.0


def D(rng, *shape):
    x = rng.normal(size=shape)
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("shape_b", [(3, 2), (4, 3, 2), (2, 4, 3, 5), (3, 3, 3)])
def test_dot_of_a_vector_and_a_stack_everywhere(shape_b):
    """``np.dot(a, B)`` with a 1-D ``a`` sums over ``B``'s second-to-last axis:
    the adjoint of ``B`` put ``a``'s axis first (transposed for a square stack,
    a ValueError otherwise)."""
    rng = np.random.default_rng(1)
    out = np.dot(np.zeros(3), np.zeros(shape_b)).shape
    check_everywhere(dot_vector_stack, D(rng, *out), D(rng, 3), D(rng, *shape_b), out="y",
                     tapes=("autograd", "torch", "jax"))


def read_separated(Y, X, i, j):
    Y[...] = X[i, :, j] * 2.0


def increment_separated(X, V, i, j):
    X[i, :, j] += V * X[i, :, j]


def int_and_array(Y, X, j):
    Y[...] = X[0, :, j] * X[1, :, j]


def mask_and_array(Y, X, m, j):
    Y[...] = X[m, :, j] * X[m, :, j]


def store_separated(X, V, i, j):
    X[i, :, j] = V ** 2


@pytest.mark.parametrize("n", [2, 3])
def test_index_arrays_a_slice_separates_in_vector_mode(n):
    """``X[i, :, j]``: numpy puts the index arrays' axis first, and vector mode's
    ``dX[:, i, :, j]`` put it before the directions: directions were swapped
    (n = 2) or a ValueError raised (n = 3)."""
    rng = np.random.default_rng(2)
    i, j = Const(np.arange(n)[::-1].copy()), Const(np.array([1, 3, 0][:n]))
    m = Const(np.array([True, False, True]))
    check_everywhere(read_separated, D(rng, n, 2), D(rng, 3, 2, 4), i, j)
    check_everywhere(increment_separated, D(rng, 3, 2, 4), D(rng, n, 2), i, j)
    check_everywhere(int_and_array, D(rng, n, 2), D(rng, 2, 2, 4), j)
    check_everywhere(mask_and_array, D(rng, 2, 2), D(rng, 3, 2, 4), m, Const(np.array([1, 3])))
    check_everywhere(store_separated, D(rng, 3, 2, 4), D(rng, n, 2), i, j)
