"""The module being generated: its functions, names, comments and options.

``pipeline`` differentiates a function into a ``Module``; the transformation
of each function asks the module for what crosses functions: a callee's
generated halves (``callee``, ``forward_callee``, which run the pipeline on the
callee through the functions the module was given), a module-level name that
is not taken yet (``unique``), a comment naming a primal line (``comment``),
the functions of a ``defsplit`` rule (``split_names``). ``add_reverse`` and
``add_forward`` assemble a function's sweeps into function definitions.
"""
from __future__ import annotations

import ast
import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..analysis.activity import refuse_container_changed_by_callee
from ..analysis.kinds import kind_of_value
from ..analysis.summary import accumulated_only
from ..analysis.tuple_parts import parts_read
from ..codegen.emit import comment_mark, funcdef
from ..codegen.naming import Namer, is_generated
from ..errors import AdCompilerError, AliasingError, UnsupportedSyntaxError
from ..frontend import notes
from ..frontend.resolve import free_values
from ..rules.registry import is_runtime_helper, source_helper_error
from .adjoint import N
from .release import keep_shapes
from .tape import hoist_typed_stacks


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
    checkpoint: int | str | None = None  # snapshots (or a byte budget) of checkpointed loops (checkpoint.py)
    rollback: bool = True         # undo writes in the reverse sweep where the loops' tapes shrink (rollback.py)
    typed_tape: bool = True       # floats and ints on typed stacks beside the tape list (runtime Tape)
    backend: str = "numpy"        # "numba": code numba can type (backends/numba.py rewrites it further)


SECOND_ORDER = Options(shape_restores=False, listify=False, split_shadows=False, second_order=True, rollback=False,
                       typed_tape=False)


@dataclass
class FunctionInfo:
    """The generated functions of one primal function and activity signature."""

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
    fused_name: str | None = None
    loops_kept_plain: dict = field(default_factory=dict)   # line -> why checkpoint= left the loop taped


@dataclass
class CallInfo:
    """How a call site calls a user function's generated halves."""

    fwd_name: str
    rev_name: str
    activities: list
    ret_active: bool
    shadow_names: dict

    @property
    def name(self):
        return self.fwd_name


@dataclass
class Passes:
    """The pipeline's entry points a module calls for its callees."""

    analyse: Callable
    reverse_function: Callable
    forward_function: Callable


def _active_derivative(ctx, p):
    """The derivative returned for Active ``p``: its real part where ``p`` is
    real and complex values occur (their adjoints may reach it)."""
    d = N(ctx.namer.adjoint(p))
    k = ctx.kinds.get(p)
    if ctx.complex and (k is None or k.dtype != "c"):
        return ast.Call(N("_ad_real_if"), [d, N(p)], [])
    return d


