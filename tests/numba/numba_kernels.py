"""Kernels of the numba backend's tests; the loop kernels shared with the
benchmark (recurrence, gemm, heat, gauss_seidel, forces) come from
``benchmarks/backend_kernels.py``."""
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from backend_kernels import forces, gauss_seidel, gemm, heat, recurrence  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numba_config


def recurrence_sum(s, a, b):
    s[0] = b[0]
    for i in range(1, a.shape[0]):
        s[i] = s[i - 1] * a[i] + b[i]
    return np.sum(s * s)


def vectorised(x):
    return np.sum(np.tanh(x) ** 2)


def unsupported(x):
    t = 0.0
    for i in range(x.shape[0]):
        t += x[i] * x[i]
    y = np.einsum("i,i->i", x, x) * t
    return np.sum(y)


UNSUPPORTED_LINE = unsupported.__code__.co_firstlineno + 4


WEIGHTS = np.linspace(0.5, 1.5, 4)


def reads_global_array(x):
    t = 0.0
    for i in range(x.shape[0]):
        t += WEIGHTS[i] * x[i] * x[i]
    return t


def _sines(y, out):
    out[:] = np.sin(y)


def reads_global_array_after_a_helper(y, h):
    k = np.zeros_like(y)
    for i in range(4):
        _sines(y, k)
        y += h * WEIGHTS[i] * k
    return float(np.sum(y ** 2))


def matvec_from(y, A, x, lo):
    """An inner loop indexed by its bare variable (counted down by the numba
    rewrite), over a range that starts at ``lo`` (empty when ``lo`` is past
    the end); ``k`` is read after the loop."""
    n, m = A.shape
    last = 0.0
    for i in range(n):
        acc = 0.0
        k = -1
        for k in range(lo, m):
            acc = 0.5 * acc + A[i, k] * x[k]   # (carried from one k to the next: the reverse loop counts down)
        y[i] = acc + 0.5 * k
        last = acc
    return last


# -- once wrong under the numba backend without an error
def rebound_then_updated(x, y):
    x = x * 2.0
    x *= 3.0
    y[:] = x


def names_swapped(A, B):
    B[:] = A * A
    A, B = B, A
    B[:] = A * 2.0


def rows_written(A):
    for row in A:
        row[1] = row[0] * row[1]


def shifted_add(x):
    x[1:] += x[:-1]


def first_row_subtracted(A):
    A -= A[0]


def shifted_add_in_loop(x, n):
    for _ in range(n):
        x[1:] += x[:-1] * 0.5


def norm_of_sum_of_squares(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return math.sqrt(s)


def damped_by_pow(y, x):
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i] * pow(2, -i)   # Python: a float; numba: int ** int is an int


def damped_by_augmented_power(y, x):
    for i in range(x.shape[0]):
        k = i + 2
        k **= -1   # numba types this k as an int (each assignment of a name on its own)
        y[i] = x[i] * x[i] * k


def mean_by_shape_power(y, x):
    for i in range(x.shape[0]):
        y[i] = x[i] * x[i]
    y *= x.shape[0] ** -1   # (an int of the array's form, read where it is used: numba's int power was 0)


def scaled_by_sizes(y, x):
    for i in range(x.shape[0]):
        y[i] = x[i] * pow(x.shape[0], -1) + x[i] * len(x) ** -2 + x[i] ** 2 * max(x.size, 2) ** -1


def pair_energy(pos):
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(n):
            dx = pos[i] - pos[j]
            r = math.sqrt(dx * dx)   # r == 0 on the diagonal: the derivative divides by 0
            e += math.exp(-r * r)
    return e


def back_substitution(x, c, d):
    n = x.shape[0]
    x[n - 1] = d[n - 1]
    for i in reversed(range(n - 1)):   # a Thomas solver's back substitution
        x[i] = d[i] - c[i] * x[i + 1]


def stepped_backwards(y, x):
    s = 0.0
    for i in reversed(range(1, x.shape[0], 2)):
        s = s * 0.5 + x[i]
        y[i] = s


def levels(y, x):
    for i in range(x.shape[0]):
        y[i] = x[i] * ((x[i] > 0.2) + (x[i] > 0.6) + (x[i] > 1.0))   # numpy bools: a logical or


def loop_then_sum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] ** 2
    return np.sum(x * s) + np.mean(x) * x[0]


FACTOR = np.float32(2.0)


def scaled_by_config(x):
    s = 0.0
    for _ in range(numba_config.STEPS):
        for i in range(x.shape[0]):
            s += numba_config.SCALE * FACTOR * x[i] * x[i]
    return s


COEFFICIENTS = [1.0, 2.0]


