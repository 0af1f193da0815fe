"""Kernels that once got wrong gradients without an error (one per case)."""
import numpy as np


# -- helpers returning arrays they own, arguments they mutated, aliases ------
def fill_local(x):
    z = np.zeros(x.shape[0])
    z[:] = x * x
    return z


def fill_empty_like(x):
    z = np.empty_like(x)
    for i in range(x.shape[0]):
        z[i] = 3.0 * x[i]
    return z


def scaled_copy(x):
    z = x.copy()
    z *= 2.0
    return z


def double_in_place(x):
    x *= 2.0
    return x


def ident(a):
    return a


def uses_fill_local(o, x):
    o[...] = fill_local(x) + 1.0


def uses_fill_empty_like(o, x):
    o[...] = fill_empty_like(x) * x


def uses_scaled_copy(o, x):
    o[...] = scaled_copy(x) * x


def uses_double_in_place(o, x):
    o[...] = double_in_place(x) * 3.0


def writes_through_alias(x, c):
    z = ident(x)
    z *= c


def rk4_like(y, dt):
    k1 = rhs(y)
    k2 = rhs(y + 0.5 * dt * k1)
    y += dt * (k1 + k2) * 0.5


def rhs(y):
    out = np.empty_like(y)
    out[:] = -y * y
    return out


# -- tuples --------------------------------------------------------------------
def two(A, p):
    return A @ p, 2.0 * p


def unpack_two(o, A, p):
    u, v = two(A, p)
    o[...] = u + v


def index_two(o, A, p):
    t = two(A, p)
    o[...] = t[0]


def local_tuple(o, x):
    t = (x * 2.0, x * x)
    o[...] = t[1] - t[0]


def two_floats(x):
    return x[0] * x[1], x[0] + 1.0


def float_tuple(x):
    a, b = two_floats(x)
    return a * b


# -- ragged loops ---------------------------------------------------------------
def ragged(x, lo, hi):
    acc = 0.0
    for i in range(lo.shape[0]):
        for j in range(lo[i], hi[i]):
            acc += x[j] * x[j] * (i + 1.0)
    return acc


def ragged_rows(x, lo, hi):
    acc = 0.0
    for i in range(2):
        for j in range(lo[i], hi[i]):
            acc += x[j] * (i + 1.0)
    return acc


def csr_matvec(y, data, indptr, indices, x):
    for i in range(y.shape[0]):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            s += data[k] * x[indices[k]]
        y[i] = s


# -- in-place updates under a tape --------------------------------------------
def euler(y, a):
    y += a * y


def euler_sub(y, a):
    y -= a * y * y


def scale_div(y, a):
    y *= a
    y /= 1.0 + a * a


def view_update(y, x):
    t = y[1:]
    t *= x[1:]


def reshape_view_update(y, x):
    t = y.reshape(2, 3)
    t += x.reshape(2, 3) * t


def transpose_view_update(Y, X):
    t = Y.T
    t *= X.T


def loop_view_update(y, x):
    for i in range(3):
        t = y[i:]
        t *= x[i:]


def local_view_update(o, x):
    z = x.copy()
    for i in range(2):
        t = z[i:]
        t *= x[i:]
    o[...] = z


# -- containers -------------------------------------------------------------------
def scale_by_dict(x, p):
    x *= p["scale"]


def scale_by_list(x, p):
    for i in range(x.shape[0]):
        x[i] = x[i] * p[i] + p[0]


def times_element(x, a):
    return a * x[0]


# -- user names that look generated -----------------------------------------------
def swap_underscore(b, x):
    _tmp = x[0]
    c = x[1]
    _tmp, c = c, _tmp
    b[0] = _tmp * 2.0 + c


def underscore_tau(b, x):
    _tau = x[0]
    c = _tau
    c += 1.0
    b[0] = c * c


def generated_lookalikes(b, x):
    _t1 = x[0] * 3.0
    dret = x[1]
    _tape = x[2]
    _ret = _t1 * dret
    _d_x = _ret + _tape
    _c1 = _d_x > 0.0
    if _c1:
        b[0] = _d_x * _tape
    else:
        b[0] = _d_x


