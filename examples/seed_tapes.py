"""The seed under every installed tape.

``f_(s, a, b)`` writes ``a + b`` into ``s``. ``differentiate`` turns it into a
pure ``f(a, b) -> s`` whose backward pass is adcompiler's generated adjoint.
For each tape, the gradient of ``g2(a, b) = sum(f(a, b)**2)`` is compared
with the tape's own gradient of ``g1(a, b) = sum((a + b)**2)``; both must be
``2 (a + b)``.

Run: ``python examples/seed_tapes.py``
"""
from __future__ import annotations

import importlib

import numpy as np

from adcompiler.tapes.differentiate import differentiate


@differentiate(out="s", like="a")
def f(s, a, b):
    s[:] = a + b


def with_autograd(a, b):
    import autograd
    import autograd.numpy as anp
    g1 = autograd.grad(lambda a, b: anp.sum((a + b) ** 2), (0, 1))(a, b)
    g2 = autograd.grad(lambda a, b: anp.sum(f(a, b) ** 2), (0, 1))(a, b)
    return g1, g2


def with_torch(a, b):
    import torch
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    g1 = torch.autograd.grad(torch.sum((ta + tb) ** 2), (ta, tb))
    g2 = torch.autograd.grad(torch.sum(f(ta, tb) ** 2), (ta, tb))
    return [x.numpy() for x in g1], [x.numpy() for x in g2]


def with_jax(a, b):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    ja, jb = jnp.asarray(a), jnp.asarray(b)
    g1 = jax.grad(lambda a, b: jnp.sum((a + b) ** 2), (0, 1))(ja, jb)
    g2 = jax.jit(jax.grad(lambda a, b: jnp.sum(f(a, b) ** 2), (0, 1)))(ja, jb)
    return [np.asarray(x) for x in g1], [np.asarray(x) for x in g2]


def main() -> int:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    print("f(a, b) =", f(a, b))
    print("expected gradient 2(a + b) =", 2 * (a + b))
    failures = 0
    for name, run in (("autograd", with_autograd), ("torch", with_torch), ("jax", with_jax)):
        try:
            importlib.import_module(name)
        except ImportError:
            print(f"{name:>8}: not installed")
            continue
        g1, g2 = run(a, b)
        ok = all(np.allclose(x, 2 * (a + b)) and np.allclose(x, y) for x, y in zip(g2, g1))
        failures += not ok
        print(f"{name:>8}: d/da = {np.round(g2[0], 6)}  {'matches' if ok else 'DIFFERS'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
