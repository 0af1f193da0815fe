"""Move code after a conditional jump into the branch that does not jump.

``S1; if c: (A; break) else: B; S2`` becomes ``S1; if c: (A; break) else:
(B; S2)``, so that ``break``/``continue``/``return`` only ever stand at the
tail of a branch. The reverse sweep then replays a loop body by replaying the
recorded branch decisions, with no jumps of its own.

>>> import ast
>>> body = ast.parse("a = 1\\nif c:\\n    break\\nb = 2").body
>>> print(ast.unparse(restructure(body, (ast.Break,), ())))
a = 1
if c:
    break
else:
    b = 2
"""
from __future__ import annotations

import ast
import copy


def has_jump(stmts, kinds) -> bool:
    """Whether a jump of ``kinds`` occurs in ``stmts`` outside nested loops."""
    for s in stmts:
        if isinstance(s, kinds):
            return True
        if isinstance(s, ast.If) and (has_jump(s.body, kinds) or has_jump(s.orelse, kinds)):
            return True
    return False


def _ends_with_jump(stmts, kinds) -> bool:
    return bool(stmts) and isinstance(stmts[-1], kinds)


def _append(stmts, rest, kinds):
    """Append ``rest`` to every path through ``stmts`` that does not jump."""
    if _ends_with_jump(stmts, kinds):
        return stmts
    if stmts and isinstance(stmts[-1], ast.If) and has_jump([stmts[-1]], kinds):
        last = stmts[-1]
        last.body = _append(last.body, [_copy(r) for r in rest], kinds)
        last.orelse = _append(last.orelse, [_copy(r) for r in rest], kinds)
        return stmts
    return stmts + rest


def _copy(node):
    return copy.deepcopy(node)


def restructure(stmts, kinds, drop=()):
    """Rewrite ``stmts`` so jumps of ``kinds`` are tails of branches.

    Jumps of the kinds in ``drop`` are removed once they are tails (a
    ``continue`` at the end of a loop body, a ``return`` at the end of the
    function, mean nothing more).
    """
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, ast.If):
            s.body = restructure(s.body, kinds, ())
            s.orelse = restructure(s.orelse, kinds, ())
            if has_jump([s], kinds):
                rest = restructure(stmts[i + 1:], kinds, ())
                out.append(s)
                out = _append(out, rest, kinds)
                return _drop(out, drop)
        out.append(s)
        if isinstance(s, kinds):
            return _drop(out, drop)   # code after an unconditional jump is dead
    return _drop(out, drop)


def _drop(stmts, drop):
    if not drop:
        return stmts
    out = []
    for s in stmts:
        if isinstance(s, drop):
            continue
        if isinstance(s, ast.If):
            s.body = _drop(s.body, drop) or [ast.copy_location(ast.Pass(), s)]
            s.orelse = _drop(s.orelse, drop)
        out.append(s)
    return out


def loop_else(stmts, fresh) -> list:
    """``for``/``while`` loops with an ``else:`` clause as loops without one
    (inner loops first): a flag (``fresh()``, a new name) set to False before
    the loop and to True before each ``break`` of the loop (not of the loops
    inside it), and the clause run after the loop where the flag is False."""
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(s, (ast.If, ast.For, ast.While)):
                setattr(s, field, loop_else(getattr(s, field), fresh))
        if not (isinstance(s, (ast.For, ast.While)) and s.orelse):
            out.append(s)
            continue
        flag = fresh()
        s.body = _flag_breaks(s.body, flag)
        clause, s.orelse = s.orelse, []
        new = [ast.Assign(targets=[ast.Name(flag, ast.Store())], value=ast.Constant(False)), s,
               ast.If(test=ast.UnaryOp(ast.Not(), ast.Name(flag, ast.Load())), body=clause, orelse=[])]
        for n in (new[0], new[2]):
            ast.copy_location(n, s)
            n.end_lineno = s.lineno
            ast.fix_missing_locations(n)
        out += new
    return out


def _flag_breaks(stmts, flag) -> list:
    out = []
    for s in stmts:
        if isinstance(s, ast.Break):
            set_flag = ast.copy_location(ast.Assign(targets=[ast.Name(flag, ast.Store())], value=ast.Constant(True)), s)
            set_flag.end_lineno = s.lineno
            out += [ast.fix_missing_locations(set_flag), s]
            continue
        if isinstance(s, ast.If):
            s.body, s.orelse = _flag_breaks(s.body, flag), _flag_breaks(s.orelse, flag)
        out.append(s)
    return out
