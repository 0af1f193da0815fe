"""``return`` inside loops (Newton iterations, searches): the loops are left as
by ``break`` and the function returns after them; every entry point, both
paths (returning in the loop or after it), and the numba backend."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Active, Const, Duplicated


def newton_sqrt(a, x0):
    x = x0 * 1.0
    for it in range(50):
        dx = (x * x - a[0]) / (2.0 * x)
        x = x - dx
        if abs(dx) < 1e-12:
            return x
    return x

def first_above(x, t):
    for i in range(x.shape[0]):
        if x[i] > t:
            return x[i] * 2.0
    return 0.0

def nested(x, y):
    for i in range(x.shape[0]):
        for j in range(y.shape[0]):
            if x[i] * y[j] > 1.0:
                return x[i] * y[j] + np.sum(x)
    return np.sum(x * x)

def while_ret(x):
    s = 0.0
    k = 0
    while k < x.shape[0]:
        s += x[k] ** 2
        if s > 2.0:
            return s
        k += 1
    return -s

def writes_then_returns(y, x):
    for i in range(x.shape[0]):
        y[i] = x[i] * 3.0
        if x[i] > 1.0:
            return
    y[0] += 1.0


X = np.array([0.3, 0.9, 1.4, 0.2])
Y = np.array([0.5, 1.2, 0.8])


def D(x):
    x = np.array(x, dtype=float)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    ("newton", newton_sqrt, lambda: [D([2.0]), Active(1.5)], ()),
    ("found", first_above, lambda: [D(X), Const(1.0)], ()),
    ("not_found", first_above, lambda: [D(X), Const(5.0)], ()),
    ("nested_inner", nested, lambda: [D(X), D(Y)], ()),
    ("nested_after", nested, lambda: [D(X * 0.1), D(Y)], ()),
    ("while_inner", while_ret, lambda: [D(X)], ()),
    ("while_after", while_ret, lambda: [D(X * 0.3)], ()),
    ("bare_return_inner", writes_then_returns, lambda: [D(np.zeros(4)), D(X)], ("y",)),
    ("bare_return_after", writes_then_returns, lambda: [D(np.zeros(4)), D(X * 0.1)], ("y",)),
]


@pytest.mark.parametrize("f,args,out", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_return_in_loops_everywhere(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "torch", "jax"))


@pytest.mark.parametrize("f,args", [(c[1], c[2]) for c in CASES if not c[3]], ids=[c[0] for c in CASES if not c[3]])
def test_return_in_loops_under_numba(f, args):
    check_numba_gradient(f, *args())


def return_in_a_tuple_loop(u, v):
    for a in (u, v):
        if a[0] > 0.5:
            return float(np.sum(a))
    return 0.0


@pytest.mark.parametrize("u", [[0.7, 0.1], [0.2, 0.3]], ids=["returns_in_the_first_copy", "returns_after"])
def test_return_in_a_loop_over_a_tuple_written_out(u):
    """The loop is unrolled before returns are made one exit (frontend/unroll): a return in a copy of
    the body is a return in straight code (it was refused: a SyntaxError from the generated code)."""
    check_everywhere(return_in_a_tuple_loop, D(u), D([0.6, 0.3]), out=(), tapes=("autograd", "torch", "jax"))


def newton_sqrt(x, y, tol):
    for i in range(x.shape[0]):
        r = x[i]
        for _ in range(50):
            step = (r * r - x[i]) / (2 * r)
            r = r - step
            if abs(step) < tol:
                break
        else:
            r = -1.0
        y[i] = r * 2.0


def scan_first(x):
    s = 0.0
    for i in range(x.shape[0]):
        if x[i] > 1.5:
            s += x[i] ** 2
            break
        s += x[i]
    else:
        s *= 10.0
    return s


def while_else(x):
    s = 0.0
    k = 0
    while k < x.shape[0]:
        s += x[k] * x[k]
        if s > 100.0:
            break
        k += 1
    else:
        s = s * 3.0
    return s


@pytest.mark.parametrize("x0", [[0.5, 2.0, 1.3, 0.7], [0.5, 0.2, 1.3, 0.7], [5.0, 9.0, 1.0, 2.0]])
def test_loop_else_clauses_everywhere(x0):
    """A loop's ``else:`` clause runs when the loop ends without ``break`` (it
    was refused): a Newton iteration that gives up, a scan that stops at the
    first large value, a while loop; both paths, every entry point."""
    x = np.array(x0)
    for f in (scan_first, while_else):
        check_everywhere(f, Duplicated(x.copy(), np.zeros(4)), ret=Active, out=(), tapes=("autograd", "torch", "jax"))
        check_numba_gradient(f, Duplicated(x.copy(), np.zeros(4)))
    for tol in (1e-12, -1.0):   # (converged: a break; never: the else clause)
        check_everywhere(newton_sqrt, Duplicated(np.abs(x) + 0.1, np.zeros(4)), Duplicated(np.zeros(4), np.zeros(4)),
                         Const(tol), out="y", tapes=("autograd", "torch", "jax"))
