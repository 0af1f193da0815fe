"""tape_pops: what the pushes and pops of generated reverse code read, for the kinds of code
differentiated again (second order): the names whose copies a stack receives (``copies_pushed``,
what a save pops back), and the pops that restore a name pushed before them (``restoring_pops``)."""
from __future__ import annotations

import ast

from ..frontend import notes


def copies_pushed(stmts) -> dict:
    """For generated reverse code: the names whose copies are pushed onto each
    stack (``_t = _ad_copy(x)``, ``st.append(_t)``: what a save pops back)."""
    from ..runtime import core
    copies, out = {}, {}
    for s in stmts:
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Call) \
                and notes.target(s.value) is core.copy and len(s.value.args) == 1 \
                and isinstance(s.value.args[0], ast.Name):
            copies[s.targets[0].id] = s.value.args[0].id
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and notes.rule_kind(s.value) == "stack" \
                and len(s.value.args) == 1 and isinstance(s.value.args[0], ast.Name) \
                and isinstance(s.value.func, ast.Attribute) and isinstance(s.value.func.value, ast.Name) \
                and s.value.args[0].id in copies:
            out.setdefault(s.value.func.value.id, set()).add(copies[s.value.args[0].id])
    return out


def restoring_pops(stmts) -> set:
    """For generated reverse code (one tape for values of every kind): the
    names pushed by name onto each stack. Generated code pops a value back into
    the name it was pushed for (a restore), or into a fresh name (a save), so a
    pop into a pushed name reads an earlier value of that name, not the join of
    everything on the tape (a loop index restored beside float values would
    otherwise be of unknown kind, and ``a[i]`` neither a view nor a copy). The ids of those pops: a pop
    into a name pushed only after it (the user's ``a = L.pop(); L.append(a)``) reads the list's values."""
    pushed: dict = {}
    out: set = set()
    for s in stmts:
        v = s.value if isinstance(s, (ast.Expr, ast.Assign)) else None
        if not (isinstance(v, ast.Call) and notes.rule_kind(v) == "stack" and isinstance(v.func, ast.Attribute)
                and isinstance(v.func.value, ast.Name)):
            continue
        if isinstance(s, ast.Expr) and len(v.args) == 1 and isinstance(v.args[0], ast.Name):
            pushed.setdefault(v.func.value.id, set()).add(v.args[0].id)
        elif isinstance(s, ast.Assign) and not v.args and isinstance(s.targets[0], ast.Name) \
                and s.targets[0].id in pushed.get(v.func.value.id, ()):
            out.add(id(v))
    return out
