"""Every pass, for every mode, in order: the one place to read how source
becomes a derivative.

    parse -> resolve -> fence -> normalize -> kinds -> lower -> effects     (analyse)
          -> activity -> reverse sweeps | tangents | batched tangents       (per function)
          -> emit -> compile/cache                                          (per module)

``analyse`` runs the passes that do not depend on activities, once per function and signature
of argument kinds. ``reverse_function`` and ``forward_function`` run the rest for one function; the ``Module`` they fill
calls them again for each user function the code calls. ``reverse_module`` and ``forward_module``
emit a whole module; ``compiled`` compiles and caches it for the API. Every pass reports to an
optional hook, ``hook(name, show)`` (``show()`` gives its output as text): ``dump_after`` and the
command line's ``--dump-after`` use it.
"""
from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
import linecache
import types
from collections.abc import Callable

from .analysis.activity import analyse_activity, check_reverse_activities
from .analysis.effects import Effects, written_beside_stacks
from .analysis.infer import Inference, infer_kinds
from .analysis.kinds import OTHER
from .analysis.nondiff_kinds import refuse_after_lower
from .analysis.summary import Analysis
from .analysis.tuple_parts import refuse_tuple_elements_read_after_written
from .backends.numba_dtypes import refuse_narrow_arguments
from .codegen import cache
from .codegen import compile as compiler
from .codegen.emit import emit_module, funcdef, unparse
from .codegen.naming import TEMP, Namer, is_generated, names_in
from .errors import AdCompilerError, UnsupportedSyntaxError
from .frontend.attr_views import name_attribute_views
from .frontend.contexts import drop_inert
from .frontend.dicts import scalar_dicts
from .frontend.fence import fence
from .frontend.nested import lift_nested
from .frontend.normalize import Normalizer
from .frontend.parse import parse_function
from .frontend.resolve import (
    Resolver,
    current_value,
    keyword_defaults,
    same_keyword_defaults,
)
from .frontend.specialise import specialise_container_calls
from .frontend.tuple_returns import split_returned_arguments
from .transform import forms
from .transform.batch import BatchForwardBuilder
from .transform.builtin_minmax import builtin_minmax_of_arrays, conj_methods_of_reals
from .transform.context import FunctionContext
from .transform.forward import ForwardBuilder
from .transform.lower import lower
from .transform.module import SECOND_ORDER, FunctionInfo, Module, Options, Passes
from .transform.readonly_views import check_read_only_views
from .transform.reverse import Sweeps

Hook = Callable[[str, Callable[[], str]], None]
DUMP_AFTER = ("parse", "normalize", "kinds", "lower", "effects", "activity", "reverse", "forward")
DEFAULT = Options()
# (rollback pushes regions the typed tape of the numba backend does not hold yet)
NUMBA = Options(shape_restores=False, listify=False, backend="numba", rollback=False, typed_tape=False)
MODES = ("reverse", "forward", "batch", "second")


def _quiet(name: str, show: Callable[[], str]) -> None:
    pass


# -- the passes of one function --------------------------------------------------------
def analyse(func, param_kinds: tuple, hook: Hook | None = None) -> Analysis:
    """Parse through effects for ``func`` called with arguments of ``param_kinds``
    (cached; a hook sees the passes of a fresh, uncached run)."""
    key = (func, param_kinds)
    with cache.lock:
        if hook is None and key in cache.analyses and _fresh(cache.analyses[key]):
            return cache.analyses[key]
        if func in cache.analysing:
            raise UnsupportedSyntaxError(
                "recursive functions are not supported.", filename=func.__code__.co_filename,
                lineno=func.__code__.co_firstlineno, construct=func.__name__,
                hint="rewrite the recursion as a loop.")
        cache.analysing.append(func)
        try:
            an = _analyse(func, param_kinds, hook or _quiet)
        except AdCompilerError as e:
            _locate(e, func)
            raise
        except RecursionError:
            raise UnsupportedSyntaxError(
                "an expression or statement is nested too deeply to transform.",
                filename=func.__code__.co_filename, lineno=func.__code__.co_firstlineno, construct=func.__name__,
                hint="split it into several assignments.") from None
        finally:
            cache.analysing.pop()
        if hook is None:
            cache.analyses[key] = an
        return an


