"""Command line, part 2: make generated code a self-contained module.

Generated code refers to three kinds of outside names: the runtime helpers
(``_ad_unbroadcast``...), the modules ``np`` and ``math``, and whatever the
user's function reads from its globals (constants, numpy functions under
other names, other user functions called without derivatives). ``standalone``
writes each into the module: helper source copied from ``adcompiler.runtime``
under its ``_ad_`` name, imports for modules, literals for numbers and small
arrays, source for plain user functions. Anything else (rules given as Python
functions through ``defsplit``, arbitrary objects) is refused with a
``UsageError``: the module must run without adcompiler.
"""
from __future__ import annotations

import ast
import builtins
import collections
import inspect
import io
import math
import numbers
import re
import symtable
import textwrap
import token
import tokenize
import types

import numpy as np

from .. import runtime
from ..cli.load import UsageError
from ..errors import AdCompilerError
from .entry_checks import EXPECT, EXPECT_SOURCE

#: arrays up to this many elements are written out as literals
MAX_ARRAY = 100_000


def used_names(source: str) -> list:
    """The global names the module's functions read and it does not define, sorted."""
    table = symtable.symtable(source, "<generated>", "exec")
    defined = {c.get_name() for c in table.get_children()}
    found: set = set()
    todo = list(table.get_children())
    while todo:
        t = todo.pop()
        todo += t.get_children()
        found |= {s.get_name() for s in t.get_symbols() if s.is_global() and s.is_referenced()}
    return sorted(found - defined)


# --- runtime helpers ---------------------------------------------------------

def _is_runtime(obj) -> bool:
    """A function or class of ``adcompiler.runtime*`` (copied into the module)."""
    return isinstance(obj, (types.FunctionType, type)) and (obj.__module__ or "").startswith("adcompiler.runtime")


def _global_refs(code) -> set:
    """Global names read by ``code`` and the functions nested in it."""
    out = set(code.co_names) - set(code.co_varnames)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out |= _global_refs(c) - set(code.co_varnames)
    return out


def _refs_of(obj) -> set:
    """Global names a runtime function, or the methods of a runtime class, read."""
    if isinstance(obj, type):
        out: set = set()
        for member in vars(obj).values():
            member = getattr(member, "__func__", member)
            if isinstance(member, types.FunctionType):
                out |= _global_refs(member.__code__)
        return out
    return _global_refs(obj.__code__)


def _globals_of(obj) -> dict:
    return vars(inspect.getmodule(obj)) if isinstance(obj, type) else obj.__globals__


class _Helpers:
    """The runtime functions a module needs, under their emitted names."""

    def __init__(self):
        self.emitted: dict = {}   # function -> emitted name
        for key, fn in sorted(runtime.HELPERS.items()):
            self.emitted.setdefault(fn, key)
        self.taken = set(self.emitted.values())

    def name(self, fn) -> str:
        if fn not in self.emitted:
            cand, k = "_ad_" + fn.__name__.lstrip("_"), 1
            while cand in self.taken:
                k += 1
                cand = f"_ad_{fn.__name__.lstrip('_')}_{k}"
            self.taken.add(cand)
            self.emitted[fn] = cand
        return self.emitted[fn]

    def by_name(self) -> dict:
        return {v: k for k, v in self.emitted.items()}


def _renamed_source(fn, mapping: dict) -> str:
    """``fn``'s source with the global names in ``mapping`` renamed (the
    definition's own name included); formatting and comments are kept."""
    src = textwrap.dedent(inspect.getsource(fn))
    local = set(fn.__code__.co_varnames) if isinstance(fn, types.FunctionType) else set()
    lines = src.splitlines(keepends=True)
    edits, prev = [], None
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == token.NAME and tok.string in mapping and tok.string not in local \
                and not (prev is not None and prev.string == "."):
            edits.append(tok)
        if tok.type not in (token.NL, token.NEWLINE, token.COMMENT):
            prev = tok
    for tok in reversed(edits):
        row, col = tok.start
        line = lines[row - 1]
        lines[row - 1] = line[:col] + mapping[tok.string] + line[col + len(tok.string):]
    return "".join(lines).rstrip() + "\n"


