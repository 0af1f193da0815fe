"""numba_runtime: the source of the helpers numba-compiled generated code calls. Kept as source text: the same text heads the module the numba backend compiles and the module ``adcompiler
emit --target numba`` writes (which needs numpy and numba only; the index helpers' text is ``numba_indexing``'s).
``_ad_jit`` is the decorator (``numba.njit`` with the on-disk cache where the module is imported by its file's
name). The typed tape is two growable buffers (float64 and int64) with their fill counts, passed and returned."""
from __future__ import annotations

from .numba_axes import AXES
from .numba_guards import GUARDS
from .numba_indexing import INDEXING
from .numba_linalg import LINALG
from .numba_reductions import REDUCTIONS
from .numba_sequences import SEQUENCES
from .numba_shapes import SHAPES
from .numba_views import VIEWS

HEADER = '''\
import math
import os

import numba
import numpy as np
from numba.core import types as _ad_types
from numba.extending import overload as _ad_overload

# (numba's cache names the module: written under another name, it breaks a later import by the file's name)
_ad_cache = __name__.rpartition(".")[2] == os.path.splitext(os.path.basename(globals().get("__file__", "")))[0]
_ad_jit = numba.njit(cache=_ad_cache, error_model="numpy")   # float division by zero: inf or nan, as numpy gives
_ad_checked_jit = numba.njit(cache=_ad_cache, error_model="numpy", boundscheck=True)   # (indices read from data)
'''