def front(func, hook: Hook = _quiet) -> tuple:
    """``(pf, resolver)``: the passes that need no argument kinds, before ``fence``."""
    pf = parse_function(func)                                               # parse
    lift_nested(pf)                                                         # (nested functions, lifted)
    scalar_dicts(pf)                                                        # (p = {"a": ...}; p["a"]: names)
    name_attribute_views(pf)                                                # (z.imag[:] = v: a named view)
    hook("parse", lambda: ast.unparse(pf.tree))
    resolver = Resolver(pf)                                                 # resolve
    specialise_container_calls(pf, resolver)                                # (helper(x, [a, b]): items as arguments)
    split_returned_arguments(pf, resolver)                                  # (a, b = helper(x): `return x, ...`)
    drop_inert(pf, resolver)                                                # (np.errstate that only warns, del)
    return pf, resolver


def _analyse(func, param_kinds, hook: Hook) -> Analysis:
    pf, resolver = front(func, hook)
    params = [a.arg for a in pf.tree.args.posonlyargs + pf.tree.args.args]
    resolver.bind_functions(params, param_kinds)
    fence(pf, resolver)                                                     # fence
    if len(params) != len(param_kinds):
        raise AdCompilerError(f"`{pf.name}` takes {len(params)} arguments but {len(param_kinds)} were given.",
                              filename=pf.filename, lineno=pf.tree.lineno, construct=pf.name,
                              hint="give one activity per argument.")
    namer = Namer(names_in(pf.tree) | set(resolver.free_names()) | {"np", "math"})
    for p in params:
        namer.adjoint(p)
    try:
        return _passes(func, param_kinds, hook, pf, resolver, params, namer)
    except AdCompilerError as e:
        _user_names(e, namer)
        raise


def _passes(func, param_kinds, hook, pf, resolver, params, namer) -> Analysis:
    """normalize ... effects, for ``_analyse``."""
    norm = Normalizer(pf, resolver, namer)
    body = norm.run()                                                       # normalize
    hook("normalize", lambda: _show(pf, body))

    def user_return(f, arg_kinds):
        callee = analyse(f, tuple(arg_kinds))
        return callee.kinds.get(callee.namer.ret, OTHER)

    def infer(body):
        return infer_kinds(body, dict(zip(params, param_kinds)), resolver, user_return, namer)
    kinds = infer(body)                                                     # kinds
    hook("kinds", lambda: _show_kinds(kinds))
    pieces = _pieces(body, kinds, resolver, user_return, namer) if not is_generated(pf.filename) else {}
    body = lower(body, kinds, namer, pf, pieces)                            # lower
    kinds = infer(body)
    if builtin_minmax_of_arrays(pf, body, Inference(kinds, resolver, user_return, namer)) | \
            conj_methods_of_reals(pf, body, Inference(kinds, resolver, user_return, namer)):
        kinds = infer(body)
    hook("lower", lambda: _show(pf, body))
    inference = Inference(kinds, resolver, user_return, namer)
    refuse_after_lower(body, inference, pf)

    def callee_writes(f, call):
        kinds = tuple(inference.expr(a) for a in call.args)
        return written_beside_stacks(analyse(f, kinds), kinds, is_generated(pf.filename))

    def callee_ret_alias(f, call):
        return analyse(f, tuple(inference.expr(a) for a in call.args)).ret_alias()

    def callee_ret_shares(f, call):
        return analyse(f, tuple(inference.expr(a) for a in call.args)).ret_elements_may_share()
    temps = {n for n in namer.generated if namer.made(n, TEMP)} - namer.read_late
    an = Analysis(pf, resolver, namer, body, kinds, None, params, norm.has_return_value, inference,
                  {**resolver.free_names(), **resolver.attributes}, pieces=pieces)
    an.eff = Effects(body, kinds, params, callee_writes, an.index_is_basic, temps, callee_ret_alias,   # effects
                     callee_ret_shares)
    an.eff.callee_ret_readonly = lambda f, call: analyse(f, tuple(inference.expr(a) for a in call.args)).ret_readonly_view()
    an.callee_defaults = _callee_defaults(body)
    an.code = func.__code__   # (a function whose code is replaced, as %autoreload does, is analysed again)
    if not is_generated(pf.filename):
        refuse_tuple_elements_read_after_written(an.eff, kinds, pf, body, namer.ret)
        an.refuse_untracked_writes()
        an.check_free_arrays_unwritten(
            lambda f, call: analyse(f, tuple(inference.expr(a) for a in call.args)).ret_free_array())
    hook("effects", lambda: _show_effects(an.eff))
    return an


