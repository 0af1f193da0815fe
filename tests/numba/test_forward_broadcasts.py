"""Forward mode under numba of an operation with a constant operand (``d - L * np.round(d / L)``,
the minimum image of a periodic box): the tangent broadcast to the result's shape
(``_ad_broadcast_like``) had no numba version (refused; auto ran numpy). References: the
numpy backend and reverse mode (a dot-product test)."""
import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import Const, Duplicated

require("numba")


def minimum_image(x, box):
    s = 0.0
    for i in range(x.shape[0]):
        d = x[i] - x[0]
        d = d - box * np.round(d / box)
        s += np.sum(d * d)
    return s


def shifted_rows(y, x, c):
    for i in range(x.shape[0]):
        y[i, :] = x[i] + c
    return float(np.sum(y * y))


@pytest.mark.parametrize("f", [minimum_image, shifted_rows])
def test_tangents_of_constant_operands(f):
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def args(tangent):
        if f is minimum_image:
            return [Duplicated(x.copy(), tangent.copy()), Const(2.5)]
        return [Duplicated(np.zeros((4, 3)), np.zeros((4, 3))), Duplicated(x.copy(), tangent.copy()),
                Const(np.ones(3))]
    got = ad.autodiff(ad.ForwardWithPrimal, f, Duplicated, *args(t), backend="numba")
    want = ad.autodiff(ad.ForwardWithPrimal, f, Duplicated, *args(t))
    assert got[0] == pytest.approx(want[0], rel=1e-13) and got[1] == pytest.approx(want[1], rel=1e-13)
    g = ad.gradient(f, *([x.copy(), 2.5] if f is minimum_image else [np.zeros((4, 3)), x.copy(), np.ones(3)]))
    grad_x = g[0] if f is minimum_image else g[1]
    assert got[0] == pytest.approx(float(np.sum(grad_x * t)), rel=1e-10)
