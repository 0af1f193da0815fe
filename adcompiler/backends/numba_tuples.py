"""numba_tuples: tuples of numbers that carry derivatives, as numba types them.

A helper returning several numbers (``return m, s``; ``a, b = step(a, b, x[i])``) gives the numpy
backend's code a tuple whose adjoint is a Python list grown by ``_ad_tadd`` and read by ``_ad_tget``
(``0.0`` standing for all zeros), and a tuple the reverse sweep restores from the tape's list. numba
types each variable once, so here, where the tuple's elements are floats, ints, bools or float arrays
of known rank (its kind says how many): its adjoint is a tuple of as many floats and arrays from its
first binding on (``0.0`` is ``(0.0, np.zeros_like(t[1]))``), ``_ad_tadd(d, k, g, n)`` builds the next
tuple (``(d[0], d[1] + g)``), ``_ad_tget(d, k)`` is ``d[k]``, ``_ad_tplus`` adds two element by
element; the tuple itself goes to the typed tape element by element and comes back as a tuple of its
elements. A tuple holding complex numbers, int arrays or other tuples keeps the helpers, which numba
refuses (with the user's line).
"""
from __future__ import annotations

import ast
import copy

from ..analysis.infer import _SAVE as _SAVED

#: the typed tape's tag of a tuple element of each kind
_TAGS = {"float": "f", "int": "i", "bool": "b"}


def scalar_tuple(kind) -> tuple | None:
    """The tape tags of the elements of a tuple of real numbers and float arrays of known rank
    of kind ``kind`` (``("f", "i", "a1f")``), else None."""
    if kind is None or kind.cls != "tuple" or not kind.elts or kind.ragged or kind.weak:
        return None
    tags = []
    for e in kind.elts:
        if e is not None and e.cls == "array" and e.dtype == "f" and e.ndim:
            tags.append(f"a{e.ndim}f")
            continue
        if e is None or e.cls not in _TAGS or e.dtype == "c":
            return None
        tags.append(_TAGS[e.cls])
    return tuple(tags)


def saved_kind(kinds, name):
    """The kind of ``name``, or of the name whose value ``name`` saves (``_s1_t1``: ``_t1``'s)."""
    k = kinds.get(name)
    m = _SAVED.match(name) if k is None or k.weak or k.cls != "tuple" else None
    return (kinds.get(m.group(1)) or kinds.get("_" + m.group(1))) if m else k   # (``_s1_t1`` saves ``_t1``)


def _is_zero(e) -> bool:
    return isinstance(e, ast.Constant) and e.value == 0.0 and not isinstance(e.value, bool)


def _item(name, k: int):
    return ast.Subscript(ast.Name(name, ast.Load()), ast.Constant(k), ast.Load())


def _call_of(e, name) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == name and not e.keywords


def _operand(e) -> bool:
    return isinstance(e, ast.Name) or _is_zero(e)


class TupleAdjoints(ast.NodeTransformer):
    """Rewrites one function's adjoints of tuples (see the module's doc). The zero of an array
    element is ``np.zeros_like`` of the tuple's element (the primal's, or for the adjoint of the
    function's result, which its reverse half has no primal of, the adjoint's own)."""

    def __init__(self, kind_of, adjoints, fn, primal_of, ret_adjoint):
        self.kind_of = kind_of       # a name's kind (an adjoint: its primal's)
        self.adjoints = adjoints & _tupled(fn)   # the names of adjoints the tuple helpers meet
        self.primal_of, self.ret_adjoint = primal_of, ret_adjoint
        self.bound = {a.arg for a in fn.args.args} | {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)
                                                      and isinstance(n.ctx, ast.Store)}
        self.first = {}   # a name -> the statement binding it first
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.first.setdefault(node.targets[0].id, node)

    def tags(self, name) -> tuple | None:
        return scalar_tuple(self.kind_of(name)) if name in self.adjoints else None

    def zero(self, target, tags, j, s):
        """The zero of element ``j`` of the adjoint ``target`` in the statement ``s``: of an array
        element, the zeros of the tuple's element, or where the function holds no such tuple (its
        unused part, ``_, s = f(x)``, in a reverse half) a 0-d zero, which adds as all zeros."""
        if tags[j][0] != "a":
            return ast.Constant(0.0)
        np_ = ast.Name("np", ast.Load())
        like = target if target == self.ret_adjoint and self.first.get(target) is not s else self.primal_of(target)
        if like is None or like not in self.bound:
            return ast.Call(ast.Attribute(np_, "zeros", ast.Load()), [ast.Tuple([], ast.Load())], [])
        return ast.Call(ast.Attribute(np_, "zeros_like", ast.Load()), [_item(like, j)], [])

    def element(self, d, target, tags, j, s):
        """Element ``j`` of the adjoint ``d`` (a name, or the zero constant) of ``target``'s tuple."""
        return self.zero(target, tags, j, s) if _is_zero(d) else _item(d.id, j)

    def visit_Assign(self, s):
        self.generic_visit(s)
        t = s.targets[0] if len(s.targets) == 1 else None
        tags = self.tags(t.id) if isinstance(t, ast.Name) else None
        if tags is None:
            return s
        n, v, elts = len(tags), s.value, None
        if _is_zero(v):
            elts = [self.zero(t.id, tags, j, s) for j in range(n)]
        elif _call_of(v, "_ad_tadd") and len(v.args) == 4 and _operand(v.args[0]) and \
                _index(v.args[1], n) is not None and isinstance(v.args[3], ast.Constant) and v.args[3].value == n \
                and not (isinstance(v.args[2], ast.Name) and self.tags(v.args[2].id)):
            prev, k, g = v.args[0], _index(v.args[1], n), v.args[2]
            elts = [self.element(prev, t.id, tags, j, s) for j in range(n)]
            elts[k] = g if _is_zero(prev) else ast.BinOp(elts[k], ast.Add(), g)
        elif _call_of(v, "_ad_tplus") and len(v.args) == 2 and all(isinstance(a, ast.Name) for a in v.args):
            elts = [ast.BinOp(_item(v.args[0].id, j), ast.Add(), _item(v.args[1].id, j)) for j in range(n)]
        if elts is not None and all(e is not None for e in elts):
            s.value = ast.Tuple(elts, ast.Load())
        return s

    def visit_Call(self, c):
        self.generic_visit(c)
        if _call_of(c, "_ad_tget") and len(c.args) == 2 and isinstance(c.args[0], ast.Name) \
                and self.tags(c.args[0].id) and _index(c.args[1], len(self.tags(c.args[0].id))) is not None:
            return _item(c.args[0].id, _index(c.args[1], len(self.tags(c.args[0].id))))
        return c


