"""The fused function keeps only the shape of what its reverse sweep reads only for its
shape (``transform/release.py``): the array is released after the forward sweep's last
use, so the reverse sweep's arrays are not allocated beside it."""
import tracemalloc

import numpy as np
from everywhere import check_everywhere

from adcompiler import Active, Duplicated, Reverse, autodiff, gradient
from adcompiler.testing import check_grads


def sum_of_squares(s, a, b):
    s[:] = a + b
    return np.sum(s ** 2)


def two_terms(a, b):
    return float(np.sum(a * b) + np.sum(a ** 2) * np.sum(b))


def _peak(f, *args):
    tracemalloc.start()
    try:
        f(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_reverse_sweep_holds_one_temporary_at_a_time():
    n = 200_000
    rng = np.random.default_rng(0)
    s, a, b = np.zeros(n), rng.random(n), rng.random(n)
    ds, da, db = np.zeros(n), np.zeros(n), np.zeros(n)
    call = lambda: autodiff(Reverse, sum_of_squares, Active, Duplicated(s, ds), Duplicated(a, da),
                            Duplicated(b, db))
    call()   # (compiled)
    da[:] = db[:] = 0.0
    peak = _peak(call)
    assert peak < 1.5 * 8 * n, peak   # (s ** 2 kept through the reverse sweep: 16 bytes an element)
    np.testing.assert_allclose(da, 2 * (a + b), rtol=1e-12)
    np.testing.assert_allclose(db, 2 * (a + b), rtol=1e-12)


def test_derivatives_with_shapes_kept():
    rng = np.random.default_rng(1)
    a, b = rng.random(5), rng.random(5)
    g = gradient(two_terms, a.copy(), b.copy())
    np.testing.assert_allclose(g[0], b + 2 * a * np.sum(b), rtol=1e-12)
    np.testing.assert_allclose(g[1], a + np.sum(a ** 2), rtol=1e-12)
    check_grads(sum_of_squares, Duplicated(np.zeros(4), np.zeros(4)), Duplicated(a[:4].copy(), np.zeros(4)),
                Duplicated(b[:4].copy(), np.zeros(4)), ret=Active)


def test_every_entry_point_over_kernels_with_shapes_kept():
    """The pass changes the fused function only (autodiff Reverse and ReverseWithPrimal,
    gradient, the emitted ``{f}_reverse``); the split halves, forward and vector mode and
    the tapes run the same kernels too, against finite differences and one another."""
    rng = np.random.default_rng(3)
    check_everywhere(sum_of_squares, np.zeros(5), rng.random(5), rng.random(5), ret=Active)
    check_everywhere(two_terms, rng.random(4), rng.random(4), ret=Active)
