"""Rules returning a tuple with two differentiated parameters: the tangents
of the parameters are tuples, added element by element (``lstsq`` with
``a`` and ``b`` both Duplicated used to join them with ``+``, which
concatenates tuples). Vector mode refuses such a rule and runs one direction
at a time instead."""
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import BatchDuplicated, Duplicated, Forward, autodiff

RNG = np.random.default_rng(5)


def solution(A, b):
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(x ** 2) + np.sum(np.sin(x))


def unpacked(A, b):
    x, _res, _rank, _sv = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(x * x * np.arange(1.0, x.shape[0] + 1.0))


def into(out, A, B):
    x = np.linalg.lstsq(A, B, rcond=None)[0]
    out[:] = x * 2.0


def dup(x):
    return Duplicated(x.copy(), np.zeros_like(x))


@pytest.mark.parametrize("f", [solution, unpacked])
def test_lstsq_both_duplicated_everywhere(f):
    check_everywhere(f, dup(RNG.standard_normal((6, 3))), dup(RNG.standard_normal(6)))


def test_lstsq_matrix_right_hand_side():
    check_everywhere(into, dup(np.zeros((3, 2))), dup(RNG.standard_normal((5, 3))),
                     dup(RNG.standard_normal((5, 2))), out="out")


def test_forward_tangent_is_the_sum_of_both_directions():
    A, b = RNG.standard_normal((6, 3)), RNG.standard_normal(6)
    tA, tb = RNG.standard_normal((6, 3)), RNG.standard_normal(6)
    (both,) = autodiff(Forward, solution, Duplicated, Duplicated(A.copy(), tA.copy()), Duplicated(b.copy(), tb.copy()))
    (only_a,) = autodiff(Forward, solution, Duplicated, Duplicated(A.copy(), tA.copy()),
                         Duplicated(b.copy(), np.zeros(6)))
    (only_b,) = autodiff(Forward, solution, Duplicated, Duplicated(A.copy(), np.zeros((6, 3))),
                         Duplicated(b.copy(), tb.copy()))
    assert np.isclose(both, only_a + only_b, rtol=1e-12)
    h = 1e-6
    fd = (solution(A + h * tA, b + h * tb) - solution(A - h * tA, b - h * tb)) / (2 * h)
    assert np.isclose(both, fd, rtol=1e-6)


def test_vector_mode_runs_each_direction():
    A, b = RNG.standard_normal((6, 3)), RNG.standard_normal(6)
    dirs = [(RNG.standard_normal((6, 3)), RNG.standard_normal(6)) for _ in range(2)]
    (bt,) = autodiff(Forward, solution, Duplicated, BatchDuplicated(A.copy(), tuple(d[0].copy() for d in dirs)),
                     BatchDuplicated(b.copy(), tuple(d[1].copy() for d in dirs)))
    for j, (tA, tb) in enumerate(dirs):
        (one,) = autodiff(Forward, solution, Duplicated, Duplicated(A.copy(), tA.copy()), Duplicated(b.copy(), tb.copy()))
        assert np.isclose(bt[j], one, rtol=1e-12)


def pieces(z):
    parts = np.split(z, 3)
    halves = np.array_split(z, 2)
    return np.sum(parts[1] * parts[2]) + np.sum(halves[0] ** 2) + np.sum(np.sin(halves[1]))


def test_split_pieces_in_forward_and_vector_mode():
    """split returns a list: its forward tangent is a list of fresh arrays (this failed in
    _ad_fresh_like), and vector mode runs one direction at a time."""
    check_everywhere(pieces, dup(RNG.standard_normal(6)))
