"""Command line, part 1: load ``PATH.py:FUNC`` and decide each argument's activity.

``load_target`` imports the user's file the way ``python PATH.py`` would see
its siblings (its directory first on ``sys.path``) but without running its
``if __name__ == "__main__":`` block, and turns every way an import can go
wrong into a ``UsageError`` with one paragraph of explanation.

``decide_activities`` gives every parameter an activity and says why:
command-line flags first, then type hints (an array annotation: Duplicated,
``float``: Active, ``int``/``bool``: Const), then default values, then how
the body uses it (a ``range()`` bound is an int, an index an integer: Const),
and otherwise Duplicated (a float array is assumed).
"""
from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import io
import os
import sys
import textwrap
import traceback
import types
import zlib
from dataclasses import dataclass, field

from ..frontend.parse import taken_by_position
from ..frontend.resolve import plain_function

DUP, ACTIVE, CONST = "Duplicated", "Active", "Const"


class UsageError(Exception):
    """A problem with the command line or the user's file: exit status 2, no traceback."""


@dataclass
class Target:
    """The function the command line works on: where it came from and the function object."""

    path: str
    func: types.FunctionType
    module: types.ModuleType
    spec: str
    #: what importing the file printed on standard output
    import_output: str = ""


def split_names(values: list) -> list:
    """Flag values as names: ``["a,b", "c"]`` -> ``["a", "b", "c"]``."""
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def split_target(spec: str) -> tuple[str, str]:
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise UsageError(f"expected PATH.py:FUNC, got `{spec}`. Example: adcompiler emit examples/seed.py:f_")
    return path, name


