"""``np.multiply.reduce``, ``np.maximum.reduce``, ``np.minimum.reduce``, ``np.fmax.reduce`` and
``np.fmin.reduce``: numpy's ufunc spellings of ``np.prod``, ``np.max`` and ``np.min`` (along axis 0
unless another is given, ``axis=None`` over every axis, ``keepdims``). They had no rule (refused);
they take the rules of the functions they spell. Checked at every entry point against finite
differences and on the autograd, JAX and PyTorch tapes; ties split the adjoint as ``np.max`` does."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Duplicated


def products(A, y):
    y[:] = np.multiply.reduce(A) + np.multiply.reduce(A, axis=1)[1]


def product_of_all(A):
    return np.multiply.reduce(A, axis=None) + np.sum(np.multiply.reduce(A, axis=1, keepdims=True) ** 2)


def envelopes(A, y):
    y[:] = np.maximum.reduce(A) - np.minimum.reduce(A, axis=0) * 0.5
    y[:2] += np.maximum.reduce(A, axis=1)[:2]


def envelope_of_all(A):
    return np.maximum.reduce(A, axis=None) * np.fmin.reduce(A, axis=1)[0] + np.sum(np.fmax.reduce(A ** 2))


def _distinct(*shape):
    """Distinct values (no ties: max and min are differentiable there), away from zero."""
    x = np.random.default_rng(2).permutation(np.arange(1.0, 1.0 + np.prod(shape))).reshape(shape) / 6 + 0.2
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("f, out", [(products, "y"), (product_of_all, ()), (envelopes, "y"), (envelope_of_all, ())],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_every_entry_point(f, out):
    args = [_distinct(3, 4)] + ([Duplicated(np.zeros(4), np.zeros(4))] if out == "y" else [])
    check_everywhere(f, *args, out=out, tapes=("autograd", "jax", "torch"))


def test_ties_split_as_np_max():
    A = np.array([[1.0, 3.0], [3.0, 2.0], [0.5, 3.0]])
    want = ad.gradient(lambda a: np.max(a, axis=0)[1] * 2.0 + np.max(a), A)[0]
    got = ad.gradient(lambda a: np.maximum.reduce(a)[1] * 2.0 + np.maximum.reduce(a, axis=None), A)[0]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert got[0, 1] == got[2, 1] == 1.0 + 1.0 / 3.0   # (two tied in column 1, three in all)
