"""Command line, part 3: ``adcompiler emit`` (and the shared activity/kind set-up).

``emit_source`` differentiates the target function with the activities chosen
by ``cli_load.decide_activities`` and returns a self-contained module (see
``cli_standalone``), or, with ``dump_after``, the source after one pass.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import re
import textwrap
import types

import numpy as np

from .. import pipeline
from ..analysis.kinds import BOOL, COMPLEX, FLOAT, INT, Kind, array
from ..api.explain import tape_sites
from ..api.reverse import checkpoint_option
from ..backends.numba_dtypes import index_only
from ..codegen.entry_checks import NUMBA_ERRORS, add_entry_checks
from ..codegen.standalone import (
    add_defaults,
    numba_prelude,
    standalone,
)
from ..errors import UnsupportedSyntaxError
from .load import (
    ACTIVE,
    CONST,
    DUP,
    SCALAR_INT,
    Activities,
    Target,
    UsageError,
    decide_activities,
    record_kind,
)
from .ranks import ranks_from_subscripts, refuse_rank_dependent_views

MODES = ("reverse", "forward")


def _base_hint(acts: Activities, name: str) -> str:
    """The last dotted part of a parameter's type hint, before any ``[...]`` (``""``: none)."""
    hint = acts.hinted.get(name, "")
    return hint.split("[", 1)[0].rsplit(".", 1)[-1] if isinstance(hint, str) else ""


def _const_kind(target: Target, acts: Activities, name: str) -> Kind:
    p = inspect.signature(target.func).parameters[name]
    record = record_kind(target.func, name)
    if record is not None:
        return record
    hint = acts.hinted.get(name, "")
    base = _base_hint(acts, name)
    if base == "complex" or (p.default is not p.empty and isinstance(p.default, complex)):
        return COMPLEX
    if base in ("int", "bool") or (p.default is not p.empty and isinstance(p.default, int)):
        return INT
    if base == "float" or (p.default is not p.empty and isinstance(p.default, float)):
        return FLOAT
    if "ndarray" in str(hint) or base in ("NDArray", "ArrayLike"):
        return array(None, "f")
    if name in acts.integers:
        # a range() bound is an int; an index may also be an integer array (a fancy index)
        return INT if acts.integers[name] in SCALAR_INT else Kind("num", None, "i")
    return Kind("num", None, None)


def kinds_for(target: Target, acts: Activities, ranks: dict | None = None, known: dict | None = None,
              dtypes: dict | None = None) -> tuple:
    """The argument kinds the pipeline specialises on: ``known`` kinds first
    (``check`` knows its values), then ranks from ``ranks`` (with the dtype
    kind from ``dtypes``, ``"f"`` unless given), else unknown."""
    out = []
    ranks = ranks or {}
    dtypes = dtypes or {}
    known = known or {}
    for name in ranks:
        if name not in acts.params:
            raise UsageError(f"--shape {name}=...: `{target.func.__name__}` has no parameter `{name}`.")
    for name in acts.params:
        a = acts.acts[name]
        if name in known:
            out.append(known[name])
        elif name in ranks and ranks[name] == 0 and dtypes.get(name) == "c" and a != DUP:
            out.append(COMPLEX)   # (--shape c=:complex128: a complex number)
        elif name in ranks and ranks[name] == 0 and a == CONST and name in acts.integers \
                and dtypes.get(name, "f") in ("f", "i"):
            out.append(INT)   # (--shape n= of a parameter the body uses as an int: an int, not a float)
        elif name in ranks and ranks[name] == 0 and (dtypes.get(name, "f") == "f" and a == ACTIVE
                                                      or dtypes.get(name) == "f" and a != DUP):
            out.append(FLOAT)   # (--active sigma --shape sigma=:float64, or a Const T=:float64: the float it is)
        elif name in ranks:
            if a == ACTIVE:
                raise UsageError(f"`{name}` has a --shape but is Active ({acts.reasons[name]}). Hint: use "
                                 "--dup or --const for arrays.")
            if ranks[name] == 0 and dtypes.get(name) in ("i", "b") and a != DUP:
                out.append(INT if dtypes[name] == "i" else BOOL)   # (--shape n=:int64: an int, as range(n) takes)
            else:
                out.append(array(ranks[name], dtypes.get(name, "f")))
        elif a == DUP:
            out.append(array(None, "f"))
        elif a == ACTIVE:
            out.append(COMPLEX if _base_hint(acts, name) == "complex" else FLOAT)
        else:
            out.append(_const_kind(target, acts, name))
    return tuple(out)


