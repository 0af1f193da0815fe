"""hvp/hessian through a helper that writes its own new array through a view
(``v = np.zeros(n); t = v[1:]; t[0] = ...; return v``). The reverse code keeps the
shadow of the view (``dt = dv[1:]``) and of the result (``_d_ret = dv``) on its tape
for the helper's reverse half, which writes them; forward mode over it gave each its
own zero tangent (``dv`` is never written there), so the tangent added through one
was not seen through the other: the Hessian lost terms and was not symmetric. They
are views of one tangent now (``transform/pushed_views.py``)."""
import numpy as np
import pytest

import adcompiler as ad


def _h_view(u):
    v = np.zeros(2)
    t = v[1:]
    t[0] = u[0] * u[1]
    return v


def view_written(u):
    w = _h_view(u)
    return w[1] * u[1]


def _h_loop(u):
    n = u.shape[0]
    v = np.zeros(n)
    t = v[1:]
    for i in range(n - 1):
        t[i] = u[i] * u[i + 1]
    return v


def loop_view_written(u):
    w = _h_loop(u)
    s = 0.0
    for i in range(u.shape[0]):
        s += w[i] * u[i] * (i + 1.0)
    return s


def _fd_hvp(f, u, v, h=1e-5):
    return (ad.gradient(f, u + h * v)[0] - ad.gradient(f, u - h * v)[0]) / (2 * h)


def test_the_hessian_through_a_view_of_a_helpers_new_array():
    u = np.array([0.5, 2.0])
    # L = u0 u1^2
    np.testing.assert_allclose(ad.hessian(view_written, u), [[0.0, 2 * u[1]], [2 * u[1], 2 * u[0]]], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hvp_through_a_view_written_in_a_loop(seed):
    rng = np.random.default_rng(seed)
    u, v = rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)
    (hv,) = ad.hvp(loop_view_written, (u,), (v,))
    np.testing.assert_allclose(hv, _fd_hvp(loop_view_written, u, v), rtol=1e-6, atol=1e-8)
    H = ad.hessian(loop_view_written, u)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(H @ v, hv, rtol=1e-12, atol=1e-12)
