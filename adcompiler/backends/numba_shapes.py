"""numba_shapes: the source of the numba versions of the helpers that shape small arrays
built from numbers (``np.array([y[1], -y[0]])``, ``np.r_[0.0, u, 0.0]``) and their
adjoints, part of the text ``numba_runtime.source`` gives (after its core, whose
``_ad_jit``, ``_ad_overload``, ``_ad_types`` and ``_ad_none`` they use).

numba's ``np.arange`` of floats steps as ``start + i * step`` where numpy's steps by
``(start + step) - start`` (``np.arange(-1.0, 1.01, 0.2)[5]`` is -2.2e-16 in numpy, 0.0 in
numba: a branch on its sign went the other way); ``_ad_arange`` fills as numpy does.
numba's ``np.atleast_1d`` and ``np.expand_dims`` take no number, and the adjoint of a
number's reshape is a 0-d array numba cannot add into an element: the generated code
calls these instead (``numba._DefaultKeywords``). A form an overload does not cover
leaves it untyped, and the backend refuses the line.
"""
from __future__ import annotations

SHAPES = '''
def _ad_atleast_1d(a):
    return np.atleast_1d(a)


@_ad_overload(_ad_atleast_1d)
def _ad_atleast_1d_typed(a):
    """``np.atleast_1d`` of a number too (``np.r_[0.0, u]``): a new array of one element."""
    if isinstance(a, _ad_types.Array):
        return lambda a: np.atleast_1d(a)
    if isinstance(a, (_ad_types.Float, _ad_types.Integer, _ad_types.Boolean)):
        return lambda a: np.full(1, a)
    return None


def _ad_expand_dims(a, axis):
    return np.expand_dims(a, axis)


@_ad_overload(_ad_expand_dims)
def _ad_expand_dims_typed(a, axis):
    """``np.expand_dims`` of a number too (an element of ``np.array([y[1], -y[0]])``)."""
    if isinstance(a, _ad_types.Array):
        return lambda a, axis: np.expand_dims(a, axis)
    if isinstance(a, (_ad_types.Float, _ad_types.Integer, _ad_types.Boolean)):
        return lambda a, axis: np.full(1, a)
    return None


def _ad_reshape_as(g, x):
    return np.reshape(g, np.shape(x))


@_ad_overload(_ad_reshape_as)
def _ad_reshape_as_typed(g, x):
    """``g`` in the shape of ``x``: the adjoint of a reshape, a ravel, an ``atleast_1d`` (of a
    number, its one element)."""
    if isinstance(x, _ad_types.Array) and isinstance(g, _ad_types.Array):
        return lambda g, x: np.reshape(np.ascontiguousarray(g), x.shape)
    if isinstance(x, (_ad_types.Float, _ad_types.Integer, _ad_types.Boolean)):
        if isinstance(g, _ad_types.Array):
            return lambda g, x: np.ascontiguousarray(g).ravel()[0]
        return lambda g, x: g
    return None


def _ad_concat_part(g, arr, values, axis, first):
    return g


@_ad_overload(_ad_concat_part, prefer_literal=True)
def _ad_concat_part_typed(g, arr, values, axis, first):
    """The adjoint of one operand of ``np.append(arr, values, axis)`` whose result is 1-d
    (``np.r_[0.0, u, 0.0]``, joins of vectors and numbers): its run of ``g``, in its shape;
    or 2-d, of two matrices along an axis (``np.c_[x, y]``): its rows or columns of ``g``."""
    if not isinstance(first, _ad_types.BooleanLiteral) or not isinstance(g, _ad_types.Array) \
            or not (_ad_none(axis) or isinstance(axis, _ad_types.Integer)):
        return None
    arrays = isinstance(arr, _ad_types.Array), isinstance(values, _ad_types.Array)
    if g.ndim == 2 and isinstance(axis, _ad_types.Integer) and arrays == (True, True) \
            and arr.ndim == 2 and values.ndim == 2:
        # (np.c_[x, y], np.hstack/vstack of matrices: the operand's rows or columns of g)
        if first.literal_value:
            def rows_first(g, arr, values, axis, first):
                n = arr.shape[axis % 2]
                return np.ascontiguousarray(g[:n, :]) if axis % 2 == 0 else np.ascontiguousarray(g[:, :n])
            return rows_first

        def rows_after(g, arr, values, axis, first):
            n = arr.shape[axis % 2]
            return np.ascontiguousarray(g[n:, :]) if axis % 2 == 0 else np.ascontiguousarray(g[:, n:])
        return rows_after
    if g.ndim != 1:
        return None
    if first.literal_value:
        if arrays[0]:
            return lambda g, arr, values, axis, first: np.ascontiguousarray(g[:arr.size]).reshape(arr.shape)
        return lambda g, arr, values, axis, first: g[0]
    if arrays[1]:
        if arrays[0]:
            return lambda g, arr, values, axis, first: np.ascontiguousarray(g[arr.size:]).reshape(values.shape)
        return lambda g, arr, values, axis, first: np.ascontiguousarray(g[1:]).reshape(values.shape)
    if arrays[0]:
        return lambda g, arr, values, axis, first: g[arr.size]
    return lambda g, arr, values, axis, first: g[1]


def _ad_zeros_as(v, t):
    return np.zeros(np.shape(v), np.result_type(t))


@_ad_overload(_ad_zeros_as)
def _ad_zeros_as_typed(v, t):
    """Zeros of ``v``'s shape in ``t``'s dtype: the tangent of an operand that carries none
    (``np.append(t, np.zeros(np.shape(values), np.result_type(t)))``)."""
    if isinstance(t, _ad_types.Array):
        if isinstance(v, _ad_types.Array):
            return lambda v, t: np.zeros(v.shape, t.dtype)
        return lambda v, t: np.zeros((), t.dtype)
    kind = np.complex128 if isinstance(t, _ad_types.Complex) else np.float64
    if isinstance(v, _ad_types.Array):
        return lambda v, t: np.zeros(v.shape, kind)
    return lambda v, t: np.zeros((), kind)


def _ad_inverse_axes(axes):
    return axes


@_ad_overload(_ad_inverse_axes)
def _ad_inverse_axes_typed(axes):
    """The permutation undoing a transpose: of all axes (``x.T``, ``np.transpose(x)``), None."""
    if _ad_none(axes):
        return lambda axes: None
    return None


def _ad_matmul(a, b):
    return np.matmul(a, b)


@_ad_overload(_ad_matmul)
def _ad_matmul_typed(a, b):
    """``np.matmul`` (numba has the operator ``@`` only) of arrays of rank 1 and 2."""
    if isinstance(a, _ad_types.Array) and isinstance(b, _ad_types.Array) and a.ndim <= 2 and b.ndim <= 2:
        return lambda a, b: np.ascontiguousarray(a) @ np.ascontiguousarray(b)
    return None


def _ad_broadcast_like(t, x):
    return t


@_ad_overload(_ad_broadcast_like)
def _ad_broadcast_like_typed(t, x):
    """A tangent ``t`` in the shape of ``x`` (runtime.core.broadcast_like: some operands were
    constant): a number's as itself, an array's broadcast (a read-only view, as numpy's)."""
    if not isinstance(x, _ad_types.Array):
        return None if isinstance(t, _ad_types.Array) else (lambda t, x: t)
    if isinstance(t, _ad_types.Array):
        return lambda t, x: np.broadcast_to(t, x.shape)
    return lambda t, x: np.broadcast_to(np.asarray(t), x.shape)


def _ad_arange(a, b=None, c=None):
    return np.arange(a, b, c)


@_ad_jit
def _ad_arange_fill(start, stop, step):
    """numpy's float arange: ``ceil((stop - start) / step)`` values, the second ``start + step``, the
    others ``start + i * delta`` with ``delta = (start + step) - start``."""
    n = int(np.ceil((stop - start) / step))
    out = np.empty(max(n, 0), np.float64)
    if n > 0:
        out[0] = start
    if n > 1:
        out[1] = start + step
        delta = (start + step) - start
        for i in range(2, n):
            out[i] = start + i * delta
    return out


@_ad_overload(_ad_arange)
def _ad_arange_typed(a, b=None, c=None):
    """``np.arange`` as numpy fills it: of ints, numba's (exact); with a float, numpy's steps."""
    given = [t for t in (a, b, c) if not _ad_none(t)]
    if not all(isinstance(t, (_ad_types.Integer, _ad_types.Float)) for t in given):
        return None
    if all(isinstance(t, _ad_types.Integer) for t in given):
        if _ad_none(b):
            return lambda a, b=None, c=None: np.arange(a)
        if _ad_none(c):
            return lambda a, b=None, c=None: np.arange(a, b)
        return lambda a, b=None, c=None: np.arange(a, b, c)
    if _ad_none(b):
        return lambda a, b=None, c=None: _ad_arange_fill(0.0, float(a), 1.0)
    if _ad_none(c):
        return lambda a, b=None, c=None: _ad_arange_fill(float(a), float(b), 1.0)
    return lambda a, b=None, c=None: _ad_arange_fill(float(a), float(b), float(c))
'''
