"""numba_values: the calls of generated code that numba's numpy computes otherwise than
numpy (or Python) computes them, written as calls of the helpers that compute numpy's
values (``numba_linalg``, ``numba_shapes``, ``numba_guards``): ``np.linalg.norm`` (numba's,
of ``x[::-1]``, read other memory; its inf norm skips a nan), ``np.median`` (a nan ordered
among the numbers), ``np.tanh`` (of a complex number far out: nan), ``np.exp`` (of a complex number on
the real axis where it overflows: a nan imaginary part), ``np.arange`` (floats
stepped otherwise), ``np.argsort`` (ties ordered otherwise), ``np.argpartition`` (the sides of ``kth``), ``np.floor_divide`` and
``np.remainder`` of numbers (an infinite divisor, a zero's sign), and ``int``, ``round``,
``math.floor``/``ceil``/``trunc`` of a float (saturated beyond int64). Also ``x[...]``, which
numba does not lower, written out as ``x[:, :]`` (``ellipses``).
"""
from __future__ import annotations

import ast


def np_call(node, name: str, n: int) -> bool:
    """Whether ``node`` is ``np.<name>(...)`` with ``n`` arguments and no keyword."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        isinstance(node.func.value, ast.Name) and node.func.value.id == "np" and node.func.attr == name and \
        len(node.args) == n and not node.keywords


def numpys_values(node) -> None:
    """``node``, a call numba computes otherwise, made a call of the helper that computes numpy's value."""
    _to_int(node)
    _as_dtype(node)
    renamed = _renamed(node)
    if renamed is not None:
        node.func = ast.Name(renamed, ast.Load())


def _renamed(node) -> str | None:
    """The helper computing numpy's values for ``node``, or None."""
    f = getattr(node, "func", None) if isinstance(node, ast.Call) else None
    if isinstance(f, ast.Attribute) and f.attr == "norm" and isinstance(f.value, ast.Attribute) and \
            f.value.attr == "linalg" and isinstance(f.value.value, ast.Name) and f.value.value.id == "np":
        return "_ad_norm"
    if np_call(node, "median", 1) or np_call(node, "tanh", 1) or np_call(node, "argsort", 1) or np_call(node, "exp", 1):
        return "_ad_" + f.attr
    if np_call(node, "argpartition", 2):
        return "_ad_argpartition"
    if any(np_call(node, "arange", n) for n in (1, 2, 3)):
        return "_ad_arange"
    if np_call(node, "floor_divide", 2):   # (numba's of numbers: 5 // -inf was 0)
        return "_ad_floor_divide"
    if np_call(node, "remainder", 2) or np_call(node, "mod", 2):   # (numba's zero: +0.0 whatever the divisor)
        return "_ad_remainder"
    return None


def _to_int(node) -> None:
    """``int(x)``, ``round(x)``, ``math.floor(x)``... as ``_ad_to_int(x, "how")`` (numba's saturate beyond int64)."""
    if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
        return
    f = node.func
    how = f.id if isinstance(f, ast.Name) and f.id in ("int", "round") else f.attr if isinstance(
        f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "math" and f.attr in (
        "floor", "ceil", "trunc") else None
    if how is not None:
        node.func, node.args = ast.Name("_ad_to_int", ast.Load()), [node.args[0], ast.Constant(how)]


def ellipses(fn, kinds, namer) -> None:
    """``x[...]`` of an array of known rank r >= 1 in ``fn`` as ``x[:, ..., :]`` (numba lowers no ``...``)."""
    from ..transform.tape import tape_tag
    for node in ast.walk(fn):
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and node.slice.value is Ellipsis and isinstance(node.value, ast.Name):
            tag = tape_tag(kinds, namer, node.value.id) or ""
            rank = int(tag[1:-1]) if tag.startswith("a") and tag[1:-1].isdigit() else 0
            if rank >= 1:
                node.slice = ast.Slice() if rank == 1 else ast.Tuple([ast.Slice() for _ in range(rank)], ast.Load())


def _as_dtype(node) -> None:
    """``np.array(x, dtype=d)`` of one value (``x.astype(d)`` as the frontend writes it) as
    ``_ad_as_dtype(x, d)``: numba's ``np.array`` takes no array."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "array" \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "np" and len(node.args) == 1 \
            and [k.arg for k in node.keywords] == ["dtype"] and not isinstance(node.args[0], (ast.List, ast.Tuple)):
        node.func, node.args, node.keywords = ast.Name("_ad_as_dtype", ast.Load()), [node.args[0], node.keywords[0].value], []
