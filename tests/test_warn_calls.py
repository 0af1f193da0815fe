"""``warnings.warn(...)`` in a kernel (a large step, a slow convergence) had
no rule: refused. It computes no value: declared without a derivative, it
runs where the function runs it (once per call, in every entry point).
Every entry point against finite differences; under numba it is refused at
its line, and ``auto`` falls back to numpy."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Duplicated, gradient
from adcompiler.errors import BackendError


def clipped_step(u, dt):
    for i in range(1, u.shape[0] - 1):
        lap = u[i - 1] - 2.0 * u[i] + u[i + 1]
        if abs(lap) > 0.5:
            warnings.warn(f"large Laplacian at {i}", RuntimeWarning, stacklevel=2)
        u[i] += dt * lap
    return np.sum(u ** 2)


X = np.array([0.1, 0.9, 0.2, 0.3, 1.4, 0.1])


def test_warn_everywhere():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check_everywhere(clipped_step, Duplicated(X.copy(), np.zeros(6)), Active(0.1), ret=Active,
                         tapes=("autograd", "jax", "torch"))


def test_warns_as_the_function_does():
    with warnings.catch_warnings(record=True) as plain:
        warnings.simplefilter("always")
        clipped_step(X.copy(), 0.1)
    with warnings.catch_warnings(record=True) as differentiated:
        warnings.simplefilter("always")
        gradient(clipped_step, X.copy(), 0.1)
    assert [str(w.message) for w in differentiated] == [str(w.message) for w in plain]
    assert len(plain) >= 2


def test_warn_under_numba_refused_and_auto_falls_back():
    with pytest.raises(BackendError, match=r"test_warn_calls\.py:\d+: `warnings\.warn\(.*numba cannot compile"):
        gradient(clipped_step, X.copy(), 0.1, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for got, want in zip(gradient(clipped_step, X.copy(), 0.1, backend="auto"), gradient(clipped_step, X.copy(), 0.1)):
            np.testing.assert_allclose(got, want, rtol=1e-12)
