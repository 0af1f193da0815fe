"""A condition holding a reduction of Python's over a comprehension (``while max(abs(x[i]) for i
in range(n)) > tol and it < 40``, ``if any(v > 2 for v in ...)``): the reduction is computed first,
into a name, as a statement's is (kept whole in the condition, ``max`` of one argument met the
rule of two: "max needs the argument `b`"). Re-evaluated at each pass of a while loop; not where
Python would skip it (after ``and``'s first operand). Every entry point against finite
differences."""
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Const, Duplicated


def shrink_until_small(x, c):
    it = 0
    while max(abs(x[i]) for i in range(x.shape[0])) > 0.3 and it < 40:
        for i in range(x.shape[0]):
            x[i] = x[i] * c + 0.01 * x[i - 1]
        it += 1
    return np.sum(x ** 2) + it


def scaled_if_any_large(x, c):
    if any(v > 0.8 for v in x) or sum(x[i] for i in range(2)) < -5.0:
        x *= c
    return np.sum(x * x) * c


def skipped_when_empty(x, n: int):
    s = 0.0
    if n > 0 and max(x[i] for i in range(n)) > 0.1:
        s = np.sum(x[:n] ** 2)
    return s + np.sum(x)


@pytest.mark.parametrize("f, args", [
    (shrink_until_small, (np.array([0.9, -0.5, 0.7]), 0.8)),
    (scaled_if_any_large, (np.array([0.9, -0.5, 0.7]), 1.3)),
    (scaled_if_any_large, (np.array([0.2, -0.5, 0.7]), 1.3)),
    (skipped_when_empty, (np.array([0.9, -0.5, 0.7]), 2)),
    (skipped_when_empty, (np.array([0.9, -0.5, 0.7]), 0))])
def test_reductions_of_comprehensions_in_conditions(f, args):
    x, other = args
    check_everywhere(f, Duplicated(x.copy(), np.zeros(3)), Active(other) if isinstance(other, float) else Const(other),
                     ret=Active)
