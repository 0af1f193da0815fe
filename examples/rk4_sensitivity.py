"""Parameter sensitivities of an RK4 integrator over time, in forward mode.

``rk4`` integrates the Lotka-Volterra equations, writing the trajectory into
``traj`` row by row; the right-hand side is a helper that returns a tuple.
``adcompiler.jvp(rk4, args, tangents, out="traj")`` pushes a tangent of the
parameters through the in-place integrator: with the tangent ``e_j`` (one
parameter at a time) it gives ``d traj / d p_j`` at every time step. The
script checks each curve against a central finite difference.

Run: ``python examples/rk4_sensitivity.py`` (``--small`` for the CI size).
Figure: ``rk4_sensitivity.png``: the trajectory (prey and predators), and the
sensitivity of the prey population to each of the four parameters over time.
"""
from __future__ import annotations

import numpy as np
from _gallery import pyplot, save, small

import adcompiler


def lotka_volterra(x, y, p):
    """The right-hand side: prey growth, predation, predator growth, predator death."""
    return p[0] * x - p[1] * x * y, p[2] * x * y - p[3] * y


def rk4(traj, p, dt, steps):
    """Classic fourth-order Runge-Kutta from ``traj[0]``, writing ``traj[1:steps + 1]`` in place."""
    for i in range(steps):
        x = traj[i, 0]
        y = traj[i, 1]
        k1x, k1y = lotka_volterra(x, y, p)
        k2x, k2y = lotka_volterra(x + 0.5 * dt * k1x, y + 0.5 * dt * k1y, p)
        k3x, k3y = lotka_volterra(x + 0.5 * dt * k2x, y + 0.5 * dt * k2y, p)
        k4x, k4y = lotka_volterra(x + dt * k3x, y + dt * k3y, p)
        traj[i + 1, 0] = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        traj[i + 1, 1] = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)


NAMES = ("prey growth p0", "predation p1", "predator growth p2", "predator death p3")


def main() -> None:
    steps, dt = (150, 0.1) if small() else (1500, 0.01)
    p = np.array([1.1, 0.4, 0.1, 0.4])
    traj = np.zeros((steps + 1, 2))
    traj[0] = (10.0, 10.0)
    times = dt * np.arange(steps + 1)

    sens = []
    for j in range(len(p)):
        direction = np.zeros_like(p)
        direction[j] = 1.0
        # tangents: zero for the trajectory buffer, e_j for the parameters, none for dt and steps
        out, dtraj = adcompiler.jvp(rk4, (traj, p, dt, steps), (np.zeros_like(traj), direction, None, None),
                                      out="traj")
        sens.append(dtraj)

        h = 1e-6
        plus, minus = traj.copy(), traj.copy()
        rk4(plus, p + h * direction, dt, steps)
        rk4(minus, p - h * direction, dt, steps)
        fd = (plus - minus) / (2 * h)
        err = np.max(np.abs(dtraj - fd)) / np.max(np.abs(fd))
        print(f"d traj / d {NAMES[j]:<19}: max |jvp - finite difference| / max |fd| = {err:.1e}")
        assert err < 1e-6

    plt = pyplot()
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    ax[0].plot(times, out[:, 0], label="prey x(t)")
    ax[0].plot(times, out[:, 1], label="predators y(t)")
    ax[0].set(xlabel="t", title="RK4 trajectory")
    ax[0].legend()
    for j, s in enumerate(sens):
        ax[1].plot(times, s[:, 0], label=f"dx/d{NAMES[j].split()[-1]}  ({NAMES[j].rsplit(' ', 1)[0]})")
    ax[1].axhline(0.0, color="k", lw=0.5)
    ax[1].set(xlabel="t", title="sensitivity of the prey population")
    ax[1].legend(fontsize=8)
    save(fig, "rk4_sensitivity.png")


if __name__ == "__main__":
    main()
