"""Where numba's numpy computes other values than numpy's, the numba backend computes
numpy's (each of these gave another primal, and derivatives through it, without an error,
under backend="numba" and under "auto", which picks numba for element loops): a float
``np.arange`` (numba steps by ``i * step``, numpy by ``(start + step) - start``: a grid's
middle point 0.0 against -2.2e-16, a branch on its sign taken the other way), ``np.clip``
(a nan bound dropped, an int array clipped to float bounds kept ints), ``np.linalg.norm``
(its inf norm skipped a nan), ``np.median`` (a nan ordered among the numbers), complex
``np.tanh`` (nan far from the imaginary axis), complex ``np.exp`` on the real axis where it overflows
(a nan imaginary part) and a complex power at 0 (nan). Against
running the function itself and against the numpy backend."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from optional import require

from adcompiler import (
    Active,
    Const,
    Duplicated,
    ForwardWithPrimal,
    ReverseWithPrimal,
    autodiff,
    backend_report,
)
from adcompiler.errors import BackendError

require("numba")


def grid_branch(x, y):
    t = np.arange(-1.0, 1.0 + 1e-12, 0.2)
    s = 0.0
    for i in range(x.shape[0]):
        if t[i] < 0.0:
            s += 5.0 * x[i]
        else:
            s += x[i] * x[i]
    y[0] = s
    return s


def grids(x, y):
    for i in range(x.shape[0]):
        y[i] = x[i] * (np.arange(-2.0, 2.05, 0.1)[i] + np.arange(-0.5, 0.55, 0.1)[i % 11] + np.arange(7)[i % 7])
    return float(np.sum(y))


def clip_int(x, idx, y):
    c = np.clip(idx, 0.5, 2.5)
    for i in range(x.shape[0]):
        y[i] = x[i] * c[i]
    return np.sum(y)


def clip_nan(x, lo, y):
    s = 0.0
    for i in range(x.shape[0]):
        y[i] = np.clip(x[i], lo[i], 1.0) * x[i]
        s += y[i]
    return s


def norm_stop(x, y):
    for _ in range(6):
        for i in range(x.shape[0]):
            y[i] = 0.5 * y[i] + x[i]
        if np.linalg.norm(y, np.inf) > 3.0:
            break
    return y[0] * y[0]


def median_branch(x, c, y):
    m = np.median(c)
    for i in range(x.shape[0]):
        if c[i] > m:
            y[i] = x[i] * x[i]
        else:
            y[i] = 2.0 * x[i]
    return np.sum(y)


def tanh_far(z, w):
    for i in range(z.shape[0]):
        w[i] = np.tanh(z[i]) * z[i]
    return np.sum(w.real)


def exp_overflowing(z, w):
    # (numba's exp of a complex number on the real axis, far out: inf + nan j, where numpy's is inf + 0j)
    w[:] = 1.0 / (1.0 + np.exp(-z)) + np.exp(z * 0.5) * 1e-300
    for i in range(z.shape[0]):
        w[i] = w[i] * 2.0 + 1.0 / (1.0 + np.exp(-z[i]))
    return np.sum(w.real)


def argsort_ties(x, keys, y):
    p = np.argsort(keys)
    for i in range(x.shape[0]):
        y[i] = x[p[i]] * x[p[i]] * (i + 1.0)
    return y[0] + y[5]


def tanh_far_array(Z, W):
    W[:, :] = np.tanh(Z[::-1, :]) * 2.0
    return np.sum(W.real)


def power_at_zero(z, w):
    for i in range(z.shape[0]):
        w[i] = z[i] ** (1.5 + 0.5j) + z[i]
    return np.sum(w.real)


def power_of_elements_at_zero(z, c, w):
    # (a complex element to a complex element's power: 0 at 0, numba's nan)
    for i in range(z.shape[0]):
        w[i] = z[i] ** c[i] + z[i]
    return np.sum(w.real)


def power_of_arrays_at_zero(z, c, w):
    w[:] = z ** c + z ** 2 * 0.5
    return np.sum(w.real)


def argpartition_sides(x, keys, y):
    # (numba's own np.argpartition puts other elements first: 4, 1, 6... where numpy's gives 6, 1, 4...)
    p = np.argpartition(keys, 3)
    for i in range(4):
        y[i] = x[p[i]] * x[p[i]] * (i + 1.0)
    return y[0] + y[2]


CASES = {
    "grid_branch": (grid_branch, lambda: [np.linspace(1, 2, 11), np.zeros(1)], (0,)),
    "grids": (grids, lambda: [np.linspace(-1, 1, 41), np.zeros(41)], (0,)),
    "clip_int": (clip_int, lambda: [np.array([1.0, 2.0, 3.0]), np.array([0, 1, 3]), np.zeros(3)], (0,)),
    "clip_nan": (clip_nan, lambda: [np.array([2.0, 0.1, 0.5]), np.array([np.nan, 0.0, -1.0]), np.zeros(3)], (0,)),
    "norm_stop": (norm_stop, lambda: [np.array([2.0, np.nan, 1.0]), np.zeros(3)], (0,)),
    "median_branch": (median_branch, lambda: [np.arange(5.0) + 1, np.array([np.nan, 5.0, 1.0, 2.0, 0.0]),
                                              np.zeros(5)], (0,)),
    "tanh_far": (tanh_far, lambda: [np.array([400 + 1j, 0.5 - 0.2j, -30 + 2j]), np.zeros(3, complex)], (0,)),
    "exp_overflowing": (exp_overflowing, lambda: [np.array([-800 + 0j, 0.5 - 0.2j, 1200 + 0j]), np.zeros(3, complex)],
                        (0,)),
    "argsort_ties": (argsort_ties, lambda: [np.arange(1.0, 19.0), np.array([1.0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1,
                                                                              0, 0, 1, 0]), np.zeros(18)], (0,)),
    "argpartition_sides": (argpartition_sides, lambda: [np.arange(1.0, 9.0), np.array([0.9, 0.1, 0.5, 0.3, 0.2, 0.8,
                                                                                       0.05, 0.6]), np.zeros(8)], (0,)),
    "tanh_far_array": (tanh_far_array, lambda: [np.array([[400 + 1j, 0.5 - 0.2j], [-30 + 2j, 1 + 1j]]),
                                                np.zeros((2, 2), complex)], (0,)),
    "power_at_zero": (power_at_zero, lambda: [np.array([0j, 0.5 + 0.5j]), np.zeros(2, complex)], (0,)),
    "power_of_arrays_at_zero": (power_of_arrays_at_zero, lambda: [
        np.array([0j, 0.5 + 0.5j]), np.array([1.5 + 0.5j, 2.0 + 0j]), np.zeros(2, complex)], (0,)),
    "power_of_elements_at_zero": (power_of_elements_at_zero, lambda: [
        np.array([0j, 0.5 + 0.5j]), np.array([1.5 + 0.5j, 2.0 + 0j]), np.zeros(2, complex)], (0,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_primal_and_derivatives_as_numpys(name):
    f, make, dup = CASES[name]
    args = make()
    if name in ("clip_nan", "median_branch", "clip_int", "argsort_ties", "argpartition_sides"):   # (Const data second)
        dup = (0, 2)
    ran = [a.copy() for a in args]
    with np.errstate(all="ignore"):
        want_value = f(*ran)
    got = {}
    for backend in ("numpy", "numba", "auto"):
        ann = [Duplicated(a.copy(), np.zeros_like(a)) if k in dup or k == len(args) - 1 else Const(a.copy())
               for k, a in enumerate(args)]
        with np.errstate(all="ignore"):
            _derivs, value = autodiff(ReverseWithPrimal, f, Active, *ann, backend=backend)
        np.testing.assert_allclose(value, want_value, rtol=1e-13, equal_nan=True)
        for a, r in zip(ann, ran):
            np.testing.assert_allclose(a.val, r, rtol=1e-13, equal_nan=True)
        got[backend] = [a.dval for a in ann if isinstance(a, Duplicated)]
        tangents = [Duplicated(a.val.copy() * 0 + r, np.ones_like(r)) if isinstance(a, Duplicated) else Const(r.copy())
                    for a, r in zip(ann, args)]
        with np.errstate(all="ignore"):
            t, v = autodiff(ForwardWithPrimal, f, Duplicated, *tangents, backend=backend)
        np.testing.assert_allclose(v, want_value, rtol=1e-13, equal_nan=True)
        got[backend].append(np.asarray(t))
    for backend in ("numba", "auto"):
        for g, w in zip(got[backend], got["numpy"]):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14, equal_nan=True)
    assert any(d.backend == "numba" for d in backend_report(f))


def times_big_int(x, y):
    for i in range(x.shape[0]):
        y[i] = x[i] * 2 ** 70
    return y[0]


def rounded(x, y):
    for i in range(x.shape[0]):
        y[i] = round(x[i]) * x[i] + math.floor(x[i]) + int(x[i] * 0.5)
    return y[0]


def test_ints_beyond_int64_are_refused_not_wrapped():
    """numba computes ints in int64: ``2 ** 70`` was 0 and ``round(1e19)`` -9.2e18, each a wrong primal
    and derivative without an error (under auto too). An int the code writes beyond int64 is refused
    when the code is generated (auto runs numpy); an int made from a float beyond it stops the call
    (auto then runs numpy)."""
    x = np.array([1.5, 2.0])
    for backend, want in (("numba", None), ("auto", 1.5 * 2 ** 70), ("numpy", 1.5 * 2 ** 70)):
        ann = [Duplicated(x.copy(), np.zeros(2)), Duplicated(np.zeros(2), np.zeros(2))]
        if want is None:
            with pytest.raises(BackendError, match=r"2 \*\* 70.*int64"):
                autodiff(ReverseWithPrimal, times_big_int, Active, *ann, backend=backend)
            continue
        _, value = autodiff(ReverseWithPrimal, times_big_int, Active, *ann, backend=backend)
        assert value == want and ann[0].dval[0] == 2.0 ** 70
    with pytest.raises(BackendError, match="int64"):
        autodiff(ReverseWithPrimal, rounded, Active, Duplicated(np.array([1e19, 2.5]), np.zeros(2)),
                 Duplicated(np.zeros(2), np.zeros(2)), backend="numba")
    big = [autodiff(ReverseWithPrimal, rounded, Active, Duplicated(np.array([1e19, 2.5]), np.zeros(2)),
                    Duplicated(np.zeros(2), np.zeros(2)), backend=b)[1] for b in ("auto", "numpy")]
    assert big[0] == big[1] == rounded(np.array([1e19, 2.5]), np.zeros(2))   # (auto ran numpy: Python's int)
    for backend in ("numba", "auto"):
        with pytest.raises(ValueError, match="NaN"):
            autodiff(ReverseWithPrimal, rounded, Active, Duplicated(np.array([np.nan, 2.5]), np.zeros(2)),
                     Duplicated(np.zeros(2), np.zeros(2)), backend=backend)
    small = np.array([-3.7, 2.5])
    got = [autodiff(ReverseWithPrimal, rounded, Active, Duplicated(small.copy(), np.zeros(2)),
                    Duplicated(np.zeros(2), np.zeros(2)), backend=b)[1] for b in ("numpy", "numba")]
    assert got[0] == got[1] == rounded(small.copy(), np.zeros(2))


def divmods(a, b, q, r):
    for i in range(a.shape[0]):
        q[i] = np.floor_divide(a[i], b[i])
        r[i] = np.remainder(a[i], b[i]) * 1.0
    return np.sum(r)


def test_floor_divide_and_remainder_of_numbers_as_numpys():
    """numba's np.floor_divide of numbers gave 0 for ``5 // -inf`` (numpy: -1) and its np.remainder
    a zero of the wrong sign (numpy's takes the divisor's): the values, signs of zeros included, are
    numpy's on edge values (infinities, nan, signed zeros, exact multiples)."""
    edge = [5.0, -3.0, 4.0, -4.0, 0.0, -0.0, 1e-300, 7.5, np.inf, -np.inf, np.nan, 2.0]
    a = np.array([u for u in edge for _ in edge])
    b = np.array([v for _ in edge for v in edge])
    want_q, want_r = np.zeros_like(a), np.zeros_like(a)
    with np.errstate(all="ignore"):
        divmods(a, b, want_q, want_r)
    for backend in ("numba", "auto"):
        q, r = np.zeros_like(a), np.zeros_like(a)
        with np.errstate(all="ignore"):
            autodiff(ReverseWithPrimal, divmods, Const, Const(a), Const(b), Duplicated(q, np.zeros_like(a)),
                     Duplicated(r, np.zeros_like(a)), backend=backend)
        np.testing.assert_array_equal(q, want_q)
        np.testing.assert_array_equal(r, want_r)
        np.testing.assert_array_equal(np.signbit(q), np.signbit(want_q))
        np.testing.assert_array_equal(np.signbit(r), np.signbit(want_r))
    assert any(d.backend == "numba" for d in backend_report(divmods))