def reverse_function(module: Module, func, kinds: tuple, acts: tuple, ret_active: bool, main: bool = False,
                     hook: Hook = _quiet) -> FunctionInfo:
    """Differentiate one function in reverse mode into ``module`` (once per signature)."""
    key = (func, kinds, acts, ret_active)
    if key in module.memo:
        return module.memo[key]
    an = analyse(func, kinds)                                               # parse ... effects
    try:
        return _reverse_function(module, func, kinds, acts, ret_active, main, hook, an, key)
    except AdCompilerError as e:
        _user_names(e, an.namer)
        raise


def _reverse_function(module, func, kinds, acts, ret_active, main, hook, an, key) -> FunctionInfo:
    check_reverse_activities(an, kinds, acts, ret_active, main)
    active = analyse_activity(an.eff, an.kinds, an.params, acts, ret_active, an.pf, an.namer.ret)   # activity
    hook("activity", lambda: _show_active(an, active))
    ctx = FunctionContext(an, acts, ret_active, active, module)
    forms.check_stacks(ctx, an.body)
    forms.check_tuple_elements(ctx, an.body)
    check_read_only_views(ctx, an.body)
    forms.check_scalar_conversions(ctx, an.body)
    ctx.is_callee = not main
    renames = module.check_free_names(an)
    info = FunctionInfo(func, an.pf.name, module.unique(f"{an.pf.name}_fwd"), module.unique(f"{an.pf.name}_rev"),
                        an.params, acts, ret_active)
    module.memo[key] = info
    sweeps = Sweeps(ctx, an.body)
    info.loops_kept_plain = dict(sweeps.checkpoint_skipped)                # for the memory report
    module.add_reverse(info, ctx, sweeps, fused=main)                      # reverse sweeps (+ peepholes)
    module.rename_free(renames, {info.fwd_name, info.rev_name, info.fused_name})
    return info


def forward_function(module: Module, func, kinds: tuple, acts: tuple, ret_active: bool, main: bool = False,
                     batch: bool = False, hook: Hook = _quiet) -> FunctionInfo:
    """The tangent-linear code of one function into ``module`` (``batch``: k directions on a leading axis)."""
    key = ("forward", func, kinds, acts, ret_active, main, batch)
    if key in module.memo:
        return module.memo[key]
    an = analyse(func, kinds)                                               # parse ... effects
    an_acts = tuple("Active" if a == "Duplicated" and k.cls in ("float", "int", "bool") else a
                    for a, k in zip(acts, kinds))
    active = analyse_activity(an.eff, an.kinds, an.params, an_acts, ret_active, an.pf, an.namer.ret)   # activity
    hook("activity", lambda: _show_active(an, active))
    ctx = FunctionContext(an, an_acts, ret_active, active, module)
    forms.check_stacks(ctx, an.body)
    forms.check_tuple_elements(ctx, an.body)
    check_read_only_views(ctx, an.body)
    forms.check_scalar_conversions(ctx, an.body)
    renames = module.check_free_names(an)
    name = module.unique(an.pf.name + ("_forward" if main else "_fwdtan") + ("_batch" if batch else ""))
    info = FunctionInfo(func, an.pf.name, name, name, an.params, acts, ret_active)
    module.memo[key] = info
    body = (BatchForwardBuilder if batch else ForwardBuilder)(ctx).block(an.body)   # tangents
    module.add_forward(info, ctx, body, main, batch)
    module.rename_free(renames, {info.fwd_name, info.fused_name})
    return info