def _module_name(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.isidentifier() and stem not in sys.modules:
        return stem
    return f"_adcompiler_user_{zlib.crc32(os.path.abspath(path).encode()):08x}"


def _user_frame(exc: BaseException, path: str) -> str:
    """`file:line` of the innermost traceback frame in the user's file."""
    where = ""
    for fr in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(fr.filename) == os.path.abspath(path):
            where = f"{path}:{fr.lineno}"
    return where or path


def _import(path: str) -> tuple[types.ModuleType, str]:
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load `{path}` as a Python module. Hint: give a .py file.")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)   # siblings import as they would under `python PATH.py`
    sys.modules[name] = module
    out = io.StringIO()
    try:
        # Standard output carries the generated module: whatever the file prints
        # while it is imported is kept aside and reported on standard error.
        with contextlib.redirect_stdout(out), _no_stdin():
            spec.loader.exec_module(module)
    except SyntaxError as e:
        sys.modules.pop(name, None)
        raise UsageError(f"{e.filename or path}:{e.lineno}:{e.offset or 0}: cannot import `{path}`: "
                         f"syntax error: {e.msg}.") from None
    except ImportError as e:
        sys.modules.pop(name, None)
        raise UsageError(f"{_user_frame(e, path)}: cannot import `{path}`: {e}. Hint: install the missing "
                         f"module, or check that it is next to `{os.path.basename(path)}` or on PYTHONPATH "
                         f"(the file's directory, {folder}, is searched first).") from None
    except SystemExit as e:
        sys.modules.pop(name, None)
        raise UsageError(f"{_user_frame(e, path)}: importing `{path}` called sys.exit({e.code!r}): the file "
                         "runs code when it is imported. Hint: put the script part under "
                         "`if __name__ == \"__main__\":`.") from None
    except EOFError as e:
        sys.modules.pop(name, None)
        raise UsageError(f"{_user_frame(e, path)}: importing `{path}` read from standard input: the file runs "
                         "code when it is imported. Hint: put the script part under "
                         "`if __name__ == \"__main__\":`.") from None
    except Exception as e:
        sys.modules.pop(name, None)
        raise UsageError(f"{_user_frame(e, path)}: importing `{path}` raised {type(e).__name__}: {e}. "
                         "The file's top-level code runs when adcompiler imports it. Hint: put code that "
                         "is not a definition under `if __name__ == \"__main__\":` (or rerun with "
                         "--traceback to see where it failed).") from e
    return module, out.getvalue()


@contextlib.contextmanager
def _no_stdin():
    saved = sys.stdin
    sys.stdin = io.StringIO("")
    try:
        yield
    finally:
        sys.stdin = saved


def load_target(spec: str) -> Target:
    """Import the file of ``PATH.py:FUNC`` and return the function."""
    path, name = split_target(spec)
    if not os.path.exists(path):
        raise UsageError(f"no such file: `{path}` (from `{spec}`).")
    if os.path.isdir(path) or not path.endswith(".py"):
        raise UsageError(f"`{path}` is not a .py file. Expected PATH.py:FUNC.")
    module, printed = _import(path)
    obj = plain_function(getattr(module, name, None))   # (a numba-compiled function: its Python function)
    defined = sorted(k for k, v in vars(module).items()
                     if isinstance(v, types.FunctionType) and v.__module__ == module.__name__)
    if obj is None:
        listing = ", ".join(defined) if defined else "none"
        raise UsageError(f"`{path}` has no function `{name}`. Functions defined there: {listing}.")
    if not isinstance(obj, types.FunctionType) or getattr(obj, "_ad_lifted_tree", None) is not None:
        what = "functools.partial" if getattr(obj, "_ad_lifted_tree", None) is not None else type(obj).__name__
        raise UsageError(f"`{name}` in `{path}` is a {what}, not a function. The command line "
                         "differentiates plain functions defined with `def` (define one that calls the function "
                         "with the bound values; from Python, adcompiler.autodiff takes the partial).")
    return Target(path, obj, module, spec, printed)


# --- activities --------------------------------------------------------------

_ARRAY_HINTS = ("ndarray", "NDArray", "ArrayLike", "Array")


def _hint_activity(ann) -> str | None:
    """Activity implied by a type annotation (an object or, with postponed
    evaluation of annotations, a string)."""
    if ann is inspect.Parameter.empty:
        return None
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", None) or repr(ann)
    text = text.replace(" ", "")
    base = text.split("[", 1)[0].rsplit(".", 1)[-1]
    if ann in (float, complex) or base in ("float", "complex"):
        return ACTIVE
    if ann in (int, bool, str, bytes) or base in ("int", "bool", "str", "bytes", "Literal"):
        return CONST   # (a flag, a count, a method's name)
    import numpy as np
    if ann is np.ndarray or base in _ARRAY_HINTS or "ndarray" in text:
        return DUP
    return None


def _named_tuple_class(func, name):
    """The named tuple class parameter ``name`` of ``func`` is annotated with, else None."""
    import typing
    try:
        cls = typing.get_type_hints(func).get(name)
    except Exception:   # noqa: BLE001 (a hint that does not resolve: not a record)
        return None
    ok = isinstance(cls, type) and issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)
    return cls if ok else None


def record_kind(func, name: str):
    """The kind of a parameter annotated with a named tuple class whose fields are annotated
    numbers (``p: Params``, ``class Params(NamedTuple): dt: float; steps: int``), else None."""
    import typing

    from ..analysis.kinds import BOOL, COMPLEX, FLOAT, INT, Kind
    cls = _named_tuple_class(func, name)
    try:
        hints = typing.get_type_hints(cls) if cls is not None else None
    except Exception:   # noqa: BLE001
        hints = None
    if hints is None:
        return None
    numbers = {float: FLOAT, int: INT, bool: BOOL, complex: COMPLEX}
    elts = tuple(numbers.get(hints.get(f)) for f in cls._fields)
    return None if any(e is None for e in elts) else Kind("tuple", elts=elts, fields=cls._fields)


def _default_activity(value) -> str | None:
    import numpy as np
    if isinstance(value, np.ndarray):
        return DUP if value.dtype.kind in "fc" else CONST
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        return CONST
    if isinstance(value, (int, np.integer)):
        return CONST
    if isinstance(value, (float, np.floating)):
        return ACTIVE
    return CONST


#: how the body uses an unannotated parameter that can only be an integer
RANGE_BOUND, LOOP_BOUND, INDEX = "range bound", "loop bound", "index"
#: labels that mean a Python int (an index may also be an integer array)
SCALAR_INT = (RANGE_BOUND, LOOP_BOUND)

