"""numba_linalg: the source of the numba versions of the adjoint helpers of
``np.linalg.solve``, ``np.diag``, ``np.trace`` and ``np.linalg.norm`` (and of ``np.trace``
itself with an offset or axes, which numba's does not take, of ``np.linalg.norm``,
numba's own of which is wrong for a vector with a negative stride and skips a nan in its
inf and 1 norms, of ``np.median``, numba's of which orders a nan, and of ``np.argsort`` and
``np.argpartition`` of a vector, numba's of which order ties (and the sides of ``kth``) otherwise), part of the text
``numba_runtime.source`` gives (after its core, whose ``_ad_jit``, ``_ad_overload``
and ``_ad_types`` they use).

Each is an overload of the numpy backend's helper (``runtime/linalg.py``,
``runtime/numpy.py``) for one matrix (no stacks): ``solve(a, b)`` of a 2-D ``a``
and a 1-D or 2-D ``b``; ``np.diag`` of a vector or of a matrix; ``np.trace`` of a
matrix over its first two axes; ``np.linalg.norm`` of all elements (no ``ord``, ``axis``
or ``keepdims``) for its adjoint and tangent, and for its value the forms numba's own
takes (``ord``), given a contiguous copy. Any other form leaves the overload untyped, and the
backend refuses the line (``backend="auto"`` runs it on numpy).
"""
from __future__ import annotations