PASSES = Passes(analyse, reverse_function, forward_function)


# -- whole modules -------------------------------------------------------------------------
def reverse_module(func, param_kinds: tuple, activities: tuple, ret_active: bool, public: bool = False,
                   options: Options = DEFAULT, hook: Hook = _quiet) -> Module:
    """Differentiate ``func`` and its callees: a ``Module`` with the source
    (``.source``), the names the code needs (``.namespace``) and the main
    function's names (``.main.fused_name``, ``.main.fwd_name``...). With
    ``public``, the fused function follows the command line's convention
    ``{name}_reverse(args and shadows..., dret=1.0)`` returning the Active
    arguments' derivatives; otherwise it returns ``(derivatives, primal return)``."""
    module = Module(PASSES, options, public)
    module.main = reverse_function(module, func, tuple(param_kinds), tuple(activities), ret_active, main=True,
                                   hook=hook)
    module.source = emit_module(module.functions, module.comments, module.comment_lines)          # emit
    hook("reverse", lambda: module.source)
    return module


def forward_module(func, param_kinds: tuple, activities: tuple, ret_active: bool, public: bool = False,
                   batch: bool = False, hook: Hook = _quiet, options: Options = DEFAULT) -> Module:
    """Tangent-linear code of ``func`` and its callees. The main function is
    ``{name}_forward(args, each Duplicated one followed by its tangent)``; it
    returns the return value's tangent with ``public``, else ``(primal return, tangent)``."""
    module = Module(PASSES, options, public)
    module.main = forward_function(module, func, tuple(param_kinds), tuple(activities), ret_active, main=True,
                                   batch=batch, hook=hook)
    module.source = emit_module(module.functions, module.comments, module.comment_lines)          # emit
    hook("forward", lambda: module.source)
    return module


def compiled(func, kinds: tuple, acts: tuple, ret_active: bool, mode: str = "reverse",
             dtypes: str = "", backend: str = "numpy", checkpoint=None) -> cache.Compiled:
    """The generated code of ``func`` for one signature, compiled and cached:
    ``mode`` is ``reverse`` (fused and split halves), ``forward``, ``batch``
    (vector forward mode) or ``second`` (reverse code meant to be
    differentiated again, public convention). ``backend`` is ``numpy`` or
    ``numba`` (``reverse`` and ``forward`` modes; see ``backends/choice`` for ``auto``);
    ``checkpoint`` (reverse only) checkpoints the outermost loops (``transform/checkpoint.py``)."""
    if not isinstance(func, types.FunctionType):
        parse_function(func)   # raises the right refusal for builtins, partials, methods...
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")

    if backend == "numba":
        if mode not in ("reverse", "forward"):
            raise AdCompilerError(f"backend='numba' does not support {mode} mode.", hint="use backend='numpy'.")
        if checkpoint is not None:
            raise AdCompilerError("checkpoint= is not supported with backend='numba' yet: the snapshots and the "
                                  "schedule are Python objects.", construct=f"checkpoint={checkpoint!r}",
                                  hint="use backend='numpy' with checkpoint=, or drop checkpoint=.")
        # (numba computes with narrow ints at 64 bits: int8 100 * 100 is 10000, numpy's 16)
        refuse_narrow_arguments(func, kinds, dtypes)
        return cache.get(func, (mode, kinds, acts, dtypes, ret_active, backend),
                         lambda: _build_numba(func, kinds, acts, ret_active, mode))

    def build():
        if mode in ("forward", "batch"):
            mod = forward_module(func, kinds, acts, ret_active, batch=mode == "batch")
        else:
            mod = reverse_module(func, kinds, acts, ret_active, public=mode == "second",
                                 options=SECOND_ORDER if mode == "second" else
                                 dataclasses.replace(DEFAULT, checkpoint=checkpoint))
        name = getattr(func, "__name__", "f")
        label = {"reverse": name, "forward": f"{name} forward", "batch": f"{name} batch",
                 "second": f"{name} reverse"}[mode]
        ns = compiler.compile_source(mod.source, mod.namespace, label)
        an = analyse(func, kinds)
        info = mod.main
        lines = mod.origin_lines()
        if mode == "second":   # differentiated again from its source: not wrapped
            fwd, rev, fused = ns[info.fused_name], None, None
        else:
            fwd = compiler.located(ns[info.fwd_name], lines)
            rev = compiler.located(ns[info.rev_name], lines) if mode == "reverse" else None
            fused = compiler.located(ns[info.fused_name], lines) if mode == "reverse" else None
            if fused is not None and ret_active:   # (a real number, as typed: seeded in one call, checked after)
                rk = an.kinds.get(an.namer.ret)
                fused.seeds_return = rk is not None and rk.cls in ("float", "int") and rk.dtype != "c"
        return cache.Compiled(mod.source, fwd, rev, info, mod.free_names, fused,
                              an.entry_writes(), lines)
    return cache.get(func, (mode, kinds, acts, dtypes, ret_active, checkpoint), build)


