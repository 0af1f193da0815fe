"""A store into what a call returns (``frontend/attr_views.called_view``):
``interior(u)[:] += nu * lap``, ``x.reshape(2, 3)[1] *= 2.0``,
``A.swapaxes(0, 1)[0] = v`` were refused ("a store into an expression");
the call is named first, as a user would name it, so a view is followed to
its memory and a new array takes the store and is dropped, as in Python. Of a
plain assignment the value is computed before the call, as Python does.
Every entry point against finite differences (and numba against numpy)."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import annotated, check_everywhere, check_numba_gradient, check_primal

import adcompiler as ad
from adcompiler import Active, AdCompilerError, Duplicated


def interior(u):
    return u[1:-1]


def into_helper_view(u, lap, nu):
    interior(u)[:] += nu * lap
    return np.sum(u * u)


def into_reshape(x):
    x.reshape(2, 3)[1] *= 2.0
    return np.sum(x ** 3)


def into_swapped(A, v):
    A.swapaxes(0, 1)[0] = v * v
    return np.sum(A * A)


def into_reshaped_transpose(x):
    x.reshape(2, 3).T[1] += x[:2] * 3.0
    return np.sum(np.sin(x))


def fresh(u):
    return u * 2.0


def into_new_array(u):
    fresh(u)[0] = 100.0   # (a new array: the store is dropped, u is unchanged)
    return np.sum(u * u)


def bump(u):
    u[0] += 1.0
    return u[1:]


def value_first(u):
    bump(u)[:] = u[0] * u[1:]   # (Python computes the value, u[0] before bump adds 1, then the target)
    return np.sum(u * u)


def stencil_steps(u, nu, steps):
    for _ in range(steps):
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        interior(u)[:] += nu * lap
    return np.sum(u * u)


R = np.random.default_rng(1)
CASES = [(into_helper_view, (R.random(6), R.random(4), 0.3)), (into_reshape, (R.random(6),)),
         (into_swapped, (R.random((3, 2)), R.random(3))), (into_reshaped_transpose, (R.random(6),)),
         (into_new_array, (R.random(4),)), (value_first, (R.random(4),)), (stencil_steps, (R.random(8), 0.2, 3))]


@pytest.mark.parametrize("f,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_store_into_a_call_everywhere(f, args):
    check_everywhere(f, *annotated(args), ret=Active)
    check_primal(f, args)


def test_under_numba():
    """numba compiles a store into a reshape; a helper's returned view (which the typed tape
    does not carry) is refused at the line, and auto runs numpy's numbers."""
    from optional import require
    require("numba")
    from adcompiler import gradient
    from adcompiler.errors import BackendError
    x = R.random(6)
    check_numba_gradient(into_reshape, Duplicated(x, np.zeros(6)))
    u = R.random(8)
    with pytest.raises(BackendError, match=r"test_called_views\.py:\d+: `interior\(u\)\[:\] \+= nu \* lap`"):
        gradient(stencil_steps, u.copy(), 0.2, 3, backend="numba")
    for got, want in zip(gradient(stencil_steps, u.copy(), 0.2, 3, backend="auto")[:2],
                         gradient(stencil_steps, u.copy(), 0.2, 3)[:2]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def parts_of_a_transpose(A, B):
    A.real.T[0, :] = B[:, 0].real * 3.0
    A.T.imag[:, 2] += B[1].imag
    return float(np.sum(np.abs(A @ B) ** 2))


def test_a_store_through_a_chain_of_attribute_views():
    # A.real.T[...] and A.T.imag[...] (views of views) were refused as stores into an expression,
    # where the views named one by one were differentiated
    R = np.random.default_rng(3)
    A = R.standard_normal((3, 3)) + 1j * R.standard_normal((3, 3))
    B = R.standard_normal((3, 3)) + 1j * R.standard_normal((3, 3))
    check_everywhere(parts_of_a_transpose, Duplicated(A.copy(), np.zeros_like(A)), Duplicated(B.copy(), np.zeros_like(B)))
    plain, want = A.copy(), A.copy()
    parts_of_a_transpose(plain, B)
    want[:, 0] = (B[:, 0].real * 3.0) + 1j * want[:, 0].imag
    want[2, :] += 1j * B[1].imag
    np.testing.assert_array_equal(plain, want)


def _relax_into(dst, src, w):
    for i in range(dst.shape[0]):
        dst[i] = (1.0 - w) * dst[i] + w * src[i] * src[i]


def columns_through_the_transpose(A):
    _relax_into(A.T[0], A.T[1], 0.3)
    return float(np.sum(A ** 2))


def columns_by_index(A):
    _relax_into(A[:, 0], A[:, 1], 0.3)
    return float(np.sum(A ** 2))


def one_column_twice(A):
    _relax_into(A.T[1], A.T[1], 0.3)
    return float(np.sum(A ** 2))


def test_rows_of_a_transpose_given_to_a_writing_helper():
    """``helper(A.T[0], A.T[1])``: two views of one array, checked apart at run time as
    ``A[:, 0], A[:, 1]`` are (refused: "may share memory"); one view twice is refused when it runs."""
    A = np.random.default_rng(0).standard_normal((4, 3))
    check_everywhere(columns_through_the_transpose, Duplicated(A.copy(), np.zeros_like(A)))
    np.testing.assert_allclose(ad.gradient(columns_through_the_transpose, A)[0],
                               ad.gradient(columns_by_index, A)[0])
    with pytest.raises(AdCompilerError, match="share memory"):
        ad.gradient(one_column_twice, A)


def _axpy_into(dst, src, alpha):
    dst += alpha * np.tanh(src)


def planes_of_a_transpose(A):
    for k in range(A.shape[2] - 1):
        _axpy_into(A.T[k + 1], A.T[k], 0.5)
    return float(np.sum(np.sin(A)))


def test_planes_of_a_transpose_under_auto():
    """Two 2-D views ``A.T[k + 1], A.T[k]`` of a 3-D array share no element, but the memory they span
    overlaps: numba's check refused them, and auto did not run numpy (which tells them apart)."""
    from optional import require
    require("numba")
    A = np.random.default_rng(1).standard_normal((2, 3, 4))
    want = ad.gradient(planes_of_a_transpose, A)[0]
    np.testing.assert_allclose(ad.gradient(planes_of_a_transpose, A, backend="auto")[0], want)
    with pytest.raises(AdCompilerError, match="numba tells views apart"):
        ad.gradient(planes_of_a_transpose, A, backend="numba")


def _scaled_into(src, dst, c):
    dst[:] = src * c + dst


def reversed_view_and_another(x):
    # (two views of x, one of them reversed: it was refused before anything ran as possibly sharing
    # memory; they are checked at run time to share none, as two plain slices are)
    _scaled_into(x[4:7][::-1], x[:3], 0.5)
    x *= x


def overlapping_reversed_views(x):
    _scaled_into(x[2:5][::-1], x[:3], 0.5)
    return np.sum(x ** 2)


def test_views_of_views_passed_to_a_writing_helper_are_checked_at_run_time():
    check_everywhere(reversed_view_and_another, Duplicated(np.linspace(0.5, 1.5, 7), np.zeros(7)), out="x",
                     tapes=("autograd", "jax", "torch"))
    with pytest.raises(AdCompilerError, match=r"test_called_views\.py:\d+"):
        ad.gradient(overlapping_reversed_views, np.linspace(0.5, 1.5, 7))
