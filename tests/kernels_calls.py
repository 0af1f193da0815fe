"""Kernels that pass numpy arguments by position, or call methods whose meaning
depends on the dtype (for tests/test_calls.py)."""
import numpy as np


def p_sum(s, A):
    np.sum(A * A, 0, None, s)


def p_dot(y, M, x):
    np.dot(M, x, y)


def m_dot(y, M, x):
    M.dot(x, y)


def p_cumsum(s, a):
    np.cumsum(a * a, 0, None, s)


def p_mean(s, A):
    A.mean(1, None, s)


def p_take(s, a):
    np.take(a * 2.0, [2, 0, 1], 0, s)


def p_std(A):
    return np.sum(np.std(A, 0, None, None, 1))


def p_var_m(A):
    return np.sum(A.var(1, None, None, 1))


def p_concat(s, a, b):
    np.concatenate((a, b), 0, s)


def k_concat(s, a, b):
    np.concatenate((a * 2, b), out=s)


def p_stack(s, a, b):
    np.stack((a, b), 0, s)


def p_max(s, A):
    np.max(A, 1, s)


def p_prod(s, A):
    A.prod(0, None, s)


def k_none(A):
    return np.sum(np.cumsum(A, axis=0, out=None) ** 2)


def p_avg(A, w):
    return np.sum(np.average(A, 0, w) ** 2)


def p_avg_ret(A, w):
    m, _sw = np.average(A, 0, w, True)
    return np.sum(m ** 2)


def p_avg_ret_keyword(A, w):
    m, sw = np.average(A, weights=w, returned=True)
    return float(m * sw)


def p_avg_ret_const(x, c, w):
    m, sw = np.average(c, weights=w, returned=True)
    return float(np.sum(x * m * sw))


def conj_real(x, y):
    c = x.conj()   # x itself: x is real
    c *= y
    return np.sum(x ** 2)


def conjugate_real_local(x):
    y = 2.0 * x
    c = y.conjugate()
    c[0] = 10.0
    return np.sum(y ** 3)


def conj_complex(z, w):
    c = z.conj()   # a copy: z is complex
    c *= w
    return np.sum(np.abs(z) ** 2) + np.sum(np.real(c))


def einsum_complex_scalar(z, w):
    return np.imag(np.einsum("i,i->", z, w))


def einsum_mixed_scalar(z, x):
    return np.abs(np.einsum("i,i", z, x))


def list_of_arrays(u):
    pair = [u * 1.0, u * 2.0]
    return np.sum(pair[0] * pair[1])


def noisy_steps(u, T):
    for t in range(T):
        u[:] = u * (0.9 + 0.1 * np.random.standard_normal(u.shape[0]))
    return np.sum(u ** 2)


def nonzero_first(y, v):
    t = v[np.nonzero(v > 0)[0]] * 2   # an index array, not an int
    y[...] = np.sin(t)


def nonzero_named(v):
    i = np.nonzero(v > 0)[0]
    return np.sum(np.sin(v[i] * 2))


def nonzero_rows_cols(x):
    return np.sum(np.sin(x[np.nonzero(x > 0)[0], np.nonzero(x > 0)[1]]))


def tril_rows(s):
    return np.sum(s[np.tril_indices(3)[0]] ** 2)


def unravel_rows(x, c):
    return np.sum(np.sin(x[np.unravel_index(c, (3, 4))[0]]))


def array_int_by_position(y, x):
    y[...] = np.array(x, int) * x   # (the dtype by position was dropped)


def asarray_int_by_position(y, x):
    y[...] = np.asarray(x, int) * x


def transposed_negative(x):
    return np.sum(np.sin(np.transpose(x, (-1, 0, 1))) * np.arange(24.0).reshape(4, 2, 3))


def transposed_method_negative(x):
    return np.sum(np.sin(x.transpose(-1, 0, 1)) * np.arange(8.0).reshape(2, 2, 2))


def full_of_array(y, v):
    y[...] = np.sin(np.full((3, 4), v))


def full_like_of_array(y, a, v):
    y[...] = np.sin(np.full_like(a, v))


def clip_crossed(x, lo, hi):
    return np.sum(np.sin(np.clip(x, lo, hi)))


def lstsq_cut(a, b):
    return np.sum(np.sin(np.linalg.lstsq(a, b, rcond=0.5)[0]))


def lstsq_legacy(a, b):
    return np.sum(np.sin(np.linalg.lstsq(a, b, rcond=-1)[0]))


