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
import builtins
import math

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


def _unsafe(e, names: set, bounds: dict, written=False) -> bool:
    """Whether ``e`` may be infinite or nan (``written``: only from an infinite or nan
    number written in the code, ``np.inf``, or a name holding one)."""
    for n in ast.walk(e):
        if isinstance(n, ast.Name) and n.id in names:
            return True
        if _infinite_literal(n):
            return True
        if written:
            continue
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)) \
                and not _bounded_op(n, bounds):
            return True
        if isinstance(n, ast.Call) and _call_name(n) not in _FINITE_CALLS and not _bounded_call(n, bounds):
            return True
    return False


def _infinite_literal(n) -> bool:
    """``inf``, ``np.inf``, ``math.nan``, ``float("inf")``: an infinite or nan number written in the code."""
    if isinstance(n, ast.Constant):
        return isinstance(n.value, float) and not np.isfinite(n.value)
    if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ("np", "numpy", "math"):
        return n.attr in ("inf", "nan", "Inf", "NaN", "NAN", "Infinity", "PINF", "NINF", "infty")
    return isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "float" and len(n.args) == 1 \
        and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str) \
        and n.args[0].value.strip().lstrip("+-").lower() in ("inf", "infinity", "nan")


def _stored(t) -> list:
    """The names a target binds or writes into (``x``, ``a, b``, ``x[i]``)."""
    while isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
        t = t.value
    if isinstance(t, (ast.Tuple, ast.List)):
        return [n for e in t.elts for n in _stored(e)]
    return [t.id] if isinstance(t, ast.Name) else []


def may_be_nonfinite(body: list, memory_of: dict, kinds: dict, given: frozenset = frozenset(),
                     params=(), written=False) -> set:
    """The names of ``body`` (a normalized function body) that may hold an
    infinite or nan number, or an array with one, where the arguments are finite
    (``memory_of``: a name's memory; a write through a view marks every name of it; ``params``:
    the function's parameters; ``written``: only those holding one the code writes, ``np.inf``
    (a boundary of dynamic programming, ``np.full((n, m), np.inf)``), or computed from one)."""
    names: set = set(given)   # (a helper's parameters: its caller may pass a number it does not read)
    bounds = lower_bounds(body, kinds, params) if not written else {}
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
            if _unsafe(value, names, bounds, written):
                for n in (n for t in targets for n in _stored(t)):
                    for m in sharing.get(memory_of.get(n, n), set()) | {n}:
                        if m not in names:
                            names.add(m)
                            changed = True
    return names


def reads_values(expr, g, risks=None, bounds=None) -> bool:
    """Whether the adjoint term ``expr`` reads a value besides ``g`` that may be
    infinite or nan where it is not read (an operand or the result, ``g * x2`` of a
    product with ``x2 = 1 / d`` at ``d == 0`` on a branch not taken: of ``risks``,
    or any where None), or divides (by what ``bounds``, from ``lower_bounds``, does not
    keep away from 0). A term of ``g`` and constants does not, nor one that chooses between ``g``
    and a constant (``np.where(c, g, 0.0)``: multiplying nothing)."""
    if _selects(expr, g):
        return False
    own = {n.id for n in ast.walk(g) if isinstance(n, ast.Name)}
    ops = [_as_operation(n) for n in ast.walk(expr)]
    return any(isinstance(n, ast.Name) and n.id not in own | {"np", "math"} and (risks is None or n.id in risks)
               for n in ast.walk(expr)) or any(
        isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)) and not _finite_op(n)
        and not _bounded_op(n, bounds or {}) for n in ops) or any(isinstance(n, ast.Call) for n in ops)


def _selects(expr, g) -> bool:
    """``np.where(c, g, 0.0)`` or ``np.where(c, 0.0, g)``."""
    f = getattr(expr, "func", None)
    if not (isinstance(expr, ast.Call) and isinstance(f, ast.Attribute) and f.attr == "where"
            and isinstance(f.value, ast.Name) and f.value.id == "np" and len(expr.args) == 3):
        return False
    chosen = [ast.dump(a) == ast.dump(g) for a in expr.args[1:]]
    return any(chosen) and all(c or isinstance(a, ast.Constant) for c, a in zip(chosen, expr.args[1:]))


def _as_operation(n):
    """``np.divide(a, b)`` and ``np.power(a, b)`` as the operations ``a / b`` and ``a ** b``, and
    ``_ad_np_number(v)`` (a number a rule divides by read as numpy's, ``FormBuilder.numpy_divisors``)
    as a constant; any other node as it is."""
    f = getattr(n, "func", None)
    if isinstance(n, ast.Call) and isinstance(f, ast.Name) and f.id == "_ad_np_number" and len(n.args) == 1:
        return ast.Constant(1.0)   # (its argument, a name, is walked on its own)
    if isinstance(n, ast.Call) and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
            and f.value.id == "np" and not n.keywords and f.attr in ("divide", "power") and len(n.args) == 2:
        return ast.BinOp(n.args[0], ast.Div() if f.attr == "divide" else ast.Pow(), n.args[1])
    return n


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


