"""What the reverse sweep keeps: a memory report of the tape, measured.

``memory_report(f, ret, *args)`` (in ``reverse``) runs the forward half of ``f``'s generated
adjoint on copies of the arguments with a tape that records, for every value
pushed, the generated line that pushed it. The report groups the pushes by
the loop they happen in (named by the user's line), with the expression,
shape, dtype and bytes of each, the bytes per iteration of each outermost
loop, and what binomial checkpointing of that loop would cost: with ``c``
snapshots of the memory the function writes, each step is run forward at most
``r`` extra times, where ``r`` is the smallest number with
``binomial(c + r, c) >= steps`` (Griewank's bound for the revolve schedule).

>>> import numpy as np
>>> def decay(u, k, steps):
...     for t in range(steps):
...         u[:] = u * np.exp(-k * u)
...     return float(np.sum(u))
>>> from adcompiler import Active, Duplicated, Const, memory_report
>>> r = memory_report(decay, Active, Duplicated(np.ones(100), np.zeros(100)), Active(0.1), Const(50))
>>> r.loops[0].steps, r.loops[0].bytes_per_step >= 800
(50, True)
"""
from __future__ import annotations

import ast
import collections
import math
import re
import sys
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import activity as A
from ..codegen.compile import origin_at
from ..runtime.core import Tape
from .arguments import flat_args, layout_copy, wrap


@dataclass
class Site:
    """One push onto the tape in the generated forward half."""

    line: int                 # line of the generated source
    expression: str           # what is pushed
    origin: tuple | None      # (file, line, text) of the user's statement
    count: int = 0
    nbytes: int = 0
    example: str = ""         # shape and dtype of one pushed value


@dataclass
class Loop:
    """An outermost loop of the user's function and what its iterations push."""

    origin: tuple | None
    steps: int
    sites: list = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.sites)

    @property
    def bytes_per_step(self) -> float:
        return self.nbytes / self.steps if self.steps else float(self.nbytes)


@dataclass
class MemoryReport:
    """The tape of one call: every push site, grouped by outermost loop."""

    function: str
    total: int
    state: int                # bytes of the arrays the function writes (one snapshot)
    loops: list
    outside: list             # sites not in a loop
    checkpoint: Any = None    # the checkpoint= the report was measured with
    kept_plain: dict = field(default_factory=dict)   # user line -> why a loop keeps its tape under checkpoint=

    def checkpointing(self, loop: Loop, snapshots: int) -> tuple[int, int]:
        """(bytes, extra forward runs of each step at most) with ``snapshots`` snapshots."""
        r = 0
        while math.comb(snapshots + r, snapshots) < max(loop.steps, 1):
            r += 1
        return snapshots * self.state + math.ceil(loop.bytes_per_step), r

    def __str__(self) -> str:
        count = sum(s.count for loop in self.loops for s in loop.sites) + sum(s.count for s in self.outside)
        how = "" if self.checkpoint is None else f" with checkpoint={self.checkpoint!r}"
        out = [f"tape of {self.function}{how}: {_size(self.total)} in {count} values"]
        out += [f"loop at line {line} keeps a tape of every step: {why}" for line, why in sorted(self.kept_plain.items())]
        for loop in self.loops:
            out.append(f"loop at {_where(loop.origin)}: {loop.steps} steps, {_size(loop.bytes_per_step)} per step, "
                       f"{_size(loop.nbytes)} in all")
            out += [f"    {_where(s.origin, short=True)}  {s.expression}: {s.count} x {s.example}, {_size(s.nbytes)}"
                    for s in loop.sites]
            choices = sorted({c for c in (1, 4, 16, math.isqrt(max(loop.steps, 1))) if 0 < c < loop.steps})
            for c in choices:
                nbytes, r = self.checkpointing(loop, c)
                out.append(f"    checkpointing with {c} snapshot(s) of {_size(self.state)}: about {_size(nbytes)}, "
                           f"each step run forward at most {r} more time(s)")
        if self.outside:
            out.append("outside loops" + (" (a checkpointed loop pushes its snapshots once)" if self.checkpoint
                                          is not None else "") + ":")
            out += [f"    {_where(s.origin, short=True)}  {s.expression}: {s.count} x {s.example}, {_size(s.nbytes)}"
                    for s in self.outside]
        return "\n".join(out) + "\n"


