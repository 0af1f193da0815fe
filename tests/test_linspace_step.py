"""``x, dx = np.linspace(0.0, L, n, retstep=True)``: the samples and the step, which carries
the derivative of ``start`` and ``stop`` (``(stop - start) / (num - 1)``, ``/ num`` without the
endpoint, NaN for one sample with it, as numpy's). It was refused ("retstep=True is not
differentiated"). Checked at every entry point against finite differences, the values against
numpy's; numba (no version of the step's factor) refuses at the line and ``auto`` runs numpy."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import Active, Duplicated


def grid_energy(L, u):
    x, dx = np.linspace(0.0, L, u.shape[0], retstep=True)
    return np.sum(u * np.sin(x)) * dx


def without_the_endpoint(a, b):
    x, h = np.linspace(a, b, 5, False, True)
    return np.sum(x ** 2) * h + h ** 2


def of_arrays(a, b):
    x, h = np.linspace(a, b, 4, retstep=True, axis=1)
    return np.sum(x ** 2) + np.sum(h * a)


def samples_only(L):
    x = np.linspace(0.0, L, 5, retstep=False)
    return np.sum(x ** 2)


def one_sample(L):
    x, h = np.linspace(0.0, L, 1, retstep=True)
    return float(np.isnan(h)) + np.sum(x)


def _a(x):
    x = np.asarray(x, dtype=float)
    return Duplicated(x, np.zeros_like(x))


RNG = np.random.default_rng(0)
CASES = [
    (grid_energy, lambda: (Active(2.0), _a(RNG.standard_normal(6)))),
    (without_the_endpoint, lambda: (Active(0.3), Active(1.7))),
    (of_arrays, lambda: (_a(RNG.uniform(size=3)), _a(RNG.uniform(size=3) + 1.0))),
    (samples_only, lambda: (Active(1.5),)),
    (one_sample, lambda: (Active(1.5),)),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_every_entry_point(f, args):
    check_everywhere(f, *args(), ret=Active, out=(), tapes=("autograd", "jax", "torch"))


@pytest.mark.parametrize("f, args", [(without_the_endpoint, (0.3, 1.7)), (one_sample, (1.5,)),
                                     (of_arrays, (np.array([0.1, 0.2]), np.array([1.0, 3.0])))],
                         ids=["no endpoint", "one sample", "arrays"])
def test_the_value_is_numpys(f, args):
    annotated = [Active(a) if isinstance(a, float) else _a(a) for a in args]
    _, value = ad.autodiff(ad.ReverseWithPrimal, f, Active, *annotated)
    assert value == pytest.approx(f(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args]), rel=1e-15)


def test_numba_refuses_at_the_line_and_auto_runs_numpy():
    require("numba")
    u = RNG.standard_normal(6)
    with pytest.raises(ad.errors.BackendError, match=r"test_linspace_step.py:\d+: `x, dx = np.linspace"):
        ad.gradient(grid_energy, 2.0, u.copy(), backend="numba")
    got, want = ad.gradient(grid_energy, 2.0, u.copy(), backend="auto"), ad.gradient(grid_energy, 2.0, u.copy())
    assert got[0] == pytest.approx(want[0], rel=1e-14)
