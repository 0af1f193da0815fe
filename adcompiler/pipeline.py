"""The ordered passes, one visible function each for analysis and transform.

    parse -> resolve -> fence -> normalize -> kinds -> lower -> effects
          -> activity -> reverse sweeps -> emit -> compile/cache

``analyse(func, param_kinds)`` runs the passes up to the effects analysis (no
activity involved, cached per function and argument kinds);
``reverse_module(func, signature)`` differentiates ``func`` and every user
function it calls and returns the generated module. ``DUMP_AFTER`` names the
passes whose output ``dump_after`` can show.
"""
from __future__ import annotations

import ast
import copy
import threading
from dataclasses import dataclass

from .analysis.activity import analyse_activity
from .analysis.effects import Effects
from .analysis.infer import Inference, infer_kinds
from .analysis.kinds import FLOAT, OTHER, kind_of_value
from .codegen.naming import TEMP, Namer, names_in
from .errors import AdCompilerError, UnsupportedSyntaxError
from .frontend.fence import fence
from .frontend.normalize import Normalizer
from .frontend.parse import parse_function
from .frontend.resolve import Resolver
from .transform.lower import lower

DUMP_AFTER = ("parse", "normalize", "lower", "reverse")


@dataclass
class Analysis:
    pf: object
    resolver: object
    namer: Namer
    body: list
    kinds: dict
    eff: Effects
    params: list
    has_return: bool
    inference: Inference

    def index_is_basic(self, idx):
        """True for int/slice/None/... indices, False for fancy ones, None if unknown."""
        parts = idx.elts if isinstance(idx, ast.Tuple) else [idx]
        res = True
        for p in parts:
            k = self.inference.index_kind(p)
            if k == "fancy":
                return False
            if k == "unknown":
                res = None
        return res


_lock = threading.RLock()
_analyses: dict = {}
_stack: list = []


def analyse(func, param_kinds: tuple, dump=None) -> Analysis:
    key = (func, param_kinds)
    with _lock:
        if dump is None and key in _analyses and _fresh(_analyses[key]):
            return _analyses[key]
        if func in _stack:
            raise UnsupportedSyntaxError(
                "recursive functions are not supported.", filename=func.__code__.co_filename,
                lineno=func.__code__.co_firstlineno, construct=func.__name__,
                hint="rewrite the recursion as a loop.")
        _stack.append(func)
        try:
            an = _analyse(func, param_kinds, dump)
        except RecursionError:
            raise UnsupportedSyntaxError(
                "an expression or statement is nested too deeply to transform.",
                filename=func.__code__.co_filename, lineno=func.__code__.co_firstlineno, construct=func.__name__,
                hint="split it into several assignments.") from None
        finally:
            _stack.pop()
        if dump is None:
            _analyses[key] = an
        return an