def return_activity(target: Target, choice: str | None) -> tuple[bool, str]:
    """Whether the return is Active, and why."""
    if choice is not None:
        return choice == "active", f"--ret {choice} flag"
    ann = inspect.signature(target.func).return_annotation
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", None) or repr(ann)
    if ann is not inspect.Signature.empty:
        if text in ("float", "np.float64", "numpy.float64", "float64"):
            return True, f"return type hint `{text}`"
        if text in ("None", "NoneType", "int", "bool"):
            return False, f"return type hint `{text}`"
    return False, ""   # decided from the body below


def _mode_builder(mode: str):
    return pipeline.reverse_module if mode == "reverse" else pipeline.forward_module


def _header(target: Target, acts: Activities, mode: str, ret_active: bool, ret_why: str, argv: list) -> str:
    shown = {ACTIVE: "Duplicated (scalar tangent)"} if mode == "forward" else {}
    lines = [f"# Generated by: adcompiler emit {' '.join(argv)}", "# Activities:"]
    width = max(len(p) for p in [*acts.params, "return"])
    for p in acts.params:
        lines.append(f"#   {p.ljust(width)}  {shown.get(acts.acts[p], acts.acts[p])}: {acts.reasons[p]}")
    ret = ("Duplicated" if mode == "forward" else "Active") if ret_active else "Const"
    lines.append(f"#   {'return'.ljust(width)}  {ret}: {ret_why}")
    return "\n".join(lines)


def _docstring(target: Target, info, acts: Activities, mode: str, ret_active: bool) -> str:
    fname = target.func.__name__
    call = _call(acts, mode, ret_active)
    src = os.path.basename(target.path)
    if mode == "reverse":
        actives = [p for p in acts.params if acts.acts[p] == ACTIVE]
        rets = "(" + ", ".join(f"d{p}" for p in actives) + ("," if len(actives) == 1 else "") + ")"
        body = (f"Reverse-mode adjoint of `{fname}` from {src}, generated by adcompiler.\n\n"
                f"    {info.fused_name}({', '.join(call)}) -> {rets}\n\n"
                f"runs `{fname}` (the arguments end as `{fname}` leaves them), then its adjoint.\n"
                "Each shadow `dX` holds, on entry, the adjoint of X's final value (the\n"
                "seed) and, on exit, the adjoint of X's initial value: gradients of\n"
                "read-only inputs are added to it, memory that is overwritten ends at zero.\n")
        body += ("`dret` is the adjoint of the returned float.\n" if ret_active else "")
        body += ("It returns the derivatives of the Active (float scalar) arguments, in order.\n"
                 if actives else "No argument is Active, so it returns an empty tuple.\n")
        body += (f"`{info.fwd_name}`/`{info.rev_name}` are the same split in two: the forward half\n"
                 "pushes what the reverse half needs onto a tape made by `_ad_tape()` (a list,\n"
                 "with typed stacks for floats and ints):\n"
                 f"`tape = _ad_tape(); ret = {info.fwd_name}(..., tape)`, then\n"
                 f"`derivs = {info.rev_name}(..., dret, tape)`.\n")
        body += _checks_note(acts, mode)
    else:
        name = getattr(info, "fused_name", f"{fname}_forward")
        body = (f"Forward-mode (tangent) derivative of `{fname}` from {src}, generated by adcompiler.\n\n"
                f"    {name}({', '.join(call)})\n\n"
                f"runs `{fname}`; each shadow `dX` holds the tangent of X's initial value on\n"
                "entry and of its final value on exit. Returns the tangent of the return\n"
                "value, or None.\n")
        body += _checks_note(acts, mode)
    return body


def _checks_note(acts: Activities, mode: str) -> str:
    if not any(acts.acts[p] in (DUP, ACTIVE) for p in acts.params):
        return ""
    return ("Each of these functions first checks its arguments (`_ad_expect_arguments`): a\n"
            "Duplicated argument and its shadow must be float arrays of the same shape and\n"
            "dtype, an Active one a scalar, and no two arrays (arguments and shadows) may\n"
            "share memory; anything else raises before the code runs.\n")


