"""numba_axes: reductions along one axis (``np.mean(A, axis=0)``, ``np.max(x, axis=1, keepdims=True)``),
which numba's numpy does not take (no ``axis`` but ``np.sum``'s, no ``keepdims``), as calls of helpers.

``np.<f>(a, axis=k[, keepdims=B][, ddof=d])`` of ``mean``, ``max``, ``min``, ``amax``, ``amin``, ``prod``,
``var``, ``std``, ``argmax``, ``argmin`` (and ``sum`` with ``keepdims``), with ``keepdims`` a constant,
becomes ``_ad_<f>_axis(a, k, d)`` (``_ad_<f>_axis_k`` keeping the axis); ``np.var``/``np.std`` of all
elements with ``ddof``, ``_ad_var_all``/``_ad_std_all``. Their adjoints along an axis are overloads of the
adjoint helpers (``_ad_select_adjoint``, ``_ad_prod_adjoint``, ``_ad_var_adjoint``, ``_ad_std_adjoint``). The helper reduces the lines of
``a`` along ``k`` as numpy does (a nan propagates through a maximum, the first maximum's index, a mean of
no element nan, ``var`` divided by ``n - ddof``) and takes the result's shape, of one rank fewer (a
number for a 1-D array) or the same. An axis given as a tuple, ``out=``, ``dtype=``, ``where=`` leave the
call as it is (numba refuses it, at the user's line). The sums' order is the loop's, not numpy's pairwise
one: the values may differ in the last bits.
"""
from __future__ import annotations

import ast

#: numpy's name -> the helper's operation
_OPS = {"mean": "mean", "max": "max", "amax": "max", "min": "min", "amin": "min", "prod": "prod", "var": "var",
        "std": "std", "argmax": "argmax", "argmin": "argmin", "sum": "sum"}


def axis_reduction(node) -> None:
    """``node``, a reduction along one axis numba does not compute, made a call of its helper."""
    f = node.func if isinstance(node, ast.Call) else None
    if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "np"
            and f.attr in _OPS and node.args and len(node.args) <= 2 and not any(
                isinstance(a, ast.Starred) for a in node.args)):
        return
    given = {k.arg: k.value for k in node.keywords}
    if isinstance(given.get("where"), ast.Constant) and given["where"].value is True:
        del given["where"]   # (forward mode's np.sum(t, axis=1, keepdims=True, where=True))
    if None in given or set(given) - {"axis", "keepdims", "ddof"} or (len(node.args) == 2 and "axis" in given):
        return
    axis = node.args[1] if len(node.args) == 2 else given.get("axis")
    keep = given.get("keepdims", ast.Constant(False))
    ddof = given.get("ddof", ast.Constant(0))
    if (axis is None or isinstance(axis, ast.Constant) and axis.value is None) and "ddof" in given \
            and f.attr in ("var", "std") and isinstance(keep, ast.Constant) and keep.value is False:
        node.func = ast.Name(f"_ad_{f.attr}_all", ast.Load())   # (of all elements, numba's takes no ddof)
        node.args, node.keywords = [node.args[0], ddof], []
        return
    if axis is None or isinstance(axis, (ast.Tuple, ast.List)) or isinstance(axis, ast.Constant) and (
            axis.value is None or type(axis.value) is not int) or not isinstance(keep, ast.Constant) \
            or type(keep.value) is not bool or (f.attr == "sum" and not keep.value) \
            or ("ddof" in given and f.attr not in ("var", "std")):
        return
    node.func = ast.Name(f"_ad_{_OPS[f.attr]}_axis" + ("_k" if keep.value else ""), ast.Load())
    node.args, node.keywords = [node.args[0], axis, ddof], []