def _analyse(func, param_kinds, dump):
    pf = parse_function(func)                                  # parse
    if dump == "parse":
        raise _Dump(ast.unparse(pf.tree))
    resolver = Resolver(pf)                                    # resolve
    fence(pf, resolver)                                        # fence
    params = [a.arg for a in pf.tree.args.posonlyargs + pf.tree.args.args]
    if len(params) != len(param_kinds):
        raise AdCompilerError(f"`{pf.name}` takes {len(params)} arguments but {len(param_kinds)} were given.",
                              filename=pf.filename, lineno=pf.tree.lineno, construct=pf.name,
                              hint="give one activity per argument.")
    namer = Namer(names_in(pf.tree) | set(resolver.free_names()) | {"np", "math"})
    for p in params:
        namer.adjoint(p)
    norm = Normalizer(pf, resolver, namer)
    body = norm.run()                                           # normalize
    if dump == "normalize":
        raise _Dump(_show(pf, body))

    def user_return(f, arg_kinds):
        callee = analyse(f, tuple(arg_kinds))
        return callee.kinds.get(callee.namer.ret, OTHER)
    kinds0 = dict(zip(params, param_kinds))
    kinds = infer_kinds(body, kinds0, resolver, user_return, namer)    # kinds
    body = lower(body, kinds, namer, pf)                        # lower
    kinds = infer_kinds(body, kinds0, resolver, user_return, namer)
    if _builtin_minmax_of_arrays(pf, body, Inference(kinds, resolver, user_return, namer)):
        kinds = infer_kinds(body, kinds0, resolver, user_return, namer)
    if dump == "lower":
        raise _Dump(_show(pf, body))
    inference = Inference(kinds, resolver, user_return, namer)

    def callee_writes(f, call):
        arg_kinds = tuple(inference.expr(a) for a in call.args)
        return analyse(f, arg_kinds).param_writes()
    def callee_ret_alias(f, call):
        arg_kinds = tuple(inference.expr(a) for a in call.args)
        return analyse(f, arg_kinds).ret_alias()
    an = Analysis(pf, resolver, namer, body, kinds, None, params, norm.has_return_value, inference)
    an.free = dict(resolver.free_names())
    an.eff = Effects(body, kinds, params, callee_writes, an.index_is_basic,
                     {n for n in namer.generated if namer.made(n, TEMP)}, callee_ret_alias)   # effects
    return an


def _builtin_minmax_of_arrays(pf, body, inference) -> bool:
    """``min(a, b)`` returns one of its arguments itself: of an array (even a
    0-d view) that is an alias, which the analyses do not follow. Of two
    values of which the arrays are 0-d and the result is only read, it is
    ``np.minimum(a, b)`` (the same value; a derivative of 1/2 each at a tie,
    where the builtin gives 1 to one of them); anything else is refused.
    Returns whether a call was rewritten (the kinds must be inferred again)."""
    import builtins

    import numpy as np

    from .analysis.infer import walk_stmts
    from .rules import lookup
    stmts = list(walk_stmts(body))
    written = {t.value.id for s in stmts for t in (s.targets if isinstance(s, ast.Assign) else
                                                  [s.target] if isinstance(s, ast.AugAssign) else [])
               if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
    written |= {s.target.id for s in stmts if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)}
    changed = False
    for s in stmts:
        for node in ast.walk(s) if not isinstance(s, (ast.For, ast.While, ast.If)) else []:
            target = getattr(node, "_ad_target", None) if isinstance(node, ast.Call) else None
            if target not in (builtins.min, builtins.max):
                continue
            kinds = [inference.expr(a) for a in node.args]
            if not any(k.cls == "array" for k in kinds):
                continue
            bound = s.targets[0].id if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) else None
            if len(node.args) == 2 and not node.keywords and bound not in written \
                    and all(k.cls != "array" or k.ndim == 0 for k in kinds):
                f = np.minimum if target is builtins.min else np.maximum
                node.func = ast.Attribute(ast.Name("np", ast.Load()), f.__name__, ast.Load())
                node._ad_target, node._ad_rule = f, lookup(f)
                changed = True
                continue
            raise UnsupportedSyntaxError(
                f"the builtin `{target.__name__}` of an array returns the array itself (an alias).",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint=f"use np.{target.__name__}imum (elementwise) or np.{target.__name__} "
                     "(reduction), or index a scalar out of the array first.")
    return changed


def _fresh(an) -> bool:
    """Whether the non-local names the function reads still mean the same objects."""
    res = an.resolver
    for name, obj in an.free.items():
        try:
            if res.lookup(name) is not obj:
                return False
        except AdCompilerError:
            return False
    return True


def clear():
    """Forget every analysis (``codegen.cache.clear`` calls this too)."""
    with _lock:
        _analyses.clear()


def _param_writes(self) -> list:
    return [k for k, p in enumerate(self.params) if self.eff.cell(p) in self.eff.written]


