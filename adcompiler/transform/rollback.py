"""rollback: memory the reverse sweep puts back as it was, write by write.

A mixin of ``Sweeps``. By default memory is never rolled back: the reverse
sweep sees what the primal left, and a value it needs that a later write
destroys is saved (``plan``). For memory written in loops that choice can
keep several derived arrays per step (a stencil's products and differences).
Rolling the memory back keeps one copy of each region a write overwrites:

- the forward sweep pushes ``m[idx]`` before each write ``m[idx] = v`` or
  ``m[idx] += v`` of the memory;
- the reverse sweep, right after the adjoint of that write, pops it back;
- so when it reaches an earlier statement, the memory holds what it held
  then, and values read from it are read again (``remat``) instead of saved;
- the reverse sweep copies the memory's final values first and puts them
  back at its end (the arguments end as the primal leaves them).

A cell is rolled back when every statement writing it is such a store, its
whole memory has a name outside loops (an argument or an array allocated
once), and the loops' tapes get smaller: fewer arrays pushed per step, then
fewer values (``_push_cost``).
"""
from __future__ import annotations

import ast
import copy

from .builder import N
from .forms import classify
from .plan import loads
from .remat import order as remat_order
from .tape import assign


class Rollback:
    """Which memory the reverse sweep rolls back, and the code that does it (a mixin of ``Sweeps``)."""

    def _rollback_candidates(self) -> dict:
        """cell -> the names holding its whole memory, for the cells that may be rolled back."""
        ctx = self.ctx
        opts = ctx.module.options
        if not (opts.rollback and opts.rematerialize) or ctx.is_callee:
            return {}
        out = {}
        for cell, writers in ctx.eff.memory_writers.items():
            if not any(self.in_loop(w) for w in writers):
                continue
            if not all(id(w) in self.order and classify(w).kind in ("store", "increment")
                       and isinstance(classify(w).target.value, ast.Name) for w in writers):
                continue
            roots = self._rollback_roots_of(cell)
            if roots:
                out[cell] = roots
        return out

    def _rollback_roots_of(self, cell) -> list:
        """Names holding the whole memory of ``cell`` (arguments, arrays bound once
        outside loops by a fresh value), or [] when some name of it is not such."""
        ctx = self.ctx
        roots = []
        for n, c in ctx.eff.memory_of.items():
            if c != cell:
                continue
            k = ctx.kinds.get(n)
            if k is None or k.cls not in ("array", "num"):
                return []
            if n in ctx.params:
                if self.nbind.get(n, 0) > 1:
                    return []
                roots.append(n)
                continue
            binds = [r.stmt for r in self.by_stmt.values() if n in self.bound_names(r.stmt)[:1]]
            fresh = [b for b in binds if not isinstance(b, ast.Assign) or ctx.eff.view_base(b.value) is None]
            if not fresh:
                continue          # a view: its memory is its base's
            if len(binds) != 1 or self.in_loop(binds[0]) or not any(binds[0] is st for st in self.body):
                # rebound, or allocated afresh in a loop: earlier arrays have no name; or bound in a
                # branch: on the other path the name is unbound where its final value is copied
                return []
            roots.append(n)
        return sorted(roots)

    def rolls_back(self, s) -> bool:
        """Whether ``s`` is a write whose region the reverse sweep puts back."""
        if not self.rollback or not isinstance(s, (ast.Assign, ast.AugAssign)):
            return False
        form = classify(s)
        if form.kind not in ("store", "increment"):
            return False
        m = form.target.value.id
        return self.ctx.eff.memory_of.get(m, m) in self.rollback

    @staticmethod
    def _region(s, ctx):
        """The region ``m[idx]`` store ``s`` writes, as a new tree."""
        target = copy.deepcopy(classify(s).target)
        target.ctx = ctx
        return target

    def rollback_push(self, s):
        return self.push(ast.Call(N("_ad_copy"), [self._region(s, ast.Load())], []))

    def rollback_pop(self, s, done=()):
        """The pop putting back the region ``s`` overwrote, after the values its
        index reads that are recomputed (``nbr[i, _t4]`` with ``_t4 = nn[i]``),
        but for those in ``done`` (recomputed already by the adjoint's code)."""
        code = [assign([t], copy.deepcopy(self.remat[t].value))
                for t in remat_order(self, self.rollback_loads(s)) if t not in done]
        return code + [ast.Assign(targets=[self._region(s, ast.Store())], value=self.pop())]

    def rollback_loads(self, s) -> set:
        """The names the rollback of write ``s`` reads (none if it is not rolled back)."""
        return loads([ast.Expr(classify(s).target)]) if self.rolls_back(s) else set()

    def rollback_names(self) -> set:
        """Names the rollback code reads: the written names, their indices, the roots."""
        out = set()
        for r in self.by_stmt.values():
            out |= self.rollback_loads(r.stmt)
        for roots in self.rollback.values():
            out |= set(roots)
        return out

    def rollback_final(self) -> tuple:
        """(code copying the rolled-back memory's final values, code putting them back)."""
        before, after = [], []
        for cell in sorted(self.rollback):
            for root in self.rollback[cell]:
                name = self.ctx.namer.fresh(f"_final_{root.lstrip('_')}{{}}")
                before.append(assign([name], ast.Call(N("_ad_copy"), [N(root)], [])))
                after.append(ast.Expr(ast.Call(N("_ad_put_back"), [N(root), N(name)], [])))
        return before, after

    def _push_cost(self) -> tuple:
        """(arrays, values) pushed by statements in loops, per step, as planned."""
        arrays = values = 0
        ctx = self.ctx
        for r in self.by_stmt.values():
            s = r.stmt
            if not self.in_loop(s):
                continue
            pushed = self.restored(s) + [x for x, _, _ in self.saves.get(id(s), [])]
            for n in pushed:
                k = ctx.kinds.get(n)
                if k is not None and k.cls in ("array", "num"):
                    arrays += 1
                else:
                    values += 1
            if self.rolls_back(s):
                if any(isinstance(n, ast.Slice) for n in ast.walk(classify(s).target.slice)):
                    arrays += 1
                else:
                    values += 1
        return arrays, values
