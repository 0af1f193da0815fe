"""normalize: desugar and bring the body to A-normal form.

After this pass the body contains only these statement forms (operands are
atoms: a ``Name`` or a number ``Constant``):

- ``n = op`` where ``op`` is an atom, ``a <binop> b``, ``-a``, a call with atom
  arguments, ``x[index]``, ``x.shape``-like attribute, or a non-differentiable
  expression kept whole (comparisons, boolean logic: branch conditions);
- ``x[index] = a`` (a store) and ``x[index] += a`` / ``-= a``;
- ``n <op>= a`` (in place for arrays, a rebinding for scalars: decided later
  from the kinds);
- ``f(a, ...)`` calling a user function, or ``print(...)``;
- ``for i in range(...)`` (``for v in arr``, ``enumerate`` and ``zip`` are
  desugared), ``while True`` with a trip counter, ``if c`` on a name;
- ``break`` only at the tail of an if-branch (the rest of the loop body is
  moved into the other branch); no ``continue``; one ``return`` at the end.

Index expressions made of names, integers, slices and ``len``/``.shape``
stay inline. Every statement keeps the line number of the user statement it
comes from. ``out=``, ``np.copyto``, ``x.fill`` and method calls such as
``x.sum(axis=0)`` become calls of numpy functions and stores.

>>> import ast
>>> # see tests/test_passes.py for source-in/source-out examples
"""
from __future__ import annotations

import ast
import builtins
import copy
import types

import numpy as np

from ..codegen.naming import COND, COUNT, TEMP
from ..errors import NoRuleError, UnsupportedSyntaxError
from ..rules import lookup
from .resolve import MISSING

#: array methods -> numpy functions (the array becomes the first argument)
METHODS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
    "std": np.std, "var": np.var, "cumsum": np.cumsum, "cumprod": np.cumprod,
    "dot": np.dot, "clip": np.clip, "copy": np.copy, "reshape": np.reshape,
    "ravel": np.ravel, "transpose": np.transpose, "squeeze": np.squeeze,
    "swapaxes": np.swapaxes, "round": np.round, "any": np.any, "all": np.all,
    "argmax": np.argmax, "argmin": np.argmin, "nonzero": np.nonzero,
    "trace": np.trace, "diagonal": np.diagonal, "repeat": np.repeat,
    "take": np.take, "cumulative_sum": getattr(np, "cumulative_sum", np.cumsum),
    "conj": np.conj, "flatten": "flatten", "astype": "astype", "tolist": None,
    "item": "item", "conjugate": np.conjugate, "argsort": np.argsort, "searchsorted": np.searchsorted,
}
VARARG_METHODS = {"reshape": "newshape", "transpose": "axes"}
SHAPE_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}

NP_RESHAPE_PARAM = "shape" if "shape" in getattr(np.reshape, "__doc__", "").split("(", 2)[1] else "newshape"


def _is_atom(e):
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant) \
            and type(e.operand.value) in (int, float):
        return False
    return isinstance(e, ast.Name) or (isinstance(e, ast.Constant) and isinstance(e.value, (int, float, bool)) and not isinstance(e.value, complex))


def is_index_expr(e, resolver) -> bool:
    """Pure integer/slice expressions that may stay inline in an index."""
    if isinstance(e, ast.Name):
        return True
    if isinstance(e, ast.Constant):
        return e.value is None or e.value is Ellipsis or isinstance(e.value, int)
    if isinstance(e, ast.Slice):
        return all(p is None or is_index_expr(p, resolver) for p in (e.lower, e.upper, e.step))
    if isinstance(e, ast.Tuple):
        return all(is_index_expr(x, resolver) for x in e.elts)
    if isinstance(e, ast.BinOp):
        return isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)) and \
            is_index_expr(e.left, resolver) and is_index_expr(e.right, resolver)
    if isinstance(e, ast.UnaryOp):
        return isinstance(e.op, ast.USub) and is_index_expr(e.operand, resolver)
    if isinstance(e, ast.Attribute):
        return e.attr in ("shape", "ndim", "size") and isinstance(e.value, ast.Name)
    if isinstance(e, ast.Subscript):
        return isinstance(e.value, ast.Attribute) and e.value.attr == "shape" and is_index_expr(e.slice, resolver)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
            e.func.id in ("len", "int", "min", "max", "abs") and not resolver.is_local(e.func.id):
        return not e.keywords and all(is_index_expr(a, resolver) for a in e.args) and \
            (e.func.id != "len" or isinstance(e.args[0], ast.Name))
    return False


