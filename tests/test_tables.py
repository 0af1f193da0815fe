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


def neighbour_energy(u, s):
    tot = 0.0
    for i in range(u.shape[0]):
        for di in (-1, 1):
            if i + di < 0 or i + di >= u.shape[0]:
                continue
            tot += s * (u[i + di] - u[i]) ** 2
    return tot


def test_a_loop_over_numbers_written_out_that_continues():
    """``for di in (-1, 1):`` with ``continue`` loops over the constant tuple (it
    was bound to a temporary the reverse sweep saved, which second-order code
    took for a value with a derivative: hvp refused it in generated code)."""
    import adcompiler as ad
    u, s = np.array([0.1, 0.4, 0.3, 0.9, 0.2]), 0.7
    check_everywhere(neighbour_energy, Duplicated(u.copy(), np.zeros(5)), Active(s), out=(),
                     tapes=("autograd", "torch", "jax"))
    v, w = np.array([0.3, -1.0, 0.5, 0.2, 2.0]), 0.4
    hu, hs = ad.hvp(neighbour_energy, (u, s), (v, w))
    h = 1e-6
    gp, gm = ad.gradient(neighbour_energy, u + h * v, s + h * w), ad.gradient(neighbour_energy, u - h * v, s - h * w)
    np.testing.assert_allclose(hu, (gp[0] - gm[0]) / (2 * h), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hs, (gp[1] - gm[1]) / (2 * h), rtol=1e-6, atol=1e-8)


def dot_of_integer_vectors(x, a, b):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * np.dot(a, b) + x[i] ** 2 * np.dot(a, a > 1)
    return s


def test_the_dot_of_integer_vectors_is_a_number():
    # (its kind was a number of unknown rank: `s += ...` was refused as maybe an array)
    from adcompiler import Const
    x, a, b = np.linspace(0.1, 0.4, 3), np.array([1, 2, 3]), np.array([4, 5, 6])
    check_everywhere(dot_of_integer_vectors, Duplicated(x, np.zeros(3)), Const(a), Const(b), out=None)