def shadow_lookalike(x, dx):
    for i in range(x.shape[0]):
        x[i] = x[i] * dx[i] + dx[0]
    return float(np.sum(x))


# -- indexing ----------------------------------------------------------------------
def index_list_slice(o, x):
    o[...] = x[[0, 2, 2], :]


def newaxis_outer(o, x, y):
    o[...] = x[:, np.newaxis] * y[np.newaxis, :]


# -- tuples holding memory --------------------------------------------------------
def two_filled(x):
    z = np.zeros(x.shape[0])
    z[:] = x * x
    w = np.empty_like(x)
    w[...] = 2.0 * x
    return z, w


def uses_two_filled(o, x):
    z, w = two_filled(x)
    z *= 3.0
    o[...] = z * w


def returns_argument_in_tuple(x):
    return x, 2.0 * x


def uses_argument_in_tuple(o, x):
    a, b = returns_argument_in_tuple(x)
    o[...] = a * b


def stale_tuple(o, x):
    z = x.copy()
    t = (z, x)
    z *= 2.0
    o[...] = t[0] * t[1]


# -- found by the random programs -------------------------------------------------
def sum_product(a, b):
    return float(np.sum(a * b))


def scalar_from_helper(y, c):
    t = 0.75
    w = np.ones(len(y)) * t
    t += sum_product(w, y)
    y[...] = y * 0.5 + t * c


def reversed_view(a):
    return a[::-1]


def writes_through_reversed_view(b, c):
    z = reversed_view(b)
    z[:] += b[::-1] ** 2
    return float(np.sum(b) * c)


def elementwise_product(a, b):
    z = np.empty_like(a)
    for i in range(len(a)):
        z[i] = a[i] * b[i]
    return z


def same_array_twice(y, x):
    s = float(np.sum(elementwise_product(x, x)))
    x[...] = x * 0.5 + s * 0.1


def scale_by_max(out, inp, alpha):
    for i in range(len(out)):
        out[i] = out[i] * np.maximum(inp[0], alpha)


def scalar_argument_unknown_rank(a, x):
    s = float(np.sum(x))
    scale_by_max(x[:], a[::-1], np.minimum(a[0], s) + 2.0)
    return float(s + np.sum(x))


def half_copy(a, b):
    z = a.copy()
    z *= 0.5
    return z


def updates_result_of_constant_helper(o, x):
    v = np.full(x.shape[0], 0.5)
    hv = half_copy(v, x)
    hv *= x.max()
    o[...] = hv * x


def scale_and_sum(out, inp, alpha):
    np.multiply(out, np.exp(0.5 * inp), out=out)
    return float(np.sum(out) * -(alpha))


def element_read_then_written(x, c):
    s = 0.0
    v = np.copy(x)
    s += scale_and_sum(x[:-1], v[1:], c + x[0])
    x[...] = x * 0.5 + s * 0.1


def loop_over_view_then_written(y):
    s = 0.0
    w = np.empty(y.shape[0])
    w[:] = y * 1.0
    for xv in w[::-1]:
        s = s * 0.5 + xv
    w[0] += 2.0 * w[1]
    return float(s + np.dot(w, w))


def builtin_max_of_0d(y, z, c):
    s = max(z, c)
    r = min(s * 2.0, z)
    y *= s + r


# -- Python lists as stacks ---------------------------------------------------------
def list_stack(x, y, c):
    n = len(x)
    s = 0.0
    st = []
    for i in range(n):
        st.append(y[i] * c)
    for i in range(n - 1):
        s += st.pop() * 0.5
    return float(s + np.sum(x * y))


def list_stack_in_loop(x, y, c):
    n = len(x)
    s = 0.0
    for r in range(2):
        st = []
        for i in range(n):
            st.append(y[i] * c + s)
        v = st.pop()
        s = s + v * v
        st.append(x[0] * v)
        w = st.pop()
        s += w
    return s


def list_stack_of_arrays(x, y):
    st = []
    st.append(x * 2.0)
    st.append(np.sin(y))
    a = st.pop()
    b = st.pop()
    x[...] = a * b


def sin_minus(a, b):
    return np.sin(a) - b * -1.25


def updates_helper_result(x, a):
    hv = sin_minus(a, x)
    hv *= np.cos(x[-1])
    return float(np.dot(-hv, x))