def reads_module_list(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += COEFFICIENTS[0] * x[i] * x[i]
    return s


def running_max(y, x):
    best = None
    for i in range(x.shape[0]):
        if best is None or x[i] > best:
            best = x[i]
    y[0] = best * 1.0


def _scale_or_none(y, x):
    for i in range(y.shape[0]):
        y[i] = x[i] * 2.0
    if x[0] > 1.0:
        return
    return float(np.sum(x))


def scaled_unless_none(y, x):
    s = _scale_or_none(y, x)
    if s is not None:
        for i in range(y.shape[0]):
            y[i] = y[i] * s


def halving_sums(y, x):
    for i in range(1, 4):
        for j in range(1, 2 ** i, 2):
            y[i] += x[j] * j


def pair_forces(x, e):
    """Math functions of values bound in a loop: the numba backend recomputes
    them in the reverse sweep instead of keeping them on the tape."""
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            if i != j:
                d = x[i] - x[j]
                r = np.sqrt(d * d + 0.5)
                w = np.exp(-r) / r + math.log(r + 1.0)
                e[i] += w * d
    return np.sum(e * e)


def loop_index_after(x, y):
    """A loop variable read after its loop (its value must be restored), and
    one read only inside loops over it."""
    for k in range(1, x.shape[0]):
        y[k] = y[k - 1] * x[k]
    for i in range(x.shape[0]):
        y[i] += x[k] * x[i]
    for j in range(2):
        for k in range(3):
            y[j] += x[j] * x[k]
        y[j] += x[k] * y[j]
    for i in range(2):
        y[i] += x[i]
    return np.sum(y * y)


def fmod_weights(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += np.fmod(i - 5, 3) * x[i] + np.fmod(7 - 2 * i, -4) * x[i] ** 2
    return s


def fmod_array_weights(x):
    k = np.arange(x.shape[0]) - 4
    w = np.fmod(k, 3)
    s = 0.0
    for i in range(x.shape[0]):
        s += w[i] * x[i]
    return s


def named_view_added(x):
    v = x[2:]
    x[:-2] += v
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


def transpose_added(A):
    B = A.T
    A += B
    return float(np.sum(A ** 2))


def reversed_view_added(x):
    v = x[::-1]
    x += v
    return float(np.sum(x ** 2))


def view_of_view_added(x):
    v = x[2:]
    w = x[:-2]
    w += v
    return float(np.sum(x ** 3))


def predicates_added(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * (np.isfinite(x[i]) + np.signbit(x[i]))   # numpy's bools: a logical or
    return s


def predicate_and_mask_added(x, m):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i] * (np.logical_and(x[i] > 0.0, x[i] < 1.0) + m[i])
    return s


def mask_plus_true(x, m):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * (m[i] + True)
    return s


TUPLE_WEIGHTS = (0.5, 1.5, 2.0)
TABLES = (np.array([1.0, 2.0]),)


def weighted_by_a_tuple(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += TUPLE_WEIGHTS[i % 3] * x[i] * x[i]
    return s


def weighted_by_a_tuple_of_arrays(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += TABLES[0][i % 2] * x[i]
    return s


def full_of_python_ints(x):
    w = np.full(3, 2.0, int)
    w[0] = x[0] * 2.5          # numpy truncates: w[0] = 1
    z = np.zeros(3, int)
    z[1] = x[1] * 3.5
    s = 0.0
    for i in range(3):
        s += w[i] * x[i] + z[i] * x[i]
    return s


def element_view_then_scaled(x, y):
    s = x[0, ...]              # a 0-d view: it sees the writes below
    for i in range(x.shape[0]):
        x[i] = x[i] * y[i]
    return s * np.sum(x)


def flux_step(q, nt, g):
    for _ in range(nt):
        F = g * q   # (a fresh array each step: forward mode binds its tangent with _ad_fresh_like)
        q[1:-1] = q[1:-1] - 0.1 * (F[2:] - F[:-2])


def forward_substitution(x, L, b):
    for i in range(x.shape[0]):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]


def squares_and_max(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s + np.max(x) - np.min(x)


def seasonal_level(y, season, fc, m):
    """Holt-Winters' level with a season of length ``m`` (``t % m``)."""
    L = y[0]
    sse = 0.0
    for t in range(y.shape[0]):
        i = t % m
        fc[t] = L * season[i]
        e = y[t] - fc[t]
        sse += e ** 2
        L = 0.3 * y[t] / season[i] + 0.7 * L
    return sse


def shifted(y, x, k):
    """A read at an offset given as an argument (x[i - k] wraps where i < k)."""
    for i in range(x.shape[0]):
        y[i] = x[i - k] * x[i]


def interpolated(x, grid):
    """np.interp over a grid that is an argument: its derivative has no rule for ``xp``."""
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * np.interp(x[i], grid, grid * 2)
    return s


INTERPOLATED_LINE = interpolated.__code__.co_firstlineno + 4
