"""numba_indexing: the source of the numba versions of the runtime helpers
for an index array (``x[idx]`` read, ``y[idx] = v`` and ``y[idx] += v``
written, ``np.take``), for ``np.roll`` along an axis (numba's takes none) and
for the mask of where ``np.clip`` passes its argument through, part of the
text ``numba_runtime.source`` gives.

Each is an overload of the numpy backend's helper (``runtime.core.add_at``,
``store_adjoint``, ``gather_last``, ``runtime.numpy.take_adjoint``) for the
forms numba's own indexing takes: one index array of one dimension (integers,
negative ones counting from the end, or a mask) on the first axis of a 1-D or
2-D array, or two integer ones of one length selecting elements of a 2-D
array. Any other form leaves the overload untyped, and the backend refuses
the line. An integer out of range raises IndexError, as numpy does.
``list_indices`` rewrites generated code for them: an index written as a list
of ints (or of names: ``A[[k, p]]``) becomes an array.
"""
from __future__ import annotations

import ast

_INDEXING = ("_ad_add_at", "_ad_store_adjoint", "_ad_gather_last", "_ad_take_adjoint")


def _int_list(e) -> bool:
    return isinstance(e, ast.List) and bool(e.elts) and all(
        isinstance(v, ast.Constant) and type(v.value) is int or isinstance(v, ast.UnaryOp)
        and isinstance(v.op, ast.USub) and isinstance(v.operand, ast.Constant) and type(v.operand.value) is int
        for v in e.elts)


def _name_list(e) -> bool:
    """``[k, p]``: a list of names (and ints), an index of rows (``A[[k, p]] = A[[p, k]]``, a
    pivoting swap). As an array without a dtype: numba types its elements, ints (an index
    array) or bools (a mask) as numpy takes them; floats are refused."""
    return isinstance(e, ast.List) and bool(e.elts) and any(isinstance(v, ast.Name) for v in e.elts) and all(
        isinstance(v, ast.Name) or isinstance(v, ast.Constant) and type(v.value) is int for v in e.elts)


def _whole(e) -> bool:
    """``slice(None, None, None)``, as generated code writes ``:`` in an index it passes on."""
    if isinstance(e, ast.Slice):
        return e.lower is None and e.upper is None and e.step is None
    if isinstance(e, ast.Constant):   # (a trailing ... takes the rest whole too)
        return e.value is Ellipsis or e.value == slice(None)
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "slice" and not e.keywords \
        and all(isinstance(a, ast.Constant) and a.value is None for a in e.args)


def _without_whole_slices(index):
    """``(idx, :)`` or ``(idx, ...)`` as ``idx``: the axes an index leaves out are taken whole, as numpy
    takes them."""
    elts = list(index.elts)
    while len(elts) > 1 and _whole(elts[-1]):
        elts.pop()
    return elts[0] if len(elts) == 1 else ast.Tuple(elts, ast.Load())


def list_indices(fn) -> None:
    """``x[[0, 2]]`` (an index, or the index an adjoint helper takes, as a list of ints) as
    ``x[np.array([0, 2])]``: numba indexes by an array, not a list; an adjoint helper's index
    ``(idx, slice(None, None, None))`` as ``idx``."""
    for node in ast.walk(fn):
        slots = []
        if isinstance(node, ast.Subscript):
            slots = [(node, "slice")] if not isinstance(node.slice, ast.Tuple) else \
                [(node.slice.elts, k) for k in range(len(node.slice.elts))]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _INDEXING:
            if len(node.args) > 1 and isinstance(node.args[1], ast.Tuple):
                node.args[1] = _without_whole_slices(node.args[1])
            slots = [(node.args, k) for k in range(len(node.args))]
        for holder, key in slots:
            e = getattr(holder, key) if isinstance(key, str) else holder[key]
            if _int_list(e) or _name_list(e):
                typed = [ast.keyword("dtype", ast.Attribute(ast.Name("np", ast.Load()), "int64", ast.Load()))] \
                    if _int_list(e) else []
                arr = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "array", ast.Load()), [e], typed)
                setattr(holder, key, arr) if isinstance(key, str) else holder.__setitem__(key, arr)


