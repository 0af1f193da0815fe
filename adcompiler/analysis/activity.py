"""activity: which names and cells carry derivatives (varied and useful).

A value is *varied* if it depends on a Duplicated or Active argument and
*useful* if a Duplicated argument's final value or an Active return depends on
it; only values that are both get adjoint code. The analysis is
flow-insensitive (a superset of the precise answer), which costs some dead
adjoint code at worst, never a wrong derivative.
"""
from __future__ import annotations

import ast

from ..codegen.naming import is_generated
from ..errors import ActivityError
from ..frontend import notes
from .tuple_parts import displays_read


def analyse_activity(effects, kinds, params, activities, ret_active, pf=None, ret="_ret") -> set:
    """The set of active entities (``effects.cell(name)``)."""
    def ent(n):
        return effects.cell(n)

    def floaty(n):
        k = kinds.get(n)
        return k is None or k.is_float

    generated = is_generated(getattr(pf, "filename", ""))
    popped = popped_from_parameters(effects, params) if generated else set()
    pushed = _pushed_onto_parameters(effects, kinds, params) if generated else set()
    active, flows, _ = _varied_and_useful(effects, params, activities, ret_active, ret, floaty, popped, pushed)
    _refuse_untracked(effects, kinds, params, activities, ret_active, pf, ret)
    for p, a in zip(params, activities):
        e = ent(p)
        if a == "Const" and e in active and kinds.get(p) is not None and (kinds[p].is_float or kinds[p].cls == "tuple"):
            # (a container's items: an empty list, or one of ints, appended a differentiable value)
            stmt = next((s for srcs, d, s in flows if d == e), None)
            raise ActivityError(
                f"the Const argument `{p}` receives a differentiable value that flows to the result, "
                "so its derivative would be silently lost.",
                filename=getattr(pf, "filename", None), lineno=getattr(stmt, "lineno", None), construct=p,
                hint=(f"pass `{p}` as Duplicated(x, dx) (a scratch shadow of zeros is fine)." if kinds[p].cls
                      in ("array", "num", "float") else f"`{p}` is a {_container(kinds[p])}: "
                      "pass the arrays it holds as "
                      "arguments of their own (Duplicated where they are written with differentiable values), "
                      "or write the differentiable values into arrays that are arguments."))
    return active


def _container(kind) -> str:
    """What a container parameter is called in messages."""
    if kind.fields:
        return "record" if kind.keys else "named tuple"
    return "dict" if kind.keys else "list or tuple" if kind.cls == "tuple" else kind.cls


def popped_from_parameters(effects, params) -> set:
    """In generated code, the cells of names popped from a stack the function is
    given (the tape of a reverse half): what its forward half pushed, such as the
    shadow of an argument under another name, which the caller sees written."""
    from ..frontend import notes
    out = set()
    for _, (kind, dest), s in effects.flows:
        v = getattr(s, "value", None)
        if kind == "name" and notes.rule_kind(v) == "stack" and not v.args and \
                getattr(v.func.value, "id", None) in params:
            out.add(effects.cell(dest))
    return out


def _pushed_onto_parameters(effects, kinds, params) -> set:
    """In generated code, the cells of float arrays pushed by name onto a stack
    the function is given (the tape of a forward half): its reverse half may
    write them (a local shadow, pushed under two names that are one array), so
    their tangents must be arrays bound with them, one per array, not zeros
    made at each push."""
    from ..frontend import notes
    out = set()
    for s in effects.stmts:
        v = getattr(s, "value", None)
        if isinstance(s, ast.Expr) and notes.rule_kind(v) == "stack" and len(v.args) == 1 and \
                isinstance(v.args[0], ast.Name) and getattr(v.func.value, "id", None) in params:
            k = kinds.get(v.args[0].id)
            if k is not None and k.cls in ("array", "num") and k.dtype in ("f", "c"):
                out.add(effects.cell(v.args[0].id))
    return out


