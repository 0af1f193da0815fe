"""Hessian-vector products (forward-over-reverse), Hessians and Jacobians.

Each hvp is checked against central finite differences of the gradient; where
the function is written functionally, against ``jax.hessian`` too.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import adcompiler as ad

from . import kernels as K

R = np.random.default_rng(3)
CASES = [
    ("tanh_loss", K.tanh_loss, (R.standard_normal(5), 0.7)),
    ("recurrence", K.recurrence, (R.uniform(-0.9, 0.9, 6), R.standard_normal(6))),
    ("heat", K.heat, (R.standard_normal(8), 0.2)),
    ("while_product", K.while_product, (R.uniform(0.5, 1.5, 4),)),
    ("branches", K.branches, (R.standard_normal(6),)),
    ("calls_helper", K.calls_helper, (R.standard_normal(5), 0.8)),
    ("quadratic_form", K.quadratic_form, (R.standard_normal(4), R.standard_normal((4, 4)))),
    ("logs_and_roots", K.logs_and_roots, (R.standard_normal(5),)),
    ("mean_pairwise", K.mean_pairwise, (R.standard_normal(3), R.standard_normal(4))),
    ("powers", K.powers, (R.uniform(0.5, 1.5, 5), 2.5)),
    ("accumulate", K.accumulate, (R.standard_normal(7),)),
]


def _directions(args, rng):
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            out.append(rng.standard_normal(a.shape))
        elif isinstance(a, float):
            out.append(float(rng.standard_normal()))
        else:
            out.append(None)
    return tuple(out)


def _grad_fd(f, args, vs, h=1e-5):
    plus = tuple(a + h * v if v is not None else a for a, v in zip(args, vs))
    minus = tuple(a - h * v if v is not None else a for a, v in zip(args, vs))
    gp, gm = ad.gradient(f, *plus), ad.gradient(f, *minus)
    return [None if p is None else (p - m) / (2 * h) for p, m in zip(gp, gm)]


@pytest.mark.parametrize("name,f,args", CASES, ids=[c[0] for c in CASES])
def test_hvp_against_finite_differences_of_gradient(name, f, args):
    vs = _directions(args, np.random.default_rng(1))
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    hv = ad.hvp(f, args, vs)
    ref = _grad_fd(f, args, vs)
    for got, want, v in zip(hv, ref, vs):
        if v is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


def test_hessian_matches_hvp_columns():
    x = R.standard_normal(4)
    A = R.standard_normal((4, 4))
    H = ad.hessian(K.quadratic_form, x, A)
    np.testing.assert_allclose(H, H.T, atol=1e-10)
    e = np.zeros(4)
    e[2] = 1.0
    np.testing.assert_allclose(H[:, 2], ad.hvp(K.quadratic_form, (x, A), (e, None))[0], atol=1e-12)


JAX_CASES = ["tanh_loss", "quadratic_form", "logs_and_roots", "mean_pairwise"]


@pytest.mark.parametrize("name", JAX_CASES)
def test_hessian_against_jax(name, require_framework):
    jax = require_framework("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    f, args = {c[0]: (c[1], c[2]) for c in CASES}[name]
    jf = {
        "tanh_loss": lambda x: jnp.sum(jnp.tanh(x * args[1]) ** 2),
        "quadratic_form": lambda x: x @ (args[1] @ x) + jnp.dot(x, x) ** 2,
        "logs_and_roots": lambda x: jnp.sum(jnp.log(1.0 + x * x) + jnp.sqrt(2.0 + jnp.cos(x))),
        "mean_pairwise": lambda x: jnp.mean((x[:, None] - args[1][None, :]) ** 2
                                            * jnp.exp(-(x[:, None] - args[1][None, :]))),
    }[name]
    H = ad.hessian(f, args[0], *args[1:])
    np.testing.assert_allclose(H, np.asarray(jax.hessian(jf)(jnp.asarray(args[0]))), rtol=1e-9, atol=1e-10)


def stencil(out, u, c):
    out[0] = u[0]
    out[-1] = u[-1]
    out[1:-1] = u[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2]) + u[1:-1] ** 2


def mix(y, x, w):
    for i in range(len(y)):
        y[i] = np.sin(x[i % len(x)]) * w[0] + y[i] * x[0]


@pytest.mark.parametrize("mode", ["forward", "reverse", None])
def test_jacobian_against_finite_differences(mode):
    u = R.standard_normal(6)
    out = np.zeros(6)
    J = ad.jacobian(stencil, out, u, 0.3, out=0, wrt=1, mode=mode)
    h = 1e-6
    ref = np.zeros((6, 6))
    for k in range(6):
        up, um = u.copy(), u.copy()
        up[k] += h
        um[k] -= h
        a, b = np.zeros(6), np.zeros(6)
        stencil(a, up, 0.3)
        stencil(b, um, 0.3)
        ref[:, k] = (a - b) / (2 * h)
    np.testing.assert_allclose(J, ref, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(out, np.zeros(6))


def test_jacobian_several_inputs_and_in_out_argument():
    y, x, w = R.standard_normal(4), R.standard_normal(3), R.standard_normal(1)
    Jf = ad.jacobian(mix, y, x, w, out=0, wrt=(0, 1, 2), mode="forward")
    Jr = ad.jacobian(mix, y, x, w, out=0, wrt=(0, 1, 2), mode="reverse")
    for key in Jf:
        np.testing.assert_allclose(Jf[key], Jr[key], atol=1e-12)
    h = 1e-6
    yp, ym = y.copy(), y.copy()
    mix(yp, x + h * np.eye(3)[1], w)
    mix(ym, x - h * np.eye(3)[1], w)
    np.testing.assert_allclose(Jf[0, 1][:, 1], (yp - ym) / (2 * h), rtol=1e-6, atol=1e-8)


def pair_energy(x, y):
    e = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            r = np.sqrt((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2)   # (0 for the self pair, which is skipped)
            if i != j:
                e += 1.0 / r
    return e


def pair_energy_math(x, y):
    e = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            r = math.sqrt((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2)
            if i != j:
                e += 1.0 / r
    return e


def root_where_positive(x):
    s = 0.0
    for i in range(x.shape[0]):
        r = x[i] ** 0.5
        if x[i] > 0:
            s += r * x[i]
    return s


def weight_zero_here(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[0] * math.sqrt(x[i] + 2.0)   # x[0] == 0: the root's adjoint is 0, its tangent is not
    return s


@pytest.mark.parametrize("f, make", [
    (pair_energy, lambda: (np.array([0.1, 0.9, 2.1]), np.array([0.3, -0.4, 0.8]))),
    (pair_energy_math, lambda: (np.array([0.1, 0.9, 2.1]), np.array([0.3, -0.4, 0.8]))),
    (root_where_positive, lambda: (np.array([0.5, -0.3, 1.7]),)),
    (weight_zero_here, lambda: (np.array([0.0, 0.7, 1.3]),)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_hvp_of_a_number_computed_but_not_read(f, make):
    """A number computed on every path, read on some (the self pair's distance):
    its adjoint is 0 where unread, but second order kept 0 * inf (nan everywhere,
    or a ZeroDivisionError with math.sqrt); where only the adjoint is 0 and not its
    tangent, the second derivative still counts."""
    args = make()
    vs = tuple(R.standard_normal(a.shape) for a in args)
    got = ad.hvp(f, tuple(a.copy() for a in args), vs)
    want = _grad_fd(f, args, vs)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
