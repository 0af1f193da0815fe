"""Calls that once crashed with an exception of Python, numpy or JAX: each is
now right (against finite differences) or refused with the user's line."""
from __future__ import annotations

import warnings

import kernels_rebound as K
import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

from adcompiler import Active, AdCompilerError, Duplicated, differentiate, gradient, hvp
from adcompiler.errors import AdCompilerWarning


def test_checkpointed_loop_over_columns_keeps_its_tape():
    """``for col in A.T`` under checkpoint=: the steps take views of a view bound
    before the loop (its shadow unknown to the replayed steps: a NameError); the
    loop keeps its tape, with a warning at its line."""
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dA, dc = gradient(K.columns_scaled, A, 0.8, checkpoint=2)
    assert any(issubclass(w.category, AdCompilerWarning) and "bound before the loop" in str(w.message)
               for w in caught)
    np.testing.assert_allclose(dA, 2 * 0.8 ** 2 * A)
    assert dc == pytest.approx(2 * 0.8 * np.sum(A * A))


def test_take_with_a_list_of_indices():
    A = np.array([[1.3, 0.4, -0.7], [0.2, -1.1, 0.5], [0.6, 0.35, 0.9]])
    want = np.zeros_like(A)
    want[:, 0], want[:, 2] = 4 * A[:, 0], 2 * A[:, 2]
    np.testing.assert_allclose(gradient(K.take_of_a_list, A)[0], want)
    np.testing.assert_allclose(hvp(K.take_of_a_list, (A,), (np.ones_like(A),))[0], want / A)


def test_hvp_with_a_complex_scalar_argument():
    z, c = np.array([0.3 + 0.2j, -0.5 + 0.1j]), 0.3 + 0.4j
    vz, vc = np.ones(2) + 0j, 0.5 + 0.1j
    hz, hc = hvp(K.complex_scalar_recurrence, (z, c), (vz, vc))
    h = 1e-6
    gp = gradient(K.complex_scalar_recurrence, z + h * vz, c + h * vc)
    gm = gradient(K.complex_scalar_recurrence, z - h * vz, c - h * vc)
    np.testing.assert_allclose(hz, (gp[0] - gm[0]) / (2 * h), rtol=1e-6)
    assert hc == pytest.approx((gp[1] - gm[1]) / (2 * h), rel=1e-6)


def test_numba_refusal_under_jax_is_raised_at_trace_time():
    """The refusal comes out as adcompiler's error where JAX traces the call, not
    as a JaxRuntimeError from inside the callback."""
    require("numba")
    jax = require("jax")
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    f = differentiate(K.sorted_row_, out="y", backend="numba")
    with pytest.raises(AdCompilerError, match=r"kernels_rebound\.py:\d+"):
        jax.grad(lambda y, A: jnp.sum(f(y, A)), argnums=1)(jnp.ones(3), jnp.eye(3))
    # (A.T @ A, refused until the transpose's adjoint had a numba version: as the numpy backend under JAX)
    A = jnp.asarray(np.random.default_rng(0).standard_normal((3, 3)))
    def grad_of(g):
        return jax.grad(lambda y, A: jnp.sum(g(y, A) ** 2), argnums=1)(jnp.ones(3), A)
    got = grad_of(differentiate(K.gram_row_, out="y", backend="numba"))
    want = grad_of(differentiate(K.gram_row_, out="y"))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12)


@pytest.mark.parametrize("tape", ["autograd", "torch"])
def test_transposed_input_on_the_tapes(tape):
    """A transposed (Fortran-ordered) input: its shadow was made in C order and
    refused as another layout (a ShapeError the user could not act on)."""
    f = differentiate(K.matvec_, out="y", like="x")
    A, x = np.arange(9.0).reshape(3, 3), np.array([1.0, 2.0, 3.0])
    if tape == "torch":
        torch = require("torch")
        At, xt = torch.tensor(A, requires_grad=True), torch.tensor(x, requires_grad=True)
        f(At.T, xt).sum().backward()
        dA, dx = At.grad.numpy(), xt.grad.numpy()
    else:
        import autograd
        import autograd.numpy as anp
        dA, dx = autograd.grad(lambda A, x: anp.sum(f(A.T, x)), (0, 1))(A, x)
    np.testing.assert_allclose(dA, np.outer(x, np.ones(3)))
    np.testing.assert_allclose(dx, A.sum(axis=1))


def test_differentiate_refuses_writes_through_aliases():
    """``for row in X: row *= 2`` in a kernel under differentiate: the caller's array
    was written (each call gave another value and gradient); now refused."""
    g = differentiate(K.rows_doubled_then_summed)
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = X.copy()
    with pytest.raises(AdCompilerError, match=r"through an alias|writes \['X'\] in place"):
        g(X)
    np.testing.assert_array_equal(X, before)


def test_differentiate_copies_an_input_written_through_np_reshape():
    """``v = np.reshape(x, (-1,)); v *= 2`` writes ``x``: the pure function works on
    a copy (it was refused; before that, the caller's array was written)."""
    import autograd
    g = differentiate(K.reshaped_then_doubled, out="s", like="x")
    X = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(g(X), 4 * X ** 2)
    np.testing.assert_allclose(autograd.jacobian(g)(X), np.diag(8 * X))
    np.testing.assert_array_equal(X, [1.0, 2.0, 3.0])


def test_names_whose_shadows_would_be_keywords():
    """``ef`` and ``el`` (Levinson's forward and backward errors): their shadows were named
    ``def`` and ``del``, and the generated code did not compile (SyntaxError)."""
    x = np.array([1.5, -2.0])
    g = gradient(K.levinson_errors, 0.7, x)
    el = x[0] * x[1]
    assert g[0] == pytest.approx(el * el)
    np.testing.assert_allclose(g[1], 2 * 0.7 * el * np.array([x[1], x[0]]))
    check_everywhere(K.levinson_errors, Active(0.7), Duplicated(x.copy(), np.zeros(2)), out=())
