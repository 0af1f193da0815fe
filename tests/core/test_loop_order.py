"""Reversed loops whose iterations commute run forward (transform/loop_order.py):
the decision on generated code, and the derivatives of loops of each kind
against finite differences."""
from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler.transform.loop_order import counting_var, drop_self_reset, order_free

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from backend_kernels import gemm, heat


def _body(src):
    return ast.parse(textwrap.dedent(src)).body


def _cell(name):
    return name


FREE = {
    "accumulations": """
        _g = dacc
        _t4 = a[i, k]
        db[k, j] += _g * _t4
        da[i, k] += _g * b[k, j]
    """,
    "a reset to one constant": """
        dc[i] = 0.0
        dx[i] += 2.0 * w
    """,
    "a nested loop with its own names": """
        for j in range(m):
            _t = a[i, j]
            dx[j] += _t * g
    """,
    "numpy functions of read-only values": """
        _t1 = np.cos(x[i])
        dx[i] += _t1 * g
    """,
}
FREE.update({
    "a coefficient's adjoint summed into (a reduction)": """
        _d = g * x[i]
        dc = dc + _d * y[i]
        dy[i] += _d * c
    """,
    "two reductions, one subtracted, one augmented": """
        ds = ds - x[i]
        dt += 2.0 * x[i]
    """,
})
CARRIED = {
    "a sum read in the body": """
        dc = dc + g * x[i]
        dx[i] += dc
    """,
    "a sum whose term reads it": """
        dc = dc + dc * x[i]
    """,
    "a sum reset in the body": """
        dc = dc + x[i]
        dc = 0.0
    """,

    "a recurrence (ds read and accumulated)": """
        _d = ds[i]
        ds[i] = 0.0
        ds[i - 1] += _d * a[i]
    """,
    "a scalar carried to the next iteration": """
        _g = dacc
        dacc = 0.0
        dacc = dacc + _g * 0.5
        dx[i] += _g
    """,
    "a tape pop": """
        x[i] = _tape.pop()
        dx[i] += 1.0
    """,
    "a user function": """
        dx[i] += helper(x[i])
    """,
    "an array used whole": """
        dx[i] += np.sum(dx)
    """,
    "two different constants stored": """
        dc[i] = 0.0
        dc[0] = 1.0
    """,
    "a name read before it is bound": """
        dx[i] += t
        t = x[i]
    """,
    "a name bound in a nested loop read after it": """
        for j in range(m):
            t = a[i, j]
        dx[i] += t
    """,
    "a name bound in a nested loop read in the loop after it": """
        for j in range(m):
            t = a[i, j]
        for k in range(p):
            dx[k] += t
    """,
}


@pytest.mark.parametrize("name", sorted(FREE))
def test_order_free(name):
    assert order_free(_body(FREE[name]), _cell)


@pytest.mark.parametrize("name", sorted(CARRIED))
def test_order_matters(name):
    assert not order_free(_body(CARRIED[name]), _cell)


OWN = {
    "a scalar a nested loop binds, read in a loop nested in that one": """
        for j in range(m):
            _d = dc[i, j]
            dc[i, j] = 0.0
            for k in range(p):
                da[i, k] += _d * b[k, j]
    """,
    "read, reset and accumulated at its own element": """
        _d = du[i]
        du[i] = 0.0
        dw[i] += _d
    """,
    "its own row in a nested loop": """
        for j in range(m):
            _d = du[i, j]
            du[i, j] = 0.0
            dx[i, j] += _d * x[j, i]
    """,
    "its own column, two constants": """
        _d = du[0, i] + du[1, i]
        du[0, i] = 0.0
        du[1, i] = 1.0
    """,
    "a neighbour accumulated (the heat stencil's adjoint): du only summed into": """
        _d = dw[i]
        dw[i] = 0.0
        du[i + 1] += _d * r
        du[i - 1] += _d * r
        du[i] += _d
    """,
}
NOT_OWN = {
    "the variable after an ellipsis (another axis than the same position without)": """
        _d = dw[:, i]
        dw[:, i] = 0.0
        dw[..., i] = 0.0
        du[i] += _d
    """,
    "the variable after a new axis": """
        _d = dw[0, i]
        dw[None, i, 1] = 0.0
        du[i] += _d
    """,
    "a neighbour accumulated and read": """
        _d = dw[i]
        dw[i] = 0.0
        du[i + 1] += _d
        _e = du[i]
        dx[i] += _e
    """,
    "a neighbour accumulated and reset": """
        _d = dw[i]
        dw[i] = 0.0
        du[i + 1] += _d
        du[i] = 0.0
    """,
    "its own element read, a neighbour of the same memory accumulated": """
        _d = dw[i]
        dw[i] = 0.0
        dw[i + 1] += _d
    """,
    "the variable at two positions": """
        _d = du[i, 0]
        du[0, i] = 0.0
    """,
    "an element of another index": """
        _d = du[i]
        du[i] = 0.0
        du[k] += _d
    """,
    "the name rebound in the body": """
        _d = du[i]
        du[i] = 0.0
        du = dv
        du[i] += _d
    """,
    "the variable rebound in the body": """
        _d = du[i]
        du[i] = 0.0
        i = i + 1
        du[i] += _d
    """,
    "the memory used whole": """
        _d = du[i] + np.sum(du)
        du[i] = 0.0
    """,
}