def writes_through_split(x):
    a, b, c = np.split(x, 3)
    a[0] = 2.0 * b[0]
    r = a * b - c
    return float(np.sum(r * r))


def writes_through_rot90_and_real(A, x):
    r = np.rot90(A)
    r[0, :] = r[0, :] * 2.0
    q = np.real(x)
    q *= 3.0
    return float(np.sum(A * A) + np.sum(x * x))


# -- second order over the new constructs ----------------------------------------------
def loss_through_filled_helper(x):
    z = fill_local(x)
    return float(np.sum(z * x))


def loss_through_tuple_helper(x):
    u, v = two_filled(x)
    return float(np.sum(u * v))


def loss_through_alias_helper(x):
    z = ident(x)
    return float(np.sum(z * z * x))


def column_stack_of_vectors(o, x, y):
    m = np.column_stack((x, y * y))
    o[...] = m[:, 1] * m[:, 0]


def reduce_keepdims_row(a, c, M):
    v = np.empty(len(a))
    v[:] = np.abs(a)
    v[...] = np.where(v > 0, np.sum(M * v, axis=0, keepdims=True)[0], v * v)
    a[...] = a * 0.5 + np.tanh(v) * 0.25


def square_element_via_alias(x, alpha):
    m = x
    t = m[1]
    return float(t * t * alpha)


def caller_writes_after_alias_read(w, alpha):
    """The helper re-read w's memory through a local alias in its reverse
    half, after the caller had written it."""
    s = square_element_via_alias(w, alpha)
    w[1] += 3.0
    return s + float(np.sum(w * w))


def subtract_then_read_last(out, inp, alpha):
    out -= np.power(inp[::-1], 2)
    return float(np.sum(out) * (out[-1] * alpha))


def caller_writes_after_helper_wrote(y, a):
    """The helper writes its argument, then reads an element of it; the caller
    writes the same memory after the call."""
    w = np.copy(y)
    s = subtract_then_read_last(w[1:], y[:-1], a)
    for i in range(len(w)):
        w[i] += 0.5 * w[i - 1]
    y[...] = y * 0.5 + np.tanh(w) * 0.25 + s * 0.1


def recurrence_through_reversed_view(x):
    """Writes x[i] while reading av[i - 1] with av = x[::-1]: the offsets of
    the write and the read are in opposite index spaces, so the read element
    is overwritten later (the reverse sweep re-read it after the write)."""
    av = x[::-1]
    for i in range(1, len(x) - 1):
        x[i] = abs(av[i - 1])
    return float(np.sum(av ** 2))


def drain_list_in_while(x, c):
    # the loop's condition is the list it empties: the reverse sweep must
    # re-test the truth the condition had, not the (now empty) list
    st = []
    for t in range(7):
        st.append(x[t % x.shape[0]] * c)
        x[t % x.shape[0]] = np.cos(x[(t + 1) % x.shape[0]])
    total = 0.0
    while st:
        total = total * 0.7 + st.pop()
    return total


def drain_after_branch(x):
    # the branch tests the list before it is emptied
    st = []
    st.append(x[0] * 2.0)
    s = 0.0
    if st:
        s = s + x[1] * 3.0
    v = st.pop()
    return s + v * x[2]


def list_filled_by_index(x):
    st = [0.0] * 3
    for i in range(3):
        st[i] = x[i] * 2.0
    return st[0] * st[1] + st[2]


def list_display_of_derivatives(x):
    st = [x[0] * 2.0, x[1] * x[2]]
    v = st.pop()
    return st[0] * 3.0 + v


def or_default(x, s):
    # `a or b` as a value is a or b, with the derivative of the one chosen
    scale = s or 1.0
    t = x[0] * 2.0 or x[1]
    return float(np.sum(x * scale)) + t * t


def and_chain(x):
    u = x[1] and x[2] * 3.0
    w = x[0] > 0.0 and x[1] > 0.0   # a condition, kept whole
    return u * x[0] if w else u


def linspace_of_derivatives(x):
    # linspace's elements are linear in start and stop (once taken for constants)
    grid = np.linspace(x[0], x[1], 5)
    open_grid = np.linspace(0.0, x[2], 4, endpoint=False)
    return float(np.sum(grid ** 2) + np.sum(open_grid * grid[:4]))


