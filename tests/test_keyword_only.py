"""Keyword-only parameters with defaults (``def step(u, *, dt=0.1)``), in the
differentiated function and in the helpers it calls, were refused ("keyword-only
parameters are not supported"). The generated code takes them by position
after the positional ones (``frontend/parse.parameters``): a user gives them by
name to ``grad(f)``, ``gradient``'s ``kwargs`` forms and the ``differentiate``
objects, or by position to ``autodiff`` (after the positional ones, which makes
them Active or Duplicated too). Every entry point against finite differences
and the plain function; required keyword-only parameters are taken the same way
(first among the keyword-only ones), where no default would move."""
from __future__ import annotations

import numpy as np
import pytest
from everywhere import check_everywhere, check_numba_gradient

import adcompiler as ad
from adcompiler import Active, Const, Duplicated, Reverse, autodiff


def scaled(v, *, scale=2.0, shift=0.0):
    return v * scale + shift


def relax(u, f, *, omega=0.8, sweeps=2):
    n = u.shape[0]
    for _ in range(sweeps):
        for i in range(1, n - 1):
            u[i] = (1.0 - omega) * u[i] + omega * 0.5 * (u[i - 1] + u[i + 1] - f[i])
    return np.sum(scaled(u, shift=0.5) ** 2) + np.sum(scaled(f, scale=omega))


def loss(x, y=1.0, *, alpha=0.5):
    return np.sum(alpha * x ** 2 + y * np.sin(x))


def needs_keyword(x, *, alpha):
    return np.sum(alpha * x)


R = np.random.default_rng(5)


def test_defaults_and_positions_everywhere():
    u, f = R.random(6), R.random(6)
    check_everywhere(relax, Duplicated(u.copy(), np.zeros(6)), Duplicated(f.copy(), np.zeros(6)), ret=Active,
                     tapes=("autograd", "jax", "torch"), emitted=False)   # (the defaults: emitted below, given)
    check_everywhere(relax, Duplicated(u.copy(), np.zeros(6)), Duplicated(f.copy(), np.zeros(6)), Active(0.6),
                     Const(3), ret=Active)


def test_given_by_name():
    x = R.random(4)
    want = 0.3 * 2 * x + 2.0 * np.cos(x)
    np.testing.assert_allclose(ad.grad(loss)(x, 2.0, alpha=0.3), want)
    np.testing.assert_allclose(ad.grad(loss)(x, alpha=0.3, y=2.0), want)
    np.testing.assert_allclose(ad.grad(loss)(x), 0.5 * 2 * x + np.cos(x))
    value, g = ad.value_and_grad(loss)(x, alpha=0.3)
    assert value == pytest.approx(loss(x, alpha=0.3))
    np.testing.assert_allclose(g, 0.3 * 2 * x + np.cos(x))
    dx = np.zeros(4)
    _, dy, dalpha = autodiff(Reverse, loss, Active, Duplicated(x.copy(), dx), Active(2.0), Active(0.3))
    np.testing.assert_allclose(dx, want)
    assert dalpha == pytest.approx(np.sum(x ** 2))
    assert dy == pytest.approx(np.sum(np.sin(x)))


def test_differentiate_given_by_name():
    x = R.random(4)
    F = ad.differentiate(loss)
    import autograd
    np.testing.assert_allclose(autograd.grad(lambda v: F(v, alpha=0.3))(x), 0.3 * 2 * x + np.cos(x))
    import jax
    jax.config.update("jax_enable_x64", True)
    np.testing.assert_allclose(jax.grad(lambda v: F(v, alpha=0.3))(x), 0.3 * 2 * x + np.cos(x))
    import torch
    xt = torch.tensor(x, requires_grad=True)
    F(xt, alpha=0.3).backward()
    np.testing.assert_allclose(xt.grad.numpy(), 0.3 * 2 * x + np.cos(x))


def test_under_numba():
    check_numba_gradient(relax, Duplicated(R.random(6), np.zeros(6)), Duplicated(R.random(6), np.zeros(6)))


def _rhs(y, *, k, c, scale=1.0):
    return scale * (-k * y + c * np.sin(y))


