"""lower: kind-aware desugaring that normalize cannot do alone.

``n op= v`` on a name mutates an array in place but rebinds a scalar. With
kinds known: arrays become ``n[...] += v`` (for + and -) or ``_t = n op v;
n[...] = _t``; scalars become ``n = n op v``. A name whose kind is unknown is
refused rather than guessed. An array rebound to a value computed from itself
(``x = np.sin(x)``) goes through a temporary, so that the call's derivative
names the old value and the result apart.
"""
from __future__ import annotations

import ast
import copy
import dataclasses

import numpy as np

from ..codegen.naming import TEMP
from ..errors import UnsupportedSyntaxError
from ..frontend import notes
from ..frontend.lists import number_lists
from ..rules.indexing import gradient_axes


@dataclasses.dataclass(frozen=True)
class _Facts:
    """What ``lower`` finds in the whole body once, for every block: ``bounds``, the names known
    to be at least a number; ``accumulators`` (``fresh_accumulators``); ``lists``, the names bound
    to a list display or comprehension (``held = [0.0]``)."""

    bounds: dict
    accumulators: set
    lists: set
    numbers_maybe: set = frozenset()   # (``_numbers_maybe``)


def lower(body, kinds, namer, pf, pieces) -> list:
    """``pieces``: the names bound to lists of views (``piece_lists``), whose
    elements may not be stored into. A real power of a number that may be a
    negative Python float to a fractional exponent is checked at run time
    (``_power_check``)."""
    from ..analysis.finite import lower_bounds
    body = _merge_chained(body, kinds, pf, namer, pieces)
    powers = any(isinstance(n, (ast.BinOp, ast.AugAssign)) and isinstance(n.op, ast.Pow)
                 for st in body for n in ast.walk(st))   # (the bounds only serve powers)
    params = [a.arg for a in pf.tree.args.posonlyargs + pf.tree.args.args]
    lists = {t.id for st in body for n in ast.walk(st) if isinstance(n, ast.Assign)
             and isinstance(n.value, (ast.List, ast.ListComp)) for t in n.targets if isinstance(t, ast.Name)}
    facts = _Facts(lower_bounds(body, kinds, params) if powers else {},
                   fresh_accumulators(body, kinds, namer, pf), lists, _numbers_maybe(body, kinds, params))
    return _lower_block(body, kinds, namer, pf, pieces, facts)


def _numbers_maybe(body, kinds, params) -> set:
    """Arrays of unknown rank (``adcompiler emit`` without ``--shape``) bound only to arithmetic:
    numpy's arithmetic of 0-d operands gives a number, not an array, so ``n += e`` may rebind
    ``n`` rather than write it."""
    nodes = [n for st in body for n in ast.walk(st)]
    arithmetic = {id(t) for n in nodes if isinstance(n, ast.Assign) and isinstance(n.value, (ast.BinOp, ast.UnaryOp))
                  for t in n.targets if isinstance(t, ast.Name)}
    updated = {id(n.target) for n in nodes if isinstance(n, ast.AugAssign)}   # (the update asked about: no binding)
    stores = [n for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and id(n) not in updated]
    other = {n.id for n in stores if id(n) not in arithmetic}   # (a loop's target, an unpacking, a call's result)
    return {n.id for n in stores if n.id not in other and n.id not in params
            and getattr(kinds.get(n.id), "cls", None) == "array" and kinds[n.id].ndim is None}