def float64_conversion(x):
    # np.float64(v) is v (once taken for a constant)
    y = np.float64(x[0] * x[1])
    return y * 2.0 + np.float64(x[2]) * x[0]


def arange_of_derivative(x):
    return float(np.sum(np.arange(x[0], 3.0, 0.5) ** 2))


def list_alias_stack(x):
    # pushed through one name, popped through another (once a silent zero)
    st = []
    st2 = st
    st2.append(x[1] * 3.0)
    return st.pop() * x[0]


def list_summed(x):
    st = []
    for i in range(3):
        st.append(x[i] * x[i])
    return sum(st)


def sum_of_broadcast(A, b):
    # the adjoint of a full sum was kept a scalar: summed back to b (1, n) it
    # could not say it stood for A's rows, and b's gradient was rows times too small
    return float(np.sum(A + b) + 2.0 * np.sum(A - b))


def max_keepdims_centred(x):
    A = np.outer(x, x[::-1])
    return float(np.sum(A - A.max(axis=0, keepdims=True)))


def tuple_of_operations(a, b, o):
    """A tuple literal of operations on arrays that read like integer index
    arithmetic (``b * b``, ``-a``) was kept whole: its elements carried no derivative."""
    t = (a - b, b * b, -a)
    o[...] = t[0] * t[1] + t[2] * a


def tangent_shares_written_input(a, o):
    """Forward mode: the tangent of ``w + a`` (w constant) and of ``a + 2.0`` was
    the tangent of ``a`` itself, which the later write ``a[1] = ...`` changed."""
    w = np.full(a.shape[0], 0.5)
    t = w + a
    u = a + 2.0
    v = np.asarray(a) + 0.0
    a[1] = 3.0 * a[0]
    o[...] = t * t + u * np.sin(u) + v * a


def enumerate_from_one(x, out):
    """``enumerate(x, start=1)`` counted from 0: the index was one too small."""
    for i, v in enumerate(x, start=1):
        out[i - 1] = v * i


def enumerate_from_two(x, out):
    for i, v in enumerate(x, 2):
        out[i - 2] += v * i + out[i - 2] * v


def interp_varied_points(x):
    """np.interp's sample points carrying a derivative were dropped (a silent
    zero through them)."""
    return float(np.sum(np.interp(x * 0.5, np.cumsum(np.abs(x)), x * 2)))


def sum_with_varied_initial(x):
    return float(np.sum(x ** 2, initial=x[0]))


def pad_with_varied_constant(x):
    return float(np.sum(np.pad(x, 1, constant_values=x[1]) ** 2))


def histogram_density_varied_edges(x):
    h, _ = np.histogram(np.array([0.1, 0.5, 0.7]), bins=np.sort(x), density=True)
    return float(np.sum(h ** 2))


def sign_and_condition_constant(x):
    """Arguments whose derivative is zero by declaration still work: the sign
    of copysign, the condition of where, histogram edges without density."""
    h, _ = np.histogram(x, bins=np.array([-2.0, 0.0, 2.0]) * np.abs(x[0] + 3.0), weights=x * x)
    return float(np.sum(np.copysign(x, x[::-1] - 0.1)) + np.sum(np.where(x, x * x, 0.0)) + np.sum(h))


def tuple_of_views_then_written(x, out):
    """A list holds the tuple of views, which see the write (the derivative was that of the values
    at the push: a silent wrong gradient)."""
    segs = [(x[0:2], x[1:3])]
    x[0:2] = x[0:2] * x[1:3]
    for a, b in segs:
        out[0:2] = a * b


def tuple_of_views_appended_then_written(x, out):
    segs = []
    segs.append((x[0:2], x[1:3]))
    x[0:2] = x[0:2] * x[1:3]
    out[0:2] = segs[0][0] * segs[0][1]


def pushed_then_written(x, out):
    """The list holds the array itself: a write after the push changes the item
    (the derivative was that of the value at the push)."""
    st = []
    h = x * 1.0
    st.append(h)
    h[:] = h * 2
    v = st.pop()
    out[:] = v * x


