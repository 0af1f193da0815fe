"""tape: how the sweeps reach the tape, and the shadows of split halves.

The forward sweep pushes onto the tape list and the reverse sweep pops in
reverse order. A split pair of halves owns no shadow memory: the forward
half records, for each shadow the reverse half will need, a reference (the
Duplicated argument or local it belongs to and the primal view it mirrors,
``_ad_shadow_ref``); the reverse half rebuilds the shadow from the shadows it
is given (``_ad_rebase``) and creates the shadows of locals itself.
"""
from __future__ import annotations

import ast

from ..codegen.naming import COND, COUNT
from .builder import N


def assign(names, value):
    """``names = value`` (a tuple target for several names)."""
    if len(names) == 1:
        return ast.Assign(targets=[N(names[0], ast.Store)], value=value)
    return ast.Assign(targets=[ast.Tuple([N(n, ast.Store) for n in names], ast.Store())], value=value)


class TapeAccess:
    """Tape pushes and pops, and the shadow references of split halves (a mixin of ``Sweeps``)."""

    def dup_params(self) -> list:
        return [p for p in self.ctx.params if self.ctx.activities[p] == "Duplicated"]

    def rebased(self) -> set:
        """The shadow names a reverse half rebases (restored from the tape)."""
        return (set(self.end_names()) | self.restored_names()) & self.local_shadows()

    def push(self, expr):
        call = ast.Call(ast.Attribute(N(self.ctx.namer.tape), "append", ast.Load()), [expr], [])
        call.tape_tag = self.tape_tag(_pushed_name(expr))
        return ast.Expr(call)

    def pop(self, name=None):
        call = ast.Call(ast.Attribute(N(self.ctx.namer.tape), "pop", ast.Load()), [], [])
        call.tape_tag = self.tape_tag(name)
        return call

    def tape_tag(self, name):
        """The typed stack a value of ``name`` goes to (``f`` float, ``i`` int,
        ``b`` bool, ``a<rank><dtype kind>`` an array), or None when its kind is
        not known well enough for a typed tape (a compiled backend refuses it)."""
        return tape_tag(self.ctx.kinds, self.ctx.namer, name)

    def roots_name(self) -> str:
        if self._roots is None:
            self._roots = self.ctx.namer.role("_roots")
        return self._roots

    def restore(self, names) -> list:
        """Pop the values pushed for ``names``; in a reverse half, a shadow
        was recorded as its primal view and is rebased onto this half's shadows."""
        if not self.split:
            return [assign([n], self.pop(n)) for n in reversed(names)]
        shadows = self.local_shadows()
        out = []
        for n in reversed(names):
            value = self.pop(n)
            if n in shadows:
                value = ast.Call(N("_ad_rebase"), [value, N(self.roots_name())], [])
            out.append(assign([n], value))
        return out

    def local_shadows(self) -> set:
        """Shadow names bound by the function itself (not arguments)."""
        ctx = self.ctx
        return {ctx.namer.adjoint(n) for n in ctx.kinds if ctx.needs_shadow(n)} - ctx.param_shadows()


def _pushed_name(expr):
    """The name whose value ``expr`` pushes (``x`` or a copy ``_ad_copy(x)``), else None."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "_ad_copy" \
            and len(expr.args) == 1:
        expr = expr.args[0]
    return expr.id if isinstance(expr, ast.Name) else None


def tape_tag(kinds, namer, name):
    """See ``TapeAccess.tape_tag``."""
    if name is None:
        return None
    if namer.made(name, COND):
        return "b"
    if namer.made(name, COUNT):
        return "i"
    k = kinds.get(name)
    if k is None:   # an adjoint has its primal's kind
        primal = next((p for p, a in namer.adjoints.items() if a == name), None)
        k = kinds.get(primal) if primal is not None else None
    if k is None or k.weak:
        return None
    if k.cls == "float" or (k.cls == "num" and k.ndim == 0 and k.dtype == "f"):
        return "f"
    if k.cls in ("int", "bool"):
        return k.cls[0]
    if k.cls == "array" and k.ndim is not None and k.dtype in ("f", "i", "b"):
        return f"a{k.ndim}{k.dtype}"
    return None
