"""Kernels with loops and overwrites through the real split mode.

These need the core (the stand-in split mode knows only the small kernels):
the reverse sweep must use the tape of the forward pass, leave the returned
outputs alone, and serve several backward passes from one record.
"""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from adcompiler.tapes.differentiate import differentiate

from . import kernels as K
from .conftest import CORE

pytestmark = pytest.mark.skipif(not CORE, reason="the core's split mode is not available yet")


def heat_ref(u, c, steps):
    for _ in range(steps):
        u = anp.concatenate([u[:1], u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2]), u[-1:]])
    return u


def rec_ref(x):
    ys = [x[0]]
    for i in range(1, len(x)):
        ys.append(anp.sin(ys[-1]) * x[i] + x[i])
    return anp.array(ys)


CASES = {
    "heat": (lambda: differentiate(K.heat_, out="u", const=("steps",)),
             lambda u, c: heat_ref(u, c, 7), lambda f, u, c: f(u, c, 7)),
    "recurrence": (lambda: differentiate(K.recurrence_, out="y", like="x"),
                   lambda u, c: rec_ref(u) * c, lambda f, u, c: f(u) * c),
}


@pytest.mark.parametrize("case", CASES)
def test_gradient_matches_functional_rewrite(thunk, case):
    make, ref, use = CASES[case]
    f = make()
    rng = np.random.default_rng(0)
    u, c = rng.normal(size=12), 0.3
    w = rng.normal(size=12)
    g_ref = autograd.grad(lambda u, c: anp.sum(w * ref(u, c)), (0, 1))(u, c)
    g = autograd.grad(lambda u, c: anp.sum(w * use(f, u, c)), (0, 1))(u, c)
    np.testing.assert_allclose(g[0], g_ref[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g[1], g_ref[1], rtol=1e-10, atol=1e-12)
    assert (thunk.primal_runs, thunk.rev_calls) == (1, 1)


@pytest.mark.parametrize("case", CASES)
def test_outputs_survive_and_record_serves_two_backward_passes(thunk, case):
    make, _, use = CASES[case]
    f = make()
    rng = np.random.default_rng(1)
    u = rng.normal(size=10)
    vjp, out = autograd.make_vjp(lambda u: use(f, u, 1.0))(u)
    out_ref = np.array(out)
    g = rng.normal(size=10)
    first = np.array(vjp(g))
    np.testing.assert_array_equal(out, out_ref)
    second = np.array(vjp(2.0 * g))
    np.testing.assert_allclose(second, 2.0 * first, rtol=1e-12)
    np.testing.assert_array_equal(out, out_ref)
    assert thunk.primal_runs == 1 and thunk.rev_calls == 2