@pytest.mark.parametrize("name", ["grid_branch", "clip_int", "argsort_ties", "argpartition_sides", "tanh_far",
                                  "tanh_far_array"])
def test_split_halves_with_fresh_shadows(name):
    """The same kernels through the numba split halves as the tapes drive them (fresh shadows),
    against finite differences (numpy's values through the halves too; the kernels without a nan
    in their data or a point where finite differences fail)."""
    from numba_engine import Numba

    from adcompiler import ReverseSplitWithPrimal
    from adcompiler.testing import check_grads
    f, make, _ = CASES[name]
    args = make()
    const = {"clip_int", "argsort_ties", "argpartition_sides"}
    ann = [Const(a.copy()) if k == 1 and name in const else Duplicated(a.copy(), np.zeros_like(a))
           for k, a in enumerate(args)]
    with np.errstate(all="ignore"):
        check_grads(f, *ann, ret=Active, mode=ReverseSplitWithPrimal, engine=Numba)


def complex_step(x, v):
    z = x + 1j * 1e-20 * v   # (a complex step: the imaginary part is the whole result)
    return float(np.sum(np.imag(1.0 / (1.0 + z ** 2)))) * 1e20


def complex_step_by_element(x, v):
    s = 0.0
    for i in range(x.shape[0]):
        z = x[i] + 1j * 1e-20 * v[i]
        s += (1.0 / (1.0 + z ** 3)).imag * 1e20 + (z ** -2).imag * 1e20
    return s


