"""Arrays of objects (``dtype=object``, ``np.full(n, None)``, ``x.astype(object)``) and of records
(a structured dtype) made in a kernel, or given to it: the derivative took the arrays an object
array holds for constants, so a derivative read through one was 0 (``np.sum(o[0] * o[1])``),
a write through one was lost and the bare ``differentiate`` let a plain call write the caller's
array; records raised a TypeError. Refused at the line (at the argument for one given)."""
import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def read_through(x, y):
    o = np.empty(2, dtype=object)
    o[0] = x
    o[1] = y
    return np.sum(o[0] * o[1])


def written_through(x, y):
    o = np.full(2, None)
    o[0] = x
    o[0] *= 2.0
    return np.sum(x * y)


def converted(x, y):
    o = x.astype(object)
    return np.sum(o * y)


def spelled(x, y):
    o = np.zeros(2, "O")
    o[0] = x
    return np.sum(o[0] * y)


def records(x, y):
    r = np.zeros(4, dtype=[("a", "f8"), ("b", "f8")])
    r["a"] = x * y
    return float(np.sum(r["a"]))


def fields_in_a_string(x, y):
    r = np.zeros(4, dtype="f8,f8")
    return float(np.sum(x * y)) + r.size


def held(o, x):
    a = o[0]
    a *= 2.0
    return np.sum(x * x)


X, Y = np.array([0.6, 0.9, 1.2, 1.4]), np.array([1.1, 0.7, 1.3, 0.8])


@pytest.mark.parametrize("f", [read_through, written_through, converted, spelled, records, fields_in_a_string])
def test_made_in_the_kernel(f):
    for run in (lambda: ad.gradient(f, X.copy(), Y.copy()),
                lambda: ad.autodiff(ad.Forward, f, Duplicated, Duplicated(X.copy(), np.ones(4)), Const(Y))):
        with pytest.raises(ad.AdCompilerError, match="objects or of records") as e:
            run()
        assert e.value.filename == __file__ and e.value.lineno is not None
    x = X.copy()
    with pytest.raises(ad.AdCompilerError):
        ad.differentiate(f)(x, Y.copy())
    np.testing.assert_array_equal(x, X)


def test_given_as_an_argument():
    o = np.empty(1, dtype=object)
    o[0] = X.copy()
    with pytest.raises(ad.AdCompilerError, match="array of objects"):
        ad.autodiff(ad.Reverse, held, Active, Const(o), Duplicated(o[0], np.zeros(4)))
    with pytest.raises(ad.AdCompilerError, match="array of objects"):
        ad.gradient(held, o, X.copy())


def dtype_by_a_name(x, y):
    dt = object
    o = np.empty(2, dtype=dt)
    o[0] = x
    return np.sum(o[0] * y)


def none_filled_by_keyword(x, y):
    o = np.full(2, fill_value=None)
    o[0] = x
    return np.sum(o[0] * y)


@pytest.mark.parametrize("f", [dtype_by_a_name, none_filled_by_keyword])
def test_other_spellings(f):
    with pytest.raises(ad.AdCompilerError, match="object") as e:
        ad.gradient(f, X.copy(), Y.copy())
    assert e.value.filename == __file__


def lists_given_to_numpy(x, y):
    A = np.outer(x, y)
    return (np.sum(np.interp(x, [0.0, 5.0], [1.0, 3.0]) * y) + np.sum(np.percentile(x, [25.0, 75.0]))
            + np.sum(np.dot(A, [1.0, 2.0, 3.0, 4.0])) + np.sum(np.take(x, [0, 2])) + np.sum(np.full(2, np.nan, float)[:0])
            + np.sum(np.transpose(A, [1, 0])[0] * x))


def test_lists_given_to_numpy_are_not_dtypes():
    """(refused by the first version of the check, which read any list after a numpy call's first
    argument as a dtype of records)"""
    from everywhere import check_everywhere
    check_everywhere(lists_given_to_numpy, Duplicated(X.copy(), np.zeros(4)), Duplicated(Y.copy(), np.zeros(4)),
                     ret=Active)
