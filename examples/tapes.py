"""The seed under autograd, PyTorch and JAX: one in-place kernel on three tapes.

``seed_tapes.f`` is ``f_(s, a, b): s[:] = a + b`` wrapped by
``differentiate(out="s", like="a")`` into a pure ``f(a, b) -> s`` whose
backward pass is adcompiler's generated adjoint. Each installed tape takes
the gradient of ``sum(f(a, b) ** 2)``, which must be ``2 (a + b)``; JAX runs
it under ``jax.jit``. ``python examples/seed_tapes.py`` prints the same
comparison without a figure.

Run: ``python examples/tapes.py`` (``--small`` for the CI size).
Figure: ``tapes.png``: d/da from each tape beside the exact ``2 (a + b)``,
and each tape's largest difference from it (rounding level).
"""
from __future__ import annotations

import importlib

import numpy as np
from _gallery import pyplot, save, small
from seed_tapes import with_autograd, with_jax, with_torch

TAPES = (("autograd", with_autograd), ("torch", with_torch), ("jax", with_jax))


def main() -> int:
    n = 8 if small() else 40
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    exact = 2 * (a + b)
    results = {}
    for name, run in TAPES:
        try:
            importlib.import_module(name)
        except ImportError:
            print(f"{name:>8}: not installed")
            continue
        _, through_kernel = run(a, b)
        results[name] = np.asarray(through_kernel[0])
        err = np.max(np.abs(results[name] - exact))
        print(f"{name:>8}: max |d/da - 2(a + b)| = {err:.1e}")
        assert err < 1e-12

    plt = pyplot()
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.6))
    ax[0].plot(exact, "k-", lw=3, alpha=0.3, label="2 (a + b)")
    for (name, g), marker in zip(results.items(), "o^s"):
        ax[0].plot(g, marker, mfc="none", label=name)
    ax[0].set(xlabel="element", title="d/da sum(f(a, b)**2) through each tape")
    ax[0].legend()
    errors = [max(np.max(np.abs(g - exact)), 1e-17) for g in results.values()]
    ax[1].bar(list(results), errors, color=["C0", "C1", "C2"][:len(results)])
    ax[1].set_yscale("log")
    ax[1].set_ylim(1e-18, 1e-10)
    ax[1].set(title="max |difference| (exact 0 shown at 1e-17)")
    save(fig, "tapes.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