def emit_source(target: Target, mode: str = "reverse", const=(), active=(), dup=(), ret: str | None = None,
                dump_after: str | None = None, argv: list | None = None, ranks: dict | None = None,
                known: dict | None = None, dtypes: dict | None = None, checkpoint=None,
                explain: bool = False, target_backend: str = "numpy", numbers: frozenset = frozenset()) -> str:
    """The self-contained module text (or one pass's output with ``dump_after``); ``known``:
    argument kinds known exactly (``check`` has the values); ``ranks`` and ``dtypes``
    (dtype kinds, ``"f"``, ``"i"``...) from ``--shape NAME=DIMS[:DTYPE]``, ``numbers`` the names
    it gives no dimensions and a float or complex dtype (numbers, Active unless a flag or a type
    hint says otherwise; ``check.numbers_given``); ``checkpoint``
    as in ``autodiff`` (reverse mode; the module carries the schedule's code); ``explain``:
    instead of the module, what its forward half keeps for the reverse sweep, per loop step.
    Arrays of no given rank are taken at any rank; where the code needs their ranks
    (``acc += A[i, j]``: a number, or an array if ``A`` had three axes), at the ranks their
    subscripts read, as ``--target numba`` always takes them (the header says so)."""
    given = (mode, const, active, dup, ret, dump_after, argv, ranks, known, dtypes, checkpoint, explain,
             target_backend, numbers)
    try:
        return _emit_source(target, *given)
    except UnsupportedSyntaxError as e:
        if target_backend == "numba" or "cannot tell whether" not in e.reason:
            raise
        guessed = ranks_from_subscripts(target.func, decide_activities(target.func, const, active, dup),
                                        dict(ranks or {}))
        if guessed == dict(ranks or {}):
            raise
        return _emit_source(target, *given, guess_ranks=True)


def _emit_source(target, mode, const, active, dup, ret, dump_after, argv, ranks, known, dtypes, checkpoint,
                 explain, target_backend, numbers, guess_ranks=False) -> str:
    if mode not in MODES:
        raise UsageError(f"unknown mode `{mode}`; choose reverse or forward.")
    acts = decide_activities(target.func, const, active, dup)
    integer_arrays(acts, dtypes or {})
    for name in numbers:   # (--shape c=:complex128: a number, Active unless a flag or a type hint says otherwise)
        if name in acts.acts and acts.source[name] not in ("flag", "hint"):
            acts.acts[name], acts.source[name] = ACTIVE, "shape"
            acts.reasons[name] = "a number (--shape NAME=:DTYPE)"
    if target_backend == "numba" or guess_ranks:
        ranks = ranks_from_subscripts(target.func, acts, dict(ranks or {}))
    kinds = kinds_for(target, acts, ranks, known, dtypes)
    cplx = _complex(acts, kinds, DUP)
    ret_active, ret_why = return_activity(target, ret)
    if not ret_why:
        ret_active = pipeline.analyse(target.func, kinds).has_return
        ret_why = "the function returns a value" if ret_active else "the function returns nothing"
    names = tuple(acts.acts[p] for p in acts.params)
    if mode == "forward":
        names = tuple(DUP if a == ACTIVE else a for a in names)
    if dump_after is not None:
        other = {"reverse": "forward", "forward": "reverse"}
        if other.get(dump_after) == mode:
            raise UsageError(f"--dump-after {dump_after} shows {dump_after} mode. "
                             f"Hint: use --dump-after {mode}, or --mode {dump_after}.")
        return pipeline.dump_after(target.func, kinds, names, ret_active, dump_after, mode)
    build = _mode_builder(mode)
    if mode == "reverse":
        unknown = [p for p, k in zip(acts.params, kinds) if k.cls == "num" or (k.is_array and k.ndim is None)]
        if unknown:
            refuse_rank_dependent_views(target.func, kinds, {p: [p] for p in unknown})
    if target_backend == "numba":
        if checkpoint is not None:
            raise UsageError("--checkpoint is not supported with --target numba yet. Hint: drop one of them.")
        untyped = [p for p, k in zip(acts.params, kinds) if acts.acts[p] not in (DUP, ACTIVE) and k.cls in ("num", "other")]
        if untyped:   # (an int or an array: the code for either may not compile for the other at the first call)
            raise UsageError(f"--target numba: the type of {', '.join(f'`{p}`' for p in untyped)} is not known (a "
                             "number or an array). Hint: give it: " + ", ".join(
                                 f"--shape {p}=:int64 for an int, --shape {p}=:float64 for a float or --shape {p}=DIMS "
                                 "for an array"
                                 for p in untyped) + " (or a type hint in the source).")
        mod = build(target.func, kinds, names, ret_active, public=True, options=pipeline.NUMBA)
        ranks = {p: k.ndim for p, k in zip(acts.params, kinds) if k.is_array and k.ndim is not None}
        text = numba_module(target, mod, acts, mode, ret_active, ret_why, argv, ranks, kinds)
        numba_typed(text, mod.main, target, _dummies(acts, kinds, mode, ret_active), mode)
        return text
    if checkpoint is not None and mode == "reverse":
        options = dataclasses.replace(pipeline.DEFAULT, checkpoint=checkpoint_option(checkpoint))
        mod = build(target.func, kinds, names, ret_active, public=True, options=options)
    else:
        mod = build(target.func, kinds, names, ret_active, public=True)
    if explain:
        if mode != "reverse":
            raise UsageError("--explain describes the tape of reverse mode. Hint: drop --mode forward.")
        return tape_sites(mod.source, mod.origin_lines(), mod.main.fwd_name, mod.main.loops_kept_plain)
    if mode == "forward" and mod.main.fused_name is None:
        mod.main.fused_name = f"{target.func.__name__}_forward"
    header = _header(target, acts, mode, ret_active, ret_why, argv or [target.spec])
    doc = _docstring(target, mod.main, acts, mode, ret_active)
    if cplx:
        doc = doc.replace("must be float arrays of the same shape and\n",
                          f"must be float arrays (complex for {', '.join(f'`{p}`' for p in cplx)}) of the same\n"
                          "shape and ", 1)
    info = mod.main
    entries = [info.fused_name] if mode == "forward" else [info.fused_name, info.fwd_name, info.rev_name]
    arrays = [p for p in acts.params if acts.acts[p] == DUP]
    scalars = [p for p in acts.params if acts.acts[p] == ACTIVE]
    rank_of = {p: k.ndim for p, k in zip(acts.params, kinds) if k.is_array and k.ndim is not None}
    consts = [p for p in acts.params if acts.acts[p] not in (DUP, ACTIVE)]
    source = add_entry_checks(mod.source, entries, arrays, scalars, rank_of, scalar_tangents=mode == "forward",
                              complex_arrays=cplx, consts=consts, complex_scalars=_complex(acts, kinds, ACTIVE))
    source = add_defaults(source, [info.fused_name], _source_defaults(target))
    doc = doc.replace(_call_line(info.fused_name, acts, mode, ret_active), _signature(source, info.fused_name), 1)
    return standalone(source, mod.namespace, target.func.__name__, doc, header)


