"""Deterministic names for generated code.

Every name adcompiler introduces is derived from a user name or a counter and
checked against the names the user's function already uses; there are no
random ids, so the same input gives byte-identical output.
"""
from __future__ import annotations

import ast
import keyword

#: the file name every compiled module of generated code starts with
GENERATED = "<adcompiler"


def is_generated(filename: str | None) -> bool:
    """Whether ``filename`` is that of generated code (differentiated again for second order)."""
    return bool(filename) and filename.startswith(GENERATED)

TEMP = "_t{}"          # ANF temporaries
COND = "_c{}"          # branch decisions
COUNT = "_n{}"         # loop trip counts
RESULT = "_r{}"         # what a callee's reverse half returns
SHADOW = "d{}"         # shadow / adjoint of a user name
TEMP_ADJ = "_d{}"      # adjoint of a temporary (``_d_t1``)
RET = "_ret"           # the return value
TAPE = "_tape"         # the stack of saved values
DRET = "dret"          # the adjoint of the return value
#: the helpers a copy is called through: a save's and ``copy.deepcopy``'s, and a user's ``.copy()`` and ``copy.copy``
COPIES = frozenset({"_ad_copy", "_ad_copy_method"})


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
    """Hands out fresh names that collide with nothing in ``taken``.

    It remembers every name it made and for what (``made``): code asks it
    whether a name is one of its own, never guesses from the spelling, so a
    user name such as ``_t1``, ``_tape`` or ``dret`` changes no decision. The
    names of the roles every function has (``ret``, ``tape``, ``dret``) are
    reserved up front and differ from every user name."""

    def __init__(self, taken: set):
        self.taken = set(taken)
        self.counters: dict = {}
        self.adjoints: dict = {}
        self.generated: set = set()
        self.roles: dict = {}
        #: temporaries read after a store of the same statement (``x[:], y[:] = y, x``):
        #: views among them see that store, as numpy's do, so they are not taken
        #: as values read at once
        self.read_late: set = set()
        self.ret = self.role(RET)
        self.tape = self.role(TAPE)
        self.dret = self.role(DRET)

    def role(self, name: str) -> str:
        """A generated name for a role (``name``, or ``name_2``... if taken)."""
        out = self.reserve(name)
        self.generated.add(out)
        self.roles[out] = name
        return out

    def made(self, name: str, fmt: str | None = None) -> bool:
        """Whether this namer made ``name`` (with format ``fmt`` when given)."""
        return name in self.roles and (fmt is None or self.roles[name] == fmt)

    def fresh(self, fmt: str, *parts) -> str:
        key = fmt
        while True:
            n = self.counters.get(key, 0) + 1
            self.counters[key] = n
            name = fmt.format(n, *parts)
            if name not in self.taken:
                self.taken.add(name)
                self.generated.add(name)
                self.roles[name] = fmt
                return name

    def reserve(self, name: str) -> str:
        """``name`` itself if free, else ``name_2``, ``name_3``... (a keyword is not free: the
        shadow of ``ef`` is not ``def``)"""
        cand, k = name, 1
        while cand in self.taken or keyword.iskeyword(cand):
            k += 1
            cand = f"{name}_{k}"
        self.taken.add(cand)
        return cand

    def adjoint(self, name: str) -> str:
        """The adjoint (shadow) name of a primal name, stable for the function."""
        if name not in self.adjoints:
            fmt = TEMP_ADJ if name in self.generated else SHADOW
            self.adjoints[name] = self.reserve(fmt.format(name))
        return self.adjoints[name]
