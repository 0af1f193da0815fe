"""Catalogue part 1: the seed, assignment forms, subscripts, loops, control
flow, calls, scalars and returns (see catalogue_base for the row format)."""
from __future__ import annotations

import math

import numpy as np
from catalogue_base import J, P, U, add

# --- the seed and its spellings -------------------------------------------

def seed_slice(s, a, b):
    s[:] = a + b


add(seed_slice, lambda r: (U(r, 5), U(r, 5), U(r, 5)), "DDD", "DCD", "DDC", "CDD", "NDD")


def seed_ellipsis(s, a, b):
    s[...] = a + b


add(seed_ellipsis, lambda r: (U(r, 5), U(r, 5), U(r, 5)), "DDD", "NDD")


def seed_add_out(s, a, b):
    np.add(a, b, out=s)


add(seed_add_out, lambda r: (U(r, 5), U(r, 5), U(r, 5)), "DDD", "DCD")


def seed_copyto(s, a, b):
    np.copyto(s, a + b)


add(seed_copyto, lambda r: (U(r, 5), U(r, 5), U(r, 5)), "DDD", "DDC")


def seed_assign_iadd(s, a, b):
    s[:] = a
    s += b


add(seed_assign_iadd, lambda r: (U(r, 5), U(r, 5), U(r, 5)), "DDD", "DDC", "DCD")


# --- assignment forms --------------------------------------------------------

def tuple_unpack(s, a):
    p, q = a[0] * a[1], a[2] - a[0]
    p, q = q, p * q
    s[0] = p
    s[1] = q
    s[2] = p * q


add(tuple_unpack, lambda r: (U(r, 3), U(r, 3)), "DD", "CD")


def aug_name(s, a, b):
    t = a[0]
    t += b[0]
    t *= a[1]
    t -= b[1] * a[2]
    t /= b[2]
    s[0] = t


add(aug_name, lambda r: (U(r, 2), U(r, 3), P(r, 3)), "DDD", "DCD")


def aug_element(x, a):
    for i in range(len(x)):
        x[i] += a[i] * x[i]


add(aug_element, lambda r: (U(r, 5), U(r, 5)), "DD", "DC", "CD")


def aug_slice_scalar(x, c):
    x[1:-1] *= c
    x[0] -= c


add(aug_slice_scalar, lambda r: (U(r, 6), 1.3), "DA", "DC")


def aug_slice_array(x, a):
    x[1:-1] += a[1:-1] * x[:-2]
    x[2:] /= a[2:]


add(aug_slice_array, lambda r: (U(r, 6), P(r, 6)), "DD", "DC")


def aug_whole_array(x, a, b):
    x *= a
    x += 1.0
    x -= b
    x /= 1.0 + a * a


add(aug_whole_array, lambda r: (U(r, 4), U(r, 4), U(r, 4)), "DDD", "DCD")


def rebinding(x, s, a):
    x = x * a
    s[:] = x + 1.0


add(rebinding, lambda r: (U(r, 4), U(r, 4), U(r, 4)), "DDD", "CDD")


# --- 2-D subscripts ----------------------------------------------------------

def index_2d_int(x, a):
    x[1, 2] = a[0, 1] * a[2, 3]
    x[0, 0] += a[1, 1]
    x[2, 1] = x[1, 2] * x[0, 0]


add(index_2d_int, lambda r: (U(r, 3, 4), U(r, 3, 4)), "DD", "DC")


def index_2d_column(x, a, b):
    for j in range(x.shape[1]):
        x[:, j] = a[:, j] * b[j]


add(index_2d_column, lambda r: (U(r, 3, 4), U(r, 3, 4), U(r, 4)), "DDD", "DCD", "DDC")


def index_2d_loops(x, a):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = a[i, j] * a[j, i] + x[j, i]


add(index_2d_loops, lambda r: (U(r, 3, 3), U(r, 3, 3)), "DD", "CD")


def index_2d_rows(x, a):
    for i in range(x.shape[0]):
        x[i, :] = x[i, :] * a[i]


add(index_2d_rows, lambda r: (U(r, 3, 4), U(r, 3)), "DD", "DC")


def index_arith(s, a, m):
    for i in range(m):
        s[i] = a[2 * i] + a[2 * i + 1] * a[i + 1]


add(index_arith, lambda r: (U(r, 3), U(r, 6), 3), "DDC")


# --- out= ----------------------------------------------------------------------

def ufunc_out(s, t, a, b):
    np.multiply(a, b, out=s)
    np.sin(s, out=t)
    np.add(t, a, out=t)


