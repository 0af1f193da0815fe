"""A set display tested for membership (``if i in {0, n - 1}``, ``method in
{"a", "b"}``) was refused ("set display is not supported"). For the numbers
and strings such tests hold, a set and a tuple hold the same members: it is
read as the tuple of its elements (``frontend/contexts.drop_inert``). An
array tested for membership, or among the members, is refused at its line
(Python raises for a set; for a tuple it needs one truth value from ``==``).
Every entry point against finite differences; numba against numpy."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Active, Const, Duplicated, gradient
from adcompiler.errors import UnsupportedSyntaxError


def ends(x, w):
    s = 0.0
    n = x.shape[0]
    for i in range(n):
        if i in {0, n - 1}:
            s += w[i] * x[i] ** 2
        elif i not in {1, 2}:
            s += 3.0 * x[i] * w[i]
        else:
            s += np.sin(x[i])
    return s


def by_name(u, c, method):
    for _ in range(2):
        if method in {"explicit", "euler"}:
            u[1:-1] += c * (u[2:] - 2 * u[1:-1] + u[:-2])
        else:
            u[1:-1] *= c
    return np.sum(u ** 2)


def boundary(u, v):
    n = u.shape[0]
    for i in range(n):
        if i not in {0, n - 1, n // 2}:
            v[i] = u[i - 1] * u[i + 1]
        else:
            v[i] = 2.0 * u[i]


R = np.random.default_rng(3)


@pytest.mark.parametrize("method", ["euler", "implicit"])
def test_set_membership_by_name_everywhere(method):
    ann = [Duplicated(R.random(7), np.zeros(7)), Active(0.2), Const(method)]
    check_everywhere(by_name, *ann, ret=Active, tapes=("autograd", "jax", "torch"))
    check_numba_gradient(by_name, *ann)


def test_set_membership_of_indices_everywhere():
    ann = [Duplicated(R.random(6), np.zeros(6)), Duplicated(R.random(6), np.zeros(6))]
    check_everywhere(ends, *ann, ret=Active, tapes=("autograd", "jax", "torch"))
    check_numba_gradient(ends, *ann)
    out = [Duplicated(R.random(7), np.zeros(7)), Duplicated(np.zeros(7), np.zeros(7))]
    check_everywhere(boundary, *out, ret=Const, out="v", tapes=("autograd", "jax", "torch"))


def test_the_set_is_its_members():
    """The branch each index takes: the gradient against the one written out by hand."""
    x, w = R.random(6), R.random(6)
    gx, gw = gradient(ends, x, w)
    at_ends, second = np.isin(np.arange(6), [0, 5]), np.isin(np.arange(6), [1, 2])
    np.testing.assert_allclose(gx, np.where(at_ends, 2 * w * x, np.where(second, np.cos(x), 3.0 * w)), rtol=1e-12)
    np.testing.assert_allclose(gw, np.where(at_ends, x ** 2, np.where(second, 0.0, 3.0 * x)), rtol=1e-12)


def array_member(x):
    y = x[:1]
    if y in (1.0, 2.0):
        return np.sum(x)
    return np.sum(x * 2.0)


def array_in_set(x):
    if x[0] in {x[1:2], 2.0}:
        return np.sum(x)
    return np.sum(x * 2.0)


def loop_over_set(x):
    s = 0.0
    for k in {1, 3}:   # noqa: PLC0208  (what is refused)
        s += x[k]
    return s


@pytest.mark.parametrize("f", [array_member, array_in_set])
def test_array_membership_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match=r"test_set_membership\.py:\d+: `if .* in .*`: `in` with an array"):
        gradient(f, R.random(3))


def test_other_sets_refused():
    """A set iterated (its order is not the display's) stays refused."""
    with pytest.raises(UnsupportedSyntaxError, match=r"test_set_membership\.py:\d+:\d+: `\{1, 3\}`: set display"):
        gradient(loop_over_set, R.random(4))

