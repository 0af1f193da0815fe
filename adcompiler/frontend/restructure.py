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