def _source_defaults(target: Target) -> dict:
    """The default values of the function's parameters, by name (written on the entry point)."""
    return {p.name: p.default for p in inspect.signature(target.func).parameters.values() if p.default is not p.empty}


def numba_module(target: Target, mod, acts: Activities, mode: str, ret_active: bool, ret_why: str, argv,
                 ranks: dict | None = None, kinds: tuple = ()) -> str:
    """The module of ``mod`` (built for the numba backend) with every function
    ``numba.njit``-compiled, its entry points called through functions that check
    their arguments (``checked_entries``; ``ranks``: the arrays' ranks given)."""
    from ..backends.numba import module_source
    if mode == "forward" and mod.main.fused_name is None:
        mod.main.fused_name = mod.main.fwd_name
    source, _, refused = module_source(mod, decorate=True, prelude=False)
    info = mod.main
    halves = mode != "forward" and bool(refused) and set(refused) <= {info.fwd_name, info.rev_name}
    if refused and not halves:
        raise next(iter(refused.values()))
    source = add_defaults(source, [info.fused_name], _source_defaults(target))   # (numba takes literal defaults)
    entries = [info.fused_name] if mode == "forward" or halves else [info.fused_name, info.fwd_name, info.rev_name]
    source = checked_entries(source, entries, acts, mode, ranks or {}, kinds, target.func)
    prelude = numba_prelude(source)
    header = _header(target, acts, mode, ret_active, ret_why, argv or [target.spec])
    doc = _docstring(target, mod.main, acts, mode, ret_active).split("\n`")[0].rstrip("\n")
    doc = doc.replace(_call_line(info.fused_name, acts, mode, ret_active), _signature(source, info.fused_name), 1)
    doc += (f"\n\nEvery function is compiled by numba (numba.njit, cached on disk next to this file).\n"
            f"`{info.fused_name}` is the entry point: it checks its arguments, then calls the compiled\n"
            f"`{JIT}{info.fused_name}`." if mode == "forward" else
            f"\n\nEvery function is compiled by numba (numba.njit, cached on disk next to this file).\n"
            f"`{info.fused_name}` is the entry point: it checks its arguments, then calls the compiled\n"
            f"`{JIT}{info.fused_name}` (the halves too). The split halves keep what the reverse half needs\n"
            f"on a typed tape (a float64 buffer, its count, an int64 buffer, its count):\n"
            f"`ret, *tape = {info.fwd_name}(..., *_ad_tape_new())`, then\n"
            f"`derivs, *_ = {info.rev_name}(..., dret, *tape)`.\n")
    if halves:   # (the fused function compiles where its halves cannot: a shadow crossing them)
        why = next(iter(refused.values()))
        why = getattr(why, "reason", str(why)).replace("the numba backend cannot compile this: ", "")
        doc = doc.split(" (the halves too).")[0] + ".\n" + textwrap.fill(
            f"The split halves `{info.fwd_name}`/`{info.rev_name}` are not in this module: {why} "
            "(the numpy target has them).", 92) + "\n"
    return standalone(source, mod.namespace, target.func.__name__, doc, header, prelude=prelude)


