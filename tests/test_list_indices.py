"""``X[list(t)]``: a list made of a mesh's row (``for t in tris``) indexing an array, the
element gather of finite-element assembly. It was refused ("list has no derivative rule");
the list indexes as the array of its items. References: every entry point (central
differences, the dot-product test, the tapes) and the numba backend."""
import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

from adcompiler import Const, Duplicated


def triangle_energy(coords, tris):
    e = 0.0
    for t in tris:
        xy = coords[list(t)]
        a = (xy[1, 0] - xy[0, 0]) * (xy[2, 1] - xy[0, 1]) - (xy[2, 0] - xy[0, 0]) * (xy[1, 1] - xy[0, 1])
        e += 0.5 * a * a
    return e


def assemble(out, vals, tris):
    for k in range(tris.shape[0]):
        out[list(tris[k])] += vals[k] * np.array([1.0, 2.0, 3.0])


TRIS = np.array([[0, 1, 2], [1, 3, 4], [0, 2, 4], [4, 2, 0]])


def test_a_gather_by_a_list_of_a_row():
    coords = np.random.default_rng(0).standard_normal((5, 2))
    check_everywhere(triangle_energy, Duplicated(coords, np.zeros((5, 2))), Const(TRIS), tapes=("autograd", "jax"),
                     out=())
    check_numba_gradient(triangle_energy, Duplicated(coords, np.zeros((5, 2))), Const(TRIS))


def test_a_scatter_by_a_list_of_a_row():
    vals = np.array([0.5, -1.0, 2.0, 0.25])
    check_everywhere(assemble, Duplicated(np.zeros(5), np.zeros(5)), Duplicated(vals, np.zeros(4)), Const(TRIS),
                     out=("out",), tapes=("autograd", "torch"))


@pytest.mark.parametrize("tris", [TRIS, [(0, 1, 2), (1, 3, 4)]])
def test_the_list_indexes_as_its_items(tris):
    """(a list of tuples too: ``coords[list((0, 1, 2))]`` is a gather, where ``coords[(0, 1, 2)]`` would not be)"""
    coords = np.random.default_rng(1).standard_normal((5, 2))
    from adcompiler import gradient
    g = gradient(triangle_energy, coords, tris)[0]
    h, fd = 1e-6, np.zeros_like(coords)
    for i in range(5):
        for j in range(2):
            cp, cm = coords.copy(), coords.copy()
            cp[i, j] += h
            cm[i, j] -= h
            fd[i, j] = (triangle_energy(cp, tris) - triangle_energy(cm, tris)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
