"""Functions for the command-line tests: type hints, constants, a sibling
import, a helper called without derivatives, math on scalars."""
from __future__ import annotations

import math

import numpy as np
from sibling_consts import SCALE

WEIGHTS = np.array([0.5, 1.0, 2.0, 4.0])
STEPS = 3


def n_inner(x):
    return len(x) - 1


def relax(u: np.ndarray, f: np.ndarray, k: float, sweeps: int) -> float:
    """Damped Jacobi-like sweeps in place; returns a weighted energy."""
    for _ in range(sweeps):
        for i in range(1, n_inner(u)):
            u[i] = (1.0 - k) * u[i] + k * SCALE * (u[i - 1] + u[i + 1] + f[i])
    return float(np.sum(WEIGHTS * u * u)) + math.exp(k)


def blend(out, a, b, w=0.25):
    for _ in range(STEPS):
        out[:] = w * a + (1.0 - w) * np.tanh(b)
        b += out


def has_try(x):
    try:
        x[0] = 1.0
    except ValueError:
        pass


def ravel_copy(A):
    r = np.ravel(A.T)
    r *= 2.0
    return np.sum(A * A) + np.sum(r * r)
