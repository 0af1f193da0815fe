"""Kernels for the command-line tests of defaults, integer index arrays and integer inference."""
import numpy as np


def march(state, dt, max_steps=400):
    """An explicit upwind step repeated; ``max_steps`` keeps its default in the emitted module."""
    for _ in range(max_steps):
        state[1:] = state[1:] - dt * (state[1:] - state[:-1])


def relax_scaled(u, f, w=0.5, sweeps=3, label="jacobi"):
    """Defaults of every kind after the arrays: an Active float, an int, a str."""
    for _ in range(sweeps):
        u[1:-1] = (1.0 - w) * u[1:-1] + w * 0.5 * (u[:-2] + u[2:] + f[1:-1])


def gather(acc, x, idx, n):
    """A sum through an integer index array: ``idx`` must be a Const integer array."""
    for i in range(n):
        acc[0] += x[idx[i]] * x[idx[i]]


def through_local(u, n):
    """``n`` reaches ``range`` through a local."""
    m = n - 1
    for i in range(m):
        u[i + 1] = u[i + 1] + 0.5 * u[i] * u[i]


def while_bound(u, n):
    """``n`` bounds a while loop whose counter indexes ``u``."""
    i = 0
    while i < n:
        u[i] = u[i] * u[i] + 0.25
        i += 1


def counted_halvings(u, n):
    """``n`` bounds a while loop whose counter counts only (``it = 0; it += 1``)."""
    it = 0
    while it < n:
        it += 1
        u *= 0.5


def halving_float_counter(u, tol):
    """``t`` starts at an int but grows by a float: ``tol`` stays a float."""
    t = 0
    while t < tol:
        t += 0.5
        u *= 0.5


def float_threshold(u, tol):
    """``tol`` is compared with a float, not with a counter: it stays a float."""
    total = 0.0
    for i in range(3):
        total += u[i]
        if total > tol:
            u[i] = u[i] * 2.0


def energy(state, dt: float, max_steps=5):
    """A float return after defaulted parameters: ``dret=1.0`` stays last."""
    for _ in range(max_steps):
        state[1:] = state[1:] - dt * (state[1:] - state[:-1])
    return float(np.sum(state * state))
