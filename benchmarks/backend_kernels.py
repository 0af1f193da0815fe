"""Loop kernels of ``bench_backends.py`` (in place, element by element) and
their hand-written adjoints (plain Python, compiled with numba by the benchmark).

Each adjoint is the reverse sweep only, called after the primal: on entry
the shadows hold the seeds (adjoints of the final values), on exit the
adjoints of the initial values.
"""
import numpy as np


def recurrence(s, a, b):
    s[0] = b[0]
    for i in range(1, a.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]


def recurrence_adjoint(s, ds, a, da, b, db):
    for i in range(a.shape[0] - 1, 0, -1):
        g = ds[i]
        ds[i] = 0.0
        da[i] += g * s[i - 1]
        db[i] += g
        ds[i - 1] += g * a[i]
    db[0] += ds[0]
    ds[0] = 0.0


def gemm(c, a, b):
    n, m, p = a.shape[0], b.shape[1], a.shape[1]
    for i in range(n):
        for j in range(m):
            acc = 0.0
            for k in range(p):
                acc += a[i, k] * b[k, j]
            c[i, j] = acc


def gemm_adjoint(c, dc, a, da, b, db):
    n, m, p = a.shape[0], b.shape[1], a.shape[1]
    for i in range(n):
        for j in range(m):
            g = dc[i, j]
            dc[i, j] = 0.0
            for k in range(p):
                da[i, k] += g * b[k, j]
                db[k, j] += g * a[i, k]


def heat(u, work, r, steps):
    n = u.shape[0]
    for _ in range(steps):
        for i in range(1, n - 1):
            work[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        for i in range(1, n - 1):
            u[i] = work[i]


def heat_adjoint(u, du, work, dwork, r, steps):
    n = u.shape[0]
    for _ in range(steps):
        for i in range(n - 2, 0, -1):
            dwork[i] += du[i]
            du[i] = 0.0
        for i in range(n - 2, 0, -1):
            g = dwork[i]
            dwork[i] = 0.0
            du[i] += g * (1.0 - 2.0 * r)
            du[i - 1] += g * r
            du[i + 1] += g * r


def heat_swap(u, v, r, steps):
    """The heat stencil with two buffers whose names swap after each step (the
    result in ``u`` after an even number of steps)."""
    n = u.shape[0]
    for _ in range(steps):
        for i in range(1, n - 1):
            v[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])
        u, v = v, u


def heat_swap_adjoint(u, du, v, dv, r, steps):
    n = u.shape[0]
    # the shadows of the arrays the names u and v hold at the end (swapped once per step)
    gu, gv = (du, dv) if steps % 2 == 0 else (dv, du)
    for _ in range(steps):
        gu, gv = gv, gu
        for i in range(n - 2, 0, -1):
            g = gv[i]
            gv[i] = 0.0
            gu[i] += g * (1.0 - 2.0 * r)
            gu[i - 1] += g * r
            gu[i + 1] += g * r


def gauss_seidel(u, f, sweeps):
    n, m = u.shape
    for _ in range(sweeps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - f[i, j])


def gauss_seidel_adjoint(u, du, f, df, sweeps):
    n, m = u.shape
    for _ in range(sweeps):
        for i in range(n - 2, 0, -1):
            for j in range(m - 2, 0, -1):
                g = 0.25 * du[i, j]
                du[i, j] = 0.0
                du[i - 1, j] += g
                du[i + 1, j] += g
                du[i, j - 1] += g
                du[i, j + 1] += g
                df[i, j] -= g


def forces(x, f):
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            if i != j:
                dx = x[i, 0] - x[j, 0]
                dy = x[i, 1] - x[j, 1]
                r2 = dx * dx + dy * dy + 0.1
                w = 1.0 / (r2 * np.sqrt(r2))
                f[i, 0] += w * dx
                f[i, 1] += w * dy


def forces_adjoint(x, dx_, f, df):
    n = x.shape[0]
    for i in range(n - 1, -1, -1):
        for j in range(n - 1, -1, -1):
            if i != j:
                dx = x[i, 0] - x[j, 0]
                dy = x[i, 1] - x[j, 1]
                r2 = dx * dx + dy * dy + 0.1
                w = 1.0 / (r2 * np.sqrt(r2))
                gx, gy = df[i, 0], df[i, 1]
                gw = gx * dx + gy * dy
                gr2 = gw * (-1.5) * w / r2
                gdx = gx * w + gr2 * 2.0 * dx
                gdy = gy * w + gr2 * 2.0 * dy
                dx_[i, 0] += gdx
                dx_[j, 0] -= gdx
                dx_[i, 1] += gdy
                dx_[j, 1] -= gdy
