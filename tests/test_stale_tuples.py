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


def chosen_views_then_written(x):
    t = (x[0:2], x[2:4]) if x.shape[0] > 3 else (x[2:4], x[0:2])
    x[0:2] = x[0:2] * 3.0
    a, b = t
    return np.sum(a * b)


def aliased_views_pushed_then_written(x):
    segs = []
    u = (x[0:2], x[2:4])
    t = u
    segs.append(t)
    x[0:2] = x[0:2] * 3.0
    a, b = segs.pop()
    return np.sum(a * b)


def views_of_a_loop_pushed_then_written(x):
    segs = []
    for t in ((x[0:2], x[2:4]),):
        segs.append(t)  # noqa: PERF402 - the form under test
    x[0:2] = x[0:2] * 3.0
    a, b = segs.pop()
    return np.sum(a * b)


@pytest.mark.parametrize("f", [chosen_views_then_written, aliased_views_pushed_then_written,
                               views_of_a_loop_pushed_then_written])
def test_views_in_a_tuple_written_after_are_refused_however_the_tuple_is_reached(f):
    """A tuple of views built in a conditional expression, then through an alias or a loop over a
    display pushed onto a list: the views see the write (the gradient was that of the values
    before it, silently wrong); refused as the tuple display bound to a name is."""
    x = np.array([0.7, -0.3, 1.1, 0.4])
    # (the loop over a display is unrolled: its tuple of views is pushed by the name the loop binds, refused there)
    with pytest.raises(UnsupportedSyntaxError, match=r"test_stale_tuples\.py:\d+: .*(the tuple holds an array|"
                                                     r"pushed onto a list and its memory is written)"):
        autodiff(Reverse, f, Active, Duplicated(x.copy(), np.zeros(4)))
    # (forward mode follows the views by reference: right; the value is sum(3 x[0:2] x[2:4]))
    v = np.array([1.0, -2.0, 0.5, 3.0])
    if f is views_of_a_loop_pushed_then_written:   # (unrolled: the push of the tuple is refused in every mode)
        with pytest.raises(UnsupportedSyntaxError, match=r"test_stale_tuples\.py:\d+: `segs.append\(t\)"):
            autodiff(Forward, f, Duplicated, Duplicated(x.copy(), v.copy()))
        return
    tangent = autodiff(Forward, f, Duplicated, Duplicated(x.copy(), v.copy()))[0]
    np.testing.assert_allclose(tangent, np.dot(3 * np.concatenate([x[2:4], x[0:2]]), v))
