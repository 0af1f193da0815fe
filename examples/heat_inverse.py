"""Recover a spatially varying diffusion coefficient from observations of a heat solver.

The solver advances ``u`` in place with an explicit, conservative stencil,
``u[1:-1] += dt * (flux[1:] - flux[:-1])``, where ``flux = kappa * du/dx`` at
the cell faces. The loss compares snapshots of ``u`` with noisy observations
made with the true ``kappa`` and adds a smoothness penalty.
``adcompiler.value_and_grad(loss)`` differentiates the in-place solver by
source transformation and serves directly as ``scipy.optimize.minimize``'s
objective (``jac=True``).

Run: ``python examples/heat_inverse.py`` (``--small`` for the CI size).
Figure: ``heat_inverse.png``: the true and recovered coefficient, the
observed and fitted final temperature, and the loss per iteration.
"""
from __future__ import annotations

import numpy as np
from _gallery import pyplot, save, small
from scipy.optimize import minimize

import adcompiler


def heat(u, kappa, dt, steps):
    """``steps`` explicit steps of u_t = (kappa u_x)_x, in place; ``kappa`` lives on the faces."""
    for _ in range(steps):
        flux = kappa * (u[1:] - u[:-1])
        u[1:-1] += dt * (flux[1:] - flux[:-1])


def loss(kappa, u0, obs, dt, steps, reg):
    """Squared misfit of ``len(obs)`` snapshots, ``steps`` apart, plus a smoothness penalty."""
    u = u0.copy()
    total = 0.0
    for k in range(obs.shape[0]):
        heat(u, kappa, dt, steps)
        r = u - obs[k]
        total += np.sum(r * r)
    d = kappa[1:] - kappa[:-1]
    return total + reg * np.sum(d * d)


def main() -> None:
    n, snapshots, steps, iters = (24, 3, 20, 30) if small() else (80, 6, 60, 200)
    x = np.linspace(0.0, 1.0, n)
    faces = 0.5 * (x[1:] + x[:-1])
    truth = 0.15 + 0.1 * np.exp(-((faces - 0.35) / 0.12) ** 2) - 0.06 * (faces > 0.7)
    u0 = np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x) ** 2
    dt = 0.4   # stable: dt * max(kappa) < 0.5 on a unit grid spacing

    rng = np.random.default_rng(0)
    obs = np.empty((snapshots, n))
    u = u0.copy()
    for k in range(snapshots):
        heat(u, truth, dt, steps)
        obs[k] = u + 1e-3 * rng.standard_normal(n)

    objective = adcompiler.value_and_grad(loss)   # gradient with respect to kappa
    history = []

    def fun(kappa):
        value, g = objective(kappa, u0, obs, dt, steps, 1e-3)
        return value, g

    start = np.full(n - 1, 0.15)
    result = minimize(fun, start, jac=True, method="L-BFGS-B", bounds=[(0.01, 0.45)] * (n - 1),
                      callback=lambda k: history.append(fun(k)[0]), options={"maxiter": iters})
    first = fun(start)[0]
    print(f"loss {first:.3e} -> {result.fun:.3e} in {result.nit} iterations ({result.message})")
    print(f"max |kappa - truth| = {np.max(np.abs(result.x - truth)):.3f}")
    assert result.fun < 0.05 * first

    plt = pyplot()
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6))
    ax[0].plot(faces, truth, "k-", label="true kappa")
    ax[0].plot(faces, start, "k:", label="initial guess")
    ax[0].plot(faces, result.x, "C1o-", ms=3, label="recovered")
    ax[0].set(xlabel="x", title="diffusion coefficient")
    ax[0].legend()
    fitted = u0.copy()
    for _ in range(snapshots):
        heat(fitted, result.x, dt, steps)
    ax[1].plot(x, u0, "k:", label="u at t = 0")
    ax[1].plot(x, obs[-1], "k.", ms=4, label="observed, last snapshot")
    ax[1].plot(x, fitted, "C1-", label="fitted")
    ax[1].set(xlabel="x", title="temperature")
    ax[1].legend()
    ax[2].semilogy([first, *history], "C0.-")
    ax[2].set(xlabel="L-BFGS-B iteration", ylabel="loss", title="loss")
    save(fig, "heat_inverse.png")


if __name__ == "__main__":
    main()
