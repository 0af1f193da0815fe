"""Assemble random programs from the statement templates.

``generate_program(seed)`` is deterministic: the same seed gives the same
source and arguments. A candidate is executed as plain Python on the inputs
built for it; candidates that overflow or produce values too large for
accurate finite differences are discarded and another is drawn from the same
random stream. Any other exception is a bug of the generator and propagates.
"""
from __future__ import annotations

import functools
import random

import numpy as np

from . import blocks, features, stmts
from .constructs import constructs_of
from .exprs import ExprGen, Scope
from .spec import Param, Program, choice

FEATURES = 0.5
"""Probability that a program also draws from ``programs.features`` (what users write)."""

RENAME = 0.3
"""Probability that such a program renames a few names to ones generated code uses."""

LIMIT = 1e3
"""Largest magnitude a kept program may produce (finite differences stay accurate)."""

HEADER = "import math  # noqa: F401\n\nimport numpy as np\n"


class Unsuitable(Exception):
    """A candidate program whose values are unsuitable for the check."""


def _statement(g: ExprGen, ind: str, depth: int = 0) -> list[str]:
    s = g.s
    table: list[tuple[object, float]] = [
        (stmts.elem_loop, 4.0), (stmts.slice_stmt, 2.0), (stmts.array_op, 1.5),
        (stmts.nested_loop, 1.0), (stmts.while_stmt, 1.0),
    ]
    if s.w_scalars:
        table.append((stmts.scalar_stmt, 1.5))
    if s.w_zerod:
        table.append((stmts.zerod_stmt, 1.0))
    if s.c_vecs:
        table.append((stmts.const_store, 0.5))
    if s.w_mats:
        table.append((stmts.matrix_stmt, 1.0))
    if depth <= 1:
        table.append(("branch", 1.0))
    if depth == 0:
        table.append(("repeat", 1.0))
    ex = getattr(g, "extras", None)
    if ex is not None:
        for fn, w in features.table(g, ex):
            table.append((functools.partial(fn, ex=ex), 1.5 * w))
    pick = choice(g.rng, table)
    if pick == "branch":
        return stmts.branch_stmt(g, ind, lambda i: _statement(g, i, depth + 1))
    if pick == "repeat":
        return blocks.repeat_block(g, ind, lambda i: _statement(g, i, depth + 1))
    return pick(g, ind)


def _helper(rng: random.Random, n: int, name: str) -> tuple[list[str], bool]:
    """A module-level helper mutating its first argument; maybe returns a float."""
    returns = rng.random() < 0.35
    scope = Scope(n=n, vecs=["out", "inp"], w_vecs=["out"], scalars=["alpha"],
                  w_scalars=["acc"] if returns else [])
    g = ExprGen(rng, scope)
    body = ["    n = len(out)"] + (["    acc = 0.0"] if returns else [])
    for _ in range(rng.randint(1, 2)):
        pick = choice(rng, [(stmts.elem_loop, 3.0), (stmts.slice_stmt, 1.0), (stmts.array_op, 1.0)])
        body += pick(g, "    ")
    if returns:
        body.append(f"    return float(acc + np.sum(out) * {g.scalar(1)})")
    return [f"def {name}(out, inp, alpha):"] + body, returns


def _params(rng: random.Random, n: int, features_p: float) -> tuple[list[Param], list[str], list[str], Scope, object]:
    """The parameters (shuffled), the vector names, the Duplicated ones, the scope, the feature extras."""
    params: list[Param] = []
    names = rng.sample(["x", "y", "a", "b"], rng.randint(1, 3))
    acts = ["Duplicated"] + [rng.choice(["Duplicated", "Const"]) for _ in names[1:]]
    rng.shuffle(acts)
    for nm, act in zip(names, acts):
        params.append(Param(nm, "array", act, (n,)))
    dup = [p.name for p in params if p.activity == "Duplicated"]
    # parameters are listed twice so that most writes reach differentiated memory
    scope = Scope(n=n, vecs=list(names), w_vecs=dup + dup,
                  c_vecs=[p.name for p in params if p.activity == "Const"])
    if rng.random() < 0.25:
        rows = choice(rng, [(0, 0.1), (1, 0.3), (2, 0.3), (3, 0.3)])
        act = rng.choice(["Duplicated", "Const"])
        params.append(Param("M", "array", act, (rows, n)))
        scope.mats.append(("M", rows))
        if act == "Duplicated":
            scope.w_mats.append(("M", rows))
    if rng.random() < 0.2:
        act = rng.choice(["Duplicated", "Const"])
        params.append(Param("z", "array", act, ()))
        scope.zerod.append("z")
        if act == "Duplicated":
            scope.w_zerod.append("z")
    if rng.random() < 0.75:
        params.append(Param("c", "float", rng.choice(["Active", "Active", "Const"])))
        scope.scalars.append("c")
    if rng.random() < 0.15:
        params.append(Param("p", "int", "Const", value=rng.randint(1, 3)))
        scope.scalars.append("p")
    ex = features.Extras(rng) if features_p > 0 and rng.random() < features_p else None
    if ex is not None:
        params += features.extra_params(rng, n, ex, scope)
    rng.shuffle(params)
    return params, names, dup, scope, ex


