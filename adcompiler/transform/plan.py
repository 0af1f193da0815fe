"""plan: what the reverse sweep reads, and so what the forward sweep keeps.

A mixin of ``Sweeps``. A name the reverse sweep reads (``needed``) and that
the primal rebinds (in a loop, or more than once) is *restored*: pushed
before the rebinding, popped after the reverse of that statement. An array
an adjoint reads whose memory the primal writes later is *saved*: copied at
the point of use (``saves``). Names read only for their shape push the shape
(``restore_expr``).
"""
from __future__ import annotations

import ast

from ..analysis.order import walk_stmts
from ..codegen.naming import COND, COUNT, RESULT
from ..frontend import notes
from .builder import ANS, G, N
from .remat import order as remat_order

#: helper arguments that are read only for their shape
SHAPE_ARGS = {"_ad_unbroadcast": (1,), "_ad_unreduce": (1,), "_ad_reduce_count": (0,),
              "_ad_shape": (0,), "_ad_index_adjoint": (1,)}


def loads(code) -> set:
    """Names the code reads (an augmented assignment reads its target)."""
    out = set()
    for s in code:
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                out.add(node.id)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                out.add(node.target.id)
    return out


def value_loads(code) -> set:
    """Names the code reads for more than their shape."""
    shape_only = set()
    for s in code:
        for node in ast.walk(s):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SHAPE_ARGS:
                for k in SHAPE_ARGS[node.func.id]:
                    if k < len(node.args) and isinstance(node.args[k], ast.Name):
                        shape_only.add(id(node.args[k]))
    out = set()
    for s in code:
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and id(node) not in shape_only:
                out.add(node.id)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                out.add(node.target.id)
    return out


def _range_call(e) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "range"