def helper_source(used: list, g: _Globals | None = None) -> str:
    """Source of the runtime helpers named in ``used`` and of everything they
    call; other globals they read (modules, constants) are defined through ``g``."""
    helpers = _Helpers()
    known = helpers.by_name()
    todo = [known[n] for n in used if n in known]
    needed: dict = {}
    while todo:
        fn = todo.pop()
        if fn in needed:
            continue
        mapping = {fn.__name__: helpers.name(fn)}
        for ref in sorted(_refs_of(fn)):
            obj = _globals_of(fn).get(ref, vars(builtins).get(ref))
            if _is_runtime(obj):
                mapping[ref] = helpers.name(obj)
                todo.append(obj)
            elif obj is not None and vars(builtins).get(ref) is not obj and g is not None:
                g.define(ref, obj, f"adcompiler.runtime.{fn.__name__}")
        needed[fn] = mapping
    chunks = [_renamed_source(fn, needed[fn]) for fn in sorted(needed, key=helpers.name)]
    return "\n\n".join(chunks)


# --- the user's globals ------------------------------------------------------

def _numpy_path(obj) -> str | None:
    for prefix, mod in (("np", np), ("np.linalg", np.linalg), ("np.fft", np.fft)):
        name = getattr(obj, "__name__", None)
        if isinstance(name, str) and getattr(mod, name, None) is obj:
            return f"{prefix}.{name}"
    name = getattr(obj, "__name__", None)
    if isinstance(name, str) and getattr(math, name, None) is obj:
        return f"math.{name}"
    return None


def _literal(value) -> str | None:
    """Python source that rebuilds ``value`` exactly, or None."""
    if value is None or isinstance(value, (bool, str, bytes)):
        return repr(value)
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        inner = _literal(value.item())
        return None if inner is None else f"np.{type(value).__name__}({inner})"
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, complex):
        return repr(value) if math.isfinite(abs(value)) else None
    if type(value) in (tuple, list):
        parts = [_literal(v) for v in value]
        if any(p is None for p in parts):
            return None
        body = ", ".join(parts) + ("," if isinstance(value, tuple) and len(parts) == 1 else "")
        return f"({body})" if isinstance(value, tuple) else f"[{body}]"
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc" and value.size <= MAX_ARRAY:
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            return None
        return f"np.array({value.tolist()!r}, dtype=np.{value.dtype.name})"
    return None


def _fields(obj) -> tuple | None:
    """A named tuple's field names (of strings), else None."""
    fields = getattr(type(obj), "_fields", None)
    if isinstance(obj, tuple) and isinstance(fields, tuple) and all(isinstance(f, str) for f in fields):
        return fields
    return None


def _library_module(obj) -> str | None:
    """The public module of an installed library (not the user's code) that
    ``obj`` (a function, a ufunc: ``scipy.special.gammaln``) is imported from, or None."""
    import sys
    import sysconfig
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or isinstance(obj, types.ModuleType):
        return None
    parts = (getattr(obj, "__module__", None) or "").split(".")
    candidates = [".".join(parts[:k]) for k in range(len(parts), 0, -1) if parts[0]] + ["scipy.special"]
    roots = tuple(p for p in {sysconfig.get_paths().get(k) for k in ("purelib", "platlib", "stdlib")} if p)
    for c in candidates:
        mod = sys.modules.get(c)
        if mod is None or c.split(".")[0] == "adcompiler" or any(p.startswith("_") for p in c.split(".")):
            continue
        if getattr(mod, name, None) is obj and str(getattr(mod, "__file__", "") or "").startswith(roots):
            return c
    return None


