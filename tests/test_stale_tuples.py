"""A tuple holds its arrays by reference: memory of an element written after
the tuple is built changes what the tuple's element reads. Reverse mode
refuses any such write (its sweep would read the elements as written); forward
and vector mode refuse a write by the array's own name, as reverse does, and
differentiate a write through the tuple's element itself (``a = t[1]; a *=
3``), which they follow by reference (``transform/readonly_views.
refuse_stale_tuples``, one check for every mode). A tuple built after the
writes is differentiated everywhere."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import (
    Active,
    BatchDuplicated,
    Duplicated,
    Forward,
    Reverse,
    ReverseSplitWithPrimal,
    autodiff,
    autodiff_thunk,
)
from adcompiler.errors import UnsupportedSyntaxError


def written_by_name(y, x):
    t = (y * 0.5, y)
    y[:] = x * 2.0
    return np.sum(t[0] * t[1])


def written_through_element(y):
    t = (y * 0.5, y)
    a = t[1]
    a *= 3.0
    return np.sum(t[0] * a)


def written_before(y, x):
    y[:] = x * 2.0
    t = (y * 0.5, y)
    return np.sum(t[0] * t[1])


R = np.random.default_rng(7)
REFUSED = r"test_stale_tuples\.py:\d+.*the tuple holds the array `y`, which is written after the tuple is built"


def _dup(n=4):
    return Duplicated(R.random(n), np.zeros(n))


def test_written_by_name_refused_in_every_mode():
    with pytest.raises(UnsupportedSyntaxError, match=REFUSED):
        autodiff(Reverse, written_by_name, Active, _dup(), _dup())
    with pytest.raises(UnsupportedSyntaxError, match=REFUSED):
        autodiff_thunk(ReverseSplitWithPrimal, written_by_name, Active, Duplicated, Duplicated)[0](_dup(), _dup())
    with pytest.raises(UnsupportedSyntaxError, match=REFUSED):
        autodiff(Forward, written_by_name, Duplicated, _dup(), _dup())
    with pytest.raises(UnsupportedSyntaxError, match=REFUSED):
        autodiff(Forward, written_by_name, Duplicated, BatchDuplicated(R.random(4), (np.zeros(4), np.zeros(4))),
                 BatchDuplicated(R.random(4), (np.zeros(4), np.zeros(4))))


def test_written_through_its_element():
    """Reverse refuses (the element's memory is written); forward mode against finite differences:
    f(y) = sum(0.5y * 3y) = 1.5 sum(y**2), so the tangent is 3 <y, v>."""
    with pytest.raises(UnsupportedSyntaxError, match=REFUSED):
        autodiff(Reverse, written_through_element, Active, _dup())
    y, v = R.random(4), R.random(4)
    (tangent,) = autodiff(Forward, written_through_element, Duplicated, Duplicated(y.copy(), v.copy()))
    np.testing.assert_allclose(tangent, 3.0 * np.dot(y, v), rtol=1e-12)
    h = 1e-6
    fd = (written_through_element(y + h * v) - written_through_element(y - h * v)) / (2 * h)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6)


def test_built_after_the_writes_everywhere():
    check_everywhere(written_before, _dup(), _dup(), ret=Active, tapes=("autograd", "jax", "torch"))