def _bound(node) -> set:
    """The names ``node`` binds or deletes (stores, imports, handlers, definitions)."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, (ast.alias, ast.ExceptHandler, ast.FunctionDef, ast.ClassDef, ast.MatchAs, ast.MatchStar)):
            out.add(getattr(n, "asname", None) or getattr(n, "name", None))
    return out


def random_call(stmts) -> str | None:
    """The source of a call to a random number generator among ``stmts`` (a
    replayed step would draw other numbers), or None."""
    for st in walk_stmts(stmts):
        for node in ast.walk(st):
            if notes.draws_random(node):
                return ast.unparse(node.func)
    return None


def own_loads(st) -> set:
    """Names a statement reads itself: a compound one its header (its body's
    statements are walked on their own)."""
    if isinstance(st, ast.For):
        return loads([ast.Expr(st.iter)])
    if isinstance(st, (ast.While, ast.If)):
        return loads([ast.Expr(st.test)])
    return loads([st])



class SweepPlan:
    """What the reverse sweep reads: restores and saves (a mixin of ``Sweeps``)."""

    def resets(self, r) -> bool:
        """Whether the reverse of binding record ``r`` zeroes its value adjoint."""
        return r.reset and (self.in_loop(r.stmt) or self.nbind.get(r.target, 0) > 1)

    def has_code(self, r) -> bool:
        if self.restored(r.stmt) or self.resets(r) or self.rolls_back(r.stmt):
            return True
        if r.kind in ("for", "while", "if"):
            return any(self.has_code(c) for ch in r.children for c in ch)
        return bool(r.core or r.deferred)

    def header_loads(self, r) -> set:
        """Names the reverse of compound record ``r``'s header reads (loop bounds,
        conditions; all that the steps of a checkpointed loop read, as they run again)."""
        s = r.stmt
        if r.kind == "if":
            return loads([ast.Expr(s.test)])
        if r.kind not in ("for", "while"):
            return set()
        out = loads([ast.Expr(s.iter if r.kind == "for" else s.test)])
        return out | self.checkpoint_free_names(s) if id(s) in self.ckpt else out

    def record_loads(self, r, value_only=False) -> set:
        names = value_loads(r.core) if value_only else loads(r.core)
        if G in loads(r.core) and r.target is not None:
            names.add(self.ctx.adjoint_of(r.target))
        if ANS in names and r.target is not None:
            names.add(r.target)
        return names

    def _needed(self) -> set:
        primal = self.ctx.primal_names()
        out = set()

        def walk(records):
            for r in records:
                if r.kind in ("for", "while", "if"):
                    if not self.has_code(r):
                        continue
                    s = r.stmt
                    if r.kind == "for":
                        # (the header reads values: len(t) of a restored t needs t, not its shape)
                        out.update(self.header_loads(r))
                        self.value_needed.update(self.header_loads(r))
                        if notes.count(s) is not None:
                            out.add(notes.count(s))
                    elif r.kind == "while":
                        out.add(notes.count(s))
                        if id(s) in self.ckpt:   # its steps run again
                            out.update(self.header_loads(r))
                            self.value_needed.update(self.header_loads(r))
                    else:
                        out.add(s.test.id)
                    for ch in r.children:
                        walk(ch)
                else:
                    out.update(self.record_loads(r))
                    self.value_needed.update(self.record_loads(r, value_only=True))
        self.value_needed = set()
        walk(self.records)
        if self.rollback:
            out.update(self.rollback_names())
            self.value_needed.update(self.rollback_names())
        if self.ctx.returns_memory():
            out.add(self.ctx.namer.adjoint(self.ctx.namer.ret))
        # a recomputed value needs what its read or arithmetic needs instead (transitively)
        while set(out) & set(self.remat):
            for t in set(out) & set(self.remat):
                out.discard(t)
                deps = loads([ast.Expr(self.remat[t].value)])
                out.update(deps - {t})
                self.value_needed.update(deps)
        return out & primal

    def restore_expr(self, n):
        """What the forward sweep pushes to restore ``n``: its value, or only
        its shape when the reverse sweep reads nothing else of it."""
        namer = self.ctx.namer
        if n in self.value_needed or n in self.ctx.param_shadows() or namer.made(n, COND) or namer.made(n, COUNT) \
                or not self.ctx.module.options.shape_restores:
            return N(n)
        k = self.ctx.kinds.get(n)
        if k is not None and k.cls in ("array", "num"):
            return ast.Call(N("_ad_shape"), [N(n)], [])
        return N(n)

    def restored(self, s) -> list:
        if not self.needed:
            return []
        return [n for n in self.bound_names(s) if n in self.needed and n not in self.loop_locals
                and (self.in_loop(s) or self.nbind.get(n, 0) > 1)]

    def _loop_locals(self) -> frozenset:
        """Int names bound only as the variables of ``for`` loops over ranges
        (none inside another over the same name) that the reverse sweep reads
        only inside such loops (recomputed values read where they are used):
        each reversed loop binds its variable before its body reads it, so
        no value of theirs is restored (pushed and popped)."""
        if self.ckpt or self.rollback:
            return frozenset()
        ctx = self.ctx
        ranges, other = set(), set(ctx.params)

        def bindings(stmts, inside):
            for s in stmts:
                if isinstance(s, (ast.For, ast.While, ast.If)):
                    head = s.iter if isinstance(s, ast.For) else s.test
                    deeper = inside
                    if isinstance(s, ast.For):
                        head = ast.Tuple([s.target, s.iter], ast.Load())
                        if isinstance(s.target, ast.Name) and s.target.id not in inside and _range_call(s.iter):
                            ranges.add(s.target.id)
                            head, deeper = s.iter, inside | {s.target.id}
                    other.update(_bound(head))
                    bindings(s.body, deeper)
                    bindings(s.orelse, inside)
                else:
                    other.update(_bound(s))
        bindings(self.body, frozenset())
        names = {n for n in ranges - other if ctx.kinds.get(n) is not None and ctx.kinds[n].cls == "int"}

        def read_outside(reads, inside):
            for t in remat_order(self, reads):
                reads = reads | loads([ast.Expr(self.remat[t].value)])
            names.difference_update(reads - inside)

        def walk(records, inside):
            for r in records:
                if r.kind in ("for", "while", "if"):
                    count = notes.count(r.stmt) if r.kind != "if" else None
                    read_outside(self.header_loads(r) | ({count} if count else set()), inside)
                    loop = r.kind == "for" and isinstance(r.stmt.target, ast.Name)
                    for k, ch in enumerate(r.children):
                        walk(ch, inside | {r.stmt.target.id} if loop and k == 0 else inside)
                else:
                    read_outside(self.record_loads(r) | loads(r.deferred), inside)
        walk(self.records, frozenset())
        return frozenset(names)

    def _plan_saves(self):
        ctx = self.ctx
        for key, r in self.by_stmt.items():
            if r.kind in ("for", "while", "if") or not r.core:
                continue
            s = r.stmt
            reads = self.record_loads(r, value_only=True) & ctx.primal_names()
            plan = []
            for x in sorted(reads):
                if x == ctx.namer.adjoint(r.target or "") or self.ctx.namer.made(x, RESULT):
                    continue
                if not ctx.may_alias_memory(x) and not (ctx.is_callee and ctx.is_view_of_param(x)):
                    continue
                writers = ctx.eff.writers_of_memory(x)
                if ctx.eff.memory_of.get(x, x) in self.rollback and not any(w is s for w in writers):
                    continue      # the reverse sweep has undone every later write when it gets here
                is_target = x == r.target
                when = "after" if (r.kind == "call" or is_target) else "before"
                # a callee cannot see what its caller writes after it returns:
                # views of its parameters' memory are copied when used
                caller_may_write = ctx.is_callee and ctx.eff.memory_of.get(x, x) in ctx.param_memory()
                if caller_may_write or any(self.after(w, s) for w in writers if not (w is s and when == "before")):
                    plan.append((x, ctx.namer.fresh("_s{}_" + x.lstrip("_")), when))
            if plan:
                self.saves[key] = plan
