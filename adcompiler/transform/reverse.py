"""reverse: assemble the forward sweep (primal + saves) and the reverse sweep.

The forward sweep is the primal with three kinds of additions:

- *restores*: before a statement rebinds a name that the reverse sweep reads
  (inside a loop, or a name bound more than once), the old value is pushed;
  the reverse sweep pops it back after differentiating that statement. So in
  the reverse sweep every name holds the value it had at that point of the
  primal run.
- *saves*: an array read by an adjoint whose memory the primal writes later
  is copied at the point of use (memory is never rolled back: after the call
  arguments hold what the primal left in them).
- *shadows*: an array local that is written in place or subscripted gets a
  shadow (``dy = _ad_shadow_like(y)``, or a view of its base's shadow when it
  is a view).

Names the reverse sweep needs and that are not arguments reach it through a
tuple pushed at the end of the forward sweep. Loops run backwards over
``reversed(range(...))`` (cut to the recorded trip count after ``break``);
``while`` loops replay their recorded trip count; branches re-test the
recorded condition. Only what the reverse sweep reads is saved.
"""
from __future__ import annotations

import ast
import copy

from ..frontend import notes
from .adjoint import AdjointBuilder
from .builder import ANS, G, N, subst
from .checkpoint import Checkpointing
from .forms import StatementOrder, classify
from .loop_order import counting_var, drop_self_reset, forward_where_free, order_free
from .optimize import listify_reversed, optimize_line
from .plan import SweepPlan, loads
from .readonly_views import refuse_stale_tuples
from .remat import order as remat_order
from .remat import recomputed_once, rematerializable
from .rollback import Rollback
from .simplify import fuse_forward, line_facts, simplify_records
from .tape import TapeAccess, assign
from .zeros import assign_first_terms


