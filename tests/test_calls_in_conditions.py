"""A user function called in a loop's or a branch's condition (``while f(x - t * g) > f0 -
c * t * g @ g:``, a backtracking line search) was refused ("call it in a separate assignment
before the condition"): the call now runs first, as Python calls it, in a statement of its own.
Under ``and``/``or`` (``while it < maxit and f(x) > tol:``) the operand calling it runs only
when Python would run it (the operand before it true, or false); in a chained comparison
a call in the first two operands runs first, one in a later operand (evaluated only on a
condition) is still refused, as is one in a conditional expression. References: every entry point (central differences, the dot-product test, a
tape) and the numba backend where it applies."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Const, Duplicated


def _rosen(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _rosen_grad(x, g):
    g[:] = 0.0
    g[:-1] += -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)


def backtracking(x, iters):
    g = np.zeros_like(x)
    for _ in range(iters):
        _rosen_grad(x, g)
        t = 1.0
        f0 = _rosen(x)
        while _rosen(x - t * g) > f0 - 0.5 * t * np.dot(g, g):
            t *= 0.5
        x -= t * g
    return _rosen(x)


def _scaled(v, c):
    v *= c
    return float(np.sum(v))


def branch_on_a_writing_call(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        if _scaled(y, 1.5) > 2.0 * i:   # (writes y each time: the call runs once per test, as in Python)
            s += x[i] * y[i]
        else:
            s -= x[i] ** 2
    return s


def short_circuit(x):
    s = 0.0
    for i in range(x.shape[0]):
        if i > 0 and _rosen(x[:i + 1]) > 1.0:
            s += x[i]
    return s


def test_a_line_search():
    x = np.array([0.5, 0.8, 1.2, 0.9])
    check_everywhere(backtracking, Duplicated(x, np.zeros(4)), Const(3))


def test_a_branch_on_a_call_that_writes():
    x, y = np.array([0.4, -0.3, 0.9, 1.1]), np.array([0.5, 1.0, 1.5, 2.0])
    check_everywhere(branch_on_a_writing_call, Duplicated(x, np.zeros(4)), Duplicated(y, np.zeros(4)))


def _tail_sum(x, i):
    return float(np.sum(x[i:] ** 2)) if i < x.shape[0] else float("nan")   # (past the end: nan, a wrong path)


def _bump(y, c):
    y[0] += c   # (a write: how often it runs shows in y)
    return float(y[0])


def guarded_while(x, y):
    i = 0
    s = 0.0
    while i < x.shape[0] and _tail_sum(x, i) > 0.5:   # (i == n stops before the call)
        s += x[i] * _tail_sum(x, i)
        i += 1
    for k in range(x.shape[0]):
        if x[k] < 0.0 or _bump(y, x[k]) > 3.0:   # (y written only where x[k] >= 0)
            s += y[0] * x[k]
    return s


def chained_call(x):
    s = 0.0
    for i in range(x.shape[0]):
        if 0.1 < _rosen(x[i:]) <= 50.0:   # (the call is in the first two operands: always run)
            s += x[i] ** 3
    return s


def test_and_or_run_an_operand_only_when_python_does():
    x, y = np.array([0.9, -0.4, 1.2, 0.7]), np.array([0.5, 1.0])
    check_everywhere(short_circuit, Duplicated(np.array([0.5, 1.5, 2.0]), np.zeros(3)))
    check_everywhere(guarded_while, Duplicated(x, np.zeros(4)), Duplicated(y, np.zeros(2)))
    yy, xx = y.copy(), x.copy()
    ad.autodiff(ad.Reverse, guarded_while, ad.Active, Duplicated(xx, np.zeros(4)), Duplicated(yy, np.zeros(2)))
    y0 = y.copy()
    guarded_while(x.copy(), y0)
    np.testing.assert_array_equal(yy, y0)   # the writes of the calls that ran, and no other


def negated(x, y):
    s = 0.0
    for k in range(x.shape[0]):
        if not (x[k] > 1.0 or _bump(y, x[k]) < 0.0):   # (y written where x[k] <= 1 only)
            s += y[0] * x[k]
    return s


def test_not_of_and_or():
    x, y = np.array([0.9, -0.4, 1.2, 0.7]), np.array([0.5, 1.0])
    check_everywhere(negated, Duplicated(x, np.zeros(4)), Duplicated(y, np.zeros(2)))


def read_before_the_call(x, y):
    s = 0.0
    for k in range(x.shape[0]):
        # (Python reads y[0] and np.sum(y) before _bump adds 1 to y[0]: both tests are false;
        # read after it, both were true)
        if y[0] + 0.5 > _bump(y, 1.0) or np.sum(y) + 0.5 * x[k] ** 2 > _bump(y, 1.0) + y[1] + x[k] ** 2:
            s += x[k] * y[1]
        else:
            s -= x[k] ** 2 * y[0]
    it = 0
    while it < 3 and y[0] + 0.5 > _bump(y, 1.0) - 0.25:   # (false at once in Python)
        s += x[0] * y[0]
        it += 1
    return s


def test_what_python_reads_before_the_call_is_read_before_it():
    # (the call ran before the operands Python evaluates ahead of it: the primal took the
    # other branch, and the gradient was that branch's, without an error)
    for y0 in ([0.5, 1.0], [2.0, 1.0], [0.0, 3.0]):
        x, y = np.array([0.9, -0.4, 1.2, 0.7]), np.array(y0)
        check_everywhere(read_before_the_call, Duplicated(x, np.zeros(4)), Duplicated(y, np.zeros(2)))
        yy, y_plain = y.copy(), y.copy()
        _, value = ad.autodiff(ad.ReverseWithPrimal, read_before_the_call, ad.Active,
                               Duplicated(x.copy(), np.zeros(4)), Duplicated(yy, np.zeros(2)))
        assert value == read_before_the_call(x.copy(), y_plain)
        np.testing.assert_array_equal(yy, y_plain)


def test_a_call_in_a_chained_comparison():
    check_everywhere(chained_call, Duplicated(np.array([0.5, 1.5, 0.2, 0.8]), np.zeros(4)))


def test_an_operand_evaluated_on_a_condition_is_still_refused_where_it_is_not_and_or():
    def later_operand(x):
        s = 0.0
        for i in range(x.shape[0]):
            if 0.0 < x[i] < _rosen(x[:i + 1]):
                s += x[i]
        return s

    def conditional(x):
        s = 0.0
        for i in range(1, x.shape[0]):
            if (_rosen(x[:i + 1]) if i > 1 else 0.0) > 1.0:
                s += x[i]
        return s
    for f in (later_operand, conditional):
        with pytest.raises(ad.AdCompilerError, match="user function inside a condition"):
            ad.gradient(f, np.array([0.5, 1.5, 2.0]))


def test_under_numba():
    pytest.importorskip("numba")
    x = np.array([0.5, 0.8, 1.2, 0.9])
    np.testing.assert_allclose(ad.gradient(backtracking, x, 3, backend="numba")[0], ad.gradient(backtracking, x, 3)[0],
                               rtol=1e-12)
    y, xx = np.array([0.5, 1.0, 1.5, 2.0]), np.array([0.4, -0.3, 0.9, 1.1])
    for got, want in zip(ad.gradient(branch_on_a_writing_call, xx, y, backend="numba"),
                         ad.gradient(branch_on_a_writing_call, xx, y)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    x, y = np.array([0.9, -0.4, 1.2, 0.7]), np.array([0.5, 1.0])
    for f in (guarded_while, read_before_the_call):
        for got, want in zip(ad.gradient(f, x, y, backend="numba"), ad.gradient(f, x, y)):
            np.testing.assert_allclose(got, want, rtol=1e-12)
