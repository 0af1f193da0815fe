"""pushed_views: the tangents of views that forward mode must keep as views, for ``transform/forward``.

Forward mode binds a name's tangent as a value where the function never writes its memory. But a
view pushed onto a stack, or any view in generated reverse code (differentiated again, second order),
may be popped and written by another function (a helper's reverse half writes the shadows its forward
half pushed): its tangent must be the same view of its base's tangent, and the base (``dv`` of
``dt = dv[1:]``, made by ``_ad_shadow_like`` and never written with derivatives here) needs a tangent
of its own for the views to share.
"""
from __future__ import annotations

import ast
import copy

from ..codegen.naming import is_generated
from .builder import N
from .forms import classify


def pushed_view(b, n, v):
    """The tangent of ``n = m`` or ``n = m[basic index]`` when ``n`` is pushed
    onto a stack, or in generated code: the same view of ``m``'s tangent.
    Memory this function never writes is otherwise bound as a value (a fresh
    tangent), but what is pushed may be popped and written elsewhere (the
    reverse half of a split pair writes the shadows its forward half pushed),
    and the tangent must then share memory as the value does."""
    if b._pushed is None:
        b._pushed = {f.value.id for f in map(classify, b.ctx.eff.stmts)
                     if f.kind == "push" and isinstance(f.value, ast.Name)}
    # in generated code a view may be written where the analysis does not see it
    # (a helper's reverse half writes the shadow it is passed through its tape)
    generated = is_generated(b.ctx.pf.filename)
    if n is None or not (n in b._pushed or generated or n in b.view_bases()) or not b.may_be_array(n):
        return None
    base = v if isinstance(v, ast.Name) else v.value if isinstance(v, ast.Subscript) else None
    if not (isinstance(base, ast.Name) and (b.active(base.id) or base.id in b.view_bases())
            and b.ctx.eff.view_base(v) == base.id):
        return None
    if isinstance(v, ast.Name):
        return N(b.tan(base.id))
    return ast.Subscript(N(b.tan(base.id)), copy.deepcopy(v.slice), ast.Load())


def view_bases(b) -> set:
    """The names without a tangent of their own (never written with derivatives here) that a
    pushed view of them (``dt = dv[1:]``, ``_d_ret = dv`` of generated reverse code, pushed for
    the half that writes them) makes need one, as memory the views' tangents share; and so
    the names those are views of."""
    if b._bases is None:
        b.pushed_view(None, None)   # (the pushed names)
        generated = is_generated(b.ctx.pf.filename)
        every = [f for f in map(classify, b.ctx.eff.stmts) if f.kind == "bind"]
        other = {n.id for st in b.ctx.eff.stmts if classify(st).kind != "bind"
                 for t in ([st.target] if isinstance(st, (ast.For, ast.AugAssign)) else getattr(st, "targets", []))
                 for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}   # (a loop's name...)
        bound = {f.name for f in every} - set(b.ctx.params) - other   # (a base gets its tangent where it is bound)
        b._bases, binds = set(), [f for f in every if generated or f.name in b._pushed]
        grew = True
        while grew:
            grew = False
            for f in binds:
                base = f.value if isinstance(f.value, ast.Name) else f.value.value \
                    if isinstance(f.value, ast.Subscript) else None
                if (b.active(f.name) and b.pushed_view(f.name, f.value) is None
                        or f.name in b._bases) and isinstance(base, ast.Name) \
                        and not b.active(base.id) and base.id not in b._bases and base.id in bound \
                        and b.ctx.eff.view_base(f.value) == base.id and b.may_be_array(base.id):
                    b._bases.add(base.id)
                    grew = True
    return b._bases
