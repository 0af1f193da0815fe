"""Kernels that take a function as an argument (an integrator given its right-hand
side), for tests/test_function_arguments.py."""
import numpy as np


def pendulum(y, p, dy):
    dy[0] = y[1]
    dy[1] = -p * np.sin(y[0])


def damped(y, p, dy):
    dy[0] = y[1]
    dy[1] = -p * y[0] - 0.3 * y[1]


def decay(y):
    return -0.5 * y * y


def rk4(f, y, p, h, n):
    k1, k2, k3, k4 = np.zeros_like(y), np.zeros_like(y), np.zeros_like(y), np.zeros_like(y)
    for _ in range(n):
        f(y, p, k1)
        f(y + 0.5 * h * k1, p, k2)
        f(y + 0.5 * h * k2, p, k3)
        f(y + h * k3, p, k4)
        y += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def pendulum_loss(y0, p):
    y = y0.copy()
    rk4(pendulum, y, p, 0.1, 12)
    return float(np.sum(y ** 2))


def two_systems(y0, p, out):
    a, b = y0.copy(), y0.copy()
    rk4(pendulum, a, p, 0.1, 6)
    rk4(damped, b, p, 0.05, 9)
    out[:2] = a
    out[2:] = b


def euler(f, y, h, n):
    for _ in range(n):
        y[:] = y + h * f(y)


def step_with(f, y, h):
    y += h * f(y)


def twice(f, y, h, n):
    for _ in range(n):
        step_with(f, y, h)   # (the function passed on to another helper)


def apply_elementwise(g, x, out):
    out[:] = g(x) * x


def rebinds(f, y):
    f = decay
    y += f(y)


def passes_a_lambda(y):
    euler(lambda v: -v, y, 0.1, 3)


def passes_numpy_functions(y0):
    y = y0.copy()
    euler(np.sin, y, 0.1, 5)       # (a ufunc, by its attribute)
    w = y0.copy()
    euler(np.cumsum, w, 0.1, 2)    # (a numpy function that is no ufunc)
    return float(np.sum(y * w) + np.sum(w ** 2))


def optional_rhs(y, h, n, f=None):
    for _ in range(n):
        if f is None:
            y[:] = y - h * y
        else:
            y[:] = y + h * f(y)


def euler_loss(f, y0, p, h, n):
    """A float-returning integrator over a copy of its state: the bare differentiate."""
    y = y0.copy()
    k = np.zeros_like(y)
    for _ in range(n):
        f(y, p, k)
        y = y + h * k
    return float(np.sum(y * y))


def linear_rhs(y, p, dy):
    dy[:] = -p * y


def rhs_scaling_p(y, p, dy):
    p *= 1.01
    dy[:] = -p * y


def decay_at(c):
    """A factory: each right-hand side holds its own rate `c`."""
    def rhs(y, dy):
        dy[:] = -c * y * y
    return rhs


slow, fast = decay_at(0.5), decay_at(2.0)


def two_rates(y0):
    """Two closures of one factory in one kernel: each reads its own `c`."""
    y = y0.copy()
    k = np.zeros_like(y)
    for _ in range(3):
        slow(y, k)
        y = y + 0.1 * k
        fast(y, k)
        y = y + 0.1 * k
    return float(np.sum(y * y))


def two_rates_given(f, g, y, h):
    """The same, the closures passed as arguments; y written in place."""
    k = np.zeros_like(y)
    f(y, k)
    y += h * k
    g(y, k)
    y += h * k


def rk4_values(f, y0, p, h, n):
    """RK4 of a right-hand side that returns its value (as a lambda does)."""
    y = y0.copy()
    for _ in range(n):
        k1 = f(y, p)
        k2 = f(y + 0.5 * h * k1, p)
        k3 = f(y + 0.5 * h * k2, p)
        k4 = f(y + h * k3, p)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return float(np.sum(y * y))


logistic = lambda y, p: p * y * (1.0 - y)
square, cube = (lambda x: float(np.sum(x ** 2))), (lambda x: float(np.sum(x ** 3)))


def uses_a_module_lambda(y0, p):
    return rk4_values(logistic, y0, p, 0.1, 4)
