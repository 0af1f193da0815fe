"""zeros: the first accumulation into an adjoint known to be zero is an assignment.

The reverse sweep keeps the adjoint of each number in a variable it sets to
0.0 where the number's value is overwritten (and before the sweep), and adds
each use's term into it: ``dw = dw + g * dy``. Where every path reaching
the addition leaves ``dw`` at the constant 0.0, the addition is ``dw = g *
dy``: one floating-point addition less per use, which no compiler makes
itself (``0.0 + x`` is not ``x`` for ``x = -0.0``; the adjoint's sign of zero
does not matter). In an element loop (the particle force loop: eight
adjoints reset at each pair) that is a measurable part of the reverse sweep.

A forward dataflow over the statements (branches joined by intersection,
loops to a fixed point; ``break``/``continue`` leave every name the loop
binds unknown). An adjoint is assigned only a term that is new memory or an
immutable number (an arithmetic expression, not a name or a call that may
return memory it shares: ``_ad_unbroadcast(g, x)`` returns ``g`` itself), so
it never aliases memory; the adjoint of a number (by the primal's kind) also
an element ``dx[i, j]`` (not ``dx[i, ...]``, a 0-d view).
"""
from __future__ import annotations

import ast


def assign_first_terms(code: list, adjoints: set, numbers: set = frozenset()) -> list:
    """``code`` with each ``d = d + e`` where ``d`` (one of ``adjoints``) is
    0.0 on every path into it rewritten to ``d = e`` (in place) where ``e`` is
    new memory or an immutable number; ``numbers``: the adjoints of numbers,
    which may also be assigned an element ``dx[i, j]``."""
    _Flow(adjoints, numbers).block(code, frozenset(), rewrite=True)
    return code


def _zero(e) -> bool:
    return isinstance(e, ast.Constant) and type(e.value) in (int, float) and e.value == 0


def _fresh(e) -> bool:
    """An expression whose value is new memory or an immutable number."""
    if isinstance(e, (ast.BinOp, ast.UnaryOp)) or _zero(e) or isinstance(e, ast.Constant) and type(e.value) is float:
        return True
    if isinstance(e, ast.IfExp):
        return all(_fresh(b) or _zero(b) for b in (e.body, e.orelse))
    if not (isinstance(e, ast.Call) and isinstance(e.func, ast.Name)):
        return False
    # (what a new value unbroadcast is: the value itself, or a new reduced array)
    return e.func.id in _NEW_MEMORY or e.func.id == "_ad_unbroadcast" and len(e.args) == 2 and _fresh(e.args[0])


#: helpers whose result is always new memory or a number, on both backends (a product, a
#: matrix product, or a sum of one)
_NEW_MEMORY = frozenset({"_ad_matmul_adjoint_a", "_ad_matmul_adjoint_b", "_ad_select_adjoint"})


def _element(e) -> bool:
    """``x[i, j]``, integers and names only in the index: for the adjoint of a number, an element
    (a copy). Not ``x[i, ...]``, a 0-d view that a later ``x[...] = 0.0`` would zero too."""
    if not isinstance(e, ast.Subscript):
        return False
    parts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
    return all(isinstance(p, (ast.Name, ast.BinOp)) or isinstance(p, ast.Constant) and type(p.value) is int
               for p in parts)


def _bound(node) -> set:
    """The names ``node`` (a statement or expression) binds anywhere inside."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}


def _jumps(loop) -> bool:
    """A ``break`` or ``continue`` of this loop (not of a loop inside it)."""
    todo = list(loop.body)
    while todo:
        s = todo.pop()
        if isinstance(s, (ast.Break, ast.Continue)):
            return True
        if isinstance(s, (ast.For, ast.While, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef,
                          ast.ClassDef, ast.Lambda)):
            todo += s.orelse if isinstance(s, (ast.For, ast.While, ast.AsyncFor)) else []
            continue
        todo += [c for c in ast.iter_child_nodes(s) if isinstance(c, ast.stmt)]
    return False


class _Flow:
    def __init__(self, adjoints: set, numbers: set):
        self.adjoints, self.numbers = adjoints, numbers

    def block(self, stmts: list, zero: frozenset, rewrite: bool) -> frozenset:
        for s in stmts:
            zero = self.stmt(s, zero, rewrite)
        return zero

    def stmt(self, s, zero: frozenset, rewrite: bool) -> frozenset:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            name = s.targets[0].id
            if _zero(s.value):
                return zero | {name}
            v = s.value
            if rewrite and name in zero and name in self.adjoints and isinstance(v, ast.BinOp) \
                    and isinstance(v.op, ast.Add) and isinstance(v.left, ast.Name) and v.left.id == name \
                    and (_fresh(v.right) or name in self.numbers and _element(v.right)) and name not in {n.id for n in ast.walk(v.right) if isinstance(n, ast.Name)}:
                s.value = v.right
            return zero - {name} - _bound(s.value)
        if isinstance(s, ast.If):
            zero -= _bound(s.test)
            return self.block(s.body, zero, rewrite) & self.block(s.orelse, zero, rewrite)
        if isinstance(s, (ast.For, ast.While)):
            return self.loop(s, zero, rewrite)
        return zero - _bound(s)   # (anything else: what it binds is unknown after it, nothing inside changes)

    def loop(self, s, zero: frozenset, rewrite: bool) -> frozenset:
        entry = zero - _bound(s.target if isinstance(s, ast.For) else s.test) - (
            _bound(s.iter) if isinstance(s, ast.For) else set())
        if _jumps(s):
            head = entry - set().union(*(_bound(b) for b in s.body))
        else:
            head = entry
            while True:   # (the names zero at the head: zero on entry and at the end of the body)
                end = self.block(s.body, head, rewrite=False)
                if isinstance(s, ast.For):
                    end -= _bound(s.target)
                new = head & end
                if new == head:
                    break
                head = new
        end = self.block(s.body, head, rewrite)
        out = head if _jumps(s) else head & end - (_bound(s.target) if isinstance(s, ast.For) else set())
        return self.block(s.orelse, out, rewrite)