def pad_ramp(x):
    return np.sum(np.sin(np.pad(x, 2, mode="linear_ramp")))


def copyto_casting_by_position(y, src, m):
    np.copyto(y, src, "same_kind", m)


def clip_method_low(x):
    return np.sum(np.sin(x.clip(0.1)))


def clip_method_high_keyword(x):
    return np.sum(np.sin(x.clip(max=0.2)))


def clip_min_max_keywords(x, lo):
    return np.sum(np.sin(np.clip(x, min=lo, max=0.5)))


def clip_a_max_only(x):
    return np.sum(np.sin(np.clip(x, a_max=0.3, a_min=None)))


def doubles_first_reads_second(a, b):
    a *= 2.0
    return float(np.sum(b ** 2 * a))


def reads_both(a, b):
    return float(np.sum(b ** 2 * a))


def where_one_argument(x, m):
    return np.sum(np.sin(x[np.where(m)]))


def where_one_argument_written(x, m):
    x[np.where(m > 0.5)] *= 2.0
    return np.sum(x ** 2)


def put_negative(x, v):
    np.put(x, [-1, 0], v)
    return np.sum(x ** 3)


def fill_diagonal_cycled(A, v):
    np.fill_diagonal(A, v)
    return np.sum(A ** 3)


def sin_scaled(y, x, a):
    y[:] = np.sin(a * x)


def sum_sin(x):
    return float(np.sum(np.sin(x)))


def irfft_of_real(x):
    return np.sum(np.sin(np.fft.irfft(x, 9)))


def irfft2_of_real(x):
    return np.sum(np.sin(np.fft.irfft2(x)))


def fresh_from_constants(a):
    z = np.empty_like(a)
    for i in range(len(a)):
        z[i] = a[i] * -1.25
    return z


def helper_result_made_active(x, b):
    h = fresh_from_constants(b)   # no argument with tangents: the helper's tangents are none
    h *= x[1]
    x[...] = x * 0.5 + np.tanh(h) * 0.25


def last_step_array_read_after(x, nsteps):
    for step in range(nsteps):
        m = x.copy()
        m *= m   # written in place: it has a shadow the steps bind
        x -= 0.1 * m
    return float(np.sum(m ** 2))


def last_step_filled_read_after(x, nsteps):
    for step in range(nsteps):
        m = np.zeros_like(x)
        m[0] = x[0]
        x *= 0.9
    return float(np.sum(m ** 2) + np.sum(x))


def last_step_read_in_a_branch(x, nsteps):
    for step in range(nsteps):
        m = x.copy()
        m *= m
        x -= 0.1 * m
    t = 0.0
    if m[0] > 0.0:
        t = float(np.sum(m ** 2))
    return t


def kalman_like(F, x0, ys):
    x = x0.copy()
    nll = 0.0
    for t in range(ys.shape[0]):
        x = F @ x   # (a matrix times a vector is a vector: `nll += r @ r` below is a number)
        r = ys[t] - x
        nll += r @ r
    return nll


def stacked_matmul(A, v):
    y = A @ v   # (2, 3, 3) @ (3,) -> (2, 3)
    s = 0.0
    s += np.sum(y[0] * y[1])
    return s


def floyd_warshall_soft(A):
    n = A.shape[0]
    for k in range(n):
        A[...] = np.minimum(A, np.add.outer(A[:, k], A[k]))   # npbench's floyd_warshall, on floats
    return np.sum(A ** 2)


def subtract_outer(a, b):
    return np.sum(np.sin(np.subtract.outer(a, b)))


def multiply_outer(a, B):
    return np.sum(np.sin(np.multiply.outer(a, B)))


def noisy_generator(u, T, seed):
    rng = np.random.default_rng(seed)
    for t in range(T):
        u[:] = u * (0.9 + 0.1 * rng.standard_normal(u.shape[0]))
    return np.sum(u ** 2)


def einsum_interleaved(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]))


def float_out_into_ints(k, x):
    np.multiply(x, 2.5, out=k)
    return np.sum(x * x)


def complex_out_into_reals(y, z):
    np.multiply(z, z, out=y)


def copied_into_ints(k, x):
    np.copyto(k, x)
    return np.sum(x * x)


def summed_into_an_int(k, x):
    np.sum(x, out=k)   # (a reduction casts whatever the kind)
    return np.sum(x * x)


def copied_number_into_ints(k, x):
    np.copyto(k, x[0] * 2.0)
    return np.sum(x * x)
