"""finite: the names that may hold an infinite or nan value while the arguments
are finite (a division, a power, a function that can overflow or leave its
domain, and whatever is computed from one of those).

The reverse sweep multiplies a number's adjoint by its partial derivatives; a
number no path to the result reads (``inv = 1 / d`` computed at ``d == 0``, on
a branch not taken) has adjoint 0, and ``0 * inf`` is nan. The terms whose
factors may be infinite are zeroed where the adjoint is 0
(``transform/simplify.zero_where_unread``); the others are left as products.
"""
from __future__ import annotations

import ast

import numpy as np

#: functions finite on finite arguments (by name: numpy's, math's and builtins')
_FINITE_CALLS = frozenset({
    "sin", "cos", "tanh", "abs", "absolute", "fabs", "sign", "real", "imag", "conj", "conjugate", "float",
    "int", "min", "max", "minimum", "maximum", "fmin", "fmax", "sum", "cumsum", "dot", "matmul", "einsum",
    "len", "range", "copy", "array", "asarray", "zeros", "ones", "zeros_like", "ones_like", "empty_like",
    "full", "full_like", "where", "clip", "transpose", "reshape", "ravel", "stack", "concatenate", "hstack",
    "vstack", "roll", "flip", "diag", "outer", "trace", "square", "negative", "positive", "round", "floor",
    "ceil", "trunc", "arctan", "arctan2", "erf", "expit", "sort", "take", "broadcast_to", "ndtr",
    "_ad_copy", "_ad_stack_items", "_ad_list_items",
})


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None


def _unsafe(e, names: set) -> bool:
    for n in ast.walk(e):
        if isinstance(n, ast.Name) and n.id in names:
            return True
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)):
            return True
        if isinstance(n, ast.Call) and _call_name(n) not in _FINITE_CALLS:
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, float) and not np.isfinite(n.value):
            return True
    return False


def _stored(t) -> list:
    """The names a target binds or writes into (``x``, ``a, b``, ``x[i]``)."""
    while isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
        t = t.value
    if isinstance(t, (ast.Tuple, ast.List)):
        return [n for e in t.elts for n in _stored(e)]
    return [t.id] if isinstance(t, ast.Name) else []


def may_be_nonfinite(body: list, memory_of: dict, kinds: dict, given: frozenset = frozenset()) -> set:
    """The names of ``body`` (a normalized function body) that may hold an
    infinite or nan number, or an array with one, where the arguments are finite
    (``memory_of``: a name's memory; a write through a view marks every name of it)."""
    names: set = set(given)   # (a helper's parameters: its caller may pass a number it does not read)
    sharing: dict = {}
    for n, m in memory_of.items():
        sharing.setdefault(m, set()).update((n, m))
    stmts = [s for s in ast.walk(ast.Module(body=list(body), type_ignores=[])) if isinstance(s, ast.stmt)]
    changed = True
    while changed:   # to a fixed point
        changed = False
        for s in stmts:
            if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and s.value is not None:
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                value = s.value if not isinstance(s, ast.AugAssign) else ast.BinOp(s.target, s.op, s.value)
            elif isinstance(s, ast.For):
                targets, value = [s.target], s.iter
            elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):   # (L.append(v), np.add.at(a, i, v))
                f = s.value.func
                targets = [f.value] if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else []
                targets += [a for a in s.value.args if isinstance(a, ast.Name) and getattr(
                    kinds.get(a.id), "cls", "array") in ("array", "num", "other", "tuple")]   # (arrays it may write)
                value = s.value
            else:
                continue
            if _unsafe(value, names):
                for n in (n for t in targets for n in _stored(t)):
                    for m in sharing.get(memory_of.get(n, n), set()) | {n}:
                        if m not in names:
                            names.add(m)
                            changed = True
    return names


def reads_values(expr, g, risks=None) -> bool:
    """Whether the adjoint term ``expr`` reads a value besides ``g`` that may be
    infinite or nan where it is not read (an operand or the result, ``g * x2`` of a
    product with ``x2 = 1 / d`` at ``d == 0`` on a branch not taken: of ``risks``,
    or any where None), or divides. A term of ``g`` and constants does not."""
    own = {n.id for n in ast.walk(g) if isinstance(n, ast.Name)}
    return any(isinstance(n, ast.Name) and n.id not in own | {"np", "math"} and (risks is None or n.id in risks)
               for n in ast.walk(expr)) or any(
        isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)) and not _finite_op(n)
        for n in ast.walk(expr)) or any(
        isinstance(n, ast.Call) for n in ast.walk(expr))


def _finite_op(n: ast.BinOp) -> bool:
    """A division by a constant other than 0, or a power to a constant non-negative integer."""
    r = n.right
    if not (isinstance(r, ast.Constant) and type(r.value) in (int, float)):
        return False
    if isinstance(n.op, ast.Pow):
        return float(r.value).is_integer() and r.value >= 0
    return r.value != 0


#: functions flat far out (their partial is 0 at an infinite argument): exp(-inf), tanh(inf)...
_SATURATING = frozenset({"exp", "exp2", "expm1", "tanh", "arctan", "arctanh", "expit", "erf", "erfc", "ndtr", "logaddexp",
                         "logaddexp2", "log_expit", "sigmoid", "softmax", "log_softmax", "logsumexp", "reciprocal"})


def saturated_inputs(body: list) -> set:
    """The names passed to a function flat far out (``exp``, ``tanh``...) or
    divided by: an infinite value there (``exp(t * inv_g)`` with ``t = -inf`` from
    a masked array argument) has a zero adjoint, and the terms of the statement
    that computes it multiply that 0 by the infinite operand."""
    out = set()
    for n in ast.walk(ast.Module(body=list(body), type_ignores=[])):
        if isinstance(n, ast.Call) and _call_name(n) in _SATURATING:
            out |= {a.id for a in n.args if isinstance(a, ast.Name)}
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) and isinstance(n.right, ast.Name):
            out.add(n.right.id)
    return out
