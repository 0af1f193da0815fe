"""compile: turn generated source into functions, visible to tracebacks.

The source is registered in ``linecache`` under a name that identifies the
function, so a traceback or a debugger inside generated code shows the
generated line. ``located`` wraps a generated function so that an exception
raised inside it names the user's line the failing code differentiates.
"""
from __future__ import annotations

import ast
import bisect
import functools
import hashlib
import linecache
import math
import re
from collections.abc import Callable

import numpy as np

from ..errors import (
    AdCompilerError,
    AliasingError,
    NoDerivativeError,
    ShapeError,
    UnsupportedSyntaxError,
    UnsupportedValueError,
    copied_view_error,
)
from ..runtime import HELPERS
from ..runtime.lists import ITEMS_SHARED, ITEMS_UNSTACKED
from ..runtime.views import ALIASED, COMPLEX_POWER, NO_TANGENT, RULE_SHAPE, VIEW_COPIED
from .naming import GENERATED, is_generated


def compile_source(source: str, namespace: dict, label: str) -> dict:
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"{GENERATED} {label} {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    ns = {"__name__": "adcompiler_generated", "__builtins__": __builtins__}
    ns.update({"np": np, "math": math})
    ns.update(namespace)
    ns.update(HELPERS)
    exec(code, ns)  # noqa: S102 (generated module: the user's code and rule templates only)
    return ns


def run_standalone(source: str, label: str) -> dict:
    """Run the text of a module ``adcompiler emit`` wrote as its user would: its namespace
    holds nothing but the builtins (what it needs, it imports), so a name it reads and does
    not define fails here as it would for the user."""
    filename = f"{GENERATED} {label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"__name__": "adcompiler_emitted", "__builtins__": __builtins__}
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 (a module adcompiler emit wrote)
    return ns


def define_function(tree, filename: str, module_globals: dict):
    """The function a generated ``def`` (``tree``, an ``ast.FunctionDef``: a
    function nested in the user's, lifted by ``frontend/nested.py``) defines,
    its code attributed to the user's ``filename`` and lines, reading the
    module's globals as the nested function did (the definition binds its name
    in a fresh mapping, never in the module)."""
    module = ast.Module([tree], [])
    ast.fix_missing_locations(module)
    space: dict = {}
    exec(compile(module, filename, "exec"), module_globals, space)  # noqa: S102 (the user's own def, lifted)
    return space[tree.name]


def execute_file_source(source: str, path: str, namespace: dict) -> None:
    """Run generated ``source`` in ``namespace`` (a module's dict) with its code
    attributed to ``path``, the file it was also written to (the numba
    backend: numba's on-disk cache lives next to that file). The text run is
    ``source`` itself, never what the file holds."""
    exec(compile(source, path, "exec"), namespace)  # noqa: S102 (generated module: the user's code and rule templates)


def located(fn: Callable, origins: dict) -> Callable:
    """``fn`` (a generated function) such that an exception raised inside the
    generated module is raised again, of the same type and chained to it,
    with the user's ``file:line`` and source line that the failing generated
    line differentiates (``origins``: emitted line of each comment -> (file,
    line, text)). Errors of adcompiler itself pass unchanged."""
    filename = fn.__code__.co_filename

    @functools.wraps(fn)
    def run(*args):
        try:
            return fn(*args)
        except AdCompilerError:
            raise
        except Exception as e:
            failed = _failing_line(e.__traceback__, filename)
            refusal = copied_view(e, origins, failed)
            if refusal is not None:
                refusal.at_run_time = True   # (met with these values: a gradient with them may meet it too)
                raise refusal from None
            where = None if failed is None else _through_generated(origin_at(origins, failed[1], failed[2]))
            new = None if where is None else _relocated(e, where)
            if new is None or new is e:
                raise
            raise new.with_traceback(e.__traceback__) from e   # the traceback still ends where it failed
    return run