def _varied_and_useful(effects, params, activities, ret_active, ret, carries, useful_too=frozenset(),
                       varied_too=frozenset()) -> tuple:
    """(the cells both varied and useful, the flows between cells, the varied cells), where only
    names for which ``carries`` holds pass a derivative on; the cells
    ``useful_too`` are useful and ``varied_too`` varied whatever flows."""
    def ent(n):
        return effects.cell(n)
    varied = {ent(p) for p, a in zip(params, activities) if a in ("Duplicated", "Active")} | set(varied_too)
    useful = {ent(p) for p, a in zip(params, activities) if a == "Duplicated"} | set(useful_too)
    if ret_active:
        useful.add(ent(ret))
    flows = [({ent(s) for s in srcs if carries(s)}, ent(dest) if kind == "name" else dest, stmt)
             for srcs, (kind, dest), stmt in effects.flows]
    # (the elements of a tuple display that nothing reads, ``t = (a, b); return t[0]``, and of a returned
    # tuple that its caller does not read: not useful through the tuple)
    reads = displays_read(effects.stmts, ret, ret_active)
    if reads:
        flows = [(_parts_read(stmt.value, reads[stmt.targets[0].id], reads, ent, carries)
                  if _display_bound(stmt, reads) and d == ent(stmt.targets[0].id) else srcs, d, stmt) for srcs, d, stmt in flows]
    changed = True
    while changed:
        changed = False
        for srcs, d, _ in flows:
            if d not in varied and srcs & varied:
                varied.add(d)
                changed = True
            if d in useful and srcs - useful:
                useful |= srcs
                changed = True
    return varied & useful, flows, varied


def _display_bound(stmt, reads) -> bool:
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
        and stmt.targets[0].id in reads and isinstance(stmt.value, ast.Tuple)


def _parts_read(value, mask, reads, ent, carries) -> set:
    """The cells of the names in the elements of the tuple display ``value`` that ``mask`` (one
    entry per element, from the caller: ``tuple_parts.parts_read``) says its caller reads: a name
    with entries of its own (``reads``: a tuple display bound to it) as itself, a tuple display in
    the tuple by its own entries."""
    if mask is True:
        return {ent(x.id) for x in ast.walk(value) if isinstance(x, ast.Name) and carries(x.id)}
    out = set()
    for k, e in enumerate(value.elts):
        m = mask[k] if mask and k < len(mask) else False
        if not m:
            continue
        if isinstance(e, ast.Name) and e.id in reads:
            out.add(ent(e.id))
        elif isinstance(e, ast.Tuple) and m is not True:
            out |= _parts_read(e, m, reads, ent, carries)
        else:
            out |= {ent(x.id) for x in ast.walk(e) if isinstance(x, ast.Name) and carries(x.id)}
    return out


def varied_cells(effects, params, activities) -> set:
    """The cells that depend on a Duplicated or Active argument, whatever kind of value passes
    it on and whether or not a result uses them (the argument of a call declared constant)."""
    return _varied_and_useful(effects, params, activities, False, None, lambda n: True)[2]


