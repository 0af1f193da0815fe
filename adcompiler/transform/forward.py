"""forward: tangent-linear code, statement by statement.

Each primal statement is followed by the statement that computes the tangent
of what it binds or stores, so the generated function runs the primal once
and needs no tape. Tangents are named like shadows (``dx`` for ``x``):
``Duplicated(x, dx)`` arguments carry the tangent of the initial value in and
of the final value out. Elementwise rules reuse their adjoint template with
the tangent in place of ``g``; other rules give a tangent template per
parameter (``Rule.tangents``, linear in ``t``).

There is one handler per statement form (``on_<kind>``, see ``forms``) and
one per form of a bound value (``tangent_<value form>``); vector mode
(``batch``) overrides the hooks at the end.
"""
from __future__ import annotations

import ast
import copy

from ..codegen.naming import is_generated
from ..frontend import notes
from ..rules.binding import bind
from . import pushed_views
from .builder import ANS, FormBuilder, N, call_arguments, subst
from .simplify import zero_where_unread


def _add(a, b):
    return b if a is None else ast.BinOp(a, ast.Add(), b)


class ForwardBuilder(FormBuilder):
    """Tangent-linear code: each statement followed by the tangent of what it binds or stores."""

    batch = False   # vector mode (see transform/batch.py)
    _pushed = None  # the names pushed onto a stack (see ``pushed_view``)
    _bases = None   # (see ``view_bases``)

    def tan(self, name) -> str:
        return self.ctx.namer.adjoint(name)

    def may_be_array(self, name) -> bool:
        k = self.ctx.kinds.get(name)
        return k is None or k.cls in ("array", "num", "other")

    # -- blocks ---------------------------------------------------------------
    def block(self, stmts) -> list:
        out, line = [], None
        for s in stmts:
            if s.lineno != line and not isinstance(s, (ast.Break, ast.Pass)):
                line = s.lineno
                out.append(self.ctx.comment(s.lineno))
            out += self.stmt(s)
        return out

    def on_for(self, f) -> list:
        s = f.stmt
        # (a name that carries a derivative elsewhere, bound by each step to a value without one)
        zero = [ast.Assign(targets=[N(self.tan(n.id), ast.Store)], value=ast.Constant(0.0))
                for n in ast.walk(s.target) if isinstance(n, ast.Name) and self.active(n.id)]
        return [ast.For(target=copy.deepcopy(s.target), iter=copy.deepcopy(s.iter),
                        body=zero + self.block(s.body) or [ast.Pass()], orelse=[])]

    def on_while(self, f) -> list:
        s = f.stmt
        return [ast.While(test=s.test, body=self.block(s.body) or [ast.Pass()], orelse=[])]

    def on_if(self, f) -> list:
        s = f.stmt
        return [ast.If(test=s.test, body=self.block(s.body) or [ast.Pass()], orelse=self.block(s.orelse))]

    def on_plain(self, f) -> list:
        return [copy.deepcopy(f.stmt)]

    on_count = on_plain

    # -- stacks (the tape of generated reverse code) and in-place helpers -------
    def zero_of(self, e):
        if isinstance(e, ast.Name):
            return ast.Call(N("_ad_zero_tangent"), [N(e.id)], [])
        return ast.Constant(0.0)

    def on_push(self, f) -> list:
        out = [copy.deepcopy(f.stmt)]
        if self.active(f.stack):
            v = f.value
            t = N(self.tan(v.id)) if isinstance(v, ast.Name) and self.active(v.id) else self.zero_of(v)
            out.append(ast.Expr(ast.Call(ast.Attribute(N(self.tan(f.stack)), "append", ast.Load()), [t], [])))
        return out

    def on_pop(self, f) -> list:
        out = [copy.deepcopy(f.stmt)]
        if self.active(f.stack):
            pop = ast.Call(ast.Attribute(N(self.tan(f.stack)), "pop", ast.Load()), [], [])
            out.append(ast.Assign(targets=[N(self.tan(f.name), ast.Store)], value=pop) if self.active(f.name)
                       else ast.Expr(pop))
        return out

    def on_new_list(self, f) -> list:
        out = [copy.deepcopy(f.stmt)]
        if self.active(f.name):
            out.append(ast.Assign(targets=[N(self.tan(f.name), ast.Store)], value=ast.List([], ast.Load())))
        return out

    def on_inplace_call(self, f) -> list:
        """Tangent of a helper that writes its first argument (rule.tangent is
        a template in the parameters and ``d_<param>``)."""
        out = [copy.deepcopy(f.stmt)]
        rule, n = f.rule, f.name
        bound = bind(rule, f.call)
        x = bound.get(rule.param_names[0])
        if not (isinstance(x, ast.Name) and self.active(x.id)):
            return out
        mapping = {k: v for k, v in bound.items() if isinstance(v, ast.AST)}
        for p in rule.param_names:
            a = bound.get(p)
            mapping["d_" + p] = N(self.tan(a.id)) if isinstance(a, ast.Name) and self.active(a.id) \
                else self.zero_of(a) if isinstance(a, ast.AST) else ast.Constant(0.0)
        expr = subst(rule.tangent_ast, mapping)
        if n is not None and self.active(n):
            return out + [ast.Assign(targets=[N(self.tan(n), ast.Store)], value=expr)]
        return out + [ast.Expr(expr)]

    def on_split_call(self, f) -> list:
        n = f.name
        if n is not None and self.active(n) and getattr(f.rule, "jvp", None) is not None and not self.batch \
                and not f.call.keywords:
            # (a differentiate'd kernel: its value and tangent, the kernel run once in forward mode)
            args = [copy.deepcopy(a) for a in f.call.args]
            tans = [N(self.tan(a.id)) if isinstance(a, ast.Name) and self.active(a.id) else ast.Constant(None)
                    for a in f.call.args]
            call = ast.Call(N(self.ctx.module.jvp_name(f.rule)), args + tans, [])
            return [ast.Assign(targets=[ast.Tuple([N(n, ast.Store), N(self.tan(n), ast.Store)], ast.Store())],
                               value=call)]
        if n is not None and self.active(n):
            self.err(f.stmt, f"`{f.rule.name}` is differentiated by a forward and a reverse function (defsplit, "
                             "or a differentiate'd kernel), which have no forward mode.",
                     "call the kernel itself (with its output array) instead of its differentiate'd wrapper, or "
                     "register the function with defrule and tangent templates.")
        return [copy.deepcopy(f.stmt)]

    # -- tangent expressions (one per value form, see ``forms.VALUE_FORMS``) --------
    # each: (tangent expression of ``v`` or None, whether it may be smaller than the result)
    def tangent_name(self, s, v):
        return (N(self.tan(v.id)) if self.active(v.id) else None), False

    def tangent_constant(self, s, v):
        return None, False

    def tangent_other(self, s, v):
        self.refuse_list_display(s, v)
        return None, False

    def tangent_unary(self, s, v):
        if isinstance(v.op, ast.USub) and isinstance(v.operand, ast.Name) and self.active(v.operand.id):
            return ast.UnaryOp(ast.USub(), N(self.tan(v.operand.id))), False
        return None, False

    def tangent_read(self, s, v):
        m = v.value.id if isinstance(v.value, ast.Name) else None
        if m is None or not self.active(m):
            return None, False
        k = self.ctx.kinds.get(m)
        if k is not None and k.cls == "tuple" and not self.batch:
            # a callee returns the zero tangent of a tuple as 0.0 (every element zero)
            return ast.Call(N("_ad_tget"), [N(self.tan(m)), copy.deepcopy(v.slice)], []), False
        return self.tan_subscript(m, v.slice), False

    def tangent_binop(self, s, v):
        rule, bound = self.binop_rule(v)
        if rule is None:
            return None, False
        return self.apply_rule(rule, bound, s)

    def tangent_call(self, s, v):
        rule = notes.rule(v)
        if rule is None:
            return None, False
        if not rule.differentiable:
            self.check_call(rule, bind(rule, v), s)   # (a result that is not constant in an argument)
            return None, False
        if rule.kind == "list_stack":
            return self.list_stack_tangent(s, v)
        return self.apply_rule(rule, bind(rule, v), s)

    def list_stack_tangent(self, s, v):
        """``np.stack(L, axis)``: the tangents of the items (kept in a list beside ``L``) stacked."""
        lst, axis = v.args[0], v.args[1]
        if not (isinstance(lst, ast.Name) and self.active(lst.id)):
            return None, False
        return ast.Call(N("_ad_stack_list_tangent"), [N(self.tan(lst.id)), copy.deepcopy(lst),
                                                      copy.deepcopy(axis)], []), False

    def tangent_tuple(self, s, v):
        if not any(isinstance(x, ast.Name) and self.active(x.id) for x in v.elts):
            return None, False
        self.tuple_tangent(s)
        return ast.Tuple([N(self.tan(x.id)) if isinstance(x, ast.Name) and self.active(x.id)
                          else self.zeros(N(x.id)) if isinstance(x, ast.Name) and self.may_be_array(x.id)
                          else ast.Constant(0.0) for x in v.elts], ast.Load()), False   # (read by element)

    def tuple_tangent(self, s):
        """Tuples carry a tuple of tangents (vector mode refuses them)."""

    # -- rules (the walk is ``FormBuilder.apply_rule``) ------------------------------
    def rule_params(self, rule, bound, s, mapping):
        return rule.param_names

    def has_template(self, rule, p) -> bool:
        return rule.tangent_template(p)[0] is not None

    def template(self, rule, p, s):
        tree, var = rule.tangent_template(p)
        if tree is None:
            self.err(s, f"{rule.name} has no tangent rule for its argument `{p}`.",
                     "register one with adcompiler.extend.defrule(..., tangents={...}).")
        return tree, var

    def sequence_term(self, rule, p, a, bound, mapping, s):
        tree, var = self.template(rule, p, s)
        self.sequence_argument(s, rule)
        elts = [N(self.tan(e.id)) if isinstance(e, ast.Name) and self.active(e.id) else
                ast.Call(N("_ad_shadow_like"), [copy.deepcopy(e)], []) for e in a.elts]
        return subst(tree, dict(mapping, **{var: ast.Tuple(elts, ast.Load())}))

    def rule_term(self, rule, p, a, bound, mapping, s):
        if p in rule.refuse and self.checked_as_it_runs(a):
            return self.no_tangent(rule, p, a)
        if p in rule.refuse:
            self.err(s, f"the derivative of {rule.name} with respect to `{p}` is not available "
                        "(second derivatives through this function are not supported).",
                     "keep this argument constant, or use finite differences of the gradient.")
        if p not in rule.adjoint_asts and p not in rule.tangent_asts:
            return None   # a parameter with no derivative (a shape, an index, a flag)
        tree, var = self.template(rule, p, s)
        t = N(self.tan(a.id))
        term = self.term(rule, tree, var, mapping, t)
        if self._zero_d_term(rule, a, bound):   # (hvp of numbers, differentiated as 0-d arrays)
            return self.zero_tangent_guarded(term, t, s)
        risky = a.id in self.ctx.unread_risks(None) or a.id in self.ctx.saturated()
        if risky:   # (the partial times a tangent that may be infinite, of `-r / gamma` at r = inf)
            one = ast.Call(ast.Attribute(N("np"), "float64", ast.Load()), [ast.Constant(1.0)], [])
            partial = ForwardBuilder.term(self, rule, copy.deepcopy(tree), var, mapping, one)
        if not self._number_term(rule, a, bound):
            if risky and rule.kind == "elementwise" and not self.ctx.module.options.second_order \
                    and self.ctx.complex_linear(rule, p):
                # (an array's term: 0 where the partial is 0 and the term nan, exp(-x) at x = 800)
                term = ast.Call(N("_ad_overflow_term"), [partial, term], [])
            return self._array_term_guarded(rule, term, t, s)
        if risky:
            # 0 where the partial is 0 (exp(-inf) * inf was nan), as reverse mode zeroes the unread adjoint's terms
            term = ast.IfExp(test=ast.Compare(partial, [ast.NotEq()], [ast.Constant(0.0)]), body=term,
                             orelse=self.scalar_zero(N(ANS)))
        return self.zero_tangent_guarded(term, t, s)

    def zero_tangent_guarded(self, term, t, s):
        """``term`` (the tangent ``t`` times a partial that may be infinite: d/dv of v ** e at v = 0,
        of math.sqrt(v) where v = x ** 2 is 0) 0 where ``t`` is, not 0 * inf, as reverse mode skips
        a zero adjoint's terms."""
        target = s.targets[0].id if isinstance(s, ast.Assign) and len(s.targets) == 1 \
            and isinstance(s.targets[0], ast.Name) else None
        guarded = zero_where_unread(term, t, *self.ctx.unread_guard(target, ANS))
        if guarded is term:
            return term
        if is_generated(self.ctx.pf.filename):
            # (code differentiated again, by hvp: an adjoint taken there as a number may hold an
            # array, as a list element's does: a helper that tests each element)
            return ast.Call(N("_ad_zero_where_zero"), [copy.deepcopy(t), term], [])
        if self.batch:   # (one tangent per direction: zero each where it is 0)
            return ast.Call(ast.Attribute(N("np"), "where", ast.Load()), [guarded.test, term, ast.Constant(0.0)], [])
        return guarded

    def _array_term_guarded(self, rule, term, t, s):
        """An elementwise rule's ``term`` of arrays, 0 where the tangent is, where the partial may be
        infinite: np.sqrt(np.maximum(v, 0)) at v < 0, whose tangent is 0 there (not 0 * inf), as
        reverse mode's selection gives the operand that lost no adjoint."""
        if rule.kind != "elementwise" or self.ctx.module.options.second_order:
            return term
        target = s.targets[0].id if isinstance(s, ast.Assign) and len(s.targets) == 1 \
            and isinstance(s.targets[0], ast.Name) else None
        # (where the partial may be infinite with finite arguments: an argument's infinite element
        # is not looked for, each guard costing two passes over the array)
        guarded = zero_where_unread(term, t, *self.ctx.unread_guard(target, ANS, saturated=False))
        if guarded is term:
            return term
        if is_generated(self.ctx.pf.filename):   # (hvp: sqrt(maximum(v, 0)) at v < 0 in the reverse code
            return ast.Call(N("_ad_zero_where_zero"), [copy.deepcopy(t), term], [])   # of S * sqrt(...))
        test = guarded.test
        if self.batch:   # (the directions first: the tangent lifted to the result's rank, as the term's is)
            test = ast.Compare(ast.Call(N("_ad_blift"), [copy.deepcopy(t), N(ANS)], []), [ast.NotEq()],
                               [ast.Constant(0.0)])
        return ast.Call(ast.Attribute(N("np"), "where", ast.Load()), [test, term, ast.Constant(0.0)], [])

    def _number_term(self, rule, a, bound) -> bool:
        """An elementwise rule of numbers, in code not differentiated again."""
        if rule.kind != "elementwise" or self.ctx.module.options.second_order:
            return False
        k = self.ctx.kinds.get(a.id)
        return k is not None and k.cls == "float" and not any(
            isinstance(v, ast.Name) and self.may_be_array(v.id) for v in bound.values())

    def _zero_d_term(self, rule, a, bound) -> bool:
        """An elementwise rule of 0-d arrays and numbers in code differentiated again: hvp and hessian
        take a number argument as a 0-d array, whose zero tangent passes on 0 as a number's does."""
        if rule.kind != "elementwise" or not is_generated(self.ctx.pf.filename):
            return False
        k = self.ctx.kinds.get(a.id)
        zero_d = [self.ctx.kinds.get(v.id) for v in bound.values() if isinstance(v, ast.Name)]
        return k is not None and k.cls == "array" and k.ndim == 0 and all(
            x is not None and (x.cls in ("float", "int", "bool") or x.cls == "array" and x.ndim == 0) for x in zero_d)

    def real_cast(self, result):
        total, partial = result
        return (None if total is None else ast.Call(N("_ad_real_if"), [total, N(ANS)], [])), partial

    def checked_as_it_runs(self, a) -> bool:
        """Whether the tangent of ``a``, taken as active where a rule has no derivative, is checked
        to be zero as the code runs rather than refused: in code differentiated again (hvp,
        hessian), where a value popped from the first derivative's tape may be constant."""
        return is_generated(self.ctx.pf.filename) and not self.batch and isinstance(a, ast.Name)

    def no_tangent(self, rule, p, a):
        """The term of ``a`` (``checked_as_it_runs``): 0, refused at the line where its tangent is not."""
        return ast.Call(N("_ad_no_tangent"), [N(self.tan(a.id)), ast.Constant(rule.name), ast.Constant(p)], [])

    def refuse_untemplated(self, rule, p, a, s):
        if not self.checked_as_it_runs(a):
            super().refuse_untemplated(rule, p, a, s)

    def checked_zero_terms(self, rule, bound) -> list:
        # (those of ``rule.refuse``: ``rule_term``'s)
        return [self.no_tangent(rule, p, a) for p, a in self.untemplated(rule, bound)
                if p not in rule.refuse and self.checked_as_it_runs(a)]

    def rule_result(self, rule, terms, inactive):
        total = None
        for t in terms:
            if t is not None:
                # a rule returning a tuple: its tangents are tuples, added element by element
                total = _add(total, t) if not rule.tuple_result or total is None else \
                    ast.Call(N("_ad_tuple_add"), [total, t], [])
        # a constant operand may broadcast the result beyond the tangent's shape
        used = {x.id for x in ast.walk(total) if isinstance(x, ast.Name)} if total is not None else set()
        partial = rule.kind == "elementwise" and any(
            q not in used for p, q in inactive if self.may_be_array(q) and p in rule.adjoint_asts)
        checked = any(isinstance(t, ast.Call) and isinstance(t.func, ast.Name) and t.func.id == "_ad_no_tangent"
                      for t in terms)   # (a number 0, of any result)
        return total, partial or checked

    # -- statements ------------------------------------------------------------------
    def on_bind(self, f) -> list:
        s, n, v = f.stmt, f.name, f.value
        primal = copy.deepcopy(s)
        if not self.active(n):   # (the memory of a pushed view: a tangent all the same, see ``pushed_view``)
            view = self.pushed_view(n, v) if n in self.view_bases() else None
            return [primal] if n not in self.view_bases() else [primal, ast.Assign(
                targets=[N(self.tan(n), ast.Store)], value=view if view is not None else self.zeros(N(n)))]
        if self.ctx.is_alias_binding(s):
            return [primal, self.alias_binding(s)]
        view = self.pushed_view(n, v)
        if view is not None:
            return [primal, ast.Assign(targets=[N(self.tan(n), ast.Store)], value=view)]
        t, partial = self.value_handler("tangent_", v)(s, v)
        own = self.tangent_may_alias(n, v, t)
        self_ref = any(isinstance(x, ast.Name) and x.id == n for x in ast.walk(v))
        if not self_ref:
            value = self.tangent_value(n, n, t, partial, own)
            value = self.finite_only(n, value, n) if t is not None else value
            return [primal, ast.Assign(targets=[N(self.tan(n), ast.Store)], value=value)]
        # ``n = f(n)``: the tangent reads the old value of ``n``
        ans = self.ctx.namer.fresh("_p{}")
        out = [ast.Assign(targets=[N(ans, ast.Store)], value=copy.deepcopy(v))]
        value = self.tangent_value(n, ans, t, partial, own)
        value = self.finite_only(n, value, ans) if t is not None else value
        tmp = self.ctx.namer.fresh("_q{}")
        return out + [ast.Assign(targets=[N(tmp, ast.Store)], value=value),
                      ast.Assign(targets=[N(n, ast.Store)], value=N(ans)),
                      ast.Assign(targets=[N(self.tan(n), ast.Store)], value=N(tmp))]

    def finite_only(self, n, value, ans):
        """The tangent ``value`` of ``n`` (its value in ``ans``), 0 where the value is infinite
        when ``n`` may hold an infinite number the code writes (``np.inf``, which stays infinite:
        ``R / gamma`` at ``R = inf`` carried ``inf * dgamma``, and ``0 * inf`` past a max or an exp)."""
        k = self.ctx.kinds.get(n)
        if self.ctx.module.options.second_order or n not in self.ctx.written_infinite() \
                or self.ctx.is_memory(n) or k is None or k.cls not in ("float", "array", "num") \
                or k.dtype not in (None, "f") or self.ctx.complex and k.dtype != "f":   # (real where complex)
            return value
        return ast.Call(N("_ad_finite_tangent"), [value, N(ans)], [])

    def tangent_may_alias(self, n, v, t) -> bool:
        """Whether the tangent ``t`` of the new array ``n = v`` may share memory with
        the tangent of a name whose memory some statement writes: an operation
        makes new memory, a name, an index or a call may not. A value that is a
        view (``v`` a name, a basic index, a view function) keeps a view as tangent."""
        if t is None or isinstance(t, (ast.BinOp, ast.UnaryOp)) or self.ctx.is_memory(n) or \
                self.ctx.eff.view_base(v) is not None:
            return False
        k = self.ctx.kinds.get(n)
        if k is None or k.cls != "array":
            return False
        return any(isinstance(x, ast.Name) and self.active(x.id) and self.ctx.may_alias_memory(x.id)
                   for x in ast.walk(v))

    def pushed_view(self, n, v):
        return pushed_views.pushed_view(self, n, v)

    def view_bases(self) -> set:
        return pushed_views.view_bases(self)

    def tangent_value(self, n, ans, t, partial, own=False):
        """The tangent bound to ``n``, given its value's tangent ``t`` (None: zero)
        and the name ``ans`` holding the value; ``own``: a fresh array, as ``t``
        may share memory with a tangent written later (``tangent_may_alias``)."""
        if t is None:
            return self.scalar_zero(N(ans)) if not self.may_be_array(n) else self.zeros(N(ans))
        if any(isinstance(x, ast.Name) and x.id == ANS for x in ast.walk(t)):
            t = subst(t, {ANS: N(ans)})
        if self.ctx.is_memory(n) or own:
            return self.fresh(t, N(ans))
        if partial and self.may_be_array(n):
            return self.broadcast(t, N(ans))
        return t

    def on_store(self, f) -> list:
        t, v = f.target, f.value
        out = [copy.deepcopy(f.stmt)]
        m = t.value.id
        if not self.active(m):
            return out
        val = N(self.tan(v.id)) if isinstance(v, ast.Name) and self.active(v.id) else ast.Constant(0.0)
        out.append(self.store_tangent(m, t.slice, val))
        return out

    def on_increment(self, f) -> list:
        t, v = f.target, f.value
        out = [copy.deepcopy(f.stmt)]
        m = t.value.id
        if self.active(m) and isinstance(v, ast.Name) and self.active(v.id):
            out.append(self.increment_tangent(m, t.slice, f.op, N(self.tan(v.id))))
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

    def on_user_call(self, f) -> list:
        s, n, call = f.stmt, f.name, f.call
        info = self.ctx.module.forward_callee(self.ctx, call, n, batch=self.batch)
        new = ast.Call(N(info.name), call_arguments(call, info.activities, self.tan), [])
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
