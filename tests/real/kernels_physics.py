"""Finite-difference stencils, particle and ODE integrators, iterative
solvers, written as numerical-methods course notes write them (the
"12 steps to Navier-Stokes" style: ``un = u.copy()`` then an update of ``u``)."""

import numpy as np

# -- stencils --------------------------------------------------------------------------

def diffusion_1d(u, nu, nt, dx, dt):
    for n in range(nt):
        un = u.copy()
        u[1:-1] = un[1:-1] + nu * dt / dx ** 2 * (un[2:] - 2 * un[1:-1] + un[:-2])


def advection_upwind(u, c, nt, dx, dt):
    nx = u.shape[0]
    for n in range(nt):
        un = u.copy()
        for i in range(1, nx):
            u[i] = un[i] - c * dt / dx * (un[i] - un[i - 1])


def advection_2d(u, c, nt, dx, dy, dt):
    for n in range(nt):
        un = u.copy()
        u[1:, 1:] = (un[1:, 1:] - (c * dt / dx * (un[1:, 1:] - un[1:, :-1]))
                     - (c * dt / dy * (un[1:, 1:] - un[:-1, 1:])))
        u[0, :] = 1.0
        u[:, 0] = 1.0


def burgers_step(u, nu, nt, dx, dt):
    """Viscous Burgers with periodic boundaries (upwind convection, central diffusion)."""
    nx = u.shape[0]
    for n in range(nt):
        un = u.copy()
        for i in range(1, nx - 1):
            u[i] = (un[i] - un[i] * dt / dx * (un[i] - un[i - 1])
                    + nu * dt / dx ** 2 * (un[i + 1] - 2 * un[i] + un[i - 1]))
        u[0] = (un[0] - un[0] * dt / dx * (un[0] - un[-2])
                + nu * dt / dx ** 2 * (un[1] - 2 * un[0] + un[-2]))
        u[-1] = u[0]


def wave_leapfrog(u_prev, u, c, nt, dx, dt):
    C2 = (c * dt / dx) ** 2
    u_next = np.zeros_like(u)
    for n in range(nt):
        u_next[1:-1] = 2 * u[1:-1] - u_prev[1:-1] + C2 * (u[2:] - 2 * u[1:-1] + u[:-2])
        u_next[0] = 0.0
        u_next[-1] = 0.0
        u_prev[:] = u
        u[:] = u_next


def shallow_water_lf(h, hu, g, nt, dx, dt):
    """1-D shallow water, Lax-Friedrichs, periodic by np.roll."""
    for n in range(nt):
        u = hu / h
        f1 = hu
        f2 = hu * u + 0.5 * g * h ** 2
        h_new = 0.5 * (np.roll(h, -1) + np.roll(h, 1)) - dt / (2 * dx) * (np.roll(f1, -1) - np.roll(f1, 1))
        hu_new = 0.5 * (np.roll(hu, -1) + np.roll(hu, 1)) - dt / (2 * dx) * (np.roll(f2, -1) - np.roll(f2, 1))
        h[:] = h_new
        hu[:] = hu_new


# -- particles and ODEs --------------------------------------------------------------------

def nbody_step(pos, vel, mass, dt, softening, nsteps):
    n = pos.shape[0]
    acc = np.zeros_like(pos)
    for step in range(nsteps):
        acc[:] = 0.0
        for i in range(n):
            for j in range(n):
                if i != j:
                    dx = pos[j, 0] - pos[i, 0]
                    dy = pos[j, 1] - pos[i, 1]
                    dz = pos[j, 2] - pos[i, 2]
                    r2 = dx * dx + dy * dy + dz * dz + softening ** 2
                    inv_r3 = r2 ** (-1.5)
                    acc[i, 0] += mass[j] * dx * inv_r3
                    acc[i, 1] += mass[j] * dy * inv_r3
                    acc[i, 2] += mass[j] * dz * inv_r3
        vel += acc * dt
        pos += vel * dt
    ke = 0.5 * np.sum(mass * np.sum(vel ** 2, axis=1))
    return ke


def lotka_volterra(y, p):
    dydt = np.empty_like(y)
    dydt[0] = p[0] * y[0] - p[1] * y[0] * y[1]
    dydt[1] = p[2] * y[0] * y[1] - p[3] * y[1]
    return dydt


def rk4_stage1(y, p):
    return lotka_volterra(y, p)


def rk4_stage2(y, k1, h, p):
    return lotka_volterra(y + 0.5 * h * k1, p)


def rk4_stage3(y, k2, h, p):
    return lotka_volterra(y + 0.5 * h * k2, p)


def rk4_stage4(y, k3, h, p):
    return lotka_volterra(y + h * k3, p)


def rk4_integrate(y, p, h, nsteps):
    for i in range(nsteps):
        k1 = rk4_stage1(y, p)
        k2 = rk4_stage2(y, k1, h, p)
        k3 = rk4_stage3(y, k2, h, p)
        k4 = rk4_stage4(y, k3, h, p)
        y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def lorenz_euler(state, sigma, rho, beta, dt, nsteps):
    for i in range(nsteps):
        x, y, z = state[0], state[1], state[2]
        dx = sigma * (y - x)
        dy = x * (rho - z) - y
        dz = x * y - beta * z
        state[0] = x + dt * dx
        state[1] = y + dt * dy
        state[2] = z + dt * dz