def calls_required_keywords(y, out, dt):
    """A helper whose keyword-only parameters have no default (given by name, as Python requires)."""
    k1 = _rhs(y, k=1.5, c=0.3)
    k2 = _rhs(y + 0.5 * dt * k1, c=0.3, k=1.5, scale=0.5)
    out[:] = y + dt * (k1 + k2)


def test_required_keyword_only_in_a_helper():
    check_everywhere(calls_required_keywords, Duplicated(R.random(3), np.zeros(3)), Duplicated(np.zeros(3), np.zeros(3)),
                     Active(0.1), out=("out",), tapes=("autograd", "jax", "torch"))
    check_numba_gradient(lambda_free_loss, Duplicated(R.random(3), np.zeros(3)))


def lambda_free_loss(y):
    out = np.zeros(3)
    out[:] = _rhs(y, k=0.7, c=1.1) * 2.0
    return np.sum(out * out)


def test_required_keyword_only_given_by_position_to_autodiff():
    """``autodiff`` takes every argument by position: ``alpha`` after ``x``."""
    x = R.random(3)
    dx = np.zeros(3)
    _, dalpha = autodiff(Reverse, needs_keyword, Active, Duplicated(x.copy(), dx), Active(0.5))
    np.testing.assert_allclose(dx, 0.5)
    assert dalpha == pytest.approx(np.sum(x))


def _defaults_would_move(y, a=1.0, *, k):
    return a * k * y


def calls_defaults_would_move(y):
    return np.sum(_defaults_would_move(y, k=2.0))


def test_keyword_only_after_positional_defaults_refused():
    """Taken by position, ``k`` would come after ``a=1.0`` without a default of its own."""
    from adcompiler.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match=r"test_keyword_only\.py:\d+: `def _defaults_would_move\(\.\.\.\)`: "
                                                     r"\*args, \*\*kwargs, and keyword-only"):
        autodiff(Reverse, calls_defaults_would_move, Active, Duplicated(R.random(3), np.zeros(3)))


def test_command_line(tmp_path):
    """``adcompiler emit`` writes keyword-only parameters as positional ones with their
    defaults (``relax_reverse(u, du, f, df, omega=0.8, sweeps=2, dret=1.0)``), and ``check``
    passes its modules (numpy and numba) against finite differences."""
    import inspect
    import shutil

    from adcompiler.cli.main import main
    path = tmp_path / "kw_kernels.py"
    shutil.copy(__file__, path)
    assert main(["check", f"{path}:relax", "--shape", "u=6", "--shape", "f=6"]) == 0
    out = tmp_path / "kw_emitted.py"
    assert main(["emit", f"{path}:relax", "--shape", "u=6", "--shape", "f=6", "-o", str(out)]) == 0
    import importlib.util
    spec = importlib.util.spec_from_file_location("kw_emitted", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ns = vars(mod)
    assert str(inspect.signature(ns["relax_reverse"])) == "(u, du, f, df, omega=0.8, sweeps=2, dret=1.0)"
    u, f = R.random(6), R.random(6)
    du, df = np.zeros(6), np.zeros(6)
    (domega,) = ns["relax_reverse"](u.copy(), du, f, df, 0.6)[:1]
    want_u, want_f = np.zeros(6), np.zeros(6)
    (_, _, want_omega, _) = autodiff(Reverse, relax, Active, Duplicated(u.copy(), want_u), Duplicated(f, want_f),
                                     Active(0.6), Const(2))
    np.testing.assert_allclose(du, want_u, rtol=1e-12)
    np.testing.assert_allclose(df, want_f, rtol=1e-12)
    assert domega == pytest.approx(want_omega, rel=1e-12)


def scale_into(y, x, *, c=2.0):
    y[:] = c * x


def test_differentiate_called_without_a_tape():
    """A differentiate'd function called on plain arrays (no gradient asked) passes its keyword-only
    arguments by name to the function (they were passed by position: TypeError)."""
    x = np.arange(3.0)
    S, L = ad.differentiate(scale_into, out="y", like="x"), ad.differentiate(loss)
    np.testing.assert_allclose(S(x, c=3.0), 3.0 * x)
    np.testing.assert_allclose(S(x), 2.0 * x)
    assert L(x, alpha=2.0) == pytest.approx(loss(x, alpha=2.0))
    assert L(x) == pytest.approx(loss(x))