#: the prefix of the compiled entry points of a numba module, called by their checking Python functions
JIT = "_ad_jit_"

def checked_entries(source: str, entries: list, acts: Activities, mode: str, ranks: dict, kinds: tuple = (),
                    func=None) -> str:
    """Each entry point of a numba module as a Python function that checks its arguments
    (``_ad_expect_arguments``, as the numpy module's do: shapes, ranks, layouts, memory
    shared) and calls the compiled function, renamed ``_ad_jit_<name>`` (numba's typing
    checks none of this: a shadow of the wrong shape is written out of bounds, arrays that
    share memory give a wrong derivative)."""
    tree = ast.parse(source)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in entries}
    lines = source.split("\n")
    pattern = re.compile(r"\b(" + "|".join(re.escape(e) for e in defs) + r")\(") if defs else None
    for k, line in enumerate(lines):
        if pattern is not None and not line.lstrip().startswith("#"):
            lines[k] = pattern.sub(lambda m: JIT + m.group(1) + "(", line)
    wrappers = []
    for name, node in defs.items():
        call = ", ".join(a.arg for a in node.args.args)
        wrappers.append(f"def {name}({ast.unparse(node.args)}):\n    try:\n        return {JIT}{name}({call})\n"
                        f"    except numba.core.errors.TypingError as e:\n"
                        f"        raise _ad_untyped({name!r}, e) from None\n"
                        f"    except (ValueError, NotImplementedError) as e:\n"
                        f"        raise _ad_ran({name!r}, e) from None")
    if wrappers:
        wrappers.insert(0, NUMBA_ERRORS)
    source = "\n".join(lines).rstrip() + "\n\n\n" + "\n\n\n".join(wrappers) + "\n"
    arrays = [p for p in acts.params if acts.acts[p] == DUP]
    scalars = [p for p in acts.params if acts.acts[p] == ACTIVE]
    consts = [p for p in acts.params if acts.acts[p] not in (DUP, ACTIVE)]
    return add_entry_checks(source, list(defs), arrays, scalars, ranks, scalar_tangents=mode == "forward",
                            consts=consts, complex_arrays=_complex(acts, kinds, DUP),
                            complex_scalars=_complex(acts, kinds, ACTIVE), double=True,
                            index_arrays=index_only(func, consts) if func is not None else (),
                            int_scalars=[p for p, k in zip(acts.params, kinds) if p in consts and k.cls == "int"])


def _complex(acts: Activities, kinds: tuple, activity: str) -> list:
    """The parameters of ``activity`` the module is generated complex for."""
    return [p for p, k in zip(acts.params, kinds) if k.dtype == "c" and acts.acts[p] == activity]