def test_whole_powers_of_complex_numbers_by_products():
    """numba's complex power to a whole exponent goes through exp and log (``z ** 1`` of
    -0.65+8e-21j: an imaginary part of 8e-17); numpy's multiplies. The tangent of ``z ** 2``,
    ``2 * z ** 1``, lost a complex step's derivative under numba and auto (-7866.8 for 0.1487)."""
    x, v = np.array([-0.65, -0.17, 1.66]), np.array([0.8, -2.1, 0.5])
    want = -2 * v * (1 - 3 * x ** 2) / (1 + x ** 2) ** 3   # (d/dx of the step's derivative, v * d/dx 1/(1+x^2))
    for backend in ("numpy", "numba", "auto"):
        for k in range(3):
            e = np.eye(3)[k]
            t = autodiff(ForwardWithPrimal, complex_step, Duplicated, Duplicated(x.copy(), e), Const(v.copy()),
                         backend=backend)[0]
            assert t == pytest.approx(want[k], rel=1e-12), backend
        t = autodiff(ForwardWithPrimal, complex_step_by_element, Duplicated, Duplicated(x.copy(), np.ones(3)),
                     Const(v.copy()), backend=backend)[0]
        want_loop = np.sum(v * (-3 * x * (2 - 4 * x ** 3) / (1 + x ** 3) ** 3) + v * 6 / x ** 4)
        assert t == pytest.approx(want_loop, rel=1e-11), backend