def _lower_block(body, kinds, namer, pf, pieces, facts) -> list:
    out = []
    for s in body:
        if isinstance(s, (ast.For, ast.While)):
            s.body = _lower_block(s.body, kinds, namer, pf, pieces, facts)
            out.append(s)
        elif isinstance(s, ast.If):
            s.body = _lower_block(s.body, kinds, namer, pf, pieces, facts)
            s.orelse = _lower_block(s.orelse, kinds, namer, pf, pieces, facts)
            out.append(s)
        elif isinstance(s, (ast.Assign, ast.AugAssign)) and _store_base(s) in pieces:
            raise UnsupportedSyntaxError(
                f"a store into an element of the list `{pieces[_store_base(s)]}` returns is not supported (its "
                "pieces are views of the argument: `L[k] *= v` writes the argument, `L[k] = v` only replaces "
                "the list's element).",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint="bind the piece to a name and write through it (`p = L[k]; p *= 2.0` writes the argument), "
                     "or index the argument itself (`a[:3] *= 2.0`).")
        elif isinstance(s, ast.Assign) and isinstance(s.value, ast.Name) and not namer.made(s.value.id, TEMP) \
                and (s.value.id in pieces or getattr(kinds.get(s.value.id), "seq", None) == "list"):
            raise UnsupportedSyntaxError(
                f"a second name for the list `{pieces.get(s.value.id, 'numpy.split')}` returns is not supported (its derivative "
                "follows the list under the name it was bound to).",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint=f"use `{s.value.id}` itself, or unpack the pieces you need (`a, b = {s.value.id}`); a function "
                     "that returns the list returns the call itself (`return np.split(v, 2)`).")
        elif notes.element_update(s) is not None:
            _check_element_update(s, kinds, pf)
            out.append(s)
        elif isinstance(s, (ast.Assign, ast.AugAssign)) and _stores_into_container(s, kinds, facts.lists, namer):
            raise UnsupportedSyntaxError(
                "writing into an element of a list, tuple or dict is not supported.",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint="update the array through its own name, or build a new list.")
        elif isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and s.target.id in facts.lists \
                and isinstance(s.op, (ast.Add, ast.Mult)):
            raise UnsupportedSyntaxError(   # (the list taken for an array: ``w[...] += [v]`` raised a TypeError)
                f"`{s.target.id} {'+' if isinstance(s.op, ast.Add) else '*'}= ...` extends or repeats the list "
                f"`{s.target.id}` in place, which is not differentiated.", filename=pf.filename, lineno=s.lineno,
                construct=pf.line_text(s.lineno), hint=f"append the values ({s.target.id}.append(v)), or bind a new "
                f"list ({s.target.id} = {s.target.id} + [...]).")
        else:
            if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) and not notes.is_counter(s):
                new = _lower_aug(s, kinds, namer, pf, facts.accumulators, facts.numbers_maybe)
            elif (axes := _gradient_axes(s, kinds)) is not None:
                new = _gradient_per_axis(s, axes, namer)
            elif _rebinds_from_itself(s, kinds):
                new = _through_temp(s, namer)
            else:
                new = [s]
            for n in new:   # (``a **= 1.5`` of a number is ``a = a ** 1.5``: checked as written out)
                out.append(n)
                if _python_power(n, kinds, facts.bounds):
                    out.append(_power_check(n, pf))
    return out


def _gradient_axes(s, kinds):
    """``g = np.gradient(f, *spacing)`` along several axes (``rules.indexing.gradient_axes``): those axes."""
    v = s.value if isinstance(s, ast.Assign) and len(s.targets) == 1 else None
    if not (isinstance(v, ast.Call) and v.args and isinstance(v.args[0], ast.Name)
            and notes.target(v) is np.gradient and not notes.is_user_call(v)) \
            or any(isinstance(a, ast.Starred) for a in v.args) or any(kw.arg not in ("edge_order", "axis")
                                                                    for kw in v.keywords):
        return None
    k = kinds.get(v.args[0].id)
    axis = next((kw.value for kw in v.keywords if kw.arg == "axis"), None)
    return gradient_axes(k.ndim if k is not None and k.cls == "array" else None, axis, len(v.args) - 1)


def _gradient_per_axis(s, axes, namer) -> list:
    """The tuple numpy's ``np.gradient`` along several axes returns (the array, for one in a tuple), one
    call along each axis (which has a rule)."""
    v = s.value
    f, spacing = v.args[0], v.args[1:]
    out, names = [], []
    for j, ax in enumerate(axes):
        call = copy.copy(v)
        call.args = [f] + ([spacing[j if len(spacing) == len(axes) else 0]] if spacing else [])
        call.keywords = [kw for kw in v.keywords if kw.arg != "axis"] + [ast.keyword("axis", ast.Constant(ax))]
        names.append(namer.fresh(TEMP))
        out.append(ast.Assign(targets=[ast.Name(names[-1], ast.Store())], value=call))
    elts = [ast.Name(t, ast.Load()) for t in names]
    out.append(ast.Assign(targets=s.targets, value=elts[0] if len(axes) == 1 else ast.Tuple(elts, ast.Load())))
    for node in out:
        ast.copy_location(node, s)
        node.end_lineno = getattr(s, "end_lineno", s.lineno)
    return out