def _dummies(acts: Activities, kinds: tuple, mode: str, ret_active: bool) -> list | None:
    """Values of the types the emitted functions are called with, in ``_call``'s order
    (None where a type is not known: numba types that argument at the first call)."""
    dtypes = {"f": np.float64, "c": np.complex128, "i": np.int64, "b": np.bool_}
    out = []
    for p, k in zip(acts.params, kinds):
        if k.is_array and k.ndim is not None and k.dtype in dtypes:
            v = np.zeros((2,) * k.ndim, dtypes[k.dtype])
        elif k.cls in ("int", "float", "bool") and k.dtype != "c":
            v = {"int": 1, "float": 0.5, "bool": True}[k.cls]
        elif k.cls == "none":
            v = None
        else:
            return None
        out.append(v)
        if acts.acts[p] == DUP or (mode == "forward" and acts.acts[p] == ACTIVE):
            out.append(np.zeros_like(v) if isinstance(v, np.ndarray) else 0.5)
    return out + ([1.0] if mode == "reverse" and ret_active else [])


def numba_typed(text: str, info, target: Target, values: list | None, mode: str) -> None:
    """Compile the emitted module's entry points for the types of ``values`` (nothing runs):
    what numba cannot type is refused now, at the user's line, not when the module is
    first called."""
    if values is None:
        return
    import sys
    import tempfile

    import numba

    from ..backends.numba_errors import refusal
    from ..codegen.compile import execute_file_source
    origins = {}
    for k, line in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*# ([^:\s]+\.py):(\d+): (.*)$", line)
        if m:
            origins[k] = (target.path, int(m.group(2)), m.group(3))
    with tempfile.TemporaryDirectory() as folder:
        name = f"_ad_emitted_{abs(hash(text)) % 10 ** 12}"
        path = os.path.join(folder, name + ".py")
        with open(path, "w") as fh:
            fh.write(text)
        mod = types.ModuleType(name)
        mod.__file__ = path
        sys.modules[name] = mod
        try:
            execute_file_source(text, path, vars(mod))
            tape = (np.empty(1024), 0, np.empty(1024, np.int64), 0)
            calls = [(info.fused_name, values)]
            if mode == "reverse" and f"def {JIT}{info.fwd_name}(" in text:   # (halves left out: not there)
                given = values[:_n_args(text, JIT + info.fwd_name) - 4]
                calls.append((info.fwd_name, given + list(tape)))
                # (the reverse half: its seed, then the tape; a name it reads that only the forward
                # half binds failed when the module was first called)
                seed = [values[-1] if len(values) > len(given) else None]
                calls.append((info.rev_name, given + seed + list(tape)))
            for entry, args in calls:
                fn = getattr(mod, JIT + entry, None)
                if fn is None or not hasattr(fn, "compile"):
                    continue
                try:
                    fn.compile(tuple(numba.typeof(v) for v in args))
                except Exception as e:   # noqa: BLE001 (numba's typing and lowering errors alike)
                    raise refusal(e, path, origins) from None
        finally:
            sys.modules.pop(name, None)


def _n_args(text: str, name: str) -> int:
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return len(node.args.args)


def integer_arrays(acts: Activities, dtypes: dict) -> None:
    """Arrays given an integer or boolean dtype with ``--shape`` are Const (index arrays)."""
    for name, kind in dtypes.items():
        if kind == "c" and name in acts.acts and acts.source[name] != "flag" and acts.acts[name] == DUP:
            acts.reasons[name] = "a complex array (--shape NAME=DIMS:DTYPE)"
        if kind in ("f", "c") or name not in acts.acts:
            continue
        if acts.source[name] == "flag" and acts.acts[name] != CONST:
            raise UsageError(f"`{name}` has an integer dtype (--shape) but is {acts.acts[name]} "
                             f"({acts.reasons[name]}); only float arrays are differentiated. Hint: drop the "
                             "flag, or give a float dtype.")
        if acts.source[name] != "flag":
            acts.acts[name], acts.source[name] = CONST, "shape"
            acts.reasons[name] = "an integer array (--shape NAME=DIMS:DTYPE)"


def _call_line(name: str, acts: Activities, mode: str, ret_active: bool) -> str:
    return f"{name}({', '.join(_call(acts, mode, ret_active))})"


def _call(acts: Activities, mode: str, ret_active: bool) -> list:
    call = []
    for p in acts.params:
        call.append(p)
        if acts.acts[p] == DUP or (mode == "forward" and acts.acts[p] == ACTIVE):
            call.append("d" + p)
    if mode == "reverse" and ret_active:
        call.append("dret=1.0")
    return call


def _signature(source: str, name: str) -> str:
    """``name(params)`` as the generated module defines it (defaults included)."""
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return f"{name}({ast.unparse(node.args)})"


__all__ = ["CONST", "emit_source", "kinds_for", "return_activity"]
