"""Kernels for the tape benchmark, with an equivalent functional rewrite per tape.

The in-place kernels are what ``differentiate`` wraps; each rewrite computes
the same loss the way the tape's users would write it without adcompiler
(no mutation): autograd and PyTorch eager with concatenation and Python
loops, JAX with ``jax.jit`` and ``lax.fori_loop``/``lax.scan``. Every loss
is ``sum(output**2)`` so the gradients can be compared.
"""
from __future__ import annotations

import numpy as np


def seed(s: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """``s[:] = a + b``: the motivating example."""
    s[:] = a + b


def heat(u: np.ndarray, c: float, steps: int) -> None:
    """Explicit 1-D heat equation: ``steps`` updates of the interior in place."""
    for t in range(steps):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])


def recurrence(s: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """``s[i] = s[i-1]*a[i] + b[i]`` for i >= 1; ``s[0]`` is the initial value."""
    n = s.shape[0]
    for i in range(1, n):
        s[i] = s[i - 1] * a[i] + b[i]


# --- autograd -----------------------------------------------------------------

def autograd_losses() -> dict:
    import autograd.numpy as anp

    def seed_loss(a, b):
        return anp.sum((a + b) ** 2)

    def heat_loss(u, c, steps):
        for _ in range(steps):
            u = anp.concatenate([u[:1], u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2]), u[-1:]])
        return anp.sum(u ** 2)

    def rec_loss(s0, a, b):
        vals = [s0[0]]
        for i in range(1, len(a)):
            vals.append(vals[-1] * a[i] + b[i])
        return anp.sum(anp.array(vals) ** 2)

    return {"seed": seed_loss, "heat": heat_loss, "recurrence": rec_loss}


# --- PyTorch eager ------------------------------------------------------------

def torch_losses() -> dict:
    import torch

    def seed_loss(a, b):
        return torch.sum((a + b) ** 2)

    def heat_loss(u, c, steps):
        for _ in range(steps):
            u = torch.cat([u[:1], u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2]), u[-1:]])
        return torch.sum(u ** 2)

    def rec_loss(s0, a, b):
        vals = [s0[0]]
        for i in range(1, len(a)):
            vals.append(vals[-1] * a[i] + b[i])
        return torch.sum(torch.stack(vals) ** 2)

    return {"seed": seed_loss, "heat": heat_loss, "recurrence": rec_loss}


# --- JAX (jitted) -------------------------------------------------------------

def jax_losses() -> dict:
    import jax
    import jax.numpy as jnp

    def seed_loss(a, b):
        return jnp.sum((a + b) ** 2)

    def heat_loss(u, c, steps):
        def step(_, u):
            return u.at[1:-1].set(u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2]))
        return jnp.sum(jax.lax.fori_loop(0, steps, step, u) ** 2)

    def rec_loss(s0, a, b):
        def step(prev, ab):
            nxt = prev * ab[0] + ab[1]
            return nxt, nxt
        _, rest = jax.lax.scan(step, s0[0], (a[1:], b[1:]))
        return jnp.sum(s0[0] ** 2) + jnp.sum(rest ** 2)

    return {"seed": seed_loss, "heat": heat_loss, "recurrence": rec_loss}