def lower_bounds(body: list, kinds: dict, params=()) -> dict:
    """``{name: b}`` for the float names of ``body`` every binding of which gives a
    number at least ``b`` where the arguments are finite (``r2 = dx * dx + dy * dy + 0.1``:
    0.1; ``s = np.sqrt(r2)``: its root): a division by one, or its root or logarithm, is
    finite. Names bound otherwise (a parameter, a loop's variable, ``+=``, an unpacking)
    have none."""
    binds: dict = {}
    plain: set = set()   # (the target nodes of those bindings)
    tree = ast.Module(body=list(body), type_ignores=[])
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            binds.setdefault(n.targets[0].id, []).append(n.value)
            plain.add(id(n.targets[0]))
    other = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
             and id(n) not in plain} | {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)} | set(params)
    candidates = {k: v for k, v in binds.items() if k not in other and getattr(kinds.get(k), "cls", None) == "float"
                  and getattr(kinds.get(k), "dtype", None) != "c"}   # (real numbers: z * z of a complex z is not >= 0)
    bounds: dict = {}
    changed = True
    while changed:   # (from none: a name is bounded once all its values are, by names bounded before)
        changed = False
        for name, values in candidates.items():
            if name in bounds:
                continue
            found = [lower_bound(v, bounds) for v in values]
            if all(b is not None for b in found):
                bounds[name] = min(found)
                changed = True
    return bounds


def _same(a, b) -> bool:
    return ast.dump(a) == ast.dump(b)


def lower_bound(e, bounds: dict):
    """A number ``e`` is at least (where the arguments are finite; None: not known)."""
    if isinstance(e, ast.Constant) and type(e.value) in (int, float):
        return float(e.value) if np.isfinite(e.value) else None
    if isinstance(e, ast.Name):
        return bounds.get(e.id)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.UAdd):
        return lower_bound(e.operand, bounds)
    if isinstance(e, ast.IfExp):
        a, b = lower_bound(e.body, bounds), lower_bound(e.orelse, bounds)
        return None if a is None or b is None else min(a, b)
    if isinstance(e, ast.BinOp):
        if isinstance(e.op, ast.Mult) and _same(e.left, e.right):
            return 0.0
        if isinstance(e.op, ast.Pow) and isinstance(e.right, ast.Constant) and type(e.right.value) in (int, float) \
                and float(e.right.value).is_integer() and e.right.value % 2 == 0 and e.right.value >= 0:
            return 0.0
        a, b = lower_bound(e.left, bounds), lower_bound(e.right, bounds)
        if a is None or b is None:
            return None
        if isinstance(e.op, ast.Add):
            return a + b
        if isinstance(e.op, ast.Mult) and a >= 0 and b >= 0:
            return a * b
        if isinstance(e.op, ast.Div) and a >= 0 and b > 0:
            return 0.0
        return None
    if isinstance(e, ast.Call) and not e.keywords and len(e.args) in (1, 2):
        name = _bounding_call(e)
        args = [lower_bound(a, bounds) for a in e.args]
        if len(e.args) == 2:
            if name == "max":
                known = [a for a in args if a is not None]
                return max(known) if known else None
            return 0.0 if name == "hypot" else None
        if name in ("exp", "square"):
            return 0.0
        if name == "abs":
            return max(0.0, args[0] or 0.0)
        if name == "cosh":
            return 1.0
        if name == "sqrt" and args[0] is not None and args[0] >= 0:
            return float(np.sqrt(args[0]))
    return None


def _bounding_call(call: ast.Call) -> str | None:
    """The name ``lower_bound`` knows the function of ``call`` by (``max``: of two numbers,
    ``np.maximum`` or the builtin; not ``np.max(x, axis)``), from the function the call was
    resolved to, or else from a numpy or math attribute."""
    from ..frontend import notes
    fn = notes.target(call)
    if fn is None and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
            and call.func.value.id in ("np", "numpy", "math"):
        fn = getattr(np if call.func.value.id != "math" else math, call.func.attr, None)
    elif fn is None and isinstance(call.func, ast.Name) and call.func.id in ("abs", "max"):
        fn = getattr(builtins, call.func.id)
    try:
        return _BOUNDING.get(fn)
    except TypeError:   # (an unhashable callable)
        return None


