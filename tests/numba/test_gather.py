"""Adjoint loops that add into neighbours, gathered under numba
(``backends/numba_gather.py``): the decision on generated code, and the
derivatives of stencils of each shape against the numpy backend and finite
differences (the gathered form where its run-time conditions hold, the loop
as it was where they do not)."""
from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from backend_kernels import heat, heat_swap
from numba_engine import Numba
from optional import require

import adcompiler.backends.numba_rewrite as rewrite
from adcompiler import (
    Active,
    Const,
    Duplicated,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
)
from adcompiler import gradient as ad_gradient
from adcompiler.analysis.kinds import Kind
from adcompiler.backends.numba_gather import gathered
from adcompiler.testing import check_grads

require("numba")

ARRAY, FLOAT, INT = Kind("array", 1, "f"), Kind("float"), Kind("int")


def _decide(src, kinds=None):
    fn = ast.parse(textwrap.dedent(src)).body[0]
    loop = next(s for s in ast.walk(fn) if isinstance(s, ast.For) and s.target.id == "i")
    kinds = {"du": ARRAY, "dw": ARRAY, "dv": ARRAY, "u": ARRAY, "r": FLOAT, "n": INT, "m": INT, "k": INT, "dr": FLOAT,
             "D": Kind("array", 2, "f"), **(kinds or {})}
    count = iter(range(1, 100))
    return gathered(loop, fn, kinds.get, lambda: next(count))


GATHERED = {
    "the arrays under second names bound once before the loop": """
        def f(du, dw, n):
            dw_1 = dw
            du_1 = du
            du_1 += 1.0
            for i in range(1, n - 1):
                _d = dw_1[i]
                dw_1[i] = 0.0
                du_1[i + 1] += _d
                du[i - 1] += _d
    """,
    "the heat stencil's adjoint": """
        def f(du, dw, r, n):
            for i in range(1, n - 1):
                _d = dw[i]
                dw[i] = 0.0
                du[i + 1] += _d * r
                du[i] += _d * (1.0 - 2.0 * r)
                du[i - 1] += _d * r
    """,
    "offsets far apart, subtracted": """
        def f(du, u, dw, n):
            for i in range(3, n - 2):
                du[i - 3] -= dw[i] * np.cos(u[i])
                du[i + 2] += dw[i]
    """,
    "a row that does not change in the loop": """
        def f(D, dw, k, n):
            for i in range(1, n):
                D[k, i - 1] += dw[i]
                D[k, i] += 2.0 * dw[i]
    """,
}
GATHERED["names read before the loop, the variable in later loops"] = """
    def f(du, dw, n):
        _t = dw[0]
        du[0] += _t
        for i in range(1, n - 1):
            _t = dw[i]
            du[i + 1] += _t
            du[i - 1] += _t
        for i in range(n):
            du[i] += 1.0
"""
GATHERED["a coefficient's adjoint summed into"] = """
    def f(du, dw, u, r, n):
        dr = 0.0
        for i in range(1, n - 1):
            _d = dw[i]
            dw[i] = 0.0
            dr = dr + _d * u[i - 1]
            du[i + 1] += _d * r
            du[i - 1] += _d * r
        return dr
"""
GATHERED["counted down (two names that may hold one array: loop_order keeps the order)"] = """
    def f(du, dw, n):
        for i in range(n - 2, 0, -1):
            _d = dw[i]
            dw[i] = 0.0
            du[i + 1] += _d
            du[i - 1] += _d
"""
# (the shadows of two buffers whose names swap after each step: arrays under local names,
# taken where a guard at run time finds them apart)
SWAPPED = """
    def f(du, dv, n, m):
        du_1 = du
        dv_1 = dv
        for t in range(m):
            du_1, dv_1 = dv_1, du_1
            for i in range(n - 2, 0, -1):
                _d = dv_1[i]
                dv_1[i] = 0.0
                du_1[i + 1] += _d
                du_1[i - 1] += _d
"""


def test_local_names_gathered_under_a_guard():
    out = _decide(SWAPPED, {"du_1": ARRAY, "dv_1": ARRAY})
    assert out is not None
    assert "_ad_apart(du_1, dv_1)" in ast.unparse(out[-1].test)
    assert _decide(SWAPPED) is None   # (their kinds not known)


