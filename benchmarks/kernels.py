"""Benchmark kernels: plain in-place numpy functions that adcompiler differentiates.

Each kernel is a module-level function so that ``inspect.getsource`` finds it.
They mutate their first argument and return None.
"""
from __future__ import annotations

import numpy as np


def seed(s: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """``s[:] = a + b``: the motivating example (elementwise, fully overwritten)."""
    s[:] = a + b


def recurrence(s: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """First-order linear recurrence ``s[i] = s[i-1]*a[i] + b[i]`` (scalar loop)."""
    n = s.shape[0]
    for i in range(1, n):
        s[i] = s[i - 1] * a[i] + b[i]


def heat(u: np.ndarray, c: float, steps: int) -> None:
    """Explicit 1-D heat equation, ``steps`` Jacobi updates of the interior in place."""
    for t in range(steps):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])
