"""Description of a generated program: its source and its arguments."""
from __future__ import annotations

import random
from collections import namedtuple
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np


@dataclass(frozen=True)
class Param:
    """One argument of the entry function.

    ``kind`` is ``"array"``, ``"float"``, ``"int"``, ``"intarray"`` (a
    Const integer array: loop bounds, CSR ``indptr``/``indices``) or a Const
    container of floats: ``"list"``, ``"tuple"``, ``"dict"``, or a record read as
    ``cfg.scale``: ``"namedtuple"`` or ``"namespace"`` (a ``SimpleNamespace``, passed as
    ``Const`` gives it: its fields as ``activity.Fields``). ``activity``
    is ``"Duplicated"``, ``"Const"`` or ``"Active"`` (float scalars only).
    ``shape`` is the array shape (``()`` for a 0-d array); ``value`` fixes
    the value of an int argument; ``data`` the contents of an integer array
    or a container (a tuple; ``(key, value)`` pairs for a dict); ``dtype`` an integer
    array's (``int32``: scipy.sparse's index arrays, which the numba backend takes only
    where their elements meet no arithmetic).
    """

    name: str
    kind: str
    activity: str
    shape: tuple[int, ...] = ()
    value: int = 0
    data: tuple = ()
    dtype: str = "int64"


@dataclass
class Program:
    """A generated module: ``source`` defines ``entry`` (and helpers).

    ``ret`` is ``"Active"`` (entry returns a float) or ``"Const"``;
    ``mode`` names the adcompiler mode the checker uses; ``constructs`` tags
    the language features the program exercises (for reporting refusals).
    """

    seed: int
    source: str
    params: list[Param]
    ret: str
    dtype: str = "float64"
    mode: str = "Reverse"
    entry: str = "kernel"
    constructs: set[str] = field(default_factory=set)
    features: set[str] = field(default_factory=set)
    """The productions of ``programs.features`` the program uses (empty: the basic generator)."""

    def build_inputs(self, seed: int, dtype: str | None = None) -> list:
        """Fresh argument values for ``entry``, reproducible from ``seed``.

        Floats have magnitude in [0.3, 1] with a random sign, so data
        branches such as ``a[i] > 0`` sit far from their threshold.
        """
        rng = np.random.default_rng(seed)
        dt = np.dtype(dtype or self.dtype)
        values: list = []
        for p in self.params:
            if p.kind == "int":
                values.append(p.value)
                continue
            if p.kind == "intarray":
                values.append(np.array(p.data, dtype=p.dtype))
                continue
            if p.kind in ("list", "tuple", "dict"):
                values.append({"list": list, "tuple": tuple, "dict": dict}[p.kind](p.data))
                continue
            if p.kind in ("namedtuple", "namespace"):
                values.append(_record(p.kind, p.data))
                continue
            mag = rng.uniform(0.3, 1.0, size=p.shape)
            sign = np.where(rng.random(size=p.shape) < 0.5, -1.0, 1.0)
            v = mag * sign
            values.append(np.array(v, dtype=dt) if p.kind == "array" else float(v))
        return values

    def build_seeds(self, seed: int) -> dict[str, np.ndarray]:
        """Non-zero shadow seeds (adjoints of the final values) per Duplicated array."""
        rng = np.random.default_rng(seed + 7919)
        seeds = {}
        for p in self.params:
            if p.activity == "Duplicated":
                v = rng.uniform(0.2, 1.0, size=p.shape) * np.where(
                    rng.random(size=p.shape) < 0.5, -1.0, 1.0)
                seeds[p.name] = np.array(v, dtype=np.dtype(self.dtype))
        return seeds

    def build_tangents(self, seed: int) -> dict:
        """Forward-mode directions: an array per Duplicated array, a float per Active scalar."""
        rng = np.random.default_rng(seed + 104729)
        out: dict = {}
        for p in self.params:
            if p.activity == "Duplicated":
                v = rng.uniform(-1.0, 1.0, size=p.shape)
                out[p.name] = np.array(v, dtype=np.dtype(self.dtype))
            elif p.activity == "Active":
                out[p.name] = float(rng.uniform(-1.0, 1.0))
        return out

    def reproducer(self, input_seed: int) -> str:
        """A self-contained script that rebuilds the inputs and runs the check."""
        return (
            f"# seed={self.seed} input_seed={input_seed} ret={self.ret} mode={self.mode}"
            f" dtype={self.dtype}\n# constructs: {', '.join(sorted(self.constructs))}\n"
            f"# params: {self.params!r}\n"
            + self.source
        )


def choice(rng: random.Random, weighted: list[tuple[object, float]]) -> object:
    """Pick one item of ``[(item, weight), ...]``."""
    items = [w[0] for w in weighted]
    weights = [w[1] for w in weighted]
    return rng.choices(items, weights=weights, k=1)[0]


#: the named tuple type of the generated programs' ``"namedtuple"`` records
Record = namedtuple("Record", "scale shift")


def _record(kind: str, data: tuple):
    """A record of ``(field, value)`` pairs: a named tuple, or the fields of a
    ``SimpleNamespace`` as ``Const`` passes them (every entry, the emitted module too,
    then gets the same value)."""
    if kind == "namedtuple":
        return Record(**dict(data))
    from ...activity import Const
    return Const(SimpleNamespace(**dict(data))).val