#: the functions ``lower_bound`` knows, by the name it knows them by
_BOUNDING = {np.sqrt: "sqrt", math.sqrt: "sqrt", np.exp: "exp", math.exp: "exp", np.square: "square",
             np.abs: "abs", np.fabs: "abs", math.fabs: "abs", builtins.abs: "abs", np.cosh: "cosh",
             math.cosh: "cosh", np.maximum: "max", np.fmax: "max", builtins.max: "max", np.hypot: "hypot",
             math.hypot: "hypot", np.log: "log", math.log: "log"}


#: the smallest lower bound a divisor may have: the partials of a division by a
#: number at least this (powers of its inverse up to the tenth) stay finite
_TINY = 1e-30


def kept_from_zero(e, bounds: dict) -> bool:
    """Whether ``e`` is kept at least ``_TINY`` away from 0 where the arguments are finite (``lower_bounds``)."""
    b = lower_bound(e, bounds)
    return b is not None and b >= _TINY


def _bounded_op(n: ast.BinOp, bounds: dict) -> bool:
    """A division by a number kept away from 0 (``lower_bounds``), or a power of one
    (to a constant exponent no larger than 8 in size)."""
    if isinstance(n.op, ast.Div):
        b = lower_bound(n.right, bounds)
        return b is not None and b >= _TINY
    if isinstance(n.op, ast.Pow) and isinstance(n.right, ast.Constant) and type(n.right.value) in (int, float) \
            and abs(n.right.value) <= 8:
        b = lower_bound(n.left, bounds)
        return b is not None and b >= _TINY
    return False


def _bounded_call(n: ast.Call, bounds: dict) -> bool:
    """The root of a number at least 0, or the logarithm of one kept away from 0."""
    if len(n.args) != 1 or n.keywords:
        return False
    b = lower_bound(n.args[0], bounds)
    name = _bounding_call(n)
    return b is not None and (b >= 0 if name == "sqrt" else b >= _TINY if name == "log" else False)


def where_branches(body: list, sinks=frozenset()) -> set:
    """The names whose values are read only as a branch of ``np.where`` (``np.where(z >= 0, a, b)``),
    or only to compute such names (bound, stored into or updated in place; a comparison reading
    them passes nothing on): where the other branch is taken their adjoint is 0, and a term that
    multiplies that 0 by an infinite partial (``np.exp(z)`` of the branch not taken, overflowing)
    must stay 0 (the stable sigmoid's gradient was nan there). ``sinks``: names taken for such
    branches (a helper's result, whose caller's adjoint may be 0 where it reads nothing)."""
    from ..frontend import notes
    stmts = [n for n in ast.walk(ast.Module(body=list(body), type_ignores=[])) if isinstance(n, ast.stmt)]
    reads: dict = {}   # name -> [(statement, how: "branch" of a where, "compared", or None)]
    for s in stmts:
        if isinstance(s, (ast.For, ast.While, ast.If)):   # (their own expressions only)
            parts = [s.iter, s.target] if isinstance(s, ast.For) else [s.test]
        else:
            parts = [s]
        v = s.value if isinstance(s, ast.Assign) else None
        branch = isinstance(v, ast.Call) and notes.target(v) is np.where and len(v.args) == 3 and not v.keywords
        compared = isinstance(v, ast.Compare)   # (a condition: no derivative passes through it)
        for part in parts:
            for n in ast.walk(part):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    chosen = branch and n in v.args[1:] and not any(
                        isinstance(m, ast.Name) and m.id == n.id for m in ast.walk(v.args[0]))
                    reads.setdefault(n.id, []).append((s, "branch" if chosen else "compared" if compared else None))

    def target(s):   # (the name a statement binds or writes into: ``t[:] = v``, ``a *= 2.0``)
        t = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else \
            s.target if isinstance(s, ast.AugAssign) else None
        t = t.value if isinstance(t, ast.Subscript) else t
        return t.id if isinstance(t, ast.Name) else None
    out = set(reads) | set(sinks)
    changed = True
    while changed:   # (the largest set: each name read only as a branch, or into the set's names)
        changed = False
        for n in list(out - set(sinks)):
            if not all(how or target(s) in out for s, how in reads[n]):
                out.discard(n)
                changed = True
    kept = {n for n in out if any(how == "branch" for _, how in reads.get(n, ()))} | set(sinks)
    changed = True
    while changed:   # (of those, the ones a branch reads, or read into those: ``out[:] = out * v`` is not one)
        changed = False
        for n in out - kept:
            if any(target(s) in kept for s, how in reads[n] if how is None):
                kept.add(n)
                changed = True
    return kept


_ROOTS = (np.sqrt, np.cbrt, math.sqrt)
_PRODUCTS = (np.dot, np.matmul, np.inner, np.vdot, np.einsum, np.tensordot, np.outer)
_SUMMED = (np.sum, np.add, np.subtract, np.negative, np.mean, np.copy, np.ravel, np.reshape, np.transpose,
           np.add.reduce)


