"""Which calls write which of their arguments: one table, read by every pass
that needs to know.

- ``frontend/inplace.py`` rewrites the in-place numpy calls into stores and
  finds the written array through ``FUNCTIONS``/``UFUNC_METHODS``;
- ``frontend/out_args.py`` turns the ``OUT`` keyword into a store;
- ``tapes/effects.py`` copies the parameters a kernel may write before calling
  it (every entry here counts as a write there).

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
