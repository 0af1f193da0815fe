"""hvp and hessian of loops that index with a tuple of integer arrays the reverse sweep
pops from the tape (np.ix_ in FEM assembly, np.fill_diagonal's diagonal, np.putmask's
positions): the popped tuple keeps its kind (``_ad_popped_tuple``); it was taken for one
carrying derivatives and refused naming a line of generated code. Against differences
of the gradient."""
import numpy as np
import pytest

import adcompiler as ad

B = np.array([[1.0, -1.0], [-1.0, 1.0]])


def assembly(kel, conn):
    K = np.zeros((3, 3))
    for el in range(2):
        e = conn[el]
        ke = kel[el] * B
        K[np.ix_(e, e)] += ke
    return float(np.sum(K ** 2) + np.sum(K[0] * K[1]))


def pair_loss(pos, nsteps):
    total = 0.0
    for _ in range(nsteps):
        w = pos[:, None] * pos[None, :]
        np.fill_diagonal(w, 0.0)
        total += float(np.sum(w ** 3))
    return total


def damp(T, Tf, nsteps):
    for _ in range(nsteps):
        tend = 0.1 * (np.roll(T, 1) + np.roll(T, -1) - 2.0 * T)
        np.putmask(tend, T < Tf, 0.2 * tend)
        T += tend
    return float(np.sum(T ** 3))


def nonzero_rows(x, m):
    s = 0.0
    for k in range(2):
        idx = np.nonzero(m[k])
        s += float(np.sum(x[idx] ** 3)) * (k + 1)
    return s


CASES = [
    (assembly, (np.array([1.5, 2.5]), np.array([[0, 1], [1, 2]]))),
    (pair_loss, (np.array([0.3, -0.7, 1.1]), 2)),
    (damp, (np.array([-3.0, 2.0, -1.0, 4.0, 0.5, -2.0]), 0.0, 2)),
    (nonzero_rows, (np.array([0.5, -1.2, 2.0, 0.7]), np.array([[1, 0, 1, 1], [0, 1, 1, 0]]))),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_hvp_against_differences_of_the_gradient(f, args):
    x = args[0]
    v = np.random.default_rng(0).standard_normal(x.shape)
    got = ad.hvp(f, args, (v,) + (None,) * (len(args) - 1))[0]
    eps = 1e-6
    plus = ad.gradient(f, x + eps * v, *args[1:])[0]
    minus = ad.gradient(f, x - eps * v, *args[1:])[0]
    np.testing.assert_allclose(got, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-6)
    H = ad.hessian(f)(*args)
    np.testing.assert_allclose(H @ v, got, rtol=1e-10, atol=1e-10)