def measure(f, comp, copies, checkpoint: Any = None) -> MemoryReport:
    """Run the forward half of ``comp`` (the compiled adjoint of ``f``) on the
    annotated ``copies`` with a recording tape: the report ``memory_report`` gives."""
    tape = _RecordingTape(comp.fwd)
    hits = _line_hits(tape.filename, lambda: comp.fwd(*flat_args(copies), tape))
    sites = _sites(comp, tape.seen)
    loops, outside = _group(comp, sites, hits)
    state = sum(a.val.nbytes for k, a in enumerate(copies) if k in comp.writes and isinstance(a.val, np.ndarray))
    return MemoryReport(getattr(f, "__name__", "f"), sum(s.nbytes for s in sites.values()), state, loops, outside,
                        checkpoint, dict(comp.info.loops_kept_plain))


def copy_argument(a):
    """An annotated argument on copies of its arrays (a report never changes the caller's)."""
    return _copy(wrap(a))


class _RecordingTape(Tape):
    """A tape that notes which generated line pushed each value, and its size
    (a float or an int on a typed stack: 8 bytes)."""

    def __init__(self, fn):
        super().__init__()
        code = getattr(fn, "__wrapped__", fn).__code__
        self.filename, self.main = code.co_filename, code.co_name
        self.seen: dict = {}
        self.f = _RecordingStack(self, "d")
        self.i = _RecordingStack(self, "q")

    def note(self, value, nbytes):
        frame = sys._getframe(2)
        caller = frame   # (a helper's push counts at its call in the main function: in the loop that calls it)
        while caller is not None and not (caller.f_code.co_name == self.main and caller.f_code.co_filename == self.filename):
            caller = caller.f_back
        frame = caller if caller is not None else frame
        if frame.f_code.co_filename == self.filename:
            n, size, example = self.seen.get(frame.f_lineno, (0, 0, ""))
            described = _describe(value) if value is not None else ""
            self.seen[frame.f_lineno] = (n + 1, size + nbytes, described or example or "None")

    def append(self, value):
        self.note(value, _nbytes(value))
        super().append(value)


class _RecordingStack(array):
    """A typed stack of a recording tape."""

    def __new__(cls, tape, code):
        return super().__new__(cls, code)

    def __init__(self, tape, code):
        self.tape = tape

    def append(self, value):
        self.tape.note(value, self.itemsize)
        super().append(value)


def tape_sites(source: str, origins: dict, fwd_name: str, kept_plain: dict | None = None) -> str:
    """Without running anything: what each outermost loop of the forward half
    ``fwd_name`` of ``source`` pushes per step (the expression and the user's
    line), and what it pushes outside loops. ``adcompiler emit --explain``."""
    tree = ast.parse(source)
    fwd = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == fwd_name)
    pushes = {n.lineno: _pushed(n.value.args[0]) for n in ast.walk(fwd)
              if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute)
              and n.value.func.attr == "append" and n.value.args}
    out = [f"what {fwd_name} keeps for the reverse sweep:"]
    out += [f"loop at line {line} keeps a tape of every step under checkpoint=: {why}"
            for line, why in sorted((kept_plain or {}).items())]
    taken = set()
    for node in ast.walk(fwd):
        if not isinstance(node, (ast.For, ast.While)) or any(a <= node.lineno <= b for a, b in taken):
            continue
        inside = sorted(k for k in pushes if node.lineno < k <= node.end_lineno)
        if not inside:
            continue
        taken.add((node.lineno, node.end_lineno))
        out.append(f"loop at {_where(origin_at(origins, node.lineno))}, per step:")
        out += [f"    {_where(origin_at(origins, k), short=True)}  {pushes[k]}"
                + ("  (in an inner loop: per inner step)" if _nested(node, k) else "") for k in inside]
    rest = [k for k in sorted(pushes) if not any(a <= k <= b for a, b in taken)]
    if rest:
        out.append("once:")
        out += [f"    {_where(origin_at(origins, k), short=True)}  {pushes[k]}" for k in rest]
    if len(out) == 1:
        out.append("    nothing")
    return "\n".join(out) + "\n"


