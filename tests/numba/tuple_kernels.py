"""Kernels calling helpers that return several numbers or arrays (test_returned_tuples)."""
import numpy as np


def _stats(x):
    m = 0.0
    s = 0.0
    for i in range(x.shape[0]):
        m += x[i]
        s += x[i] * x[i]
    return m, s

def variance(x):
    m, s = _stats(x)
    n = x.shape[0]
    return s / n - (m / n) ** 2

def first_only(x):
    m, _s = _stats(x)
    return 2.0 * m * x[0]

def _step(a, b, xi):
    return b, a * xi + np.sin(b)

def recurrence(x):
    a = 1.0
    b = 0.5
    for i in range(x.shape[0]):
        a, b = _step(a, b, x[i])
    return a + b * b

def kept_whole(x):
    r = _stats(x)
    return r[0] * r[1]

def _best(x):
    bi = 0
    bv = x[0]
    for i in range(x.shape[0]):
        if x[i] > bv:
            bv = x[i]
            bi = i
    return bv, bi

def value_and_index(x):
    v, i = _best(x)
    return v * i + v * v

def _passed_on(x):
    return _stats(x)

def passed_on(x):
    m, s = _passed_on(x)
    return m * s

def _branchy(x, t):
    if t > 0:
        return x[0], x[1]
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s, s * s

def two_branches(x, t):
    a, b = _branchy(x, t)
    c, d = _branchy(x, -t)
    return a * b + c * d

def _pair_at(x, i):
    return x[i] * x[i + 1], np.sin(x[i])

def whole_in_a_loop(x):
    tot = 0.0
    for i in range(x.shape[0] - 1):
        r = _pair_at(x, i)
        tot += r[0] * r[1] + r[1]
    return tot

def _lorenz(x, y, z, s, r, b):
    return s * (y - x), x * (r - z) - y, x * y - b * z

def lorenz_rk2(u, p, out):
    x = u[0]
    y = u[1]
    z = u[2]
    dt = 0.01
    for k in range(40):
        k1x, k1y, k1z = _lorenz(x, y, z, p[0], p[1], p[2])
        k2x, k2y, k2z = _lorenz(x + 0.5 * dt * k1x, y + 0.5 * dt * k1y, z + 0.5 * dt * k1z, p[0], p[1], p[2])
        x = x + dt * k2x
        y = y + dt * k2y
        z = z + dt * k2z
        out[k] = x * y
    return x * x + y + z

def _minmax(x):
    lo = x[0]
    hi = x[0]
    for i in range(1, x.shape[0]):
        lo = min(lo, x[i])
        hi = max(hi, x[i])
    return lo, hi

def swapped(x):
    t = _minmax(x)
    u = (t[1], t[0])
    return u[0] - 2.0 * u[1]

def _nested(x):
    return (x[0], x[1] * 2.0), x[2]

def nested(x):
    (a, b), c = _nested(x)
    return a * b * c

def _rhs(u, v, k):
    du = np.empty_like(u)
    dv = np.empty_like(v)
    for i in range(u.shape[0]):
        du[i] = v[i]
        dv[i] = -k[0] * np.sin(u[i])
    return du, dv

def pendulums(u, v, k):
    dt = 0.1
    for step in range(4):
        du, dv = _rhs(u, v, k)
        for i in range(u.shape[0]):
            u[i] = u[i] + dt * du[i]
            v[i] = v[i] + dt * dv[i]
    return np.sum(u * u) + np.sum(v)

def _unit(w):
    n = np.sqrt(np.sum(w * w))
    return w / n, n

def unit_and_norm(w, y):
    u, n = _unit(w)
    for i in range(y.shape[0]):
        y[i] = u[i] * n * n + y[i] * u[i]
    return np.sum(u) * n

def _rhs_kept(u, v, k):
    return _rhs(u, v, k)

def kept_tuple_of_arrays(u, v, k):
    for step in range(3):
        r = _rhs_kept(u, v, k)
        u += 0.05 * r[0]
        v += 0.05 * r[1]
    return np.sum(u * v)

def only_the_first_array(u, v, k):
    du, _dv = _rhs(u, v, k)
    return np.sum(du * du * u)

def _heun_stage(u, v, k, dt):
    du, dv = _rhs(u, v, k)
    return u + dt * du, v + dt * dv

def heun(u, v, k):
    for step in range(3):
        u1, v1 = _heun_stage(u, v, k, 0.1)
        du, dv = _rhs(u1, v1, k)
        u = 0.5 * (u + u1 + 0.1 * du)
        v = 0.5 * (v + v1 + 0.1 * dv)
    return np.sum(u * v)

def _pair(w):
    return w * 2.0, w[0]

def unused_array(w):
    _, s = _pair(w)
    return s * s

def _first_above(x):
    for i in range(x.shape[0]):
        if x[i] > 1.0:
            return x[i], 1.0
    return 0.0, 2.0

def early_tuple(x):
    a, b = _first_above(x)
    return a * b

def _three(x):
    return x[0], x[1] * 2.0, np.sin(x[2])

def negative_index(x):
    r = _three(x)
    return r[0] * r[-1]

def _pair_arrays(w):
    return w * 2.0, w * w

def written_after(w):
    a, b = _pair_arrays(w)
    a[0] = 0.0
    return float(np.sum(a * b))