_INT_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


def _int_names(node) -> set:
    """Names that integer arithmetic combines into ``node`` (an index or a
    ``range()`` argument): through ``+ - * // %``, unary minus, ``min``/``max``/
    ``abs`` and the parts of slices and index tuples; never into what is
    subscripted or passed to another function (``len(x)``, ``idx[i]``)."""
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
        return _int_names(node.left) | _int_names(node.right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _int_names(node.operand)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max", "abs") \
            and not node.keywords:
        return set().union(*[_int_names(a) for a in node.args]) if node.args else set()
    if isinstance(node, ast.Tuple):
        return set().union(*[_int_names(e) for e in node.elts]) if node.elts else set()
    if isinstance(node, ast.Slice):
        return set().union(*[_int_names(e) for e in (node.lower, node.upper, node.step) if e is not None])
    return set()


def _is_int_expr(node, ints: dict) -> bool:
    """``node`` is integer arithmetic of names known to be integers (and int literals)."""
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, ast.Name):
        return node.id in ints
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
        return _is_int_expr(node.left, ints) and _is_int_expr(node.right, ints)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_int_expr(node.operand, ints)
    return False


def _direct_uses(fn) -> tuple[dict, set, list, list]:
    """(names used in a ``range()`` argument or an index, names subscripted or
    whose attributes are read, ``(targets, value)`` of assignments to names,
    comparisons)."""
    found: dict = {}
    arrays: set = set()
    assigns: list = []
    compares: list = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
            for a in node.args:
                for n in _int_names(a):
                    found[n] = RANGE_BOUND
        elif isinstance(node, ast.Subscript):
            # (np.r_[0.0, u, 0.0] and np.c_[x, y] join values: only their slices' bounds are integers)
            joined = isinstance(node.value, ast.Attribute) and node.value.attr in ("r_", "c_")
            parts = node.slice.elts if joined and isinstance(node.slice, ast.Tuple) else [node.slice]
            for part in parts:
                for n in (_int_names(part) if not joined or isinstance(part, ast.Slice) else ()):
                    found.setdefault(n, INDEX)
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Name):
            arrays.add(node.value.id)
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Call) \
                and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range":
            found.setdefault(node.target.id, LOOP_BOUND)   # a loop counter
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            assigns.append(([t.id for t in node.targets], node.value))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            assigns.append(([node.target.id], node.value))
        elif isinstance(node, ast.Compare) and all(isinstance(o, _INT_COMPARE) for o in node.ops):
            compares.append([node.left, *node.comparators])
    return found, arrays, assigns, compares


def _counters(fn, params) -> dict:
    """``{name: values}`` of the locals bound only by ``n = e`` and ``n += e`` (``-=``, ``*=``,
    ``//=``, ``%=``): each is an int where all of its values are integer arithmetic."""
    values: dict = {}
    simple: dict = {}
    stores: dict = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores[node.id] = stores.get(node.id, 0) + 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
            name = node.target.id
        else:
            continue
        values.setdefault(name, []).append(node.value)
        simple[name] = simple.get(name, 0) + 1
    return {n: vs for n, vs in values.items() if n not in params and simple[n] == stores.get(n)}