CORE = '''
@_ad_jit
def _ad_tape_new():
    return np.empty(1024, np.float64), 0, np.empty(1024, np.int64), 0


@_ad_jit
def _ad_reserve(buf, n, k):
    """``buf``, or a copy twice as large (or more), with room for ``k`` more values after ``n``."""
    if n + k <= buf.shape[0]:
        return buf
    new = np.empty(max(2 * buf.shape[0], n + k), buf.dtype)
    for j in range(n):   # (element loops: numba compiles slice assignment slowly)
        new[j] = buf[j]
    return new


@_ad_jit
def _ad_push_f(buf, n, v):
    if n == buf.shape[0]:
        buf = _ad_reserve(buf, n, 1)
    buf[n] = v
    return buf, n + 1


@_ad_jit
def _ad_push_i(buf, n, v):
    if n == buf.shape[0]:
        buf = _ad_reserve(buf, n, 1)
    buf[n] = int(v)
    return buf, n + 1


@_ad_jit
def _ad_push_af(tf, nf, ti, ni, x):
    """A float array: its elements on the float buffer, then its shape on the int buffer."""
    flat = x.copy().ravel()
    m = flat.shape[0]
    tf = _ad_reserve(tf, nf, m)
    for k in range(m):
        tf[nf + k] = flat[k]
    ti = _ad_reserve(ti, ni, x.ndim)
    for k in range(x.ndim):
        ti[ni + k] = x.shape[k]
    return tf, nf + m, ti, ni + x.ndim


@_ad_jit
def _ad_push_ai(tf, nf, ti, ni, x):
    """An int or bool array: its elements, then its shape, on the int buffer."""
    flat = x.copy().ravel()
    m = flat.shape[0]
    ti = _ad_reserve(ti, ni, m + x.ndim)
    for k in range(m):
        ti[ni + k] = int(flat[k])
    for k in range(x.ndim):
        ti[ni + m + k] = x.shape[k]
    return tf, nf, ti, ni + m + x.ndim


@_ad_jit
def _ad_shape_of(x):
    """An array's shape as an int array (what a forward half records for the shadow of a new array)."""
    s = np.empty(x.ndim, np.int64)
    for k in range(x.ndim):
        s[k] = x.shape[k]
    return s


def _ad_copy(x):
    return x.copy() if hasattr(x, "copy") else x


def _ad_copy_method(x):   # (x.copy(), copy.copy(x): a container's is refused, the numpy backend says why)
    return x.copy()


@_ad_overload(_ad_copy)
def _ad_copy_typed(x):
    if isinstance(x, _ad_types.Array):
        return lambda x: x.copy()
    if isinstance(x, _ad_types.List):   # (a list's copy is a new list, as list.copy gives)
        return lambda x: list(x)
    return lambda x: x


_ad_overload(_ad_copy_method)(lambda x: _ad_copy_typed(x) if isinstance(
    x, (_ad_types.Array, _ad_types.Number, _ad_types.Boolean)) else None)


_ad_int64, _ad_float64, _ad_bool = np.int64, np.float64, np.bool_   # (Python's types as numpy dtypes)


def _ad_np_number(v):
    return v


@_ad_overload(_ad_np_number)
def _ad_np_number_typed(v):
    """numba's numbers divide as numpy's (error_model="numpy"): ``v`` as it is."""
    return lambda v: v


def _ad_real_if(g, like):
    return g


def _ad_complex_type(t):
    return isinstance(t, _ad_types.Complex) or isinstance(t, _ad_types.Array) and isinstance(t.dtype, _ad_types.Complex)


@_ad_overload(_ad_real_if)
def _ad_real_if_typed(g, like):
    """``g`` for ``like``: its real part where ``like`` is real and ``g`` complex (tuples: refused)."""
    if isinstance(like, (_ad_types.BaseTuple, _ad_types.List)) or isinstance(g, (_ad_types.BaseTuple,
                                                                                   _ad_types.List)):
        return None
    if _ad_complex_type(like) or not _ad_complex_type(g):
        return lambda g, like: g
    if isinstance(g, _ad_types.Array):
        return lambda g, like: np.real(g).copy()
    return lambda g, like: g.real


def _ad_fmod(a, b):
    return np.fmod(a, b)


@_ad_overload(_ad_fmod)
def _ad_fmod_typed(a, b):
    """np.fmod (numba's is wrong for negative integers: fmod(-5, 3) gave 2): the remainder with the dividend's sign."""
    if not all(isinstance(getattr(t, "dtype", t), _ad_types.Integer) for t in (a, b)):
        return lambda a, b: np.fmod(a, b)
    if not isinstance(a, _ad_types.Array) and not isinstance(b, _ad_types.Array):
        def one(a, b):
            r = a % b
            return r - b if r != 0 and (r < 0) != (a < 0) else r
        return one

    def many(a, b):
        r = np.remainder(a, b)
        return np.where((r != 0) & ((r < 0) != (a < 0)), r - b, r)
    return many


@_ad_jit
def _ad_view_checked(dv, v, x, where):
    # reshape, ravel and asarray return a view starting where their argument does, or a copy (the wrapper
    # of the compiled function turns this error, runtime.views.VIEW_COPIED, into a located refusal)
    if v.size > 0 and v.ctypes.data != x.ctypes.data:
        raise ValueError('returned a copy, not a view', where[0], where[1], where[2])
    return dv


def _ad_disjoint_checked(a, b, where):
    return None


@_ad_overload(_ad_disjoint_checked)
def _ad_disjoint_checked_typed(a, b, where):
    """Two arguments of a helper, views of one array (runtime.views.disjoint_checked):
    refused where the memory they span overlaps (numba has no np.shares_memory)."""
    if not (isinstance(a, _ad_types.Array) and isinstance(b, _ad_types.Array)):
        return lambda a, b, where: None

    def check(a, b, where):
        if not _ad_apart(a, b):
            raise ValueError('two arguments share memory', where[0], where[1], where[2])
    return check


@_ad_jit
def _ad_spans(x):
    """The first and past-the-last byte addresses an array's elements span."""
    lo = hi = x.ctypes.data
    for k in range(x.ndim):
        step = (x.shape[k] - 1) * x.strides[k]
        if step < 0:
            lo += step
        else:
            hi += step
    return lo, hi + x.itemsize


@_ad_jit
def _ad_apart(a, b):
    """Whether two arrays span memory apart (an empty one spans none)."""
    if a.size == 0 or b.size == 0:
        return True
    alo, ahi = _ad_spans(a)
    blo, bhi = _ad_spans(b)
    if ahi <= blo or bhi <= alo:
        return True
    if a.ndim == 1 and b.ndim == 1 and a.strides[0] == b.strides[0] != 0 and a.itemsize == b.itemsize:
        # (two columns of a matrix: one step, elements interleaved and apart)
        r = (b.ctypes.data - a.ctypes.data) % abs(a.strides[0])
        return r >= a.itemsize and abs(a.strides[0]) - r >= a.itemsize
    return False


def _ad_rule_checked(value, like, rule, param, what, also=None):
    return value


@_ad_overload(_ad_rule_checked)
def _ad_rule_checked_typed(value, like, rule, param, what, also=None):
    """The shape of a user rule's derivative (runtime.views.rule_checked): a number
    for a number, else an array of ``like``'s shape (or ``also``'s)."""
    varr, larr, aarr = (isinstance(t, _ad_types.Array) for t in (value, like, also))

    def wrong(value, like, rule, param, what, also=None):
        raise ValueError("a rule's derivative has the wrong shape",
                         "the " + what + " the rule of `" + rule + "` gives for `" + param + "` has the wrong shape")
    if not varr and not larr:
        return lambda value, like, rule, param, what, also=None: value
    if varr and ((larr and value.ndim == like.ndim) or (aarr and value.ndim == also.ndim)):
        same_like = larr and value.ndim == like.ndim
        same_also = aarr and value.ndim == also.ndim

        def check(value, like, rule, param, what, also=None):
            if same_like and value.shape == like.shape:
                return value
            if same_also and value.shape == also.shape:
                return value
            raise ValueError("a rule's derivative has the wrong shape",
                             "the " + what + " the rule of `" + rule + "` gives for `" + param + "` has the wrong shape")
        return check
    return wrong


def _ad_shape(x):
    return x if isinstance(x, tuple) else np.shape(x)


@_ad_overload(_ad_shape)
def _ad_shape_typed(x):
    """An operand's shape (a tuple given is the shape): the adjoint of a reshape or ravel."""
    if isinstance(x, (_ad_types.UniTuple, _ad_types.Tuple)):
        return lambda x: x
    if isinstance(x, _ad_types.Array):
        return lambda x: x.shape
    if isinstance(x, (_ad_types.Float, _ad_types.Integer, _ad_types.Boolean)):
        return lambda x: ()
    return None


def _ad_shadow_like(x):
    return np.zeros(np.shape(x))


@_ad_overload(_ad_shadow_like)
def _ad_shadow_like_typed(x):
    """A zero float shadow for a freshly bound array or scalar."""
    if isinstance(x, _ad_types.Array):
        if isinstance(x.dtype, (_ad_types.Float, _ad_types.Complex)):   # (a complex array's shadow is complex)
            return lambda x: np.zeros_like(x)
        return lambda x: np.zeros(x.shape)
    if isinstance(x, (_ad_types.Float, _ad_types.Integer, _ad_types.Boolean)):
        return lambda x: 0.0
    if isinstance(x, _ad_types.Complex):
        return lambda x: 0j
    if _ad_none(x):   # (a name bound to None before its value, whose type was not known: the return's)
        return lambda x: None
    return None


def _ad_fresh_like(t, x):
    return np.zeros(np.shape(x)) + t


@_ad_overload(_ad_fresh_like)
def _ad_fresh_like_typed(t, x):
    """A new array shaped like ``x`` holding the tangent ``t`` (forward mode's
    value of a fresh binding; a number for a number)."""
    if isinstance(x, _ad_types.Array):
        if isinstance(x.dtype, (_ad_types.Float, _ad_types.Complex)):
            return lambda t, x: np.zeros_like(x) + t
        return lambda t, x: np.zeros(x.shape) + t
    if isinstance(x, (_ad_types.Float, _ad_types.Integer, _ad_types.Boolean, _ad_types.Complex)):
        return lambda t, x: t
    return None


def _ad_unbroadcast(g, x):
    return g


@_ad_overload(_ad_unbroadcast)
def _ad_unbroadcast_typed(g, x):
    """Sum ``g`` down to the shape of ``x``, for the cases numba can type."""
    garr, xarr = isinstance(g, _ad_types.Array), isinstance(x, _ad_types.Array)
    if not garr and not xarr:
        return lambda g, x: g
    if garr and not xarr:
        return lambda g, x: np.sum(g)
    if xarr and not garr:
        return lambda g, x: np.full(x.shape, g)
    if g.ndim == x.ndim == 1:
        def one(g, x):
            if g.shape[0] == x.shape[0]:
                return np.ascontiguousarray(g)
            return np.full(1, np.sum(g))
        return one
    if g.ndim == x.ndim == 2:
        def two(g, x):
            r = np.ascontiguousarray(g)
            if x.shape[0] == 1 and r.shape[0] != 1:
                r = np.sum(r, axis=0).reshape((1, r.shape[1]))
            if x.shape[1] == 1 and r.shape[1] != 1:
                r = np.sum(r, axis=1).reshape((r.shape[0], 1))
            return r
        return two
    if g.ndim == x.ndim == 3:
        def three(g, x):
            r = np.ascontiguousarray(g)
            if x.shape[0] == 1 and r.shape[0] != 1:
                r = np.sum(r, axis=0).reshape((1, r.shape[1], r.shape[2]))
            if x.shape[1] == 1 and r.shape[1] != 1:
                r = np.sum(r, axis=1).reshape((r.shape[0], 1, r.shape[2]))
            if x.shape[2] == 1 and r.shape[2] != 1:
                r = np.sum(r, axis=2).reshape((r.shape[0], r.shape[1], 1))
            return r
        return three
    if g.ndim == x.ndim + 1 and x.ndim >= 1:
        return lambda g, x: _ad_unbroadcast(np.sum(g, axis=0), x)
    if g.ndim == x.ndim:
        def same(g, x):
            if g.shape != x.shape:
                raise ValueError("numba backend: cannot unbroadcast these shapes")
            return g
        return same
    return None


def _ad_safe_div(a, b):
    return a / b


@_ad_overload(_ad_safe_div)
def _ad_safe_div_typed(a, b):
    """``a / b`` where ``b != 0``, 0 elsewhere (runtime.numpy.safe_div)."""
    if not isinstance(a, _ad_types.Array) and not isinstance(b, _ad_types.Array):
        return lambda a, b: a / b if b != 0 else 0.0 * a
    return lambda a, b: np.where(b != 0, a / np.where(b != 0, b, 1.0), 0.0 * a)


def _ad_sinc_grad(x):
    return x


@_ad_overload(_ad_sinc_grad)
def _ad_sinc_grad_typed(x):
    """d sinc(x) / dx, 0 at x == 0 (runtime.numpy.sinc_grad)."""
    if not isinstance(x, _ad_types.Array):
        return lambda x: (np.cos(np.pi * x) - np.sinc(x)) / x if x != 0 else 0.0 * x
    return lambda x: np.where(x != 0, (np.cos(np.pi * x) - np.sinc(x)) / np.where(x != 0, x, 1.0), 0.0 * x)


def _ad_scatter_sum(x, weights, minlength):
    return np.bincount(x, weights, minlength)


@_ad_overload(_ad_scatter_sum)
def _ad_scatter_sum_typed(x, weights, minlength):
    """np.bincount of real or complex weights (runtime.numpy.scatter_sum)."""
    if isinstance(weights.dtype, _ad_types.Complex):
        return lambda x, weights, minlength: np.bincount(x, weights.real, minlength) + \
            1j * np.bincount(x, weights.imag, minlength)
    return lambda x, weights, minlength: np.bincount(x, weights, minlength)


def _ad_none(t):
    """Whether the numba type ``t`` is None (given or left out)."""
    return t is None or isinstance(t, (_ad_types.NoneType, _ad_types.Omitted))


def _ad_dot_adjoint_a(g, a, b):
    return g


def _ad_dot_adjoint_b(g, a, b):
    return g


#: adjoints of np.dot / @ of 1-D and 2-D arrays: (with respect to, rank of a, rank of b) -> implementation
_AD_DOT = {
    ("a", 1, 1): lambda g, a, b: g * b,
    ("a", 2, 1): lambda g, a, b: np.outer(g, b),
    ("a", 1, 2): lambda g, a, b: np.dot(np.ascontiguousarray(b), np.ascontiguousarray(g)),
    ("a", 2, 2): lambda g, a, b: np.dot(np.ascontiguousarray(g), np.ascontiguousarray(b.T)),
    ("b", 1, 1): lambda g, a, b: g * a,
    ("b", 1, 2): lambda g, a, b: np.outer(a, g),
    ("b", 2, 1): lambda g, a, b: np.dot(np.ascontiguousarray(a.T), np.ascontiguousarray(g)),
    ("b", 2, 2): lambda g, a, b: np.dot(np.ascontiguousarray(a.T), np.ascontiguousarray(g)),
}


def _ad_dot_rule(which, a, b):
    if not (isinstance(a, _ad_types.Array) and isinstance(b, _ad_types.Array)):
        return None
    return _AD_DOT.get((which, a.ndim, b.ndim))


def _ad_matmul_adjoint_a(g, a, b):
    return g


def _ad_matmul_adjoint_b(g, a, b):
    return g


def _ad_dot_typing(which):
    def typing(g, a, b):
        return _ad_dot_rule(which, a, b)
    return typing


for _ad_fn, _ad_which in ((_ad_dot_adjoint_a, "a"), (_ad_dot_adjoint_b, "b"),
                          (_ad_matmul_adjoint_a, "a"), (_ad_matmul_adjoint_b, "b")):
    _ad_overload(_ad_fn)(_ad_dot_typing(_ad_which))
'''

