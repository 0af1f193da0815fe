"""tuple_parts: an element of a tuple written in place through a name of its own.

``r = pair(x); c = r[0]; c *= x`` writes the array that ``r[0]`` also is.
The derivatives follow ``c`` (its own shadow and tangent) and the tuple
(its element adjoints) apart: a later read of ``r[0]`` (``np.sum(r[0])``,
``p, q = r``, ``r`` passed or returned) would take its derivative from the
element as it was bound, not as written. Such reads are refused at their
line; reads of the tuple's other elements (``return r[1]``) and the writes
themselves stay differentiated.
"""
from __future__ import annotations

import ast

from ..errors import UnsupportedSyntaxError


def _constant_index(node, size):
    """``k`` of ``t[k]`` for an int constant ``k`` (a negative one counted from
    the end when the tuple's length is known), else None."""
    idx = node.slice
    if isinstance(idx, ast.UnaryOp) and isinstance(idx.op, ast.USub) and isinstance(idx.operand, ast.Constant):
        value = -idx.operand.value if type(idx.operand.value) is int else None
    else:
        value = idx.value if isinstance(idx, ast.Constant) and type(idx.value) is int else None
    if value is not None and value < 0:
        value = value + size if size is not None else None
    return value


def _own_nodes(s):
    """The expression nodes of statement ``s`` itself (not of the statements it holds)."""
    for field, value in ast.iter_fields(s):
        if field in ("body", "orelse", "finalbody", "handlers"):
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, ast.AST) and not isinstance(v, ast.stmt):
                yield from ast.walk(v)


def _loops_around(body) -> tuple:
    """(statement id -> its position in execution order, statement id -> the ids of the loops around it)."""
    order, around = {}, {}

    def visit(stmts, loops):
        for st in stmts:
            order[id(st)] = len(order)
            around[id(st)] = loops
            inner = loops | {id(st)} if isinstance(st, (ast.For, ast.While)) else loops
            for field in ("body", "orelse", "finalbody"):
                visit(getattr(st, field, []) or [], inner)
            for h in getattr(st, "handlers", []) or []:
                visit(h.body, inner)
    visit(body, frozenset())
    return order, around


def refuse_tuple_elements_read_after_written(eff, kinds, pf, body) -> None:
    """Refuse a read of a tuple's element (or of the tuple whole) that a name
    bound to the element writes in place, after the binding (or before it in a
    loop around both): see the module docstring."""
    if pf is None:
        return
    stmts = eff.stmts
    order, around = _loops_around(body)

    def after(s, binding) -> bool:
        if id(s) not in order or id(binding) not in order:
            return True
        return order[id(s)] > order[id(binding)] or bool(around[id(s)] & around[id(binding)])
    tuples = {n for n, k in kinds.items() if k is not None and k.cls == "tuple"}
    for t in sorted(tuples):
        group, grew = {t}, True
        while grew:   # (the names the tuple is bound to: r2 = r)
            more = {s.targets[0].id for s in stmts if isinstance(s, ast.Assign) and len(s.targets) == 1
                    and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name)
                    and s.value.id in group and s.targets[0].id in tuples}
            grew, group = not more <= group, group | more
        if min(group) != t:
            continue   # (each group once)
        size = len(kinds[t].elts) if kinds[t].elts is not None else None
        bindings = {}   # element -> the statements binding a name to it
        for s in stmts:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                    and isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name) \
                    and s.value.value.id in group:
                k = _constant_index(s.value, size)
                if k is not None:
                    bindings.setdefault(k, []).append(s)
        written = {}
        for k, binds in bindings.items():
            for s in binds:
                m = s.targets[0].id
                if eff.maybe_array(m) and eff.cell(m) in eff.written:
                    written.setdefault(k, s)
        if not written:
            continue
        for s in stmts:
            if s is written.get(_binding_index(s, group, size)):
                continue   # (the binding of the written element itself)
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                    and isinstance(s.value, ast.Name) and s.value.id in group and s.targets[0].id in group:
                continue   # (the tuple bound to another name)
            elements = {id(n.value): n for n in _own_nodes(s) if isinstance(n, ast.Subscript)
                        and isinstance(n.value, ast.Name) and n.value.id in group}
            sized = {id(n.args[0]) for n in _own_nodes(s) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                     and n.func.id == "len" and len(n.args) == 1}   # (an unpacking's check of the length)
            for n in _own_nodes(s):
                if not (isinstance(n, ast.Name) and n.id in group and isinstance(n.ctx, ast.Load)) or id(n) in sized:
                    continue
                sub = elements.get(id(n))
                k = _constant_index(sub, size) if sub is not None else None
                if sub is not None and k is not None and k not in written:
                    continue   # (another element)
                ws = [written[k]] if k in written else list(written.values())
                ws = [w for w in ws if after(s, w)]
                if not ws:
                    continue   # (read before the element's name is bound, and not again after)
                w = ws[0]
                what = f"`{n.id}[{k}]`" if k is not None else f"`{n.id}`"
                raise UnsupportedSyntaxError(
                    f"{what} is read after `{w.targets[0].id}`, bound to element {_binding_index(w, group, size)} "
                    f"of the tuple (line {w.lineno}), is written in place: the derivative follows the element's "
                    "name and the tuple apart.",
                    filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                    hint="unpack the tuple (`a, b = ...`) and use the names, or copy the element before writing "
                         f"it (`{w.targets[0].id} = {n.id}[{_binding_index(w, group, size)}].copy()`).")


def _binding_index(s, group, size):
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name) \
            and s.value.value.id in group:
        return _constant_index(s.value, size)
    return None
