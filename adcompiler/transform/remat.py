"""remat: values the reverse sweep recomputes instead of saving.

A value bound by a plain read ``t = m[idx]`` can be read again in the reverse
sweep, instead of being pushed on the tape, when the memory location it came
from still holds the same value at the end of the primal run:

- nothing writes ``m``'s memory after the read can run (writes that all
  come before it, such as ``s[0] = b[0]`` before a recurrence, do not count); or
- the only statement writing it stores ``m[i + c_w]`` (through the name ``m``
  itself, not another view of its memory) in the same (outermost)
  loop over ``i`` with a constant step, the read is ``m[i + c_r]``, and every
  later iteration writes elsewhere: ``c_r < c_w`` for a positive step
  (``c_r > c_w`` for a negative one), and no index is negative (one would
  count from the end: ``x[i - 1]`` at ``i = 0`` is the last element, written
  later). This is the recurrence ``s[i] = s[i-1] * a[i]`` over ``range(1,
  n)``: ``s[i-1]`` is final once read.

In a called function, memory of a parameter is never re-read: the caller may
write it after the call returns (such reads are saved, see ``plan``).

The index names must be loop variables of enclosing loops (the reversed loop
restores them) or names bound once outside any loop; ``m`` must be bound once.

A float scalar bound once by arithmetic ``t = a op b`` (or ``-a``; under
numba, a math function of such operands, ``np.sqrt(r2)``, and a bool bound
by one comparison, a branch's condition ``i != j``) is recomputed too when
each operand is a constant, a recomputed value, a loop
variable of an enclosing loop or a name bound once outside any loop (a
parameter, never rebound after normalization): one scalar operation in the
reverse sweep instead of a value on the tape, as in the inner product of a
matrix product written with loops (``acc += alpha * A[i, k] * B[k, j]``).
``order`` gives the order to recompute several (operands first).

Memory whose writes the reverse sweep undoes (``rollback.py``) is re-read
too, where every use of the value comes after the read with no write of that
memory in between; in loops over such memory, elementwise array arithmetic on
recomputed values is recomputed as well, so that a step keeps the region it
overwrites instead of its temporaries.
"""
from __future__ import annotations

import ast
import math

import numpy as np

from ..codegen.naming import COPIES
from ..frontend import notes
from .optimize import _stored


def _offset(idx, var):
    """``c`` when ``idx`` is ``var``, ``var + c`` or ``var - c`` with an int ``c``."""
    if isinstance(idx, ast.Name) and idx.id == var:
        return 0
    if isinstance(idx, ast.BinOp) and isinstance(idx.left, ast.Name) and idx.left.id == var \
            and isinstance(idx.right, ast.Constant) and type(idx.right.value) is int:
        if isinstance(idx.op, ast.Add):
            return idx.right.value
        if isinstance(idx.op, ast.Sub):
            return -idx.right.value
    return None


def _step(loop):
    it = loop.iter
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
        if len(it.args) < 3:
            return 1
        st = it.args[2]
        if isinstance(st, ast.Constant) and type(st.value) is int:
            return st.value
        if isinstance(st, ast.UnaryOp) and isinstance(st.op, ast.USub) and isinstance(st.operand, ast.Constant):
            return -st.operand.value
    return None


def rematerializable(sweeps) -> dict:
    """name -> its binding statement, for values the reverse sweep may recompute."""
    ctx = sweeps.ctx
    loops = {}

    def collect(stmts):
        for s in stmts:
            if isinstance(s, (ast.For, ast.While)):
                loops[id(s)] = s
            for f in ("body", "orelse"):
                collect(getattr(s, f, []) or [])
    collect(sweeps.body)
    out = {}
    for r in sweeps.by_stmt.values():
        s = r.stmt
        if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name)):
            continue
        t, m, idx = s.targets[0].id, s.value.value.id, s.value.slice
        if ctx.is_memory(t) or sweeps.nbind.get(t, 0) != 1 or sweeps.nbind.get(m, 0) != 1:
            continue
        if ctx.is_callee and ctx.is_view_of_param(m):
            continue   # the caller may write its arguments' memory after the call returns
        loop_vars = _loop_vars(sweeps, s, loops)
        ok = True
        for node in ast.walk(idx):
            if isinstance(node, ast.Name) and node.id not in loop_vars:
                if not _bound_once_outside_loops(sweeps, node.id):
                    ok = False
            elif isinstance(node, ast.Call):
                ok = False
        if not ok:
            continue
        # writes that run before the read, never after it (``s[0] = b[0]`` before the
        # recurrence's loop), cannot change the value read
        writers = [w for w in ctx.eff.writers_of_memory(m) if sweeps.after(w, s)]
        if writers and ctx.eff.memory_of.get(m, m) in sweeps.rollback:
            out[t] = s                # every write is undone in the reverse sweep (checked at the uses below)
            continue
        if writers and not _final_when_read(sweeps, s, idx, writers, loops):
            continue
        out[t] = s
    _arithmetic(sweeps, out, loops)
    _drop_misplaced_uses(sweeps, out)
    if sweeps.rollback:
        _drop_stale_rollback_reads(sweeps, out)
    return out