def _refuse_untracked(effects, kinds, params, activities, ret_active, pf, ret):
    """Refuse a value that carries a derivative in a form no rule follows.

    The analysis above lets only float kinds carry derivatives. Run again with
    tuples and values of unknown kind allowed to carry them too: a name of such
    a kind that is then both varied and useful would drop a derivative
    silently (a tuple of arrays, a product with a value of unknown kind)."""
    def carrier(n):
        k = kinds.get(n)
        return k is None or k.is_float or k.cls == "other" or k.cls == "tuple" and not _of_ints(k)
    both, _, _ = _varied_and_useful(effects, params, activities, ret_active, ret, carrier)
    found = []
    for n in sorted(kinds):
        k = kinds[n]
        if k.is_float or k.cls not in ("tuple", "other") or _of_ints(k) or effects.cell(n) not in both:
            continue
        into = [(src, s) for src, (kind, dest), s in effects.flows if kind == "name" and dest == n]
        # (the binding the derivative flows through, not an initializer: ``_ret = None``)
        found.append((n, k, next((s for src, s in into if src), into[0][1] if into else None)))
    # (the first in the source: the others are bound from it)
    for n, k, stmt in sorted(found, key=lambda f: getattr(f[2], "lineno", None) or float("inf"))[:1]:
        what = "a tuple" if k.cls == "tuple" else "a value whose kind (float, array...) is unknown"
        rule = notes.rule(stmt.value) if isinstance(stmt, ast.Assign) else None
        if rule is not None and rule.doc:   # (a call's result its rule does not cover: say what it covers)
            what = f"the result of {rule.name}, {what} (its derivative is known for: {rule.doc})"
        given = n in params and k.cls == "tuple"   # (a list argument appended values with derivatives)
        raise ActivityError(
            f"a derivative flows here into `{n}`, a list or tuple the function is given, which adcompiler does "
            "not follow (the derivative would be lost)." if given else
            f"a derivative flows here through {what}, which adcompiler does not differentiate.",
            filename=getattr(pf, "filename", None), lineno=getattr(stmt, "lineno", None),
            construct=pf.line_text(stmt.lineno) if pf is not None and stmt is not None else n,
            hint=f"build the list inside the function ({n} = []), or write the values into an array that is "
                 "an argument (Duplicated)." if given else
                 "bind each array or float to its own name (return one value per helper), "
                 "or pass containers of constants as Const.")


def _of_ints(k) -> bool:
    """A tuple known to hold ints only (``(i, i + 1)``, an index): nothing in it carries a derivative (a
    list may: its appends)."""
    return k.seq == "tuple" and bool(k.elts) and not k.keys and all(
        e is not None and not e.weak and e.cls in ("int", "bool") for e in k.elts)


def check_reverse_activities(an, kinds, acts, ret_active, main: bool) -> None:
    """Refuse activities that cannot describe the function: Duplicated for a
    scalar, Active for what is indexed or written, an Active return of an
    array or of nothing (for the main function; callees return any kind)."""
    pf = an.pf
    for p, k, a in zip(an.params, kinds, acts):
        if a == "Duplicated" and k.cls not in ("array", "num"):
            raise ActivityError(f"`{p}` is Duplicated but is not an array.", filename=pf.filename,
                                lineno=pf.tree.lineno, construct=p, hint="use Active for float scalars.")
    for p, a in zip(an.params, acts):
        if a == "Active" and (p in an.eff.subscripted or an.eff.cell(p) in an.eff.written):
            raise ActivityError(f"`{p}` is Active but the function indexes or writes it like an array.",
                                filename=pf.filename, lineno=pf.tree.lineno, construct=p,
                                hint="use Duplicated(x, dx) for an array, or Const.")
    if main:
        _warn_control_only(an, acts, ret_active)
    if not (main and ret_active):
        return
    rk = an.kinds.get(an.namer.ret)
    if rk is not None and rk.cls == "array" and rk.ndim not in (0, None):
        raise ActivityError(f"the return activity is Active but `{pf.name}` returns an array "
                            f"of rank {rk.ndim}.", filename=pf.filename, lineno=pf.tree.lineno, construct=pf.name,
                            hint="return a float (e.g. np.sum(...)), or use Const as the return activity.")
    if not an.has_return:
        raise ActivityError(f"the return activity is Active but `{pf.name}` returns nothing.",
                            filename=pf.filename, lineno=pf.tree.lineno, construct=pf.name,
                            hint="use Const as the return activity.")


