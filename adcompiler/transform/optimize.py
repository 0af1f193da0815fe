"""optimize: peephole passes on the reverse code of one source line.

``schedule_store`` rewrites the adjoint of a line that stores into memory it
also reads (the stencil ``u[1:-1] = u[1:-1] + c*(u[2:] - 2*u[1:-1] + u[:-2])``):

    g = _ad_copy(du[S]); du[S] = 0.0; <adjoint arithmetic>; du[S] += a; du[R] += b

becomes

    g = du[S]; <adjoint arithmetic>; du[S] = a + ...; du[R] += b

which saves the copy, the zeroing and one update. It is valid because the
adjoint arithmetic reads no memory (it runs before any update, while ``g``
still views the old adjoint), updates of other regions commute, and no update
left after the assignment reads ``g`` or a name that may alias it. Anything
else on the line (tape pops, calls, loops) leaves the code as it was.

``fold_negation`` turns ``a = -b; c = a * k`` (``a`` used once) into
``c = b * -k``.
"""
from __future__ import annotations

import ast

PURE_CALLS = {"_ad_unbroadcast"}


def _is_region(node, dm, sdump):
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == dm \
        and ast.dump(node.slice) == sdump


def _pure(expr) -> bool:
    """Arithmetic on names and constants, unbroadcast (its shape argument may view memory)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in PURE_CALLS):
                return False
        elif isinstance(node, ast.Subscript):
            return _unbroadcast_shapes_only(expr)
        elif not isinstance(node, (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator,
                                   ast.unaryop, ast.expr_context, ast.Tuple)):
            return False
    return True


def _unbroadcast_shapes_only(expr) -> bool:
    shape_args = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PURE_CALLS \
                and len(node.args) > 1:
            shape_args |= {id(x) for x in ast.walk(node.args[1])}
    for node in ast.walk(expr):
        if isinstance(node, ast.Subscript) and id(node) not in shape_args:
            return False
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in PURE_CALLS):
            return False
    return True


def _names(expr) -> set:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


def schedule_store(code: list) -> list:
    copies = [(i, s) for i, s in enumerate(code) if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
              and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name)
              and s.value.func.id == "_ad_copy" and isinstance(s.value.args[0], ast.Subscript)
              and isinstance(s.value.args[0].value, ast.Name)]
    if len(copies) != 1:
        return code
    ci, copy_stmt = copies[0]
    g = copy_stmt.targets[0].id
    region = copy_stmt.value.args[0]
    dm, sdump = region.value.id, ast.dump(region.slice)
    zero_i = ci + 1
    if zero_i >= len(code) or not (isinstance(code[zero_i], ast.Assign) and _is_region(code[zero_i].targets[0], dm, sdump)
                                   and isinstance(code[zero_i].value, ast.Constant) and code[zero_i].value.value == 0.0):
        return code
    computes, merged, updates = [], [], []
    aliases = {g}
    for s in code[:ci] + code[zero_i + 1:]:
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Name):
            computes.append(s)                       # a comment marker
        elif isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and _pure(s.value):
            computes.append(s)
            v = s.value
            if isinstance(v, ast.Name) and v.id in aliases or (
                    isinstance(v, ast.Call) and v.args and isinstance(v.args[0], ast.Name) and v.args[0].id in aliases):
                aliases.add(s.targets[0].id)         # may be the same array as g
        elif isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) and _pure(s.value) and (
                isinstance(s.target, (ast.Name, ast.Subscript))):
            if _is_region(s.target, dm, sdump):
                merged.append(s.value)
            else:
                if _names(s.value) & aliases:
                    return code
                updates.append(s)
        else:
            return code
    if any(isinstance(s, ast.Assign) and s.targets[0].id in _names(copy_stmt.value) for s in computes
           if isinstance(s, ast.Assign)):
        return code
    view = ast.Assign(targets=[ast.Name(g, ast.Store())], value=region)
    total = merged[0] if merged else ast.Constant(0.0)
    for m in merged[1:]:
        total = ast.BinOp(total, ast.Add(), m)
    assign = ast.Assign(targets=[ast.Subscript(ast.Name(dm, ast.Load()), region.slice, ast.Store())], value=total)
    return [view] + computes + [assign] + updates


def fold_negation(code: list, single_use) -> list:
    out = list(code)
    for i, s in enumerate(out):
        if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, ast.UnaryOp) and isinstance(s.value.op, ast.USub)
                and isinstance(s.value.operand, ast.Name) and single_use(s.targets[0].id)):
            continue
        a, b = s.targets[0].id, s.value.operand.id
        for j in range(i + 1, len(out)):
            t = out[j]
            if isinstance(t, ast.Assign) and isinstance(t.value, ast.BinOp) and isinstance(t.value.op, ast.Mult):
                left, right = t.value.left, t.value.right
                if isinstance(left, ast.Name) and left.id == a and isinstance(right, ast.Constant) \
                        and type(right.value) in (int, float):
                    t.value = ast.BinOp(ast.Name(b, ast.Load()), ast.Mult(), ast.Constant(-right.value))
                    out[i] = None
                    break
            if a in _names(t) or (isinstance(t, ast.Assign) and b in [x.id for x in t.targets
                                                                     if isinstance(x, ast.Name)]):
                break
    return [s for s in out if s is not None]