class Module:
    """The functions generated so far, memoized per primal function and
    activity signature, with the names and comments they use."""

    def __init__(self, passes: Passes, options: Options, public: bool = False):
        self.passes = passes
        self.options = options
        self.public = public
        self.functions: list = []
        self.memo: dict = {}
        self.origins: list = []        # (file, line, source text) of each comment
        self.comment_lines: dict = {}  # line of the emitted source -> index of its comment
        self.namespace: dict = {}
        self.rule_bases: dict = {}     # id of a rule -> (the rule, the stem of its functions' names)
        self.rule_stems = Namer(set())  # (the stems handed out: one per rule)
        self.rule_values: dict = {}    # (id of a rule, a name of its namespace=) -> (the rule, the module's name)
        #: (function, name, object) for each non-local name of each function in the module
        self.free_names: list = []
        self.names = Namer(set())
        self.main: FunctionInfo | None = None
        self.source = ""
        self.contexts: dict = {}       # name of each generated function -> (kinds, namer) of its primal

    def origin_lines(self) -> dict:
        """Each line of the emitted source that holds a comment -> the user's
        (file, line, source text) the code below it differentiates."""
        return {line: self.origins[k] for line, k in self.comment_lines.items()}

    def comment(self, pf, lineno):
        self.origins.append((pf.filename, lineno, pf.line_text(lineno)))
        return comment_mark(len(self.origins) - 1)

    @property
    def comments(self) -> list:
        """The comment naming the primal line of each ``comment`` mark."""
        return [f"# {os.path.basename(file)}:{line}: {text}" for file, line, text in self.origins]

    def unique(self, name):
        """A module-level name not used yet (``name``, ``name_2``...)."""
        return self.names.reserve(name)

    def rule_base(self, rule) -> str:
        """The stem of the names of ``rule``'s functions in this module, another than any other
        rule's: two kernels of one name, or one kernel wrapped twice (``differentiate`` with
        other ``const=``), are other rules (the second was served the first one's functions)."""
        known = self.rule_bases.get(id(rule))
        if known is not None and known[0] is rule:
            return known[1]
        stem = self.rule_stems.reserve("".join(ch if ch.isalnum() else "_" for ch in rule.name.split(".")[-1]))
        self.rule_bases[id(rule)] = (rule, stem)
        return stem

    def rule_value(self, rule, name: str, value, taken) -> str:
        """The module name holding ``value``, which ``rule``'s templates call ``name``
        (``defrule(..., namespace={name: value})``): the templates' name would otherwise
        be read from the calling function's module or locals (``taken``: its names)."""
        known = self.rule_values.get((id(rule), name))
        if known is not None and known[0] is rule:
            return known[1]
        stem = f"{self.rule_base(rule)}_{name}"
        alias = self.free_alias(itertools.chain([stem], (f"{stem}_{k}" for k in itertools.count(2))), taken)
        self.namespace[alias] = value
        self.rule_values[(id(rule), name)] = (rule, alias)
        return alias

    def free_alias(self, names, taken) -> str:
        """The first of ``names`` that neither the module (its namespace, its names) nor a
        function (``taken``) uses, reserved for the module."""
        alias = next(a for a in names if a not in self.namespace and a not in taken and a not in self.names.taken)
        self.names.reserve(alias)
        return alias

    def jvp_name(self, rule):
        """The name under which a ``defsplit`` rule's tangent function (``rule.jvp``:
        ``(value, tangent) = jvp(*args, *tangents)``) is called."""
        name = f"_ad_{self.rule_base(rule)}_jvp"
        if name not in self.namespace or getattr(self.namespace[name], "_ad_rule", None) is not rule:
            jvp = rule.jvp

            def called(*args):
                return jvp(*args)
            called._ad_rule = rule
            self.namespace.setdefault(name, called)
        return name

    def split_names(self, rule):
        """Names under which a ``defsplit`` rule's functions are called."""
        base = self.rule_base(rule)
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

    # -- assembly -------------------------------------------------------------------
    def add_reverse(self, info: FunctionInfo, ctx, sweeps, fused: bool) -> None:
        """The forward and reverse halves of ``info`` (and, for the main
        function, the fused ``{name}_reverse``) from the function's sweeps."""
        an = ctx.an
        fwd_body = sweeps.forward()
        rev_body = sweeps.reverse()
        params = _with_shadows(ctx, an.params, info.activities)
        active_params = [p for p, a in zip(an.params, info.activities) if a == "Active"]
        ret = ast.Tuple([_active_derivative(ctx, p) if ctx.is_active(p) else ast.Constant(0.0)
                         for p in active_params], ast.Load())
        rev_body.append(ast.Return(ret))
        tape, dret = ctx.namer.tape, ctx.namer.dret
        info.fwd_params = params + [tape]
        info.rev_params = params + [dret, tape]
        for name in (info.fwd_name, info.rev_name):
            self.contexts[name] = (ctx.kinds, ctx.namer)
        fwd = funcdef(info.fwd_name, info.fwd_params, fwd_body)
        rev = funcdef(info.rev_name, info.rev_params, rev_body)
        explicit = _InPlaceShadows(ctx) if self.options.second_order else None
        if explicit:
            fwd, rev = explicit.visit(fwd), explicit.visit(rev)
        if fused:
            info.fused_name = self.unique(f"{an.pf.name}_reverse")
            self.contexts[info.fused_name] = (ctx.kinds, ctx.namer)
            new_tape = ast.Call(N("_ad_tape"), [], []) if self.options.typed_tape else ast.List([], ast.Load())
            body = [ast.Assign(targets=[N(tape, ast.Store)], value=new_tape)]
            body += sweeps.forward(end_tuple=False)
            primal = None
            if an.has_return and not self.public:
                # the primal's value, taken before the reverse sweep restores (and rolls back) it
                primal = ctx.namer.fresh("_p{}")
                rk = an.kinds.get(an.namer.ret)
                value = N(an.namer.ret) if rk is not None and rk.cls in ("float", "int", "bool", "none") \
                    else ast.Call(N("_ad_copy"), [N(an.namer.ret)], [])
                body.append(ast.Assign(targets=[N(primal, ast.Store)], value=value))
            backward = sweeps.reverse(end_tuple=False)
            if self.options.shape_restores:   # (numpy's code: a name may hold a shape in place of its array)
                body = keep_shapes(body, backward)
            body += backward
            if self.public:
                body.append(ast.Return(ret))
                extra, defaults = ([dret], [ast.Constant(1.0)]) if info.ret_active else ([], [])
                if not info.ret_active:
                    body.insert(0, ast.Assign(targets=[N(dret, ast.Store)], value=ast.Constant(None)))
                fused_def = funcdef(info.fused_name, params + extra, body, defaults)
                self.functions.append(explicit.visit(fused_def) if explicit else fused_def)
            else:
                body.append(ast.Return(ast.Tuple([ret, N(primal) if primal else ast.Constant(None)], ast.Load())))
                self.functions.append(funcdef(info.fused_name, params + [dret], body))
        self.functions += [fwd, rev]
        if self.options.typed_tape:
            for fn in self.functions[-3:]:
                if fn.name in (info.fwd_name, info.rev_name, getattr(info, "fused_name", None)):
                    hoist_typed_stacks(fn, tape, ctx.namer)

    def add_forward(self, info: FunctionInfo, ctx, body: list, main: bool, batch: bool) -> None:
        """The tangent function of ``info`` from its tangent statements: it
        returns the return value's tangent (public main function) or
        ``(primal return, tangent)``."""
        an, acts, ret_active = ctx.an, info.activities, info.ret_active
        if batch:
            tangents = [ctx.namer.adjoint(p) for p, a in zip(an.params, acts) if a == "Duplicated"]
            k = ast.Call(N("len"), [N(tangents[0])], []) if tangents else ast.Constant(0)
            body.insert(0, ast.Assign(targets=[N(ctx.batch_count, ast.Store)], value=k))
        params = _with_shadows(ctx, an.params, acts)
        ret_val = N(an.namer.ret) if an.has_return else ast.Constant(None)
        d_ret = N(ctx.namer.adjoint(an.namer.ret)) if (an.has_return and ctx.is_active(an.namer.ret)) else \
            (ast.Constant(0.0) if ret_active else ast.Constant(None))
        rk = an.kinds.get(an.namer.ret)
        if ret_active and isinstance(d_ret, ast.Constant) and an.has_return:
            # the caller may update the result in place: a zero tangent of its
            # shape (with the batch axis in vector mode)
            if batch:
                d_ret = ast.Call(N("_ad_bzeros"), [ret_val, N(ctx.batch_count)], [])
            elif rk is None or rk.cls in ("array", "num", "other"):
                d_ret = ast.Call(N("_ad_shadow_like"), [ret_val], [])
            elif rk.cls == "tuple":   # (read by element: ``d_t1[0]``)
                d_ret = ast.Call(N("_ad_zero_tangent"), [ret_val], [])
        if main and self.public:
            body.append(ast.Return(d_ret))
        else:
            body.append(ast.Return(ast.Tuple([ret_val, d_ret], ast.Load())))
        info.fwd_params = params
        self.contexts[info.fwd_name] = (ctx.kinds, ctx.namer)
        self.functions.append(funcdef(info.fwd_name, params, body))

    # -- calls of user functions -------------------------------------------------------
    @staticmethod
    def call_kinds(ctx, call) -> list:
        """The kinds of a user call's arguments (atoms: names or constants)."""
        return [ctx.an.inference.expr(a) if isinstance(a, ast.Name) else kind_of_value(a.value) for a in call.args]

    def forward_callee(self, ctx, call, n, batch=False):
        target = notes.target(call)
        kinds = self.call_kinds(ctx, call)
        acts = ["Duplicated" if isinstance(a, ast.Name) and ctx.is_active(a.id) else "Const" for a in call.args]
        for a, k, act in zip(call.args, kinds, acts):   # (as reverse mode refuses them: _reverse_activity)
            if act == "Duplicated" and k.cls == "tuple" and not is_generated(ctx.pf.filename) \
                    and not is_runtime_helper(ctx.pf.func):   # (their tuple adjoints are followed)
                self._reverse_activity(ctx, call, a, k)
        ret_active = n is not None and ctx.is_active(n) and not ctx.is_alias_binding_call(call, n)
        self._check_call(ctx, call, target, kinds, n)
        try:
            info = self.passes.forward_function(self, target, tuple(kinds), tuple(acts), ret_active, batch=batch)
        except AdCompilerError as e:
            if not is_runtime_helper(target):
                raise
            raise source_helper_error(call, e, ctx.pf.filename) from e
        return CallInfo(info.fwd_name, info.fwd_name, acts, ret_active, {})

    def callee(self, ctx, call, n):
        target = notes.target(call)
        kinds = self.call_kinds(ctx, call)
        acts = [self._reverse_activity(ctx, call, a, k) for a, k in zip(call.args, kinds)]
        # a returned argument's memory carries its adjoint in the argument's shadow
        ret_active = n is not None and ctx.is_active(n) and not ctx.is_alias_binding_call(call, n)
        if ret_active:
            ret_active = parts_read(ctx.an.body, n, ctx.is_active, (ctx.namer.ret, ctx.ret_active),
                                    ctx.tuple_size) or ret_active
        self._check_call(ctx, call, target, kinds, n)
        info = self.passes.reverse_function(self, target, tuple(kinds), tuple(acts), ret_active)
        shadows = {a.id: ctx.namer.adjoint(a.id) for a, act in zip(call.args, acts) if act == "Duplicated"}
        return CallInfo(info.fwd_name, info.rev_name, acts, ret_active, shadows)

    @staticmethod
    def _reverse_activity(ctx, call, a, k) -> str:
        if not isinstance(a, ast.Name) or not ctx.is_active(a.id):
            return "Const"
        if k.cls == "array" or (k.cls == "num" and ctx.is_memory(a.id)):
            return "Duplicated"
        if k.cls == "float":
            return "Active"
        if k.cls == "tuple":
            what = f"`{a.id}`, a tuple" if not a.id.startswith("_") else "a tuple"
            raise UnsupportedSyntaxError(
                f"{what} that carries derivatives is passed to a function: the derivatives of its elements are "
                "not followed through the call.", filename=ctx.pf.filename, lineno=call.lineno,
                construct=ctx.pf.line_text(call.lineno), hint="unpack it (`a, b = ...`) and pass the elements.")
        raise UnsupportedSyntaxError(
            f"cannot tell whether `{a.id}` is an array or a scalar in this call.",
            filename=ctx.pf.filename, lineno=call.lineno, construct=ast.unparse(call),
            hint="give the arguments' shapes.")

    def _check_call(self, ctx, call, target, kinds, n):
        """Refuse a call whose arguments the callee's analysis cannot take apart: one memory passed
        twice, a container changed, a container written through what the call returns (as ``n``)."""
        self._check_call_aliasing(ctx, call, target, kinds)
        callee = self.passes.analyse(target, tuple(kinds))
        refuse_container_changed_by_callee(ctx, call, callee, kinds)
        ctx.refuse_written_container_result(call, n, callee)

    def _check_call_aliasing(self, ctx, call, target, kinds):
        """Refuse a call that passes one memory as two arguments of which the
        callee writes one (the callee is analysed with separate memories)."""
        names = [a.id if isinstance(a, ast.Name) and ctx.eff.maybe_array(a.id) else None for a in call.args]
        mem = [ctx.eff.memory_of.get(x, x) if x else None for x in names]
        writes = None
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if mem[i] is None or mem[i] != mem[j] or (i, j) in notes.apart(call):
                    continue   # (apart: checked at run time to share no memory)
                if writes is None:
                    an = self.passes.analyse(target, tuple(kinds))
                    writes = set(an.param_writes())
                if (i in writes or j in writes) and is_generated(ctx.pf.filename) and \
                        all(accumulated_only(an, an.params[k], self.passes.analyse) for k in (i, j)):
                    continue   # a reverse half adding into two shadows that are one array (f(x, x))
                if (i in writes or j in writes) and getattr(target, "_ad_lifted_tree", None) is not None \
                        and getattr(target, "_ad_copy_of", None) is None:   # (nested; not a copy taking items)
                    raise AliasingError(
                        f"`{ast.unparse(call.func)}`, a nested function, reads `{names[i]}` and `{names[j]}`, which "
                        "may share memory, and writes one of them (it is differentiated as a helper taking them "
                        "as separate arguments).",
                        filename=ctx.pf.filename, lineno=call.lineno, construct=ctx.pf.line_text(call.lineno),
                        hint="bind the view inside the nested function, or define the function at module level "
                             "and pass it the one array.")
                if i in writes or j in writes:
                    items = getattr(target, "_ad_items_of", None)   # (a copy taking a list's items as arguments)
                    raise AliasingError(
                        f"arguments {i + 1} and {j + 1} of `{ast.unparse(call.func)}` may share memory and the "
                        "function writes one of them." if items is None else
                        f"`{target.__name__}` is given `{names[i]}` and `{names[j]}` in a list or tuple, which may "
                        "share memory, and writes one of them (the items are taken as its arguments).",
                        filename=ctx.pf.filename, lineno=call.lineno, construct=ctx.pf.line_text(call.lineno),
                        hint="pass a copy (x.copy()) for the argument that is only read.")

    def check_free_names(self, an):
        """The names a function reads from its module mean one object in the
        whole generated module (``np`` and ``math`` the modules themselves): a name
        another function's object holds already is read by an alias in this
        function's code (returned, ``{name: alias}``, for ``rename_free``)."""
        fixed = {"np": np, "math": math}
        renames: dict = {}
        for name, obj in an.resolver.free_names().items():
            if name in fixed and obj is not fixed[name]:
                raise UnsupportedSyntaxError(
                    f"the name `{name}` is bound to {obj!r}, but generated code uses it for the {name} module.",
                    filename=an.pf.filename, lineno=an.pf.tree.lineno, construct=name,
                    hint=f"import {fixed[name].__name__} as {name} in the function's module.")
            if name in self.namespace and self.namespace[name] is not obj:
                # (two closures of one factory, two modules' `c`: this function's code reads another name)
                alias = self.free_alias((f"{name}_{k}" for k in itertools.count(2)), an.namer.taken)
                renames[name] = alias
                self.namespace[alias] = obj
            else:
                self.namespace[name] = obj
            self.free_names.append((an.pf.func, name, obj))
            if getattr(type(obj), "pure_function_of_kernel", False):
                # a wrapped kernel's own module arrays are memory the call reads too (the alias check)
                self.free_names += _read_from_module(obj._function)
        # what the generated code reaches through them (m.helper) and the callees' defaults it wrote in
        self.free_names += [(an.pf.func, name, obj) for name, obj in an.resolver.attributes.items()]
        self.free_names += [(f, "__defaults__", (d, kd, c)) for f, d, kd, c in an.callee_defaults]
        return renames

    def rename_free(self, renames: dict, names) -> None:
        """In the generated functions ``names``, read each free name of ``renames`` by its alias
        (``check_free_names``)."""
        if not renames:
            return
        for fn in self.functions:
            if fn.name in names:
                for n in ast.walk(fn):
                    if isinstance(n, ast.Name) and n.id in renames:
                        n.id = renames[n.id]


def _read_from_module(f) -> list:
    """(function, name, object) of the arrays and containers ``f`` (and the functions it names)
    reads from its module or closure."""
    return [(g, name, obj) for g, name, obj in free_values(f) if isinstance(obj, (np.ndarray, dict, list, tuple))]


class _InPlaceShadows(ast.NodeTransformer):
    """``dx += e`` -> ``dx[...] += e`` for the shadows of memory, in code that is
    differentiated again: there a shadow bound to None, a fresh shadow and a
    value popped from the tape has no kind of its own, and ``+=`` on a name of
    unknown kind is refused (array memory is updated in place either way)."""

    def __init__(self, ctx):
        self.names = {ctx.namer.adjoint(n) for n in ctx.kinds if ctx.needs_shadow(n)} | ctx.param_shadows()

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name) and node.target.id in self.names:
            node.target = ast.Subscript(N(node.target.id), ast.Constant(Ellipsis), ast.Store())
        return node


def _with_shadows(ctx, params, acts) -> list:
    """Each parameter, a Duplicated one followed by its shadow."""
    out = []
    for p, a in zip(params, acts):
        out.append(p)
        if a == "Duplicated":
            out.append(ctx.namer.adjoint(p))
    return out

