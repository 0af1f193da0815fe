"""Every rule of the table against central finite differences (float64) and
against autograd where autograd has the function; some rows also in float32."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import adcompiler

from .kernels import build, kernel_name, make_args
from .table import ROWS

MOD, AG = build()
H = 1e-6


def _loss(f, args, w):
    return float(f(*copy.deepcopy(args), copy.deepcopy(w)))


def _weight(f, args):
    """A fixed random weight with the shape of the row's result."""
    box = {}
    try:
        f(*copy.deepcopy(args), _Shape(box))
    except _Found:
        pass
    shape = box["shape"]
    rng = np.random.default_rng(len(shape) + 7)
    return float(rng.uniform(0.5, 1.5)) if shape == () else rng.uniform(0.5, 1.5, shape)


class _Found(Exception):
    pass


class _Shape:
    """A weight that records the shape of what it multiplies, then stops the kernel."""

    def __init__(self, box):
        self.box = box

    def __rmul__(self, other):
        self.box["shape"] = np.shape(other)
        raise _Found

    __mul__ = __rmul__
    __array_ufunc__ = None


def _fd(f, args, w, k):
    a = args[k]
    if isinstance(a, float):
        hi, lo = list(args), list(args)
        hi[k], lo[k] = a + H, a - H
        return (_loss(f, hi, w) - _loss(f, lo, w)) / (2 * H)
    out = np.zeros(a.shape)
    for i in np.ndindex(a.shape):
        hi, lo = copy.deepcopy(args), copy.deepcopy(args)
        hi[k][i] += H
        lo[k][i] -= H
        out[i] = (_loss(f, hi, w) - _loss(f, lo, w)) / (2 * H)
    return out


@pytest.mark.parametrize("k", range(len(ROWS)), ids=[r.name for r in ROWS])
def test_rule_row(k):
    row = ROWS[k]
    f = getattr(MOD, kernel_name(k))
    args = make_args(row)
    w = _weight(f, args)
    before = copy.deepcopy(args)
    grads = adcompiler.gradient(f, *args, w)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)   # the caller's arrays are unchanged
    for j in range(len(args)):
        fd = _fd(f, args, w, j)
        np.testing.assert_allclose(grads[j], fd, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{row.name}: argument {'xyz'[j]} against finite differences")
    if row.ag:
        import autograd
        g = getattr(AG, kernel_name(k))
        for j in range(len(args)):
            try:
                ref = autograd.grad(g, j)(*copy.deepcopy(args), w)
            except (NotImplementedError, AttributeError, TypeError):
                continue   # autograd lacks this function (or this argument's derivative)
            if np.any(np.isnan(ref)):
                continue   # autograd has no value here (e.g. the inf-norm)
            if np.shape(ref) != np.shape(grads[j]):
                ref = np.sum(ref, axis=tuple(range(np.ndim(ref) - np.ndim(grads[j]))))  # autograd forgot to unbroadcast
                ref = ref.reshape(np.shape(grads[j])) if np.size(ref) == np.size(grads[j]) else ref
            np.testing.assert_allclose(grads[j], ref, rtol=1e-7, atol=1e-9,
                                       err_msg=f"{row.name}: argument {'xyz'[j]} against autograd")


F32 = [k for k, r in enumerate(ROWS) if r.f32]


@pytest.mark.parametrize("k", F32, ids=[ROWS[k].name for k in F32])
def test_rule_row_float32(k):
    """float32 inputs: shadows keep float32 and agree with float64 to float32 precision."""
    row = ROWS[k]
    f = getattr(MOD, kernel_name(k))
    args64 = make_args(row)
    args32 = make_args(row, np.float32)
    w = _weight(f, args64)
    g64 = adcompiler.gradient(f, *args64, w)
    shadows = [np.zeros_like(a) if isinstance(a, np.ndarray) else None for a in args32]
    acts = [adcompiler.Duplicated(a, s) if s is not None else adcompiler.Active(a) for a, s in zip(args32, shadows)]
    w32 = np.float32(w) if isinstance(w, float) else w.astype(np.float32)
    out = adcompiler.autodiff(adcompiler.Reverse, f, adcompiler.Active, *acts, adcompiler.Const(w32))
    for j, s in enumerate(shadows):
        got = s if s is not None else out[j]
        if s is not None:
            assert s.dtype == np.float32
        np.testing.assert_allclose(got, g64[j], rtol=2e-3, atol=2e-4)