def _ret_alias(self):
    """The index of the parameter whose memory the return value is (a view
    of), or None for a fresh value. A function that returns an argument's
    memory on one path and a fresh value on another is refused: the caller
    could not tell whether writes through the result reach the argument."""
    from .analysis.infer import walk_stmts
    ret = self.namer.ret
    mem = self.eff.memory_of
    owners = {mem.get(p, p): k for k, p in enumerate(self.params)
              if self.kinds.get(p) is not None and self.kinds[p].cls in ("array", "num")}
    found = set()
    for s in walk_stmts(self.body):
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id == ret \
                and not (isinstance(s.value, ast.Constant) and s.value.value is None):
            v = s.value
            base = self.eff.view_base(v)   # a name, a basic slice, a view function, a helper's alias
            found.add(owners.get(mem.get(base, base)) if base is not None else None)
            line = s.lineno
            for e in v.elts if isinstance(v, ast.Tuple) else []:
                if isinstance(e, ast.Name) and mem.get(e.id, e.id) in owners:
                    raise UnsupportedSyntaxError(
                        f"`{self.pf.name}` returns the memory of its argument `{e.id}` inside a tuple.",
                        filename=self.pf.filename, lineno=line, construct=self.pf.line_text(line),
                        hint=f"return a copy ({e.id}.copy()), or return the argument on its own.")
    if len(found) > 1:
        raise UnsupportedSyntaxError(
            f"`{self.pf.name}` returns the memory of an argument on one path and another value on another.",
            filename=self.pf.filename, lineno=line, construct=self.pf.line_text(line),
            hint="return a copy (x.copy()) on every path, or the same argument on every path.")
    return found.pop() if found else None


Analysis.param_writes = _param_writes
Analysis.ret_alias = _ret_alias


class _Dump(Exception):
    def __init__(self, text):
        self.text = text


def _show(pf, body) -> str:
    from .codegen.emit import funcdef, unparse
    fn = funcdef(pf.name, [a.arg for a in pf.tree.args.args], copy.deepcopy(body) or [ast.Pass()])
    return unparse(fn)


def dump_after(func, param_kinds, activities, ret_active, stage) -> str:
    """The source after pass ``stage`` (one of ``DUMP_AFTER``)."""
    from .codegen.emit import ModuleBuilder
    if stage not in DUMP_AFTER:
        raise AdCompilerError(f"unknown pass `{stage}`.", hint=f"choose one of {', '.join(DUMP_AFTER)}.")
    if stage == "reverse":
        return ModuleBuilder().build(func, tuple(param_kinds), tuple(activities), ret_active).source
    try:
        analyse(func, tuple(param_kinds), dump=stage)
    except _Dump as d:
        return d.text
    raise AssertionError("unreachable")


def reverse_module(func, param_kinds: tuple, activities: tuple, ret_active: bool, public: bool = False):
    """Differentiate ``func`` (and its callees): a ``ModuleBuilder`` with the
    source (``.source``), the names the code needs (``.namespace``) and the
    main function's names (``.main.fused_name``, ``.main.fwd_name``...)."""
    from .codegen.emit import ModuleBuilder
    return ModuleBuilder().build(func, param_kinds, activities, ret_active, public=public)


def forward_module(func, param_kinds: tuple, activities: tuple, ret_active: bool, public: bool = False,
                   batch: bool = False):
    """Tangent-linear code of ``func`` (and its callees); see ``ModuleBuilder.build_forward``.
    With ``batch``, every tangent carries a leading axis of k directions."""
    from .codegen.emit import ModuleBuilder
    return ModuleBuilder().build_forward(func, tuple(param_kinds), tuple(activities), ret_active, public=public,
                                         batch=batch)


def activity_of(an, activities, ret_active):
    return analyse_activity(an.eff, an.kinds, an.params, activities, ret_active, an.pf, an.namer.ret)


__all__ = ["DUMP_AFTER", "FLOAT", "analyse", "dump_after", "infer_kinds", "kind_of_value", "reverse_module"]