def _branches(body) -> dict:
    """id(statement) -> the set of (id(if), branch) enclosing it."""
    out: dict = {}

    def walk(stmts, inside):
        for s in stmts:
            out[id(s)] = inside
            if isinstance(s, ast.If):
                walk(s.body, inside | {(id(s), 0)})
                walk(s.orelse, inside | {(id(s), 1)})
            elif isinstance(s, (ast.For, ast.While)):
                walk(s.body, inside)
    walk(body, frozenset())
    return out


def _uses(sweeps) -> dict:
    """name -> the statements whose reverse code or loop header reads it."""
    uses: dict = {}
    for r in sweeps.by_stmt.values():
        for n in sweeps.record_loads(r) | sweeps.header_loads(r) | sweeps.rollback_loads(r.stmt):
            uses.setdefault(n, []).append(r.stmt)
    return uses


def _uses_through(out: dict, uses: dict) -> dict:
    """The uses of each recomputed value of ``out``: its own, and those of the
    values recomputed from it (recomputing them reads it there)."""
    where = {t: list(uses.get(t, [])) for t in out}
    changed = True
    while changed:
        changed = False
        for t, s in out.items():
            for n in ast.walk(s.value):
                if isinstance(n, ast.Name) and n.id in out and n.id != t:
                    extra = [u for u in where[t] if u not in where[n.id]]
                    if extra:
                        where[n.id] += extra
                        changed = True
    return where


def _drop_misplaced_uses(sweeps, out: dict) -> None:
    """A recomputed value reads its operands again where it is used: the loop
    variables and memory it reads hold what they held at its binding only
    where the use runs after the binding in the same iteration of every loop
    around it, and wherever the binding ran (not in an iteration before, in
    another loop reusing the variable's name, after the loop, or where a branch
    skipped the binding). Other values are kept on the tape, and so are the
    values recomputed from them."""
    branches, loops, order = _branches(sweeps.body), sweeps.loops, sweeps.order
    where = _uses_through(out, _uses(sweeps))

    def misplaced(t):
        s = out[t]
        ls, bs = tuple(loops[id(s)]), branches.get(id(s), frozenset())
        return any(u is not s and (tuple(loops[id(u)][:len(ls)]) != ls or order[id(u)] < order[id(s)]
                                   or not bs <= branches.get(id(u), frozenset())) for u in where[t])
    bad = {t for t in out if misplaced(t)}
    while bad:
        for t in bad:
            out.pop(t)
        bad = {t for t, s in out.items()
               if any(isinstance(n, ast.Name) and n.id in where and n.id not in out for n in ast.walk(s.value))}


def _rollback_reads(sweeps, out, t, seen=None) -> list:
    """The reads of rolled-back memory that recomputing ``t`` repeats: (statement, cell)."""
    ctx = sweeps.ctx
    s = out[t]
    if isinstance(s.value, ast.Subscript):
        c = ctx.eff.memory_of.get(s.value.value.id, s.value.value.id)
        return [(s, c)] if c in sweeps.rollback else []
    seen = seen if seen is not None else set()
    reads = []
    for n in ast.walk(s.value):
        if isinstance(n, ast.Name) and n.id in out and n.id not in seen:
            seen.add(n.id)
            reads += _rollback_reads(sweeps, out, n.id, seen)
    return reads


def _drop_stale_rollback_reads(sweeps, out: dict) -> None:
    """A value that re-reads rolled-back memory is recomputed only where the
    memory holds what it held at the read again: each use comes after the read
    in the same loop nest (or after its loops), with no write of that memory in
    between (the reverse sweep undoes the writes after the use before it reaches it)."""
    uses = _uses(sweeps)
    while True:
        where = _uses_through(out, uses)
        stale = [t for t in out if any(not _unwritten_between(sweeps, s, c, u)
                                       for s, c in _rollback_reads(sweeps, out, t) for u in where[t])]
        if not stale:
            return
        for t in stale:
            out.pop(t)


