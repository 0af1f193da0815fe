"""The repeat path of ``autodiff`` (``api/repeats``) keeps a generated checker per
signature of a function's arguments: calls that alternate between signatures
(dtypes, ranks, number types, activities, plain numbers, backends, return activities), records
whose fields change, callees whose defaults change and layouts each checker does
not take get what a first call with those arguments gets."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Const, Duplicated
from adcompiler.api import repeats


def _scaled(y, x, c):
    for i in range(x.shape[0]):
        y[i] = y[i] * c + x[i] ** 2
    return np.sum(y) * c


def _want(y0, x0, c, seed, ret_seed):
    """(dy, dx, dc) of ``_scaled`` for the shadows' seeds ``seed`` and the return's ``ret_seed``."""
    g = seed + ret_seed * c       # the adjoint of y after the loop
    dy = g * c
    dx = g * 2 * x0
    y1 = y0 * c + x0 ** 2
    dc = np.sum(g * y0) + ret_seed * np.sum(y1)
    return dy, dx, dc


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_alternating_signatures_each_get_their_derivatives(backend):
    if backend != "numpy":
        pytest.importorskip("numba")
    rng = np.random.default_rng(3)
    cases = []
    # (numba refuses float32 arrays that meet Python floats; auto runs them under numpy)
    for dtype in (np.float64,) if backend == "numba" else (np.float64, np.float32):
        for c in (3, 2.5, np.float64(1.5)):
            for ret in (ad.Const, ad.Active):
                cases.append((dtype, c, ret, False))
                cases.append((dtype, c, ret, "plain"))   # (c given as it is: a Const)
            cases.append((dtype, c, ad.Active, True))   # c Active
    for _ in range(3):   # (more signatures than one function keeps: each call still right)
        for dtype, c, ret, active in cases:
            x0 = rng.standard_normal(6).astype(dtype)
            y0 = rng.standard_normal(6).astype(dtype)
            seed = rng.standard_normal(6).astype(dtype)
            dy, dx = seed.copy(), np.zeros_like(x0)
            cz = c if active == "plain" else Active(float(c)) if active else Const(c)
            derivs = ad.autodiff(ad.Reverse, _scaled, ret, Duplicated(y0.copy(), dy), Duplicated(x0.copy(), dx),
                                 cz, backend=backend)
            want_dy, want_dx, want_dc = _want(y0.astype(float), x0.astype(float), float(c), seed.astype(float),
                                              1.0 if ret is ad.Active else 0.0)
            tol = 1e-12 if dtype is np.float64 else 1e-4
            np.testing.assert_allclose(dy, want_dy, rtol=tol, atol=tol)
            np.testing.assert_allclose(dx, want_dx, rtol=tol, atol=tol)
            if active is True:
                np.testing.assert_allclose(derivs[2], want_dc, rtol=tol)
            else:
                assert derivs[2] is None
    assert len(repeats._REPEATS.get(_scaled, ())) <= repeats._PER_FUNCTION


def _rows(y, x, k):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i, j] += k * x[i, j] ** 2


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_ranks_and_orders_alternate(backend, order):
    """A 2-D call between 1-D ones, its arrays and shadows in Fortran order (the
    same strides as each other: taken by the general path, which runs a C copy)."""
    if backend != "numpy":
        pytest.importorskip("numba")
    rng = np.random.default_rng(4)
    for _ in range(3):
        x0 = rng.standard_normal((3, 4))
        x = np.asfortranarray(x0) if order == "F" else x0.copy()
        dy = np.asfortranarray(np.ones((3, 4))) if order == "F" else np.ones((3, 4))
        dx = np.zeros_like(x)
        ad.autodiff(ad.Reverse, _rows, ad.Const, Duplicated(np.zeros_like(x), dy), Duplicated(x, dx), Const(2.0),
                    backend=backend)
        np.testing.assert_allclose(dx, 4.0 * x0, rtol=1e-13)
        np.testing.assert_allclose(dy, np.ones((3, 4)))
        x1 = rng.standard_normal(5)
        dy1, dx1 = np.ones(5), np.zeros(5)
        ad.autodiff(ad.Reverse, _scaled, ad.Const, Duplicated(np.zeros(5), dy1), Duplicated(x1.copy(), dx1),
                    Const(1.0), backend=backend)
        np.testing.assert_allclose(dx1, 2 * x1, rtol=1e-13)


@dataclasses.dataclass
class _Params:
    c: float
    w: np.ndarray


def _with_record(y, x, p):
    for i in range(x.shape[0]):
        y[i] = p.c * x[i] ** 2 + p.w[i] * x[i]


def test_a_record_whose_fields_change_between_repeats():
    """A Const record is read field by field on each call (never by the checker)."""
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal(4)
    p = _Params(2.0, rng.standard_normal(4))
    cp = Const(p)
    for c in (2.0, 5.0, -1.0):
        p.c = c
        p.w = rng.standard_normal(4)
        dx = np.zeros(4)
        ad.autodiff(ad.Reverse, _with_record, ad.Const, Duplicated(np.zeros(4), np.ones(4)),
                    Duplicated(x0.copy(), dx), cp)
        np.testing.assert_allclose(dx, 2 * c * x0 + p.w, rtol=1e-13)


def _power(v, k=2):
    return v ** k


def _through_a_default(y, x):
    for i in range(x.shape[0]):
        y[i] = _power(x[i])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_callee_default_changed_between_repeats(backend, monkeypatch):
    if backend != "numpy":
        pytest.importorskip("numba")
    x0 = np.array([0.5, -1.5, 2.0])

    def grad():
        dx = np.zeros(3)
        ad.autodiff(ad.Reverse, _through_a_default, ad.Const, Duplicated(np.zeros(3), np.ones(3)),
                    Duplicated(x0.copy(), dx), backend=backend)
        return dx
    for _ in range(2):
        np.testing.assert_allclose(grad(), 2 * x0, rtol=1e-13)
    monkeypatch.setattr(_power, "__defaults__", (3,))
    for _ in range(2):
        np.testing.assert_allclose(grad(), 3 * x0 ** 2, rtol=1e-13)


def _scaled_by(v, *, c=2.0):
    return v * c


def _through_a_keyword_default(x):
    for i in range(x.shape[0]):
        x[i] = _scaled_by(x[i])
    return np.sum(x)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_keyword_default_changed_in_its_dict(backend, monkeypatch):
    """``h.__kwdefaults__["c"] = 7.0`` changes the dict in place: the code made with 2.0 was
    kept (the check compared the dict object), on the repeat path and the general one."""
    if backend != "numpy":
        pytest.importorskip("numba")
    monkeypatch.setitem(_scaled_by.__kwdefaults__, "c", 2.0)
    for c in (2.0, 7.0, 7.0, -1.5):
        _scaled_by.__kwdefaults__["c"] = c
        x, dx = np.ones(3), np.zeros(3)
        _, value = ad.autodiff(ad.ReverseWithPrimal, _through_a_keyword_default, Active, Duplicated(x, dx),
                               backend=backend)
        assert value == pytest.approx(3 * c)
        np.testing.assert_allclose(x, c)
        np.testing.assert_allclose(dx, c)
        assert ad.gradient(_through_a_keyword_default, np.ones(3), backend=backend)[0] == pytest.approx([c] * 3)
