"""forward: tangent-linear code, statement by statement.

Each primal statement is followed by the statement that computes the tangent
of what it binds or stores, so the generated function runs the primal once
and needs no tape. Tangents are named like shadows (``dx`` for ``x``):
``Duplicated(x, dx)`` arguments carry the tangent of the initial value in and
of the final value out. Elementwise rules reuse their adjoint template with
the tangent in place of ``g``; other rules give a tangent template per
parameter (``Rule.tangents``, linear in ``t``).
"""
from __future__ import annotations

import ast
import copy

from ..errors import UnsupportedSyntaxError
from ..rules import lookup
from ..rules.binding import bind
from .adjoint import ANS, BINOPS, N, subst


def _add(a, b):
    return b if a is None else ast.BinOp(a, ast.Add(), b)


class ForwardBuilder:
    def __init__(self, ctx):
        self.ctx = ctx

    def active(self, name) -> bool:
        return isinstance(name, str) and self.ctx.is_active(name)

    def tan(self, name) -> str:
        return self.ctx.namer.adjoint(name)

    def may_be_array(self, name) -> bool:
        k = self.ctx.kinds.get(name)
        return k is None or k.cls in ("array", "num", "other")

    def err(self, s, msg, hint):
        raise UnsupportedSyntaxError(msg, filename=self.ctx.pf.filename, lineno=s.lineno,
                                     construct=self.ctx.pf.line_text(s.lineno), hint=hint)

    # -- blocks ---------------------------------------------------------------
    def block(self, stmts) -> list:
        out, line = [], None
        for s in stmts:
            if s.lineno != line and not isinstance(s, (ast.Break, ast.Pass)):
                line = s.lineno
                out.append(self.ctx.comment(s.lineno))
            out += self.stmt(s)
        return out

    def stmt(self, s) -> list:
        if isinstance(s, ast.For):
            return [ast.For(target=copy.deepcopy(s.target), iter=copy.deepcopy(s.iter),
                            body=self.block(s.body) or [ast.Pass()], orelse=[])]
        if isinstance(s, ast.While):
            return [ast.While(test=s.test, body=self.block(s.body) or [ast.Pass()], orelse=[])]
        if isinstance(s, ast.If):
            return [ast.If(test=s.test, body=self.block(s.body) or [ast.Pass()], orelse=self.block(s.orelse))]
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            return self.bind(s, s.targets[0].id, s.value)
        if isinstance(s, ast.Assign):
            return self.store(s)
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Subscript):
            return self.increment(s)
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and getattr(s.value, "_ad_target", None) is not None \
                and s.value._ad_rule is None:
            return self.user_call(s, None, s.value)
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            rule = getattr(s.value, "_ad_rule", None)
            if rule is not None and rule.kind == "stack":
                return self.push(s)
            if rule is not None and rule.kind == "inplace":
                return [copy.deepcopy(s)] + self.inplace(s.value, rule, None)
        return [copy.deepcopy(s)]

    # -- stacks (the tape of generated reverse code) and in-place helpers -------
    def zero_of(self, e):
        if isinstance(e, ast.Name):
            return ast.Call(N("_ad_zero_tangent"), [N(e.id)], [])
        return ast.Constant(0.0)

    def push(self, s) -> list:
        call = s.value
        stack = call.func.value.id
        out = [copy.deepcopy(s)]
        if self.active(stack):
            v = call.args[0]
            t = N(self.tan(v.id)) if isinstance(v, ast.Name) and self.active(v.id) else self.zero_of(v)
            out.append(ast.Expr(ast.Call(ast.Attribute(N(self.tan(stack)), "append", ast.Load()), [t], [])))
        return out

    def pop(self, s, n, call) -> list:
        stack = call.func.value.id
        out = [copy.deepcopy(s)]
        if self.active(stack):
            pop = ast.Call(ast.Attribute(N(self.tan(stack)), "pop", ast.Load()), [], [])
            out.append(ast.Assign(targets=[N(self.tan(n), ast.Store)], value=pop) if self.active(n) else ast.Expr(pop))
        return out

    def inplace(self, call, rule, n) -> list:
        """Tangent of a helper that writes its first argument (rule.tangent is
        a template in the parameters and ``d_<param>``)."""
        bound = bind(rule, call)
        first = rule.param_names[0]
        x = bound.get(first)
        if not (isinstance(x, ast.Name) and self.active(x.id)):
            return []
        mapping = {k: v for k, v in bound.items() if isinstance(v, ast.AST)}
        for p in rule.param_names:
            a = bound.get(p)
            mapping["d_" + p] = N(self.tan(a.id)) if isinstance(a, ast.Name) and self.active(a.id) \
                else self.zero_of(a) if isinstance(a, ast.AST) else ast.Constant(0.0)
        expr = subst(rule.tangent_ast, mapping)
        if n is not None and self.active(n):
            return [ast.Assign(targets=[N(self.tan(n), ast.Store)], value=expr)]
        return [ast.Expr(expr)]

    # -- tangent expressions --------------------------------------------------------
    def tangent(self, s, n, v):
        """(tangent expression of ``v`` or None, whether it may be smaller than ``n``)."""
        if isinstance(v, ast.Name):
            return (N(self.tan(v.id)) if self.active(v.id) else None), False
        if isinstance(v, ast.Constant):
            return None, False
        if isinstance(v, ast.UnaryOp):
            if isinstance(v.op, ast.USub) and isinstance(v.operand, ast.Name) and self.active(v.operand.id):
                return ast.UnaryOp(ast.USub(), N(self.tan(v.operand.id))), False
            return None, False
        if isinstance(v, ast.Subscript):
            m = v.value.id if isinstance(v.value, ast.Name) else None
            if m is None or not self.active(m):
                return None, False
            return self.tan_subscript(m, v.slice), False
        if isinstance(v, ast.BinOp):
            f = BINOPS.get(type(v.op))
            if f is None:
                return None, False
            rule = lookup(f)
            return self.apply_rule(rule, dict(zip(rule.param_names, [v.left, v.right])), s)
        if isinstance(v, ast.Call):
            rule = v._ad_rule
            if rule is None or not rule.differentiable:
                return None, False
            if rule.kind == "split":
                self.err(s, f"{rule.name} was registered with defsplit, which has no forward mode.",
                         "register it with defrule and tangent templates.")
            return self.apply_rule(rule, bind(rule, v), s)
        if isinstance(v, ast.Tuple):
            if not any(isinstance(x, ast.Name) and self.active(x.id) for x in v.elts):
                return None, False
            self.tuple_tangent(s)
            return ast.Tuple([N(self.tan(x.id)) if isinstance(x, ast.Name) and self.active(x.id)
                              else ast.Constant(0.0) for x in v.elts], ast.Load()), False
        return None, False

    def tuple_tangent(self, s):
        """Tuples carry a tuple of tangents (vector mode refuses them)."""

    def apply_rule(self, rule, bound, s):
        total = None
        inactive = []
        mapping = {k: v for k, v in bound.items() if isinstance(v, ast.AST)}
        mapping["ans"] = N(ANS)
        for p in rule.param_names:
            a = bound.get(p)
            if isinstance(a, (ast.Tuple, ast.List)) and any(
                    isinstance(e, ast.Name) and self.active(e.id) for e in a.elts):
                tree, var = rule.tangent_template(p)
                if tree is None:
                    self.err(s, f"{rule.name} has no tangent rule for its argument `{p}`.",
                             "register one with adcompiler.extend.defrule(..., tangents={...}).")
                self.sequence_argument(s, rule)
                elts = [N(self.tan(e.id)) if isinstance(e, ast.Name) and self.active(e.id) else
                        ast.Call(N("_ad_shadow_like"), [copy.deepcopy(e)], []) for e in a.elts]
                total = _add(total, subst(tree, dict(mapping, **{var: ast.Tuple(elts, ast.Load())})))
                continue
            if not isinstance(a, ast.Name) or not self.active(a.id):
                if isinstance(a, ast.Name) and self.may_be_array(a.id) and p in rule.adjoint_asts:
                    inactive.append(a.id)
                continue
            if p in getattr(rule, "refuse", ()):
                self.err(s, f"the derivative of {rule.name} with respect to `{p}` is not available "
                            "(second derivatives through this function are not supported).",
                         "keep this argument constant, or use finite differences of the gradient.")
            if p not in rule.adjoint_asts and p not in rule.tangent_asts:
                continue   # a parameter with no derivative (a shape, an index, a flag)
            tree, var = rule.tangent_template(p)
            if tree is None:
                self.err(s, f"{rule.name} has no tangent rule for its argument `{p}`.",
                         "register one with adcompiler.extend.defrule(..., tangents={...}).")
            total = _add(total, self.term(rule, tree, var, mapping, N(self.tan(a.id))))
        # a constant operand may broadcast the result beyond the tangent's shape
        used = {x.id for x in ast.walk(total) if isinstance(x, ast.Name)} if total is not None else set()
        partial = rule.kind == "elementwise" and any(q not in used for q in inactive)
        return total, partial

    # -- statements ------------------------------------------------------------------
    def bind(self, s, n, v) -> list:
        ctx = self.ctx
        if isinstance(v, ast.Call) and v._ad_rule is None and getattr(v, "_ad_target", None) is not None:
            return self.user_call(s, n, v)
        rule = getattr(v, "_ad_rule", None) if isinstance(v, ast.Call) else None
        if rule is not None and rule.kind == "stack":
            return self.pop(s, n, v)
        if rule is not None and rule.kind == "inplace":
            return [copy.deepcopy(s)] + self.inplace(v, rule, n)
        if isinstance(v, ast.List) and not v.elts:
            out = [copy.deepcopy(s)]
            if self.active(n):
                out.append(ast.Assign(targets=[N(self.tan(n), ast.Store)], value=ast.List([], ast.Load())))
            return out
        primal = copy.deepcopy(s)
        if not self.active(n):
            return [primal]
        dn = self.tan(n)
        if ctx.is_alias_binding(s):
            return [primal, self.alias_binding(s)]
        t, partial = self.tangent(s, n, v)
        uses_ans = t is not None and any(isinstance(x, ast.Name) and x.id == ANS for x in ast.walk(t))
        self_ref = any(isinstance(x, ast.Name) and x.id == n for x in ast.walk(v))
        out = []
        ans = n
        if self_ref:
            ans = ctx.namer.fresh("_p{}")
            out.append(ast.Assign(targets=[N(ans, ast.Store)], value=copy.deepcopy(v)))
        else:
            out.append(primal)
        if t is None:
            value = self.scalar_zero(N(ans)) if not self.may_be_array(n) else self.zeros(N(ans))
        else:
            if uses_ans:
                t = subst(t, {ANS: N(ans)})
            if ctx.is_memory(n):
                value = self.fresh(t, N(ans))
            elif partial and self.may_be_array(n):
                value = self.broadcast(t, N(ans))
            else:
                value = t
        if self_ref:
            tmp = ctx.namer.fresh("_q{}")
            out.append(ast.Assign(targets=[N(tmp, ast.Store)], value=value))
            out.append(ast.Assign(targets=[N(n, ast.Store)], value=N(ans)))
            out.append(ast.Assign(targets=[N(dn, ast.Store)], value=N(tmp)))
        else:
            out.append(ast.Assign(targets=[N(dn, ast.Store)], value=value))
        return out

    def store(self, s) -> list:
        t, v = s.targets[0], s.value
        out = [copy.deepcopy(s)]
        m = t.value.id
        if not self.active(m):
            return out
        val = N(self.tan(v.id)) if isinstance(v, ast.Name) and self.active(v.id) else ast.Constant(0.0)
        out.append(self.store_tangent(m, t.slice, val))
        return out

    def increment(self, s) -> list:
        t, v = s.target, s.value
        out = [copy.deepcopy(s)]
        m = t.value.id
        if self.active(m) and isinstance(v, ast.Name) and self.active(v.id):
            out.append(self.increment_tangent(m, t.slice, s.op, N(self.tan(v.id))))
        return out

    # -- hooks (vector mode overrides them, see transform/batch.py) ----------------
    def tan_subscript(self, m, idx):
        return ast.Subscript(N(self.tan(m)), copy.deepcopy(idx), ast.Load())

    def term(self, rule, tree, var, mapping, t):
        return subst(tree, dict(mapping, **{var: t}))

    def sequence_argument(self, s, rule):
        pass

    def zeros(self, ans):
        return ast.Call(N("_ad_shadow_like"), [ans], [])

    def scalar_zero(self, ans):
        return ast.Constant(0.0)

    def fresh(self, t, ans):
        return ast.Call(N("_ad_fresh_like"), [t, ans], [])

    def broadcast(self, t, ans):
        return ast.Call(N("_ad_broadcast_like"), [t, ans], [])

    def alias_binding(self, s):
        return self.ctx.shadow_binding(s)

    def store_tangent(self, m, idx, val):
        return ast.Assign(targets=[ast.Subscript(N(self.tan(m)), copy.deepcopy(idx), ast.Store())], value=val)

    def increment_tangent(self, m, idx, op, val):
        return ast.AugAssign(target=ast.Subscript(N(self.tan(m)), copy.deepcopy(idx), ast.Store()),
                             op=copy.deepcopy(op), value=val)

    def user_call(self, s, n, call) -> list:
        info = self.ctx.module.forward_callee(self.ctx, call, n, batch=getattr(self, "batch", False))
        args = []
        for a, act in zip(call.args, info.activities):
            args.append(copy.deepcopy(a))
            if act == "Duplicated":
                args.append(N(self.tan(a.id)))
        new = ast.Call(N(info.name), args, [])
        if n is None:
            return [ast.Expr(new)]
        if info.ret_active:
            target = ast.Tuple([N(n, ast.Store), N(self.tan(n), ast.Store)], ast.Store())
        else:
            target = ast.Tuple([N(n, ast.Store), N("_", ast.Store)], ast.Store())
        out = [ast.Assign(targets=[target], value=new)]
        if self.active(n) and self.ctx.is_alias_binding_call(call, n):
            # the callee returned (a view of) an argument: its tangent is the same view of the argument's
            out.append(self.alias_binding(s))
        elif info.ret_active and self.ctx.is_memory(n):
            # updated in place later: a writable tangent of its own (the callee's may be a broadcast)
            out.append(ast.Assign(targets=[N(self.tan(n), ast.Store)], value=self.fresh(N(self.tan(n)), N(n))))
        return out