def integer_uses(func) -> dict:
    """Parameters the body uses as integers: ``{name: RANGE_BOUND, LOOP_BOUND or INDEX}``.

    A parameter in a ``range()`` argument can only be an int. One in an index
    (``x[i]``, ``x[n - 1, 0]``, ``x[:n]``) is an integer, possibly an integer
    array (a fancy index). The use may go through locals (``m = n - 1`` then
    ``range(m)``) or a comparison with an integer (``while i < n`` where ``i``
    indexes an array, counts a ``range`` loop or is a local counter, ``i = 0; i += 1``:
    a loop bound, an int). A
    parameter that is itself subscripted, or whose attributes are read, is an
    array and is left out."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return {}
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if fn is None:
        return {}
    params = {a.arg for a in fn.args.posonlyargs + fn.args.args}
    found, arrays, assigns, compares = _direct_uses(fn)
    counters = _counters(fn, params)
    changed = True
    while changed:   # propagate through assignments and comparisons until nothing changes
        changed = False
        for n, values in counters.items():   # (a local counter, `it = 0; it += 1`: an int)
            if n not in found and all(_is_int_expr(v, {**found, n: LOOP_BOUND}) for v in values):
                found[n], changed = LOOP_BOUND, True
        for targets, value in assigns:
            how = next((found[t] for t in targets if t in found), None)
            for n in _int_names(value) if how is not None else ():
                if n not in found:
                    found[n], changed = how, True
        for operands in compares:
            if any(_is_int_expr(o, found) for o in operands):
                for n in set().union(*[_int_names(o) for o in operands]):
                    if n not in found:
                        found[n], changed = LOOP_BOUND, True
    return {n: how for n, how in found.items() if n in params and n not in arrays}


@dataclass
class Activities:
    """Each parameter's activity on the command line and why it was chosen."""

    params: list
    acts: dict
    reasons: dict
    #: parameters whose type hint says int/bool or float (for argument kinds)
    hinted: dict = field(default_factory=dict)
    #: where each activity comes from: "flag", "hint", "default", "usage" or "guess"
    source: dict = field(default_factory=dict)
    #: unannotated parameters the body uses as integers (see ``integer_uses``)
    integers: dict = field(default_factory=dict)


def decide_activities(func, const=(), active=(), dup=()) -> Activities:
    """Each parameter's activity and the reason for it."""
    sig = inspect.signature(func)
    params = list(sig.parameters)
    for p in sig.parameters.values():
        if not taken_by_position(p):
            raise UsageError(f"`{func.__name__}` has the parameter `{p}`; only positional parameters and "
                             "keyword-only ones with defaults can be differentiated.")
    flags: dict = {}
    for flag, names, act in (("--const", const, CONST), ("--active", active, ACTIVE), ("--dup", dup, DUP)):
        for n in names:
            if n not in params:
                raise UsageError(f"{flag} {n}: `{func.__name__}` has no parameter `{n}` "
                                 f"(its parameters: {', '.join(params) or 'none'}).")
            if n in flags and flags[n][0] != act:
                raise UsageError(f"`{n}` is given two activities ({flags[n][1]} and {flag}).")
            flags[n] = (act, flag)
    for name, p in sig.parameters.items():
        if flags.get(name, (None,))[0] == ACTIVE and _hint_activity(p.annotation) == DUP:
            raise UsageError(f"--active {name}: `{name}` has an array type hint; Active is for float scalars. "
                             f"Hint: use --dup {name} or --const {name}.")
    acts, reasons, hinted, source = {}, {}, {}, {}
    uses = integer_uses(func)
    integers = {}
    for name, p in sig.parameters.items():
        hint = _hint_activity(p.annotation) or (CONST if _named_tuple_class(func, name) is not None else None)
        if hint is not None:
            hinted[name] = p.annotation if isinstance(p.annotation, str) else getattr(
                p.annotation, "__name__", repr(p.annotation))
        if name in flags:
            acts[name], reasons[name], source[name] = flags[name][0], f"{flags[name][1]} flag", "flag"
        elif hint is not None:
            acts[name], reasons[name], source[name] = hint, f"type hint `{hinted[name]}`", "hint"
        elif p.default is not inspect.Parameter.empty:
            acts[name] = _default_activity(p.default)
            reasons[name], source[name] = f"default value {p.default!r}", "default"
        elif name in uses:
            what = {RANGE_BOUND: "a range() bound: taken as an int", LOOP_BOUND: "a loop bound: taken as an int",
                    INDEX: "an index: taken as an integer"}[uses[name]]
            acts[name], reasons[name], source[name] = CONST, f"used as {what}", "usage"
        else:
            acts[name], source[name] = DUP, "guess"
            reasons[name] = "no flag, type hint or default: taken as a float array"
        if name in uses and hint is None and p.default is inspect.Parameter.empty:
            integers[name] = uses[name]   # (also under --const: the kind the code is specialised on)
    return Activities(params, acts, reasons, hinted, source, integers)