def _unwritten_between(sweeps, read, cell, use) -> bool:
    order, loops = sweeps.order, sweeps.loops
    if order[id(use)] <= order[id(read)]:
        return False
    lr, lu = loops[id(read)], loops[id(use)]
    if lu != lr[:len(lu)]:
        return False          # the use sits in a loop the read is not in: it runs again after writes
    lo, hi = order[id(read)], order[id(use)]
    # (the use's own write counts: its reverse code, and the pop putting back what it
    # overwrote, run where the memory still holds that write: ``p[p[0]] = v``)
    return not any(lo < order[id(w)] <= hi for w in sweeps.ctx.eff.memory_writers.get(cell, []))


_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _arithmetic(sweeps, out: dict, loops: dict) -> None:
    """Add the scalar arithmetic bindings whose operands are all recomputable."""
    ctx = sweeps.ctx
    for r in sorted(sweeps.by_stmt.values(), key=lambda r: sweeps.order[id(r.stmt)]):
        s = r.stmt
        if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)):
            continue
        t, v = s.targets[0].id, s.value
        k = ctx.kinds.get(t)
        if t in out or k is None or ctx.is_memory(t) or sweeps.nbind.get(t, 0) != 1:
            continue
        # elementwise array arithmetic is recomputed only in a loop whose memory is rolled back
        # (one operation per use instead of an array per step on the tape)
        numba = ctx.module.options.backend == "numba"
        if numba and k.cls == "bool" and isinstance(v, ast.Compare) and len(v.ops) == 1 \
                and isinstance(v.ops[0], _COMPARE):
            operands = [v.left, v.comparators[0]]   # (a branch's condition: ``i != j``)
        elif k.cls != "float" and not (k.cls == "array" and sweeps.rollback and sweeps.in_loop(s)):
            continue
        elif isinstance(v, ast.BinOp) and isinstance(v.op, _ARITH):
            operands = [v.left, v.right]
        elif isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.USub):
            operands = [v.operand]
        elif numba and k.cls == "float" and _math_call(v):
            operands = v.args
        else:
            continue
        loop_vars = _loop_vars(sweeps, s, loops)
        if all(_recomputable(sweeps, e, out, loop_vars) for e in operands):
            out[t] = s


#: functions of floats recomputed under numba (compiled, a call costs what the tape's store and load do)
_MATH = (np.sqrt, np.exp, np.log, np.sin, np.cos, np.tan, np.tanh, np.sinh, np.cosh, np.arctan, np.log1p,
         np.expm1, np.abs, np.fabs, math.sqrt, math.exp, math.log, math.sin, math.cos, math.tan, math.tanh,
         math.atan, math.log1p, math.expm1, math.fabs)


def _math_call(v) -> bool:
    """``v`` is a call of one of ``_MATH`` with positional arguments only."""
    if not (isinstance(v, ast.Call) and v.args and not v.keywords
            and not any(isinstance(a, ast.Starred) for a in v.args)):
        return False
    target = notes.target(v)
    return any(target is f for f in _MATH)


def _recomputable(sweeps, e, out, loop_vars) -> bool:
    if isinstance(e, ast.Constant):
        return type(e.value) in (int, float)
    if not isinstance(e, ast.Name):
        return False
    n = e.id
    if n in out or n in loop_vars:
        return True
    k = sweeps.ctx.kinds.get(n)
    return k is not None and k.cls in ("float", "int") and not sweeps.ctx.is_memory(n) \
        and _bound_once_outside_loops(sweeps, n)


def _loop_vars(sweeps, s, loops) -> set:
    """The variables of the for loops enclosing ``s`` (the reversed loops restore them)."""
    return {loops[lid].target.id for lid in sweeps.loops[id(s)] if isinstance(loops[lid], ast.For)}


def _bound_once_outside_loops(sweeps, name) -> bool:
    """A name never rebound (a parameter, or one binding outside any loop)."""
    return sweeps.nbind.get(name, 0) <= 1 and not _bound_in_loop(sweeps, name)


def order(sweeps, names) -> list:
    """The recomputed values among ``names`` with the recomputed values they
    read, operands first (the order of their bindings)."""
    remat, todo, seen = sweeps.remat, list(names), set()
    while todo:
        n = todo.pop()
        if n in remat and n not in seen:
            seen.add(n)
            todo += [x.id for x in ast.walk(remat[n].value) if isinstance(x, ast.Name)]
    return sorted(seen, key=lambda n: sweeps.order[id(remat[n])])


def _bound_in_loop(sweeps, name) -> bool:
    for r in sweeps.by_stmt.values():
        if name in sweeps.bound_names(r.stmt) and sweeps.in_loop(r.stmt):
            return True
    return False


