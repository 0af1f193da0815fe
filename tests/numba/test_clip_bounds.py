"""np.clip with bounds that carry derivatives under numba: the adjoints of the bounds
(``_ad_clip_low``, ``_ad_clip_high``) had no numba version (refused; auto ran numpy).
Elements below, above and at the bounds, and where the low bound is above the high one
(numpy gives the high bound there). References: central differences, the numpy backend."""
import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import Const, Duplicated, Reverse

require("numba")


def clipped_loop(y, x, lo, hi):
    for i in range(x.shape[0]):
        y[i] = np.clip(x[i], lo[i], hi[i]) ** 2


def clipped_arrays(y, x, lo, hi):
    y[:] = np.clip(x, lo, hi) * x


def clipped_below(y, x, lo):
    for i in range(x.shape[0]):
        y[i] = np.clip(x[i], lo[i], None) * 3.0


X = np.array([0.1, -2.0, 3.0, 0.55, 1.5, 0.7])
LO = np.array([0.0, -1.0, 0.0, 1.0, 1.0, 0.9])
HI = np.array([1.0, 1.0, 2.0, 0.5, 2.0, 0.2])


@pytest.mark.parametrize("f", [clipped_loop, clipped_arrays, clipped_below])
def test_bounds_carry_their_adjoints(f):
    arrays = [X, LO, HI] if f is not clipped_below else [X, LO]
    seed = np.arange(1.0, 7.0)
    got = {}
    for backend in ("numba", "numpy"):
        shadows = [np.zeros(6) for _ in arrays]
        ad.autodiff(Reverse, f, Const, Duplicated(np.zeros(6), seed.copy()),
                    *[Duplicated(a.copy(), d) for a, d in zip(arrays, shadows)], backend=backend)
        got[backend] = shadows
    for a, b in zip(got["numba"], got["numpy"]):
        np.testing.assert_array_equal(a, b)
    h = 1e-7   # (no element within h of a kink)
    for k, a in enumerate(arrays):
        fd = np.zeros(6)
        for i in range(6):
            up, dn = [v.copy() for v in arrays], [v.copy() for v in arrays]
            up[k][i] += h
            dn[k][i] -= h
            yu, yd = np.zeros(6), np.zeros(6)
            f(yu, *up)
            f(yd, *dn)
            fd[i] = seed @ (yu - yd) / (2 * h)
        np.testing.assert_allclose(got["numba"][k], fd, rtol=1e-5, atol=1e-6)