def _python_power(s, kinds, bounds) -> bool:
    """``t = a ** e`` of a real number ``a`` not known to be at least 0 (a Python float:
    negative, to a fractional power, it gives a complex number) where the analyses take
    ``t`` for a real number."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            and isinstance(s.value, ast.BinOp) and isinstance(s.value.op, ast.Pow)):
        return False
    t, base, exp = kinds.get(s.targets[0].id), s.value.left, s.value.right
    if t is None or t.cls != "float" or t.dtype == "c":
        return False
    if isinstance(exp, ast.Constant) and type(exp.value) in (int, float) and float(exp.value).is_integer() \
            or isinstance(exp, ast.Name) and getattr(kinds.get(exp.id), "cls", None) in ("int", "bool"):
        return False   # (an integer exponent: real)
    if isinstance(base, ast.Constant):
        return type(base.value) in (int, float) and base.value < 0
    return isinstance(base, ast.Name) and getattr(kinds.get(base.id), "cls", None) in ("float", "int", "num") \
        and not bounds.get(base.id, -1.0) >= 0


def _power_check(s, pf) -> ast.stmt:
    """``_ad_real_power_checked(t, where)``: refused at run time where ``t`` is complex."""
    from ..rules import lookup
    from ..runtime.views import real_power_checked
    where = ast.Tuple([ast.Constant(pf.filename), ast.Constant(s.lineno),
                       ast.Constant(pf.line_text(s.lineno).strip())], ast.Load())
    call = ast.Call(ast.Name("_ad_real_power_checked", ast.Load()),
                    [ast.Name(s.targets[0].id, ast.Load()), where], [])
    notes.resolve_call(call, real_power_checked, lookup(real_power_checked))
    return ast.copy_location(ast.Expr(call), s)


def piece_lists(body, returns_pieces=lambda call: None) -> dict:
    """Names bound to the list of views a rule returns (``parts = np.split(a, 2)``),
    or a helper returns (``returns_pieces(call)``: the rule's name or None), or
    another such name -> the function's name."""
    out: dict = {}
    changed = True
    while changed:
        changed = False
        for s in (n for st in body for n in ast.walk(st)):
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)) \
                    or s.targets[0].id in out:
                continue
            v, what = s.value, None
            if isinstance(v, ast.Call):
                rule = notes.rule(v)
                if rule is not None and getattr(rule, "tuple_result", False) and getattr(rule, "kind", None) == "view":
                    what = rule.name
                elif notes.is_user_call(v):
                    what = returns_pieces(v)
            elif isinstance(v, ast.Name) and v.id in out:
                what = out[v.id]
            if what is not None:
                out[s.targets[0].id] = what
                changed = True
    return out