INDEXING = '''

def _ad_index_typed(dx, idx):
    """Whether the numba types are a 1-D or 2-D array and a 1-D int or bool index array."""
    return isinstance(dx, _ad_types.Array) and dx.ndim in (1, 2) and isinstance(idx, _ad_types.Array) \\
        and idx.ndim == 1 and isinstance(idx.dtype, (_ad_types.Integer, _ad_types.Boolean))


def _ad_positions(n, idx):
    return None


@_ad_overload(_ad_positions)
def _ad_positions_typed(n, idx):
    """The positions ``idx`` selects in an axis of ``n`` (a mask's True places; an int
    array's, counted from the end where negative)."""
    if isinstance(idx.dtype, _ad_types.Boolean):
        def mask(n, idx):
            if idx.shape[0] != n:
                raise IndexError("boolean index did not match indexed array")
            return np.nonzero(idx)[0]
        return mask

    def ints(n, idx):
        out = np.empty(idx.shape[0], np.int64)
        for k in range(idx.shape[0]):
            p = idx[k]
            if p < 0:
                p += n
            if p < 0 or p >= n:
                raise IndexError("index out of bounds")
            out[k] = p
        return out
    return ints


def _ad_pair_typed(dx, idx):
    """Whether the numba types are a 2-D array and a pair of 1-D int arrays (``A[rows, cols]``)."""
    return isinstance(dx, _ad_types.Array) and dx.ndim == 2 and isinstance(idx, _ad_types.UniTuple) \
        and idx.count == 2 and isinstance(idx.dtype, _ad_types.Array) and idx.dtype.ndim == 1 \
        and isinstance(idx.dtype.dtype, _ad_types.Integer)


@_ad_jit
def _ad_pair_positions(dx, idx):
    """The rows and columns ``A[rows, cols]`` selects (of equal lengths)."""
    if idx[0].shape[0] != idx[1].shape[0]:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together")
    return _ad_positions(dx.shape[0], idx[0]), _ad_positions(dx.shape[1], idx[1])


def _ad_add_at(dx, idx, g):
    np.add.at(dx, idx, g)


@_ad_overload(_ad_add_at)
def _ad_add_at_typed(dx, idx, g):
    """``dx[idx] += g`` counting repeated indices (runtime.core.add_at)."""
    if _ad_pair_typed(dx, idx):
        if isinstance(g, _ad_types.Array) and g.ndim == 1:
            def pair(dx, idx, g):
                rows, cols = _ad_pair_positions(dx, idx)
                for k in range(rows.shape[0]):
                    dx[rows[k], cols[k]] += g[k]
            return pair
        if isinstance(g, (_ad_types.Number, _ad_types.Boolean)):
            def pair_every(dx, idx, g):
                rows, cols = _ad_pair_positions(dx, idx)
                for k in range(rows.shape[0]):
                    dx[rows[k], cols[k]] += g
            return pair_every
        return None
    if not _ad_index_typed(dx, idx):
        return None
    if isinstance(g, _ad_types.Array) and g.ndim == dx.ndim:
        if dx.ndim == 1:
            def each1(dx, idx, g):
                pos = _ad_positions(dx.shape[0], idx)
                for k in range(pos.shape[0]):
                    dx[pos[k]] += g[k]
            return each1

        def each2(dx, idx, g):
            pos = _ad_positions(dx.shape[0], idx)
            for k in range(pos.shape[0]):
                for j in range(dx.shape[1]):
                    dx[pos[k], j] += g[k, j]
        return each2
    if isinstance(g, (_ad_types.Number, _ad_types.Boolean)):
        def every(dx, idx, g):
            pos = _ad_positions(dx.shape[0], idx)
            for k in range(pos.shape[0]):
                dx[pos[k]] += g
        return every
    return None


def _ad_last_adjoint(dx, idx, zero):
    return None


@_ad_overload(_ad_last_adjoint)
def _ad_last_adjoint_typed(dx, idx, zero):
    """``dx[idx]`` where each position keeps only its last occurrence (the others 0:
    numpy keeps the last value stored), then ``dx[idx] = 0`` where ``zero``."""
    if _ad_pair_typed(dx, idx):
        def last_pair(dx, idx, zero):
            rows, cols = _ad_pair_positions(dx, idx)
            seen = np.zeros(dx.shape, np.bool_)
            g = np.zeros(rows.shape[0], dx.dtype)
            for k in range(rows.shape[0] - 1, -1, -1):
                if not seen[rows[k], cols[k]]:
                    seen[rows[k], cols[k]] = True
                    g[k] = dx[rows[k], cols[k]]
            if zero:
                for k in range(rows.shape[0]):
                    dx[rows[k], cols[k]] = 0
            return g
        return last_pair
    if not _ad_index_typed(dx, idx):
        return None

    def last(dx, idx, zero):
        n = dx.shape[0]
        pos = _ad_positions(n, idx)
        seen = np.zeros(n, np.bool_)
        g = np.zeros((pos.shape[0],) + dx.shape[1:], dx.dtype)
        for k in range(pos.shape[0] - 1, -1, -1):
            if not seen[pos[k]]:
                seen[pos[k]] = True
                g[k] = dx[pos[k]]
        if zero:
            for k in range(pos.shape[0]):
                dx[pos[k]] = 0
        return g
    return last


def _ad_store_adjoint(dx, idx):
    return None


@_ad_overload(_ad_store_adjoint)
def _ad_store_adjoint_typed(dx, idx):
    """The adjoint of ``v`` in ``x[idx] = v``; ``dx[idx]`` zeroed (runtime.core.store_adjoint)."""
    if _ad_index_typed(dx, idx) or _ad_pair_typed(dx, idx):
        return lambda dx, idx: _ad_last_adjoint(dx, idx, True)
    return None


def _ad_gather_last(dx, idx):
    return None


@_ad_overload(_ad_gather_last)
def _ad_gather_last_typed(dx, idx):
    """The adjoint of ``v`` in ``x[idx] += v`` (runtime.core.gather_last)."""
    if _ad_index_typed(dx, idx) or _ad_pair_typed(dx, idx):
        return lambda dx, idx: _ad_last_adjoint(dx, idx, False)
    return None


def _ad_take_adjoint(g, a, indices, axis=None, mode="raise"):
    return None


@_ad_jit
def _ad_take_index(k, n, mode):
    """Index ``k`` of ``n`` elements as ``np.take``'s ``mode`` reads it (wrapped, clipped, or as it is)."""
    return k % n if mode == "wrap" else min(max(k, 0), n - 1) if mode == "clip" else k


@_ad_overload(_ad_take_adjoint)
def _ad_take_adjoint_typed(g, a, indices, axis=None, mode="raise"):
    """The adjoint of ``np.take(a, indices)`` of a 1-D ``a`` or with no axis (runtime.numpy.take_adjoint)."""
    if isinstance(a, _ad_types.Array) and isinstance(indices, _ad_types.Integer) and _ad_none(axis):
        dtype = g if isinstance(g, (_ad_types.Float, _ad_types.Complex)) else _ad_types.float64

        def one(g, a, indices, axis=None, mode="raise"):
            out = np.zeros(a.size, dtype)
            k = _ad_take_index(indices, a.size, mode)
            k = k + a.size if k < 0 else k
            if k < 0 or k >= a.size:
                raise IndexError("index out of bounds")
            out[k] = g
            return out.reshape(a.shape)
        return one
    if not (isinstance(a, _ad_types.Array) and isinstance(g, _ad_types.Array) and isinstance(indices, _ad_types.Array)
            and isinstance(indices.dtype, _ad_types.Integer) and (_ad_none(axis) or a.ndim == 1)):
        return None

    def flat(g, a, indices, axis=None, mode="raise"):
        out = np.zeros(a.size, g.dtype)
        ix, gf = indices.ravel().copy(), g.ravel()
        for k in range(ix.shape[0]):
            ix[k] = _ad_take_index(ix[k], a.size, mode)
        pos = _ad_positions(a.size, ix)
        for k in range(pos.shape[0]):
            out[pos[k]] += gf[k]
        return out.reshape(a.shape)
    return flat


def _ad_roll(a, shift, axis=None):
    return np.roll(a, shift, axis)


@_ad_overload(_ad_roll)
def _ad_roll_typed(a, shift, axis=None):
    """np.roll by an int shift: flat (numba's) or along an axis of a 1-D or 2-D array."""
    if not isinstance(a, _ad_types.Array) or not isinstance(shift, _ad_types.Integer):
        return None
    if _ad_none(axis):
        return lambda a, shift, axis=None: np.roll(a, shift)
    if not isinstance(axis, _ad_types.Integer) or a.ndim > 2:
        return None

    if a.ndim == 1:
        def along1(a, shift, axis=None):
            n = a.shape[0]
            out = np.empty_like(a)
            for i in range(n):
                out[(i + shift) % n] = a[i]
            return out
        return along1

    def along2(a, shift, axis=None):
        out = np.empty_like(a)
        if axis % 2 == 0:
            n = a.shape[0]
            for i in range(n):
                out[(i + shift) % n, :] = a[i, :]
        else:
            n = a.shape[1]
            for j in range(n):
                out[:, (j + shift) % n] = a[:, j]
        return out
    return along2


def _ad_roll_adjoint(g, shift, axis=None):
    return np.roll(g, -shift, axis)


@_ad_overload(_ad_roll_adjoint)
def _ad_roll_adjoint_typed(g, shift, axis=None):
    """np.roll's adjoint: a roll back."""
    if not isinstance(shift, _ad_types.Integer):
        return None
    return lambda g, shift, axis=None: _ad_roll(g, -shift, axis)


def _ad_clip_inside(a, lo, hi):
    return None


@_ad_overload(_ad_clip_inside)
def _ad_clip_inside_typed(a, lo, hi):
    """Where ``np.clip`` passes ``a`` through, bounds included (runtime.numpy.clip_inside):
    of a number, or of an array between numbers or arrays."""
    low, high = not _ad_none(lo), not _ad_none(hi)
    if isinstance(a, (_ad_types.Float, _ad_types.Integer)):
        if low and high:
            return lambda a, lo, hi: a >= lo and a <= hi
        if low:
            return lambda a, lo, hi: a >= lo
        if high:
            return lambda a, lo, hi: a <= hi
        return lambda a, lo, hi: True
    if isinstance(a, _ad_types.Array):
        if low and high:
            return lambda a, lo, hi: (a >= lo) & (a <= hi)
        if low:
            return lambda a, lo, hi: a >= lo
        if high:
            return lambda a, lo, hi: a <= hi
        return lambda a, lo, hi: np.ones(a.shape, np.bool_)
    return None


def _ad_where(c, a, b):
    return np.where(c, a, b)


@_ad_overload(_ad_where)
def _ad_where_typed(c, a, b):
    """``np.where``: of numbers, the number chosen (numba's is a 0-d array, which its typing
    does not unify with the float a loop's other path holds); else numba's."""
    if any(isinstance(v, _ad_types.Array) for v in (c, a, b)):
        return lambda c, a, b: np.where(c, a, b)
    return lambda c, a, b: a if c else b


def _ad_clip_low(a, lo, hi):
    return None


@_ad_overload(_ad_clip_low)
def _ad_clip_low_typed(a, lo, hi):
    """Where ``np.clip`` gives ``lo`` (runtime.numpy.clip_low): below it, unless ``hi`` is
    lower still; of numbers, or of arrays of one shape or numbers."""
    if _ad_none(lo):
        return None
    if _ad_none(hi):
        return lambda a, lo, hi: a < lo
    if all(isinstance(v, (_ad_types.Float, _ad_types.Integer)) for v in (a, lo, hi)):
        return lambda a, lo, hi: a < lo and not lo > hi
    return lambda a, lo, hi: (a < lo) & ~(lo > hi)


def _ad_clip_high(a, lo, hi):
    return None


@_ad_overload(_ad_clip_high)
def _ad_clip_high_typed(a, lo, hi):
    """Where ``np.clip`` gives ``hi`` (runtime.numpy.clip_high): above it, or wherever
    ``lo > hi``; of numbers, or of arrays of one shape or numbers."""
    if _ad_none(hi):
        return None
    if _ad_none(lo):
        return lambda a, lo, hi: a > hi
    if all(isinstance(v, (_ad_types.Float, _ad_types.Integer)) for v in (a, lo, hi)):
        return lambda a, lo, hi: a > hi or lo > hi
    return lambda a, lo, hi: (a > hi) | (lo > hi)


def _ad_clip(a, lo, hi, out=None):
    return np.clip(a, lo, hi, out=out)


@_ad_overload(_ad_clip)
def _ad_clip_typed(a, lo, hi, out=None):
    """np.clip as numpy computes it, ``minimum(maximum(a, lo), hi)``: of a number too (numba's takes
    arrays only), a nan bound giving nan (``min``/``max`` and numba's clip dropped it) and an int
    array clipped to float bounds giving floats (numba's kept the ints)."""
    low, high = not _ad_none(lo), not _ad_none(hi)
    if not isinstance(a, (_ad_types.Float, _ad_types.Integer, _ad_types.Array)):
        return None
    if not _ad_none(out):
        if low and high:
            return lambda a, lo, hi, out=None: np.minimum(np.maximum(a, lo), hi, out)
        if low:
            return lambda a, lo, hi, out=None: np.maximum(a, lo, out)
        if high:
            return lambda a, lo, hi, out=None: np.minimum(a, hi, out)
        return None
    if low and high:
        return lambda a, lo, hi, out=None: np.minimum(np.maximum(a, lo), hi)
    if low:
        return lambda a, lo, hi, out=None: np.maximum(a, lo)
    if high:
        return lambda a, lo, hi, out=None: np.minimum(a, hi)
    return lambda a, lo, hi, out=None: a


@_ad_jit
def _ad_at_sorted(n, idx):
    """The positions ``np.add.at(a, idx, v)`` adds to in a 1-D ``a`` of ``n`` elements (negative ones
    from the end; IndexError out of range, as numpy's), flat, and their order (a stable sort)."""
    pos = np.empty(idx.size, np.int64)
    for j, p in enumerate(idx.ravel()):
        q = p + n if p < 0 else p
        if q < 0 or q >= n:
            raise IndexError("index out of bounds")
        pos[j] = q
    return pos, np.argsort(pos, kind="mergesort")


def _ad_at_inverse(a, idx):
    return None


@_ad_overload(_ad_at_inverse)
def _ad_at_inverse_typed(a, idx):
    """For each element of ``np.add.at``'s region, the number of its position among the distinct positions,
    sorted (runtime.numpy.at_inverse): of a 1-D ``a`` and an int array ``idx``."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 1 and isinstance(idx, _ad_types.Array)
            and isinstance(idx.dtype, _ad_types.Integer)):
        return None

    def impl(a, idx):
        pos, order = _ad_at_sorted(a.shape[0], idx)
        inv = np.empty(pos.size, np.int64)
        k = -1
        for j in range(pos.size):
            if j == 0 or pos[order[j]] != pos[order[j - 1]]:
                k += 1
            inv[order[j]] = k
        return inv.reshape(idx.shape)
    return impl


def _ad_at_targets(a, idx):
    return None


@_ad_overload(_ad_at_targets)
def _ad_at_targets_typed(a, idx):
    """The distinct positions ``np.add.at`` adds to, sorted (runtime.numpy.at_targets), of a 1-D ``a``:
    one int array (numpy's is a tuple of one)."""
    if not (isinstance(a, _ad_types.Array) and a.ndim == 1 and isinstance(idx, _ad_types.Array)
            and isinstance(idx.dtype, _ad_types.Integer)):
        return None
    return lambda a, idx: np.unique(_ad_at_sorted(a.shape[0], idx)[0])
'''


def through_index_arrays(fn, kinds) -> bool:
    """Whether ``fn`` reads an int array, or indexes with one (``x[idx]``, ``x[idx[i]]``, ``k = idx[i]``
    then ``x[k]``): indices read from data, which it compiles with numba's bounds checks."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript):
            for n in [node.value, *ast.walk(node.slice)]:
                k = kinds.get(n.id) if isinstance(n, ast.Name) else None
                if k is not None and k.cls == "array" and k.dtype == "i":
                    return True
    return False