def _warn_control_only(an, acts, ret_active) -> None:
    """Warn where an Active or Duplicated argument reaches the results only through the conditions
    of branches or loops: its derivative is 0 by construction (a bisection's root as a function of
    the equation's parameter is a staircase), which is the derivative of the code, not of what it
    approximates."""
    import warnings

    from ..errors import AdCompilerWarning
    bound = {s.targets[0].id: s.value for s in an.eff.stmts if isinstance(s, ast.Assign) and len(s.targets) == 1
             and isinstance(s.targets[0], ast.Name)}   # (a condition is a name bound to the comparison)
    tests = [(s, t) for s in an.eff.stmts if isinstance(s, (ast.If, ast.While, ast.For))
             for t in ([s.iter if isinstance(s, ast.For) else s.test] +
                       [bound[n.id] for n in ast.walk(s.iter if isinstance(s, ast.For) else s.test)
                        if isinstance(n, ast.Name) and n.id in bound])]
    for p, a in zip(an.params, acts):
        if a not in ("Active", "Duplicated") or an.eff.cell(p) in an.eff.written:
            continue
        only = tuple("Active" if q == p else "Const" for q in an.params)   # (varied, useful only through others)
        outputs = {an.eff.cell(q) for q, x in zip(an.params, acts) if x == "Duplicated" and q != p}
        active, _, varied = _varied_and_useful(an.eff, an.params, only, ret_active, an.namer.ret,
                                               lambda n: True, useful_too=outputs)
        if an.eff.cell(p) in active:
            continue
        hit = next((s for s, t in tests if any(isinstance(n, ast.Name) and an.eff.cell(n.id) in varied
                                                for n in ast.walk(t))), None)
        if hit is not None:
            warnings.warn_explicit(
                f"{an.pf.filename}:{hit.lineno}: `{p}` reaches the result only through this condition, so its "
                "derivative is 0 (the derivative of the code: a root found by bisection is a staircase in the "
                "equation's parameters). Finish with a Newton step, or solve the equation where it has a "
                "derivative, to differentiate the root.", AdCompilerWarning, an.pf.filename, hit.lineno)


def refuse_container_changed_by_callee(ctx, call, callee, kinds) -> None:
    """Refuse a call of a user function that changes a list or tuple it is given where derivatives
    are involved: that appends to (or stores into) a list this function builds values that may
    carry derivatives (this function's kinds and activities see only its own pushes: the items
    would be read as what it pushed), or that writes into the arrays a list or tuple holds
    (``for W in layers: W *= s``, ``a, b = st; b[:] = ...``) when they carry derivatives or are
    written with values that do (a container is passed without shadows: the writes' derivatives
    were lost)."""
    if is_generated(ctx.pf.filename):
        return   # (generated code: its tapes are given to the halves it calls, which push onto them)
    held = {i for i, (a, k) in enumerate(zip(call.args, kinds)) if isinstance(a, ast.Name) and k is not None
            and (k.cls == "list" or k.cls in ("tuple", "other") and not _of_ints(k))}
    changed = held & set(callee.param_writes()) if held else set()
    if not changed:
        return
    varied = varied_cells(ctx.eff, ctx.params, [ctx.activities[p] for p in ctx.params])
    acts = ["Active" if isinstance(a, ast.Name) and ctx.eff.cell(a.id) in varied and k is not None
            and (k.is_float or k.cls == "other") and k.cls != "list" else "Const" for a, k in zip(call.args, kinds)]
    into = varied_cells(callee.eff, callee.params, acts)
    for i in sorted(changed):
        name, f = call.args[i].id, ast.unparse(call.func)
        carried = ctx.eff.cell(name) in varied   # (the arrays it holds carry derivatives)
        if kinds[i].cls == "list" and callee.eff.cell(callee.params[i]) in into and not carried:
            raise ActivityError(
                f"`{f}` appends to or stores into `{name}`, a list this function builds, values that carry "
                "derivatives, which adcompiler does not follow into the list (the derivative would be lost).",
                filename=ctx.pf.filename, lineno=call.lineno, construct=ctx.pf.line_text(call.lineno),
                hint=f"return the value from `{f}` and append it here (`{name}.append(...)`), or write the "
                     "values into an array.")
        if carried or callee.eff.cell(callee.params[i]) in into:
            shown = f"`{name}` holds (a list or tuple)" if not ctx.is_temp(name) else "a list or tuple holds"
            raise ActivityError(
                f"`{f}` writes into the arrays {shown}, whose values carry derivatives: "
                "adcompiler does not follow writes through a container passed to a function (the derivative "
                "would be lost).", filename=ctx.pf.filename, lineno=call.lineno,
                construct=ctx.pf.line_text(call.lineno),
                hint=f"pass the arrays to `{f}` as arguments of their own (`{f}(a, b, ...)`), or write them in "
                     "this function.")
