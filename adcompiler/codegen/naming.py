"""Deterministic names for generated code.

Every name adcompiler introduces is derived from a user name or a counter and
checked against the names the user's function already uses; there are no
random ids, so the same input gives byte-identical output.
"""
from __future__ import annotations

import ast

TEMP = "_t{}"          # ANF temporaries
COND = "_c{}"          # branch decisions
COUNT = "_n{}"         # loop trip counts
SAVED = "_s{}_{}"      # values saved for the reverse sweep (counter, name)
SHADOW = "d{}"         # shadow / adjoint of a user name
TEMP_ADJ = "_d{}"      # adjoint of a temporary (``_d_t1``)
TAPE = "_tape"
DRET = "dret"
HELPER_PREFIX = "_ad_"


def names_in(tree: ast.AST) -> set:
    """Every identifier used in ``tree`` (names, parameters, attributes excluded)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
    return out


class Namer:
    """Hands out fresh names that collide with nothing in ``taken``."""

    def __init__(self, taken: set):
        self.taken = set(taken)
        self.counters: dict = {}
        self.adjoints: dict = {}
        self.generated: set = set()

    def fresh(self, fmt: str, *parts) -> str:
        key = fmt
        while True:
            n = self.counters.get(key, 0) + 1
            self.counters[key] = n
            name = fmt.format(n, *parts)
            if name not in self.taken:
                self.taken.add(name)
                self.generated.add(name)
                return name

    def reserve(self, name: str) -> str:
        """``name`` itself if free, else ``name_2``, ``name_3``..."""
        cand, k = name, 1
        while cand in self.taken:
            k += 1
            cand = f"{name}_{k}"
        self.taken.add(cand)
        return cand

    def adjoint(self, name: str) -> str:
        """The adjoint (shadow) name of a primal name, stable for the function."""
        if name not in self.adjoints:
            fmt = TEMP_ADJ if name.startswith("_") else SHADOW
            self.adjoints[name] = self.reserve(fmt.format(name))
        return self.adjoints[name]