class _Globals:
    """Definitions for the outside names, in a deterministic order."""

    def __init__(self, taken: set):
        self.imports: dict = {}
        self.values: list = []
        self.functions: list = []
        self.function_aliases: list = []   # (`rhs = pendulum`: after the functions it names)
        self.done: set = set()
        self.taken = taken

    def define(self, name: str, obj, user: str) -> None:
        if name in self.done:
            return
        self.done.add(name)
        if isinstance(obj, types.ModuleType):
            self._module(name, obj, user)
        elif hasattr(builtins, name) and getattr(builtins, name) is obj:   # (AX = None is not a builtin)
            return
        elif (path := _numpy_path(obj)) is not None:
            self.values.append(f"{name} = {path}")
            root = path.split(".")[0]   # (`tanh = math.tanh`: its module imported too)
            self.define(root, np if root == "np" else math, user)
        elif _fields(obj) is not None and (lit := _literal(tuple(obj))) is not None:
            # (a named tuple: rebuilt with its fields, which the code reads by name)
            self.define("collections", collections, user)
            self.values.append(f"{name} = collections.namedtuple({type(obj).__name__!r}, {_fields(obj)!r})"
                               f"(*{lit})")
        elif (lit := _literal(obj)) is not None:
            self.values.append(f"{name} = {lit}")
        elif (where := _library_module(obj)) is not None:
            self.imports[name] = f"from {where} import {obj.__name__}" + (f" as {name}" if name != obj.__name__ else "")
        elif isinstance(obj, types.FunctionType):
            self._function(name, obj, user)
        else:
            what = f"{obj.size} {obj.dtype} values" if isinstance(obj, np.ndarray) else _short(obj)
            raise UsageError(f"`{user}` reads the global name `{name}`, a {type(obj).__name__} ({what}), which cannot be "
                             f"written into a self-contained module (arrays of at most {MAX_ARRAY} finite numbers can). "
                             "Hint: pass it as an argument, or differentiate from Python with adcompiler.autodiff.")

    def _module(self, name, mod, user):
        full = mod.__name__
        if full.split(".")[0] == "adcompiler":
            raise UsageError(f"`{user}` uses the module `{full}` (as `{name}`); the emitted module must run "
                             "without adcompiler. Hint: call adcompiler only outside the differentiated code.")
        if name in ("np", "math") and full != {"np": "numpy", "math": "math"}[name]:
            raise UsageError(f"`{user}` binds `{name}` to the module `{full}`; generated code uses `{name}` for "
                             f"{'numpy' if name == 'np' else 'math'}. Hint: import {full} under another name.")
        self.imports[name] = f"import {full}" if full == name else f"import {full} as {name}"

    def _function(self, name, fn, user):
        if fn.__module__ and fn.__module__.split(".")[0] == "adcompiler":
            raise UsageError(f"`{user}` calls `{name}` from adcompiler; the emitted module must run without it.")
        fname = fn.__name__
        try:
            src = textwrap.dedent(inspect.getsource(fn))
            if fname == "<lambda>":   # (its line holds more than the lambda: written as a def)
                from ..frontend.parse import parse_function
                tree = parse_function(fn).tree
                fname, src = tree.name, ast.unparse(tree)
        except (OSError, TypeError, AdCompilerError):
            src = None
        closure = inspect.getclosurevars(fn) if src else None
        if src is None or fn.__qualname__ != fn.__name__ or closure.nonlocals or src.lstrip().startswith("@"):
            raise UsageError(f"`{user}` calls `{name}` ({_short(fn)}), which is not a plain module-level "
                             "function whose source can be copied. Hint: define it with `def` at module level, "
                             "without decorators or closures.")
        if name.startswith("bound__function"):   # (the function frontend/partials.py makes of a partial)
            raise UsageError(f"`{user}` is a functools.partial of `{fname}` (given to a helper, or read from the "
                             "module); an emitted module holds functions written with def only. Hint: define a "
                             f"function at module level that calls `{fname}` with the bound values, or differentiate "
                             "from Python with adcompiler.autodiff.")
        if fname in self.taken and fname != name:
            raise UsageError(f"`{user}` calls `{fname}` as `{name}`, and `{fname}` is already a "
                             "name of the generated module. Hint: rename the function.")
        self.taken.add(fname)
        for gname, gobj in sorted(closure.globals.items()):
            self.define(gname, gobj, fname)
        self.functions.append(src.rstrip() + "\n")
        if fname != name:
            self.function_aliases.append(f"{name} = {fname}")


def _short(obj) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."


def add_defaults(source: str, functions: list, defaults: dict) -> str:
    """``source`` with the user's parameter defaults on the signatures of ``functions``.

    ``defaults`` maps a parameter to its default value. A default is written
    when it is a literal (``_literal``) and every later parameter of the
    generated signature has one too (a shadow ``dX`` has none, and Python
    wants defaults last), so ``def f(state, dt, max_steps=400)`` gives
    ``f_reverse(state, dstate, dt, ddt, max_steps=400)``, called as ``f``
    is, with the shadows added."""
    tree = ast.parse(source)
    lines = source.split("\n")
    edits = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name not in functions:
            continue
        args = node.args
        known = [ast.unparse(d) for d in args.defaults]
        texts = [None] * (len(args.args) - len(known)) + known
        for k, a in enumerate(args.args):
            if texts[k] is None and a.arg in defaults:
                texts[k] = _literal(defaults[a.arg])
        start = len(texts)
        while start > 0 and texts[start - 1] is not None:
            start -= 1
        if start == len(args.args) - len(known):
            continue
        args.defaults = [ast.parse(t, mode="eval").body for t in texts[start:]]
        row = node.lineno - 1
        end = row
        while not lines[end].rstrip().endswith(":"):
            end += 1   # (a signature ast.unparse wrapped)
        edits.append((row, end, f"def {node.name}({ast.unparse(args)}):"))
    for row, end, text in sorted(edits, reverse=True):
        lines[row:end + 1] = [text]
    return "\n".join(lines)