add(ufunc_out, lambda r: (U(r, 4), U(r, 4), U(r, 4), U(r, 4)), "DDDD", "DDCD", "NDDD")


def dot_out(y, A, x):
    np.dot(A, x, out=y)


add(dot_out, lambda r: (U(r, 3), U(r, 3, 4), U(r, 4)), "DDD", "DCD", "DDC")


# --- loops -------------------------------------------------------------------

def range_step(s, a):
    for i in range(1, len(a), 2):
        s[i] = a[i] * a[i - 1]
    for i in range(0, len(a), 2):
        s[i] = -a[i]


add(range_step, lambda r: (U(r, 5), U(r, 5)), "DD")


def range_negative(x, a):
    for i in range(len(x) - 1, 0, -1):
        x[i - 1] += x[i] * a[i]


add(range_negative, lambda r: (U(r, 5), U(r, 5)), "DD", "DC", "CD")


def range_negative_step2(s, a):
    acc = 0.0
    for i in range(len(a) - 1, -1, -2):
        acc = acc + a[i]
        s[i] = a[i] * acc


add(range_negative_step2, lambda r: (U(r, 6), U(r, 6)), "DD")


def nested_matmul(c, a, b):
    for i in range(c.shape[0]):
        for j in range(c.shape[1]):
            for k in range(a.shape[1]):
                c[i, j] += a[i, k] * b[k, j]


add(nested_matmul, lambda r: (U(r, 2, 3), U(r, 2, 4), U(r, 4, 3)), "DDD", "DCD", "CDD")


def scalar_loop(s, a, b):
    acc = 0.0
    for i in range(len(a)):
        acc = acc * a[i] + b[i]
    s[0] = acc


add(scalar_loop, lambda r: (U(r, 2), U(r, 5), U(r, 5)), "DDD", "DCD")


def recurrence(x, a):
    for i in range(1, len(x)):
        x[i] = x[i - 1] * a[i]


add(recurrence, lambda r: (U(r, 6), U(r, 6, lo=0.5, hi=1.5)), "DD", "DC", "CD")


def heat(u, c, steps):
    for t in range(steps):
        u[1:-1] = u[1:-1] + c * (u[2:] - 2.0 * u[1:-1] + u[:-2])


add(heat, lambda r: (U(r, 8), 0.2, 4), "DAC", "DCC")


def loop_overwrite(x, a, steps):
    for t in range(steps):
        x[:] = np.sin(x) * a + x


add(loop_overwrite, lambda r: (U(r, 4), U(r, 4), 3), "DDC", "DCC")


def overwrite_reread(x, a):
    x[:] = x * x
    x[:] = x + a
    x[:] = np.sin(x) * a


add(overwrite_reread, lambda r: (U(r, 4), U(r, 4)), "DD", "DC")


# --- control flow on data ----------------------------------------------------

def if_elif_else(s, a):
    for i in range(len(a)):
        if a[i] > 0.5:
            s[i] = a[i] ** 2
        elif a[i] > -0.2 and not a[i] > 0.45:
            s[i] = 3.0 * a[i]
        else:
            s[i] = -a[i] ** 3


add(if_elif_else, lambda r: (U(r, 6), J(r, [0.9, 0.1, -0.7, 0.6, -0.5, 0.3])), "DD", "CD")


def while_data(s, a, b):
    t = a[0]
    k = 0
    while t < 10.0:
        t = t * b[0]
        k += 1
    s[0] = t
    s[1] = k * a[1]


add(while_data, lambda r: (U(r, 2), J(r, [1.3, 0.4]), J(r, [1.7])), "DDD", "DCD", "DDC")


def while_index(s, a):
    i = 0
    acc = 0.0
    while i < len(a) and a[i] > 0.0:
        acc = acc + a[i] * a[i]
        i += 1
    s[0] = acc


add(while_index, lambda r: (U(r, 1), J(r, [0.5, 0.8, 0.3, -0.6, 0.9])), "DD")


def break_loop(s, a, b):
    for i in range(len(a)):
        if a[i] < 0.0:
            break
        s[0] += a[i] * b[i]


add(break_loop, lambda r: (U(r, 1), J(r, [0.5, 0.8, 0.3, -0.6, 0.9]), U(r, 5)), "DDD", "DCD")


def continue_loop(s, a, b):
    for i in range(len(a)):
        if a[i] < 0.0:
            continue
        s[i] = a[i] * b[i]


add(continue_loop, lambda r: (U(r, 5), J(r, [0.5, -0.8, 0.3, -0.6, 0.9]), U(r, 5)), "DDD", "DCD")


def return_in_branches(a, b):
    if a[0] > 0.0:
        return float(a[1] * b[0])
    else:
        return float(a[1] ** 2 + b[1])