LINALG = '''
def _ad_solve_adjoint_b(g, a, ans):
    return g


@_ad_overload(_ad_solve_adjoint_b)
def _ad_solve_adjoint_b_typed(g, a, ans):
    """``solve(a.T, g)``: the adjoint of ``b`` in ``solve(a, b)``."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 2 and isinstance(g, _ad_types.Array) and g.ndim <= 2):
        return None
    return lambda g, a, ans: np.linalg.solve(np.ascontiguousarray(a.T), np.ascontiguousarray(g))


def _ad_solve_adjoint_a(g, a, ans):
    return g


@_ad_overload(_ad_solve_adjoint_a)
def _ad_solve_adjoint_a_typed(g, a, ans):
    """``-solve(a.T, g) ans.T``: the adjoint of ``a`` in ``solve(a, b)``."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 2 and isinstance(g, _ad_types.Array)
            and isinstance(ans, _ad_types.Array) and g.ndim == ans.ndim and g.ndim in (1, 2)):
        return None
    if g.ndim == 1:
        return lambda g, a, ans: -np.outer(np.linalg.solve(np.ascontiguousarray(a.T), np.ascontiguousarray(g)), ans)
    return lambda g, a, ans: -(np.linalg.solve(np.ascontiguousarray(a.T), np.ascontiguousarray(g))
                               @ np.ascontiguousarray(ans.T))


def _ad_solve_tangent_a(t, a, ans):
    return t


@_ad_overload(_ad_solve_tangent_a)
def _ad_solve_tangent_a_typed(t, a, ans):
    """``-solve(a, t ans)``: the tangent of ``solve(a, b)`` from ``a``'s."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 2 and isinstance(t, _ad_types.Array) and t.ndim == 2
            and isinstance(ans, _ad_types.Array) and ans.ndim in (1, 2)):
        return None
    return lambda t, a, ans: -np.linalg.solve(np.ascontiguousarray(a), np.ascontiguousarray(t) @ ans)


def _ad_trace(a, offset=0, axis1=0, axis2=1):
    return np.trace(a, offset, axis1, axis2)


@_ad_overload(_ad_trace)
def _ad_trace_typed(a, offset=0, axis1=0, axis2=1):
    """``np.trace`` of a matrix with an offset (over its two axes)."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 2):
        return None

    def impl(a, offset=0, axis1=0, axis2=1):
        if not (axis1 % 2 == 0 and axis2 % 2 == 1):
            raise ValueError("numba backend: the trace over other axes is not compiled")
        s = 0.0
        for i in range(a.shape[0]):
            if 0 <= i + offset < a.shape[1]:
                s += a[i, i + offset]
        return s
    return impl


def _ad_diag_adjoint(g, v, k=0):
    return g


@_ad_overload(_ad_diag_adjoint)
def _ad_diag_adjoint_typed(g, v, k=0):
    """``np.diag(v, k)``: a vector's adjoint is the diagonal of ``g``; a matrix's is ``g`` on
    its diagonal."""
    if not (isinstance(v, _ad_types.Array) and isinstance(g, _ad_types.Array) and v.ndim + g.ndim == 3):
        return None

    def impl(g, v, k=0):
        if v.ndim == 1:
            n = v.shape[0]
            out = np.empty(n, np.float64)
            for i in range(n):
                out[i] = g[i + max(-k, 0), i + max(k, 0)]
            return out
        out = np.zeros(v.shape, np.float64)
        for i in range(g.shape[0]):
            out[i + max(-k, 0), i + max(k, 0)] = g[i]
        return out
    return impl


def _ad_trace_adjoint(g, a, offset=0, axis1=0, axis2=1):
    return g


@_ad_overload(_ad_trace_adjoint)
def _ad_trace_adjoint_typed(g, a, offset=0, axis1=0, axis2=1):
    """The trace of a matrix: ``g`` on its diagonal (``offset`` from it)."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 2) or isinstance(g, _ad_types.Array) and g.ndim != 0:
        return None

    def impl(g, a, offset=0, axis1=0, axis2=1):
        if not (axis1 % 2 == 0 and axis2 % 2 == 1):
            raise ValueError("numba backend: the trace over other axes is not compiled")
        out = np.zeros(a.shape, np.float64)
        gg = np.sum(np.asarray(g))
        for i in range(a.shape[0]):
            j = i + offset
            if 0 <= j < a.shape[1]:
                out[i, j] = gg
        return out
    return impl


def _ad_norm(x, ord=None):
    return np.linalg.norm(x, ord)


@_ad_overload(_ad_norm)
def _ad_norm_typed(x, ord=None):
    """``np.linalg.norm`` of a contiguous copy (numba's own of a vector with a negative stride,
    ``x[::-1]``, read other memory)."""
    if not (isinstance(x, _ad_types.Array) and x.ndim in (1, 2)):
        return None

    def impl(x, ord=None):
        c = np.ascontiguousarray(x)
        r = np.linalg.norm(c, ord)
        if r == r and np.isnan(c).any() and not (ord is not None and ord == 0):
            return np.nan   # (numba's inf and 1 norms skip a nan; numpy's, but the count of ord=0, give nan)
        return r
    return impl


def _ad_median(a):
    return np.median(a)


@_ad_overload(_ad_median)
def _ad_median_typed(a):
    """``np.median`` of all elements: nan where one is (numba's ordered a nan among the numbers)."""
    if not isinstance(a, _ad_types.Array):
        return None

    def impl(a):
        if np.isnan(a).any():
            return np.nan
        return np.median(a)
    return impl


def _ad_norm_plain(ord, axis, keepdims):
    """Whether the numba types say the norm of all elements (no ``ord``, ``axis`` or ``keepdims``)."""
    return _ad_none(ord) and _ad_none(axis) and (
        _ad_none(keepdims) or isinstance(keepdims, _ad_types.BooleanLiteral) and not keepdims.literal_value)


def _ad_norm_adjoint(g, x, ans, ord=None, axis=None, keepdims=False):
    return g


@_ad_overload(_ad_norm_adjoint, prefer_literal=True)
def _ad_norm_adjoint_typed(g, x, ans, ord=None, axis=None, keepdims=False):
    """``g x / ans`` (0 at the zero array): the adjoint of the norm of all elements of a real array."""
    if not (isinstance(x, _ad_types.Array) and isinstance(x.dtype, _ad_types.Float)
            and _ad_norm_plain(ord, axis, keepdims)) or isinstance(g, _ad_types.Array) and g.ndim != 0:
        return None

    def impl(g, x, ans, ord=None, axis=None, keepdims=False):
        gg = np.sum(np.asarray(g))
        if ans == 0.0:
            return np.zeros(x.shape, np.float64)
        return x * (gg / ans)
    return impl


def _ad_norm_tangent(t, x, ans, ord=None, axis=None, keepdims=False):
    return t


@_ad_overload(_ad_norm_tangent, prefer_literal=True)
def _ad_norm_tangent_typed(t, x, ans, ord=None, axis=None, keepdims=False):
    """``sum(x t) / ans`` (0 at the zero array): the tangent of the norm of all elements of a real array."""
    if not (isinstance(x, _ad_types.Array) and isinstance(x.dtype, _ad_types.Float)
            and _ad_norm_plain(ord, axis, keepdims)):
        return None

    def impl(t, x, ans, ord=None, axis=None, keepdims=False):
        if ans == 0.0:
            return 0.0
        return np.sum(x * t) / ans
    return impl


def _ad_each_complex(f):
    """An overload's implementation over a complex array: ``f`` of each element."""
    def each(z):
        out = np.empty(z.shape, z.dtype)
        for k in np.ndindex(z.shape):
            out[k] = f(z[k])
        return out
    return each


def _ad_tanh(z):
    return np.tanh(z)


@_ad_overload(_ad_tanh)
def _ad_tanh_typed(z):
    """``np.tanh``; of a complex number far from the imaginary axis (|Re z| >= 22), numpy's
    ``sign(Re z) + 4i sin(y) cos(y) exp(-2|x|)`` (numba's overflowed to nan from |Re z| of about 357)."""
    if isinstance(z, _ad_types.Complex):
        def one(z):
            x, y = z.real, z.imag
            if abs(x) >= 22.0:
                return complex(math.copysign(1.0, x), 4.0 * math.sin(y) * math.cos(y) * math.exp(-2.0 * abs(x)))
            return np.tanh(z)
        return one
    if isinstance(z, _ad_types.Array) and isinstance(z.dtype, _ad_types.Complex):
        return _ad_each_complex(_ad_tanh)
    return lambda z: np.tanh(z)


def _ad_exp(z):
    return np.exp(z)


@_ad_overload(_ad_exp)
def _ad_exp_typed(z):
    """``np.exp``; of a complex number on the real axis, numpy's ``exp(x) + 0j`` (numba's imaginary
    part was nan where exp(x) overflows: inf * 0)."""
    if isinstance(z, _ad_types.Complex):
        return lambda z: complex(np.exp(z.real), z.imag) if z.imag == 0.0 else np.exp(z)
    if isinstance(z, _ad_types.Array) and isinstance(z.dtype, _ad_types.Complex):
        return _ad_each_complex(_ad_exp)
    return lambda z: np.exp(z)


def _ad_cpow(a, b):
    return a ** b


@_ad_jit
def _ad_cpow_whole(a, n):
    """``a ** n`` of a complex ``a`` and an int ``n`` (|n| < 100) by products, as numpy's: numba's goes
    through exp and log, off by a rounding of ``|a|`` in each part (the imaginary part a complex
    step carries, 1e-20, came out 8e-17)."""
    if n == 1:
        return a
    if n == 2:
        return a * a
    if n == 3:
        return a * (a * a)
    m = abs(n)
    out = complex(1.0, 0.0)
    p = a
    mask = 1
    while True:
        if m & mask:
            out = out * p
        mask <<= 1
        if m < mask:
            break
        p = p * p
    if n < 0 and out == 0:   # (underflowed: numba's complex division by 0 raises)
        return complex(np.inf, np.nan)
    return 1.0 / out if n < 0 else out


@_ad_jit
def _ad_cpow_one(a, b):
    """A power of numbers, one of them complex, as numpy's: at ``a == 0`` 1 to the power 0, 0 to a
    power of positive real part (numba's is nan there), nan to any other; a whole exponent by products."""
    if a == 0:
        if b == 0:
            return 1 + 0j
        return 0j if b.real > 0 else complex(np.nan, np.nan)
    br = b.real
    if b.imag == 0 and br == math.floor(br) and abs(br) < 100:
        return _ad_cpow_whole(a + 0j, int(br))
    return a ** b + 0j


@_ad_overload(_ad_cpow)
def _ad_cpow_typed(a, b):
    """A power of complex numbers or arrays as numpy's (``_ad_cpow_one``), element by element; arrays
    of two shapes broadcast by numba's power, with its value 0 at 0 made numpy's."""
    array_a, array_b = isinstance(a, _ad_types.Array), isinstance(b, _ad_types.Array)
    small = all(t in (_ad_types.complex64, _ad_types.float32, _ad_types.float16) or isinstance(
        t, (_ad_types.Integer, _ad_types.Boolean)) for t in (a.dtype if array_a else a, b.dtype if array_b else b))
    cdt = np.complex64 if small else np.complex128   # (numpy's result type: complex64 of complex64 and float32)
    if array_a and not array_b:
        def of_a(a, b):
            out = np.empty(a.shape, cdt)
            for k in np.ndindex(a.shape):
                out[k] = _ad_cpow_one(a[k], b)
            return out
        return of_a
    if array_b and not array_a:
        def of_b(a, b):
            out = np.empty(b.shape, cdt)
            for k in np.ndindex(b.shape):
                out[k] = _ad_cpow_one(a, b[k])
            return out
        return of_b
    if array_a:
        def whole(a, b):
            if a.shape == b.shape:
                out = np.empty(a.shape, cdt)
                for k in np.ndindex(a.shape):
                    out[k] = _ad_cpow_one(a[k], b[k])
                return out
            out = a ** b + 0j
            zero = np.logical_and(a == 0, np.real(b) > 0)
            flat, zf = out.reshape(-1), zero.reshape(-1)
            for k in range(zf.shape[0]):
                if zf[k]:
                    flat[k] = 0
            return out
        return whole
    if not (isinstance(a, (_ad_types.Number, _ad_types.Boolean)) and isinstance(b, (_ad_types.Number,
                                                                                  _ad_types.Boolean))):
        return None
    return lambda a, b: _ad_cpow_one(a, b)


def _ad_argsort(a):
    return np.argsort(a)


@_ad_overload(_ad_argsort)
def _ad_argsort_typed(a):
    """``np.argsort`` (its default kind) by numpy itself, through numba's object mode: numba's
    quicksort orders ties otherwise (a permutation indexing another array read other elements)."""
    if not isinstance(a, _ad_types.Array) or a.ndim not in (1, 2):
        return None
    if a.ndim == 1:
        def one(a):
            with numba.objmode(p="intp[:]"):
                p = np.ascontiguousarray(np.argsort(a)).astype(np.intp)
            return p
        return one

    def two(a):
        with numba.objmode(p="intp[:, :]"):
            p = np.ascontiguousarray(np.argsort(a)).astype(np.intp)
        return p
    return two


def _ad_argpartition(a, kth):
    return np.argpartition(a, kth)


@_ad_overload(_ad_argpartition)
def _ad_argpartition_typed(a, kth):
    """``np.argpartition`` of a vector by numpy itself, through numba's object mode: numba's
    orders the elements either side of ``kth`` otherwise (``idx[0]`` would name another one)."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 1 and isinstance(kth, _ad_types.Integer)):
        return None

    def one(a, kth):
        with numba.objmode(p="intp[:]"):
            p = np.ascontiguousarray(np.argpartition(a, kth)).astype(np.intp)
        return p
    return one


def _ad_floor_divide(a, b):
    return np.floor_divide(a, b)


def _ad_remainder(a, b):
    return np.remainder(a, b)


@_ad_jit
def _ad_divmod_float(a, b):
    """numpy's float ``divmod``: the quotient floored, the remainder with the divisor's sign (a zero
    one too), through ``fmod`` (an infinite divisor: ``floor_divide(5, -inf)`` is -1)."""
    mod = np.fmod(a, b)
    if b == 0.0:
        return a / b, mod
    div = (a - mod) / b
    if mod != 0.0:
        if (b < 0) != (mod < 0):
            mod += b
            div -= 1.0
    else:
        mod = math.copysign(0.0, b)
    if div != 0.0:
        q = np.floor(div)
        if div - q > 0.5:
            q += 1.0
    else:
        q = math.copysign(0.0, a / b)
    return q, mod


def _ad_real_numbers(a, b):
    """Whether the numba types are two real numbers, one of them a float (numpy's float divmod)."""
    real = (_ad_types.Float, _ad_types.Integer)
    return isinstance(a, real) and isinstance(b, real) and (isinstance(a, _ad_types.Float) or isinstance(b, _ad_types.Float))


@_ad_overload(_ad_floor_divide)
def _ad_floor_divide_typed(a, b):
    """``np.floor_divide`` as numpy's: of two real numbers (numba's gave 0 for ``5 // -inf``) and, element
    by element, of a float array and a number or an array of its shape (numba's divides then floors:
    ``5.1 // 1.7`` was 3, numpy's 2); of ints, numba's."""
    if _ad_real_numbers(a, b):
        return lambda a, b: _ad_divmod_float(float(a), float(b))[0]
    arr_a, arr_b = isinstance(a, _ad_types.Array), isinstance(b, _ad_types.Array)
    floats = any(isinstance(getattr(t, "dtype", t), _ad_types.Float) for t in (a, b))
    if not floats or not (arr_a or arr_b):
        return lambda a, b: np.floor_divide(a, b)

    if arr_a and arr_b:
        def both(a, b):
            if a.shape != b.shape:
                raise ValueError("numba backend: np.floor_divide of float arrays of two shapes is not compiled")
            out = np.empty(a.shape, np.float64)
            for idx in np.ndindex(a.shape):
                out[idx] = _ad_divmod_float(float(a[idx]), float(b[idx]))[0]
            return out
        return both
    if arr_a:
        def by_number(a, b):
            out = np.empty(a.shape, np.float64)
            for idx in np.ndindex(a.shape):
                out[idx] = _ad_divmod_float(float(a[idx]), float(b))[0]
            return out
        return by_number

    def of_number(a, b):
        out = np.empty(b.shape, np.float64)
        for idx in np.ndindex(b.shape):
            out[idx] = _ad_divmod_float(float(a), float(b[idx]))[0]
        return out
    return of_number


@_ad_overload(_ad_remainder)
def _ad_remainder_typed(a, b):
    """``np.remainder`` of two real numbers as numpy's (a zero takes the divisor's sign; numba's: +0.0)."""
    if _ad_real_numbers(a, b):
        return lambda a, b: _ad_divmod_float(float(a), float(b))[1]
    return lambda a, b: np.remainder(a, b)
'''
