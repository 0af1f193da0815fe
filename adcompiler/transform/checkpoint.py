"""checkpoint: loops reversed from snapshots instead of a tape of every step.

A mixin of ``Sweeps``. With ``Options.checkpoint`` set (a number of
snapshots or a memory budget), the outermost ``for`` loops of the function
(or the loops marked ``# adcompiler: checkpoint``) are *checkpointed*:

- the forward sweep runs the loop's steps without a tape, keeping snapshots
  of the loop's *state* where the binomial schedule says
  (``runtime.checkpoint``). The state is a copy of the memory the loop
  writes (its roots: arguments or arrays allocated before the loop) and the
  values of the names a step carries to the next one. It then pushes the
  rest of the schedule, the snapshots and the iterations;
- the reverse sweep replays the schedule: it restores snapshots, advances
  without a tape, runs single steps with their tape (the plain forward sweep
  of the body) and their adjoints (the plain reverse sweep of the body), and
  finally puts the final values back into the memory it rolled back.

A loop whose state cannot be captured this way (it rebinds a name to memory it writes, writes a
Python list, leaves early) keeps the plain tape, the reason in ``checkpoint_skipped`` (memory report).
"""
from __future__ import annotations

import ast
import copy
import warnings

from ..analysis.order import walk_stmts
from ..errors import AdCompilerError, AdCompilerWarning
from ..frontend import notes
from .builder import N
from .plan import loads, own_loads, random_call
from .tape import assign

MARK = "adcompiler: checkpoint"


def _bound(stmts) -> set:
    """Names the statements bind (assignments, loop targets, counters)."""
    out = set()
    for s in stmts:
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                out.add(node.id)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                out.add(node.target.id)
    return out


def _live_in(stmts) -> tuple:
    """``(names a pass through stmts may read before binding them, names it
    surely binds)``: a branch binds what both arms bind, a loop nothing."""
    bound, out = set(), set()
    for s in stmts:
        if isinstance(s, ast.If):
            out |= loads([ast.Expr(s.test)]) - bound
            body_in, body_bound = _live_in(s.body)
            else_in, else_bound = _live_in(s.orelse)
            out |= (body_in | else_in) - bound
            bound |= body_bound & else_bound
        elif isinstance(s, (ast.For, ast.While)):
            head = ast.Expr(s.iter) if isinstance(s, ast.For) else ast.Expr(s.test)
            body_in, _ = _live_in(s.body)
            if isinstance(s, ast.For):
                body_in = body_in - {n.id for n in ast.walk(s.target) if isinstance(n, ast.Name)}
            out |= (loads([head]) | body_in) - bound
        else:
            out |= loads([s]) - bound
            if isinstance(s, ast.Assign):
                bound |= _bound([s])
    return out, bound


def _on_tape(node, tape) -> bool:
    """``node`` is the tape ``tape`` or one of its typed stacks (``tape.f``)."""
    if isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == tape


def _targets(s) -> set:
    """The names a loop's header binds (a ``for`` loop's target)."""
    return {n.id for n in ast.walk(s.target) if isinstance(n, ast.Name)} if isinstance(s, ast.For) else set()


def online(s) -> bool:
    """Whether loop ``s`` runs a number of steps known only at its end
    (a ``while`` loop, a ``for`` loop that may ``break``)."""
    return isinstance(s, ast.While) or notes.count(s) is not None


class _StripTape(ast.NodeTransformer):
    """A step run without a tape: pushes dropped, calls that take the tape
    (callee halves) given a scratch list instead."""

    def __init__(self, tape, scratch):
        self.tape, self.scratch, self.used = tape, scratch, False

    def visit_Expr(self, node):
        c = node.value
        if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "append" \
                and _on_tape(c.func.value, self.tape):
            return None
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id == self.tape:
            self.used = True
            return ast.copy_location(ast.Name(self.scratch, node.ctx), node)
        return node