_CORE = '''

@_ad_jit
def _ad_axis_lines(a, axis):
    """``a`` (C-ordered) as (before, along, after) the axis, and the axis's position."""
    b = np.ascontiguousarray(a)
    ax = axis % b.ndim if b.ndim else 0
    pre, post = 1, 1
    for k in range(b.ndim):
        if k < ax:
            pre *= b.shape[k]
        elif k > ax:
            post *= b.shape[k]
    return b.reshape((pre, b.shape[ax], post)), ax


@_ad_jit
def _ad_axis_fold(c, op, ddof):
    """The reduction ``op`` of each line ``c[i, :, j]`` (0 mean, 1 max, 2 min, 3 prod, 4 var, 5 std, 8 sum)."""
    pre, n, post = c.shape
    out = np.empty((pre, post))
    if n == 0 and (op == 1 or op == 2):
        raise ValueError("zero-size array to reduction operation maximum which has no identity")
    for i in range(pre):
        for j in range(post):
            if op == 1 or op == 2:
                m = c[i, 0, j]
                for k in range(1, n):
                    v = c[i, k, j]
                    if (v > m if op == 1 else v < m) or np.isnan(v):
                        m = v if not np.isnan(m) else m
                out[i, j] = m
            elif op == 3:
                p = 1.0
                for k in range(n):
                    p *= c[i, k, j]
                out[i, j] = p
            else:
                s = 0.0
                for k in range(n):
                    s += c[i, k, j]
                if op == 8:
                    out[i, j] = s
                    continue
                mean = s / n if n else np.nan
                if op == 0:
                    out[i, j] = mean
                    continue
                ss = 0.0
                for k in range(n):
                    ss += (c[i, k, j] - mean) * (c[i, k, j] - mean)
                var = ss / max(n - ddof, 0)
                out[i, j] = var if op == 4 else np.sqrt(var)
    return out


@_ad_jit
def _ad_axis_index(c, op):
    """The index of the first maximum (op 6) or minimum (op 7) of each line ``c[i, :, j]`` (a nan's first)."""
    pre, n, post = c.shape
    out = np.empty((pre, post), np.int64)
    if n == 0:
        raise ValueError("attempt to get argmax of an empty sequence")
    for i in range(pre):
        for j in range(post):
            best, m = 0, c[i, 0, j]
            for k in range(1, n):
                v = c[i, k, j]
                if not np.isnan(m) and ((v > m if op == 6 else v < m) or np.isnan(v)):
                    best, m = k, v
            out[i, j] = best
    return out


@_ad_jit
def _ad_var_all(a, ddof):
    """``np.var(a, ddof=ddof)``, over all elements."""
    x = np.asarray(a).astype(np.float64)
    mean = np.mean(x)
    return np.sum((x - mean) * (x - mean)) / max(x.size - ddof, 0)


@_ad_jit
def _ad_std_all(a, ddof):
    return np.sqrt(_ad_var_all(a, ddof))


@_ad_jit
def _ad_axis_keep1(a, ax):
    return (1,)


@_ad_jit
def _ad_axis_drop2(a, ax):
    return (a.shape[1],) if ax == 0 else (a.shape[0],)


@_ad_jit
def _ad_axis_keep2(a, ax):
    return (1, a.shape[1]) if ax == 0 else (a.shape[0], 1)


@_ad_jit
def _ad_axis_drop3(a, ax):
    s = a.shape
    return (s[1], s[2]) if ax == 0 else (s[0], s[2]) if ax == 1 else (s[0], s[1])


@_ad_jit
def _ad_axis_keep3(a, ax):
    s = a.shape
    return (1, s[1], s[2]) if ax == 0 else (s[0], 1, s[2]) if ax == 1 else (s[0], s[1], 1)


@_ad_jit
def _ad_axis_adjoint(g, c, ans, op, ddof):
    """The adjoint of the lines ``c`` (before, along, after) of a reduction along them, ``g`` and
    ``ans`` one value per line (op 1 max or min: shared by the elements equal to the result;
    3 prod: the product of the others; 4 var; 5 std, 0 where it is 0)."""
    pre, n, post = c.shape
    out = np.zeros((pre, n, post))
    for i in range(pre):
        for j in range(post):
            gij = g[i, j]
            if op == 1:
                count = 0
                for k in range(n):
                    count += c[i, k, j] == ans[i, j]
                for k in range(n):
                    out[i, k, j] = gij / max(count, 1) if c[i, k, j] == ans[i, j] else 0.0
            elif op == 3:
                before = 1.0
                for k in range(n):
                    out[i, k, j] = before
                    before *= c[i, k, j]
                after = 1.0
                for k in range(n - 1, -1, -1):
                    out[i, k, j] = gij * out[i, k, j] * after
                    after *= c[i, k, j]
            else:
                s = 0.0
                for k in range(n):
                    s += c[i, k, j]
                mean = s / n if n else np.nan
                scale = 2.0 * gij if op == 4 else (gij / ans[i, j] if ans[i, j] != 0 else 0.0)
                for k in range(n):
                    out[i, k, j] = scale * (c[i, k, j] - mean) / (n - ddof)
    return out


@_ad_jit
def _ad_axis_values(v, pre, post):
    """``v`` (one value per line, an array of the result's shape; or one number for all) as (pre, post)."""
    w = np.ascontiguousarray(np.asarray(v)).astype(np.float64)
    if w.size == 1 and pre * post != 1:
        return np.full((pre, post), w.ravel()[0])
    return w.reshape((pre, post))


@_ad_jit
def _ad_axis_adjoint_of(g, x, ans, axis, op, ddof):
    c, ax = _ad_axis_lines(x, axis)
    pre, post = c.shape[0], c.shape[2]
    return _ad_axis_adjoint(_ad_axis_values(g, pre, post), c, _ad_axis_values(ans, pre, post), op,
                            ddof).reshape(x.shape)


def _ad_axis_given(axis, x):
    return isinstance(axis, _ad_types.Integer) and isinstance(x, _ad_types.Array) and 1 <= x.ndim <= 3 \
        and isinstance(x.dtype, _ad_types.Float)


@_ad_overload(_ad_select_adjoint)
def _ad_select_adjoint_axis(g, x, ans, axis=None, keepdims=False):
    if not _ad_axis_given(axis, x):
        return None
    return lambda g, x, ans, axis=None, keepdims=False: _ad_axis_adjoint_of(g, x, ans, axis, 1, 0)


@_ad_overload(_ad_prod_adjoint)
def _ad_prod_adjoint_axis(g, a, axis=None, keepdims=False):
    if not _ad_axis_given(axis, a):
        return None
    return lambda g, a, axis=None, keepdims=False: _ad_axis_adjoint_of(g, a, g, axis, 3, 0)


@_ad_overload(_ad_var_adjoint)
def _ad_var_adjoint_axis(g, a, axis=None, ddof=0, keepdims=False):
    if not _ad_axis_given(axis, a):
        return None
    return lambda g, a, axis=None, ddof=0, keepdims=False: _ad_axis_adjoint_of(g, a, g, axis, 4, ddof)


@_ad_overload(_ad_std_adjoint)
def _ad_std_adjoint_axis(g, a, ans, axis=None, ddof=0, keepdims=False):
    if not _ad_axis_given(axis, a):
        return None
    return lambda g, a, ans, axis=None, ddof=0, keepdims=False: _ad_axis_adjoint_of(g, a, ans, axis, 5, ddof)
'''