@pytest.mark.parametrize("name", sorted(OWN))
def test_own_elements_are_order_free(name):
    """Memory read and written, where each iteration keeps to its own elements."""
    body = _body(OWN[name])
    assert order_free(body, _cell, "i")
    assert not order_free(body, _cell)          # (the variable unknown: no)
    assert not order_free(body, _cell, "j")


@pytest.mark.parametrize("name", sorted(NOT_OWN))
def test_shared_elements_are_not_order_free(name):
    assert not order_free(_body(NOT_OWN[name]), _cell, "i")


def test_own_elements_through_two_views():
    """``v`` and ``du`` name one memory (``v = du[1:]``): ``v[i]`` is ``du[i + 1]``."""
    body = _body("""
        _d = v[i]
        du[i] = 0.0
    """)
    assert not order_free(body, lambda n: "du" if n in ("v", "du") else n, "i")


@pytest.mark.parametrize("src, var", [("for i in range(n): pass", "i"), ("for i in range(1, n): pass", "i"),
                                      ("for i in range(0, n, 2): pass", "i"), ("for i in range(-2, n): pass", None),
                                      ("for i in range(lo, n): pass", None), ("for i in range(n, 0, -1): pass", None),
                                      ("for i in x: pass", None)])
def test_counting_var(src, var):
    """Distinct, non-negative values only (``x[-1]`` and ``x[n - 1]`` are one element)."""
    assert counting_var(_body(src)[0]) == var


def test_views_share_memory():
    """``v`` views ``ds``: accumulating into one and reading the other is carried."""
    body = _body("""
        _d = v[i]
        ds[i - 1] += _d
    """)
    assert order_free(body, _cell)
    assert not order_free(body, lambda n: "ds" if n in ("v", "ds") else n)


def test_the_adjoint_of_an_accumulation_is_no_reset():
    body = drop_self_reset(_body("""
        _g = dacc
        dacc = 0.0
        dacc = dacc + _g
        db[k] += _g
    """))
    assert [ast.unparse(s) for s in body] == ["_g = dacc", "db[k] += _g"]


def horner_rows(y, A, x):
    n, m = A.shape
    for i in range(n):
        acc = 0.0
        for k in range(m):
            acc = 0.5 * acc + A[i, k] * x[k]
        y[i] = acc


def scatter(y, x, idx):
    for i in range(x.shape[0]):
        y[idx[i]] += x[i] * x[i]


def copy_rows(y, dst, src):
    """Each reversed iteration reads and resets its own elements of ``dy`` (run forward)."""
    for i in range(src.shape[0]):
        for j in range(src.shape[1]):
            dst[i, j] = src[i, j] * y[i]
    for i in range(2):
        y[i] = y[i] * dst[i, 0]


def last_value(y, a, out):
    """``acc``'s adjoint enters the reversed loop nonzero (the read after it): kept reversed."""
    acc = 0.0
    for i in range(a.shape[0]):
        acc = 2.0 * a[i]
        y[i] = acc * acc
    out[0] = acc * 3.0


def rows_then_columns(y, A, x):
    """Three nested loops, an accumulator per (i, j) and one per i: the reversed loops
    run forward once the accumulators' first terms are assignments."""
    n, m = A.shape
    for i in range(n):
        tot = 0.0
        for j in range(m):
            acc = 0.0
            for k in range(x.shape[0]):
                acc += A[i, j] * x[k] ** 2
            tot = tot + acc * A[i, j]
        y[i] = tot


