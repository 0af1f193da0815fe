"""Second order through a helper that returns a tuple of arrays (quadrature nodes and
weights filled in a loop): the code differentiated again reads the tuple's tangent by
element. A helper whose tuple depends on nothing differentiated returned the number 0
for its tangent, and an element no argument reaches was 0 in the tangent of a tuple
display: ``hvp`` and ``hessian`` raised TypeError ('float' object is not subscriptable)
from the generated code (Rosetta Code's Gauss-Legendre quadrature)."""
from __future__ import annotations

import math

import numpy as np

from adcompiler import hessian, hvp

from .test_second_reach import fd_hvp


def fixed_nodes(n):
    x = np.zeros(n)
    w = np.zeros(n)
    for i in range(n):
        x[i] = 0.5 * i
        w[i] = 1.0 + 0.1 * i
    return x, w


def quadrature(c, n):
    x, w = fixed_nodes(n)
    total = 0.0
    for i in range(n):
        total += w[i] * math.exp(c[0] * x[i])
    return total


def scaled_nodes(c, n):
    x = np.zeros(n)
    w = np.zeros(n)   # (depends on nothing differentiated)
    for i in range(n):
        x[i] = c[1] * i
        w[i] = 1.0 + 0.1 * i
    return x, w


def scaled_quadrature(c, n):
    x, w = scaled_nodes(c, n)
    total = 0.0
    for i in range(n):
        total += w[i] * math.exp(c[0] * x[i])
    return total


def _exact_hessian(c, n, scaled):
    H = np.zeros((2, 2))
    for i in range(n):
        w = 1.0 + 0.1 * i
        if not scaled:
            H[0, 0] += w * (0.5 * i) ** 2 * math.exp(c[0] * 0.5 * i)
            continue
        e = w * math.exp(c[0] * c[1] * i)
        H += e * np.array([[(c[1] * i) ** 2, i + c[0] * c[1] * i * i],
                           [i + c[0] * c[1] * i * i, (c[0] * i) ** 2]])
    return H


def test_hvp_and_hessian_through_a_helpers_tuple_of_arrays():
    c, v = np.array([0.3, 0.5]), np.array([1.0, -0.5])
    for f, scaled in ((quadrature, False), (scaled_quadrature, True)):
        H = _exact_hessian(c, 4, scaled)
        np.testing.assert_allclose(hvp(f, (c, 4), (v, None))[0], H @ v, rtol=1e-12)
        np.testing.assert_allclose(hvp(f, (c, 4), (v, None))[0], fd_hvp(f, [c, 4], 0, v), rtol=1e-6)
        np.testing.assert_allclose(hessian(f, c, 4), H, rtol=1e-12)