def _build_numba(func, kinds, acts, ret_active, mode) -> cache.Compiled:
    from .backends import numba as nb
    nb.require()
    if mode == "forward":
        mod = forward_module(func, kinds, acts, ret_active, options=NUMBA)
    else:
        mod = reverse_module(func, kinds, acts, ret_active, options=NUMBA)
    ns = nb.compile_module(mod)
    fwd, rev, fused = nb.halves(ns, mod.main, mode)
    an = analyse(func, kinds)
    return cache.Compiled(mod.source, fwd, rev, mod.main, mod.free_names, fused,
                          an.entry_writes(), mod.origin_lines())


def dump_after(func, param_kinds, activities, ret_active, stage: str, mode: str = "reverse") -> str:
    """The output of pass ``stage`` (one of ``DUMP_AFTER``) as text, in
    ``mode`` (``reverse``, or ``forward`` with tangent activities)."""
    if stage not in DUMP_AFTER:
        raise AdCompilerError(f"unknown pass `{stage}`.", hint=f"choose one of {', '.join(DUMP_AFTER)}.")

    def hook(name, show):
        if name == stage:
            raise _Dump(show())
    try:
        analyse(func, tuple(param_kinds), hook=hook)
        if mode == "forward" or stage == "forward":
            forward_module(func, param_kinds, activities, ret_active, hook=hook)
        else:
            reverse_module(func, param_kinds, activities, ret_active, hook=hook)
    except _Dump as d:
        return d.text
    raise AdCompilerError(f"pass `{stage}` did not run.", hint=f"choose one of {', '.join(DUMP_AFTER)}.")


def clear() -> None:
    """Forget every analysis and every compiled function."""
    cache.clear()


# -- helpers ---------------------------------------------------------------------------------
def _user_names(e: AdCompilerError, namer) -> None:
    """The names of a message as the user wrote them (``x`` for the local
    ``x_1`` a rebound parameter becomes)."""
    renamed = getattr(namer, "renamed", None)
    if not renamed:
        return
    import re
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, renamed)) + r")\b")
    e.reason = pattern.sub(lambda m: renamed[m.group(1)], e.reason)
    if e.hint:
        e.hint = pattern.sub(lambda m: renamed[m.group(1)], e.hint)
    if e.construct:   # (generated names are never the user's: a user's line keeps its own)
        e.construct = pattern.sub(lambda m: renamed[m.group(1)], e.construct)
    e.args = (e._format(),)