def _prologue(rng: random.Random, g: ExprGen, params: list[Param], n: int, dup: list[str],
              tuple_alias: float) -> list[str]:
    """``n``, the accumulator ``s``, maybe ``t``, local arrays and aliases of the parameters."""
    scope = g.s
    first = next(p.name for p in params if p.kind == "array" and p.shape == (n,))
    body = [f"    n = {rng.choice([f'len({first})', f'{first}.shape[0]'])}", "    s = 0.0"]
    scope.scalars.append("s")
    scope.w_scalars.append("s")
    if rng.random() < 0.4:
        body.append(f"    t = {g.const()}")
        scope.scalars.append("t")
        scope.w_scalars.append("t")
    for lname in rng.sample(["v", "w"], rng.randint(0, 2)):
        src = rng.choice(scope.vecs)
        init = rng.choice([f"{src}.copy()", f"np.zeros_like({src})", f"np.ones(n) * {g.scalar(0)}",
                           "np.full(n, 0.5)", f"np.copy({src})", "np.empty(n)", f"np.ones_like({src})"])
        if init == f"{src}.copy()":   # (copies of every spelling, drawn apart: the other draws stay as they were)
            init = random.Random("\n".join(body) + lname + src).choice(
                [init, f"+{src}", f"np.array({src})", f"np.positive({src})"])
        body.append(f"    {lname} = {init}")
        if init == "np.empty(n)":
            body.append(f"    {lname}[:] = {g.vec(1)}")
        scope.vecs.append(lname)
        scope.w_vecs.append(lname)
    return body + blocks.alias_lines(g, dup, tuple_alias)


def _statements(rng: random.Random, g: ExprGen, n: int) -> tuple[list[str], list[str]]:
    """Two to five statements or helper calls: (body lines, helper definitions)."""
    scope = g.s
    body: list[str] = []
    helpers: list[str] = []
    for _ in range(rng.randint(2, 5)):
        if rng.random() < 0.15 and len(scope.vecs) >= 2:
            hname = f"helper{sum(h.startswith('def ') for h in helpers)}"
            out_sl, inp_sl, length = blocks.call_slices(g, n)
            lines, returns = _helper(rng, length, hname)
            helpers += lines + ["", ""]
            out = rng.choice(scope.w_vecs)
            inp = rng.choice([v for v in scope.vecs if v != out])
            call = f"{hname}({out}{out_sl}, {inp}{inp_sl}, {g.scalar(1)})"
            body.append(f"    s += {call}" if returns else f"    {call}")
        else:
            body += _statement(g, "    ")
    return body, helpers


def _epilogue(rng: random.Random, g: ExprGen, names: list[str], dup: list[str]) -> tuple[str, list[str]]:
    """The return activity and the closing lines (a final write for Const, a float return for Active)."""
    scope = g.s
    body: list[str] = []
    ret = "Active" if rng.random() < 0.7 else "Const"
    locals_ = [v for v in scope.vecs if v not in names]
    if ret == "Const":
        target, src = rng.choice(dup), rng.choice(locals_ or scope.vecs)
        body.append(f"    {target}[...] = {target} * 0.5 + np.tanh({src}) * 0.25 + s * 0.1")
    if ret == "Active" or rng.random() < 0.1:
        w = rng.choice(locals_ or scope.vecs)
        final = f"float(s + {g.reduce(1)} + np.sum({w}) * {g.scalar(0)})"
        if rng.random() < 0.15:
            body += [f"    if {g.scalar(1)} > 0:", f"        return {final}", "    else:",
                     f"        return float(s * {g.scalar(1)} + np.sum({rng.choice(scope.vecs)}) * 0.5)"]
        else:
            body.append(f"    return {final}")
    return ret, body