KEPT = {
    "a sum read in the loop": """
        def f(du, dw, r, n):
            dr = 0.0
            for i in range(1, n - 1):
                dr = dr + dw[i]
                du[i + 1] += dr
                du[i - 1] += dw[i]
    """,
    "the array added into is read": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du[i + 1] += dw[i]
                _t = du[i]
                dw[i] += _t
    """,
    "an element read after its reset": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                dw[i] = 0.0
                du[i + 1] += dw[i]
                du[i - 1] += dw[i]
    """,
    "an element of the reset array at another index": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                _d = dw[i + 1]
                dw[i] = 0.0
                du[i + 1] += _d
                du[i - 1] += _d
    """,
    "a name carried from one iteration to the next": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du[i + 1] += _t
                _t = dw[i]
                du[i - 1] += _t
    """,
    "an array used whole": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du[i + 1] += np.sum(dw)
                du[i - 1] += dw[i]
    """,
    "an array parameter bound again": """
        def f(du, dw, n):
            du = dw
            for i in range(1, n - 1):
                du[i + 1] += dw[i]
                du[i - 1] += dw[i]
    """,
    "the variable read after the loop": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du[i + 1] += dw[i]
                du[i - 1] += dw[i]
            du[0] += i
    """,
    "the variable read in a later loop's range": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du[i + 1] += dw[i]
                du[i - 1] += dw[i]
            for i in range(i):
                du[i] += 1.0
    """,
    "a name read before the loop inside a loop around it": """
        def f(du, dw, n, m):
            for k in range(m):
                du[0] += _t
                for i in range(1, n - 1):
                    _t = dw[i]
                    du[i + 1] += _t
                    du[i - 1] += _t
    """,
    "a second name of an array read where the first is added into": """
        def f(du, dw, n):
            du_1 = du
            for i in range(1, n - 1):
                du_1[i + 1] += dw[i]
                du_1[i - 1] += du[i]
    """,
    "a second name bound again": """
        def f(du, dw, n):
            du_1 = du
            for i in range(1, n - 1):
                du_1[i + 1] += dw[i]
                du_1[i - 1] += dw[i]
            du_1 = dw
    """,
    "a second name bound after the loop": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du_1[i + 1] += dw[i]
                du_1[i - 1] += dw[i]
            du_1 = du
    """,
    "a step other than one": """
        def f(du, dw, n):
            for i in range(1, n - 1, 2):
                du[i + 1] += dw[i]
                du[i - 1] += dw[i]
    """,
    "every addition at the variable itself": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du[i] += dw[i]
                du[i] += 2.0 * dw[i]
    """,
    "a local array read": """
        def f(du, dw, n):
            v = du[1:]
            for i in range(1, n - 1):
                du[i + 1] += v[i]
                du[i - 1] += dw[i]
    """,
    "a call of a function of the user's": """
        def f(du, dw, n):
            for i in range(1, n - 1):
                du[i + 1] += g(dw[i])
                du[i - 1] += dw[i]
    """,
    "a value whose kind is not known": """
        def f(du, dw, s, n):
            for i in range(1, n - 1):
                du[i + 1] += dw[i] * s
                du[i - 1] += dw[i]
    """,
}


@pytest.mark.parametrize("name", sorted(GATHERED))
def test_gathered(name):
    assert _decide(GATHERED[name]) is not None


@pytest.mark.parametrize("name", sorted(KEPT))
def test_kept(name):
    assert _decide(KEPT[name]) is None


# -- the derivatives ---------------------------------------------------------------------------

def heat_step(w, u, r):
    n = u.shape[0]
    for i in range(1, n - 1):
        w[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])


def far_offsets(w, u):
    n = u.shape[0]
    for i in range(3, n - 2):
        w[i] = 0.5 * u[i - 3] * u[i - 3] - np.sin(u[i + 2])


def wrapping(w, u):
    n = u.shape[0]
    for i in range(n - 1):           # u[i - 1] is u[-1] at i = 0: the loop as it was
        w[i] = u[i - 1] * 2.0 + u[i + 1]


def two_inputs(w, u, v):
    n = u.shape[0]
    for i in range(1, n - 1):
        w[i] = u[i - 1] * v[i + 1] - v[i - 1]


def rows(W, U, c):
    m, n = U.shape
    for k in range(m):
        for i in range(1, n):
            W[k, i] = c * U[k, i - 1] + U[k, i] ** 2


def scaled_after(w, u):
    n = u.shape[0]
    for i in range(1, n - 1):
        w[i] = u[i - 1] * 0.25 + np.sin(u[i + 1])
    w *= 2.0   # (w under a second name in the generated code: the loop gathers all the same)


time_steps = heat   # (the benchmark's heat stencil: time steps around the stencil)


def _args(f, n, rng):
    x = lambda *s: rng.uniform(0.5, 1.5, s)
    return {heat_step: [x(n), x(n), 0.3], far_offsets: [x(n), x(n)], wrapping: [x(n), x(n)],
            two_inputs: [x(n), x(n), x(n)], rows: [x(3, n), x(3, n), 0.7], time_steps: [x(n), x(n), 0.2, 3],
            scaled_after: [x(n), x(n)]}[f]


def _run(f, vals, backend, seeds):
    vals = [v.copy() if isinstance(v, np.ndarray) else v for v in vals]
    shadows = [s.copy() if s is not None else None for s in seeds]
    ann = [Duplicated(v, d) if isinstance(v, np.ndarray) else Const(v) for v, d in zip(vals, shadows)]
    autodiff(Reverse, f, Const, *ann, backend=backend)
    return [v for v in vals if isinstance(v, np.ndarray)] + [d for d in shadows if d is not None]


KERNELS = [heat_step, far_offsets, wrapping, two_inputs, rows, time_steps, scaled_after]


@pytest.mark.parametrize("f", KERNELS, ids=[f.__name__ for f in KERNELS])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 9, 40])
def test_gathered_stencils_against_numpy_and_finite_differences(f, n, monkeypatch):
    rng = np.random.default_rng(n)
    vals = _args(f, n, rng)
    seeds = [rng.standard_normal(v.shape) if isinstance(v, np.ndarray) else None for v in vals]
    made = []
    monkeypatch.setattr(rewrite, "gathered", lambda *a: made.append(gathered(*a)) or made[-1])
    got = _run(f, vals, "numba", seeds)
    want = _run(f, vals, "numpy", seeds)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
    if f is not wrapping and made:   # (compiled once per kernel in this process)
        assert any(m is not None for m in made)
    if n in (4, 9):   # (split mode driven as the tapes drive it: fresh shadows for each half)
        for mode in (Reverse, ReverseSplitWithPrimal):
            check_grads(f, *[Duplicated(v.copy(), np.zeros_like(v)) if isinstance(v, np.ndarray) else Const(v)
                             for v in vals], ret=Const, mode=mode, engine=Numba)


def stencil_loss(x, y):
    n = x.shape[0]
    for i in range(1, n - 1):
        y[i] = x[i - 1] * 0.25 + np.sin(x[i + 1])
    return float(np.sum(y * y))


def test_gathered_under_a_loss_updating_the_shadow_whole(monkeypatch):
    """The reverse sweep adds into ``dy`` whole (``dy += ...``) before the loop: an
    update in place, not a binding, so the loop still gathers."""
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0.5, 1.5, 9), rng.uniform(0.5, 1.5, 9)
    made = []
    monkeypatch.setattr(rewrite, "gathered", lambda *a: made.append(gathered(*a)) or made[-1])
    got = ad_gradient(stencil_loss, x.copy(), y.copy(), backend="numba")
    want = ad_gradient(stencil_loss, x.copy(), y.copy())
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
    assert any(m is not None for m in made)
    check_grads(stencil_loss, Duplicated(x.copy(), np.zeros(9)), Duplicated(y.copy(), np.zeros(9)), engine=Numba)


def coefficient_loss(x, y, c):
    n = x.shape[0]
    for i in range(1, n - 1):
        y[i] = x[i - 1] * c + np.sin(x[i + 1]) * c
    return float(np.sum(y * y))


@pytest.mark.parametrize("n", [2, 3, 5, 12])
def test_gathered_with_a_coefficient_differentiated(n, monkeypatch):
    """An Active coefficient every iteration reads: its adjoint is a sum over the
    iterations (a reduction, run in a loop of its own), and the loop still gathers."""
    rng = np.random.default_rng(n)
    x, y = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
    made = []
    monkeypatch.setattr(rewrite, "gathered", lambda *a: made.append(gathered(*a)) or made[-1])
    got = ad_gradient(coefficient_loss, x.copy(), y.copy(), 0.7, backend="numba")
    want = ad_gradient(coefficient_loss, x.copy(), y.copy(), 0.7)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
    assert not made or any(m is not None for m in made)
    check_grads(coefficient_loss, Duplicated(x.copy(), np.zeros(n)), Duplicated(y.copy(), np.zeros(n)),
                Active(0.7), engine=Numba)


def maybe_one_buffer(u, v, r, steps, one):
    """Two buffers swapped after each step, or (``one``) the second name bound to the
    first array: then the reverse sweep's two shadow names hold one array, and the
    gathered form's guard (``_ad_apart``) keeps the loop as it was."""
    n = u.shape[0]
    for _ in range(steps):
        for i in range(1, n - 1):
            v[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        if one:
            u = v
        else:
            u, v = v, u
    return float(np.sum(u * u))


def overlapping_views(x, r):
    """Views of one array under two local names, overlapping: the guard finds them apart
    nowhere and the loop runs as it was."""
    a = x[1:]
    b = x[:-1]
    n = a.shape[0]
    for i in range(1, n - 1):
        b[i] = a[i] + r * (a[i - 1] + a[i + 1])
    return float(np.sum(x * x))


def _made(monkeypatch):
    made = []
    monkeypatch.setattr(rewrite, "gathered", lambda *a: made.append(gathered(*a)) or made[-1])
    return made


@pytest.mark.parametrize("steps", [1, 2, 3])
@pytest.mark.parametrize("n", [3, 4, 7, 30])
def test_swapped_buffers_gathered_against_numpy_and_finite_differences(n, steps, monkeypatch):
    rng = np.random.default_rng(n + steps)
    vals = [rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n), 0.2, steps]
    seeds = [rng.standard_normal(n), rng.standard_normal(n), None, None]
    made = _made(monkeypatch)
    got = _run(heat_swap, vals, "numba", seeds)
    want = _run(heat_swap, vals, "numpy", seeds)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
    assert not made or any(m is not None and "_ad_apart" in ast.unparse(m) for m in made)
    if n in (4, 7):   # (the split halves record which argument each swapped name's shadow is: numba_roots)
        for mode in (Reverse, ReverseSplitWithPrimal):
            check_grads(heat_swap, Duplicated(vals[0].copy(), np.zeros(n)), Duplicated(vals[1].copy(), np.zeros(n)),
                        Const(0.2), Const(steps), ret=Const, mode=mode, engine=Numba)


@pytest.mark.parametrize("one", [False, True])
def test_two_names_of_one_buffer_keep_the_loop(one):
    rng = np.random.default_rng(5)
    u, v = rng.uniform(0.5, 1.5, 9), rng.uniform(0.5, 1.5, 9)
    got = ad_gradient(maybe_one_buffer, u.copy(), v.copy(), 0.2, 3, one, backend="numba")
    want = ad_gradient(maybe_one_buffer, u.copy(), v.copy(), 0.2, 3, one)
    for g, w in zip(got[:2], want[:2]):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
    check_grads(maybe_one_buffer, Duplicated(u.copy(), np.zeros(9)), Duplicated(v.copy(), np.zeros(9)),
                Const(0.2), Const(3), Const(one), engine=Numba)


def test_overlapping_views_keep_the_loop():
    x = np.random.default_rng(6).uniform(0.5, 1.5, 10)
    got = ad_gradient(overlapping_views, x.copy(), 0.3, backend="numba")
    want = ad_gradient(overlapping_views, x.copy(), 0.3)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-13)
    check_grads(overlapping_views, Duplicated(x.copy(), np.zeros(10)), Const(0.3), engine=Numba)