def _merge_chained(body, kinds, pf, namer, pieces) -> list:
    """Chained subscripts of an array by integers, written as one subscript: the same
    memory, and no view bound in a loop (which the numba backend's tape cannot restore).

    A read ``A[i][j]`` reaches lower as ``_t = A[i]; _u = _t[j]`` (normalize): it is
    ``_u = A[i, j]``. A store ``A[i][j] op= v`` reaches it as ``_part = A[i]; ...; _part[j]
    op= v`` (``attr_views``): it is ``A[i, j] op= v`` where ``A`` is a name of the user's.
    Only a name used nowhere else is dropped; ``pieces`` (lists of views) are lists."""
    uses: dict = {}
    listed = set()   # (a list written out, typed as its array, is a list when the code runs: c[k][0] stays)
    for s in body:
        for n in ast.walk(s):
            if isinstance(n, ast.Name):
                uses[n.id] = uses.get(n.id, 0) + 1
            elif isinstance(n, ast.Assign) and isinstance(n.value, ast.List):
                listed |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    listed |= number_lists(body, of=lambda elts: not all(_number(e, kinds) for e in elts))   # ([(1.0, 0.5)] * 3)
    # (np.split's pieces, typed as a stacked array marked a list, a helper's parameter too: parts[0][1] stays)
    listed |= set(pieces) | {n for n, k in kinds.items() if getattr(k, "seq", None) == "list"}

    def block(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(s, (ast.For, ast.While, ast.If)):
                    setattr(s, field, block(getattr(s, field)))
            prev = out[-1] if out else None
            if _reads_part(s) and _row_of(prev, kinds) and prev.targets[0].id == s.value.value.id \
                    and prev.value.value.id not in listed \
                    and namer.made(prev.targets[0].id, TEMP) and uses.get(prev.targets[0].id) == 2:
                s.value = _merged(prev.value, s.value)
                out.pop()
            out.append(s)
        for s in list(out):
            if _row_of(s, kinds) and s.targets[0].id in pf.chained_parts and uses.get(s.targets[0].id) \
                    and s.value.value.id not in listed \
                    and not namer.made(s.value.value.id, TEMP) and _through(out, s, uses):
                out.remove(s)
        return out
    return block(body)


def _number(e, kinds) -> bool:
    """Whether ``e`` (an element of a list display) is known to be a number."""
    if isinstance(e, ast.Constant):
        return isinstance(e.value, (int, float, bool)) or e.value is None
    k = kinds.get(e.id) if isinstance(e, ast.Name) else None
    return k is not None and (k.cls in ("int", "float", "bool", "none") or k.cls in ("array", "num") and k.ndim == 0)


def _reads_part(s) -> bool:
    return isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
        and isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name)


def _row_of(s, kinds) -> bool:
    """``t = A[i]`` (``A`` an array, ``i`` integers: a view of a row of ``A``)."""
    if not (s is not None and _reads_part(s) and getattr(kinds.get(s.value.value.id), "is_array", False)):
        return False
    first = s.value.slice
    return all(_integer(e, kinds) for e in (first.elts if isinstance(first, ast.Tuple) else [first]))


def _merged(row, sub):
    """``A[i]`` and ``t[j]``: ``A[i, j]`` (in ``sub``'s context)."""
    first, rest = row.slice, sub.slice
    elts = [copy.deepcopy(e) for e in (first.elts if isinstance(first, ast.Tuple) else [first])]
    elts += rest.elts if isinstance(rest, ast.Tuple) else [rest]
    return ast.copy_location(ast.Subscript(ast.Name(row.value.id, ast.Load()),
                                           ast.copy_location(ast.Tuple(elts, ast.Load()), rest), sub.ctx), sub)


def _through(out, s, uses) -> bool:
    """Write every use of the row ``s`` binds (``_part[j]``, read or stored, in the statements
    after it up to its store) as a subscript of the array; False (nothing changed) where a
    use is of another form, or a statement between rebinds the array or an index."""
    part = s.targets[0].id
    held = {s.value.value.id} | {n.id for n in ast.walk(s.value.slice) if isinstance(n, ast.Name)}
    found, names = [], 0
    for later in out[out.index(s) + 1:]:
        if any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id in held | {part}
               for n in ast.walk(later)) or isinstance(later, (ast.For, ast.While, ast.If)):
            return False   # (only the value's temporaries come between; anything else: the row stays named)
        for n in ast.walk(later):
            names += isinstance(n, ast.Name) and n.id == part
            for field, v in ast.iter_fields(n):
                for k, x in enumerate(v) if isinstance(v, list) else [(None, v)]:
                    if isinstance(x, ast.Subscript) and isinstance(x.value, ast.Name) and x.value.id == part:
                        found.append((n, field, k, x))
        if names == uses[part] - 1:
            break
    if not names or names != len(found) or names != uses[part] - 1:
        return False
    for node, field, k, v in found:
        if k is None:
            setattr(node, field, _merged(s.value, v))
        else:
            getattr(node, field)[k] = _merged(s.value, v)
    return True


def _integer(e, kinds) -> bool:
    """An index expression that is a Python integer (a constant, an int name, their arithmetic)."""
    if isinstance(e, ast.Constant):
        return type(e.value) is int
    if isinstance(e, ast.Name):
        return getattr(kinds.get(e.id), "cls", None) == "int"
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return _integer(e.operand, kinds)
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)):
        return _integer(e.left, kinds) and _integer(e.right, kinds)
    return False


