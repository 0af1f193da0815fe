"""Runtime helpers with fast paths (``runtime/core.py``): each against the
numpy operation it stands for, in value, shape, dtype and writeability."""
from __future__ import annotations

import gc

import numpy as np
import pytest

from adcompiler.runtime.core import _norm_axes, as_list, put_list, unreduce

SHAPES = [(), (5,), (4, 3), (3, 1, 4), (2, 3, 4), (0, 3)]


def _axes(shape):
    return [None] + list(range(-len(shape), len(shape))) + ([(0, len(shape) - 1)] if len(shape) > 1 else [])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.int64])
def test_unreduce_is_the_broadcast_view(shape, dtype):
    rng = np.random.default_rng(7)
    x = np.zeros(shape, dtype)
    for axis in _axes(shape):
        for keepdims in (False, True):
            reduced = np.shape(np.sum(x, axis=axis, keepdims=keepdims))
            if reduced:
                g0 = rng.standard_normal(reduced).astype(dtype)
                seeds = [g0, np.asfortranarray(g0)]
            else:
                seeds = [1.5, np.float32(2.5), np.asarray(3.0)]
            for g in seeds:
                want = np.asarray(g)
                if want.ndim and not keepdims:
                    want = np.expand_dims(want, _norm_axes(axis, len(shape)))
                want = np.broadcast_to(want, shape)
                got = unreduce(g, x, axis, keepdims)
                assert got.shape == want.shape and got.dtype == want.dtype
                assert np.array_equal(got, want) and not got.flags.writeable


def test_unreduce_view_keeps_its_memory():
    v = unreduce(np.arange(3.0), np.zeros((4, 3)), 0, False)
    gc.collect()
    assert np.array_equal(v, np.tile(np.arange(3.0), (4, 1)))


def test_unreduce_refuses_what_broadcast_refuses():
    with pytest.raises(ValueError):
        unreduce(np.ones((2, 3)), np.zeros((4, 3)), None, True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.complex64, np.int64])
def test_put_list_writes_what_assignment_writes(dtype):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(50) * 1e3).astype(dtype)
    if np.iscomplexobj(x):
        x = x + 1j * rng.standard_normal(50)
    values = [v * 1.000001 + 1e-9 for v in as_list(x)]
    want, got = x.copy(), x.copy()
    want[:] = values
    put_list(got, values)
    assert got.dtype == want.dtype and np.array_equal(got, want)


def test_put_list_two_dimensional():
    x = np.arange(6.0).reshape(2, 3)
    values = as_list(x)
    values[1][2] = -1.0
    put_list(x, values)
    assert x[1, 2] == -1.0