def argument_pushed_then_written(x, out):
    st = []
    st.append(x)
    x[0] = 5.0 * x[1]
    v = st.pop()
    out[:] = v * out


def popped_then_written(x, out):
    """Writing the popped array writes the pushed one (an inactive list, but the
    derivative flows through the alias)."""
    st = []
    h = x * 2.0
    st.append(h)
    v = st.pop()
    v[0] = 5.0 * x[1]
    out[:] = h * x


def fresh_arrays_pushed(x, out):
    st = []
    for i in range(3):
        h = x * x[i]
        st.append(h)
    s = st.pop() + st.pop()
    out[:] = s * st.pop()


def eigenvectors_written(A, out):
    """The arrays of a factorization's tuple written in place: the tuple saved
    for the adjoint was the same arrays (``_ad_copy`` of a tuple copied nothing),
    so the adjoint read the written values."""
    w, V = np.linalg.eigh(A + A.T)
    V[0] = w * 2.0
    out[:] = V[1] * w


def eigenvalues_written(A, out):
    w, V = np.linalg.eigh(A + A.T)
    w[0] = 1.0
    out[:] = V[1] * w


def qr_sign_fixed(A, out):
    Q, R = np.linalg.qr(A)
    Q[...] *= np.sign(np.diag(R))
    out[:] = Q[0] * R[0]


def qr_parts_scaled_whole(A, out):
    """Q and R written whole (`Q *= s`): each is its own array; once typed as numbers and refused."""
    Q, R = np.linalg.qr(A)
    s = np.sign(np.diag(R))
    Q *= s
    R *= s[:, None]
    out[:] = Q[0] * R[1]


def eigh_parts_written(A, out):
    w, V = np.linalg.eigh(A + A.T)
    w *= 2.0
    V[0] = w
    out[:] = w * V[0] + V[1]


def svd_values_squared(A, out):
    U, S, Vt = np.linalg.svd(A, full_matrices=False)
    S **= 2
    out[:] = U[0] * S + Vt[1]


def svd_bound_whole_written(A, out):
    """An element of a factorization bound whole, then written: it crashed."""
    r = np.linalg.svd(A, full_matrices=False)
    U = r[0]
    U[0] = 1.0
    out[:] = U[1] * r[1] + r[2][1]


def _overlapping_halves(x):
    y = x * 2.0
    return y[:2], y[1:]


def returned_views_written(x, out):
    """Two arrays a helper returned share memory: a write into one changed the other."""
    a, b = _overlapping_halves(x)
    a[1] = x[2] * 3.0
    out[:2] = b * x[:2]


def list_display_popped(x):
    """``s += st.pop()`` of a list written out: refused for the list (the
    message once was about whether ``s`` is an array)."""
    s = 0.0
    st = [x[0], x[1]]
    s += st.pop() * x[2]
    return s


def constant_list_popped(x):
    s = 0.0
    st = [0.5, 2.0]
    s += st.pop() * x[0] + st.pop() * x[1]
    return s


def diagonal_then_base_written(A, out):
    """np.diagonal returns a view: a later write to A shows through d (it was
    differentiated as a copy taken at the call)."""
    d = np.diagonal(A)
    A[0, 0] = 2.0 * A[1, 1]
    out[:] = d * A[2]


def diagonal_method_offset(A, out):
    d = A.diagonal(1)
    A[0, 1] += A[2, 2]
    out[:2] = d * 2.0 + out[:2]


def diag_then_base_written(A, out):
    """np.diag of a matrix is a read-only view (like np.diagonal): differentiated
    as a copy, a later write to A was lost."""
    d = np.diag(A)
    A[0, 0] = 2.0 * A[1, 1]
    out[:] = d * A[2]


def broadcast_then_base_written(A, out):
    b = np.broadcast_to(A[0], (3, 3))
    A[0, 1] = 3.0 * A[2, 2]
    out[:] = b.sum(axis=0) * A[1]


def views_after_the_writes(A, v, out):
    A[0, 0] = 2.0 * A[1, 1]
    d = np.diag(A)
    b = np.broadcast_to(v, (3, 3))
    D = np.diag(v)
    D[0, 1] = v[2]
    out[:] = d * b.sum(axis=0) + D[0]
