"""adjoint: the reverse-sweep code of each normalized statement.

``AdjointBuilder.block(stmts)`` walks a body backwards and returns one
``Record`` per statement with its adjoint code (``core``). The code reads the
adjoint of the statement's target through the placeholder ``__G__`` and its
value through ``__ANS__``; the sweep assembler decides later whether they are
read directly or from a captured copy (when the name is restored from the
tape). Rules from the tables are instantiated here.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

import numpy as np

from ..codegen.naming import RESULT
from ..errors import UnsupportedSyntaxError
from ..rules import lookup
from ..rules.binding import bind

G, ANS = "__G__", "__ANS__"
BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
          ast.Pow: np.power, ast.MatMult: np.matmul, ast.Mod: np.remainder}


@dataclass
class Record:
    stmt: ast.stmt
    core: list = field(default_factory=list)
    target: str | None = None     # name bound by the statement
    kind: str = "other"           # bind | store | call | for | while | if | other
    children: list = field(default_factory=list)   # [records of body, records of orelse]
    deferred: list = field(default_factory=list)   # code to run when the statement's line is done
    reset: bool = False           # reset the value adjoint of target afterwards


def N(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def subst(tree, mapping):
    """Copy of ``tree`` with Name ids replaced by expressions from ``mapping``."""
    tree = copy.deepcopy(tree)

    class T(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in mapping:
                return copy.deepcopy(mapping[node.id])
            return node
    if isinstance(tree, ast.Name) and tree.id in mapping:
        return copy.deepcopy(mapping[tree.id])
    return T().visit(tree)


class AdjointBuilder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.assigned: set = set()   # value temporaries whose adjoint exists
        self.alias: dict = {}        # temporary -> temporary whose adjoint it shares
        self.target = None
        self.target_is_temp = False
        self.in_branch = 0

    # -- helpers --------------------------------------------------------------
    def active(self, name) -> bool:
        return self.ctx.is_active(name)

    def adj(self, name) -> str:
        return self.ctx.namer.adjoint(name)

    def contrib(self, name: str, expr: ast.expr, big: bool = False) -> list:
        """Add ``expr`` to the adjoint of ``name``.

        ``big`` says ``expr`` may be broadcast beyond ``name``'s shape. Array
        values keep such adjoints as they are (summing is deferred to where the
        exact shape is needed: memory shadows, scalars, non-elementwise rules);
        that spares the tape the shapes of most temporaries.
        """
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
            return [ast.AugAssign(target=N(d, ast.Store), op=ast.Add(), value=expr)]
        if big and kind is not None and kind.cls in ("float", "int", "bool"):
            expr = ast.Call(N("_ad_unbroadcast"), [expr, ast.Tuple([], ast.Load())], [])
        if self.ctx.is_temp(name) and name not in self.assigned:
            self.assigned.add(name)
            if isinstance(expr, ast.Name) and expr.id == G and self.target_is_temp and not self.in_branch \
                    and self.ctx.single_use(name):
                self.alias[name] = self.target
                return []
            return [ast.Assign(targets=[N(d, ast.Store)], value=expr)]
        if big and (kind is None or kind.cls in ("array", "num", "other")):
            # An adjoint that sums several contributions must have the value's own
            # shape: adding a broadcast contribution would repeat the others.
            expr = ast.Call(N("_ad_unbroadcast"), [expr, N(name)], [])
        return [ast.Assign(targets=[N(d, ast.Store)], value=ast.BinOp(N(d), ast.Add(), expr))]

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

    def err(self, s, msg, hint):
        raise UnsupportedSyntaxError(msg, filename=self.ctx.pf.filename, lineno=s.lineno,
                                     construct=self.ctx.pf.line_text(s.lineno), hint=hint)

    # -- rules ----------------------------------------------------------------
    def apply_rule(self, rule, bound: dict, s) -> list:
        out = []
        elementwise = rule.kind == "elementwise"
        n = self.target
        big = elementwise and (any(self.may_be_array(v) for v in bound.values() if isinstance(v, ast.AST))
                               or (n is not None and self.may_be_array(N(n))))
        for p in rule.tangents:
            a = bound.get(p)
            if p not in rule.adjoints and isinstance(a, ast.Name) and self.active(a.id):
                self.err(s, f"{rule.name} has no reverse-mode rule for its argument `{p}`.",
                         "register an adjoint template with adcompiler.extend.defrule.")
        for p, a in bound.items():
            k = self.ctx.kinds.get(a.id) if isinstance(a, ast.Name) else None
            if k is not None and k.cls == "tuple" and self.active(a.id):
                self.err(s, f"{rule.name} is given `{a.id}`, a tuple that carries derivatives.",
                         "pass its elements, e.g. (t[0], t[1]).")
        for p, template in rule.adjoint_asts.items():
            a = bound.get(p)
            mapping = {k: v for k, v in bound.items() if isinstance(v, ast.AST)}
            mapping["g"] = N(G) if elementwise else self.exact_g(n)
            mapping["ans"] = N(ANS)
            if isinstance(a, (ast.Tuple, ast.List)):
                # a sequence of arrays: the template returns one adjoint per element
                elts = [e for e in a.elts if isinstance(e, ast.Name) and self.active(e.id)]
                if not elts:
                    continue
                gname = self.ctx.namer.fresh("_g{}")
                out.append(ast.Assign(targets=[N(gname, ast.Store)], value=ast.Call(
                    N("_ad_per_element"), [subst(template, mapping), ast.Constant(len(a.elts))], [])))
                for k, e in enumerate(a.elts):
                    if isinstance(e, ast.Name) and self.active(e.id):
                        out += self.contrib(e.id, ast.Subscript(N(gname), ast.Constant(k), ast.Load()), big)
                continue
            if not isinstance(a, ast.Name) or not self.active(a.id):
                continue
            expr = subst(template, mapping)
            out += self.contrib(a.id, expr, big)
        return out

    def inactive_use(self, s, names):
        for n in names:
            if self.active(n):
                self.err(s, f"`{n}` carries a derivative into an operation that adcompiler cannot differentiate.",
                         "restructure the code so the value is not used this way, or register a rule.")

    # -- statements -----------------------------------------------------------
    def block(self, stmts) -> list:
        self.ctx.alias = self.alias
        return [self.stmt(s) for s in reversed(stmts)]

    def stmt(self, s) -> Record:
        if isinstance(s, ast.Assign):
            t = s.targets[0]
            if isinstance(t, ast.Name) and self.is_stack_call(s.value):
                return self.stack_pop(s, t.id, s.value)
            if isinstance(t, ast.Name):
                return self.bind(s, t.id, s.value)
            return self.store(s, t, s.value)
        if isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Subscript):
                return self.increment(s)
            return Record(s)   # loop counters
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and getattr(s.value, "_ad_target", None) is not None \
                and s.value._ad_rule is None:
            return self.user_call(s, None, s.value)
        if isinstance(s, ast.Expr) and self.is_stack_call(s.value):
            return self.stack_append(s, s.value) if s.value.args else self.stack_pop(s, None, s.value)
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and \
                getattr(getattr(s.value, "_ad_rule", None), "kind", None) == "inplace":
            self.refuse_special(s, s.value)
        if isinstance(s, ast.For):
            rec = Record(s, kind="for")
            rec.children = [self.block(s.body)]
            return rec
        if isinstance(s, ast.While):
            rec = Record(s, kind="while")
            rec.children = [self.block(s.body)]
            return rec
        if isinstance(s, ast.If):
            before = set(self.assigned)
            self.in_branch += 1
            body = self.block(s.body)
            a_body, self.assigned = self.assigned, set(before)
            orelse = self.block(s.orelse)
            self.in_branch -= 1
            a_else = self.assigned
            rec = Record(s, kind="if")
            rec.children = [body, orelse]
            rec.fill = [sorted(a_else - a_body), sorted(a_body - a_else)]
            self.assigned = a_body | a_else
            return rec
        return Record(s)

    def bind(self, s, n, v) -> Record:
        rec = Record(s, target=n, kind="bind")
        if not self.active(n):
            return rec
        ctx = self.ctx
        self.target = n
        self.target_is_temp = ctx.is_temp(n) and not ctx.is_memory(n)
        if self.target_is_temp and n not in self.assigned:
            return rec   # nothing flowed back into this temporary: its adjoint is zero
        rec.reset = not ctx.is_memory(n) and not ctx.is_temp(n) and n in ctx.kinds \
            and not (isinstance(v, ast.Constant) and v.value is None)
        core = rec.core
        if n == ctx.namer.ret and ctx.returns_memory():
            return rec   # the caller's adjoint joins the memory's shadow (``adjoint_inits``)
        big = self.may_be_array(N(n)) and not ctx.is_memory(n)
        if isinstance(v, ast.Name):
            if self.active(v.id) and not ctx.is_alias_binding(s):
                core += self.contrib(v.id, N(G), big)
        elif isinstance(v, ast.Constant):
            pass
        elif isinstance(v, ast.List) and not v.elts:
            rec.reset = False
            core.append(ast.Assign(targets=[N(self.adj(n), ast.Store)], value=ast.List([], ast.Load())))
        elif isinstance(v, ast.BinOp):
            f = BINOPS.get(type(v.op))
            if f is None:
                self.inactive_use(s, [x.id for x in (v.left, v.right) if isinstance(x, ast.Name)])
            else:
                rule = lookup(f)
                core += self.apply_rule(rule, dict(zip(rule.param_names, [v.left, v.right])), s)
        elif isinstance(v, ast.UnaryOp):
            if isinstance(v.op, ast.USub) and isinstance(v.operand, ast.Name) and self.active(v.operand.id):
                core += self.contrib(v.operand.id, ast.UnaryOp(ast.USub(), N(G)), big)
        elif isinstance(v, ast.Subscript):
            core += self.read(s, v)
        elif isinstance(v, ast.Call):
            rule = v._ad_rule
            if rule is None:
                return self.user_call(s, n, v)
            if rule.kind == "split":
                return self.split_call(s, n, v, rule)
            if rule.kind in ("stack", "inplace"):
                self.refuse_special(s, v)
            if rule.kind == "view" and ctx.is_alias_binding(s):
                pass
            elif rule.differentiable:
                core += self.apply_rule(rule, bind(rule, v), s)
        elif isinstance(v, ast.Tuple):
            for k, x in enumerate(v.elts):
                if isinstance(x, ast.Name) and self.active(x.id):
                    core += self.contrib(x.id, ast.Call(N("_ad_tget"), [N(G), ast.Constant(k)], []))
        return rec

    def read(self, s, v) -> list:
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
        if self.ctx.index_is_basic(v.slice):
            return [ast.AugAssign(target=ast.Subscript(N(dm), idx, ast.Store()), op=ast.Add(), value=g)]
        return [ast.Expr(ast.Call(N("_ad_add_at"), [N(dm), idx, g], []))]

    def tuple_read(self, s, m, kind, idx) -> list:
        """``n = t[k]``: the adjoint of ``n`` joins element ``k`` of ``t``'s."""
        if not (isinstance(idx, ast.Constant) and type(idx.value) is int):
            self.err(s, f"`{m}` is a tuple that carries derivatives and is indexed with a variable.",
                     "index it with a constant, or unpack it.")
        g = N(G)
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

    def store(self, s, t, v) -> Record:
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
            if v_active:
                g = region
                scalar_region = self.ctx.region_is_scalar(m, idx)
                if self.ctx.is_temp(v.id) and not self.ctx.is_memory(v.id) and v.id not in self.assigned \
                        and not scalar_region:
                    if self.ctx.group_reads_cell(s, m):
                        g = ast.Call(N("_ad_copy"), [region], [])
                    else:
                        # nothing else on this line touches m's shadow: read a view
                        # and zero it once the line's adjoint is done
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


    def increment(self, s) -> Record:
        t, v = s.target, s.value
        self.target, self.target_is_temp = None, False
        m = t.value.id
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
        if isinstance(s.op, ast.Sub):
            g = ast.UnaryOp(ast.USub(), g)
        rec.core += self.contrib(v.id, g, big=not scalar_region)
        return rec

    # -- Python lists as stacks: the adjoints go through a list in reverse order --
    @staticmethod
    def is_stack_call(v) -> bool:
        return isinstance(v, ast.Call) and getattr(getattr(v, "_ad_rule", None), "kind", None) == "stack"

    def stack_append(self, s, call) -> Record:
        """``st.append(v)``: ``v``'s adjoint is the top of ``st``'s adjoint stack
        (zero for an item never popped: those are at the bottom)."""
        st = call.func.value.id
        rec = Record(s, kind="store")
        if not self.active(st):
            return rec
        top = ast.Call(N("_ad_stack_pop"), [N(self.adj(st))], [])
        v = call.args[0]
        if isinstance(v, ast.Name) and self.active(v.id):
            rec.core += self.contrib(v.id, top)
        else:
            rec.core.append(ast.Expr(top))   # keep the adjoint stack in step
        return rec

    def stack_pop(self, s, n, call) -> Record:
        """``n = st.pop()``: ``n``'s adjoint goes onto ``st``'s adjoint stack."""
        st = call.func.value.id
        rec = Record(s, target=n, kind="bind")
        if not self.active(st):
            return rec
        self.target, self.target_is_temp = n, False
        g = N(G) if n is not None and self.active(n) else ast.Constant(0.0)
        push = ast.Attribute(N(self.adj(st)), "append", ast.Load())
        rec.core.append(ast.Expr(ast.Call(push, [g], [])))
        rec.reset = n is not None and self.active(n) and not self.ctx.is_memory(n)
        return rec

    def refuse_special(self, s, call):
        names = [a.id for a in ast.walk(call) if isinstance(a, ast.Name)]
        if any(self.active(x) for x in names):
            self.err(s, f"{call._ad_rule.name} is differentiated in forward mode only "
                        "(reverse mode of generated reverse code is not supported).",
                     "use forward-over-reverse (adcompiler.hvp) for second derivatives.")

    def split_call(self, s, n, call, rule) -> Record:
        """A call of a function registered with ``defsplit``: its reverse
        function gets the record its forward function left on the tape."""
        rec = Record(s, target=n, kind="call")
        _, rev_name = self.ctx.module.split_names(rule)
        self.target = n
        result = self.ctx.namer.fresh(RESULT)
        pop = ast.Call(ast.Attribute(N(self.ctx.namer.tape), "pop", ast.Load()), [], [])
        args = [copy.deepcopy(a) for a in call.args]
        rec.core.append(ast.Assign(targets=[N(result, ast.Store)],
                                   value=ast.Call(N(rev_name), [pop, self.exact_g(n)] + args, [])))
        for k, a in enumerate(call.args):
            if isinstance(a, ast.Name) and self.active(a.id):
                rec.core += self.contrib(a.id, ast.Subscript(N(result), ast.Constant(k), ast.Load()))
        return rec

    def user_call(self, s, n, call) -> Record:
        rec = Record(s, target=n, kind="call")
        info = self.ctx.callee(call, n)
        if info is None:
            return rec
        rec.callee = info
        args = []
        for a, act in zip(call.args, info.activities):
            args.append(copy.deepcopy(a))
            if act == "Duplicated":
                args.append(N(info.shadow_names[a.id]))
        self.target = n
        dret = self.exact_g(n) if info.ret_active else ast.Constant(None)
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
        return rec