def _store_base(s):
    t = s.targets[0] if isinstance(s, ast.Assign) else s.target
    return t.value.id if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) else None


def _check_element_update(s, kinds, pf) -> None:
    """``L[k] op= v`` on a list, tuple or dict (lowered to ``old = L[k]; L[k] = old op v``):
    rebinding the entry is Python's meaning for a number, not for an array, which
    Python updates in place (its other names see the update)."""
    k = kinds.get(notes.element_update(s))
    if k is None or k.cls not in ("int", "float", "bool"):
        raise UnsupportedSyntaxError(
            "an in-place operator on an array held by a list, tuple or dict is not supported (Python "
            "updates the array itself).",
            filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
            hint="keep the arrays in one array instead of a list (`A = np.stack([...])`, then `A[k] *= 2.0`).")


def _stores_into_container(s, kinds, lists=frozenset(), namer=None) -> bool:
    """A store into an element of a list or tuple argument (its kind is a tuple), or of a list
    the function writes out (``held = [0.0]``, typed as its array) of a value that may be an
    array: Python puts the array itself into the list (a later update of it shows there),
    where an array's element would take a copy."""
    t = s.targets[0] if isinstance(s, ast.Assign) else s.target
    if not (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)):
        return False
    k = kinds.get(t.value.id)
    if t.value.id in lists and isinstance(s, ast.Assign) and isinstance(s.value, ast.Name):
        cls = getattr(kinds.get(s.value.id), "cls", None)
        if cls == "array" or cls not in ("int", "float", "bool") and not namer.made(s.value.id, TEMP):
            return True   # (an array, or a name of the user's that may hold one; a number computed: taken)
    return k is not None and k.cls == "tuple"


