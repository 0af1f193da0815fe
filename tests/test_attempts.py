"""``try``/``except`` around one call (frontend/attempts.py): the derivative of the
path the function took, the call's where it returned, the handler's where it
raised; every entry point, against finite differences. Other ``try`` forms are
refused at their line. (All of try/except was refused.)"""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere
from numpy.linalg import LinAlgError

from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Reverse,
    autodiff,
    gradient,
)
from adcompiler.errors import BackendError


def cholesky_or_diagonal(x, shift):
    K = np.outer(x, x) - shift * np.eye(x.shape[0])
    try:
        L = np.linalg.cholesky(K)
    except LinAlgError:
        L = np.diag(np.abs(x) + shift)
    else:
        L = L * 2.0
    finally:
        s = 1.5
    return float(np.sum(L * L)) * s


def solves_in_a_loop(A, b, y):
    for k in range(3):
        try:
            z = np.linalg.solve(A * (k - 1.0), b)   # (k == 1: a singular matrix)
        except (np.linalg.LinAlgError, ValueError):
            z = b * 0.5
        y[k] = np.sum(z * z)


def second_clause(x):
    try:
        r = np.linalg.cholesky(-np.diag(1.0 + x * x))   # (negative definite: it raises)
    except TypeError:
        r = x
    except LinAlgError:
        r = x * x
    return float(np.sum(r))


def try_finally(x):
    try:
        y = x * 2
        z = np.sin(y)
    finally:
        w = 3.0
    return float(np.sum(z)) * w


X = np.array([0.3, -0.5, 0.8])


@pytest.mark.parametrize("shift", [0.1, -0.1], ids=["raises", "returns"])
def test_the_path_taken_is_differentiated(shift):
    check_everywhere(cholesky_or_diagonal, Duplicated(X.copy(), np.zeros(3)), Active(shift),
                     tapes=("autograd", "torch", "jax"))
    g, gs = gradient(cholesky_or_diagonal, X.copy(), shift)
    if shift > 0:   # (the handler's L = diag(|x| + shift): d/dx of 1.5 * sum((|x| + shift)^2))
        np.testing.assert_allclose(g, 3.0 * (np.abs(X) + shift) * np.sign(X))
        assert gs == pytest.approx(3.0 * np.sum(np.abs(X) + shift))


def test_in_a_loop_with_a_tuple_of_types():
    A, b = np.array([[2.0, 0.3], [0.1, 1.5]]), np.array([0.4, -0.7])
    check_everywhere(solves_in_a_loop, Duplicated(A.copy(), np.zeros((2, 2))), Duplicated(b.copy(), np.zeros(2)),
                     Duplicated(np.zeros(3), np.zeros(3)), ret=Const, out="y", tapes=("autograd", "torch", "jax"))


def test_the_first_clause_that_catches_it():
    check_everywhere(second_clause, Duplicated(X.copy(), np.zeros(3)))
    np.testing.assert_allclose(gradient(second_clause, X.copy())[0], 2 * X)   # (a LinAlgError: not a TypeError)


def test_try_finally_is_its_body_then_the_finally():
    check_everywhere(try_finally, Duplicated(X.copy(), np.zeros(3)))


def two_calls(x):
    try:
        L = np.linalg.cholesky(x)
        M = L @ L
    except LinAlgError:
        M = x
    return float(np.sum(M))


def returns_inside(x):
    try:
        r = np.linalg.inv(x)
    except LinAlgError:
        return 0.0
    return float(np.sum(r))


def reads_the_exception(x):
    try:
        r = np.linalg.inv(x)
    except LinAlgError as e:
        r = x * len(str(e))
    return float(np.sum(r))


@pytest.mark.parametrize("f,what", [(two_calls, "other than around one call"), (returns_inside, "return, break or continue"),
                                    (reads_the_exception, "the exception `e` read")])
def test_other_forms_refused_at_the_line(f, what):
    with pytest.raises(AdCompilerError, match=rf"test_attempts.py:\d+.*{what}"):
        gradient(f, np.eye(2))