def _locate(e: AdCompilerError, func) -> None:
    """An error raised with a line but no file (deep in a pass): the user's
    file, and the user's line as the construct (not the normalized code)."""
    if e.filename is not None or not hasattr(func, "__code__"):
        return
    if e.lineno is None and e.construct:
        # a node the passes made has no line: the line of the source that holds the construct
        try:
            lines, first = inspect.getsourcelines(func)
        except (OSError, TypeError):
            return
        e.lineno = next((first + k for k, text in enumerate(lines) if e.construct in text), None)
    if e.lineno is None:
        return
    e.filename = func.__code__.co_filename
    line = linecache.getline(e.filename, e.lineno).strip()
    if line:
        e.construct = line
    e.args = (e._format(),)



class _Dump(Exception):
    """Stops the pipeline after the pass ``dump_after`` asked for, carrying its output."""

    def __init__(self, text):
        self.text = text


def _pieces(body, kinds, resolver, user_return, namer) -> dict:
    """The names bound to lists of views (``np.split``'s), a helper's returned one included."""
    from .frontend import notes
    from .transform.lower import piece_lists
    inference = Inference(kinds, resolver, user_return, namer)

    def returns_pieces(call):
        f = notes.target(call)
        try:
            callee = analyse(f, tuple(inference.expr(a) for a in call.args))
        except AdCompilerError:   # (refused where it is analysed for its call, with the kinds after lowering)
            return None
        return callee.pieces.get(callee.namer.ret)
    return piece_lists(body, returns_pieces)


def _callee_defaults(body) -> list:
    """(function, its defaults, its keyword defaults, its code) for the Python functions
    the body calls: their defaults are written into the calls, their code differentiated."""
    from .frontend import notes
    out = {}
    for node in (n for s in body for n in ast.walk(s) if isinstance(n, ast.Call)):
        f = getattr(notes.target(node), "_ad_copy_of", None) or notes.target(node)   # (a copy: frontend/specialise)
        if inspect.isfunction(f):
            out[f] = (f, f.__defaults__, keyword_defaults(f), f.__code__)
    return list(out.values())


def _fresh(an) -> bool:
    """Whether the non-local names (and attributes of them, ``m.helper``) the
    function reads still mean the same objects, read from its closure cells and
    module now (a closure's variable may have been rebound since), and whether
    the defaults of the functions it calls are the ones it was analysed with."""
    func = an.pf.func
    for name, obj in an.free.items():
        if current_value(func, name) is not obj:
            return False
    return func.__code__ is an.code and all(f.__defaults__ is d and same_keyword_defaults(f, kd) and f.__code__ is c
                                            for f, d, kd, c in an.callee_defaults)


def _show(pf, body) -> str:
    fn = funcdef(pf.name, [a.arg for a in pf.tree.args.args], copy.deepcopy(body) or [ast.Pass()])
    return unparse(fn)


def _show_kinds(kinds: dict) -> str:
    def text(k):
        rank = "" if k.cls != "array" else f" of rank {'?' if k.ndim is None else k.ndim}"
        dtype = f", dtype kind {k.dtype}" if k.dtype else ""
        elts = f" ({', '.join(text(e) for e in k.elts)})" if k.elts else ""
        return f"{k.cls}{rank}{dtype}{elts}{' (a guess)' if k.weak else ''}"
    return "".join(f"{name}: {text(kinds[name])}\n" for name in sorted(kinds))


def _show_effects(eff: Effects) -> str:
    lines = [f"written: {', '.join(sorted(eff.written)) or '-'}"]
    shared = {}
    for name, cell in sorted(eff.memory_of.items()):
        shared.setdefault(cell, []).append(name)
    lines += [f"memory {cell}: {', '.join(names)}" for cell, names in sorted(shared.items()) if len(names) > 1]
    return "\n".join(lines) + "\n"


def _show_active(an, active) -> str:
    names = sorted(n for n in an.kinds if an.eff.cell(n) in active)
    return f"{an.pf.name}: active {', '.join(names) or '-'}\n"


__all__ = [
    "DUMP_AFTER",
    "analyse",
    "clear",
    "compiled",
    "dump_after",
    "forward_function",
    "forward_module",
    "reverse_function",
    "reverse_module",
]