def gathered_squares(x, idx):
    return np.sum(x[idx] ** 2)


def element_squares(x, idx):
    s = 0.0
    for i in range(idx.shape[0]):
        s += x[idx[i]] * x[idx[i]]
    return s


def scattered(y, x, idx):
    y[idx] = x * 2.0


def test_indices_read_from_data_out_of_range_raise_as_numpy():
    """An index read from an int array out of range: numba's unchecked code read other memory (a
    wrong primal and tangent in forward mode) or wrote it (a corrupted heap); a function that reads
    an int array is compiled with bounds checks, and raises IndexError as numpy does."""
    from adcompiler import Forward, Reverse
    x = np.arange(1.0, 7.0)
    calls = [
        lambda: autodiff(ForwardWithPrimal, gathered_squares, Duplicated, Duplicated(x.copy(), np.ones(6)),
                         Const(np.array([0, 6])), backend="numba"),
        lambda: autodiff(Reverse, element_squares, Active, Duplicated(x.copy(), np.zeros(6)),
                         Const(np.array([0, 9])), backend="numba"),
        lambda: autodiff(Forward, scattered, Const, Duplicated(np.zeros(3), np.zeros(3)),
                         Duplicated(np.ones(2), np.ones(2)), Const(np.array([0, 1000])), backend="numba"),
    ]
    for call in calls:
        with pytest.raises(IndexError):
            call()
    dx = np.zeros(6)   # (in range, negative ones too: as numpy)
    autodiff(Reverse, element_squares, Active, Duplicated(x.copy(), dx), Const(np.array([0, 5, -1])), backend="numba")
    np.testing.assert_allclose(dx, [2.0, 0, 0, 0, 0, 24.0])