class Sweeps(SweepPlan, TapeAccess, Checkpointing, Rollback):
    """The forward and reverse sweeps of one function body (see the module docstring)."""

    def __init__(self, ctx, body):
        self.ctx = ctx
        self.body = body
        self.placed = StatementOrder(body)
        self.order, self.loops = self.placed.order, self.placed.loops
        self.records = AdjointBuilder(ctx).block(body)
        if ctx.module.options.optimize:
            simplify_records(self.records, ctx.kinds)
        self.by_stmt: dict = {}
        self._index(self.records)
        refuse_stale_tuples(ctx, body, self.placed, by_name=False)   # (any write of an element's memory)
        self.nbind = self._count_bindings()
        self._ck_vars: dict = {}
        self.ckpt = self._checkpoint_loops()   # id(loop) -> how it is checkpointed (checkpoint.py)
        self.rollback: dict = {}               # cell -> its roots, for the cells whose writes the reverse
                                               # sweep undoes (rollback.py)
        self._plan()
        candidates = self._rollback_candidates()
        if candidates:
            plain, cost = (self.remat, self.needed, self.value_needed, self.saves, self.loop_locals), self._push_cost()
            self.rollback = candidates
            self._plan()
            if self._push_cost() >= cost:       # the loops' tapes do not get smaller: keep them
                self.rollback = {}
                self.remat, self.needed, self.value_needed, self.saves, self.loop_locals = plain
        self.split = False          # generating a forward or reverse half (see ``forward``)
        self._roots = None
        self._typed = None   # the names whose values go to typed stacks (tape.typed_names)
        self.list_names: dict = {}  # array -> its list in loops run on Python lists (``listify_reversed``)
        self._facts = None          # what the line optimizer knows of shapes (``simplify.line_facts``)

    def _plan(self):
        """What is recomputed (``remat``), what the reverse sweep reads
        (``needed``) and what is saved (``saves``)."""
        self.remat = rematerializable(self) if self.ctx.module.options.rematerialize else {}
        self.loop_locals = frozenset()
        self.loop_locals = self._loop_locals()
        # A structure whose body rebinds a name the reverse sweep reads must be
        # replayed to restore it, which can make more names needed: iterate.
        self.needed = set()
        while True:
            needed = self._needed()
            if needed == self.needed:
                break
            self.needed = needed
        self.saves: dict = {}       # id(stmt) -> [(name, saved, when)]
        self._plan_saves()

    # -- structure ---------------------------------------------------------------
    def _index(self, records):
        for r in records:
            self.by_stmt[id(r.stmt)] = r
            for ch in r.children:
                self._index(ch)

    def in_loop(self, s) -> bool:
        return bool(self.loops[id(s)])

    def after(self, w, s) -> bool:
        """Whether statement ``w`` can run after statement ``s``."""
        return self.placed.after(w, s)

    def bound_names(self, s) -> list:
        ctx = self.ctx
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            n = s.targets[0].id
            out = [n]
            if ctx.needs_shadow(n):
                out.append(ctx.namer.adjoint(n))
            return out
        if isinstance(s, ast.For):
            return [s.target.id]
        return []

    def _count_bindings(self):
        counts = {}
        for p in self.ctx.params:
            counts[p] = 1
            if self.ctx.needs_shadow(p):
                counts[self.ctx.namer.adjoint(p)] = 1

        def walk(stmts):
            for s in stmts:
                for n in self.bound_names(s):
                    counts[n] = counts.get(n, 0) + 1
                for f in ("body", "orelse"):
                    walk(getattr(s, f, []) or [])
        walk(self.body)
        return counts

    # -- forward sweep ---------------------------------------------------------------
    def forward(self, end_tuple=True) -> list:
        """The forward sweep: of the forward half (``end_tuple``), which ends by
        pushing what the reverse half needs, or of the combined function.

        A forward half owns no shadow memory: in place of each shadow it binds
        a reference (``_ad_shadow_ref``: the Duplicated argument or local the
        shadow belongs to, and the primal view it mirrors), and pushes that
        where the reverse half needs the shadow; the reverse half takes the
        same view of the shadows it is given (``_ad_rebase``) and creates the
        shadows of locals itself. The combined function keeps the shadows."""
        ctx = self.ctx
        self.split = end_tuple and ctx.module.options.split_shadows
        end = self.end_names()
        pre = self.restored_names() | (set(end) if end_tuple else set()) | self.checkpoint_init_names()
        init = [assign([n], self.placeholder(n)) for n in sorted(pre)
                if n not in ctx.params and n not in ctx.param_shadows()]
        body = self.fwd_block(self.body)
        if ctx.module.options.optimize:
            body = fuse_forward(body, lambda t: ctx.is_temp(t) and not ctx.is_memory(t)
                                and t not in self.needed and t not in pre)
        if self.split and self.local_shadows():
            # the Duplicated arguments' shadow references (roots 0, 1, ...), which locals' views name
            body = [assign([ctx.namer.adjoint(p)], ast.Call(N("_ad_shadow_ref"), [ast.Constant(k), N(p)], []))
                    for k, p in enumerate(self.dup_params())] + body
        if not end_tuple:
            return init + body
        # one push per name (not a tuple), so that reverse code can itself be
        # differentiated value by value
        tail = [self.push(self.restore_expr(n)) for n in end]
        if self.split and self.rebased():
            # the arguments' memory, which the recorded views lie in (the
            # reverse half may be given other arrays of the same values)
            tail.append(self.push(ast.Tuple([N(p) for p in self.dup_params()], ast.Load())))
        tail.append(ast.Return(N(ctx.namer.ret) if ctx.has_return else None))
        return init + body + tail

    def restored_names(self) -> set:
        """The names some statement's reverse restores from the tape."""
        return {n for r in self.by_stmt.values() for n in self.restored(r.stmt)}

    def end_names(self) -> list:
        ctx = self.ctx
        rebound = {n for n, c in self.nbind.items() if c > 1}
        return sorted(n for n in self.needed if n not in self.loop_locals
                      and ((n not in ctx.params and n not in ctx.param_shadows()) or n in rebound))

    def fwd_block(self, stmts) -> list:
        out, line = [], None
        for s in stmts:
            if s.lineno != line and not isinstance(s, (ast.Break, ast.Pass)):
                line = s.lineno
                out.append(self.ctx.comment(s.lineno))
            out += self.fwd_stmt(s)
        return out

    def fwd_stmt(self, s) -> list:
        ctx = self.ctx
        out = []
        for n in self.restored(s):
            out.append(self.push(self.restore_expr(n)))
        if self.rolls_back(s):
            out.append(self.rollback_push(s))   # popped back after the saves (below) in the reverse sweep
        plan = self.saves.get(id(s), [])
        for x, _, when in plan:
            if when == "before":
                out.append(self.push(ctx.copy_expr(x)))
        kind = classify(s).kind
        if kind in ("for", "while") and self.checkpointed(s):
            new = self.checkpoint_forward(s)
        elif kind == "for":
            new = ast.For(target=copy.deepcopy(s.target), iter=copy.deepcopy(s.iter),
                          body=self.fwd_block(s.body) or [ast.Pass()], orelse=[])
        elif kind == "while":
            new = ast.While(test=s.test, body=self.fwd_block(s.body) or [ast.Pass()], orelse=[])
        elif kind == "if":
            new = ast.If(test=s.test, body=self.fwd_block(s.body) or [ast.Pass()], orelse=self.fwd_block(s.orelse))
        else:
            new = ctx.forward_stmt(s)
        out += new if isinstance(new, list) else [new]
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and ctx.needs_shadow(s.targets[0].id):
            # a forward half records a reference in place of the shadow (see ``forward``)
            out.append(ctx.shadow_ref_binding(s) if self.split else ctx.shadow_binding(s))
        for x, _, when in plan:
            if when == "after":
                out.append(self.push(ctx.copy_expr(x)))
        return out

    # -- reverse sweep ---------------------------------------------------------------
    def reverse(self, end_tuple=True) -> list:
        """The reverse sweep: of the reverse half (``end_tuple``: it pops what
        the forward half pushed, and takes shadows of the recorded views), or
        of the combined function."""
        ctx = self.ctx
        self.split = end_tuple and ctx.module.options.split_shadows
        out = []
        end = self.end_names()
        if end and end_tuple:
            out += self.restore(end)
        out += ctx.adjoint_inits()
        keep, put_back = self.rollback_final()
        out += keep + self.rev_block(self.records) + put_back
        if ctx.module.options.optimize:
            numbers = {d for n, d in ctx.namer.adjoints.items()
                       if getattr(ctx.kinds.get(n), "cls", None) in ("float", "int", "bool")}
            assign_first_terms(out, set(ctx.namer.adjoints.values()), numbers)
            forward_where_free(out)
        if self.split and self.rebased():
            shadows = ast.Tuple([N(ctx.namer.adjoint(p)) for p in self.dup_params()], ast.Load())
            out.insert(0, assign([self.roots_name()], ast.Call(N("_ad_roots"), [self.pop(), shadows], [])))
        return out

    def rev_block(self, records) -> list:
        groups, line, deferred = [], None, []
        for r in records:
            code = self.rev_record(r)
            if code or r.deferred:
                if r.stmt.lineno != line:
                    if groups:
                        groups[-1] += deferred
                    deferred = []
                    line = r.stmt.lineno
                    groups.append([self.ctx.comment(r.stmt.lineno)])
                groups[-1] += code
                deferred += r.deferred
        if groups:
            groups[-1] += deferred
        out = []
        if self.ctx.module.options.optimize and groups and self._facts is None:
            self._facts = line_facts(self)
        for code in groups:
            out += optimize_line(code, self._facts) if self.ctx.module.options.optimize else code
        return recomputed_once(out, self.remat, set(self.ctx.namer.adjoints.values())) if self.remat else out

    def rev_record(self, r) -> list:
        """The reverse-sweep code of record ``r``, with the pops that restore
        what its statement rebinds."""
        if r.kind in ("for", "while", "if"):
            return self.rev_compound(r) if self.has_code(r) else []
        rest = self.restored(r.stmt)
        if not r.core and self.rolls_back(r.stmt):
            return self.rollback_pop(r.stmt)
        if not r.core:
            code = []
            if self.resets(r):
                # the name now holds a value that depends on nothing active:
                # the adjoint of its earlier value starts from zero
                code.append(assign([self.ctx.adjoint_of(r.target)], ast.Constant(0.0)))
            return code + self.restore(rest)
        code, core, self_ref = self.rev_core(r, rest)
        dn = self.ctx.adjoint_of(r.target) if r.target else None
        reset = self.resets(r)
        if r.kind == "call":
            code += core
            if reset:
                code.append(assign([dn], ast.Constant(0.0)))
            if rest:
                code += self.restore(rest)
            return code
        if self.rolls_back(r.stmt):   # (a store binds no name: nothing else to restore)
            done = {t.id for c in code if isinstance(c, ast.Assign) for t in c.targets if isinstance(t, ast.Name)}
            return code + core + self.rollback_pop(r.stmt, done)
        if rest:
            code += self.restore(rest)
        if reset and self_ref:
            code.append(assign([dn], ast.Constant(0.0)))
            code += core
        else:
            code += core
            if reset:
                code.append(assign([dn], ast.Constant(0.0)))
        return code

    def rev_compound(self, r) -> list:
        """A branch re-tests its recorded condition; a loop runs backwards."""
        s = r.stmt
        if r.kind == "if":
            body = self.rev_block(r.children[0])
            orelse = self.rev_block(r.children[1])
            body += [assign([self.ctx.adjoint_of(t)], ast.Constant(0.0)) for t in r.fill[1]]
            orelse += [assign([self.ctx.adjoint_of(t)], ast.Constant(0.0)) for t in r.fill[0]]
            code = [ast.If(test=N(s.test.id), body=body or [ast.Pass()], orelse=orelse)]
        elif r.kind in ("for", "while") and self.checkpointed(s):
            code = self.checkpoint_reverse(r)
        else:
            body = self.rev_block(r.children[0]) or [ast.Pass()]
            if r.kind == "for":
                it = copy.deepcopy(s.iter)
                if notes.count(s) is not None:
                    it = ast.Subscript(it, ast.Slice(None, N(notes.count(s)), None), ast.Load())
                body = drop_self_reset(body) + self.target_resets(s)
                # (a loop that may break runs the first iterations of a sliced range: kept reversed,
                # the form the numba backend rewrites)
                again = None if notes.count(s) is not None else (self.memory_cells(), counting_var(s))
                if again is None or not order_free(body, *again):
                    it = ast.Call(N("reversed"), [it], [])
                else:
                    again = None   # (forward already)
                loop = ast.For(target=copy.deepcopy(s.target), iter=it, body=body, orelse=[])
                code = listify_reversed(self, s, loop) or [loop]
                if again is not None and code[0] is loop:
                    loop.order_again = again   # (asked again once the zero adjoints are known: forward_where_free)
            else:
                k = self.ctx.namer.fresh("_k{}")
                code = [ast.For(target=N(k, ast.Store), iter=ast.Call(N("range"), [N(notes.count(s))], []),
                                body=body, orelse=[])]
        # values of the header (loop bounds, the condition) that are recomputed, not saved
        head = self.header_loads(r)
        code = [assign([t], copy.deepcopy(self.remat[t].value)) for t in remat_order(self, head)] + code
        rest = self.restored(s)
        if rest:
            code += self.restore(rest)
        return code

    def target_resets(self, s) -> list:
        """``dt = 0.0`` for each name the loop ``s`` binds that carries a derivative elsewhere (``t``
        a float before ``for t in range(3)``): each step binds it anew, to a value without one."""
        if not isinstance(s, ast.For):
            return []
        return [assign([self.ctx.adjoint_of(n.id)], ast.Constant(0.0)) for n in ast.walk(s.target)
                if isinstance(n, ast.Name) and self.ctx.is_active(n.id)]

    def memory_cells(self):
        """``name -> the memory it stands for`` (a shadow: its primal's, marked), for ``order_free``."""
        memory = self.ctx.eff.memory_of
        primal_of = {d: n for n, d in self.ctx.namer.adjoints.items()}

        def cell(name):
            primal = primal_of.get(name)
            return ("shadow", memory.get(primal, primal)) if primal is not None else memory.get(name, name)
        return cell

    def rev_core(self, r, rest):
        """The code before ``r``'s adjoint (recomputed values, pops of saved
        arrays, copies of what the restore overwrites), the adjoint with its
        placeholders placed, and whether it reads or writes the target's adjoint."""
        ctx = self.ctx
        s = r.stmt
        code = []
        mapping = {}
        plan = self.saves.get(id(s), [])
        reads = loads(r.core) - {r.target}
        if r.target in self.remat and ANS in loads(r.core):
            reads.add(r.target)   # a recomputed result the adjoint reads (ans of a division): recomputed first
        for t in remat_order(self, reads):
            code.append(assign([t], copy.deepcopy(self.remat[t].value)))
        for x, saved, when in [p for p in reversed(plan) if p[2] == "after"] + [p for p in reversed(plan) if p[2] == "before"]:
            code.append(assign([saved], self.pop(x)))
            mapping[x] = N(saved)
        n = r.target
        dn = ctx.adjoint_of(n) if n else None
        used = loads(r.core)
        g_expr = N(dn) if dn else None
        ans_expr = mapping.get(n, N(n)) if n else None
        stores = {t.id for c in r.core for node in ast.walk(c)
                  for t in (node.targets if isinstance(node, ast.Assign) else
                            [node.target] if isinstance(node, ast.AugAssign) else [])
                  if isinstance(t, ast.Name)}
        self_ref = n is not None and (n in (used - {ANS}) or dn in stores)
        if n is not None and G in used and ((dn in rest) or (self.resets(r) and self_ref)):
            gname = ctx.namer.fresh("_g{}")
            code.append(assign([gname], N(dn)))
            g_expr = N(gname)
        if n is not None and ANS in used and n in rest and n not in mapping:
            aname = ctx.namer.fresh("_a{}")
            code.append(assign([aname], N(n)))
            ans_expr = N(aname)
        mapping[G] = g_expr if g_expr is not None else ast.Constant(0.0)
        if ans_expr is not None:
            mapping[ANS] = ans_expr
        return code, [subst(c, mapping) for c in r.core], self_ref
