"""A name bound to a number and accumulated with arrays, ``acc = 0; for row in A:
acc += row`` (or ``total = 0.0; total += w[k] * X[k]``), was refused ("cannot tell
whether `acc` is an array or a scalar"). Python rebinds it to a new array at the
first update and updates that array in place after; where nothing else holds the
array (no other name, container or view), rebinding at every update computes the
same (``transform/lower.fresh_accumulators``). Every entry point against finite
differences; a name that another one takes stays refused."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Duplicated, gradient
from adcompiler.errors import UnsupportedSyntaxError


def rows(s, a):
    acc = 0
    for row in a:
        acc += row
    s[:] = acc
    return np.sum(s * s)


def weighted(X, w):
    total = 0.0
    for k in range(X.shape[0]):
        total += w[k] * X[k]
    return np.sum(total ** 2) + float(np.max(total))


def product_until(a):
    acc = 1
    for row in a:
        acc *= 1.0 + row
        if acc[0] > 3.0:
            return np.sum(acc)
    return np.sum(acc * 2.0)


def taken(a):
    acc = 0
    prev = 0
    for row in a:
        prev = acc   # (the array acc holds, taken by another name and then updated in place)
        acc += row
    return np.sum(prev * acc)


def viewed(a):
    acc = 0
    for row in a:
        acc += row
        head = acc[:2]   # (a view of the array, updated in place later)
    return np.sum(head)


R = np.random.default_rng(4)
CASES = [(rows, (np.zeros(3), R.random((4, 3)))), (weighted, (R.random((3, 4)), R.random(3))),
         (product_until, (R.random((4, 3)),))]


@pytest.mark.parametrize("f,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_accumulated_everywhere(f, args):
    check_everywhere(f, *[Duplicated(a.copy(), np.zeros_like(a)) for a in args], ret=Active,
                     tapes=("autograd", "jax", "torch"))
    np.testing.assert_allclose(gradient(f, *[a.copy() for a in args], backend="auto")[-1],
                               gradient(f, *[a.copy() for a in args])[-1], rtol=1e-12)


@pytest.mark.parametrize("f", [taken, viewed])
def test_held_elsewhere_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match=r"test_accumulators\.py:\d+: `acc \+= \.\.\.`: cannot tell"):
        gradient(f, R.random((3, 4)))


def reduced_by_axis(a, s):
    acc = 0.0
    for k in range(a.shape[0]):
        acc += a[k] * (k + 1.0)
    s[:] = np.sum(acc, axis=0) + np.max(acc, axis=0)
    return np.sum(s * s)


def test_reduced_with_keywords():
    """A numpy reduction of the array with keywords (``axis=``) makes a new value: accepted."""
    a, s = R.random((3, 2, 4)), np.zeros(4)
    check_everywhere(reduced_by_axis, Duplicated(a.copy(), np.zeros_like(a)), Duplicated(s, np.zeros(4)), ret=Active)


def into_out(a, s):
    acc = 0
    for row in a:
        acc += row
        np.multiply(acc, 2.0, out=s)   # (out= writes s, and acc is only read)
    return np.sum(s)


def test_out_keyword_refused():
    """A call with ``out=`` is not taken for one that makes a new value (refused, as before)."""
    with pytest.raises(UnsupportedSyntaxError, match=r"`acc \+= \.\.\.`: cannot tell"):
        gradient(into_out, R.random((3, 4)), np.zeros(4))


def element_read(a):
    acc = 0
    s = 0.0
    for row in a:
        acc += row
        s = s + acc[1] * 2.0 + np.sum(acc[1:] ** 2)
    return s


def test_parts_read_as_operands():
    """Elements and parts of the array read as operands (normalize names them first)."""
    a = R.random((3, 4))
    check_everywhere(element_read, Duplicated(a.copy(), np.zeros_like(a)), ret=Active)


def kept_in_list(a):
    acc = 0
    held = [0.0]
    for row in a:
        acc += row
        held[0] = acc   # (the list holds the array, which the next update changes in place)
    return np.sum(held[0])


def test_stored_into_a_list_refused():
    """A store into a list's element (not an array's memory) keeps the array itself: refused (the list
    read by constant indices is one name, ``frontend/dicts.py``: then ``acc``, an int and then an array
    updated in place through that name, is refused)."""
    with pytest.raises(UnsupportedSyntaxError, match=r"`held\[0\] = acc[^`]*`: writing into an element of a list|"
                                                     r"`acc \+= \.\.\.`: cannot tell whether `acc` is an array"):
        gradient(kept_in_list, R.random((3, 4)))
