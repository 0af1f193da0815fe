"""Arrays whose elements share memory (a sliding window, ``as_strided``, torch's
``unfold``): the entry points that copy their arguments (``gradient``, ``grad``,
the tapes) give each element its own derivative, as the caller's elements
are values; where the caller's memory is the argument (a Duplicated array, or
one the function writes) they are refused. Their copies kept the overlapping
strides, and the derivatives of elements sharing a cell were added together."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided, sliding_window_view
from optional import require

import adcompiler as ad
from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Forward,
    Reverse,
    autodiff,
    differentiate,
    gradient,
)
from adcompiler.api.copies import layout_copy, overlaps_itself


def weighted_squares(A):
    e = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            e = e + A[i, j] * A[i, j] * (i + 1)
    return e


def row_sums(s, A):
    for i in range(A.shape[0]):
        acc = 0.0
        for j in range(A.shape[1]):
            acc = acc + A[i, j] * A[i, j]
        s[i] = acc


def scale_in_place(A, c):
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            A[i, j] = A[i, j] * c + i


def scaled_sum(A, c):
    scale_in_place(A, c)
    return np.sum(A)


def _window():
    return sliding_window_view(np.arange(1.0, 6.0), 3)   # 3x3, strides (8, 8): rows overlap


WANT = 2 * np.arange(1.0, 4.0)[:, None] * np.array([[1.0, 2, 3], [2, 3, 4], [3, 4, 5]])


def test_overlaps_itself():
    base = np.arange(12.0)
    assert overlaps_itself(_window())
    assert overlaps_itself(np.broadcast_to(base[:3], (4, 3)))
    assert overlaps_itself(as_strided(base, (3, 3), (16, 8)))
    assert not overlaps_itself(base.reshape(3, 4)[:, ::2])
    assert not overlaps_itself(base.reshape(3, 4).T)
    assert not overlaps_itself(base[::-2])
    c = layout_copy(_window())
    assert not overlaps_itself(c) and np.array_equal(c, _window())


def test_gradient_and_grad_per_element():
    np.testing.assert_allclose(gradient(weighted_squares, _window())[0], WANT)
    np.testing.assert_allclose(ad.grad(weighted_squares)(_window()), WANT)


def test_tapes_per_element():
    got = __import__("autograd").grad(differentiate(weighted_squares))(_window())
    np.testing.assert_allclose(got, WANT)
    require("torch")
    import torch
    f = differentiate(row_sums, out="s", like=lambda A: (A.shape[0],))
    x = torch.tensor(np.arange(1.0, 6.0), requires_grad=True)
    f(x.unfold(0, 3, 1)).sum().backward()
    want = torch.tensor(np.arange(1.0, 6.0), requires_grad=True)
    (want.unfold(0, 3, 1) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), want.grad.numpy())
    g = differentiate(scale_in_place, out="A")
    y = torch.tensor(np.arange(1.0, 6.0))
    np.testing.assert_allclose(g(y.unfold(0, 3, 1), 2.0).numpy(), np.arange(1.0, 6.0)[np.arange(3)[:, None] + np.arange(3)] * 2 + np.arange(3)[:, None])


def test_duplicated_refused():
    A = _window()
    with pytest.raises(AdCompilerError, match="share memory"):
        autodiff(Reverse, weighted_squares, Active, Duplicated(A, np.zeros((3, 3))))
    shadow = as_strided(np.zeros(5), (3, 3), (8, 8))
    with pytest.raises(AdCompilerError, match="elements share memory"):
        autodiff(Reverse, weighted_squares, Active, Duplicated(A, shadow))
    with pytest.raises(AdCompilerError, match="share memory"):
        autodiff(Forward, weighted_squares, Const, Duplicated(A, np.ones((3, 3))))


def test_written_refused():
    """Written, the caller's elements are one memory: a copy would compute something else."""
    A = as_strided(np.arange(1.0, 6.0), (3, 3), (8, 8), writeable=True)
    with pytest.raises(AdCompilerError, match="elements share memory"):
        autodiff(Reverse, scale_in_place, Const, Const(A), Active(2.0))
    with pytest.raises(AdCompilerError, match="share memory"):
        gradient(scaled_sum, A, 2.0)


def test_split_halves_refused():
    from adcompiler import ReverseSplitWithPrimal, autodiff_thunk
    A, shadow = _window(), as_strided(np.zeros(5), (3, 3), (8, 8))
    fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, weighted_squares, Active, Duplicated)
    with pytest.raises(AdCompilerError, match="elements share memory"):
        fwd(Duplicated(A, shadow))
    B = as_strided(np.arange(1.0, 6.0), (3, 3), (8, 8), writeable=True)
    fwd, _ = autodiff_thunk(ReverseSplitWithPrimal, scale_in_place, Const, Const, Active)
    with pytest.raises(AdCompilerError, match="it is written by the function"):
        fwd(Const(B), Active(2.0))
