"""Which calls write which of their arguments: one table, read by every pass
that needs to know.

- ``frontend/inplace.py`` rewrites the in-place numpy calls into stores and
  finds the written array through ``FUNCTIONS``/``UFUNC_METHODS``;
- ``frontend/out_args.py`` turns the ``OUT`` keyword into a store;
- ``tapes/effects.py`` copies the parameters a kernel may write before calling
  it (every entry here counts as a write there);
- both read ``out`` given by position from ``numpy_positional``.

Keys are names as they appear in source (``np.copyto`` -> ``"copyto"``), so a
pass that has not resolved names (``tapes/effects.py``) can use them too.
A written argument is given as ``(position, keyword)``.

>>> written_argument("copyto", ["s", "a"], {})
's'
>>> written_argument("put", [], {"a": "s", "ind": "i", "v": "x"})
's'
>>> written_argument("sum", ["s"], {}) is None
True
"""
from __future__ import annotations

import inspect

import numpy as np

#: the keyword through which a numpy function or ufunc writes its result
OUT = "out"

#: numpy functions that write an argument in place -> (position, keyword)
FUNCTIONS: dict[str, tuple[int, str]] = {
    "copyto": (0, "dst"),
    "put": (0, "a"),
    "place": (0, "arr"),
    "putmask": (0, "a"),
    "fill_diagonal": (0, "a"),
    "put_along_axis": (0, "arr"),
}

#: ufunc methods that write an argument in place (``np.add.at(a, idx, v)``)
UFUNC_METHODS: dict[str, tuple[int, str]] = {
    "at": (0, "a"),
}

#: array methods that write the array they are called on (``x.fill(0.0)``)
METHODS: frozenset[str] = frozenset({
    "fill", "sort", "put", "resize", "partition", "itemset", "setfield", "byteswap",
})


def written_argument(name: str, args: list, keywords: dict, table: dict = FUNCTIONS):
    """The argument a call of the writing function ``name`` (a key of ``table``:
    ``FUNCTIONS`` or ``UFUNC_METHODS``) writes, from its positional ``args`` or
    its ``keywords``; None if ``name`` writes nothing."""
    if name not in table:
        return None
    position, keyword = table[name]
    if len(args) > position:
        return args[position]
    return keywords.get(keyword)


def numpy_positional(target) -> list | None:
    """The names of the parameters of a numpy function that can be given by
    position, in order (None: not a numpy function, or no signature)."""
    mod = getattr(target, "__module__", None) or ""
    method = isinstance(getattr(target, "__self__", None), np.ufunc)   # (a ufunc's method: np.add.reduce)
    if not (mod.startswith("numpy") or isinstance(target, np.ufunc) or method):
        return None
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    if method and "out" not in sig.parameters:
        return None   # (np.add.at, np.add.outer: nothing given by position is written as out)
    if any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values()):
        return None   # (np.meshgrid(*xi, ...): every positional argument is one of them)
    return [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
