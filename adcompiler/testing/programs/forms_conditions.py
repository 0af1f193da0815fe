"""Forms of user functions called in conditions and of a module's array methods.

``cond-calls``: a helper called in an operand of ``and``/``or`` (run only
when Python runs it; helpers write their argument, so a call run once too
often, or before what Python reads ahead of it, shows in the array), in a ``while`` condition beside a counter, and in
a chained comparison's first two operands. ``module-methods``: methods of an
array the module holds (``W.clip(lo, hi)``, ``W.sum()``, ``W.dot(u)``), read
as numpy's functions of it, and the array fields of a module's named tuple
(``P.w @ u``, ``P.w.sum()``). ``attempts``: ``try``/``except`` around one
library call that returns (a Cholesky factor of a positive definite matrix)
or raises (of a negative definite one), with ``else``, ``finally``, several
clauses and tuples of types, in a loop too. ``written-inf``: infinite numbers
the code writes, which carry no derivative: a soft-DTW table bounded by
``np.inf`` and divided by a parameter, a ``-np.inf`` mask scaled by one, maxima
and ``np.logaddexp`` accumulated from ``-inf``.
"""
from __future__ import annotations

from .exprs import ExprGen
from .forms_silent import _pick


def f_cond_calls(g: ExprGen, ex):
    r = g.rng
    u, w, t = _pick(g)
    h, hw, hb, k = ex.name("hsq"), ex.name("hshrink"), ex.name("hbump"), ex.name("it")
    ex.helpers += [f"def {h}(a):", "    return float(np.sum(a * a)) * 0.5", "", "",
                   f"def {hw}(a):", "    a *= 0.9", "    return float(np.sum(a))", "", "",
                   f"def {hb}(a):", "    a += 1.0", "    return float(a[0])", "", ""]
    c = g.scalar(1)
    return r.choice([
        [f"if {c} > 0 and {h}({u}) > 0.25:", f"    {t} += {h}({u}) * 0.5", "else:", f"    {w}[:] *= 0.75"],
        [f"if {u}[0] < 0 or {hw}({w}) > 0.5:", f"    {t} += {w}[0] * 0.5"],
        [f"if {c} > 0.2 and {hw}({w}) < 100.0 and {h}({u}) > 0.01:", f"    {t} += {c} * 0.25"],
        [f"{k} = 0", f"while {k} < 3 and {h}({w}) < 40.0:", f"    {w}[:] = {w} * 1.25 + 0.1", f"    {k} += 1"],
        [f"if 0.0 <= {h}({u}) < 1000.0:", f"    {t} += {h}({u}) * 0.25"],
        [f"if not ({c} < -5.0 or {h}({w}) > 1e6):", f"    {w}[:] += {u} * 0.5"],
        # (w read before the call that writes it, as Python reads it: false; read after it, true)
        [f"if {w}[0] + float(np.sum({w})) * 0.0 + 0.5 > {hb}({w}):", f"    {t} += {c} * 0.5",
         "else:", f"    {w}[:] *= 1.1"],
    ])


def f_module_methods(g: ExprGen, ex):
    r, s = g.rng, g.s
    u, w, t = _pick(g)
    name = ex.name("K_")
    weights = ", ".join(repr(r.choice([0.5, -0.25, 1.0, 0.75])) for _ in range(s.n))
    ex.helpers += [f"{name}W = np.array([{weights}])",
                   "from collections import namedtuple",
                   f"{name}P = namedtuple('{name}P', 'w c')(np.array([{weights}]) * 0.5, 0.75)", "", ""]
    return r.choice([
        [f"{w}[:] += {name}W.clip(-0.3, 0.6) * {u} + {name}W.sum() * 0.1"],
        [f"{t} += float({name}W.dot({u})) * 0.5 + {name}W.max() * {g.scalar(1)}"],
        [f"{w}[:] += {name}W.ravel() * {u}.mean() + {name}W.cumsum() * 0.25"],
        [f"{t} += float(np.sum({name}W.copy() * {u})) + {name}W.mean() * 0.5"],
        [f"{w}[:] += {name}P.w * {u} * {name}P.c + {name}P.w.sum() * 0.1"],
        [f"{t} += float({name}P.w @ {u}) * {name}P.c"],
    ])