def numba_prelude(source: str) -> str:
    """The numba imports and helpers (``backends/numba_runtime``) that the
    numba-compiled ``source`` calls, numpy and math imports left to ``standalone``."""
    from ..backends import numba_runtime
    ranks = {(int(r), k) for k, r in re.findall(r"\b_ad_pop_a([fibc])(\d+)\b", source)}
    text = numba_runtime.source(ranks)
    return "\n".join(line for line in text.split("\n") if line not in ("import math", "import numpy as np")).strip()


def standalone(source: str, namespace: dict, user: str, docstring: str, header: str, prelude: str = "") -> str:
    """The module text: docstring, header comment, imports, globals, helpers,
    ``prelude`` (numba's imports and helpers, for the numba target), code."""
    checks = EXPECT + "(" in source
    provided = set()
    for node in ast.parse(prelude).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            provided.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            provided |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Assign):
            provided |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    names = [n for n in used_names(source) if n != EXPECT and n not in provided]
    g = _Globals({c.get_name() for c in symtable.symtable(source, "<generated>", "exec").get_children()})
    helper_names = set(_Helpers().by_name())
    helpers = helper_source(names, g)
    for name in names:
        if name in helper_names:
            continue
        if name.startswith("_ad_"):
            raise UsageError(
                f"`{user}` uses a rule given as Python functions (`{name}`, registered with defsplit); such "
                "rules cannot be written into a self-contained module. Hint: give the rule as templates "
                "with adcompiler.extend.defrule, or differentiate from Python with adcompiler.autodiff.")
        if name in namespace:
            g.define(name, namespace[name], user)
        elif name in ("np", "math"):
            g.define(name, np if name == "np" else math, user)
        elif not hasattr(builtins, name):
            raise UsageError(f"the generated code for `{user}` reads `{name}`, which adcompiler did not "
                             "resolve; please report this with the function's source.")
    if helpers or g.values or g.functions or checks or prelude:
        g.define("np", np, user)
    if re.search(r"\bmath\.", prelude):   # (numba's helpers: math.copysign of a floored division)
        g.define("math", math, user)
    mods = sorted({line.split()[1] for line in g.imports.values()}, key=lambda m: (m not in ("numpy", "math"), m))
    if prelude:
        mods.append("numba")
    docstring = docstring.rstrip("\n") + f"\n\nImports: {', '.join(mods) or 'none'} (adcompiler is not needed).\n"
    head = f'"""{docstring}"""\n\n{header.rstrip()}\n'
    if g.imports:
        head += "\n" + "\n".join(sorted(g.imports.values(), key=_import_key)) + "\n"
    parts = [head.rstrip()]
    if g.values:
        parts.append("\n".join(g.values))
    if helpers:
        parts.append("# --- runtime helpers (copied from adcompiler.runtime) ---\n\n" + helpers.rstrip())
    if g.functions:
        parts.append("# --- functions the code calls without differentiating them ---\n\n"
                     + "\n\n\n".join(f.rstrip() for f in g.functions)
                     + "".join(f"\n\n\n{a}" for a in g.function_aliases))
    if checks:
        parts.append("# --- argument checks ---\n\n" + EXPECT_SOURCE.rstrip())
    if prelude:
        parts.append("# --- numba: the typed tape and helpers ---\n\n" + prelude)
    parts.append("# --- generated code ---\n\n" + _two_blank_lines(source.rstrip()))
    return "\n\n\n".join(parts) + "\n"


def _two_blank_lines(source: str) -> str:
    """Top-level definitions separated by two blank lines (``ast.unparse`` uses one)."""
    lines = source.split("\n")
    out: list = []
    for line in lines:
        if line.startswith(("def ", "class ")) and out and out[-1] == "" and len(out) > 1 and out[-2] != "":
            out.append("")
        out.append(line)
    return "\n".join(out)


def _import_key(line: str) -> tuple:
    return (0 if line.split()[1] in ("math", "numpy") else 1, line)
