"""An element of a helper's tuple returned as it is read (``return parts(x)[1]``) carries its
derivative. The element bound straight to the function's return was taken for a name nothing
reads (nothing in the function reads the return), and the helper was differentiated for no
element: a zero gradient, silently, where binding the element to a name first (``t = parts(x)[1];
return t``) gave the right one."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Duplicated


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def parts(x):
    a = np.sin(x[0]) * np.sum(x)
    b = x[1] * 2.0 + np.sum(np.sqrt(x * x))   # (sqrt at 0 where x is 0)
    return a, b


def second(x):
    return parts(x)[1]


def last(x):
    return parts(x)[-1]


def first(x):
    return parts(x)[0]


def through_a_middle_helper(x):
    return second(x) * 3.0 + first(x)


def nested(x):
    return parts(x), np.sum(x ** 3)


def inner_element(x):
    return nested(x)[0][1]


def outer_element(x):
    return nested(x)[1]


def into_an_array(y, x):
    for i in range(y.shape[0]):
        y[i] = parts(x * (i + 1.0))[1]


def branch_returned(x, flip):
    if flip:
        return parts(x)[0]
    return parts(x)[1]


X = np.array([0.4, -1.3, 0.7])


def grads(x):
    s, c = np.sum(x), np.cos(x[0])
    ga = np.sin(x[0]) * np.ones(3)
    ga[0] += c * s
    gb = np.sign(x)
    gb[1] += 2.0
    return ga, gb


@pytest.mark.parametrize("backend", ["numpy", "auto"])   # (numba refuses helpers returning tuples)
def test_an_element_returned_as_it_is(backend):
    ga, gb = grads(X)
    for f, want in ((second, gb), (last, gb), (first, ga), (through_a_middle_helper, 3 * gb + ga),
                    (inner_element, gb), (outer_element, 3 * X ** 2)):
        dx = np.zeros(3)
        ad.autodiff(ad.Reverse, f, ad.Active, Duplicated(X.copy(), dx), backend=backend)
        np.testing.assert_allclose(dx, want, rtol=1e-13, err_msg=f.__name__)
        np.testing.assert_allclose(ad.gradient(f, X, backend=backend)[0], want, rtol=1e-13, err_msg=f.__name__)
    for flip, want in ((True, ga), (False, gb)):
        dx = np.zeros(3)
        ad.autodiff(ad.Reverse, branch_returned, ad.Active, Duplicated(X.copy(), dx), ad.Const(flip),
                    backend=backend)
        np.testing.assert_allclose(dx, want, rtol=1e-13)


def loops_over_a_result(x):
    s = 0.0
    for v in parts(x):
        s += v
    return s


def test_refusals_say_what_in_the_users_words():
    # (under numba the tuple's element is compiled now, backends/numba_tuples: the numpy backend's numbers)
    for f in (second, last, first):
        np.testing.assert_allclose(ad.gradient(f, X, backend="numba")[0], ad.gradient(f, X)[0], rtol=1e-13)
    with pytest.raises(ad.AdCompilerError, match="a tuple .* indexed with a variable") as e:
        ad.gradient(loops_over_a_result, X)
    assert "`_t" not in str(e.value)


def test_an_element_returned_as_it_is_everywhere():
    for f in (second, last, first, through_a_middle_helper, inner_element, outer_element):
        check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), out=(), tapes=("autograd", "jax", "torch"))
    check_everywhere(into_an_array, Duplicated(np.zeros(2), np.zeros(2)), Duplicated(X.copy(), np.zeros(3)),
                     out="y")


def test_an_unread_element_at_an_infinite_partial_stays_out():
    # (the element not returned holds sqrt at 0's infinite partial: it passes on no adjoint)
    x = np.array([0.0, -1.3, 0.7])
    ga, _ = grads(x)
    np.testing.assert_allclose(ad.gradient(first, x)[0], ga, rtol=1e-13)


def energies(x):
    KE = 0.5 * np.sum(x ** 2)
    PE = np.sum(np.sqrt(x))   # (infinite partial at 0: the callers below never read it)
    return KE, PE


def held_in_a_display(x):
    p = (energies(x),)
    return p[0][0]


def held_beside_another(x):
    p = (energies(x), np.sum(x ** 3))
    return p[0][0] * p[1]


def held_and_returned(x):
    return (energies(x), 2.0)


def read_through_a_returned_display(x):
    p = held_and_returned(x)
    return p[0][0] + p[1]


def held_in_a_loop(x):
    s = 0.0
    for k in range(2):
        p = (energies(x * (k + 1.0)), k)
        s += p[0][0]
    return s


def test_an_unread_element_held_in_a_tuple_display():
    # (the helper's tuple held in another tuple: the element never read passed its adjoint, 0, into
    # sqrt's infinite partial at 0: NaN)
    x = np.array([0.0, 0.5, 1.2])
    m3 = np.sum(x ** 3)
    for f, want in ((held_in_a_display, x), (held_beside_another, x * m3 + 0.5 * np.sum(x ** 2) * 3 * x ** 2),
                    (read_through_a_returned_display, x), (held_in_a_loop, x + 4 * x)):
        np.testing.assert_allclose(ad.gradient(f, x.copy())[0], want, rtol=1e-13, err_msg=f.__name__)
        dx = np.zeros(3)
        ad.autodiff(ad.Reverse, f, ad.Active, Duplicated(x.copy(), dx))
        np.testing.assert_allclose(dx, want, rtol=1e-13, err_msg=f.__name__)
    for f in (held_in_a_display, held_beside_another, read_through_a_returned_display, held_in_a_loop):
        check_everywhere(f, Duplicated(X.copy() + 1.0, np.zeros(3)), out=(), tapes=("autograd", "jax", "torch"))


def pairwise_parts(x):
    d = x[:, None] - x[None, :]   # (a zero diagonal: sqrt at 0 in the element nobody reads)
    return 0.5 * np.sum(x ** 2), np.sum(np.sqrt(d ** 2))


def unpacked_and_packed_again(x):
    a, b = pairwise_parts(x)
    t = (a, b)
    return t[0]


def swapped_and_packed_again(x):
    a, b = pairwise_parts(x)
    t = (b, a)
    return t[-1] * 2.0


def packed_inline(x):
    d = x[:, None] - x[None, :]
    a = 0.5 * np.sum(x ** 2)
    b = np.sum(np.sqrt(d ** 2))
    t = (a, b)
    return t[0]


def packed_in_a_loop(x):
    s = 0.0
    for k in range(2):
        a, b = pairwise_parts(x * (k + 1.0))
        t = (a, (b, a))
        s += t[1][1]
    return s


def test_an_unread_element_of_a_tuple_display():
    # (t = (a, b) read only at t[0]: b carried a zero adjoint into sqrt's infinite partial, NaN)
    x = np.array([0.3, -1.2, 0.7, 0.5])
    for f, want in ((unpacked_and_packed_again, x), (swapped_and_packed_again, 2 * x), (packed_inline, x),
                    (packed_in_a_loop, x + 4 * x)):
        np.testing.assert_allclose(ad.gradient(f, x.copy())[0], want, rtol=1e-13, err_msg=f.__name__)
        check_everywhere(f, Duplicated(x.copy(), np.zeros(4)), out=(), tapes=("autograd", "jax", "torch"))


def named_display_returned(x):
    p = (energies(x), 1.0)
    return p


def named_display_passed_on(x):
    return named_display_returned(x)


def reads_a_named_display(x):
    q = named_display_returned(x)
    return q[0][0]


def reads_a_display_passed_on(x):
    (ke, pe), c = named_display_passed_on(x)   # noqa: RUF059 (pe never read: what is tested)
    return ke * c


def test_a_display_a_helper_names_and_returns():
    x = np.array([0.0, 0.7, 0.0, 1.3])
    for f in (reads_a_named_display, reads_a_display_passed_on):
        np.testing.assert_allclose(ad.gradient(f, x.copy())[0], x, rtol=1e-13, err_msg=f.__name__)
        np.testing.assert_allclose(ad.hvp(f, (x.copy(),), (np.ones(4),))[0], np.ones(4), rtol=1e-13)
        check_everywhere(f, Duplicated(x.copy() + 0.5, np.zeros(4)), out=(), tapes=("autograd", "jax", "torch"))


def held_read_from_the_end(x):
    p = (energies(x), 1.0)
    return p[-2][0] + p[-1]


def numbers_held_read_from_the_end(x):
    a = np.sum(x ** 2)
    p = ((a, 1.0), 2.0)
    return p[-2][0] * p[-1]


def test_a_tuple_in_a_tuple_read_by_a_negative_index():
    # (the kind of p[-2] was not known: refused as a value of unknown kind, at the def line)
    x = np.array([0.3, 0.7, 0.5, 1.3])
    np.testing.assert_allclose(ad.gradient(held_read_from_the_end, x.copy())[0], x, rtol=1e-13)
    np.testing.assert_allclose(ad.gradient(numbers_held_read_from_the_end, x.copy())[0], 4 * x, rtol=1e-13)
    for f in (held_read_from_the_end, numbers_held_read_from_the_end):
        check_everywhere(f, Duplicated(x.copy(), np.zeros(4)), out=(), tapes=("autograd", "jax", "torch"))


def _two(x, y):
    return (np.sum(x ** 2), np.sum(y))


def _three(x, y):
    return (np.sum(y), np.sum(x ** 2), np.sum(x * y))


def last_of_either(x, y, flag):
    if flag > 0:
        t = _two(x, y)
    else:
        t = _three(x, y)
    return t[-1] + t[0]


def last_of_a_growing_display(x, y):
    t = (np.sum(x ** 2), np.sum(y))
    acc = 0.0
    for i in range(3):
        acc += t[-1]
        t = (acc, np.sum(x * y), np.sum(y ** 2) * i)
    return acc


def test_a_tuple_of_lengths_that_differ_read_from_the_end_is_refused():
    # (t[-1] was resolved by one path's length: the adjoint went to an element the other path's tuple
    # does not have, a gradient of 0 for 1, silently)
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for f, args in ((last_of_either, (x, y, 1)), (last_of_a_growing_display, (x, y))):
        with pytest.raises(ad.AdCompilerError, match=r"test_returned_elements.py:\d+.*from the end, of lengths"):
            ad.gradient(f, *args)


def weights_of_either_length(x, n):
    if n > 2:
        w = (1.0, 2.0, 3.0)
    else:
        w = (0.5, 4.0)
    return sum(w) * float(np.sum(x)) + w[0] * np.sum(x ** 2)


def test_constants_in_a_tuple_of_lengths_that_differ():
    # (a tuple of numbers read whole, np.sum of it, and from its start: as for one length)
    x = np.array([1.0, 2.0, 3.0])
    for n, w in ((3, (1.0, 2.0, 3.0)), (1, (0.5, 4.0))):
        np.testing.assert_allclose(ad.gradient(weights_of_either_length, x, n)[0], sum(w) + 2 * w[0] * x, rtol=1e-14)
        check_everywhere(weights_of_either_length, Duplicated(x.copy(), np.zeros(3)), n, out=(),
                         tapes=("autograd", "jax", "torch"))


# -- a helper returning a tuple of its arguments bound to a name first --------------------------
# (``return (a, b)`` was refused; ``st = (a, b); return st`` was not, and the caller's write through
# ``st[1]`` was lost: a gradient of the wrong sign, silently, in every mode)

def _pair_named(a, b):
    st = (a, b)
    return st


def _pair_nested(a, b):
    inner = (a, b)
    return inner, 2.0


def pair_named_written(x):
    a = np.zeros(3)
    b = np.zeros(3)
    st = _pair_named(a, b)
    st[1][:] = x * 2.0
    return np.sum(b * x)


def pair_nested_written(x):
    a = np.zeros(3)
    b = np.zeros(3)
    st, k = _pair_nested(a, b)
    st[1][:] = x * k
    return np.sum(b * x)


@pytest.mark.parametrize("f, line", [(pair_named_written, "return st"), (pair_nested_written, "return inner, 2.0")])
def test_a_tuple_of_arguments_returned_through_a_name_is_refused(f, line):
    x = np.array([0.3, -0.7, 1.1])
    for run in (lambda: ad.gradient(f, x.copy()),
                lambda: ad.autodiff(ad.Forward, f, ad.Duplicated, ad.Duplicated(x.copy(), np.ones(3))),
                lambda: ad.hvp(f, (x.copy(),), (np.ones(3),))):
        with pytest.raises(ad.AdCompilerError, match="inside a tuple") as e:
            run()
        assert e.value.construct.strip() == line and e.value.filename == __file__
