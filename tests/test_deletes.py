"""``del tmp`` of a local name (freeing a large temporary) was refused ("del is
not supported"). It only frees memory where no later line reads the name before
a plain assignment binds it again and, in a loop, each iteration binds it before
reading it: then it is dropped (``frontend/contexts.drop_inert``). A ``del`` that
Python would follow by a NameError, or of an element, stays refused at its line.
Every entry point against finite differences; numba against numpy."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Active, Duplicated, gradient
from adcompiler.errors import UnsupportedSyntaxError


def freed(x, w):
    t = x * 2.0
    s = np.sum(t * w)
    del t
    return s


def each_step(u, c):
    for _ in range(3):
        lap = u[2:] - 2 * u[1:-1] + u[:-2]
        u[1:-1] += c * lap
        del lap
    return np.sum(u ** 2)


def bound_again(x):
    t = x * 2.0
    for _ in range(2):
        del t
        t = x * 3.0 + np.sin(x)
    y = np.sum(t * t)
    del y, t
    return float(np.sum(x ** 3))


def read_after(x):
    t = x * 2.0
    del t
    return np.sum(t)   # noqa: F821  (Python: NameError)


def reads_itself(x):
    t = x * 2.0
    del t
    t = t * 3.0   # noqa: F821  (Python: NameError)
    return np.sum(t)


def read_next_step(x):
    t = x * 1.0
    s = 0.0
    for _ in range(2):
        s += np.sum(t)   # (the second step: NameError in Python)
        t = x * 2.0
        del t
    return s


def element(x):
    y = x.copy()
    del y[0]
    return np.sum(y)


R = np.random.default_rng(2)
CASES = [(freed, (R.random(4), R.random(4))), (each_step, (R.random(6), 0.2)), (bound_again, (R.random(3),))]


@pytest.mark.parametrize("f,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_del_that_frees_everywhere(f, args):
    ann = [Duplicated(a.copy(), np.zeros_like(a)) if isinstance(a, np.ndarray) else Active(a) for a in args]
    check_everywhere(f, *ann, ret=Active, tapes=("autograd", "jax", "torch"))
    check_numba_gradient(f, *ann)


@pytest.mark.parametrize("f", [read_after, reads_itself, read_next_step, element])
def test_other_del_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match=r"test_deletes\.py:\d+:\d+: `del .*`: this del \(of an element, or of a name a later line reads"):
        gradient(f, R.random(3))


def read_by_nested(x):
    t = x * 2.0

    def g():
        return np.sum(t * t)   # noqa: F821  (ruff reads the del below as unbinding t first)
    r = g()
    del t
    return float(r)


def test_del_of_a_name_a_nested_function_reads():
    """A name a nested function reads (it is passed to the lifted function): its del is
    refused at its line (it raised AttributeError inside the compiler)."""
    with pytest.raises(UnsupportedSyntaxError, match=r"test_deletes\.py:\d+:\d+: `del t`"):
        gradient(read_by_nested, R.random(3))