def f_attempts(g: ExprGen, ex):
    r = g.rng
    u, w, t = _pick(g)
    m, k = ex.name("tm"), ex.name("tk")
    ex.helpers += ["from numpy.linalg import LinAlgError", "", ""]
    c = g.scalar(1)
    n = f"{u}.shape[0]"
    return r.choice([
        [f"{m} = np.outer({u}, {u}) + 2.0 * np.eye({n})", "try:", f"    {m} = np.linalg.cholesky({m})",
         "except LinAlgError:", f"    {m} = np.eye({n}) * {c}", f"{t} += float(np.sum({m})) * 0.5"],
        ["try:", f"    {m} = np.linalg.cholesky(-np.diag(1.0 + {u} * {u}))", "except LinAlgError:",
         f"    {m} = np.diag({u} * {c})", "else:", f"    {m} = {m} * 2.0", f"{w}[:] += np.diag({m}) * 0.5"],
        [f"for {k} in range(3):", "    try:",
         # (2k - 1: -1, where the directions apart from w make it indefinite, then 1 and 3: positive definite)
         f"        {m} = np.linalg.cholesky(np.outer({w}, {w}) + (2.0 * {k} - 1.0) * np.eye({n}))",
         "    except (ValueError, LinAlgError):", f"        {m} = np.eye({n}) * 0.5", f"    {t} += float(np.sum({m} * {m})) * 0.25"],
        ["try:", f"    {m} = np.tanh({u})", "finally:", f"    {t} += 0.1", f"{w}[:] += {m} * {c}"],
        ["try:", f"    {m} = np.linalg.cholesky(-np.eye({n}) - np.outer({u}, {u}))", "except TypeError:",
         f"    {m} = np.outer({u}, {u})", "except (ZeroDivisionError, LinAlgError):", f"    {m} = np.outer({u}, {w})",
         f"{t} += float(np.sum({m})) * 0.5"],
    ])


def f_written_inf(g: ExprGen, ex):
    r = g.rng
    u, w, t = _pick(g)
    R, q, m, i, j, gm = (ex.name(k) for k in ("iR", "iq", "im", "ii", "ij", "ig"))
    c = g.scalar(1)
    n = f"{u}.shape[0]"
    return r.choice([
        [f"{gm} = 0.5 + ({c}) ** 2", f"{R} = np.full(({n} + 1, {w}.shape[0] + 1), np.inf)", f"{R}[0, 0] = 0.0",
         f"for {i} in range(1, {n} + 1):", f"    for {j} in range(1, {w}.shape[0] + 1):",
         f"        {q} = np.array([{R}[{i} - 1, {j} - 1], {R}[{i} - 1, {j}], {R}[{i}, {j} - 1]]) / -{gm}",
         f"        {m} = np.max({q})",
         f"        {R}[{i}, {j}] = ({u}[{i} - 1] - {w}[{j} - 1]) ** 2 - {gm} * (np.log(np.sum(np.exp({q} - {m}))) + {m})",
         f"{t} += {R}[{n}, {w}.shape[0]] * 0.1"],
        [f"{q} = np.where(np.arange({n}) % 2 == 0, {u}, -np.inf) * (0.5 + ({c}) ** 2)",
         f"{m} = np.exp({q} - np.max({q}))", f"{w}[:] += {m} / np.sum({m}) * 0.5"],
        [f"{m} = -np.inf", f"for {i} in range({n}):", f"    {m} = max({m}, {u}[{i}] * ({c}))", f"{t} += {m} * 0.5"],
        [f"{m} = -math.inf", f"for {i} in range({n}):", f"    {m} = np.logaddexp({m}, {u}[{i}] * 0.5)",
         f"{t} += {m} * 0.25"],
    ])