_STUB = '''

def _ad_{op}_axis{k}(a, axis, ddof=0):
    return a


@_ad_overload(_ad_{op}_axis{k})
def _ad_{op}_axis{k}_typed(a, axis, ddof=0):
    if not isinstance(a, _ad_types.Array) or not 1 <= a.ndim <= 3 or not isinstance(a.dtype, {types}):
        return None
    if a.ndim == 1 and not {keep}:
        return lambda a, axis, ddof=0: _ad_{fold}(_ad_axis_lines(a, axis)[0], {code}{ddof})[0, 0]
    shape = {shapes}[a.ndim - 1]

    def run(a, axis, ddof=0):
        c, ax = _ad_axis_lines(a, axis)
        return _ad_{fold}(c, {code}{ddof}).reshape(shape(a, ax))
    return run
'''
_CODES = {"mean": 0, "max": 1, "min": 2, "prod": 3, "var": 4, "std": 5, "argmax": 6, "argmin": 7, "sum": 8}


def _stubs() -> str:
    out = []
    for op, code in _CODES.items():
        index = op.startswith("arg")
        for keep in ((True,) if op == "sum" else (False, True)):
            out.append(_STUB.format(
                op=op, k="_k" if keep else "", keep=keep, code=code, fold="axis_index" if index else "axis_fold",
                ddof="" if index else ", ddof", shapes="(_ad_axis_keep1, _ad_axis_keep2, _ad_axis_keep3)" if keep
                else "(None, _ad_axis_drop2, _ad_axis_drop3)",
                types="(_ad_types.Float, _ad_types.Integer)" if index else "_ad_types.Float"))
    return "".join(out)


AXES = _CORE + _stubs()