def _index(e, n: int) -> int | None:
    """The element ``e`` (a constant, ``-1`` too) selects of a tuple of ``n``, or None."""
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant):
        k = -e.operand.value
    elif isinstance(e, ast.Constant):
        k = e.value
    else:
        return None
    return k % n if type(k) is int and -n <= k < n else None


def _tupled(fn) -> set:
    """The names ``fn``'s tuple helpers read or bind, and those copied to or from them
    (``_d_ret = dret``, ``_d_t1 = dr``), and those bound to a tuple display (forward mode's
    tangents): the others keep their zeros (an adjoint of a tuple
    nothing adds to or reads, passed on as it is)."""
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and (any(_call_of(node.value, h) for h in ("_ad_tadd", "_ad_tplus"))
                                             or isinstance(node.value, ast.Tuple)):   # (a tangent, forward)
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        if any(_call_of(node, h) for h in ("_ad_tadd", "_ad_tget", "_ad_tplus")):
            names |= {a.id for a in node.args[:1 if node.func.id != "_ad_tplus" else 2] if isinstance(a, ast.Name)}
    copies = [(s.targets[0].id, s.value.id) for s in ast.walk(fn) if isinstance(s, ast.Assign)
              and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name)]
    grown = True
    while grown:
        grown = False
        for a, b in copies:
            if (a in names) != (b in names):
                names |= {a, b}
                grown = True
    return names


def tuple_adjoints(fn, kind_of, namer) -> None:
    """Rewrite ``fn``'s adjoints of tuples in place (``namer``: the function's names)."""
    primal = {a: p for p, a in namer.adjoints.items()}
    TupleAdjoints(kind_of, set(primal), fn, primal.get, namer.adjoints.get(namer.ret)).visit(fn)


def tuple_push(value, tags, push_one) -> list:
    """The pushes of the elements of the tuple ``value`` (a name): ``push_one(expr, tag)`` each."""
    out = []
    for k, tag in enumerate(tags):
        out += push_one(ast.Subscript(ast.Name(value.id, ast.Load()), ast.Constant(k), ast.Load()), tag)
    return out


def tuple_pop(target, tags, pop_one, temp) -> list:
    """The pops of the elements of a tuple pushed by ``tuple_push``, last first, into ``temp(k)``
    names, then ``target`` bound to the tuple of them."""
    out, names = [], [temp(k) for k in range(len(tags))]
    for k in reversed(range(len(tags))):
        out += pop_one(ast.Name(names[k], ast.Store()), tags[k])
    return out + [ast.Assign([target], ast.Tuple([ast.Name(n, ast.Load()) for n in names], ast.Load()))]


def tuple_placeholder(tags) -> ast.Tuple:
    """A tuple of zeros of the elements' types, empty arrays for arrays (what a ``x = None``
    placeholder of such a tuple becomes)."""
    zero = {"f": 0.0, "i": 0, "b": False}
    return ast.Tuple([ast.Constant(zero[t]) if t in zero else ast.Call(
        ast.Attribute(ast.Name("np", ast.Load()), "zeros", ast.Load()),
        [ast.Tuple([ast.Constant(0)] * int(t[1:-1]), ast.Load())], []) for t in tags], ast.Load())


def tagged(call, tag):
    """A copy of the tape call ``call`` whose value goes to the stack of ``tag``."""
    new = copy.copy(call)
    new.tape_tag = tag
    return new