class Normalizer:
    """Rewrites a parsed function's body; see the module docstring."""

    def __init__(self, pf, resolver, namer):
        self.pf = pf
        self.res = resolver
        self.namer = namer
        self.out: list = []
        self.cur: ast.stmt | None = None
        self.has_return_value = False
        self.user_calls: list = []

    # -- helpers ------------------------------------------------------------
    def err(self, node, what, hint, cls=UnsupportedSyntaxError):
        raise cls(what, filename=self.pf.filename, lineno=getattr(node, "lineno", None) or getattr(self.cur, "lineno", None),
                  col=getattr(node, "col_offset", None), construct=ast.unparse(node).splitlines()[0][:80], hint=hint)

    def emit(self, stmt):
        ast.copy_location(stmt, self.cur)
        stmt.end_lineno = getattr(self.cur, "end_lineno", stmt.lineno)
        self.out.append(stmt)
        return stmt

    def temp(self, value, kind=None) -> ast.Name:
        name = self.namer.fresh(TEMP)
        self.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=value))
        return ast.Name(name, ast.Load())

    def atom(self, e) -> ast.expr:
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant) \
                and type(e.operand.value) in (int, float):
            return ast.Constant(-e.operand.value)   # a negative number is an atom
        if _is_atom(e):
            return e if not isinstance(e, ast.Name) else ast.Name(e.id, ast.Load())
        if isinstance(e, ast.Constant) and e.value is None:
            return e
        return self.temp(self.simple(e))

    def fresh_call(self, v):
        """User calls always assign a fresh temporary (the reverse sweep relies on it)."""
        rule = getattr(v, "_ad_rule", None)
        if isinstance(v, ast.Call) and getattr(v, "_ad_target", None) is not None and (rule is None or rule.kind == "split"):
            return self.temp(v)
        return v

    def name_atom(self, e) -> ast.Name:
        a = self.atom(e)
        if not isinstance(a, ast.Name):
            a = self.temp(a)
        return a

    # -- expressions ----------------------------------------------------------
    def simple(self, e) -> ast.expr:
        """One operation with atomic operands."""
        if _is_atom(e) or (isinstance(e, ast.Constant) and e.value is None):
            return e
        if isinstance(e, ast.Constant):
            if isinstance(e.value, str):
                return e
            self.err(e, f"the constant {e.value!r} is not supported.", "use float or int values.")
        if isinstance(e, ast.UnaryOp):
            if isinstance(e.op, ast.Not):
                return self.nondiff(e)
            if isinstance(e.op, ast.UAdd):
                return self.simple(e.operand)
            if isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant) and isinstance(e.operand.value, (int, float)):
                return ast.Constant(-e.operand.value)
            if isinstance(e.op, ast.Invert):
                return self.nondiff(e)
            return ast.UnaryOp(e.op, self.atom(e.operand))
        if isinstance(e, ast.BinOp):
            if isinstance(e.op, (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)):
                return self.nondiff(e)
            return ast.BinOp(self.atom(e.left), e.op, self.atom(e.right))
        if isinstance(e, (ast.Compare, ast.BoolOp, ast.JoinedStr)):
            return self.nondiff(e)
        if isinstance(e, ast.Call):
            return self.call(e)
        if isinstance(e, ast.Subscript):
            return self.subscript_load(e)
        if isinstance(e, ast.Attribute):
            return self.attribute(e)
        if isinstance(e, ast.IfExp):
            return self.ifexp(e)
        if isinstance(e, (ast.Tuple, ast.List)):
            kind = ast.Tuple if isinstance(e, ast.Tuple) else ast.List
            if all(isinstance(x, ast.Constant) for x in e.elts) or all(is_index_expr(x, self.res) for x in e.elts):
                return kind([self.index_part(x) for x in e.elts], ast.Load())
            return kind([self.atom(x) for x in e.elts], ast.Load())
        self.err(e, f"the expression `{type(e).__name__}` is not supported.", "rewrite it with supported operations.")

    def nondiff(self, e):
        """A non-differentiable expression kept whole (its calls must be known)."""
        for node in ast.walk(e):
            if isinstance(node, ast.Call):
                target = self.resolve_call_target(node)
                if isinstance(target, types.FunctionType) and lookup(target) is None:
                    self.err(node, "a call to a user function inside a condition or comparison is not supported.",
                             "call it in a separate assignment before the condition.")
        return e

    def ifexp(self, e):
        name = self.namer.fresh(TEMP)
        test = self.cond_atom(e.test)
        body = self.block_expr(e.body, name)
        orelse = self.block_expr(e.orelse, name)
        self.emit(ast.If(test=test, body=body, orelse=orelse))
        return ast.Name(name, ast.Load())

    def block_expr(self, e, name):
        saved, self.out = self.out, []
        self.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=self.simple(e)))
        block, self.out = self.out, saved
        return block

    def index_part(self, e):
        if isinstance(e, ast.List):   # a list index is an integer-array (fancy) index
            return ast.List([self.index_part(x) for x in e.elts], ast.Load())
        if is_index_expr(e, self.res):
            return e
        if isinstance(e, ast.Slice):
            return ast.Slice(*(None if p is None else self.index_part(p) for p in (e.lower, e.upper, e.step)))
        if isinstance(e, ast.Tuple):
            return ast.Tuple([self.index_part(x) for x in e.elts], ast.Load())
        return self.name_atom(e)

    def subscript_load(self, e):
        if isinstance(e.value, ast.Attribute) and e.value.attr in SHAPE_ATTRS and isinstance(e.value.value, ast.Name):
            return ast.Subscript(e.value, self.index_part(e.slice), ast.Load())
        base = self.name_atom(e.value)
        return ast.Subscript(base, self.index_part(e.slice), ast.Load())

    def attribute(self, e):
        obj = self.res.resolve_attr(e)
        if obj is not MISSING:
            if isinstance(obj, (int, float)):
                return e   # e.g. math.pi, np.pi: a constant
            if obj is None:
                return ast.copy_location(ast.Constant(None), e)   # np.newaxis
            self.err(e, "this attribute is not a number.", "use numbers or call functions.")
        if e.attr in SHAPE_ATTRS:
            return ast.Attribute(self.name_atom(e.value), e.attr, ast.Load())
        if e.attr == "T":
            return self.make_call(np.transpose, [self.atom(e.value)], [], e)
        self.err(e, f"the attribute `.{e.attr}` is not supported.", "use the equivalent numpy function.")

    def resolve_call_target(self, call):
        f = call.func
        if isinstance(f, ast.Name):
            if self.res.is_local(f.id):
                self.err(call, f"calling the local variable `{f.id}` is not supported.",
                         "call a module-level function by its name.")
            return self.res.lookup(f.id, f)
        if isinstance(f, ast.Attribute):
            return self.res.resolve_attr(f)
        self.err(call, "calling an expression is not supported.", "call a named function.")

    def make_call(self, func_obj, args, keywords, node):
        rule = lookup(func_obj)
        call = ast.Call(func=self.func_expr(func_obj, node), args=args, keywords=keywords)
        call._ad_target = func_obj
        call._ad_rule = rule
        return call

    def func_expr(self, obj, node):
        """Source expression naming ``obj`` for generated code."""
        mod = getattr(obj, "__module__", None) or ""
        name = getattr(obj, "__name__", None)
        if mod.startswith("numpy") or type(obj).__name__ == "ufunc":
            self._np_ok(node)
            prefix = "np.linalg." if "linalg" in mod else "np."
            return ast.parse(prefix + name, mode="eval").body
        return ast.Name(name, ast.Load())

    def call(self, e):
        f = e.func
        if isinstance(f, ast.Attribute) and self.res.resolve_attr(f) is MISSING:
            return self.method_call(e)
        target = self.resolve_call_target(e)
        kw = {k.arg: k.value for k in e.keywords}
        if None in kw:
            self.err(e, "`**kwargs` in a call is not supported.", "pass keywords explicitly.")
        from .inplace import HANDLERS
        if target in HANDLERS:
            return HANDLERS[target](self, e, kw)
        if target is np.copyto:
            if "where" in kw or "casting" in kw:
                self.err(e, "np.copyto with where= or casting= is not supported yet.", "use np.where and a slice store.")
            dst, src = (e.args + [kw.get("dst"), kw.get("src")])[:2] if len(e.args) >= 2 else (kw.get("dst", e.args[0] if e.args else None), kw.get("src"))
            self.store(dst, self.atom(src), e)
            return ast.Constant(None)
        if target is builtins.max or target is builtins.min:
            if len(e.args) == 1 and not kw:
                return self.make_call(np.max if target is builtins.max else np.min, [self.atom(e.args[0])], [], e)
            if len(e.args) != 2 or kw:
                self.err(e, f"`{target.__name__}` with {len(e.args)} arguments is not supported.",
                         f"nest two-argument calls or use np.{target.__name__}imum.")
        if target is builtins.sum:
            if len(e.args) != 1 or kw:
                self.err(e, "`sum` with a start value is not supported.", "use np.sum.")
            return self.make_call(np.sum, [self.atom(e.args[0])], [ast.keyword("axis", ast.Constant(0))], e)
        out = kw.pop("out", None)
        if isinstance(target, types.FunctionType) and lookup(target) is None:
            if (getattr(target, "__module__", "") or "").startswith("adcompiler.runtime"):
                self.err(e, f"`{ast.unparse(f)}` has no rule for differentiating generated code again.",
                         "second derivatives support the helpers listed in adcompiler/rules/runtime_rules.py.",
                         cls=NoRuleError)
            return self.user_call(e, target, kw)
        rule = lookup(target)
        if rule is None:
            name = getattr(target, "__name__", ast.unparse(f))
            mod = getattr(target, "__module__", None) or type(target).__name__
            self.err(e, f"`{ast.unparse(f)}` ({mod}.{name}) has no derivative rule.",
                     "register one with adcompiler.extend.defrule (or declare it non-differentiable with "
                     "adcompiler.extend.nondifferentiable), or rewrite the code with supported functions.",
                     cls=NoRuleError)
        if rule.kind in ("nondiff", "alloc") and out is None:
            for a in list(e.args) + list(kw.values()):
                self.nondiff(a)
            call = ast.Call(func=f, args=[self.index_part(a) if is_index_expr(a, self.res) else self.simple_or_atom(a) for a in e.args],
                            keywords=[ast.keyword(k, self.simple_or_atom(v)) for k, v in kw.items()])
            call._ad_target, call._ad_rule = target, rule
            return call
        args = [self.arg_atom(a) for a in e.args]
        keywords = [ast.keyword(k, self.arg_atom(v)) for k, v in kw.items()]
        call = ast.Call(func=f, args=args, keywords=keywords)
        call._ad_target, call._ad_rule = target, rule
        if out is not None:
            if isinstance(out, ast.Tuple):
                if len(out.elts) != 1:
                    self.err(e, "out= with several arrays is not supported.", "assign the results separately.")
                out = out.elts[0]
            result = self.temp(call)
            self.store(out, result, e)
            return out if isinstance(out, ast.Name) else self.subscript_load(out)
        return call

    def simple_or_atom(self, a):
        if isinstance(a, (ast.Tuple, ast.List)):
            return ast.Tuple([self.simple_or_atom(x) for x in a.elts], ast.Load())
        if isinstance(a, (ast.Constant, ast.Name)):
            return a
        if isinstance(a, ast.Attribute) and self.res.resolve_attr(a) is not MISSING:
            return a
        return self.atom(a)

    def arg_atom(self, a):
        if isinstance(a, ast.Constant) and (a.value is None or isinstance(a.value, (str, int, float, bool))):
            return a
        if isinstance(a, (ast.Tuple, ast.List)):
            return ast.Tuple([self.arg_atom(x) for x in a.elts], ast.Load())
        if isinstance(a, ast.Attribute):
            obj = self.res.resolve_attr(a)
            if obj is not MISSING and not callable(obj):
                return a   # np.newaxis, np.float64 constants...
            if obj is not MISSING:
                return a   # dtype objects such as np.float32
        return self.atom(a)

    def method_call(self, e):
        f = e.func
        name = f.attr
        from .inplace import METHOD_HANDLERS
        if name in METHOD_HANDLERS:
            return METHOD_HANDLERS[name](self, e, f.value)
        if name == "fill":
            self.store(ast.Subscript(f.value, ast.Constant(Ellipsis), ast.Store()), self.atom(e.args[0]), e)
            return ast.Constant(None)
        if name in ("append", "pop") and isinstance(f.value, ast.Name) and self.res.is_local(f.value.id):
            if (name == "append" and len(e.args) != 1) or (name == "pop" and e.args) or e.keywords:
                self.err(e, f"`.{name}` with these arguments is not supported.", "use L.append(v) and L.pop().")
            target = list.append if name == "append" else list.pop
            call = ast.Call(func=ast.Attribute(ast.Name(f.value.id, ast.Load()), name, ast.Load()),
                            args=[self.atom(a) for a in e.args], keywords=[])
            call._ad_target, call._ad_rule = target, lookup(target)
            return call
        target = METHODS.get(name)
        if target is None or isinstance(target, str):
            if name == "astype" and e.args:
                return self.make_call(np.asarray, [self.atom(f.value)], [ast.keyword("dtype", self.arg_atom(e.args[0]))], e)
            if name == "flatten" and not e.args:
                return self.make_call(np.copy, [self.temp(self.make_call(np.ravel, [self.atom(f.value)], [], e))], [], e)
            if name == "item" and not e.args:
                # x.item() of a one-element array of any rank: reshape to 0-d first
                flat = self.temp(self.make_call(np.reshape, [self.atom(f.value), ast.Tuple([], ast.Load())], [], e))
                return self.make_call(float, [flat], [], e)
            self.err(e, f"the array method `.{name}()` is not supported.",
                     "use the equivalent numpy function, or register a rule with adcompiler.extend.")
        args = list(e.args)
        if name in VARARG_METHODS and len(args) > 1:
            args = [ast.Tuple(args, ast.Load())]
        new = ast.Call(func=ast.parse(f"np.{target.__name__}", mode="eval").body,
                       args=[f.value] + args, keywords=e.keywords)
        ast.copy_location(new, e)
        if lookup(target) is None:
            self.err(e, f"the array method `.{name}()` (numpy.{target.__name__}) has no derivative rule.",
                     "register one with adcompiler.extend.defrule, or rewrite the code.", cls=NoRuleError)
        self._np_ok(e)
        return self.call_resolved(new, target)

    def _np_ok(self, node):
        try:
            obj = self.res.lookup("np", node)
        except UnsupportedSyntaxError:
            obj = None
        if obj is not None and obj is not np:
            self.err(node, "the name `np` is bound to something other than numpy.",
                     "import numpy as np in the function's module.")

    def call_resolved(self, call, target):
        kw = {k.arg: k.value for k in call.keywords}
        out = kw.pop("out", None)
        rule = lookup(target)
        args = [self.arg_atom(a) for a in call.args]
        keywords = [ast.keyword(k, self.arg_atom(v)) for k, v in kw.items()]
        new = ast.Call(func=call.func, args=args, keywords=keywords)
        new._ad_target, new._ad_rule = target, rule
        if out is not None:
            result = self.temp(new)
            self.store(out, result, call)
            return out if isinstance(out, ast.Name) else self.subscript_load(out)
        return new

    def user_call(self, e, target, kw):
        import inspect
        try:
            sig = inspect.signature(target)
            bound = sig.bind(*e.args, **kw)
        except TypeError as exc:
            self.err(e, f"the call does not match `{target.__name__}`'s parameters ({exc}).", "check the arguments.")
        args = []
        for p in sig.parameters.values():
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                self.err(e, f"`{target.__name__}` has *args or keyword-only parameters.", "use positional parameters.")
            if p.name in bound.arguments:
                args.append(self.atom(bound.arguments[p.name]))
            elif isinstance(p.default, (int, float, bool)) or p.default is None:
                args.append(ast.Constant(p.default))
            else:
                self.err(e, f"the default value of `{p.name}` in `{target.__name__}` is not a number.",
                         "pass the argument explicitly.")
        call = ast.Call(func=ast.Name(e.func.id if isinstance(e.func, ast.Name) else target.__name__, ast.Load()),
                        args=args, keywords=[])
        if not isinstance(e.func, ast.Name):
            call.func = e.func
        call._ad_target, call._ad_rule = target, None
        ast.copy_location(call, e)
        self.user_calls.append(target)
        return call

    # -- statements -----------------------------------------------------------
    def cond_atom(self, test) -> ast.Name:
        name = self.namer.fresh(COND)
        value = self.nondiff(test) if not isinstance(test, ast.Call) else self.simple(test)
        self.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=value))
        return ast.Name(name, ast.Load())

    def store(self, target, value_atom, node):
        if isinstance(target, ast.Name):
            target = ast.Subscript(ast.Name(target.id, ast.Load()), ast.Constant(Ellipsis), ast.Store())
        if not isinstance(target, ast.Subscript) or not isinstance(target.value, ast.Name):
            self.err(node, "this store target is not supported.", "store into a named array, e.g. `x[i] = v`.")
        if not self.res.is_local(target.value.id):
            self.err(node, f"writing into `{target.value.id}`, which is not an argument or local variable",
                     "pass the array as an argument.")
        idx = self.index_part(target.slice)
        self.emit(ast.Assign(targets=[ast.Subscript(ast.Name(target.value.id, ast.Load()), idx, ast.Store())],
                             value=value_atom))

    def stmt(self, s):
        self.cur = s
        if isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Constant):
                return  # docstring or bare constant
            if isinstance(s.value, ast.Call):
                tgt = None
                if isinstance(s.value.func, ast.Name) and not self.res.is_local(s.value.func.id):
                    tgt = self.res.lookup(s.value.func.id, s.value.func)
                if tgt is print:
                    self.emit(ast.Expr(self.nondiff(s.value)))
                    return
                v = self.simple(s.value)
                if isinstance(v, ast.Call):
                    self.emit(ast.Expr(v))
                return
            self.err(s, "an expression statement that is not a call has no effect.", "remove it.")
        elif isinstance(s, (ast.Assign, ast.AnnAssign)):
            self.assign(s)
        elif isinstance(s, ast.AugAssign):
            self.augassign(s)
        elif isinstance(s, ast.For):
            self.for_(s)
        elif isinstance(s, ast.While):
            self.while_(s)
        elif isinstance(s, ast.If):
            test = self.cond_atom(s.test)
            body = self.block(s.body)
            orelse = self.block(s.orelse)
            self.cur = s
            self.emit(ast.If(test=test, body=body or [ast.Pass()], orelse=orelse))
        elif isinstance(s, (ast.Break, ast.Continue, ast.Pass)):
            self.emit(type(s)())
        elif isinstance(s, ast.Return):
            if s.value is not None:
                self.has_return_value = True
                v = self.fresh_call(self.simple(s.value))
                self.emit(ast.Assign(targets=[ast.Name(self.namer.ret, ast.Store())], value=v))
            self.emit(ast.Return(value=None))
        elif isinstance(s, ast.Assert):
            self.emit(ast.Assert(test=self.nondiff(s.test), msg=s.msg))
        elif isinstance(s, ast.Raise):
            self.emit(s)
        else:
            self.err(s, f"the statement `{type(s).__name__}` is not supported.", "rewrite it with supported statements.")

    def block(self, stmts):
        saved, self.out = self.out, []
        for s in stmts:
            self.stmt(s)
        block, self.out = self.out, saved
        return block

    def assign(self, s):
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        if s.value is None:
            return
        if len(targets) > 1:
            v = self.atom(s.value)
            for t in targets:
                self.assign_one(t, v)
            return
        t = targets[0]
        if isinstance(t, (ast.Tuple, ast.List)):
            self.unpack(t, s.value)
            return
        if isinstance(t, ast.Name):
            self.emit(ast.Assign(targets=[ast.Name(t.id, ast.Store())], value=self.fresh_call(self.simple(s.value))))
            return
        self.assign_one(t, self.atom(s.value))

    def assign_one(self, t, v):
        if isinstance(t, ast.Name):
            self.emit(ast.Assign(targets=[ast.Name(t.id, ast.Store())], value=v))
        elif isinstance(t, ast.Subscript):
            self.store(t, v, t)
        elif isinstance(t, (ast.Tuple, ast.List)):
            self.unpack(t, v)
        else:
            self.err(t, "this assignment target is not supported.", "assign to names or array elements.")

    def unpack(self, t, value):
        if any(isinstance(x, ast.Starred) for x in t.elts):
            self.err(t, "starred unpacking is not supported.", "unpack explicitly.")
        if isinstance(value, (ast.Tuple, ast.List)):
            if len(value.elts) != len(t.elts):
                self.err(t, "unpacking needs as many values as targets.", "check the tuple.")
            vals = [self.name_atom(v) if not isinstance(v, ast.Constant) else v for v in value.elts]
            vals = [self.temp(v) if isinstance(v, ast.Name) and not self.namer.made(v.id, TEMP) else v for v in vals]
            for tt, v in zip(t.elts, vals):
                self.assign_one(tt, v)
            return
        tup = self.name_atom(value)
        for k, tt in enumerate(t.elts):
            self.assign_one(tt, self.temp(ast.Subscript(tup, ast.Constant(k), ast.Load())))

    def augassign(self, s):
        t, op = s.target, s.op
        if isinstance(t, ast.Name):
            self.emit(ast.AugAssign(target=ast.Name(t.id, ast.Store()), op=op, value=self.atom(s.value)))
            return
        if not isinstance(t, ast.Subscript) or not isinstance(t.value, ast.Name):
            self.err(t, "this augmented-assignment target is not supported.", "use a named array.")
        if not self.res.is_local(t.value.id):
            self.err(t, f"writing into `{t.value.id}`, which is not an argument or local variable",
                     "pass the array as an argument.")
        v = self.atom(s.value)
        idx = self.index_part(t.slice)
        base = ast.Name(t.value.id, ast.Load())
        if isinstance(op, (ast.Add, ast.Sub)):
            self.emit(ast.AugAssign(target=ast.Subscript(base, idx, ast.Store()), op=op, value=v))
            return
        old = self.temp(ast.Subscript(base, idx, ast.Load()))
        new = self.temp(ast.BinOp(old, op, v))
        self.emit(ast.Assign(targets=[ast.Subscript(base, idx, ast.Store())], value=new))

    def range_expr(self, it):
        """``range(...)``, ``reversed(range(...))`` or ``range(...)[a:b:c]`` as a
        range expression (``reversed`` becomes ``[::-1]``), else None."""
        def fn_of(node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not self.res.is_local(node.func.id):
                return self.res.lookup(node.func.id, node.func)
            return None
        if fn_of(it) is range:
            if it.keywords or not 1 <= len(it.args) <= 3:
                self.err(it, "range() needs one to three positional arguments.", "use range(start, stop, step).")
            return ast.Call(ast.Name("range", ast.Load()), [self.index_part(a) for a in it.args], [])
        if fn_of(it) is reversed and len(it.args) == 1:
            inner = self.range_expr(it.args[0])
            if inner is not None:
                return ast.Subscript(inner, ast.Slice(None, None, ast.Constant(-1)), ast.Load())
        if isinstance(it, ast.Subscript) and isinstance(it.slice, ast.Slice):
            inner = self.range_expr(it.value)
            if inner is not None:
                return ast.Subscript(inner, self.index_part(it.slice), ast.Load())
        return None

    def for_(self, s):
        it = s.iter
        pre = []
        rng = self.range_expr(it)
        if rng is not None:
            if not isinstance(s.target, ast.Name):
                self.err(s.target, "the loop variable of a range loop must be a name.", "use one loop variable.")
            it = ast.Call(ast.Name("range", ast.Load()), [], [])   # handled: skip the cases below
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and not self.res.is_local(it.func.id):
            fn = self.res.lookup(it.func.id, it.func)
        else:
            fn = None
        if rng is not None:
            target = s.target
        elif fn is enumerate and isinstance(s.target, ast.Tuple) and len(s.target.elts) == 2 and len(it.args) == 1:
            arr = self.name_atom(it.args[0])
            rng = ast.Call(ast.Name("range", ast.Load()), [ast.Call(ast.Name("len", ast.Load()), [arr], [])], [])
            target = s.target.elts[0]
            pre = [(s.target.elts[1], ast.Subscript(arr, ast.Name(target.id, ast.Load()), ast.Load()))]
        elif fn is zip and isinstance(s.target, ast.Tuple) and len(s.target.elts) == len(it.args) and not it.keywords:
            arrs = [self.name_atom(a) for a in it.args]
            k = self.namer.fresh("_k{}")
            lens = [ast.Call(ast.Name("len", ast.Load()), [a], []) for a in arrs]
            stop = lens[0] if len(lens) == 1 else ast.Call(ast.Name("min", ast.Load()), lens, [])
            rng = ast.Call(ast.Name("range", ast.Load()), [stop], [])
            target = ast.Name(k, ast.Store())
            pre = [(tt, ast.Subscript(a, ast.Name(k, ast.Load()), ast.Load())) for tt, a in zip(s.target.elts, arrs)]
        elif fn is None and isinstance(it, (ast.Name, ast.Subscript, ast.Attribute)):
            arr = self.name_atom(it)
            k = self.namer.fresh("_k{}")
            rng = ast.Call(ast.Name("range", ast.Load()), [ast.Call(ast.Name("len", ast.Load()), [arr], [])], [])
            target = ast.Name(k, ast.Store())
            pre = [(s.target, ast.Subscript(arr, ast.Name(k, ast.Load()), ast.Load()))]
        else:
            self.err(it, "this loop is not supported.",
                     "loop over range(...), an array, enumerate(array) or zip(arrays).")
        for tt, _ in pre:
            if not isinstance(tt, ast.Name):
                self.err(tt, "the loop target must be a name.", "use one name per value.")
        saved, self.out = self.out, []
        for tt, val in pre:
            self.cur = s
            self.emit(ast.Assign(targets=[ast.Name(tt.id, ast.Store())], value=val))
        for b in s.body:
            self.stmt(b)
        body, self.out = self.out, saved
        self.cur = s
        self.loop(ast.For(target=ast.Name(target.id, ast.Store()), iter=rng, body=body, orelse=[]), body)

    def while_(self, s):
        saved, self.out = self.out, []
        test = self.cond_atom(s.test)
        cond_stmts, self.out = self.out, []
        body = self.block(s.body)
        self.out = saved
        self.cur = s
        brk = ast.Break()
        ast.copy_location(brk, s)
        inner = cond_stmts + [ast.copy_location(ast.If(test=test, body=body or [ast.Pass()], orelse=[brk]), s)]
        self.loop(ast.While(test=ast.Constant(True), body=inner, orelse=[]), inner, force_count=True)

    def loop(self, node, body, force_count=False):
        from .restructure import has_jump, restructure
        breaks = has_jump(body, ast.Break)
        node.body = restructure(body, (ast.Break, ast.Continue), drop=(ast.Continue,)) or [ast.Pass()]
        if breaks or force_count:
            count = self.namer.fresh(COUNT)
            self.emit(ast.Assign(targets=[ast.Name(count, ast.Store())], value=ast.Constant(0)))
            inc = ast.AugAssign(target=ast.Name(count, ast.Store()), op=ast.Add(), value=ast.Constant(1))
            inc._ad_counter = True
            ast.copy_location(inc, self.cur)
            node.body.insert(0, inc)
            node._ad_count = count
        self.emit(node)

    def rename_rebound_params(self):
        """A parameter that the body rebinds becomes a separate local, bound to
        the argument on entry (``x_1 = x``), so the argument and the values the
        name later holds are analysed apart."""
        tree = self.pf.tree
        params = [a.arg for a in tree.args.posonlyargs + tree.args.args]
        stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        renames = {p: self.namer.reserve(p + "_1") for p in params if p in stored}
        if not renames:
            return list(tree.body), []
        body = copy.deepcopy(tree.body)
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, ast.Name) and node.id in renames:
                node.id = renames[node.id]
        self.res.locals |= set(renames.values())
        entry = [ast.copy_location(ast.Assign(targets=[ast.Name(new, ast.Store())], value=ast.Name(p, ast.Load())), tree)
                 for p, new in renames.items()]
        return body, entry

    def run(self) -> list:
        from .restructure import has_jump, restructure
        user_body, entry = self.rename_rebound_params()
        body = self.block(user_body)
        self.cur = self.pf.tree
        for e in entry:
            e.end_lineno = e.lineno
        body = entry + body
        self.cur = self.pf.tree
        if has_jump(body, ast.Return):
            body = restructure(body, (ast.Return,), drop=(ast.Return,))
        if self.has_return_value:
            init = ast.copy_location(ast.Assign(targets=[ast.Name(self.namer.ret, ast.Store())], value=ast.Constant(None)),
                                     self.pf.tree)
            body = [init] + body
        return body