add(return_in_branches, lambda r: (J(r, [0.7, 0.4]), U(r, 2)), "DD", "DC")
add(return_in_branches, lambda r: (J(r, [-0.7, 0.4]), U(r, 2)), "DD", "DC", name="return_in_else")


# --- calls to user functions -------------------------------------------------

def axpy(y, alpha, x):
    y += alpha * x


def square(x):
    return x * x


def dotp(a, b):
    return float(np.dot(a, b))


def scale_inplace(x, a):
    x[:] = x * a


def calls_mutating(y, c, x):
    axpy(y, c, x)
    axpy(y, c * c, x)


add(calls_mutating, lambda r: (U(r, 4), 0.7, U(r, 4)), "DAD", "DCD", "DAC")


def calls_value(s, a, b):
    s[:] = square(a) + b
    s[0] += dotp(a, b)


add(calls_value, lambda r: (U(r, 4), U(r, 4), U(r, 4)), "DDD", "DCD")


def calls_twice(s, a):
    scale_inplace(s, a)
    scale_inplace(s, a)
    s[0] += a[1]


add(calls_twice, lambda r: (U(r, 4), U(r, 4)), "DD", "DC")


# --- scalars, math, returns --------------------------------------------------

def float_return(a, b):
    return float(np.sum(a * b) + np.sum(a ** 2))


add(float_return, lambda r: (U(r, 4), U(r, 4)), "DD>A", "DC>A")


def math_scalar(a):
    t = math.exp(a[0]) + math.log(a[1]) + math.sin(a[2]) * math.cos(a[0])
    return t + math.sqrt(a[1]) + math.tanh(a[2])


add(math_scalar, lambda r: (P(r, 3),), "D>A")


def math_log_base(a, b):
    # a logarithm in another base, and in a base that carries a derivative
    return math.log(a[0], 3.0) + math.log(a[1], b + 1.5) + math.log10(a[2])


add(math_log_base, lambda r: (P(r, 3), 0.7), "DA>A", "DC>A")


def math_active(x, y):
    return math.sin(x) * y + math.exp(x * y) / (1.0 + y * y)


add(math_active, lambda r: (0.3, -0.8), "AA>A", "AC>A", "CA>A")


def builtins_scalar(a):
    return max(a[0], a[1]) + min(a[2], a[3]) + abs(a[4]) + float(len(a))


add(builtins_scalar, lambda r: (J(r, [0.2, 0.9, -0.4, 0.5, -0.6]),), "D>A")


def active_scalars(s, a, alpha, beta):
    s[:] = alpha * a + beta * a * a


add(active_scalars, lambda r: (U(r, 4), U(r, 4), 0.6, -1.2), "DDAA", "DDAC", "DCAA")


def return_reads_final(x, a):
    x[:] = x * a
    return float(np.sum(x * x))


add(return_reads_final, lambda r: (U(r, 4), U(r, 4)), "DD>A", "DC>A", "DD>C")


def const_int_args(s, a, n, c):
    for i in range(n):
        s[i] = c * a[i] ** 2


add(const_int_args, lambda r: (U(r, 5), U(r, 5), 3, 1.7), "DDCC", "DDCA")


def untouched_dup(s, a, unused):
    s[:] = 2.0 * a


add(untouched_dup, lambda r: (U(r, 4), U(r, 4), U(r, 4)), "DDD", "DCD")


def pass_and_int(s, a, n):
    m = int(n)
    for i in range(m):
        if a[i] > 0.0:
            pass
        else:
            s[i] = a[i] * s[i]


add(pass_and_int, lambda r: (U(r, 4), J(r, [0.5, -0.8, 0.3, -0.6]), 4), "DDC", "DCC", "CDC")


# --- loops over a call's result and over tuples written out ---------------------

def loop_over_argsort(s, a, b):
    for i in np.argsort(a):
        s[i] = a[i] * b[i] + s[i] * 0.5
    for j in np.flatnonzero(b > 0.0):
        s[j] += np.sin(a[j])


add(loop_over_argsort, lambda r: (U(r, 5), J(r, [0.1, -0.5, 0.9, 0.3, -0.2]), J(r, [0.4, -0.6, 0.2, -0.3, 0.8])),
    "DDD", "DCD")


def loop_over_tuple(s, a, b):
    for x, y in ((a, b), (b, a)):
        for i in range(len(x)):
            s[i] += x[i] * y[i] ** 2


add(loop_over_tuple, lambda r: (U(r, 4), U(r, 4), U(r, 4)), "DDD", "DCD", "CDC")
