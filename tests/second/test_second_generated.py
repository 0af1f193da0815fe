"""Second order through the shapes of reverse code that first order generates:
each kernel makes the reverse sweep use a construct (a runtime helper, an index
form, a tape pattern) that forward mode then differentiates. ``hvp`` and
``hessian`` against central differences of the gradient."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import hessian, hvp

from .test_second_reach import fd_hvp


def fancy_store_distinct(x):
    v = x * 1.0
    v[[0, 1]] *= np.cos(x[-1])
    return float(np.sum(v * v[::-1]))


def fancy_store_repeated(x):
    v = np.copy(x)
    v[[1, 1]] *= np.abs(x[0]) + x[2]
    return float(np.sum(np.exp(0.5 * v)) + np.sum(v * v))


def _check(f, args, k=0, seed=0):
    v = np.random.default_rng(seed).standard_normal(np.shape(args[k]))
    vs = [None] * len(args)
    vs[k] = v
    got = hvp(f, tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args), tuple(vs))[k]
    np.testing.assert_allclose(got, fd_hvp(f, args, k, v, h=1e-6), rtol=1e-5, atol=1e-7)


def _check_hessian(f, x, *rest):
    H = hessian(f, x, *rest)
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = 1.0
        np.testing.assert_allclose(H.reshape(x.size, x.size)[:, j],
                                   fd_hvp(f, [x, *rest], 0, e.reshape(x.shape), h=1e-6).ravel(),
                                   rtol=1e-5, atol=1e-7)


X3 = np.array([0.7, -0.4, 0.9])


@pytest.mark.parametrize("f", [fancy_store_distinct, fancy_store_repeated])
def test_fancy_index_store(f):
    """``v[[0, 1]] *= c`` reverses to ``_ad_store_adjoint(dv, [0, 1])``: forward
    mode read the list index as a tuple (two axes) and crashed."""
    _check(f, [X3.copy()])
    _check_hessian(f, X3.copy())


def restored_loop_index(a, b):
    s = 0.0
    for i in range(1, len(a), 2):
        s += np.maximum(a[i], b[i]) * s + a[i]
    a[:] = np.tanh(a * b)
    for i in range(len(a) - 2, -1, -1):
        a[i] = a[i] * (b[i] - a[i + 1])
    return float(s * np.sum(a) + np.sum(a * a))


def restored_loop_index_2d(M, v):
    t = 0.0
    for i in range(M.shape[0]):
        t = t + np.sum(M[i] * v) * t + M[i, 0]
    M *= 0.5
    for i in range(M.shape[0] - 1, -1, -1):
        w = M[i]
        w *= np.sin(v)
        t = t + np.sum(w * M[i]) * t
    return float(t)


@pytest.mark.parametrize("f,args", [
    (restored_loop_index, [np.array([0.3, -0.6, 0.8, 0.5, -0.2]), np.array([0.9, 0.4, -0.7, 0.6, 1.1])]),
    (restored_loop_index_2d, [np.array([[0.3, -0.6, 0.8], [0.5, -0.2, 0.1]]), np.array([0.9, 0.4, -0.7])]),
], ids=["1d", "2d"])
def test_loop_index_restored_from_the_tape(f, args):
    """The reverse code pushes a loop index (``_tape.append(i)``) onto the tape
    that holds floats and arrays, and pops it back (``i = _tape.pop()``): the
    index was of unknown kind, ``a[i]`` neither a view nor a copy, and second
    order refused."""
    _check(f, [a.copy() for a in args], 0)
    _check(f, [a.copy() for a in args], 1)
    _check_hessian(f, *[a.copy() for a in args])


def list_stack(x):
    st = []
    for i in range(len(x)):
        st.append(np.sin(x[i]) * x[i])
    s = 0.5
    for i in range(len(x)):
        s += st.pop() * s + x[i] * x[i]
    return float(s * s)


def list_stack_partly_popped(x):
    st = []
    for i in range(len(x)):
        st.append(np.exp(x[i]) * x[0])
    s = x[1]
    for i in range(len(x) - 2):
        s = s * st.pop()
    return float(s + np.sum(x * x * x))


@pytest.mark.parametrize("f", [list_stack, list_stack_partly_popped])
def test_python_list_as_a_stack(f):
    """A Python list used as a stack reverses to an adjoint list read with
    ``_ad_stack_pop`` (0.0 for an item never popped), which had no second-order rule."""
    x = np.array([0.4, -0.3, 0.7, 0.2])
    _check(f, [x.copy()])
    _check_hessian(f, x.copy())
