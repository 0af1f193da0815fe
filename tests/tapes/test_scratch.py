"""differentiate(..., scratch=...): a float-returning kernel that writes work
arrays it is given, under autograd, PyTorch and JAX, against autograd on the
same computation written without mutation."""
from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from adcompiler import AdCompilerError
from adcompiler.tapes.differentiate import differentiate

from .conftest import require


def energy(work, x, k):
    """Writes the work array, then reads it back: the gradient flows through it."""
    work[:] = np.tanh(k * x)
    for i in range(1, work.shape[0]):
        work[i] += 0.5 * work[i - 1]
    return float(np.sum(work ** 2))


def energy_reference(x, k):
    w = [anp.tanh(k * x[0])]
    for i in range(1, x.shape[0]):
        w.append(anp.tanh(k * x[i]) + 0.5 * w[i - 1])
    return sum(wi ** 2 for wi in w)


X = np.random.default_rng(3).normal(size=6)
WANT = autograd.grad(energy_reference, (0, 1))(X, 0.8)


def test_without_scratch_the_bare_form_refuses_with_the_way_out():
    with pytest.raises(AdCompilerError, match="scratch="):
        differentiate(energy)


def test_autograd():
    f = differentiate(energy, scratch=("work",))
    work = np.zeros(6)
    gx, gk = autograd.grad(lambda x, k: f(work, x, k), (0, 1))(X, 0.8)
    np.testing.assert_allclose(gx, WANT[0], rtol=1e-10)
    assert gk == pytest.approx(WANT[1], rel=1e-10)
    np.testing.assert_array_equal(work, 0.0)        # the caller's work array is never written
    assert f(work, X, 0.8) == pytest.approx(energy_reference(X, 0.8), rel=1e-12)


def test_torch():
    torch = require("torch")
    f = differentiate(energy, scratch=("work",))
    x = torch.tensor(X, requires_grad=True)
    k = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    f(torch.zeros(6, dtype=torch.float64), x, k).backward()
    np.testing.assert_allclose(x.grad.numpy(), WANT[0], rtol=1e-10)
    assert float(k.grad) == pytest.approx(WANT[1], rel=1e-10)


def test_jax():
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    f = differentiate(energy, scratch=("work",))
    gx, gk = jax.grad(lambda x, k: f(jax.numpy.zeros(6), x, k), (0, 1))(jax.numpy.asarray(X), 0.8)
    np.testing.assert_allclose(np.asarray(gx), WANT[0], rtol=1e-10)
    assert float(gk) == pytest.approx(WANT[1], rel=1e-10)
