"""np.select: a chain of np.where (the first true condition wins), through every
entry point and against JAX's np.select; lists that are not written out are refused."""
import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import Active, AdCompilerError, Duplicated

TAPES = ("autograd", "torch", "jax")


def huber_pieces(x, d, out):
    out[:] = np.select([np.abs(x) <= d, x > 0], [0.5 * x * x, d * (x - 0.5 * d)], default=-d * (x + 0.5 * d))


def overlapping(x, a):
    y = np.select((x < -0.5, x < 0.5, x < 10.0), (a * x, x ** 2, np.sin(x)))   # (the first true wins)
    return float(np.sum(y * y))


def in_a_loop(x, w, out):
    for i in range(x.shape[0]):
        out[i] = np.sum(np.select([x[i] > w, x[i] < -w], [x[i] - w, x[i] + w], 0.0))


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * 2.0


def test_huber_pieces_everywhere():
    check_everywhere(huber_pieces, Duplicated(_x(9), np.zeros(9)), Active(0.8),
                     Duplicated(np.zeros(9), np.zeros(9)), out="out", tapes=TAPES)


def test_first_true_condition_wins_everywhere():
    check_everywhere(overlapping, Duplicated(_x(9, 1), np.zeros(9)), Active(1.3), ret=Active, tapes=TAPES)


def test_in_a_loop_everywhere():
    x, w = _x((4, 6), 2), np.abs(_x(6, 3)) * 0.3
    check_everywhere(in_a_loop, Duplicated(x, np.zeros_like(x)), Duplicated(w, np.zeros(6)),
                     Duplicated(np.zeros(4), np.zeros(4)), out="out", tapes=TAPES)


def test_against_jax():
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def loss(x, a):
        return jnp.sum(jnp.select([x < -0.5, x < 0.5, x < 10.0], [a * x, x ** 2, jnp.sin(x)]) ** 2)

    x = _x(11, 4)
    want = jax.grad(loss, (0, 1))(jnp.asarray(x), 1.3)
    got = ad.grad(overlapping, argnums=(0, 1))(x, 1.3)
    np.testing.assert_allclose(got[0], np.asarray(want[0]), rtol=1e-12)
    np.testing.assert_allclose(got[1], float(want[1]), rtol=1e-12)


def built_lists(x):
    conds = [x < 0, x >= 0]
    return float(np.sum(np.select(conds, [x, 2 * x])))


def test_lists_not_written_out_are_refused():
    with pytest.raises(AdCompilerError) as e:
        ad.grad(built_lists)(_x(5))
    assert "test_select.py" in str(e.value) and "np.select" in str(e.value)
