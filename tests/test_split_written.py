"""Split mode: the reverse half reads the arrays the function writes as the
forward half left them. Another forward half run on the same array, or a
write into it, between the halves made it read other values, and the
derivatives were silently those of other values (f run twice on one array,
reversed: 48 u0 where the derivative is 40 u0). rev now refuses such an
array; halves on separate arrays, in any order, stay right."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import (
    Active,
    AdCompilerError,
    Duplicated,
    ReverseSplitWithPrimal,
    autodiff_thunk,
)


def doubled(u):
    u *= 2.0
    return float(np.sum(u * u))


U0 = np.array([0.3, 0.5, 0.7])


@pytest.mark.parametrize("backend,checkpoint", [("numpy", None), ("numpy", 2), ("numba", None), ("auto", None),
                                                ("auto", 2)])   # (numba takes no checkpoint=, documented)
def test_forward_half_run_again_on_the_array_is_refused(backend, checkpoint):
    if backend == "numba":
        from optional import require
        require("numba")
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, doubled, Active, Duplicated, backend=backend,
                              checkpoint=checkpoint)
    u = U0.copy()
    t1, _ = fwd(Duplicated(u, np.zeros(3)))
    t2, _ = fwd(Duplicated(u, np.zeros(3)))
    du = np.zeros(3)
    rev(Duplicated(u, du), 1.0, t2)    # (the most recent first: u is as t2's forward half left it)
    np.testing.assert_allclose(du, 16 * U0)   # (the derivative of |2 u1|^2 at u1 = 2 u0, its input)
    with pytest.raises(AdCompilerError, match="holds other values than fwd left in it"):
        rev(Duplicated(u, np.zeros(3)), 1.0, t1)


def test_array_written_between_the_halves_is_refused():
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, doubled, Active, Duplicated)
    u = U0.copy()
    t, _ = fwd(Duplicated(u, np.zeros(3)))
    u[:] = 0.0
    with pytest.raises(AdCompilerError, match="`u` holds other values"):
        rev(Duplicated(u, np.zeros(3)), 1.0, t)


def test_halves_on_separate_arrays_in_any_order():
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, doubled, Active, Duplicated)
    a, b = U0.copy(), 2 * U0
    ta, _ = fwd(Duplicated(a, np.zeros(3)))
    tb, _ = fwd(Duplicated(b, np.zeros(3)))
    da, db = np.zeros(3), np.zeros(3)
    rev(Duplicated(a, da), 1.0, ta)
    rev(Duplicated(b, db), 1.0, tb)
    h = 1e-6
    for x0, got in ((U0, da), (2 * U0, db)):
        fd = [(doubled(x0 + h * e) - doubled(x0 - h * e)) / (2 * h) for e in np.eye(3)]
        np.testing.assert_allclose(got, fd, rtol=1e-6)


def stepped(u, c):
    u[1:] += c[1:] * u[:-1] ** 2
    return float(np.sum(u ** 2))


def test_read_argument_changed_between_the_halves_is_refused():
    """An argument the function only reads may be passed to rev as another array of equal
    values; with other values the record no longer holds (du was wrong, silently)."""
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, stepped, Active, Duplicated, Duplicated)
    u, c = np.array([0.3, -0.4, 0.5, 0.2]), np.array([0.1, 0.7, -0.3, 0.4])
    tape, _ = fwd(Duplicated(u, np.zeros(4)), Duplicated(c, np.zeros(4)))
    c2 = c.copy()
    c2[2] += 1.0
    with pytest.raises(AdCompilerError, match="`c` holds other values than it did when fwd ran"):
        rev(Duplicated(u, np.zeros(4)), Duplicated(c2, np.zeros(4)), 1.0, tape)
    u0 = np.array([0.3, -0.4, 0.5, 0.2])
    u = u0.copy()
    tape, _ = fwd(Duplicated(u, np.zeros(4)), Duplicated(c, np.zeros(4)))
    du, dc = np.zeros(4), np.zeros(4)
    rev(Duplicated(u, du), Duplicated(c.copy(), dc), 1.0, tape)   # (an equal copy: allowed)
    h = 1e-6
    fd = [(stepped(u0 + h * e, c) - stepped(u0 - h * e, c)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(du, fd, rtol=1e-6)
