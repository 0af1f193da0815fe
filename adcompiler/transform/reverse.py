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

from ..codegen.naming import COND, COUNT, RESULT
from ..errors import UnsupportedSyntaxError
from .adjoint import ANS, AdjointBuilder, G, N, subst
from .tape import TapeAccess, assign


def _tuple(names):
    return N(names[0]) if len(names) == 1 else ast.Tuple([N(n) for n in names], ast.Load())


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


class Sweeps(TapeAccess):
    def __init__(self, ctx, body):
        self.ctx = ctx
        self.body = body
        self.order: dict = {}
        self.loops: dict = {}
        self._number(body, ())
        self.records = AdjointBuilder(ctx).block(body)
        self.by_stmt: dict = {}
        self._index(self.records)
        self._refuse_stale_tuples()
        self.nbind = self._count_bindings()
        from .remat import rematerializable
        self.remat = rematerializable(self) if ctx.module.options.rematerialize else {}
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
        self.split = False          # generating a forward or reverse half (see ``forward``)
        self._roots = None

    # -- structure ---------------------------------------------------------------
    def _number(self, stmts, loops):
        for s in stmts:
            self.order[id(s)] = len(self.order)
            self.loops[id(s)] = loops
            if isinstance(s, (ast.For, ast.While)):
                self._number(s.body, loops + (id(s),))
            elif isinstance(s, ast.If):
                self._number(s.body, loops)
                self._number(s.orelse, loops)

    def _index(self, records):
        for r in records:
            self.by_stmt[id(r.stmt)] = r
            for ch in r.children:
                self._index(ch)

    def _refuse_stale_tuples(self):
        """A tuple holds its arrays by reference: memory written after the
        tuple is built would change what the reverse sweep reads as the
        tuple's elements. Refused."""
        ctx = self.ctx
        for r in self.by_stmt.values():
            s = r.stmt
            if r.kind != "bind" or not isinstance(s.value, ast.Tuple) or not ctx.is_active(r.target):
                continue
            for e in s.value.elts:
                if isinstance(e, ast.Name) and ctx.is_memory(e.id) and any(
                        self.after(w, s) for w in ctx.eff.writers_of_memory(e.id) if w is not s):
                    raise UnsupportedSyntaxError(
                        f"the tuple holds the array `{e.id}`, which is written after the tuple is built.",
                        filename=ctx.pf.filename, lineno=s.lineno, construct=ctx.pf.line_text(s.lineno),
                        hint=f"put a copy in the tuple ({e.id}.copy()), or build the tuple after the writes.")

    def in_loop(self, s) -> bool:
        return bool(self.loops[id(s)])

    def after(self, w, s) -> bool:
        """Whether statement ``w`` can run after statement ``s``."""
        return self.order[id(w)] > self.order[id(s)] or bool(set(self.loops[id(w)]) & set(self.loops[id(s)]))

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

    # -- what the reverse sweep reads ---------------------------------------------
    def resets(self, r) -> bool:
        """Whether the reverse of binding record ``r`` zeroes its value adjoint."""
        return r.reset and (self.in_loop(r.stmt) or self.nbind.get(r.target, 0) > 1)

    def has_code(self, r) -> bool:
        if self.restored(r.stmt) or self.resets(r):
            return True
        if r.kind in ("for", "while", "if"):
            return any(self.has_code(c) for ch in r.children for c in ch)
        return bool(r.core or r.deferred)

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
                        out.update(loads([ast.Expr(s.iter)]))
                        self.value_needed.update(loads([ast.Expr(s.iter)]))
                        if hasattr(s, "_ad_count"):
                            out.add(s._ad_count)
                    elif r.kind == "while":
                        out.add(s._ad_count)
                    else:
                        out.add(s.test.id)
                    for ch in r.children:
                        walk(ch)
                else:
                    out.update(self.record_loads(r))
                    self.value_needed.update(self.record_loads(r, value_only=True))
        self.value_needed = set()
        walk(self.records)
        if self.ctx.returns_memory():
            out.add(self.ctx.namer.adjoint(self.ctx.namer.ret))
        # a recomputed value needs what its read needs instead
        for t in set(out) & set(self.remat):
            out.discard(t)
            deps = loads([ast.Expr(self.remat[t].value)])
            out.update(deps)
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
        return [n for n in self.bound_names(s)
                if n in self.needed and (self.in_loop(s) or self.nbind.get(n, 0) > 1)]

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
                is_target = x == r.target
                when = "after" if (r.kind == "call" or is_target) else "before"
                # a callee cannot see what its caller writes after it returns:
                # views of its parameters' memory are copied when used
                caller_may_write = ctx.is_callee and ctx.eff.memory_of.get(x, x) in ctx.param_memory()
                if caller_may_write or any(self.after(w, s) for w in writers if not (w is s and when == "before")):
                    plan.append((x, ctx.namer.fresh("_s{}_" + x.lstrip("_")), when))
            if plan:
                self.saves[key] = plan

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
        init = []
        end = self.end_names()
        pre = sorted({n for s_id in self.by_stmt for n in self._restored_by_id(s_id)} | set(end))
        for n in pre:
            if n not in ctx.params and n not in ctx.param_shadows():
                init.append(assign([n], ast.Constant(None)))
        if not end_tuple:
            pre = sorted({n for s_id in self.by_stmt for n in self._restored_by_id(s_id)})
            init = [assign([n], ast.Constant(None)) for n in pre
                    if n not in ctx.params and n not in ctx.param_shadows()]
        body = self.fwd_block(self.body)
        if self.split and self.local_shadows():
            # the Duplicated arguments' shadow references (roots 0, 1, ...), which locals' views name
            body = [assign([ctx.namer.adjoint(p)], ast.Call(N("_ad_shadow_ref"), [ast.Constant(k), N(p)], []))
                    for k, p in enumerate(self.dup_params())] + body
        tail = []
        if not end_tuple:
            return init + body
        # one push per name (not a tuple), so that reverse code can itself be
        # differentiated value by value
        tail += [self.push(self.restore_expr(n)) for n in end]
        if self.split and self.rebased():
            # the arguments' memory, which the recorded views lie in (the
            # reverse half may be given other arrays of the same values)
            tail.append(self.push(ast.Tuple([N(p) for p in self.dup_params()], ast.Load())))
        tail.append(ast.Return(N(ctx.namer.ret) if ctx.has_return else None))
        return init + body + tail

    def _restored_by_id(self, s_id):
        r = self.by_stmt.get(s_id)
        return self.restored(r.stmt) if r is not None else []

    def end_names(self) -> list:
        ctx = self.ctx
        rebound = {n for n, c in self.nbind.items() if c > 1}
        return sorted(n for n in self.needed
                      if (n not in ctx.params and n not in ctx.param_shadows()) or n in rebound)

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
        plan = self.saves.get(id(s), [])
        for x, _, when in plan:
            if when == "before":
                out.append(self.push(ctx.copy_expr(x)))
        if isinstance(s, ast.For):
            new = ast.For(target=copy.deepcopy(s.target), iter=copy.deepcopy(s.iter),
                          body=self.fwd_block(s.body) or [ast.Pass()], orelse=[])
        elif isinstance(s, ast.While):
            new = ast.While(test=s.test, body=self.fwd_block(s.body) or [ast.Pass()], orelse=[])
        elif isinstance(s, ast.If):
            new = ast.If(test=s.test, body=self.fwd_block(s.body) or [ast.Pass()], orelse=self.fwd_block(s.orelse))
        else:
            new = ctx.forward_stmt(s)
        out.append(new)
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
        out += self.rev_block(self.records)
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
        for code in groups:
            out += self.optimize(code)
        return out

    def listify(self, s, loop):
        """Run a reversed element-by-element loop on Python lists (see
        ``optimize.listify_loop``); only loops not nested in another loop, so
        each list is built once."""
        from .optimize import listify_loop
        ctx = self.ctx
        if not ctx.module.options.listify or self.in_loop(s):
            return None
        arrays = {}
        for n, k in ctx.kinds.items():
            if k.cls == "array" and k.ndim == 1 and k.dtype == "f" and self.nbind.get(n, 0) <= 1:
                arrays[n] = ctx.eff.memory_of.get(n, n)
                if ctx.needs_shadow(n) or n in ctx.params and ctx.activities.get(n) == "Duplicated":
                    d = ctx.namer.adjoint(n)
                    if self.nbind.get(d, 0) <= 1:
                        arrays[d] = ("shadow", arrays[n])
        ints = {n for n, k in ctx.kinds.items() if k.cls == "int"}
        names = self.__dict__.setdefault("_list_names", {})

        def list_name(x):
            if x not in names:
                names[x] = ctx.namer.reserve(x + "_list")
            return names[x]
        new = listify_loop(loop, arrays, ints, list_name)
        if new is not None:
            from .optimize import inline_single_use
            temps = ctx.namer.generated | {ctx.namer.adjoints[n] for n in ctx.namer.generated
                                           if n in ctx.namer.adjoints}
            loop_stmt = new[len(new) - 1 - sum(1 for x in new if isinstance(x, ast.Assign)
                                               and isinstance(x.targets[0], ast.Subscript))]
            loop_stmt.body = inline_single_use(loop_stmt.body, lambda n: n in temps)
            new = self._guard_argument_aliasing(new, loop, arrays)
        return new

    def _guard_argument_aliasing(self, new, loop, arrays):
        """Arguments are separate memory to the analysis, but a caller may pass
        one array twice where both are only read, and then their shadows are
        one array too: a list written back would overwrite the other's
        contributions. Take the list form only when the arrays are separate."""
        ctx = self.ctx
        params = ctx.param_memory()
        listed = [s.value.func.value.id for s in new
                  if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call)
                  and isinstance(s.value.func, ast.Attribute) and s.value.func.attr == "tolist"]
        written = {s.targets[0].value.id for s in new
                   if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Subscript)}

        def mem(x):
            m = arrays.get(x)
            return m[1] if isinstance(m, tuple) else m
        shared = [x for x in listed if mem(x) in params]
        if len(shared) < 2 or not (written & set(shared)):
            return new
        test = ast.Call(N("_ad_disjoint"), [N(x) for x in shared], [])
        return [ast.If(test=test, body=new, orelse=[loop])]

    def optimize(self, code: list) -> list:
        """Peephole passes over one source line's reverse code (see ``optimize``)."""
        from .optimize import fold_negation, schedule_store
        if not self.ctx.module.options.optimize:
            return code
        head, body = code[:1], code[1:]      # the comment naming the line stays first
        body = fold_negation(body, lambda name: self._adjoint_single_use(name, body))
        return head + schedule_store(body)

    def _adjoint_single_use(self, name, code) -> bool:
        return sum(1 for s in code for n in ast.walk(s) if isinstance(n, ast.Name) and n.id == name) == 2

    def rev_record(self, r) -> list:
        s = r.stmt
        rest = self.restored(s)
        if r.kind in ("for", "while", "if"):
            if not self.has_code(r):
                return []
            if r.kind == "if":
                body = self.rev_block(r.children[0])
                orelse = self.rev_block(r.children[1])
                body += [assign([self.ctx.adjoint_of(t)], ast.Constant(0.0)) for t in r.fill[1]]
                orelse += [assign([self.ctx.adjoint_of(t)], ast.Constant(0.0)) for t in r.fill[0]]
                code = [ast.If(test=N(s.test.id), body=body or [ast.Pass()], orelse=orelse)]
            else:
                body = self.rev_block(r.children[0]) or [ast.Pass()]
                if r.kind == "for":
                    it = copy.deepcopy(s.iter)
                    if hasattr(s, "_ad_count"):
                        it = ast.Subscript(it, ast.Slice(None, N(s._ad_count), None), ast.Load())
                    it = ast.Call(N("reversed"), [it], [])
                    code = [ast.For(target=copy.deepcopy(s.target), iter=it, body=body, orelse=[])]
                    code = self.listify(s, code[0]) or code
                else:
                    k = self.ctx.namer.fresh("_k{}")
                    code = [ast.For(target=N(k, ast.Store), iter=ast.Call(N("range"), [N(s._ad_count)], []),
                                    body=body, orelse=[])]
            # values of the header (loop bounds, the condition) that are recomputed, not saved
            head = ast.Expr(s.iter) if r.kind == "for" else s.test
            code = [assign([t], copy.deepcopy(self.remat[t].value))
                    for t in sorted(set(self.remat) & loads([head]))] + code
            if rest:
                code += self.restore(rest)
            return code
        if not r.core:
            code = []
            if self.resets(r):
                # the name now holds a value that depends on nothing active:
                # the adjoint of its earlier value starts from zero
                code.append(assign([self.ctx.adjoint_of(r.target)], ast.Constant(0.0)))
            return code + self.restore(rest)
        ctx = self.ctx
        code = []
        mapping = {}
        plan = self.saves.get(id(s), [])
        for t in sorted(set(self.remat) & loads(r.core) - {r.target}):
            code.append(assign([t], copy.deepcopy(self.remat[t].value)))
        for x, saved, when in [p for p in reversed(plan) if p[2] == "after"] + [p for p in reversed(plan) if p[2] == "before"]:
            code.append(assign([saved], self.pop()))
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
        reset = self.resets(r)
        if n is not None and G in used and ((dn in rest) or (reset and self_ref)):
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
        core = [subst(c, mapping) for c in r.core]
        if r.kind == "call":
            code += core
            if reset:
                code.append(assign([dn], ast.Constant(0.0)))
            if rest:
                code += self.restore(rest)
            return code
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
