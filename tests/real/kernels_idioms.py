"""Idioms of published numpy code that the other kernel modules do not use:
buffer swaps in time loops, ufuncs writing through ``out=`` in place,
optimizer state updated in place, strided (red-black) slices, negative
indices wrapping around, log-space recurrences, tridiagonal sweeps."""
import numpy as np


def jacobi_1d_swap(tsteps, A, B):
    """Time loop that swaps the two buffers instead of copying back."""
    for t in range(tsteps):
        B[1:-1] = (A[:-2] + A[1:-1] + A[2:]) / 3.0
        A, B = B, A


def softmax_inplace(x):
    x -= x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)


def adam_step(w, g, m, v, lr, beta1, beta2, eps, t):
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    w -= lr * m_hat / (np.sqrt(v_hat) + eps)


def heat_2d_periodic(u, alpha, nt):
    for n in range(nt):
        lap = (np.roll(u, 1, axis=0) + np.roll(u, -1, axis=0)
               + np.roll(u, 1, axis=1) + np.roll(u, -1, axis=1) - 4 * u)
        u += alpha * lap


def red_black_gauss_seidel(u, f, h, sweeps):
    for s in range(sweeps):
        u[1:-1:2] = 0.5 * (u[:-2:2] + u[2::2] - h * h * f[1:-1:2])
        u[2:-1:2] = 0.5 * (u[1:-2:2] + u[3::2] - h * h * f[2:-1:2])


def periodic_upwind(u, c, nt):
    """u[i - 1] at i == 0 reads u[-1]: the periodic neighbour."""
    n = u.shape[0]
    for step in range(nt):
        un = u.copy()
        for i in range(n):
            u[i] = un[i] - c * (un[i] - un[i - 1])


def thomas(a, b, c, d, x):
    """Tridiagonal solve; c and d are overwritten as in Numerical Recipes."""
    n = d.shape[0]
    c[0] = c[0] / b[0]
    d[0] = d[0] / b[0]
    for i in range(1, n):
        m = b[i] - a[i] * c[i - 1]
        c[i] = c[i] / m
        d[i] = (d[i] - a[i] * d[i - 1]) / m
    x[n - 1] = d[n - 1]
    for i in range(n - 2, -1, -1):
        x[i] = d[i] - c[i] * x[i + 1]


def hmm_forward_log(log_pi, log_A, log_B, obs):
    """Forward algorithm in log space; returns the log likelihood."""
    T = obs.shape[0]
    alpha = log_pi + log_B[:, obs[0]]
    for t in range(1, T):
        m = alpha.max()
        alpha = np.log(np.exp(alpha - m) @ np.exp(log_A)) + m + log_B[:, obs[t]]
    m = alpha.max()
    return float(m + np.log(np.sum(np.exp(alpha - m))))


def welford_variance(x):
    mean = 0.0
    m2 = 0.0
    n = 0
    for i in range(x.shape[0]):
        n += 1
        delta = x[i] - mean
        mean += delta / n
        m2 += delta * (x[i] - mean)
    return m2 / (n - 1)


def newton_sqrt(a, x, tol=1e-12):
    """x <- sqrt(a) elementwise by Newton's method until the update is small."""
    x[:] = a
    delta = 1.0
    while delta > tol:
        x_new = 0.5 * (x + a / x)
        delta = np.max(np.abs(x_new - x))
        x[:] = x_new


def crank_nicolson(u, r, nt):
    n = u.shape[0]
    A = np.diag((1 + r) * np.ones(n)) + np.diag(-r / 2 * np.ones(n - 1), 1) + np.diag(-r / 2 * np.ones(n - 1), -1)
    B = np.diag((1 - r) * np.ones(n)) + np.diag(r / 2 * np.ones(n - 1), 1) + np.diag(r / 2 * np.ones(n - 1), -1)
    for step in range(nt):
        u[:] = np.linalg.solve(A, B @ u)


def verlet(x, v, k, dt, nsteps):
    """Velocity Verlet for a chain of unit masses joined by springs."""
    a = np.zeros_like(x)
    a[1:-1] = k * (x[2:] - 2 * x[1:-1] + x[:-2])
    for step in range(nsteps):
        x += v * dt + 0.5 * a * dt ** 2
        a_new = np.zeros_like(x)
        a_new[1:-1] = k * (x[2:] - 2 * x[1:-1] + x[:-2])
        v += 0.5 * (a + a_new) * dt
        a = a_new


def moving_average(x, out, k):
    out[:] = np.convolve(x, np.ones(k) / k, mode="valid")


def cumsum_out(x, y):
    np.cumsum(x, out=y)
    y *= x


def einsum_bilinear(x, W, y, out):
    out[:] = np.einsum("bi,oij,bj->bo", x, W, y)


def rnn_unrolled(xs, h, Wx, Wh, b):
    """A vanilla RNN over a sequence: h updated in place each step."""
    for t in range(xs.shape[0]):
        h[:] = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return float(np.sum(h ** 2))


def correlation_vectorised(float_n, data, corr):
    """The vectorised PolyBench port: a boolean mask guards small deviations."""
    eps = 0.1
    mean = np.mean(data, axis=0)
    stddev = np.sqrt(np.mean((data - mean) ** 2, axis=0))
    stddev[stddev <= eps] = 1.0
    data -= mean
    data /= np.sqrt(float_n) * stddev
    corr[:, :] = data.T @ data
    np.fill_diagonal(corr, 1.0)


def relu_inplace_layer(x, W, b, out):
    h = x @ W + b
    np.maximum(h, 0.0, out=h)
    out[:] = h


def normalize_rows(A):
    """Iterates over the rows of A; each row is a view written in place."""
    for row in A:
        row /= np.linalg.norm(row)


def enumerate_zip(xs, ys, out):
    for i, (a, b) in enumerate(zip(xs, ys)):
        out[i] = a * b + np.sin(a)


def rnn_collect(xs, h0, Wx, Wh, out):
    """Hidden states collected in a list, then stacked into ``out``."""
    h = h0
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
        hs.append(h)
    out[:] = np.stack(hs)


def fixed_point_cos(x):
    """x <- cos(x) until it stops moving, ``while True`` with a ``break``."""
    for k in range(100):
        x_new = np.cos(x)
        if np.max(np.abs(x_new - x)) < 1e-13:
            x[:] = x_new
            break
        x[:] = x_new


def discounted_returns(rewards, gamma, out):
    running = 0.0
    for t in reversed(range(rewards.shape[0])):
        running = rewards[t] + gamma * running
        out[t] = running


def discounted_returns_range(rewards, gamma, out):
    running = 0.0
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running


def leaky_relu_norms(X, out):
    H = np.where(X > 0, X, 0.01 * X)
    out[:] = np.linalg.norm(H, axis=1)


def pairwise_distances(X, D):
    diff = X[:, None, :] - X[None, :, :]
    D[:, :] = np.sqrt(np.sum(diff ** 2, axis=-1) + 1e-3)


def reverse_in_place(x, y):
    y[:] = x[::-1] * x
    x[:] = x[::-1]


def correlation_vectorised_index(float_n, data, corr):
    """The same port with the diagonal set through an index pair."""
    eps = 0.1
    mean = np.mean(data, axis=0)
    stddev = np.sqrt(np.mean((data - mean) ** 2, axis=0))
    stddev[stddev <= eps] = 1.0
    data -= mean
    data /= np.sqrt(float_n) * stddev
    corr[:, :] = data.T @ data
    idx = np.arange(corr.shape[0])
    corr[idx, idx] = 1.0
