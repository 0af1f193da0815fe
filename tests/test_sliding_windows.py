"""``np.lib.stride_tricks.sliding_window_view`` (numpy's read-only view of every window of an
array: moving averages, windowed maxima, image patches). It had no rule; it is differentiated as
a copy of the windows (each element's adjoint sums those of the windows covering it), and
refused where the argument is written while the view is still read (the view would show the
write), or with ``writeable=``. Checked at every entry point against finite differences, on the
three tapes, by hvp against finite differences of the gradient; under numba (no version of
its adjoint) refused at the line, and ``auto`` runs numpy."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere
from numpy.lib.stride_tricks import sliding_window_view
from optional import require

import adcompiler as ad
from adcompiler import Active, Const, Duplicated


def moving_average(x, out):
    w = sliding_window_view(x, 3)
    out[:] = w.mean(axis=-1)


def windowed_energy(x):
    w = np.lib.stride_tricks.sliding_window_view(x, window_shape=4)
    return np.sum(np.max(w, axis=1) ** 2) + np.sum(w[:, 0] * w[:, -1])


def patches(A, K):
    P = sliding_window_view(A, (2, 2))
    return np.sum(np.einsum("ijkl,kl->ij", P, K) ** 2)


def along_one_axis(A):
    P = sliding_window_view(A, 2, axis=1)
    return np.sum(P[..., 0] * P[..., 1] ** 2)


def an_axis_twice(x):
    P = sliding_window_view(x, (2, 3), axis=(0, 0))
    return np.sum(P * P * np.arange(6.0).reshape(2, 3))


def written_after_reading(x):
    w = sliding_window_view(x, 2)
    s = np.sum(w[:, 0] * w[:, 1])
    x *= 2.0
    return s + np.sum(x * x)


def _windows(x):
    return sliding_window_view(x, 3)


def through_a_helper(x):
    w = _windows(x)
    return np.sum(w[:, 1] * w[:, 2] ** 2)


def complex_windows(z):
    w = sliding_window_view(z, 3)
    return np.sum(np.abs(w[:, 0] * w[:, 2]) ** 2)


def _a(*shape, seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return Duplicated(x, np.zeros_like(x))


CASES = [
    (windowed_energy, lambda: (_a(8),)),
    (patches, lambda: (_a(4, 5), _a(2, 2, seed=1))),
    (along_one_axis, lambda: (_a(3, 4),)),
    (an_axis_twice, lambda: (_a(7),)),
    (written_after_reading, lambda: (_a(5),)),
    (through_a_helper, lambda: (_a(6),)),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_every_entry_point(f, args):
    check_everywhere(f, *args(), ret=Active)


def test_written_into_an_out_buffer():
    check_everywhere(moving_average, _a(7), _a(5, seed=1), ret=Const)


def test_complex_arrays():
    rng = np.random.default_rng(6)
    z = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    check_everywhere(complex_windows, Duplicated(z, np.zeros_like(z)), ret=Active)


@pytest.mark.parametrize("tape", ["autograd", "jax", "torch"])
def test_tapes(tape):
    x = np.random.default_rng(2).uniform(0.5, 1.5, 8)
    want = np.zeros(8)
    ad.autodiff(ad.Reverse, windowed_energy, Active, Duplicated(x.copy(), want))
    g = ad.differentiate(windowed_energy)
    if tape == "autograd":
        import autograd
        got = autograd.grad(g)(x.copy())
    elif tape == "jax":
        jax = require("jax")
        jax.config.update("jax_enable_x64", True)
        got = np.asarray(jax.grad(g)(jax.numpy.asarray(x)))
    else:
        torch = require("torch")
        t = torch.tensor(x.copy(), requires_grad=True)
        g(t).backward()
        got = t.grad.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_hvp_against_finite_differences_of_the_gradient():
    rng = np.random.default_rng(3)
    x, v = rng.uniform(0.5, 1.5, 8), rng.standard_normal(8)
    (hv,) = ad.hvp(windowed_energy, (x.copy(),), (v,))
    h = 1e-6
    grad = [ad.gradient(windowed_energy, x + s * h * v)[0] for s in (1, -1)]
    np.testing.assert_allclose(hv, (grad[0] - grad[1]) / (2 * h), rtol=1e-6, atol=1e-8)


def read_after_a_write(x):
    w = sliding_window_view(x, 2)
    x *= 2.0
    return np.sum(w[:, 0] * w[:, 1])


def written_through_a_helper(x):
    w = _windows(x)
    x *= 2.0
    return np.sum(w * w)


def writeable(x):
    w = sliding_window_view(x, 2, writeable=True)
    return np.sum(w)


@pytest.mark.parametrize("f, match", [
    (read_after_a_write, "returns a view of `x`, whose memory is written later"),
    (written_through_a_helper, "returns a view numpy makes of its argument `x`"),
    (writeable, "the keyword `writeable`"),
], ids=["read after a write", "through a helper", "writeable"])
def test_refused_at_the_line(f, match):
    x = np.random.default_rng(4).uniform(0.5, 1.5, 6)
    with pytest.raises(ad.AdCompilerError, match=match) as e:
        ad.autodiff(ad.Reverse, f, Active, Duplicated(x, np.zeros(6)))
    assert "test_sliding_windows.py:" in str(e.value)


def test_numba_refuses_at_the_line_and_auto_runs_numpy():
    require("numba")
    x = np.random.default_rng(5).uniform(0.5, 1.5, 8)
    with pytest.raises(ad.errors.BackendError, match=r"test_sliding_windows.py:\d+: `w = np.lib.stride_tricks"):
        ad.gradient(windowed_energy, x.copy(), backend="numba")
    np.testing.assert_allclose(ad.gradient(windowed_energy, x.copy(), backend="auto")[0],
                               ad.gradient(windowed_energy, x.copy())[0], rtol=1e-14)