def copied_view(e: Exception, origins: dict | None = None, failed=None):
    """The located refusal of a view numpy returned as a copy, or of new memory a
    function returned where the transform took (a view of) its argument
    (``runtime.views.VIEW_COPIED``), for the error ``e`` raised in generated code
    (``failed``: its line, from ``_failing_line``); None for any other error."""
    args = (e.ad_tag, *e.ad_where) if isinstance(e, ValueError) and hasattr(e, "ad_tag") else \
        getattr(e, "args", ())
    if isinstance(e, ValueError) and args[:1] == (ITEMS_UNSTACKED,) and failed is not None and origins:
        file, line, text = origin_at(origins, failed[1], failed[2]) or (None, None, None)
        return UnsupportedSyntaxError(
            f"adcompiler reads the items of a list whose values carry derivatives from one array of them, and "
            f"these items cannot be stacked ({args[1]}).", filename=file, lineno=line, construct=text,
            hint="keep the items of one shape (floats, or arrays of one shape), or build an array (np.zeros, "
                 "then stores) instead of the list.")
    if isinstance(e, ValueError) and args[:1] == (ITEMS_SHARED,) and failed is not None and origins:
        file, line, text = origin_at(origins, failed[1], failed[2]) or (None, None, None)
        return UnsupportedSyntaxError(
            f"this copy of a {args[1]} of arrays or lists (`.copy()`, `copy.copy`) is shallow: it shares them with "
            f"the {args[1]} copied, so a write into an item through one changes the other, which the derivative, "
            f"taking the copy for new values, would not follow.", filename=file, lineno=line, construct=text,
            hint="copy the items too (copy.deepcopy(L), or [v.copy() for v in L]), or use the container itself.")
    if isinstance(e, ValueError) and args[:1] == (ALIASED,) and len(args) == 4:
        return AliasingError(
            "two arguments of this call, views of one array, share memory, and the function writes one of them "
            "(it is differentiated with the two apart).", filename=args[1], lineno=args[2], construct=args[3],
            hint="pass a copy (x.copy()) for the argument that is only read.")
    if isinstance(e, ValueError) and args[:1] == (COMPLEX_POWER,) and len(args) == 4:
        return UnsupportedSyntaxError(
            "this power of a negative Python float to a fractional exponent is a complex number in Python "
            "((-2.0) ** 1.5; numpy's float64 gives nan), where the derivative takes it for a real one.",
            filename=args[1], lineno=args[2], construct=args[3],
            hint="write the real power meant (abs(a) ** 1.5, or np.float64(a) ** 1.5 for numpy's nan), or make "
                 "the base complex (complex(a) ** 1.5).")
    if not (isinstance(e, ValueError) and args[:1] == (VIEW_COPIED,)):
        return None
    where = tuple(args[1:]) if len(args) == 4 else \
        None if failed is None or origins is None else origin_at(origins, failed[1], failed[2])
    if where is None and failed is not None and origins:   # (a reverse half's first lines: its function)
        where = next((origins[k] for k in sorted(origins) if k >= failed[2]), None)
    return copied_view_error(where or (None, None, None))


def _failing_line(tb, filename: str | None = None):
    """(file name, line, first line of its function) of the deepest traceback
    entry in generated code (in ``filename`` when given), or None."""
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == filename if filename else is_generated(code.co_filename):
            found = (code.co_filename, tb.tb_lineno, code.co_firstlineno)
        tb = tb.tb_next
    return found


def origin_at(origins: dict, line: int, first: int = 0):
    """The origin of the last comment at or above ``line`` and not above
    ``first`` (``origins``: line of each comment -> its origin), or None."""
    marks = sorted(origins)
    k = bisect.bisect_right(marks, line) - 1
    return origins[marks[k]] if k >= 0 and marks[k] >= first else None


def _relocated(e: Exception, where: tuple) -> Exception:
    file, line, text = where
    if isinstance(e, ValueError) and e.args[:1] == (RULE_SHAPE,) and len(e.args) == 2:
        return ShapeError(e.args[1] + ".", filename=file, lineno=line, construct=text,
                          hint="a rule's adjoint must have its operand's shape, and its tangent the result's: "
                               "fix the rule's template.")
    if isinstance(e, ValueError) and e.args[:1] == (NO_TANGENT,) and len(e.args) == 3:
        return NoDerivativeError(f"{e.args[1]} has no derivative with respect to its argument `{e.args[2]}`, "
                                 "which carries one here (in second derivatives).", filename=file, lineno=line,
                                 construct=text, hint=f"make `{e.args[2]}` constant (or compute the result "
                                 "another way).")
    if type(e) is NotImplementedError:   # (a runtime helper's refusal of a value it does not cover)
        return UnsupportedValueError(str(e), filename=file, lineno=line, construct=text)
    message = f"{e} (raised by the derivative of {file}:{line}: {text})"
    try:
        new = type(e)(message)
    except Exception:   # noqa: BLE001 (an exception type that takes other arguments: a note instead)
        if hasattr(e, "add_note"):
            e.add_note(f"raised by the derivative of {file}:{line}: {text}")
        return e
    return new


_COMMENT = re.compile(r"^\s*# (?P<file>[^:]+):(?P<line>\d+): (?P<text>.*)$")


def _through_generated(where):
    """``where`` (file, line, text), or, where it is a line of generated code (code differentiated again:
    hvp, hessian), the origin its own comment names, as far back as generated code goes."""
    seen = set()
    while where is not None and is_generated(where[0]) and where[0] not in seen:
        seen.add(where[0])
        comments = {k: (m["file"], int(m["line"]), m["text"].strip())
                    for k, m in enumerate(map(_COMMENT.match, linecache.getlines(where[0])), 1) if m}
        back = origin_at(comments, where[1])
        if back is None:
            break
        where = back
    return where


def commented_origin(exc: BaseException) -> str | None:
    """For an exception raised in generated code compiled here (including an
    emitted module), ``file:line: text`` of the comment above the generated
    line that failed, or None."""
    failed = _failing_line(exc.__traceback__)
    if failed is None:
        return None
    origins = {}
    for k, text in enumerate(linecache.getlines(failed[0]), 1):
        m = _COMMENT.match(text)
        if m:
            origins[k] = f"{m['file']}:{m['line']}: {m['text'].strip()}"
    return origin_at(origins, failed[1])


def code_of_file(text: str, filename: str, flags: int):
    """The code of a user's file (its text as linecache holds it), compiled and never run:
    ``frontend/parse`` compares a function's running code with its file's."""
    return compile(text, filename, "exec", flags=flags, dont_inherit=True)
