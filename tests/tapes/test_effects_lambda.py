"""The bare differentiate of a kernel calling a module's lambda: the lambda is read as the def it is
(one expression, which writes nothing); it was taken as unread, writing every argument, and refused."""
import numpy as np
import pytest

import adcompiler as ad

decay = lambda u, lam: -lam * u


def euler_step_loss(x, c):
    y = x * 1.0
    y += decay(x, c)
    return float(np.sum(y ** 2))


@pytest.mark.parametrize("tape", ["autograd", "jax", "torch"])
def test_a_kernel_calling_a_lambda_is_differentiated_on_every_tape(tape):
    x, c = np.array([1.0, -2.0, 0.5]), 0.7
    want = ad.gradient(euler_step_loss, x, c)
    np.testing.assert_allclose(want[0], 2 * (1 - c) ** 2 * x)
    f = ad.differentiate(euler_step_loss)
    if tape == "autograd":
        import autograd
        got = autograd.grad(f, (0, 1))(x.copy(), c)
    elif tape == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)
        got = jax.grad(f, (0, 1))(jax.numpy.asarray(x), c)
    else:
        import torch
        xt, ct = torch.tensor(x, requires_grad=True), torch.tensor(c, requires_grad=True, dtype=torch.float64)
        f(xt, ct).backward()
        got = (xt.grad.numpy(), ct.grad.numpy())
    np.testing.assert_allclose(np.asarray(got[0]), want[0], rtol=1e-12)
    np.testing.assert_allclose(float(got[1]), want[1], rtol=1e-12)
