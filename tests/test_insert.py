"""``np.insert`` (the rolling mean of ``np.cumsum(np.insert(x, 0, 0.0))``, several indices,
rows and columns, a value broadcast, the flattened form): every entry point against finite
differences, the Hessian against its closed form; refused by the numba backend at its line
(``auto`` falls back to numpy)."""
import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def rolling_mean(x, out, w):
    c = np.cumsum(np.insert(x, 0, 0.0))
    out[:] = (c[w:] - c[:-w]) / w


def several_indices(x, v):
    return np.sum(np.insert(x, [1, 3, 3], v) ** 2 * np.arange(7.0))


def a_row(A, r):
    return np.sum(np.insert(A, 1, r, axis=0) ** 3)


def a_number_broadcast_down_a_column(A, s):
    return np.sum(np.sin(np.insert(A, 2, s, axis=1)))


def flattened_from_the_end(A, v):
    return np.sum(np.insert(A, -1, v) ** 2 * np.arange(8.0))


def by_a_mask_and_a_slice(x, v):
    y = np.insert(x, slice(0, 4, 2), v)
    return np.sum(np.cos(y) * np.arange(1.0, 7.0))


def _x():
    return np.array([0.3, -0.5, 0.7, 1.2, -0.1])


def _A():
    return np.arange(6.0).reshape(2, 3) / 5


def _d(v):
    return Duplicated(v.copy(), np.zeros_like(v))


CASES = [
    (rolling_mean, lambda: (_d(_x()), _d(np.zeros(4)), Const(2)), ("out",)),
    (several_indices, lambda: (_d(_x()[:4]), _d(np.array([0.4, 0.9, -0.3]))), ()),
    (several_indices, lambda: (_d(_x()[:4]), Active(0.7)), ()),
    (a_row, lambda: (_d(_A()), _d(np.array([0.1, 0.2, 0.3]))), ()),
    (a_number_broadcast_down_a_column, lambda: (_d(_A()), Active(0.4)), ()),
    (flattened_from_the_end, lambda: (_d(_A()), _d(np.array([0.5, -0.5]))), ()),
    (by_a_mask_and_a_slice, lambda: (_d(_x()[:4]), _d(np.array([0.2, -0.6]))), ()),
]


@pytest.mark.parametrize("f, args, out", CASES, ids=[f"{c[0].__name__}{k}" for k, c in enumerate(CASES)])
def test_every_entry_point(f, args, out):
    check_everywhere(f, *args(), out=out, tapes=("autograd", "jax", "torch"))


def test_hessian_closed_form():
    v = np.array([0.4, 0.9, -0.3])
    H = ad.hessian(lambda x: several_indices(x, v), _x()[:4])
    np.testing.assert_allclose(H, np.diag([0.0, 4.0, 6.0, 12.0]), atol=1e-12)


def rolling_loss(x):
    out = np.zeros(4)
    rolling_mean(x, out, 2)
    return np.sum(out ** 2)


def test_numba_refuses_at_the_line_and_auto_falls_back():
    pytest.importorskip("numba")
    with pytest.raises(ad.AdCompilerError, match="_ad_insert_part") as e:
        ad.gradient(rolling_loss, _x(), backend="numba")
    assert e.value.filename == __file__
    np.testing.assert_allclose(ad.gradient(rolling_loss, _x(), backend="auto")[0], ad.gradient(rolling_loss, _x())[0])