def test_accumulators_zero_at_each_iteration_run_forward():
    # gemm's reversed i and j loops read ``dacc`` first until the zero adjoints are known
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), np.zeros((3, 2))
    src = ad.adjoint_source(gemm, *(ad.Duplicated(v, np.zeros_like(v)) for v in (c, a, b)), ret=ad.Const)
    rev = src[src.index("def gemm_reverse"):]
    rev = rev[:rev.index("return")]
    assert "for i in range(n)" in rev.split("dacc = 0.0", 1)[1] and "reversed(" not in rev
    src = ad.adjoint_source(last_value, *(ad.Duplicated(v, np.zeros_like(v)) for v in (np.zeros(3), a[0], np.zeros(1))),
                            ret=ad.Const)
    assert "reversed(" in src[src.index("def last_value_reverse"):]


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("f", [gemm, horner_rows, scatter, heat, copy_rows, last_value, rows_then_columns],
                         ids=lambda f: f.__name__)
def test_derivatives(f, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    rng = np.random.default_rng(3)
    if f is scatter:
        args = [ad.Duplicated(np.zeros(3), np.zeros(3)), ad.Duplicated(rng.standard_normal(5), np.zeros(5)),
                ad.Const(np.array([0, 2, 0, 1, 2]))]
    elif f is gemm:
        args = [ad.Duplicated(np.zeros((3, 2)), np.zeros((3, 2))),
                ad.Duplicated(rng.standard_normal((3, 4)), np.zeros((3, 4))),
                ad.Duplicated(rng.standard_normal((4, 2)), np.zeros((4, 2)))]
    elif f is heat:
        args = [ad.Duplicated(rng.standard_normal(6), np.zeros(6)), ad.Duplicated(np.zeros(6), np.zeros(6)),
                ad.Const(0.2), ad.Const(3)]
    elif f is last_value:
        args = [ad.Duplicated(np.zeros(4), np.zeros(4)), ad.Duplicated(rng.standard_normal(4), np.zeros(4)),
                ad.Duplicated(np.zeros(1), np.zeros(1))]
    elif f is copy_rows:
        args = [ad.Duplicated(rng.standard_normal(3), np.zeros(3)), ad.Duplicated(np.zeros((3, 2)), np.zeros((3, 2))),
                ad.Duplicated(rng.standard_normal((3, 2)), np.zeros((3, 2)))]
    else:
        args = [ad.Duplicated(np.zeros(3), np.zeros(3)), ad.Duplicated(rng.standard_normal((3, 4)), np.zeros((3, 4))),
                ad.Duplicated(rng.standard_normal(4), np.zeros(4))]
    if backend == "numpy":
        # every entry point: autodiff in each mode, split halves with fresh shadows, the emitted
        # module, forward and vector mode, differentiate on the three tapes
        check_everywhere(f, *args, ret=ad.Const, out=f.__code__.co_varnames[0], tapes=("autograd", "torch", "jax"))
    if backend == "numba":
        vals = [a.val.copy() if isinstance(a, ad.Duplicated) else a.val for a in args]
        seeds = [rng.standard_normal(a.val.shape) if isinstance(a, ad.Duplicated) else None for a in args]
        out = {}
        for be in ("numpy", "numba"):
            xs = [v.copy() if isinstance(v, np.ndarray) else v for v in vals]
            ann = [ad.Duplicated(x, s.copy()) if s is not None else ad.Const(x) for x, s in zip(xs, seeds)]
            ad.autodiff(ad.Reverse, f, ad.Const, *ann, backend=be)
            out[be] = [a.dval for a in ann if isinstance(a, ad.Duplicated)]
        for g, w in zip(out["numba"], out["numpy"]):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


def _planes(u, w):
    for i in range(3):
        w[:, i] = 0.5 * u[i] + 1.0
        w[..., i] = 0.0
    return np.sum(w ** 2)


def _new_axis(u, w):
    for i in range(3):
        w[0, i] = u[i] * u[i]
        w[None, i, 1] = 0.5 * u[i]
    return np.sum(w ** 2)


@pytest.mark.parametrize("f,shape", [(_planes, (2, 3, 3)), (_new_axis, (3, 3))], ids=["ellipsis", "newaxis"])
def test_positions_moved_by_an_ellipsis_or_a_new_axis(f, shape):
    """``w[:, i]`` and ``w[..., i]`` put ``i`` at one position of the index but on
    different axes (and ``w[None, i, 1]`` against ``w[0, i]``): the reversed loop was
    run forward as if each iteration kept to its own elements (gradient 0 where
    0.7, 8.2)."""
    check_everywhere(f, ad.Duplicated(np.array([0.4, -1.3, 2.1]), np.zeros(3)),
                     ad.Duplicated(np.zeros(shape), np.zeros(shape)))
