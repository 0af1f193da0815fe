"""Second order through a helper that updates a local state array in place and is called
more than once (an optimizer's step: ``step(w, m)`` with ``m = np.zeros_like(w)`` in the
caller). The first derivative's code passes the state's shadow to the helper's halves with
the tape; the forward half pushes it, the reverse half pops and writes it, a flow the code
differentiated again did not see: the shadow was taken for a constant and ``hvp`` and
``hessian`` were silently wrong ([-0.0106, -14.98] for [-0.3469, -20.354])."""
from __future__ import annotations

import math

import numpy as np

from adcompiler import gradient, hessian, hvp

from .test_second_reach import fd_hvp


def _step(p, m):
    m += p
    p -= m * m


def two_steps_with_local_state(w):
    m = np.zeros_like(w)
    _step(w, m)
    _step(w, m)
    return np.sum(w * w * w)


def _adam_step(p, gp, m, s, lr, t):
    m *= 0.9
    m += 0.1 * gp
    s *= 0.999
    s += 0.001 * gp * gp
    mh = m / (1.0 - 0.9 ** t)
    sh = s / (1.0 - 0.999 ** t)
    p -= lr * mh / (np.sqrt(sh) + 1e-8)


def adam_on_columns(W, X, Y, lr):
    M = np.zeros_like(W)
    S = np.zeros_like(W)
    for t in range(1, 4):
        G = X.T @ (X @ W - Y) / X.shape[0]
        for j in range(W.shape[1]):
            _adam_step(W[:, j], G[:, j], M[:, j], S[:, j], lr * math.cos(0.1 * t), t)
    R = X @ W - Y
    return 0.5 * np.sum(R * R)


def _reference(w):
    # (the same two steps, written out)
    m = w.copy()
    w = w - m * m
    m = m + w
    w = w - m * m
    return w


def test_hvp_and_hessian_through_a_helpers_local_state():
    w, v = np.array([0.3, -0.2]), np.array([1.0, 0.5])
    want = fd_hvp(two_steps_with_local_state, [w], 0, v, h=1e-6)
    np.testing.assert_allclose(want, [-0.34688579, -20.35341988], rtol=1e-6)   # (JAX's, on the steps written out)
    np.testing.assert_allclose(hvp(two_steps_with_local_state, [w.copy()], [v])[0], want, rtol=1e-6)
    np.testing.assert_allclose(hessian(two_steps_with_local_state, w.copy()) @ v, want, rtol=1e-6)
    h = 1e-6
    g = gradient(two_steps_with_local_state, w.copy())[0]
    fd = [(np.sum(_reference(w + h * e) ** 3) - np.sum(_reference(w - h * e) ** 3)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_hvp_through_an_optimizer_step_on_column_views():
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    W, V = rng.standard_normal((3, 2)) * 0.3, rng.standard_normal((3, 2))
    np.testing.assert_allclose(hvp(adam_on_columns, [W.copy(), X, Y, 0.05], [V, None, None, None])[0],
                               fd_hvp(adam_on_columns, [W, X, Y, 0.05], 0, V), rtol=2e-5, atol=1e-7)
    got = hvp(adam_on_columns, [W.copy(), X, Y, 0.05], [None, None, None, 1.0])[3]
    h = 1e-6
    fd = (gradient(adam_on_columns, W.copy(), X, Y, 0.05 + h)[3] - gradient(adam_on_columns, W.copy(), X, Y, 0.05 - h)[3]) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=2e-5)


def _two_state_step(w, m, v):
    m += w
    v += w * m
    w -= 0.1 * v


def state_rows_of_one_buffer(w):
    S = np.zeros((2,) + w.shape)
    _two_state_step(w, S[0, :], S[1, :])   # (two views of one buffer, checked apart as the code runs)
    return float(np.sum(w ** 3))


def test_hvp_through_a_helper_given_two_views_of_one_state_buffer():
    # (refused: the code differentiated again checks the two views apart, but a write through the
    # helper's alias of its parameter was not seen, and the call was taken to write shared memory)
    w, v = np.array([0.3, -0.5, 0.8]), np.array([1.0, 0.4, -0.7])
    want = fd_hvp(state_rows_of_one_buffer, [w], 0, v)
    np.testing.assert_allclose(hvp(state_rows_of_one_buffer, [w.copy()], [v])[0], want, rtol=1e-7)
    np.testing.assert_allclose(hessian(state_rows_of_one_buffer, w.copy()) @ v, want, rtol=1e-7)


def _force(x):
    return -np.sin(x)


def leapfrog_tuple_state(q, p):
    # (a tuple rebuilt each step from arrays bound anew, a helper called on one of them: the helper's
    # halves are given the array with the tape, which the code differentiated again took as written by
    # them after the tuple was built, and refused)
    state = (q, p)
    for _ in range(3):
        qq, pp = state
        pp = pp + 0.05 * _force(qq)
        qq = qq + 0.1 * pp
        state = (qq, pp)
    return float(np.sum(state[0] ** 2 + state[1] ** 3))


def test_hvp_and_hessian_of_a_tuple_state_through_a_helper():
    q, p = np.array([0.3, -0.5, 0.8]), np.array([0.2, 0.1, -0.4])
    vq, vp = np.array([0.7, -0.2, 0.3]), np.array([0.1, 0.9, -0.5])
    got = hvp(leapfrog_tuple_state, (q, p), (vq, np.zeros(3)))
    np.testing.assert_allclose(got[0], fd_hvp(leapfrog_tuple_state, (q, p), 0, vq), rtol=1e-6, atol=1e-8)
    got = hvp(leapfrog_tuple_state, (q, p), (np.zeros(3), vp))
    np.testing.assert_allclose(got[1], fd_hvp(leapfrog_tuple_state, (q, p), 1, vp), rtol=1e-6, atol=1e-8)
    H = hessian(leapfrog_tuple_state, q, p)
    np.testing.assert_allclose(H @ vq, fd_hvp(leapfrog_tuple_state, (q, p), 0, vq), rtol=1e-6, atol=1e-8)