def _number(e):
    """The value of ``e``, numbers added, subtracted, multiplied and divided (``1 / 2``), else None."""
    if isinstance(e, ast.Constant):
        return e.value if type(e.value) in (int, float) else None
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        v = _number(e.operand)
        return None if v is None else -v if isinstance(e.op, ast.USub) else v
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _number(e.left), _number(e.right)
        if a is None or b is None or isinstance(e.op, ast.Div) and b == 0:
            return None
        return a + b if isinstance(e.op, ast.Add) else a - b if isinstance(e.op, ast.Sub) else \
            a * b if isinstance(e.op, ast.Mult) else a / b
    return None


def _fraction(e, numbers=None) -> bool:
    """A number between 0 and 1 written out (``0.5``, ``1 / 2``; ``numbers``: names bound to such)."""
    if isinstance(e, ast.Name) and numbers and e.id in numbers:
        e = numbers[e.id]
    v = _number(e)
    return v is not None and 0 < v < 1


def root_arguments(body: list, bounds: dict) -> set:
    """The names whose adjoint may be infinite where the function is smooth: the argument of a
    root (``r = np.sqrt(q)`` at ``q = 0``: ``dq = dr / (2 r)``, inf; a fractional power), but one
    ``bounds`` keeps away from 0, and the names summed into one (``q = a + b``, ``np.sum(a)``,
    ``-a``, a copy, an element or view, ``2.0 * a``, ``a / 2.0``), or multiplied into one by a product that is not
    elementwise (``np.dot(d, d)``, ``a @ b``: their terms go through ``_ad_unread_term``; not
    ``np.einsum``'s, a sequence). A term multiplying that inf by a partial that is 0 there (``a = d * d``
    at ``d = 0``: the distance of a point to itself, whose root is constant) must be 0, not nan."""
    from ..frontend import notes
    assigns = [n for n in ast.walk(ast.Module(body=list(body), type_ignores=[]))
               if isinstance(n, (ast.Assign, ast.AugAssign))]

    def target(s):
        t = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else getattr(s, "target", None)
        t = t.value if isinstance(t, ast.Subscript) else t
        return t.id if isinstance(t, ast.Name) else None

    def names(*es):
        return {e.id for e in es if isinstance(e, ast.Name)}
    bound: dict = {}
    for s in assigns:
        if isinstance(s, ast.Assign) and target(s) is not None and isinstance(s.targets[0], ast.Name):
            bound.setdefault(target(s), []).append(s.value)
    numbers = {n: vs[0] for n, vs in bound.items() if len(vs) == 1}   # (``_t1 = 1 / 2`` of an exponent)
    out = set()
    for s in assigns:
        v = s.value
        if isinstance(v, ast.Call) and notes.target(v) in _ROOTS and v.args:
            out |= {n for n in names(v.args[0]) if not bounds.get(n, 0.0) >= _TINY}
        elif isinstance(v, ast.BinOp) and isinstance(v.op, ast.Pow) and _fraction(v.right, numbers) or \
                isinstance(v, ast.Call) and notes.target(v) in (np.power, np.float_power, math.pow) and len(v.args) == 2 \
                and _fraction(v.args[1], numbers):
            base = v.left if isinstance(v, ast.BinOp) else v.args[0]
            out |= {n for n in names(base) if not bounds.get(n, 0.0) >= _TINY}
    changed = True
    while changed:   # (the names summed into those)
        changed, before = False, len(out)
        for s in assigns:
            if target(s) not in out:
                continue
            v = s.value
            if isinstance(s, ast.AugAssign) and isinstance(s.op, (ast.Add, ast.Sub)) or isinstance(v, ast.Name):
                out |= names(v)
            elif isinstance(v, ast.BinOp) and isinstance(v.op, (ast.Add, ast.Sub)):
                out |= names(v.left, v.right)
            elif isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.USub):
                out |= names(v.operand)
            elif isinstance(v, ast.Call) and notes.target(v) in _SUMMED:
                out |= names(*v.args[:2])
            elif isinstance(v, ast.Subscript):   # (an element or a view: q = t[..., 0, 0])
                out |= names(v.value)
            elif isinstance(v, ast.BinOp) and isinstance(v.op, (ast.Mult, ast.Div)):   # (scaled by a number: 2.0 * q)
                scale = [_number(numbers.get(e.id, e) if isinstance(e, ast.Name) else e) for e in (v.left, v.right)]
                out |= names(v.left) if scale[1] else names(v.right) if scale[0] and isinstance(v.op, ast.Mult) else set()
            elif isinstance(v, ast.BinOp) and isinstance(v.op, ast.MatMult) or \
                    isinstance(v, ast.Call) and notes.target(v) in _PRODUCTS:   # (their terms: _ad_unread_term)
                out |= names(*((v.left, v.right) if isinstance(v, ast.BinOp) else v.args))
        changed = len(out) != before
    return out
