"""The bare ``differentiate`` of a float-returning function that rebinds a parameter in a loop to
a new array and writes that array in place (power iteration, a relaxation written with a work
array): the parameter's own memory is never written, so it is differentiated, not refused as
"writes in place"; every path that may write the parameter's memory is still refused.

The gradients are checked on every tape against reverse mode (``check_everywhere(out=())``), and
reverse mode against central finite differences; the caller's arrays are left as they were."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Const, Duplicated
from adcompiler.errors import AdCompilerError

TAPES = ("autograd", "jax", "torch")


def power_iteration(A, v0, iters: int = 6) -> float:
    v = v0
    for _ in range(iters):
        v = A @ v
        v /= np.linalg.norm(v)
    return v @ A @ v


def relax(u) -> float:
    for _ in range(3):
        r = u + 1.0
        r *= 1.5
        u = r
    return np.sum(u ** 2)


def relax_while(u, tol) -> float:
    k = 0
    while k < 4:
        w = np.sin(u)
        w[0] += tol
        u = w
        k += 1
    return np.sum(u * u)


def branch_fresh(u, flag: bool) -> float:
    v = u
    for i in range(3):
        if flag:
            v = v * 2.0
        else:
            v = np.tanh(v)
        v[1] -= 0.5
    return np.sum(v)


def broke_fresh(u) -> float:
    for i in range(3):
        v = u * 1.0
        if i == 1:
            break
        v = u + 2.0
    v *= 3.0
    return np.sum(v * u)


def _arr(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n)


def _check(f, *vals, **kw):
    given = [v.copy() if isinstance(v, np.ndarray) else v for v in vals]
    args = [Duplicated(v.copy(), np.zeros_like(v)) if isinstance(v, np.ndarray) else
            ad.Active(v) if isinstance(v, float) else Const(v) for v in vals]
    check_everywhere(f, *args, ret=ad.Active, out=(), tapes=TAPES, **kw)
    g = ad.differentiate(f)
    g(*given)
    for a, b in zip(given, vals):   # (the caller's arrays: never written)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


def test_power_iteration():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4))
    _check(power_iteration, A + A.T, rng.standard_normal(4))


def test_relaxation_with_a_work_array():
    _check(relax, _arr(5))


def test_while_loop_rebinding():
    _check(relax_while, _arr(4, 2), 0.3)


@pytest.mark.parametrize("flag", [True, False])
def test_both_branches_bind_new_arrays(flag):
    _check(branch_fresh, _arr(4, 3), flag, forward=flag)


def test_break_leaves_a_new_array():
    _check(broke_fresh, _arr(4, 4))


# --- a path on which the parameter's own memory is written: refused ---

def first_pass_writes(u) -> float:
    v = u
    for _ in range(3):
        v *= 1.5          # the first pass scales u itself
        v = v + 1.0
    return np.sum(v)


def break_keeps_it(u) -> float:
    for i in range(3):
        v = u
        if i == 1:
            break
        v = v * 2.0
    v *= 2.0              # v is u after the break
    return np.sum(v)


def continue_keeps_it(u) -> float:
    v = u * 1.0
    for i in range(3):
        if i == 1:
            v = u
            continue
        v = v + 1.0
    v[0] = 0.0            # after the last pass v is new, but a pass that continued left it u
    return np.sum(v ** 2)


def continue_last(u) -> float:
    v = u * 1.0
    for i in range(3):
        if i == 2:
            v = u
            continue
        v = v + 1.0
    v[0] = 0.0            # the last pass continued: v is u
    return np.sum(v ** 2)


def listed(u) -> float:
    held = []
    for _ in range(2):
        held.append(u)
        u = u * 2.0
    w = held[0]
    w *= 3.0
    return np.sum(u) + np.sum(w)


def _returns_it(x):
    return x


def through_helper(u) -> float:
    for _ in range(2):
        w = _returns_it(u)
        w[0] = 1.0
        u = u + w
    return np.sum(u)


def swapped(u, work) -> float:
    for _ in range(2):
        work[1:] = u[1:] * 0.5
        u, work = work, u     # u's memory is written on the second pass
    return np.sum(u)


@pytest.mark.parametrize("f", [first_pass_writes, break_keeps_it, continue_keeps_it, continue_last, listed,
                               through_helper])
def test_paths_writing_the_parameter_are_refused(f):
    u = _arr(4, 5)
    with pytest.raises(AdCompilerError, match="in place"):
        ad.differentiate(f)(u)


def test_swapped_buffers_are_refused():
    with pytest.raises(AdCompilerError, match="in place"):
        ad.differentiate(swapped)(_arr(4), np.zeros(4))


# --- a helper that binds its parameter again before writing it ---

def _doubled_then_pinned(x):
    x = x * 2
    x[0] = 5.0
    return np.sum(x ** 2)


def _pinned_then_doubled(x):
    x[0] = 5.0
    x = x * 2
    return np.sum(x ** 2)


def calls_a_helper_writing_its_own_copy(x) -> float:
    return _doubled_then_pinned(x) + np.sum(x)


def calls_a_helper_writing_the_argument(x) -> float:
    return _pinned_then_doubled(x) + np.sum(x)


def test_helper_binding_its_parameter_again():
    """Refused at the decoration before (the reading of the source took the helper's write for one
    of its argument); the compiler's analysis, which versions the binding, decides."""
    _check(calls_a_helper_writing_its_own_copy, _arr(3, 6))


def test_helper_writing_its_argument_before_binding_it_again():
    x = _arr(3, 7)
    before = x.copy()
    g = ad.differentiate(calls_a_helper_writing_the_argument)
    with pytest.raises(AdCompilerError, match="in place"):
        g(x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("f, vals", [(relax, (_arr(5),)), (relax_while, (_arr(4, 2), 0.3))])
def test_numba_backend(f, vals):
    """The compiled backend's gradient of the same functions, against the numpy backend's (which
    ``_check`` holds to finite differences)."""
    from everywhere import check_numba_gradient
    args = [Duplicated(v.copy(), np.zeros_like(v)) if isinstance(v, np.ndarray) else ad.Active(v) for v in vals]
    check_numba_gradient(f, *args)