class Checkpointing:
    """Which loops are checkpointed, and their forward and reverse code (a mixin of ``Sweeps``)."""

    def _checkpoint_loops(self) -> dict:
        """id(loop) -> its plan (roots, carried names), for the loops to checkpoint."""
        ctx = self.ctx
        self.checkpoint_skipped: dict = {}
        spec = ctx.module.options.checkpoint
        if spec is None or ctx.is_callee or ctx.module.options.second_order:
            return {}
        loops = [s for s in walk_stmts(self.body) if isinstance(s, (ast.For, ast.While))]
        marked = [s for s in loops if self._marked(s)]
        chosen = marked or [s for s in loops if not self.loops[id(s)]]
        out = {}
        for s in chosen:
            plan = self._checkpoint_plan(s)
            if isinstance(plan, str):
                # a rebound parameter is renamed ``p_1`` (frontend/params.py): say ``p``
                for p in ctx.params:
                    plan = plan.replace(f"`{p}_1`", f"`{p}`")
                self.checkpoint_skipped[s.lineno] = plan
                warnings.warn_explicit(f"{ctx.pf.filename}:{s.lineno}: this loop keeps a tape of every step "
                                       f"under checkpoint=: {plan}.", AdCompilerWarning, ctx.pf.filename, s.lineno)
            else:
                out[id(s)] = plan
        self._warn_callee_loops()
        return out

    def _warn_callee_loops(self) -> None:
        """A call, outside the checkpointed loops, of a function that loops:
        the callee's loops keep their tape (checkpoint= applies to the loops
        of the function differentiated); say so at the call."""
        ctx = self.ctx
        inside = {id(n) for s in walk_stmts(self.body) if isinstance(s, (ast.For, ast.While))
                  for n in walk_stmts(s.body)}   # (a loop kept plain is named itself)
        for st in walk_stmts(self.body):
            if id(st) in inside or not isinstance(st, (ast.Assign, ast.Expr)):
                continue
            call = st.value
            if not notes.is_user_call(call):
                continue
            kinds = tuple(ctx.module.call_kinds(ctx, call))
            try:
                callee = ctx.module.passes.analyse(notes.target(call), kinds)
            except AdCompilerError:   # the callee's own refusal comes when it is differentiated
                continue
            if any(isinstance(n, (ast.For, ast.While)) for n in walk_stmts(callee.body)):
                why = (f"the loops of `{callee.pf.name}`, called here outside a checkpointed loop, keep a tape of "
                       "every step (checkpoint= applies to the loops of the function differentiated: move the "
                       "time loop into it)")
                self.checkpoint_skipped[st.lineno] = why
                warnings.warn_explicit(f"{ctx.pf.filename}:{st.lineno}: {why}.", AdCompilerWarning,
                                       ctx.pf.filename, st.lineno)

    def _marked(self, s) -> bool:
        pf = self.ctx.pf
        return any(MARK in (pf.line_text(k) or "") for k in (s.lineno, s.lineno - 1) if k >= 1)

    def _views_of_outer_views(self, s, bound_in, bound_out):
        """Views the steps take of a view bound before the loop: the replayed steps
        bind views of its shadow, which the reverse half does not hold. Why the
        loop keeps its tape, or None."""
        ctx = self.ctx
        for st in walk_stmts(s.body):
            n = ctx.eff.view_base(st.value) if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) \
                else None
            if n is not None and n not in bound_in and n in bound_out and n not in ctx.params \
                    and ctx.needs_shadow(st.targets[0].id) and not self._is_root(n):
                what = "a view" if n in ctx.namer.generated else f"`{n}`, a view"
                return f"the steps take views of {what} bound before the loop"
        return None

    def _bound_and_read_after(self, inside, bound_in):
        """An array the steps bind, with a shadow, read after the loop: the replay of
        the last step binds a fresh shadow, dropping the adjoint the code after the
        loop gave it. Why the loop keeps its tape, or None."""
        ctx = self.ctx
        after = {n for st in walk_stmts(self.body) if id(st) not in inside for n in own_loads(st)}
        for n in sorted(bound_in & after):
            k = ctx.kinds.get(n)
            if k is not None and k.cls in ("array", "num") and ctx.needs_shadow(n):
                return f"the steps bind the array `{n}`, which is read after the loop"
        return None

    def _checkpoint_plan(self, s):
        """The roots and carried names of loop ``s``, or why it keeps the plain tape."""
        ctx = self.ctx
        inside = {id(n) for n in walk_stmts(s.body)}
        if any(isinstance(n, ast.Return) for n in walk_stmts(s.body)):
            return "the loop contains `return`"
        if random_call(s.body) is not None:
            return f"the steps call `{random_call(s.body)}`, which a replayed step would draw again"
        bound_in = _bound(s.body) | _targets(s)
        bound_out = set(ctx.params) | {n for st in walk_stmts(self.body) if id(st) not in inside and st is not s
                                       for n in _bound([st]) if not isinstance(st, (ast.For, ast.While, ast.If))}
        cells = {c for c, ws in ctx.eff.memory_writers.items() if any(id(w) in inside for w in ws)}
        why = self._views_of_outer_views(s, bound_in, bound_out)
        if why:
            return why
        roots = []
        for c in sorted(cells):
            names = sorted(n for n, m in ctx.eff.memory_of.items() if m == c)
            for n in names:
                k = ctx.kinds.get(n)
                if n in bound_in and n in bound_out:
                    return f"the loop rebinds `{n}`, which shares memory the loop writes"
                if n in bound_in:
                    continue
                if k is None or k.cls not in ("array", "num", "list"):
                    return f"the loop writes `{n}`, which is neither a numpy array nor a list"
                if self._is_root(n) and self._bound_before(n, s):
                    roots.append(self._alias_used(n, s, bound_in))   # (see _alias_used)
        why = self._bound_and_read_after(inside, bound_in) or next(   # (a snapshot would read it unbound)
            (f"the loop writes memory `{n}` may name, bound on some paths only" for n in roots
             if not self._bound_on_every_path(n, s)), None)
        if why:
            return why
        carried = sorted((_live_in(s.body)[0] & bound_in) - _targets(s))
        for n in carried:
            k = ctx.kinds.get(n)
            if k is not None and k.cls == "list":
                return f"the loop carries the list `{n}` from one step to the next"
            if ctx.eff.memory_of.get(n, n) in cells:
                return f"the loop carries `{n}` from one step to the next and writes its memory"
            if ctx.needs_shadow(n):
                return f"the loop carries the array `{n}`, which has a shadow, from one step to the next"
        # memory the steps read that is written after the loop: at the reverse
        # sweep it no longer holds what the steps read, so it is kept once
        later = set()
        for n in loads(s.body):
            c = ctx.eff.memory_of.get(n)
            k = ctx.kinds.get(n)
            if c is None or c in cells or k is None or k.cls not in ("array", "num"):
                continue
            if any(id(w) not in inside and self.after(w, s) for w in ctx.eff.writers_of_memory(n)):
                later.add(c)
        fixed = []
        for c in sorted(later):
            names = [n for n, m in ctx.eff.memory_of.items() if m == c and n not in bound_in and self._is_root(n)
                     and self._bound_before(n, s)]
            if not names:
                return "the loop reads memory written after it that has no name outside the loop"
            fixed += names
        return {"roots": roots, "carried": carried, "bound": bound_in, "outside": bound_out, "fixed": sorted(fixed)}

    def _alias_used(self, root, loop, bound_in) -> str:
        """``root``, or the name the steps of ``loop`` read its whole memory by instead
        (``x_1`` of ``x_1 = x``, bound once before the loop, where the steps never read ``x``):
        a reverse half may be given other arrays of the same values, and puts the snapshots
        back into the memory its steps replay on. (A root bound only after the loop shares
        the cell by a later rebinding: not a root.)"""
        used = loads(loop.body) | {t.id for st in walk_stmts(loop.body) for t in ast.walk(st)
                                   if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
        if root in used:
            return root
        for st in walk_stmts(self.body):
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) \
                    and isinstance(st.value, ast.Name) and st.value.id == root and st.targets[0].id in used \
                    and st.targets[0].id not in bound_in and self.after(loop, st) \
                    and self.nbind.get(st.targets[0].id, 0) == 1:
                return st.targets[0].id
        return root

    def _bound_before(self, n, loop) -> bool:
        """Whether ``n`` is an argument or bound by a statement before ``loop``."""
        return n in self.ctx.params or any(
            isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) and st.targets[0].id == n
            and self.after(loop, st) for st in walk_stmts(self.body))

    def _bound_on_every_path(self, n, loop) -> bool:
        """Whether ``n`` is an argument or bound, before ``loop``, by a statement of a
        block that holds the loop (not inside a branch or a loop the loop is not in)."""
        if n in self.ctx.params:
            return True

        def search(block):
            for k, st in enumerate(block):
                if st is loop:
                    return [(block, k)]
                for inner in (getattr(st, f, None) for f in ("body", "orelse")):
                    if isinstance(inner, list) and search(inner):
                        return [(block, k)] + search(inner)
            return None
        return any(isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == n for t in st.targets)
                   for block, k in search(self.body) or [] for st in block[:k])

    def _is_root(self, n) -> bool:
        """Whether ``n`` names whole memory (an argument or a fresh array), not a view."""
        ctx = self.ctx
        if n in ctx.params:
            return True
        return any(isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name) and st.targets[0].id == n
                   and ctx.eff.view_base(st.value) is None for st in walk_stmts(self.body))

    def checkpointed(self, s) -> bool:
        """Whether loop ``s`` is checkpointed (it has reverse code and a plan)."""
        return id(s) in self.ckpt and self.has_code(self.by_stmt[id(s)])

    def checkpoint_init_names(self) -> set:
        """Names a snapshot reads that the forward sweep binds to None first
        (a step may bind them before the loop has)."""
        return {n for s in walk_stmts(self.body) if isinstance(s, (ast.For, ast.While)) and self.checkpointed(s)
                for n in self.checkpoint_state_names(s)}

    def checkpoint_free_names(self, s) -> set:
        """Names the steps of checkpointed loop ``s`` read and do not bind, its roots, and their
        shadows (``_d_v2 = dma`` of ``_v2 = ma``: a split reverse half runs the steps again)."""
        plan, head = self.ckpt[id(s)], s.iter if isinstance(s, ast.For) else s.test
        free = (loads([ast.Expr(head)] + s.body) - plan["bound"]) | set(plan["roots"]) | set(plan["fixed"])
        return free | {self.ctx.namer.adjoint(n) for n in free if self.ctx.needs_shadow(n)}

    def checkpoint_state_names(self, s) -> list:
        """Names a snapshot of loop ``s`` keeps besides its roots' memory."""
        plan = self.ckpt[id(s)]
        # a name bound in the loop and before it is restored, after the loop's
        # reverse, to its value before the loop, which the snapshot of step 0 keeps
        kept = set(plan["carried"]) | (plan["bound"] & plan["outside"] & self.needed) - _targets(s)
        return sorted(n for n in kept if n not in plan["roots"])

    # -- code ---------------------------------------------------------------------
    def _ck_names(self, s) -> dict:
        key = id(s)
        if key not in self._ck_vars:
            fresh = self.ctx.namer.fresh
            self._ck_vars[key] = {k: fresh(f"_ck_{k}{{}}") for k in ("it", "plan", "snaps", "final", "scratch", "fixed",
                                                                   "k", "a", "b", "op", "v")}
        return self._ck_vars[key]

    def _own(self, s, code) -> list:
        """``code`` with the step counter and schedule names made ``s``'s own (a
        checkpointed loop inside another counted its steps in the outer's ``_ck_k``)."""
        names = self._ck_names(s)
        mine = {f"_ck_{k}": names[k] for k in ("k", "a", "b", "op", "v")}
        for st in code:
            for n in ast.walk(st):
                if isinstance(n, ast.Name) and n.id in mine:
                    n.id = mine[n.id]
        return code

    def _steps(self, s, names, body, reverse=False) -> ast.For:
        """``for k in range(a, b)`` (or reversed), binding the loop target, then ``body``.
        (The step of a loop that leaves it ends this loop: it is the last step.)"""
        rng = ast.Call(N("range"), [N("_ck_a"), N("_ck_b")], [])
        if reverse:
            rng = ast.Call(N("reversed"), [rng], [])
        bind = [assign([s.target.id], ast.Subscript(N(names["it"]), N("_ck_k"), ast.Load()))] \
            if isinstance(s, ast.For) else []
        return ast.For(target=N("_ck_k", ast.Store), iter=rng, body=bind + (body or [ast.Pass()]), orelse=[])

    def _untaped(self, s, names) -> tuple:
        """(the steps' code without a tape, the binding of the scratch list it uses, if any)."""
        body = self.fwd_block(s.body)
        strip = _StripTape(self.ctx.namer.tape, names["scratch"])
        body = [b for b in (strip.visit(x) for x in body) if b is not None]
        if not strip.used:
            return body, []
        body.append(ast.Expr(ast.Call(ast.Attribute(N(names["scratch"]), "clear", ast.Load()), [], [])))
        return body, [assign([names["scratch"]], ast.Call(N("_ad_tape"), [], []))]

    @staticmethod
    def _put_back(memory, saved, k) -> ast.stmt:
        """``_ad_put_back(memory, saved[k])``."""
        return ast.Expr(ast.Call(N("_ad_put_back"), [N(memory), ast.Subscript(N(saved), ast.Constant(k), ast.Load())],
                                 []))

    @staticmethod
    def _over_actions(actions, body) -> ast.For:
        """``for _ck_op, _ck_a, _ck_b in actions: body``."""
        target = ast.Tuple([N("_ck_op", ast.Store), N("_ck_a", ast.Store), N("_ck_b", ast.Store)], ast.Store())
        return ast.For(target=target, iter=actions, body=body, orelse=[])

    def _snapshot(self, s, names) -> ast.stmt:
        plan = self.ckpt[id(s)]
        value = ast.Tuple([ast.Call(N("_ad_copy"), [N(r)], []) for r in plan["roots"]]
                          + [N(n) for n in self.checkpoint_state_names(s)], ast.Load())
        slot = ast.Subscript(N(names["snaps"]), N("_ck_a"), ast.Store())
        return ast.Assign(targets=[slot], value=value)

    def _restore_snapshot(self, s, names) -> list:
        plan = self.ckpt[id(s)]
        snap = ast.IfExp(test=ast.Compare(N("_ck_op"), [ast.Eq()], [ast.Constant("restore")]),
                         body=ast.Subscript(N(names["snaps"]), N("_ck_a"), ast.Load()),
                         orelse=ast.Call(ast.Attribute(N(names["snaps"]), "pop", ast.Load()), [N("_ck_a")], []))
        out = [assign(["_ck_v"], snap)]
        k = 0
        for r in plan["roots"]:
            out.append(self._put_back(r, "_ck_v", k))
            k += 1
        for n in self.checkpoint_state_names(s):
            out.append(assign([n], ast.Subscript(N("_ck_v"), ast.Constant(k), ast.Load())))
            k += 1
        return out

    @staticmethod
    def _dispatch(cases, default) -> list:
        """``if _ck_op == name: code`` for each (name, code), then ``default``."""
        out = default
        for name, code in reversed(cases):
            test = ast.Compare(N("_ck_op"), [ast.Eq()], [ast.Constant(name)])
            out = [ast.If(test=test, body=code, orelse=out)]
        return out

    def checkpoint_forward(self, s) -> list:
        """The forward sweep of checkpointed loop ``s``: untaped steps and snapshots."""
        if online(s):
            return self._online_forward(s)
        ctx = self.ctx
        names = self._ck_names(s)
        plan = self.ckpt[id(s)]
        state = [N(r) for r in plan["roots"]] + [N(n) for n in self.checkpoint_state_names(s)]
        spec = ctx.module.options.checkpoint
        out = [assign([names["it"]], copy.deepcopy(s.iter)),
               assign([names["plan"]], ast.Call(N("_ad_checkpoint_actions"),
                                                [ast.Call(N("len"), [N(names["it"])], []), ast.Constant(spec)]
                                                + state, [])),
               assign([names["snaps"]], ast.Dict([], []))]
        untaped, scratch = self._untaped(s, names)
        out += scratch
        body = self._dispatch([("advance", [self._steps(s, names, untaped)])], [self._snapshot(s, names)])
        out.append(self._over_actions(ast.Subscript(N(names["plan"]), ast.Constant(0), ast.Load()), body))
        fixed = ast.Tuple([ast.Call(N("_ad_copy"), [N(x)], []) for x in plan["fixed"]], ast.Load())
        out.append(self.push(ast.Tuple([ast.Subscript(N(names["plan"]), ast.Constant(1), ast.Load()),
                                        N(names["snaps"]), N(names["it"]), fixed], ast.Load())))
        return self._own(s, out)

    def _online_forward(self, s) -> list:
        """The forward sweep of a checkpointed loop whose number of steps is
        known only at its end: the loop itself, keeping snapshots where the
        online schedule (``runtime.checkpoint.Online``) says, then the
        reverse actions for the steps it ran."""
        names = self._ck_names(s)
        plan = self.ckpt[id(s)]
        state = [N(r) for r in plan["roots"]] + [N(n) for n in self.checkpoint_state_names(s)]
        out = [assign([names["snaps"]], ast.Dict([], [])),
               assign([names["plan"]], ast.Call(N("_ad_checkpoint_online"),
                                                [ast.Constant(self.ctx.module.options.checkpoint),
                                                 N(names["snaps"])] + state, [])),
               assign(["_ck_k"], ast.Constant(-1))]
        if isinstance(s, ast.For):
            out.insert(0, assign([names["it"]], copy.deepcopy(s.iter)))
        untaped, scratch = self._untaped(s, names)
        out += scratch
        wants = ast.Call(ast.Attribute(N(names["plan"]), "wants", ast.Load()), [N("_ck_k")], [])
        step = [ast.AugAssign(target=N("_ck_k", ast.Store), op=ast.Add(), value=ast.Constant(1)),
                ast.If(test=wants, body=[assign(["_ck_a"], N("_ck_k")), self._snapshot(s, names)], orelse=[])]
        if isinstance(s, ast.For):
            loop = ast.For(target=copy.deepcopy(s.target), iter=N(names["it"]), body=step + untaped, orelse=[])
        else:
            loop = ast.While(test=copy.deepcopy(s.test), body=step + untaped, orelse=[])
        out.append(loop)
        actions = ast.Call(ast.Attribute(N(names["plan"]), "reverse", ast.Load()),
                           [ast.BinOp(N("_ck_k"), ast.Add(), ast.Constant(1))], [])
        fixed = ast.Tuple([ast.Call(N("_ad_copy"), [N(x)], []) for x in plan["fixed"]], ast.Load())
        it = N(names["it"]) if isinstance(s, ast.For) else ast.Constant(None)
        out.append(self.push(ast.Tuple([actions, N(names["snaps"]), it, fixed], ast.Load())))
        return self._own(s, out)

    def checkpoint_reverse(self, r) -> list:
        """The reverse sweep of checkpointed loop ``r.stmt``: the schedule replayed."""
        s = r.stmt
        names = self._ck_names(s)
        plan = self.ckpt[id(s)]
        split, self.split = self.split, False   # the steps run here own their shadows
        try:
            taped = self.fwd_block(s.body)
            adjoint = self.rev_block(r.children[0]) + self.target_resets(s)
            untaped, scratch = self._untaped(s, names)
        finally:
            self.split = split
        # memory the reverse sweep rolls back (rollback.py) already holds, here, what the
        # loop left, and after the loop's reverse what it held before the loop: it is not
        # put back; other memory is, to what the primal left
        held = [x for x in plan["roots"] + plan["fixed"] if self.ctx.eff.memory_of.get(x, x) not in self.rollback]
        out = [assign([names["plan"], names["snaps"], names["it"], names["fixed"]], self.pop()),
               # the replay forgets snapshots as it goes: on a copy, so that a tape
               # adapter may run the reverse half again on the same record
               assign([names["snaps"]], ast.Call(N("dict"), [N(names["snaps"])], [])),
               assign([names["final"]], ast.Tuple([ast.Call(N("_ad_copy"), [N(x)], []) for x in held],
                                                  ast.Load()))]
        # what the steps read, as they read it
        out += [self._put_back(x, names["fixed"], k) for k, x in enumerate(plan["fixed"]) if x in held]
        out += scratch
        body = self._dispatch([("reverse", [self._steps(s, names, adjoint, reverse=True)]),
                               ("taped", [self._steps(s, names, taped)]),
                               ("advance", [self._steps(s, names, untaped)]),
                               ("snap", [self._snapshot(s, names)])],
                              self._restore_snapshot(s, names))
        out.append(self._over_actions(N(names["plan"]), body))
        return self._own(s, out + [self._put_back(x, names["final"], k) for k, x in enumerate(held)])
