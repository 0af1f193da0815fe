"""batch: forward mode for k tangent directions at once (vector mode).

Every tangent carries a leading axis of length k (``_k``): the tangent of a
scalar has shape ``(k,)``, that of an array ``(k,) + shape``. Subscripts get
a leading ``:``, elementwise templates see the tangent lifted to the
result's rank (``_ad_blift``), other rules map their tangent template over
the k directions (``_ad_bmap``), stores and increments go through helpers
that lift the stored tangent. What this cannot express (views through
transpose or reshape, sequence arguments) raises an ``AdCompilerError``, and
vector mode falls back to one sweep per direction.
"""
from __future__ import annotations

import ast
import copy

from ..errors import UnsupportedSyntaxError
from .builder import ANS, N, subst
from .forward import ForwardBuilder


def _full(idx):
    """``(:, *idx)``: the same index behind the batch axis."""
    parts = list(idx.elts) if isinstance(idx, ast.Tuple) else [idx]
    return ast.Tuple([ast.Slice(None, None, None)] + [copy.deepcopy(p) for p in parts], ast.Load())


def _index_object(idx):
    """``np.s_[idx]``: the index as a runtime object."""
    return ast.Subscript(ast.Attribute(N("np"), "s_", ast.Load()), copy.deepcopy(idx), ast.Load())


class BatchForwardBuilder(ForwardBuilder):
    """Forward mode over k directions: the hooks of ``ForwardBuilder`` with a leading batch axis."""

    batch = True

    def refuse(self, s, what):
        raise UnsupportedSyntaxError(f"{what} has no vector-mode (BatchDuplicated) form.",
                                     filename=self.ctx.pf.filename, lineno=getattr(s, "lineno", None),
                                     construct=self.ctx.pf.line_text(getattr(s, "lineno", 0) or 0),
                                     hint="it runs one direction at a time instead.")

    def tan_subscript(self, m, idx):
        k = self.ctx.kinds.get(m)
        if k is not None and k.cls == "tuple":
            self.refuse(None, "a tuple that carries derivatives")
        full = _full(idx)
        if isinstance(idx, ast.Name):
            ki = self.ctx.kinds.get(idx.id)
            if ki is None or ki.cls not in ("int", "array"):
                # a name that may hold a tuple of index arrays (np.nonzero): joined at run time
                full = ast.Call(N("_ad_bindex"), [N(idx.id)], [])
        t = ast.Subscript(N(self.tan(m)), full, ast.Load())
        if self._may_move_axes(idx):
            # index arrays a slice separates (x[i, :, j]): numpy puts their axes before the batch axis
            t = ast.Call(N("_ad_bget"), [N(self.tan(m)), _index_object(idx)], [])
        if self.ctx.region_is_scalar(m, idx):
            # the primal reads a copy of one element; ``dm[:, i]`` is a view
            # that later writes to ``dm`` would change
            t = ast.Call(N("_ad_copy"), [t], [])
        return t

    def _may_move_axes(self, idx) -> bool:
        """An index with a part that may be an array and a slice, ``None`` or ``...``."""
        parts = idx.elts if isinstance(idx, ast.Tuple) else [idx]
        kinds = [self.ctx.an.inference.index_kind(p) for p in parts]
        return any(k in ("fancy", "unknown") for k in kinds) and any(
            k in ("slice", "newaxis", "ellipsis") for k in kinds)

    def tuple_tangent(self, s):
        self.refuse(s, "a tuple that carries derivatives")

    def list_stack_tangent(self, s, v):
        self.refuse(s, "an array stacked from a list")

    def term(self, rule, tree, var, mapping, t):
        if rule.kind == "elementwise":
            return subst(tree, dict(mapping, **{var: ast.Call(N("_ad_blift"), [t, N(ANS)], [])}))
        body = subst(tree, dict(mapping, **{var: N("_ad_t")}))
        fn = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[ast.arg("_ad_t")], vararg=None, kwonlyargs=[],
                                           kw_defaults=[], kwarg=None, defaults=[]), body=body)
        return ast.Call(N("_ad_bmap"), [fn, t], [])

    def rule_params(self, rule, bound, s, mapping):
        if rule.tuple_result:
            self.refuse(s, f"{rule.name}, which returns a tuple that carries derivatives,")
        return super().rule_params(rule, bound, s, mapping)

    def sequence_argument(self, s, rule):
        self.refuse(s, f"a sequence argument of {rule.name}")

    def zeros(self, ans):
        return ast.Call(N("_ad_bzeros"), [ans, N(self.ctx.batch_count)], [])

    def scalar_zero(self, ans):
        # one zero per direction: a bare 0.0 combined with arrays would lose the batch axis
        return ast.Call(N("_ad_bzeros"), [ans, N(self.ctx.batch_count)], [])

    def fresh(self, t, ans):
        return ast.Call(N("_ad_bfresh"), [t, ans, N(self.ctx.batch_count)], [])

    def broadcast(self, t, ans):
        return ast.Call(N("_ad_bbroadcast"), [t, ans, N(self.ctx.batch_count)], [])

    def alias_binding(self, s):
        v = s.value
        n = s.targets[0].id
        base = self.ctx.eff.view_base(v)
        db = N(self.tan(base))
        if isinstance(v, ast.Name) or (isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name)
                                       and getattr(self.ctx.kinds.get(v.value.id), "cls", None) == "tuple"):
            value = db   # (an element of a tuple: that array itself)
        elif isinstance(v, ast.Subscript) and not self._may_move_axes(v.slice):
            value = ast.Subscript(db, _full(v.slice), ast.Load())
        else:
            self.refuse(s, "a view made by a function (transpose, reshape...)")
        return ast.Assign(targets=[N(self.tan(n), ast.Store)], value=value)

    def store_tangent(self, m, idx, val):
        return ast.Expr(ast.Call(N("_ad_bstore"), [N(self.tan(m)), _index_object(idx), val], []))

    def increment_tangent(self, m, idx, op, val):
        sign = ast.Constant(-1.0 if isinstance(op, ast.Sub) else 1.0)
        return ast.Expr(ast.Call(N("_ad_bincrement"), [N(self.tan(m)), _index_object(idx), val, sign], []))

    def on_push(self, f):
        self.refuse(f.stmt, "the tape of generated reverse code")