def _final_when_read(sweeps, read, idx, writers, loops) -> bool:
    enclosing = sweeps.loops[id(read)]
    if len(enclosing) != 1 or len(writers) != 1:
        return False
    loop = loops[enclosing[0]]
    w = writers[0]
    if not isinstance(loop, ast.For) or sweeps.loops.get(id(w)) != enclosing:
        return False
    target = w.targets[0] if isinstance(w, ast.Assign) else getattr(w, "target", None)
    # the offsets compare only in one index space: the write must go through
    # the name read (``x[i]`` written, ``av[i - 1]`` read with ``av = x[::-1]``
    # are the same memory indexed the other way)
    if not isinstance(target, ast.Subscript) or not isinstance(target.value, ast.Name) \
            or target.value.id != read.value.value.id:
        return False
    var, step = loop.target.id, _step(loop)
    c_r, c_w = _offset(idx, var), _offset(target.slice, var)
    if step is None or step == 0 or c_r is None or c_w is None:
        return False
    # a negative index counts from the end: ``x[i - 1]`` at ``i = 0`` reads the last
    # element, which a later iteration writes
    low = _lowest(loop, step)
    if low is None or low + min(c_r, c_w) < 0:
        return False   # (``range(-2, n)``: ``s[i]`` at ``i = -2`` reads an element a later iteration writes)
    return c_r < c_w if step > 0 else c_r > c_w


def _lowest(loop, step):
    """The smallest value a ``range`` loop's variable can take, when its bounds say, else None."""
    args = loop.iter.args
    if step > 0:
        first = args[0] if len(args) >= 2 else ast.Constant(0)
        return first.value if isinstance(first, ast.Constant) and type(first.value) is int else None
    stop = args[1] if len(args) >= 2 else None
    return stop.value + 1 if isinstance(stop, ast.Constant) and type(stop.value) is int else None


_PURE_NAMES = frozenset({"abs", "float", "int", "min", "max", "len"}) | COPIES


def _pure_call(c) -> bool:
    """A call that writes no array: the math functions a recomputed value may call (``_MATH``, as
    ``_math_call`` takes them, of one argument), a copy, a pop (any other call may write its arguments
    or memory they view: np.copyto, a ufunc's positional out)."""
    f = c.func   # (a pop writes no array: it takes the list's last item)
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("np", "math"):
        return len(c.args) == 1 and not c.keywords and any(
            g.__name__ == f.attr and (g.__module__ == "math") == (f.value.id == "math") for g in _MATH)
    return isinstance(f, ast.Name) and f.id in _PURE_NAMES or isinstance(f, ast.Attribute) and f.attr == "pop" \
        and not c.args


def _writes_memory(target, augmented, shadows) -> bool:
    """Whether storing into ``target`` may write memory a recomputed value reads: a store into an
    element (``x[i] = ...``) or an augmented assignment to a name (``x += e``: x may be an array),
    unless into a shadow (``shadows``), which is no primal's memory."""
    base = target.value if isinstance(target, ast.Subscript) else target
    return (isinstance(target, ast.Subscript) or augmented) and not (isinstance(base, ast.Name) and base.id in shadows)


def recomputed_once(code: list, remat: dict, shadows: set) -> list:
    """``code`` (one block of the reverse sweep) without the recomputation of a value (``remat``)
    that an earlier statement of the block recomputed already, when nothing between rebinds what
    it reads or writes memory it reads (a store into a shadow writes no primal's memory): each
    source line's adjoint recomputes what it reads, and the lines of one loop body read the same
    values (a force loop's ``dx``, ``r2``, ``w`` six times)."""
    avail: dict = {}   # name -> (its value dumped, the names it reads, whether it reads memory)
    out = []
    for s in code:
        t = s.targets[0].id if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(
            s.targets[0], ast.Name) and s.targets[0].id in remat else None
        if t is not None and avail.get(t, (None,))[0] == ast.dump(s.value):
            continue
        out.append(s)
        if not isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr, ast.Pass)) or any(
                isinstance(n, ast.Call) and not _pure_call(n) for n in ast.walk(s)):
            avail.clear()
            continue
        names = _stored(s)
        targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.AugAssign) else []
        memory = any(_writes_memory(x, isinstance(s, ast.AugAssign), shadows)
                     for t in targets for x in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]))
        for k in [k for k, (_, reads, mem) in avail.items() if k in names or reads & names or memory and mem]:
            del avail[k]
        if t is not None:
            reads = {n.id for n in ast.walk(s.value) if isinstance(n, ast.Name)}
            if t not in reads:
                avail[t] = (ast.dump(s.value), reads, any(isinstance(n, ast.Subscript) for n in ast.walk(s.value)))
    return out
