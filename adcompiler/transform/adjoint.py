"""adjoint: the reverse-sweep code of each normalized statement.

``AdjointBuilder.block(stmts)`` walks a body backwards and returns one
``Record`` per statement with its adjoint code (``core``). The code reads the adjoint of the statement's
target through the placeholder ``__G__`` and its value through ``__ANS__``; the sweep assembler decides later
whether they are read directly or from a captured copy (a name restored from the tape). Rules are instantiated here.
One handler per statement form (``on_<kind>``, see ``forms``) and per form of a bound value (``adjoint_<form>``)."""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

from ..analysis.kinds import length
from ..analysis.tuple_parts import constant_index, variable_index_said
from ..codegen.naming import RESULT
from ..frontend import notes
from ..rules.binding import bind
from .builder import ANS, FormBuilder, G, N, call_arguments, known_complex, subst
from .simplify import keep_temporaries, unread_product, zero_where_unread

__all__ = ["ANS", "AdjointBuilder", "G", "N", "Record", "subst"]


@dataclass
class Record:
    """One statement's reverse-sweep code, before the sweep places it."""
    stmt: ast.stmt
    core: list = field(default_factory=list)
    target: str | None = None     # name bound by the statement
    kind: str = "other"           # bind | store | call | for | while | if | other
    children: list = field(default_factory=list)   # [records of body, records of orelse]
    deferred: list = field(default_factory=list)   # code to run when the statement's line is done
    reset: bool = False           # reset the value adjoint of target afterwards
    fill: list = field(default_factory=list)   # of an if: [names to zero in body, in orelse]