def _candidate(rng: random.Random, seed: int, tuple_alias: float, features_p: float = FEATURES) -> Program:
    n = choice(rng, [(0, 0.07), (1, 0.1), (2, 0.15), (3, 0.2), (4, 0.18), (5, 0.15), (6, 0.15)])
    params, names, dup, scope, ex = _params(rng, n, features_p)
    g = ExprGen(rng, scope)
    g.extras = ex
    body = _prologue(rng, g, params, n, dup, tuple_alias)
    stmts_, helpers = _statements(rng, g, n)
    ret, tail = _epilogue(rng, g, names, dup)
    body += stmts_ + tail
    sig = ", ".join(p.name for p in params)
    if ex is not None:
        helpers = ex.helpers + helpers
    source = HEADER + "\n\n" + "\n".join(helpers) + f"def kernel({sig}):\n" + "\n".join(body) + "\n"
    mode = choice(rng, [("Reverse", 0.6), ("ReverseWithPrimal", 0.2), ("ReverseSplitWithPrimal", 0.2)])
    dtype = "float32" if rng.random() < 0.1 else "float64"
    used: set = set()
    if ex is not None:
        used = set(ex.features)
        if rng.random() < RENAME:
            source, params, _ = features.rename(source, params, rng)
            used.add("names")
    return Program(seed, source, params, ret, dtype, mode, "kernel", constructs_of(source), used)


def run_plain(program: Program, values: list) -> tuple[list, object]:
    """Execute the program's source as plain Python; return (final args, return)."""
    namespace: dict = {}
    code = compile(program.source, f"<fuzz {program.seed}>", "exec")
    exec(code, namespace)  # noqa: S102 - the source was generated here
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        ret = namespace[program.entry](*args)
    return args, ret


def suitable(program: Program, values: list) -> None:
    """Raise ``Unsuitable`` if running the program overflows or grows too large."""
    try:
        args, ret = run_plain(program, values)
    except (FloatingPointError, OverflowError) as exc:
        raise Unsuitable(str(exc)) from exc
    except ValueError as exc:
        if "math domain error" not in str(exc) and "zero-size array" not in str(exc):
            raise
        raise Unsuitable(str(exc)) from exc   # e.g. math.log of a negative value, np.max of no elements
    except TypeError as exc:
        if "Cannot cast" not in str(exc):
            raise
        raise Unsuitable(str(exc)) from exc   # float64 into float32 memory (np.putmask), as numpy refuses
    if program.ret == "Active" and not isinstance(ret, (float, np.floating)):
        raise Unsuitable(f"an Active return needs a float, got {type(ret).__name__}")
    for v in args + [ret]:
        if v is None or isinstance(v, (int, list, tuple, dict)) or (
                isinstance(v, np.ndarray) and v.dtype.kind == "i"):
            continue
        a = np.asarray(v, dtype=float)
        if not np.all(np.isfinite(a)) or (a.size and np.max(np.abs(a)) > LIMIT):
            raise Unsuitable("values too large")


def generate_program(seed: int, attempts: int = 50, tuple_alias: float = blocks.TUPLE_ALIAS,
                     features: float = FEATURES) -> Program:
    """The random program of ``seed`` (deterministic for given options).

    ``tuple_alias``: probability of binding array aliases by tuple unpacking
    (``a, b = x, y``); 0 leaves that construct out. ``features``: probability
    of drawing also from the productions of ``programs.features``; 0 gives the
    basic generator (whose programs for a seed do not depend on this module).
    """
    rng = random.Random(seed)
    for _ in range(attempts):
        prog = _candidate(rng, seed, tuple_alias, features)
        try:
            suitable(prog, prog.build_inputs(seed))
        except Unsuitable:
            continue
        return prog
    raise RuntimeError(f"no suitable program for seed {seed}")
