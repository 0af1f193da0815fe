"""remat: values the reverse sweep recomputes instead of saving.

A value bound by a plain read ``t = m[idx]`` can be read again in the reverse
sweep, instead of being pushed on the tape, when the memory location it came
from still holds the same value at the end of the primal run:

- nothing writes ``m``'s memory; or
- the only statement writing it stores ``m[i + c_w]`` in the same (outermost)
  loop over ``i`` with a constant step, the read is ``m[i + c_r]``, and every
  later iteration writes elsewhere: ``c_r < c_w`` for a positive step
  (``c_r > c_w`` for a negative one). This is the recurrence
  ``s[i] = s[i-1] * a[i]``: ``s[i-1]`` is final once read.

The index names must be loop variables of enclosing loops (the reversed loop
restores them) or names bound once outside any loop; ``m`` must be bound once.
"""
from __future__ import annotations

import ast


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
        enclosing = sweeps.loops[id(s)]
        loop_vars = {loops[lid].target.id for lid in enclosing if isinstance(loops[lid], ast.For)}
        ok = True
        for node in ast.walk(idx):
            if isinstance(node, ast.Name) and node.id not in loop_vars:
                if sweeps.nbind.get(node.id, 0) > 1 or _bound_in_loop(sweeps, node.id):
                    ok = False
            elif isinstance(node, ast.Call):
                ok = False
        if not ok:
            continue
        writers = ctx.eff.writers_of_memory(m)
        if writers and not _final_when_read(sweeps, s, idx, writers, loops):
            continue
        out[t] = s
    return out


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
    if not isinstance(target, ast.Subscript):
        return False
    var, step = loop.target.id, _step(loop)
    c_r, c_w = _offset(idx, var), _offset(target.slice, var)
    if step is None or step == 0 or c_r is None or c_w is None:
        return False
    return c_r < c_w if step > 0 else c_r > c_w