_POP = '''
@_ad_jit
def _ad_pop_a{dk}{rank}(tf, nf, ti, ni):
    ni -= {rank}
    shape = ({dims},)
    m = 1
    for d in shape:
        m *= d
{body}
'''

_POP_FLOAT = '''\
    nf -= m
    return tf[nf:nf + m].copy().reshape(shape), nf, ni'''

_POP_COMPLEX = '''\
    nf -= m
    return tf[nf:nf + m].copy().reshape(shape).view(np.complex128), nf, ni'''   # (pushed as its float view)

_POP_INT = '''\
    ni -= m
    out = ti[ni:ni + m].copy().reshape(shape)
    return {cast}, nf, ni'''


def pop_source(ranks) -> str:
    """The pop helpers for arrays of each (rank, dtype kind) in ``ranks``."""
    out = []
    for rank, dk in sorted(ranks):
        dims = ", ".join(f"ti[ni + {k}]" for k in range(rank))
        body = _POP_FLOAT if dk == "f" else _POP_COMPLEX if dk == "c" else \
            _POP_INT.format(cast="out != 0" if dk == "b" else "out")
        out.append(_POP.format(dk=dk, rank=rank, dims=dims, body=body))
    return "".join(out)


def source(ranks) -> str:
    """The header and helpers of a numba module that pops arrays of ``ranks``."""
    return HEADER + CORE + GUARDS + REDUCTIONS + LINALG + SEQUENCES + SHAPES + INDEXING + VIEWS + AXES + pop_source(ranks)


def _defined(text: str) -> frozenset:
    import ast
    return frozenset(n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))


#: the helpers the texts define (generated code may call these; pops are per rank)
HELPERS = _defined(CORE + GUARDS + REDUCTIONS + LINALG + SEQUENCES + SHAPES + INDEXING + VIEWS + AXES)