def test_uncaught_exception_propagates():
    """An exception no clause catches leaves the probe, as it leaves the function."""
    x = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(LinAlgError):
        autodiff(Reverse, second_clause_narrow, Active, Duplicated(x, np.zeros((2, 2))))


def second_clause_narrow(x):
    try:
        L = np.linalg.cholesky(x)
    except TypeError:   # (a LinAlgError is a ValueError, not a TypeError)
        L = x
    return float(np.sum(L))


def test_numba_refuses_and_auto_falls_back():
    pytest.importorskip("numba")
    with pytest.raises(BackendError, match=r"test_attempts.py:\d+.*_ad_attempt"):
        gradient(solves_in_a_loop_loss, X.copy(), backend="numba")
    want = gradient(solves_in_a_loop_loss, X.copy())
    got = gradient(solves_in_a_loop_loss, X.copy(), backend="auto")
    np.testing.assert_allclose(got[0], want[0])


def solves_in_a_loop_loss(x):
    s = 0.0
    for k in range(x.shape[0]):
        try:
            L = np.linalg.cholesky(np.outer(x, x) + (k - 1.0) * np.eye(x.shape[0]))
        except LinAlgError:
            L = np.eye(x.shape[0]) * x[k]
        for i in range(x.shape[0]):
            s += L[i, i] * x[i]
    return s


def _scaled(x, y):
    y[:] = x * 2.0
    return np.linalg.inv(np.diag(y))


def calls_own_function(x):
    y = np.zeros_like(x)
    try:
        r = _scaled(x, y)
    except LinAlgError:
        r = x
    return float(np.sum(r))


def writes_out(x):
    y = np.zeros_like(x)
    try:
        np.multiply(x, 2.0, out=y)
    except ValueError:
        y = x
    return float(np.sum(y))


@pytest.mark.parametrize("f", [calls_own_function, writes_out])
def test_a_call_that_writes_or_is_the_users_refused(f):
    """The probe runs the call once more: a user function (which may write its arguments)
    or a write through out= would run twice."""
    with pytest.raises(AdCompilerError, match=r"test_attempts.py:\d+.*not a library function"):
        gradient(f, X.copy())


def rebinds_its_argument(A, x):
    try:
        x = np.linalg.solve(A, x)
    except LinAlgError:
        x = x * 2.0
    return float(np.sum(x * x))


@pytest.mark.parametrize("singular", [False, True])
def test_a_parameter_bound_again_in_the_try(singular):
    A = np.array([[1.0, 2.0], [2.0, 4.0]]) if singular else np.array([[2.0, 0.3], [0.1, 1.5]])
    b = np.array([0.4, -0.7])
    check_everywhere(rebinds_its_argument, Const(A), Duplicated(b.copy(), np.zeros(2)))
    if singular:
        np.testing.assert_allclose(gradient(rebinds_its_argument, A, b, wrt=(1,))[1], 8 * b)


def least_squares_or_mean(A, b):
    try:
        x = np.linalg.lstsq(A, b, rcond=None)[0]
    except LinAlgError:
        x = np.full(A.shape[1], np.mean(b))
    return float(np.sum(x * x))


def nested_call(x):
    try:
        d = np.linalg.det(np.linalg.cholesky(np.outer(x, x)))
    except LinAlgError:
        d = 1.0
    return d * float(np.sum(x))


def test_an_item_of_the_calls_result():
    """``x = np.linalg.lstsq(A, b, rcond=None)[0]``: the call, then its item (refused)."""
    A, b = RNG_A.standard_normal((4, 2)), RNG_A.standard_normal(4)
    check_everywhere(least_squares_or_mean, Duplicated(A.copy(), np.zeros((4, 2))), Duplicated(b.copy(), np.zeros(4)))


def test_a_call_among_the_arguments_raises_as_itself():
    """The arguments are computed before the probe (docs/subset.md): a call among them that
    raises is not caught, and its error leaves the function (never a wrong number)."""
    with pytest.raises(LinAlgError):
        gradient(nested_call, X.copy())


RNG_A = np.random.default_rng(8)
