"""emit: assemble the generated module and print it deterministically.

``ModuleBuilder.build`` differentiates a function and, on demand, every user
function it calls (each once per activity signature), then prints the module
with ``ast.unparse``. Comments naming the primal line each block
differentiates are inserted as placeholder statements and substituted after
printing (``ast`` has no comments).
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field

from ..errors import ActivityError, UnsupportedSyntaxError
from ..transform.adjoint import N
from .naming import Namer

_MARK = "__ad_comment_{}__"
_MARK_RE = re.compile(r"^(\s*)__ad_comment_(\d+)__$")


class _SignedConstants(ast.NodeTransformer):
    """``-1.25`` as a unary minus, so that ``ast.unparse`` parenthesises
    ``(-1.25) ** 2`` (a negative constant prints without parentheses); an
    index passed to a helper as a value spells its slices ``slice(a, b, c)``
    (``f(x, ([0, 2], :))`` is not Python)."""

    def visit_Call(self, node):
        self.generic_visit(node)
        node.args = [_index_value(a) for a in node.args]
        return node

    def visit_Constant(self, node):
        v = node.value
        if type(v) in (int, float) and (v < 0 or (v == 0 and str(v).startswith("-"))):
            return ast.UnaryOp(ast.USub(), ast.Constant(-v))
        return node


def _index_value(e):
    if isinstance(e, ast.Slice):
        parts = [p if p is not None else ast.Constant(None) for p in (e.lower, e.upper, e.step)]
        return ast.Call(ast.Name("slice", ast.Load()), parts, [])
    if isinstance(e, ast.Tuple) and any(isinstance(x, ast.Slice) for x in e.elts):
        return ast.Tuple([_index_value(x) for x in e.elts], ast.Load())
    return e


def unparse(tree) -> str:
    import copy as _copy
    return ast.unparse(ast.fix_missing_locations(_SignedConstants().visit(_copy.deepcopy(tree))))


def funcdef(name, params, body, defaults=()):
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=list(defaults))
    fn = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None, type_comment=None)
    if "type_params" in ast.FunctionDef._fields:
        fn.type_params = []
    fn.lineno = 1
    return fn


@dataclass(frozen=True)
class Options:
    """How the code is generated, never what it computes. Code meant to be
    differentiated again (second order) keeps values and arrays and lets
    callee halves pass their shadows themselves."""

    rematerialize: bool = True    # re-read values instead of saving them (remat.py)
    shape_restores: bool = True   # save only the shape of what is read only for its shape
    listify: bool = True          # reversed element loops on Python lists
    optimize: bool = True         # peephole passes (optimize.py)
    split_shadows: bool = True    # forward halves record shadow references, not shadows
    second_order: bool = False    # the code is differentiated again: refuse what that cannot follow


@dataclass
class FunctionInfo:
    func: object
    name: str
    fwd_name: str
    rev_name: str
    params: list
    activities: tuple
    ret_active: bool
    shadow_names: dict = field(default_factory=dict)
    fwd_params: list = field(default_factory=list)
    rev_params: list = field(default_factory=list)


class ModuleBuilder:
    def __init__(self, options: Options = Options()):
        self.options = options
        self.public = False
        self.functions: list = []
        self.memo: dict = {}
        self.comments: list = []
        self.namespace: dict = {}
        self.names = Namer(set())
        self.main: FunctionInfo | None = None
        self.source = ""

    def comment(self, pf, lineno):
        self.comments.append(f"# {os.path.basename(pf.filename)}:{lineno}: {pf.line_text(lineno)}")
        return ast.Expr(N(_MARK.format(len(self.comments) - 1)))

    def unique(self, name):
        """A module-level name not used yet (``name``, ``name_2``...)."""
        return self.names.reserve(name)

    def split_names(self, rule):
        """Names under which a ``defsplit`` rule's functions are called."""
        base = "".join(ch if ch.isalnum() else "_" for ch in rule.name.split(".")[-1])
        fwd_name, rev_name = f"_ad_{base}_fwd", f"_ad_{base}_rev"
        fwd, rev = rule.split

        def fwd_pushing(*args):
            record, ans = fwd(*args[:-1])
            args[-1].append(record)
            return ans
        for name, obj in ((fwd_name, fwd_pushing), (rev_name, rev)):
            if name not in self.namespace or getattr(self.namespace[name], "_ad_rule", None) is not rule:
                obj._ad_rule = rule if name == fwd_name else None
                self.namespace.setdefault(name, obj)
        return fwd_name, rev_name

    def build(self, func, param_kinds, activities, ret_active, public=False):
        """Differentiate ``func``. With ``public``, the combined function
        follows the command line's convention: ``{name}_reverse(args and
        shadows..., dret=1.0)`` returning the Active arguments' derivatives;
        otherwise it returns ``(derivatives, primal return)`` and takes ``dret``."""
        self.public = public
        self.main = self.function(func, tuple(param_kinds), tuple(activities), ret_active, fused=True)
        self.source = self.emit()
        return self

    def function(self, func, kinds, acts, ret_active, fused=False) -> FunctionInfo:
        from ..pipeline import activity_of, analyse
        from ..transform.context import FunctionContext
        from ..transform.reverse import Sweeps
        key = (func, kinds, acts, ret_active)
        if key in self.memo:
            return self.memo[key]
        an = analyse(func, kinds)
        for p, k, a in zip(an.params, kinds, acts):
            if a == "Duplicated" and k.cls not in ("array", "num"):
                raise ActivityError(f"`{p}` is Duplicated but is not an array.", filename=an.pf.filename,
                                    lineno=an.pf.tree.lineno, construct=p, hint="use Active for float scalars.")
        for p, a in zip(an.params, acts):
            if a == "Active" and (p in an.eff.subscripted or an.eff.cell(p) in an.eff.written):
                raise ActivityError(f"`{p}` is Active but the function indexes or writes it like an array.",
                                    filename=an.pf.filename, lineno=an.pf.tree.lineno, construct=p,
                                    hint="use Duplicated(x, dx) for an array, or Const.")
        rk = an.kinds.get(an.namer.ret)
        if fused and ret_active and rk is not None and rk.cls == "array" and rk.ndim not in (0, None):
            raise ActivityError(f"the return activity is Active but `{an.pf.name}` returns an array "
                                f"of rank {rk.ndim}.", filename=an.pf.filename, lineno=an.pf.tree.lineno,
                                construct=an.pf.name,
                                hint="return a float (e.g. np.sum(...)), or use Const as the return activity.")
        if fused and ret_active and not an.has_return:
            raise ActivityError(f"the return activity is Active but `{an.pf.name}` returns nothing.",
                                filename=an.pf.filename, lineno=an.pf.tree.lineno, construct=an.pf.name,
                                hint="use Const as the return activity.")
        active = activity_of(an, acts, ret_active)
        ctx = FunctionContext(an, acts, ret_active, active, self)
        ctx.is_callee = not fused
        self._check_free_names(an)
        info = FunctionInfo(func, an.pf.name, self.unique(f"{an.pf.name}_fwd"), self.unique(f"{an.pf.name}_rev"),
                            an.params, acts, ret_active)
        self.memo[key] = info
        sweeps = Sweeps(ctx, an.body)
        fwd_body = sweeps.forward()
        rev_body = sweeps.reverse()
        params = []
        for p, a in zip(an.params, acts):
            params.append(p)
            if a == "Duplicated":
                params.append(ctx.namer.adjoint(p))
        active_params = [p for p, a in zip(an.params, acts) if a == "Active"]
        ret = ast.Tuple([N(ctx.namer.adjoint(p)) if ctx.is_active(p) else ast.Constant(0.0)
                         for p in active_params], ast.Load())
        rev_body.append(ast.Return(ret))
        tape, dret = ctx.namer.tape, ctx.namer.dret
        info.fwd_params = params + [tape]
        info.rev_params = params + [dret, tape]
        fwd = funcdef(info.fwd_name, info.fwd_params, fwd_body)
        rev = funcdef(info.rev_name, info.rev_params, rev_body)
        if fused:
            info.fused_name = self.unique(f"{an.pf.name}_reverse")
            body = [ast.Assign(targets=[N(tape, ast.Store)], value=ast.List([], ast.Load()))]
            body += sweeps.forward(end_tuple=False)
            body += sweeps.reverse(end_tuple=False)
            if self.public:
                body.append(ast.Return(ret))
                extra, defaults = ([dret], [ast.Constant(1.0)]) if ret_active else ([], [])
                if not ret_active:
                    body.insert(0, ast.Assign(targets=[N(dret, ast.Store)], value=ast.Constant(None)))
                self.functions.append(funcdef(info.fused_name, params + extra, body, defaults))
            else:
                body.append(ast.Return(ast.Tuple([ret, N(an.namer.ret) if an.has_return else ast.Constant(None)],
                                                 ast.Load())))
                self.functions.append(funcdef(info.fused_name, params + [dret], body))
        self.functions += [fwd, rev]
        return info

    # -- forward mode ----------------------------------------------------------
    def build_forward(self, func, param_kinds, activities, ret_active, public=False, batch=False):
        """Tangent-linear code of ``func``. The main function is
        ``{name}_forward(args, each Duplicated one followed by its tangent)``;
        it returns the return value's tangent (None if the return is not
        Duplicated) with ``public``, else ``(primal return, tangent)``."""
        self.public = public
        self.main = self.forward_function(func, tuple(param_kinds), tuple(activities), ret_active, main=True,
                                          batch=batch)
        self.source = self.emit()
        return self

    def forward_function(self, func, kinds, acts, ret_active, main=False, batch=False):
        from ..pipeline import activity_of, analyse
        from ..transform.context import FunctionContext
        from ..transform.forward import ForwardBuilder
        key = ("forward", func, kinds, acts, ret_active, main, batch)
        if key in self.memo:
            return self.memo[key]
        an = analyse(func, kinds)
        an_acts = tuple("Active" if a == "Duplicated" and k.cls in ("float", "int", "bool") else a
                        for a, k in zip(acts, kinds))
        active = activity_of(an, an_acts, ret_active)
        ctx = FunctionContext(an, an_acts, ret_active, active, self)
        self._check_free_names(an)
        suffix = ("_forward" if main else "_fwdtan") + ("_batch" if batch else "")
        name = self.unique(an.pf.name + suffix)
        info = FunctionInfo(func, an.pf.name, name, name, an.params, acts, ret_active)
        self.memo[key] = info
        if batch:
            from ..transform.batch import BatchForwardBuilder
            body = BatchForwardBuilder(ctx).block(an.body)
            tangents = [ctx.namer.adjoint(p) for p, a in zip(an.params, acts) if a == "Duplicated"]
            k = ast.Call(N("len"), [N(tangents[0])], []) if tangents else ast.Constant(0)
            body.insert(0, ast.Assign(targets=[N("_k", ast.Store)], value=k))
        else:
            body = ForwardBuilder(ctx).block(an.body)
        params = []
        for p, a in zip(an.params, acts):
            params.append(p)
            if a == "Duplicated":
                params.append(ctx.namer.adjoint(p))
        ret_val = N(an.namer.ret) if an.has_return else ast.Constant(None)
        d_ret = N(ctx.namer.adjoint(an.namer.ret)) if (an.has_return and ctx.is_active(an.namer.ret)) else \
            (ast.Constant(0.0) if ret_active else ast.Constant(None))
        rk = an.kinds.get(an.namer.ret)
        if ret_active and isinstance(d_ret, ast.Constant) and an.has_return:
            # the caller may update the result in place: a zero tangent of its
            # shape (with the batch axis in vector mode)
            if batch:
                d_ret = ast.Call(N("_ad_bzeros"), [ret_val, N("_k")], [])
            elif rk is None or rk.cls in ("array", "num", "other"):
                d_ret = ast.Call(N("_ad_shadow_like"), [ret_val], [])
        if main and self.public:
            body.append(ast.Return(d_ret))
        else:
            body.append(ast.Return(ast.Tuple([ret_val, d_ret], ast.Load())))
        info.fwd_params = params
        self.functions.append(funcdef(name, params, body))
        return info

    @staticmethod
    def call_kinds(ctx, call) -> list:
        """The kinds of a user call's arguments (atoms: names or constants)."""
        from ..analysis.kinds import kind_of_value
        return [ctx.an.inference.expr(a) if isinstance(a, ast.Name) else kind_of_value(a.value) for a in call.args]

    def forward_callee(self, ctx, call, n, batch=False):
        target = call._ad_target
        kinds = self.call_kinds(ctx, call)
        acts = ["Duplicated" if isinstance(a, ast.Name) and ctx.is_active(a.id) else "Const" for a in call.args]
        ret_active = n is not None and ctx.is_active(n) and not ctx.is_alias_binding_call(call, n)
        self._check_call_aliasing(ctx, call, target, kinds)
        info = self.forward_function(target, tuple(kinds), tuple(acts), ret_active, batch=batch)
        return _CallInfo(info.fwd_name, info.fwd_name, acts, ret_active, {}, )

    def _check_call_aliasing(self, ctx, call, target, kinds):
        """Refuse a call that passes one memory as two arguments of which the
        callee writes one (the callee is analysed with separate memories)."""
        from ..errors import AliasingError
        from ..pipeline import analyse
        names = [a.id if isinstance(a, ast.Name) and ctx.eff.maybe_array(a.id) else None for a in call.args]
        mem = [ctx.eff.memory_of.get(x, x) if x else None for x in names]
        writes = None
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if mem[i] is None or mem[i] != mem[j]:
                    continue
                if writes is None:
                    writes = set(analyse(target, tuple(kinds)).param_writes())
                if i in writes or j in writes:
                    raise AliasingError(
                        f"arguments {i + 1} and {j + 1} of `{ast.unparse(call.func)}` may share memory "
                        "and the function writes one of them.",
                        filename=ctx.pf.filename, lineno=call.lineno, construct=ctx.pf.line_text(call.lineno),
                        hint="pass a copy (x.copy()) for the argument that is only read.")

    def _check_free_names(self, an):
        import math

        import numpy as np
        fixed = {"np": np, "math": math}
        for name, obj in an.resolver.free_names().items():
            if name in fixed and obj is not fixed[name]:
                raise UnsupportedSyntaxError(
                    f"the name `{name}` is bound to {obj!r}, but generated code uses it for the {name} module.",
                    filename=an.pf.filename, lineno=an.pf.tree.lineno, construct=name,
                    hint=f"import {fixed[name].__name__} as {name} in the function's module.")
            if name in self.namespace and self.namespace[name] is not obj:
                raise UnsupportedSyntaxError(
                    f"the name `{name}` means different things in the functions being differentiated.",
                    filename=an.pf.filename, lineno=an.pf.tree.lineno, construct=name,
                    hint="give the objects different names.")
            self.namespace[name] = obj

    def callee(self, ctx, call, n):
        target = call._ad_target
        kinds, acts = self.call_kinds(ctx, call), []
        for a, k in zip(call.args, kinds):
            if isinstance(a, ast.Name):
                if ctx.is_active(a.id):
                    if k.cls == "array" or (k.cls == "num" and ctx.is_memory(a.id)):
                        acts.append("Duplicated")
                    elif k.cls == "float":
                        acts.append("Active")
                    else:
                        raise UnsupportedSyntaxError(
                            f"cannot tell whether `{a.id}` is an array or a scalar in this call.",
                            filename=ctx.pf.filename, lineno=call.lineno, construct=ast.unparse(call),
                            hint="give the arguments' shapes.")
                else:
                    acts.append("Const")
            else:
                acts.append("Const")
        # a returned argument's memory carries its adjoint in the argument's shadow
        ret_active = n is not None and ctx.is_active(n) and not ctx.is_alias_binding_call(call, n)
        self._check_call_aliasing(ctx, call, target, kinds)
        info = self.function(target, tuple(kinds), tuple(acts), ret_active)
        shadows = {a.id: ctx.namer.adjoint(a.id) for a, act in zip(call.args, acts) if act == "Duplicated"}
        return _CallInfo(info.fwd_name, info.rev_name, acts, ret_active, shadows)

    def emit(self) -> str:
        mod = ast.Module(body=self.functions, type_ignores=[])
        text = unparse(mod)
        lines = []
        for line in text.splitlines():
            m = _MARK_RE.match(line)
            if m:
                lines.append(m.group(1) + self.comments[int(m.group(2))])
            else:
                lines.append(line)
        return "\n".join(lines) + "\n"


@dataclass
class _CallInfo:
    fwd_name: str
    rev_name: str
    activities: list
    ret_active: bool
    shadow_names: dict

    @property
    def name(self):
        return self.fwd_name