def _pushed(e) -> str:
    if isinstance(e, ast.Tuple) and e.elts and isinstance(e.elts[0], (ast.Subscript, ast.Call)) \
            and ast.unparse(e.elts[0]).startswith("_ck_plan"):
        return "the snapshots and schedule of the checkpointed loop"
    return ast.unparse(e)


def _copy(a):
    if isinstance(a, A.Duplicated):
        return type(a)(layout_copy(a.val), layout_copy(a.dval))
    if isinstance(a.val, np.ndarray):
        return type(a)(layout_copy(a.val))
    return a


def _nbytes(v) -> int:
    if isinstance(v, np.ndarray):
        return v.nbytes
    if isinstance(v, (tuple, list)):
        return sum(_nbytes(x) for x in v)
    if isinstance(v, dict):   # a checkpointed loop's snapshots
        return sum(_nbytes(x) for x in v.values())
    return sys.getsizeof(v)


def _describe(v) -> str:
    if isinstance(v, np.ndarray):
        return f"array{v.shape} {v.dtype}"
    if isinstance(v, tuple) and len(v) == 4 and isinstance(v[1], dict):
        return f"{len(v[1])} snapshots and the schedule"
    return type(v).__name__


_PUSH = re.compile(r"^_tape(?:\.[fi])?\.append\((.*)\)$")   # onto the list or a typed stack


def _sites(comp, seen: dict) -> dict:
    lines = comp.source.splitlines()
    out = {}
    for line, (count, nbytes, example) in seen.items():
        text = lines[line - 1].strip()
        m = _PUSH.match(text)
        expr = _pushed(ast.parse(m.group(1), mode="eval").body) if m else text
        out[line] = Site(line, expr, origin_at(comp.origins, line), count, nbytes, example)
    return out


def _line_hits(filename, run) -> collections.Counter:
    """How many times each line of the generated code in ``filename`` ran during ``run()``."""
    hits: collections.Counter = collections.Counter()

    def local(frame, event, arg):
        if event == "line":
            hits[frame.f_lineno] += 1
        return local

    old = sys.gettrace()
    sys.settrace(lambda frame, event, arg: local if frame.f_code.co_filename == filename else None)
    try:
        run()
    finally:
        sys.settrace(old)
    return hits


def _steps(node, hits) -> int | None:
    """The iterations a loop of the forward half ran: its body's first line's runs
    (the header's, less the last test, when the body starts with a loop)."""
    first = node.body[0]
    if isinstance(first, (ast.For, ast.While)):
        return max(hits.get(node.lineno, 0) - 1, 0) or None
    return hits.get(first.lineno) or None


def _group(comp, sites: dict, hits=None) -> tuple[list, list]:
    """Sites by the outermost loop of the forward half that encloses them (its
    steps counted from ``hits``, the lines' runs, where given)."""
    tree = ast.parse(comp.source)
    fwd = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == comp.info.fwd_name)
    loops, taken = [], set()
    for node in ast.walk(fwd):
        if isinstance(node, (ast.For, ast.While)) and not any(node.lineno in range(a, b + 1) for a, b in taken):
            inside = [s for line, s in sorted(sites.items()) if node.lineno < line <= node.end_lineno]
            if not inside:
                continue
            taken.add((node.lineno, node.end_lineno))
            direct = [s.count for s in inside if not _nested(node, s.line)]
            steps = _steps(node, hits or {}) or max(direct or [1])
            loops.append(Loop(origin_at(comp.origins, node.lineno), steps, inside))
    in_loops = {id(s) for loop in loops for s in loop.sites}
    return loops, [s for s in sites.values() if id(s) not in in_loops]


def _nested(loop, line) -> bool:
    """Whether ``line`` sits in a loop inside ``loop``."""
    return any(isinstance(n, (ast.For, ast.While)) and n is not loop and n.lineno < line <= n.end_lineno
               for n in ast.walk(loop))


def _where(origin, short=False) -> str:
    if origin is None:
        return "?"
    file, line, text = origin
    name = file.rsplit("/", 1)[-1]
    return f"{name}:{line}" if short else f"{name}:{line} ({text.strip()})"


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


__all__ = ["Loop", "MemoryReport", "Site", "copy_argument", "measure", "tape_sites"]
