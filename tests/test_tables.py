"""Module-level tables of numbers kept as tuples of tuples of different lengths
(a Runge-Kutta Butcher tableau) read with variable indices: constants, their
rows numbers (the kind of a row read by a variable index was the first row's,
an empty tuple: refused)."""
import numpy as np
import pytest
from everywhere import check_everywhere

from adcompiler import Active, Duplicated, Reverse, autodiff

A = ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0))
B = (1 / 6, 1 / 3, 1 / 3, 1 / 6)
C = (0.0, 0.5, 0.5, 1.0)


def rk4_steps(y, k, h, steps):
    # y' = -y * |y| + t, classical RK4 from its tableau, stages in k (4 x n)
    t = 0.0
    for _ in range(steps):
        for s in range(4):
            k[s] = y
            for j in range(s):
                k[s] = k[s] + h * A[s][j] * k[j]
            k[s] = -k[s] * np.abs(k[s]) + (t + C[s] * h)
        for s in range(4):
            y += h * B[s] * k[s]
        t += h


def stage_sum(y, h):
    acc = 0.0
    for s in range(1, 4):
        for j in range(s):
            acc += h * A[s][j] * y[j]
    return acc


def test_a_butcher_tableau_everywhere():
    y, k = np.array([0.3, -0.2, 0.8]), np.zeros((4, 3))
    check_everywhere(rk4_steps, Duplicated(y, np.zeros(3)), Duplicated(k, np.zeros((4, 3))), 0.1, 3,
                     out=("y", "k"), tapes=("autograd", "torch", "jax"))


@pytest.mark.parametrize("backend", ["numpy", "auto"])
def test_rows_of_a_tableau_read_by_variable_indices(backend):
    # (numba cannot index a tuple of rows of different lengths by a variable: it refuses, auto runs numpy)
    y = np.array([1.0, 2.0, 3.0])
    dy = np.zeros(3)
    (_, dh) = autodiff(Reverse, stage_sum, Active, Duplicated(y.copy(), dy), Active(0.5), backend=backend)
    np.testing.assert_allclose(dy, 0.5 * np.array([0.5 + 0.0 + 0.0, 0.5 + 0.0, 1.0]), rtol=1e-14)
    np.testing.assert_allclose(dh, 0.5 * 1 + 0.0 * 1 + 0.5 * 2 + 0.0 + 0.0 + 1.0 * 3, rtol=1e-14)


def gauss_quad(a, b, c):
    xg, wg = np.polynomial.legendre.leggauss(5)
    x = 0.5 * (b - a) * xg + 0.5 * (a + b)
    return float(0.5 * (b - a) * np.sum(wg * np.exp(-c * x * x)))


def test_gauss_quadrature_tables_are_constants():
    from adcompiler import gradient
    args, h = (0.1, 1.9, 0.7), 1e-6
    got = gradient(gauss_quad, *args)
    for k in range(3):
        up, down = list(args), list(args)
        up[k] += h
        down[k] -= h
        want = (gauss_quad(*up) - gauss_quad(*down)) / (2 * h)
        np.testing.assert_allclose(got[k], want, rtol=1e-7)
