"""``np.hsplit``, ``np.vsplit`` and ``np.dsplit`` (``np.split`` along axis 1, or 0 of a 1-D array,
along 0 and along 2): they had no rule (refused). Their pieces are views, as ``np.split``'s: written
through, read after, indexed twice. Checked at every entry point against finite differences and on
the autograd, JAX and PyTorch tapes."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Duplicated


def halves(A):
    left, right = np.hsplit(A, 2)
    top, bottom = np.vsplit(A, [1])
    return np.sum(left * right) + np.sum(top ** 2) * bottom[0, 1]


def written_through(A, x):
    cols = np.hsplit(A, 2)
    c = cols[1]
    c *= 2.0
    parts = np.hsplit(x, [1, 3])   # (a 1-D array: split along its axis 0)
    return np.sum(A ** 2) + parts[1][0] * parts[2][0]


def depth(T):
    a, b = np.dsplit(T, 2)
    return np.sum(a * b)


def _d(*shape):
    x = np.random.default_rng(1).standard_normal(shape)
    return Duplicated(x, np.zeros_like(x))


@pytest.mark.parametrize("f, args, out", [(halves, lambda: (_d(3, 4),), ()),
                                          (written_through, lambda: (_d(3, 4), _d(5)), None),
                                          (depth, lambda: (_d(2, 2, 4),), ())], ids=["hsplit vsplit", "written", "dsplit"])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))
