"""A tuple or list built from others (``(u,) + ()``, ``[u, 1.0] + [2.0]``, ``(1.0, u)[1:]``,
``(u, 1.0)[::-1]``) or a list of numbers given arrays by a slice (``ys[1:] = [u]``), written
through (``w = ys[0]; w[0] = 1.5``): the memory analysis took the built container for memory of
its own, and the gradient ignored the write ([3, -1.4, 2.2, 0.8] where [0, -1.4, 2.2, 0.8] is
right); the bare ``differentiate`` took the function for one that mutates nothing, and a plain
call wrote the caller's array. Refused at the line, everywhere; read only, such containers
of numbers are differentiated as before."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Duplicated


def joined(u):
    ys = (u,) + ()
    w = ys[0]
    w[0] = 1.5
    return np.sum(u ** 2)


def joined_lists(u):
    ys = [u, 1.0] + [2.0]
    ys[0][0] = 1.5
    return np.sum(u ** 2)


def sliced(u):
    ys = (1.0, u)[1:]
    w = ys[0]
    w *= 2.0
    return np.sum(u ** 2)


def reversed_by_a_slice(u):
    ys = (u, 1.0)[::-1]
    w = ys[1]
    w[0] = 1.5
    return np.sum(u ** 2)


def given_by_a_slice(u):
    ys = [1.0, 2.0]
    ys[1:] = [u]
    w = ys[1]
    w[0] = 1.5
    return np.sum(u ** 2)


def rebound_in_a_loop(u):
    for _ in range(2):
        w = (u, 1.0)[:1][0]
        w[0] = 1.5
        u = u + 1.0
    return np.sum(u ** 2)


def numbers_joined(u):
    steps = (0.5, 0.5) + (1.0,)
    for c in steps[1:]:
        u[1:] += c * u[:-1]
    return np.sum(u ** 2) * steps[0]


@pytest.mark.parametrize("f", [joined, joined_lists, sliced, reversed_by_a_slice, given_by_a_slice,
                               rebound_in_a_loop])
def test_writes_through_built_containers_are_refused(f):
    u = np.array([0.3, -0.7, 1.1, 0.4])
    for run in (lambda: ad.gradient(f, u.copy()),
                lambda: ad.autodiff(ad.Forward, f, Duplicated, Duplicated(u.copy(), np.ones(4))),
                lambda: ad.gradient(f, u.copy(), backend="numba")):
        with pytest.raises(ad.AdCompilerError) as e:
            run()
        assert e.value.filename == __file__
    x = u.copy()
    with pytest.raises(ad.AdCompilerError):
        ad.differentiate(f)(x)
    np.testing.assert_array_equal(x, u)   # (the caller's array: not written)


def test_numbers_joined_and_sliced():
    check_everywhere(numbers_joined, Duplicated(np.array([0.3, -0.7, 1.1, 0.4]), np.zeros(4)), ret=Active)


def _joined(x, y):
    return (x,) + (y,)


def _joined_lists(x, y):
    t = [x]
    return t + [y]


def written_through_a_helpers_result(x, y):
    t = _joined(x, y)
    w = t[1]
    w[0] = x[0] ** 2
    return np.sum(y * y)


def written_by_out_into_a_helpers_result(x, y):
    t = _joined_lists(x, y)
    np.multiply(x, x, out=t[1])
    return np.sum(y * y)


@pytest.mark.parametrize("f", [written_through_a_helpers_result, written_by_out_into_a_helpers_result])
def test_a_helper_returning_a_built_container_is_refused(f):
    """The write reached y; the derivative took the helper's result for new arrays (even the primal
    left y unchanged)."""
    x, y = np.array([2.1, 1.5, 2.7, 1.9]), np.array([0.4, 1.3, 2.3, 1.9])
    with pytest.raises(ad.AdCompilerError, match="is returned") as e:
        ad.gradient(f, x, y)
    assert e.value.lineno is not None


def loop_with_a_break_writes_its_item(x, y):
    s = 0.0
    for a in (x, y):
        if s > 10.0:
            break
        a *= 2.0
        s += np.sum(a ** 2)
    return s


def test_the_refusal_of_a_loop_over_arrays_names_no_generated_list():
    with pytest.raises(ad.AdCompilerError, match="the sequence the loop runs over") as e:
        ad.gradient(loop_with_a_break_writes_its_item, np.ones(3), np.ones(3))
    assert "`_" not in str(e.value) and e.value.lineno is not None
