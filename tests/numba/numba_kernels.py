"""Kernels of the numba backend's tests; the loop kernels shared with the
benchmark (recurrence, gemm, heat, gauss_seidel, forces) come from
``benchmarks/backend_kernels.py``."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from backend_kernels import forces, gauss_seidel, gemm, heat, recurrence  # noqa: F401


def recurrence_sum(s, a, b):
    s[0] = b[0]
    for i in range(1, a.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]
    return np.sum(s * s)


def vectorised(x):
    return np.sum(np.tanh(x) ** 2)


def unsupported(x):
    t = 0.0
    for i in range(x.shape[0]):
        t += x[i] * x[i]
    y = np.einsum("i,i->i", x, x) * t
    return np.sum(y)


UNSUPPORTED_LINE = unsupported.__code__.co_firstlineno + 4


WEIGHTS = np.linspace(0.5, 1.5, 4)


def reads_global_array(x):
    t = 0.0
    for i in range(x.shape[0]):
        t += WEIGHTS[i] * x[i] * x[i]
    return t
