"""numba_errors: numba's refusal of a generated module, as a ``BackendError`` naming the user's file,
line and construct: the line numba names (in its message, or the one it was lowering), or, where it
names none, the first line that reads a global it cannot type, else the function's first line."""
from __future__ import annotations

import os
import re

from ..codegen.compile import origin_at
from ..errors import BackendError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def refusal(e: Exception, path: str, origins: dict) -> BackendError:
    text = _ANSI.sub("", str(e))
    lines = [int(m) for m in re.findall(r'File "' + re.escape(path) + r'", line (\d+)', text)]
    lines += [int(m) for m in re.findall(re.escape(os.path.basename(path)) + r"\s*\((\d+)\)", text)]
    lines += lowered_lines(e, path)
    where = None
    for line in lines:
        where = origin_at(origins, line)
        if where is not None:
            break
    skip = ("Failed in", "During", "File ", "^", "-", "Resolution failure", "Rewrite", "Known signatures",
            "*", "Function(")
    said = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(skip)]
    first = (said[0] if said else text.strip().splitlines()[0] if text.strip() else type(e).__name__)[:200]
    if not text.strip():   # (numba's own assertion, no message: what numba lowers is not all it types)
        first = f"numba's compiler stopped on it with an {type(e).__name__} of its own: a construct it types " \
                "but does not lower, such as a store through a boolean mask of a 2-D array"
    what = "this line"
    name = re.search(r"Untyped global name '(\w+)'", text)   # (the first line that reads it)
    where = where or next((o for _, o in sorted(origins.items()) if name and re.search(
        rf"\b{name.group(1)}\b", o[2] or "")), None)
    if where is None and origins:   # (numba named no line: a global or an argument it cannot type)
        where, what = origins[min(origins)], "this function (a value it reads has no numba type)"
    file, line, src = where if where is not None else (None, None, None)
    return BackendError(f"numba cannot compile the derivative of {what} ({first})", filename=file,
                        lineno=line, construct=src,
                        hint="rewrite it with the numpy subset numba supports, or use backend='numpy' "
                             "(backend='auto' falls back by itself).")


def lowered_lines(e, path) -> list:
    """Lines of ``path`` that numba was lowering when ``e`` was raised (its
    lowering errors do not always say where)."""
    out, tb = [], e.__traceback__
    while tb is not None:
        for name in ("inst", "self"):
            loc = getattr(tb.tb_frame.f_locals.get(name), "loc", None)
            if getattr(loc, "filename", None) == path and isinstance(getattr(loc, "line", None), int):
                out.append(loc.line)
        tb = tb.tb_next
    return out[::-1]