def _rebinds_from_itself(s, kinds) -> bool:
    """``x = f(x)`` with ``x`` an array: a new value computed from the old one
    (not a view of it)."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
        return False
    n, v = s.targets[0].id, s.value
    k = kinds.get(n)
    if k is None or k.cls not in ("array", "num") or isinstance(v, (ast.Name, ast.Subscript, ast.Constant)):
        return False
    return any(isinstance(x, ast.Name) and x.id == n for x in ast.walk(v))


def _through_temp(s, namer) -> list:
    """``x = f(x)`` as ``_t = f(x); x = _t``: the derivative of the call reads
    the old ``x`` and its result under different names (under one name, a
    value saved for the reverse sweep was the new one where the old was meant)."""
    t = namer.fresh(TEMP)
    first = ast.copy_location(ast.Assign(targets=[ast.Name(t, ast.Store())], value=s.value), s)
    second = ast.copy_location(ast.Assign(targets=[ast.Name(s.targets[0].id, ast.Store())],
                                          value=ast.Name(t, ast.Load())), s)
    for node in (first, second):
        node.end_lineno = getattr(s, "end_lineno", s.lineno)
    return [first, second]


def _lower_aug(s, kinds, namer, pf, accumulators, numbers_maybe=frozenset()):
    n = s.target.id
    k = kinds.get(n) if n not in numbers_maybe else None   # (None: refused below, as of no kind)
    def loc(node):
        ast.copy_location(node, s)
        node.end_lineno = getattr(s, "end_lineno", s.lineno)
        return node
    if k is not None and k.cls in ("int", "float", "bool") or n in accumulators:
        # (a number; or a number, then a new array no other name holds: rebound at each update)
        return [loc(ast.Assign(targets=[ast.Name(n, ast.Store())],
                               value=ast.BinOp(ast.Name(n, ast.Load()), s.op, s.value)))]
    if k is not None and k.cls == "array":
        whole = ast.Subscript(ast.Name(n, ast.Load()), ast.Constant(Ellipsis), ast.Store())
        if isinstance(s.op, (ast.Add, ast.Sub)):
            return [loc(ast.AugAssign(target=whole, op=s.op, value=s.value))]
        t = namer.fresh(TEMP)
        return [loc(ast.Assign(targets=[ast.Name(t, ast.Store())],
                               value=ast.BinOp(ast.Name(n, ast.Load()), s.op, s.value))),
                loc(ast.Assign(targets=[whole], value=ast.Name(t, ast.Load())))]
    raise UnsupportedSyntaxError(
        f"cannot tell whether `{n}` is an array (updated in place) or a scalar (rebound).",
        filename=pf.filename, lineno=s.lineno, construct=f"{n} {_op(s.op)}= ...",
        hint=f"write `{n}[...] {_op(s.op)}= ...` for an array or `{n} = {n} {_op(s.op)} ...` for a scalar, "
             "or give the arguments' shapes (adcompiler emit: --shape NAME=DIMS for an array, --shape "
             "NAME=:float64 or NAME=:int64 for a number).")


def fresh_accumulators(body, kinds, namer, pf) -> set:
    """Names bound only to numbers and updated by ``n op= e`` (+ - * /) whose kind is neither
    a number nor an array (``acc = 0; for row in A: acc += row``). Python rebinds such a name to
    a new array at its first update and updates that array in place after: where no other name,
    container or view takes the array (each read of the name is an operand, an element read as
    one, an argument of a numpy function that makes a new value, a value stored into other
    memory, or the return value), rebinding it at every update computes the same."""
    nodes = [n for s in body for n in ast.walk(s)]
    params = {a.arg for a in pf.tree.args.posonlyargs + pf.tree.args.args}
    names = {n.target.id for n in nodes if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
             and getattr(kinds.get(n.target.id), "cls", None) not in ("int", "float", "bool", "array")} - params
    if not names:   # (the common case: no parent map to build)
        return set()
    parent = {id(c): p for p in nodes for c in ast.iter_child_nodes(p)}
    out = set()
    for name in names:
        if all(_accumulated(n, parent.get(id(n)), parent, namer, kinds, nodes) for n in nodes
               if isinstance(n, ast.Name) and n.id == name):
            out.add(name)
    return out


#: numpy functions that make a new value of their arguments (never a view, never the argument)
_NEW_VALUE = frozenset({"sum", "mean", "max", "min", "prod", "dot", "vdot", "inner", "sqrt", "exp", "log", "sin",
                        "cos", "tanh", "abs", "square"})


def _accumulated(node, p, parent, namer, kinds, nodes, part=False) -> bool:
    """Whether this occurrence of the name (or, ``part``, of a temporary holding a part of it)
    leaves the array it holds to no other name, container or view."""
    if isinstance(node.ctx, ast.Store):
        return not part and (isinstance(p, ast.Assign) and p.targets == [node] and isinstance(p.value, ast.Constant)
                             and type(p.value.value) in (int, float) or isinstance(p, ast.AugAssign)
                             and p.target is node and isinstance(p.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)))
    if isinstance(p, ast.Subscript) and p.value is node and not part:   # (an element or a part read)
        node, p = p, parent.get(id(p))
        if isinstance(p, ast.Assign) and p.value is node and len(p.targets) == 1 and isinstance(
                p.targets[0], ast.Name) and namer.made(p.targets[0].id, TEMP):   # (normalize's ``_t = acc[0]``)
            t = p.targets[0].id
            return all(_accumulated(n, parent.get(id(n)), parent, namer, kinds, nodes, part=True) for n in nodes
                       if isinstance(n, ast.Name) and n.id == t and n is not p.targets[0])
    if isinstance(p, (ast.BinOp, ast.UnaryOp, ast.Compare)) or isinstance(p, ast.AugAssign) and p.value is node:
        return True
    if isinstance(p, ast.Assign) and p.value is node:   # (stored into an array's memory: copied)
        return all(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)
                   and getattr(kinds.get(t.value.id), "is_array", False) for t in p.targets) or (
            not part and len(p.targets) == 1 and isinstance(p.targets[0], ast.Name) and p.targets[0].id == namer.ret)
    if isinstance(p, ast.Call) and any(a is node for a in p.args) and not any(k.arg in ("out", None)
                                                                               for k in p.keywords):
        f = p.func
        return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("np", "numpy") \
            and f.attr in _NEW_VALUE or isinstance(f, ast.Name) and f.id in ("float", "len")
    return False


def _op(op):
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%"}.get(type(op), "?")