# -- iterative solvers ---------------------------------------------------------------------

def gauss_seidel(A, b, x, sweeps):
    n = A.shape[0]
    for it in range(sweeps):
        for i in range(n):
            s = 0.0
            for j in range(n):
                if j != i:
                    s += A[i, j] * x[j]
            x[i] = (b[i] - s) / A[i, i]


def jacobi_solve(A, b, x, tol=1e-10, max_iter=200):
    D = np.diag(A)
    R = A - np.diagflat(D)
    it = 0
    err = tol + 1.0
    while err > tol and it < max_iter:
        x_new = (b - R @ x) / D
        err = np.linalg.norm(x_new - x)
        x[:] = x_new
        it += 1


def jacobi_solve_diag(A, b, x, tol=1e-10, max_iter=200):
    """The same solver with ``np.diag(np.diag(A))`` instead of ``np.diagflat``."""
    D = np.diag(A)
    R = A - np.diag(D)
    it = 0
    err = tol + 1.0
    while err > tol and it < max_iter:
        x_new = (b - R @ x) / D
        err = np.linalg.norm(x_new - x)
        x[:] = x_new
        it += 1


def power_iteration(A, x, num_iters):
    for k in range(num_iters):
        y = A @ x
        x[:] = y / np.linalg.norm(y)
    return float(x @ A @ x)


def conjugate_gradient(A, b, x, iters):
    r = b - A @ x
    p = r.copy()
    rs_old = r @ r
    for i in range(iters):
        Ap = A @ p
        alpha = rs_old / (p @ Ap)
        x += alpha * p
        r -= alpha * Ap
        rs_new = r @ r
        p = r + (rs_new / rs_old) * p
        rs_old = rs_new


def csr_matvec(data, indices, indptr, x, y):
    n = indptr.shape[0] - 1
    for i in range(n):
        s = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            s += data[jj] * x[indices[jj]]
        y[i] = s


def linear_recurrence(a, x, h):
    """h[t] = a[t] * h[t-1] + x[t] (a scan)."""
    n = x.shape[0]
    h[0] = x[0]
    for t in range(1, n):
        h[t] = a[t] * h[t - 1] + x[t]


def exponential_smoothing(x, s, alpha):
    s[0] = x[0]
    for t in range(1, x.shape[0]):
        s[t] = alpha * x[t] + (1 - alpha) * s[t - 1]
    return float(np.sum((x[1:] - s[:-1]) ** 2))


def kalman_step(x, P, z, F, H, Q, R):
    # predict
    x[:] = F @ x
    P[:] = F @ P @ F.T + Q
    # update
    y = z - H @ x
    S = H @ P @ H.T + R
    K = P @ H.T @ np.linalg.inv(S)
    x += K @ y
    I = np.eye(P.shape[0])
    P[:] = (I - K @ H) @ P


def mandelbrot_escape(cr, ci, out, maxiter):
    """Real arithmetic only: z = zr + i zi; a smooth float per point."""
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    for k in range(maxiter):
        zr_new = zr * zr - zi * zi + cr
        zi = 2.0 * zr * zi + ci
        zr = zr_new
    out[:] = np.log(1.0 + zr * zr + zi * zi)


def mandelbrot_masked(cr, ci, out, maxiter):
    """Points that leave |z| < 2 stop being updated (np.where on a mask)."""
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    for k in range(maxiter):
        inside = zr * zr + zi * zi < 4.0
        zr_new = np.where(inside, zr * zr - zi * zi + cr, zr)
        zi = np.where(inside, 2.0 * zr * zi + ci, zi)
        zr = zr_new
    out[:] = np.sqrt(zr * zr + zi * zi)


def horner(coeffs, x, y):
    y[:] = 0.0
    for c in coeffs:
        y[:] = y * x + c


def trapezoid(y, dx):
    n = y.shape[0]
    s = 0.5 * (y[0] + y[n - 1])
    for i in range(1, n - 1):
        s += y[i]
    return s * dx


def mandelbrot_complex(cr, ci, out, maxiter):
    """The Mandelbrot iteration on complex arrays, with a float output."""
    c = cr + 1j * ci
    z = np.zeros_like(c)
    for k in range(maxiter):
        z = z * z + c
    out[:] = np.log(1.0 + np.abs(z) ** 2)


def spectral_heat(u, nu, dt, steps):
    """Heat equation on a periodic grid, stepped exactly in Fourier space."""
    n = u.shape[0]
    k = 2.0 * np.pi * np.fft.fftfreq(n, d=1.0 / n)
    decay = np.exp(-nu * k * k * dt)
    for t in range(steps):
        uh = np.fft.fft(u)
        uh *= decay
        u[:] = np.real(np.fft.ifft(uh))
    return float(np.sum(u * u))


def spectral_poisson(f, u):
    """Solve u'' = f on a periodic grid with the real FFT (zero-mean solution)."""
    n = f.shape[0]
    fh = np.fft.rfft(f)
    k = 2.0 * np.pi * np.fft.rfftfreq(n, d=1.0 / n)
    k[0] = 1.0
    uh = -fh / (k * k)
    uh[0] = 0.0
    u[:] = np.fft.irfft(uh, n)
