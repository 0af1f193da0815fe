# ruff: noqa: RUF059 (the kernels bind results they do not read: what is tested)
"""A helper's result its caller never reads passes on no adjoint. A helper returning
``KE, PE`` to a caller that reads only ``KE`` (npbench's nbody) gave a gradient of NaN:
the adjoint of ``PE``, 0, met the infinite partial of ``np.sqrt`` at 0 on the zero diagonal
of the pairwise distances (0 * inf), where the same code written inline gave the gradient
(JAX too). The helper is differentiated for the elements its caller reads."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from everywhere import check_everywhere

import adcompiler as ad
from adcompiler import Duplicated


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def energies(x):
    KE = 0.5 * np.sum(x ** 2)
    d = x[np.newaxis, :] - x[:, np.newaxis]   # (a zero diagonal)
    r = np.sqrt(d ** 2)                       # (sqrt at 0 there)
    PE = np.sum(r)
    return KE, PE


def kinetic(x):
    KE, PE = energies(x)
    return KE


def energies_passed_on(x):
    return energies(x)


def kinetic_passed_on(x):
    KE, PE = energies_passed_on(x)
    return KE


def kinetic_indexed(x):
    e = energies(x)
    return e[0] * 2.0


def three_parts(x, w):
    a = np.sum(x * w)
    b = np.sum(np.sqrt((x[:, None] - x[None, :]) ** 2))
    c = np.sum(np.log(x * x))
    return a, b, c


def first_and_last(x, w):
    total = 0.0
    for k in range(2):
        a, b, c = three_parts(x, w)
        total += a * c
    return total


def moments(x):
    return 0.5 * np.sum(x ** 2), np.sum(x ** 3)


def both(x):
    m2, m3 = moments(x)
    return m2 + 0.5 * m3


def nbody_kinetic(mass, vel, pos):
    # npbench's nbody energy, its potential computed and not read
    KE = 0.5 * np.sum(np.sum(mass * vel ** 2))
    dx = pos[:, 0:1].T - pos[:, 0:1]
    dy = pos[:, 1:2].T - pos[:, 1:2]
    inv_r = np.sqrt(dx ** 2 + dy ** 2)
    inv_r[inv_r > 0] = 1.0 / inv_r[inv_r > 0]
    PE = np.sum(np.sum(np.triu(-(mass * mass.T) * inv_r, 1)))
    return KE, PE


def nbody_loss(mass, vel, pos):
    KE, PE = nbody_kinetic(mass, vel, pos)
    return KE


X = np.array([0.3, -1.2, 0.7])


@pytest.mark.parametrize("f", [kinetic, kinetic_indexed, kinetic_passed_on], ids=lambda f: f.__name__)
def test_an_unread_result_leaves_the_gradient_finite(f):
    scale = 2.0 if f is kinetic_indexed else 1.0
    np.testing.assert_allclose(ad.gradient(f, X)[0], scale * X, rtol=1e-14)
    check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), out=(), tapes=("autograd", "jax", "torch"))


def test_a_middle_result_unread_in_a_loop():
    w = np.array([0.5, 2.0, -1.0])
    g = ad.gradient(first_and_last, X, w)
    # d/dx of 2 * sum(x w) * sum(log x^2), by hand
    a, c = np.sum(X * w), np.sum(np.log(X * X))
    np.testing.assert_allclose(g[0], 2 * (w * c + a * 2 / X), rtol=1e-12)
    np.testing.assert_allclose(g[1], 2 * X * c, rtol=1e-12)
    check_everywhere(first_and_last, Duplicated(X.copy(), np.zeros(3)), Duplicated(w.copy(), np.zeros(3)), out=())


def test_the_nbody_energy_without_its_potential():
    R = np.random.default_rng(4)
    mass, vel, pos = R.uniform(1, 2, (5, 1)), R.standard_normal((5, 3)), R.standard_normal((5, 3))
    gm, gv, gp = ad.gradient(nbody_loss, mass, vel, pos)
    np.testing.assert_allclose(gm, 0.5 * np.sum(vel ** 2, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(gv, mass * vel, rtol=1e-12)
    np.testing.assert_array_equal(gp, np.zeros_like(pos))
    check_everywhere(nbody_loss, *(Duplicated(a.copy(), np.zeros_like(a)) for a in (mass, vel, pos)), out=())


def test_every_result_read_is_differentiated_as_before():
    np.testing.assert_allclose(ad.gradient(both, X)[0], X + 1.5 * X ** 2, rtol=1e-14)
    check_everywhere(both, Duplicated(X.copy(), np.zeros(3)), out=())


def energies_named(x):
    KE = 0.5 * np.sum(x ** 2)
    PE = np.sum(np.sqrt((x[np.newaxis, :] - x[:, np.newaxis]) ** 2))
    r = (KE, PE)
    return r


def energies_nested(x):
    KE = 0.5 * np.sum(x ** 2)
    PE = np.sum(np.sqrt((x[np.newaxis, :] - x[:, np.newaxis]) ** 2))
    return (KE, PE), 3.0 * KE


def kinetic_by_negative_index(x):
    e = energies(x)
    return e[-2] * 2.0


def kinetic_of_a_named_tuple(x):
    KE, PE = energies_named(x)
    return KE


def kinetic_of_a_nested_tuple(x):
    (a, b), c = energies_nested(x)
    return a + c


def kinetic_of_a_nested_tuple_by_index(x):
    t, c = energies_nested(x)
    u = t
    return u[0] + c


def moments_named(x):
    m2 = 0.5 * np.sum(x ** 2)
    m3 = np.sum(x ** 3)
    r = (m2, m3)
    return r, m3 * m2


def all_of_a_nested_tuple(x):
    (m2, m3), p = moments_named(x)
    return m3 + p


def the_inner_tuple_by_index(x):
    t, p = moments_named(x)
    return t[-1] * 2.0


@pytest.mark.parametrize("f", [kinetic_by_negative_index, kinetic_of_a_named_tuple, kinetic_of_a_nested_tuple,
                               kinetic_of_a_nested_tuple_by_index], ids=lambda f: f.__name__)
def test_an_unread_result_by_other_forms_leaves_the_gradient_finite(f):
    # a negative index, a tuple built under a name, a tuple in the tuple
    scale = {kinetic_by_negative_index: 2.0, kinetic_of_a_named_tuple: 1.0}.get(f, 4.0)
    np.testing.assert_allclose(ad.gradient(f, X)[0], scale * X, rtol=1e-14)
    check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), out=(), tapes=("autograd", "jax", "torch"))


def test_the_elements_read_through_those_forms_keep_their_derivatives():
    m2, m3 = 0.5 * np.sum(X ** 2), np.sum(X ** 3)
    np.testing.assert_allclose(ad.gradient(all_of_a_nested_tuple, X)[0],
                               3 * X ** 2 + 3 * X ** 2 * m2 + m3 * X, rtol=1e-13)
    np.testing.assert_allclose(ad.gradient(the_inner_tuple_by_index, X)[0], 6 * X ** 2, rtol=1e-13)
    for f in (all_of_a_nested_tuple, the_inner_tuple_by_index):
        check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), out=())


def forces_and_distances(x, k):
    F = -k * x
    r = np.sqrt(x ** 2)   # (sqrt at 0 where x is 0: the caller never reads it)
    return F, r


def halved_force_energy(x, k):
    F, r = forces_and_distances(x, k)
    F *= 0.5   # (the element read, written in place: its memory is the tuple's)
    return np.sum(F * F)


def test_an_unread_result_beside_an_element_written_in_place():
    x = np.array([0.0, 1.3, -0.5])
    g = ad.gradient(halved_force_energy, x, 1.3)
    np.testing.assert_allclose(g[0], 0.5 * 1.3 ** 2 * x, rtol=1e-14)
    np.testing.assert_allclose(g[1], 0.5 * 1.3 * np.sum(x * x), rtol=1e-14)
    check_everywhere(halved_force_energy, Duplicated(x.copy(), np.zeros(3)), ad.Active(1.3), out=(),
                     tapes=("autograd", "jax", "torch"))


def test_second_derivatives_through_an_element_written_in_place_are_refused():
    # (the tangent of the write did not reach the tuple's element: a Hessian of 2.0 for 2.845)
    x = np.array([0.2, 1.3, -0.5])
    with pytest.raises(ad.AdCompilerError, match=r"test_unread_results.py:\d+.*written in place: second derivatives"):
        ad.hessian(halved_force_energy, x, 1.3)
    with pytest.raises(ad.AdCompilerError, match="written in place: second derivatives"):
        ad.hvp(halved_force_energy, (x, 1.3), (np.ones(3), None))


def _energy_pair(x):
    return 0.5 * np.sum(x * x), np.sum(np.sqrt(x))


def rebound_before_read_in_a_loop(x, n):
    tot = 0.0
    for t in range(n):
        pe = np.sum(np.sqrt(x))   # (bound again before anything reads it)
        pe = 0.5 * np.sum(x * x)
        tot += pe
    return tot


def element_rebound_before_read_in_a_loop(x, n):
    tot = 0.0
    for t in range(n):
        KE, PE = _energy_pair(x)
        PE, KE2 = _energy_pair(x + 1.0)
        tot += KE + PE
    return tot


def rebound_after_a_branch_that_leaves(x, n):
    tot = 0.0
    for t in range(n):
        pe = np.sum(x ** 3)
        if t == n - 1:
            break   # (the first value is read after the loop: not unread)
        pe = 0.5 * np.sum(x * x)
        tot += pe
    return tot + pe


def test_a_value_rebound_before_any_read_in_a_loop():
    # (at the top level the two bindings were two names; in a loop one name: the first value's zero
    # adjoint met sqrt's infinite partial at 0, NaN)
    x = np.array([0.0, 0.5, 1.2])
    np.testing.assert_allclose(ad.gradient(rebound_before_read_in_a_loop, x, 2)[0], 2 * x, rtol=1e-14)
    np.testing.assert_allclose(ad.gradient(element_rebound_before_read_in_a_loop, x, 2)[0],
                               4 * x + 2.0, rtol=1e-14)   # (PE is the second call's half square)
    for f in (rebound_before_read_in_a_loop, element_rebound_before_read_in_a_loop, rebound_after_a_branch_that_leaves):
        check_everywhere(f, Duplicated(X.copy(), np.zeros(3)), 3, out=())
        for backend in ("numba", "auto"):
            try:
                g = ad.gradient(f, X.copy(), 3, backend=backend)[0]
            except ad.AdCompilerError:
                continue
            np.testing.assert_allclose(g, ad.gradient(f, X.copy(), 3)[0], rtol=1e-13)


def energy_and_roots(x):
    return 0.5 * np.sum(x ** 2), np.sqrt(x)   # (sqrt at 0: an infinite partial)


def energy_beside_roots_halved(x):
    E, F = energy_and_roots(x)
    F *= 0.5   # (written in place, then read by nothing)
    return E


def energy_beside_roots_scaled_by_element(x, w):
    E, F = energy_and_roots(x)
    for i in range(F.shape[0]):
        F[i] = F[i] * w[i]   # (written back where it came from, element by element)
    return E * w[0]


def test_an_element_written_in_place_and_never_read_again_passes_on_nothing():
    # (it passed its zero adjoint to sqrt's infinite partial at 0: NaN for x)
    x = np.array([0.0, 1.3, 2.0])
    np.testing.assert_allclose(ad.gradient(energy_beside_roots_halved, x)[0], x, rtol=1e-15)
    check_everywhere(energy_beside_roots_halved, Duplicated(x.copy(), np.zeros(3)), out=(),
                     tapes=("autograd", "jax", "torch"))
    w = np.array([1.5, -0.5, 2.0])
    g = ad.gradient(energy_beside_roots_scaled_by_element, x, w)
    np.testing.assert_allclose(g[0], x * 1.5, rtol=1e-15)
    np.testing.assert_allclose(g[1], [0.5 * np.sum(x ** 2), 0.0, 0.0], rtol=1e-15)
    check_everywhere(energy_beside_roots_scaled_by_element, Duplicated(x.copy(), np.zeros(3)),
                     Duplicated(w.copy(), np.zeros(3)), out=())