class AdjointBuilder(FormBuilder):
    """The reverse-sweep code of each statement of a body (``block``), walked backwards."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.assigned: set = set()   # value temporaries whose adjoint exists
        self.broad: set = set()      # those whose first contribution may be broadcast beyond their shape
        self.alias: dict = {}        # temporary -> temporary whose adjoint it shares
        self.target = None
        self.target_is_temp = False
        self.in_branch = 0

    # -- helpers --------------------------------------------------------------
    def adj(self, name) -> str:
        return self.ctx.namer.adjoint(name)

    def contrib(self, name: str, expr: ast.expr, big: bool = False) -> list:
        """Add ``expr`` to the adjoint of ``name``. ``big`` says ``expr`` may be broadcast beyond
        ``name``'s shape. Array values keep such adjoints as they are (summing is deferred to where
        the exact shape is needed: memory shadows, scalars, non-elementwise rules, a second
        contribution); that spares the tape the shapes of most temporaries."""
        d = self.adj(name)
        kind = self.ctx.kinds.get(name)
        if kind is not None and kind.cls == "tuple":
            # a tuple's adjoint is a list of its elements' adjoints (0.0: all zeros)
            if self.ctx.is_temp(name) and name not in self.assigned:
                self.assigned.add(name)
                return [ast.Assign(targets=[N(d, ast.Store)], value=expr)]
            return [ast.Assign(targets=[N(d, ast.Store)], value=ast.Call(N("_ad_tplus"), [N(d), expr], []))]
        if self.ctx.is_memory(name):
            if big:
                expr = ast.Call(N("_ad_unbroadcast"), [expr, N(d)], [])
            if self.ctx.complex and not known_complex(kind):
                expr = ast.Call(N("_ad_real_if"), [expr, N(d)], [])   # real memory takes the real part
            return [ast.AugAssign(target=N(d, ast.Store), op=ast.Add(), value=expr)]
        if big and kind is not None and kind.cls in ("float", "int", "bool"):
            expr = ast.Call(N("_ad_unbroadcast"), [expr, ast.Tuple([], ast.Load())], [])
        if self.ctx.is_temp(name) and name not in self.assigned:
            self.assigned.add(name)
            self.broad |= {name} if big else set()
            if isinstance(expr, ast.Name) and expr.id == G and self.target_is_temp and not self.in_branch \
                    and self.ctx.single_use(name):
                self.alias[name] = self.target
                return []
            return [ast.Assign(targets=[N(d, ast.Store)], value=expr)]
        # An adjoint that sums several contributions must have the value's own shape: adding a broadcast
        # contribution would repeat the others (a temporary's first one was kept as it was: in ``broad``)
        may_array = kind is None or kind.cls in ("array", "num", "other")
        if big and may_array:
            expr = ast.Call(N("_ad_unbroadcast"), [expr, N(name)], [])
        acc = ast.Call(N("_ad_unbroadcast"), [N(d), N(name)], []) if may_array and name in self.broad else N(d)
        return [ast.Assign(targets=[N(d, ast.Store)], value=ast.BinOp(acc, ast.Add(), expr))]

    def exact_g(self, n):
        """The adjoint of ``n`` summed to ``n``'s own shape when it may be larger."""
        k = self.ctx.kinds.get(n)
        if n is not None and not self.ctx.is_memory(n) and (k is None or k.cls in ("array", "num", "other")):
            return ast.Call(N("_ad_unbroadcast"), [N(G), N(ANS)], [])
        return N(G)

    def may_be_array(self, e) -> bool:
        if isinstance(e, ast.Name):
            k = self.ctx.kinds.get(e.id)
            return k is None or k.cls in ("array", "num", "other")
        return False

    # -- rules (the walk is ``FormBuilder.apply_rule``) ------------------------------
    def rule_params(self, rule, bound, s, mapping):
        n = self.target
        for p in rule.tangents:
            a = bound.get(p)
            if p not in rule.adjoints and isinstance(a, ast.Name) and self.active(a.id):
                self.err(s, f"{rule.name} has no reverse-mode rule for its argument `{p}`.",
                         "register an adjoint template with adcompiler.extend.defrule.")
        for p, a in bound.items():
            k = self.ctx.kinds.get(a.id) if isinstance(a, ast.Name) else None
            if k is not None and k.cls == "tuple" and self.active(a.id):
                self.err(s, f"{rule.name} is given {'a tuple' if a.id.startswith('_') else f'`{a.id}`, a tuple'} "
                            "that carries derivatives.", "unpack it (`a, b = ...`) and pass or combine its elements.")
        mapping["g"] = N(G) if rule.kind == "elementwise" else self.exact_g(n)
        return rule.adjoint_asts

    def broadcasts(self, rule, bound) -> bool:
        """Whether the adjoints of an elementwise rule may be larger than their operands."""
        n = self.target
        return rule.kind == "elementwise" and (
            any(self.may_be_array(v) for v in bound.values() if isinstance(v, ast.AST))
            or (n is not None and self.may_be_array(N(n))))

    def rule_term(self, rule, p, a, bound, mapping, s) -> list:
        expr = self.adjoint_template(rule, p, mapping)
        k = self.ctx.kinds.get(self.target) if self.target is not None else None
        scalar = k is not None and k.cls == "float" and rule.kind == "elementwise"
        if scalar and not self.ctx.module.options.second_order and not self.ctx.feeds_root(self.target):
            expr = zero_where_unread(expr, mapping["g"], *self.ctx.unread_guard(self.target, ANS))
        elif self.ctx.complex_linear(rule, p) and (scalar or self.ctx.zeros_unread_terms(self.target, k, rule, bound)):
            expr = unread_product(expr, mapping["g"], rule.adjoint_asts[p],   # (complex-linear in g: differentiated
                                  lambda one: self.adjoint_template(rule, p, dict(mapping, g=one)))   # again)
        else:   # (a root's term of a rule that is not elementwise; an array's term, 0 * inf where g is 0)
            expr = self.ctx.guarded_term(self.target, k, rule, self.ctx.complex_linear(rule, p), expr, mapping["g"])
        return self.contrib(a.id, expr, self.broadcasts(rule, bound))

    def adjoint_template(self, rule, p, mapping, each=False):
        """The adjoint template of ``p`` instantiated; where complex values may
        be and the rule is holomorphic in ``p``, ``conj(template(conj(g)))``
        (``each``: the template gives a sequence, each element conjugated)."""
        tree = rule.adjoint_asts[p]
        if not (self.ctx.complex and rule.complex_mode(p) == "holomorphic"):
            return subst(tree, mapping)
        others = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"g", "np"}
        if all(isinstance(mapping.get(o), ast.Constant) and not isinstance(mapping[o].value, complex) for o in others):
            return subst(tree, mapping)   # g times real constants: conjugation changes nothing
        inner = subst(tree, dict(mapping, g=ast.Call(ast.Attribute(N("np"), "conj", ast.Load()), [mapping["g"]], [])))
        return ast.Call(N("_ad_conj_each") if each else ast.Attribute(N("np"), "conj", ast.Load()), [inner], [])

    def sequence_term(self, rule, p, a, bound, mapping, s) -> list:
        """A sequence of arrays: the template returns one adjoint per element (where the target feeds
        a root, np.einsum('i,i->', d, d), each element's term as ``root_term`` makes one)."""
        big, g = self.broadcasts(rule, bound), mapping["g"]
        seqs = [self.adjoint_template(rule, p, mapping, each=True)]
        seqs += self.ctx.root_parts(seqs[0], g) if self.ctx.feeds_root(self.target) else []
        names = [self.ctx.namer.fresh("_g{}") for _ in seqs]
        out = [ast.Assign(targets=[N(n, ast.Store)], value=ast.Call(N("_ad_per_element"), [q, ast.Constant(
            len(a.elts))], [])) for n, q in zip(names, seqs)]
        for k, e in enumerate(a.elts):
            if isinstance(e, ast.Name) and self.active(e.id):
                t = [ast.Subscript(N(n), ast.Constant(k), ast.Load()) for n in names]
                out += self.contrib(e.id, t[0] if len(t) == 1 else ast.Call(N("_ad_unread_term"), [
                    t[0], copy.deepcopy(g), *t[1:]], []), big)
        return out

    def rule_result(self, rule, terms, inactive) -> list:
        return [c for t in terms for c in t]

    def inactive_use(self, s, names):
        for n in names:
            if self.active(n):
                self.err(s, f"`{n}` carries a derivative into an operation that adcompiler cannot differentiate.",
                         "restructure the code so the value is not used this way, or register a rule.")

    # -- statements (one handler per form, see ``forms``) -----------------------------
    def block(self, stmts) -> list:
        self.ctx.alias = self.alias
        return [self.stmt(s) for s in reversed(stmts)]

    def on_plain(self, f) -> Record:
        return Record(f.stmt)

    on_count = on_plain   # a loop's trip counter: replayed, not differentiated

    def on_for(self, f) -> Record:
        return Record(f.stmt, kind="for", children=[self.block(f.stmt.body)])

    def on_while(self, f) -> Record:
        return Record(f.stmt, kind="while", children=[self.block(f.stmt.body)])

    def on_if(self, f) -> Record:
        s = f.stmt
        before = set(self.assigned)
        self.in_branch += 1
        body = self.block(s.body)
        a_body, self.assigned = self.assigned, set(before)
        orelse = self.block(s.orelse)
        self.in_branch -= 1
        a_else = self.assigned
        self.assigned = a_body | a_else
        return Record(s, kind="if", children=[body, orelse],
                      fill=[sorted(a_else - a_body), sorted(a_body - a_else)])

    def bound(self, s, n, v):
        """The record of ``n = v``, and whether its adjoint code is to be made:
        not for an inactive ``n``, a temporary nothing flowed back into (its
        adjoint is zero), or the returned memory (the caller's adjoint joins
        the memory's shadow in ``adjoint_inits``)."""
        rec = Record(s, target=n, kind="bind")
        if not self.active(n):
            return rec, False
        ctx = self.ctx
        self.target = n
        self.target_is_temp = ctx.is_temp(n) and not ctx.is_memory(n)
        if self.target_is_temp and n not in self.assigned:
            return rec, False
        rec.reset = not ctx.is_memory(n) and not ctx.is_temp(n) and n in ctx.kinds \
            and not (isinstance(v, ast.Constant) and v.value is None)
        return rec, not (n == ctx.namer.ret and ctx.returns_memory())

    def on_bind(self, f) -> Record:
        rec, go = self.bound(f.stmt, f.name, f.value)
        if go:
            big = self.may_be_array(N(f.name)) and not self.ctx.is_memory(f.name)
            rec.core += self.value_handler("adjoint_", f.value)(f.stmt, f.value, big)
        return rec

    def on_new_list(self, f) -> Record:
        rec, go = self.bound(f.stmt, f.name, f.stmt.value)
        if go:
            rec.reset = False
            rec.core.append(ast.Assign(targets=[N(self.adj(f.name), ast.Store)], value=ast.List([], ast.Load())))
        return rec

    # -- the adjoint of each form of value (see ``forms.VALUE_FORMS``) -----------------
    def adjoint_name(self, s, v, big) -> list:
        if self.active(v.id) and not self.ctx.is_alias_binding(s):
            return self.contrib(v.id, N(G), big)
        return []

    def adjoint_constant(self, s, v, big) -> list:
        return []

    def adjoint_other(self, s, v, big) -> list:
        return self.refuse_list_display(s, v) or []

    def adjoint_binop(self, s, v, big) -> list:
        rule, bound = self.binop_rule(v)
        if rule is None:
            self.inactive_use(s, [x.id for x in (v.left, v.right) if isinstance(x, ast.Name)])
            return []
        return self.apply_rule(rule, bound, s)

    def adjoint_unary(self, s, v, big) -> list:
        if isinstance(v.op, ast.USub) and isinstance(v.operand, ast.Name) and self.active(v.operand.id):
            return self.contrib(v.operand.id, ast.UnaryOp(ast.USub(), N(G)), big)
        return []

    def adjoint_call(self, s, v, big) -> list:
        rule = notes.rule(v)
        if rule.kind == "view" and self.ctx.is_alias_binding(s):
            return []
        if rule.kind == "list_stack":
            return self.list_stack_adjoint(v)
        if not rule.differentiable:
            self.check_call(rule, bind(rule, v), s)   # (a result that is not constant in an argument)
            return []
        return self.apply_rule(rule, bind(rule, v), s)

    def list_stack_adjoint(self, v) -> list:
        """``n = np.stack(L, axis)``: each item's adjoint joins ``L``'s adjoint stack, which then holds
        one adjoint per item (the reversed appends pop them); ``n``: the shape of a scalar adjoint."""
        lst, axis = v.args[0], v.args[1]
        if not (isinstance(lst, ast.Name) and self.active(lst.id)):
            return []
        like = N(ANS) if self.target else ast.Constant(None)   # (the stacked array, not the name restored)
        return [ast.Expr(ast.Call(N("_ad_stack_list_adjoint"), [N(self.adj(lst.id)), N(G), copy.deepcopy(axis), like], []))]

    def adjoint_tuple(self, s, v, big) -> list:
        out = []
        for k, x in enumerate(v.elts):
            if isinstance(x, ast.Name) and self.active(x.id):
                out += self.contrib(x.id, ast.Call(N("_ad_tget"), [N(G), ast.Constant(k)], []))
        return out

    def adjoint_read(self, s, v, big) -> list:
        """``n = m[idx]``: the adjoint of ``n`` joins the region of ``m``'s."""
        m = v.value.id if isinstance(v.value, ast.Name) else None
        if m is None or not self.active(m):
            return []
        if self.ctx.is_alias_binding(s):
            return []
        kind = self.ctx.kinds.get(m)
        if kind is not None and kind.cls == "tuple":
            return self.tuple_read(s, m, kind, v.slice)
        idx = copy.deepcopy(v.slice)
        dm = self.adj(m)
        g = N(G)
        n = self.target
        if not self.ctx.is_memory(n) and self.may_be_array(N(n)):
            g = ast.Call(N("_ad_unbroadcast"), [g, ast.Subscript(N(dm), copy.deepcopy(idx), ast.Load())], [])
        if self.ctx.complex and not known_complex(kind):   # (real memory takes the real part: of the region
            g = ast.Call(N("_ad_real_if"), [g, ast.Subscript(N(dm), copy.deepcopy(idx), ast.Load())], [])
        if self.ctx.index_is_basic(v.slice):   # read, an element of a tuple's adjoint list among them)
            return [ast.AugAssign(target=ast.Subscript(N(dm), idx, ast.Store()), op=ast.Add(), value=g)]
        return [ast.Expr(ast.Call(N("_ad_add_at"), [N(dm), idx, g], []))]

    def tuple_read(self, s, m, kind, idx) -> list:
        """``n = t[k]``: the adjoint of ``n`` joins element ``k`` of ``t``'s."""
        k = constant_index(ast.Subscript(N(m), idx, ast.Load()), length(kind))   # (t[-1]: the last element)
        if k is None:
            self.err(s, *variable_index_said(m))
        g, idx = N(G), ast.Constant(k)
        if kind.elts[idx.value].cls in ("array", "num", "other"):
            # summed to the element's shape (read from the tuple: the target may be recomputed)
            g = ast.Call(N("_ad_unbroadcast"), [g, ast.Subscript(N(m), copy.deepcopy(idx), ast.Load())], [])
        size = ast.Constant(len(kind.elts))
        prev = N(self.adj(m))
        if self.ctx.is_temp(m) and m not in self.assigned:
            self.assigned.add(m)
            prev = ast.Constant(0.0)
        return [ast.Assign(targets=[N(self.adj(m), ast.Store)],
                           value=ast.Call(N("_ad_tadd"), [prev, copy.deepcopy(idx), g, size], []))]

    def on_store(self, f) -> Record:
        s, t, v = f.stmt, f.target, f.value
        m = t.value.id
        self.target, self.target_is_temp = None, False
        rec = Record(s, kind="store")
        if not self.active(m):
            return rec
        dm = self.adj(m)
        idx = t.slice
        region = ast.Subscript(N(dm), copy.deepcopy(idx), ast.Load())
        v_active = isinstance(v, ast.Name) and self.active(v.id)
        if self.ctx.index_is_basic(idx):
            zero = ast.Assign(targets=[ast.Subscript(N(dm), copy.deepcopy(idx), ast.Store())],
                              value=ast.Constant(0.0))
            if v_active:   # (a tuple stored: numpy may broadcast it over the region)
                g = ast.Call(N("_ad_seq_adjoint"), [region, N(v.id)], []) if \
                    getattr(self.ctx.kinds.get(v.id), "cls", None) == "tuple" else region
                scalar_region = self.ctx.region_is_scalar(m, idx)
                if self.ctx.is_temp(v.id) and not self.ctx.is_memory(v.id) and v.id not in self.assigned \
                        and not scalar_region:
                    if self.ctx.group_reads_cell(s, m):
                        g = ast.Call(N("_ad_copy"), [region], [])
                    else:
                        # nothing else on this line touches m's shadow: read a view
                        # and zero it once the line's adjoint is done (the line's pops
                        # may have put back the temporaries of its index by then:
                        # ``_t13 = idx[s] + 2`` of the step before; their values are kept)
                        rec.core += keep_temporaries(zero.targets[0].slice, self.ctx, s)
                        rec.deferred.append(zero)
                        zero = None
                if self.ctx.is_memory(v.id) and self.ctx.eff.cell(v.id) == self.ctx.eff.cell(m) and zero is not None:
                    # the stored value's shadow may overlap the region: read, zero, then add
                    gname = self.ctx.namer.fresh("_g{}")
                    rec.core.append(ast.Assign(targets=[N(gname, ast.Store)], value=ast.Call(N("_ad_copy"), [g], [])))
                    rec.core.append(zero)
                    rec.core += self.contrib(v.id, N(gname), big=not scalar_region)
                    return rec
                rec.core += self.contrib(v.id, g, big=not scalar_region)
            if zero is not None:
                rec.core.append(zero)
        else:
            call = ast.Call(N("_ad_store_adjoint"), [N(dm), copy.deepcopy(idx)], [])
            if v_active:
                rec.core += self.contrib(v.id, call, big=True)
            else:
                rec.core.append(ast.Expr(call))
        return rec

    def on_increment(self, f) -> Record:
        s, t, v = f.stmt, f.target, f.value
        self.target, self.target_is_temp, m = None, False, t.value.id
        rec = Record(s, kind="store")
        if not self.active(m) or not (isinstance(v, ast.Name) and self.active(v.id)):
            return rec
        dm = self.adj(m)
        scalar_region = self.ctx.region_is_scalar(m, t.slice)
        if self.ctx.index_is_basic(t.slice):
            g = ast.Subscript(N(dm), copy.deepcopy(t.slice), ast.Load())
            if self.ctx.is_temp(v.id) and not self.ctx.is_memory(v.id) and v.id not in self.assigned \
                    and not scalar_region:
                g = ast.Call(N("_ad_copy"), [g], [])
        else:
            g = ast.Call(N("_ad_gather_last"), [N(dm), copy.deepcopy(t.slice)], [])
        if getattr(self.ctx.kinds.get(v.id), "cls", None) == "tuple":   # (numpy may broadcast it over the region)
            g = ast.Call(N("_ad_seq_adjoint"), [g, N(v.id)], [])
        g = ast.UnaryOp(ast.USub(), g) if isinstance(s.op, ast.Sub) else g
        rec.core += self.contrib(v.id, g, big=not scalar_region)
        return rec

    # -- Python lists as stacks: the adjoints go through a list in reverse order --
    def on_push(self, f) -> Record:
        """``st.append(v)``: ``v``'s adjoint is the top of ``st``'s adjoint stack
        (zero for an item never popped: those are at the bottom)."""
        rec = Record(f.stmt, kind="store")
        if not self.active(f.stack):
            return rec
        top = ast.Call(N("_ad_stack_pop"), [N(self.adj(f.stack))], [])
        v = f.value
        if isinstance(v, ast.Name) and self.active(v.id):
            rec.core += self.contrib(v.id, top)
        else:
            rec.core.append(ast.Expr(top))   # keep the adjoint stack in step
        return rec

    def on_pop(self, f) -> Record:
        """``n = st.pop()``: ``n``'s adjoint goes onto ``st``'s adjoint stack."""
        n = f.name
        rec = Record(f.stmt, target=n, kind="bind")
        if not self.active(f.stack):
            return rec
        self.target, self.target_is_temp = n, False
        g = N(G) if n is not None and self.active(n) else ast.Constant(0.0)
        push = ast.Attribute(N(self.adj(f.stack)), "append", ast.Load())
        rec.core.append(ast.Expr(ast.Call(push, [g], [])))
        rec.reset = n is not None and self.active(n) and not self.ctx.is_memory(n)
        return rec

    # -- calls -------------------------------------------------------------------------
    def on_inplace_call(self, f) -> Record:
        """Helpers that write their argument occur in generated reverse code,
        which is differentiated in forward mode only."""
        if f.name is None:
            self.refuse_special(f.stmt, f.call)
            return Record(f.stmt)
        rec, go = self.bound(f.stmt, f.name, f.call)
        if go:
            self.refuse_special(f.stmt, f.call)
            rec.core += self.adjoint_call(f.stmt, f.call, None)
        return rec

    def refuse_special(self, s, call):
        names = [a.id for a in ast.walk(call) if isinstance(a, ast.Name)]
        if any(self.active(x) for x in names):
            self.err(s, f"{notes.rule(call).name} is differentiated in forward mode only "
                        "(reverse mode of generated reverse code is not supported).",
                     "use forward-over-reverse (adcompiler.hvp) for second derivatives.")

    def on_split_call(self, f) -> Record:
        """A call of a function registered with ``defsplit``: its reverse
        function gets the record its forward function left on the tape."""
        s, n, call = f.stmt, f.name, f.call
        if n is None:
            return Record(s)
        rec, go = self.bound(s, n, call)
        if not go:
            return rec
        rec = Record(s, target=n, kind="call")
        _, rev_name = self.ctx.module.split_names(f.rule)
        result = self.ctx.namer.fresh(RESULT)
        pop = ast.Call(ast.Attribute(N(self.ctx.namer.tape), "pop", ast.Load()), [], [])
        args = [copy.deepcopy(a) for a in call.args]
        rec.core.append(ast.Assign(targets=[N(result, ast.Store)],
                                   value=ast.Call(N(rev_name), [pop, self.exact_g(n)] + args, [])))
        for k, a in enumerate(call.args):   # (none into a parameter constant by declaration: a kernel's const=)
            if isinstance(a, ast.Name) and self.active(a.id) and not set(f.rule.param_names[k:k + 1]) & f.rule.constant:
                rec.core += self.contrib(a.id, ast.Subscript(N(result), ast.Constant(k), ast.Load()))
        return rec

    def on_user_call(self, f) -> Record:
        s, n, call = f.stmt, f.name, f.call
        go = True
        if n is not None:
            bound_rec, go = self.bound(s, n, call)
        info = self.ctx.callee(call, n)
        if not go and (info is None or all(act == "Const" for act in info.activities)):
            return bound_rec
        # the callee's reverse half runs whenever it has derivatives to carry, also when its
        # result has none (``n = helper(x)`` with ``n`` an int, unused, or a test): its writes to
        # ``x`` were dropped, and its pushes left on the tape for later pops
        rec = Record(s, target=n, kind="call")
        if info is None:
            return rec
        args = call_arguments(call, info.activities, info.shadow_names.__getitem__)
        self.target = n
        dret = (self.exact_g(n) if go else ast.Constant(0.0)) if info.ret_active else ast.Constant(None)
        if info.ret_active and self.ctx.complex and not known_complex(self.ctx.kinds.get(n)):
            # a real return's adjoint may carry an imaginary part from complex operations
            dret = ast.Call(N("_ad_real_if"), [dret, N(ANS)], [])
        result = self.ctx.namer.fresh(RESULT)
        rcall = ast.Call(N(info.rev_name), args + [dret, N(self.ctx.namer.tape)], [])
        rec.core.append(ast.Assign(targets=[N(result, ast.Store)], value=rcall))
        k = 0
        for a, act in zip(call.args, info.activities):
            if act == "Active":
                rec.core += self.contrib(a.id, ast.Subscript(N(result), ast.Constant(k), ast.Load()))
                k += 1
        if k == 0:
            rec.core[0] = ast.Expr(rcall)
        return self.shadows_checked_apart(rec, s, call, info)
