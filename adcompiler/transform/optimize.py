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
``c = b * -k``. ``optimize_line`` runs both on one line's code.

``listify_reversed`` runs a reversed element-by-element loop on Python lists
(``listify_loop``), with the single-use temporaries of its body inlined
(``inline_single_use``).
"""
from __future__ import annotations

import ast
import copy

from ..analysis.order import walk_stmts
from .simplify import (
    _names,
    _Replace,
    _simple_value,
    drop_unbroadcast,
    fold_into_unreduce,
)

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
    store = ast.Subscript(ast.Name(dm, ast.Load()), region.slice, ast.Store())
    first = [k for k, m in enumerate(merged[:2]) if isinstance(m, ast.Name) and m.id == g]
    if len(merged) >= 2 and first:
        # the region still holds g: add the other terms in place, in the
        # order the sum would (a + g == g + a exactly)
        rest = merged[1 - first[0]:2 - first[0]] + merged[2:]
        return [view] + computes + [ast.AugAssign(target=copy.deepcopy(store), op=ast.Add(), value=m)
                                    for m in rest] + updates
    total = merged[0] if merged else ast.Constant(0.0)
    for m in merged[1:]:
        total = ast.BinOp(total, ast.Add(), m)
    assign = ast.Assign(targets=[store], value=total)
    return [view] + computes + [assign] + updates


def optimize_line(code: list, facts=None) -> list:
    """The peephole passes over one source line's reverse code (its first
    statement, the comment naming the line, stays first). ``facts`` are what
    is known of the function's shapes (``simplify.line_facts``)."""
    head, body = code[:1], code[1:]
    body = fold_negation(body, lambda name: _used_twice(name, body))
    body = fold_into_unreduce(body)
    if facts is not None:
        body = drop_unbroadcast(body, *facts)
    return head + schedule_store(body)


def _used_twice(name, code) -> bool:
    """``name`` is bound once and read once in ``code``."""
    return sum(1 for s in code for n in ast.walk(s) if isinstance(n, ast.Name) and n.id == name) == 2


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


# -- scalar loops on Python lists ---------------------------------------------------------

def _int_index(idx, int_names) -> bool:
    for node in ast.walk(idx):
        if isinstance(node, ast.Name):
            if node.id not in int_names:
                return False
        elif isinstance(node, ast.Constant):
            if type(node.value) is not int:
                return False
        elif not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.expr_context)):
            return False
    return True


def listify_loop(loop: ast.For, arrays: dict, int_names: set, fresh, params=()) -> tuple | None:
    """A reversed loop whose body only reads and writes single elements of
    1-D arrays runs on Python lists: ``_ad_as_list(x)`` before,
    ``_ad_put_list(x, x_l)`` after for the arrays it writes. Indexing a list
    costs a fraction of indexing a numpy array, and the values are the same
    float64 numbers. A list costs four times its array's memory, so a long
    array (``runtime.core.LIST_LIMIT`` elements) stays an array.

    ``arrays`` maps each candidate name to its memory (names sharing memory
    are never both converted); ``int_names`` are the names known to hold
    integers. Returns the replacement statements and the names of ``params``
    to test before them (``_widen``), or None to keep the loop.
    """
    scan = _scalar_body(loop, arrays, int_names)
    if scan is None:
        return None
    used, written = scan
    names = {x: fresh(x) for x in sorted(used)}

    class Swap(ast.NodeTransformer):
        """Indexes the lists in place of the arrays."""

        def visit_Subscript(self, node):
            self.generic_visit(node)
            if isinstance(node.value, ast.Name) and node.value.id in names:
                node.value = ast.Name(names[node.value.id], ast.Load())
            return node
    body = [Swap().visit(copy.deepcopy(s)) for s in loop.body]
    guarded = _widen(body, loop, set(names.values()) | int_names, params)
    before = [ast.Assign(targets=[ast.Name(names[x], ast.Store())],
                         value=ast.Call(ast.Name("_ad_as_list", ast.Load()), [ast.Name(x, ast.Load())], []))
              for x in sorted(used)]
    after = [ast.Expr(ast.Call(ast.Name("_ad_put_list", ast.Load()),
                               [ast.Name(x, ast.Load()), ast.Name(names[x], ast.Load())], []))
             for x in sorted(written)]
    new = ast.For(target=loop.target, iter=loop.iter, body=body, orelse=[])
    return before + [new] + after, guarded


def _widen(body, loop, skip, params) -> list:
    """Python floats meet numpy's narrow scalars in the list form as float64
    elements did not (``runtime.lists.wide``): values popped in the body and
    scalars bound before the loop are read through ``_ad_wide``, except the
    parameters among ``params``, returned to be tested once before the loop."""
    target = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    bound, guarded = set(target), []
    for s in body:
        if isinstance(s, ast.Expr):
            continue
        bases = {id(n.value) for n in ast.walk(s) if isinstance(n, ast.Attribute)} | \
            {id(n.func) for n in ast.walk(s) if isinstance(n, ast.Call)}
        outside = [n for n in ast.walk(s.value) if isinstance(n, ast.Name) and id(n) not in bases
                   and n.id not in bound and n.id not in skip and not n.id.startswith("_ad_")]
        if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
            bound.add(s.target.id)
        for n in {n.id for n in outside} & set(params):
            if n not in guarded:
                guarded.append(n)
        s.value = _Wide({id(n) for n in outside if n.id not in params}).visit(s.value)
        for t in (s.targets if isinstance(s, ast.Assign) else [s.target]):
            bound |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return guarded


class _Wide(ast.NodeTransformer):
    """Reads the names in ``nodes`` (ids) and the values popped through ``_ad_wide``."""

    def __init__(self, nodes):
        self.nodes = nodes

    def visit_Name(self, node):
        return _call("_ad_wide", node) if id(node) in self.nodes else node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        return _call("_ad_wide", node) if isinstance(f, ast.Attribute) and f.attr == "pop" else node


def _call(name, *args):
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


def _scalar_body(loop, arrays, int_names):
    """(arrays read -> their memory, arrays written) when ``loop``'s body only
    reads and writes single elements of ``arrays``, else None."""
    used, written = {}, set()
    scalar_ops = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop,
                  ast.expr_context, ast.Subscript, ast.Tuple)
    for s in loop.body:
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Name):
            continue                                          # a comment marker
        if not isinstance(s, (ast.Assign, ast.AugAssign)):
            return None
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        for node in ast.walk(s):
            if isinstance(node, ast.Call):
                f = node.func
                ok = isinstance(f, ast.Name) and f.id == "_ad_unbroadcast" and len(node.args) == 2 and \
                    isinstance(node.args[1], ast.Tuple) and not node.args[1].elts
                ok = ok or (isinstance(f, ast.Attribute) and f.attr == "pop" and not node.args)
                if not ok:
                    return None
            elif isinstance(node, ast.BinOp) and not same_on_python_floats(node):
                return None
            elif isinstance(node, ast.Subscript):
                if not (isinstance(node.value, ast.Name) and node.value.id in arrays
                        and _int_index(node.slice, int_names)):
                    return None
                used[node.value.id] = arrays[node.value.id]
            elif isinstance(node, ast.Name) and node.id in arrays and not any(
                    isinstance(p, ast.Subscript) and p.value is node for p in ast.walk(s)):
                return None                                   # the whole array is used
            elif not isinstance(node, scalar_ops + (ast.Call, ast.Attribute, ast.Assign, ast.AugAssign)):
                return None
        for t in targets:
            if isinstance(t, ast.Subscript):
                written.add(t.value.id)
            elif isinstance(t, ast.Name) and t.id in arrays:
                return None
    if not used or len(set(used.values())) != len(used):
        return None
    return used, written


def same_on_python_floats(e: ast.BinOp) -> bool:
    """Whether Python floats give what numpy's give: a division (or ``//``, ``%``)
    by zero raises on them where numpy gives inf or nan, and a power of a
    negative number is a complex number where numpy gives nan."""
    r = e.right
    if isinstance(e.op, (ast.Div, ast.FloorDiv, ast.Mod)):
        return isinstance(r, ast.Constant) and type(r.value) in (int, float) and r.value != 0
    if isinstance(e.op, ast.Pow):
        return isinstance(r, ast.Constant) and type(r.value) in (int, float) and r.value >= 0 and \
            float(r.value).is_integer()
    return True


def listify_reversed(sweeps, s, loop):
    """``loop``, the reversed loop of the reverse sweep of statement ``s``, run
    on Python lists (``listify_loop``), or None to keep it; only loops not
    nested in another loop, so each list is built once."""
    ctx = sweeps.ctx
    if not ctx.module.options.listify or sweeps.in_loop(s):
        return None
    arrays = {}
    lists = _python_lists(sweeps)
    for n, k in ctx.kinds.items():
        if k.cls == "array" and k.ndim == 1 and k.dtype == "f" and sweeps.nbind.get(n, 0) <= 1 \
                and ctx.eff.memory_of.get(n, n) not in lists:
            arrays[n] = ctx.eff.memory_of.get(n, n)
            if ctx.needs_shadow(n) or n in ctx.params and ctx.activities.get(n) == "Duplicated":
                d = ctx.namer.adjoint(n)
                if sweeps.nbind.get(d, 0) <= 1:
                    arrays[d] = ("shadow", arrays[n])
    ints = {n for n, k in ctx.kinds.items() if k.cls == "int"}
    names = sweeps.list_names

    def list_name(x):
        if x not in names:
            names[x] = ctx.namer.reserve(x + "_list")
        return names[x]
    always_bound = set(ctx.params) | set(ctx.namer.adjoints.values())   # (adjoints of scalars start at 0.0)
    listed = listify_loop(loop, arrays, ints, list_name, always_bound)
    if listed is None:
        return None
    new, guarded = listed
    temps = ctx.namer.generated | {ctx.namer.adjoints[n] for n in ctx.namer.generated if n in ctx.namer.adjoints}
    loop_stmt = next(x for x in new if isinstance(x, ast.For))
    loop_stmt.body = inline_single_use(loop_stmt.body, lambda n: n in temps)
    return _guard_argument_aliasing(ctx, new, loop, arrays, guarded)


def _python_lists(sweeps) -> set:
    """The memory of names bound to Python lists the kinds take for arrays
    (``[0.0] * n``, a list display, a sum of lists): it is not made a list again."""
    ctx = sweeps.ctx
    names: set = set()
    changed = True
    while changed:
        changed = False
        for st in walk_stmts(sweeps.body):
            if not (isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name)) or st.targets[0].id in names:
                continue
            v = st.value
            if isinstance(v, ast.List) or isinstance(v, ast.BinOp) and any(
                    isinstance(x, ast.List) or isinstance(x, ast.Name) and x.id in names for x in (v.left, v.right)):
                names.add(st.targets[0].id)
                changed = True
    return {ctx.eff.memory_of.get(n, n) for n in names}


def _call_named(e, name) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == name


def _guard_argument_aliasing(ctx, new, loop, arrays, guarded=()):
    """Arguments are separate memory to the analysis, but a caller may pass
    one array twice where both are only read, and then their shadows are
    one array too: a list written back would overwrite the other's
    contributions. Take the list form only when the arrays are separate,
    and when none of the scalars ``guarded`` is a narrow numpy scalar (``_widen``)."""
    params = ctx.param_memory()
    listed = [s.value.args[0].id for s in new if isinstance(s, ast.Assign) and _call_named(s.value, "_ad_as_list")]
    written = {s.value.args[0].id for s in new if isinstance(s, ast.Expr) and _call_named(s.value, "_ad_put_list")}

    def mem(x):
        m = arrays.get(x)
        return m[1] if isinstance(m, tuple) else m
    shared = [x for x in listed if mem(x) in params]
    tests = [_call("_ad_all_wide", *(ast.Name(x, ast.Load()) for x in guarded))] if guarded else []
    if len(shared) >= 2 and written & set(shared):
        tests.insert(0, _call("_ad_disjoint", *(ast.Name(x, ast.Load()) for x in shared)))
    if not tests:
        return new
    return [ast.If(test=tests[0] if len(tests) == 1 else ast.BoolOp(ast.And(), tests), body=new, orelse=[loop])]


# -- single-use temporaries ------------------------------------------------------------------

def inline_single_use(code: list, is_temp) -> list:
    """Substitute ``t = expr`` into the one later statement of the same block
    that reads ``t``, when nothing in between rebinds a name ``expr`` reads or
    stores into memory it subscripts, and ``t`` is read nowhere else (``is_temp``
    says which names are generated temporaries). Fewer statements per element
    is what makes scalar reverse loops fast."""
    code = list(code)
    changed = True
    while changed:
        changed = False
        for i, s in enumerate(code):
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                    and is_temp(s.targets[0].id) and _simple_value(s.value)):
                continue
            t = s.targets[0].id
            reads = _names(s.value)
            bases = {n.value.id for n in ast.walk(s.value) if isinstance(n, ast.Subscript)
                     and isinstance(n.value, ast.Name)}
            uses = [j for j in range(i + 1, len(code)) if t in _loaded(code[j])]
            if len(uses) != 1 or any(t in _stored(code[j]) for j in range(i + 1, len(code))):
                continue
            j = uses[0]
            if sum(1 for n in ast.walk(code[j]) if isinstance(n, ast.Name) and n.id == t) != 1:
                continue
            between = code[i + 1:j + 1]
            if any(_stored(b) & (reads | bases) for b in between[:-1]):
                continue
            code[j] = _Replace(t, s.value).visit(code[j])
            del code[i]
            changed = True
            break
    return code


def _loaded(stmt) -> set:
    out = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        out.add(stmt.target.id)
    return out


def _stored(stmt) -> set:
    """Names rebound and arrays/lists stored into by ``stmt``."""
    out = set()
    if isinstance(stmt, (ast.For, ast.While, ast.If, ast.With)):
        return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}   # anything: be conservative
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] \
        if isinstance(stmt, ast.AugAssign) else []
    for t in targets:
        while isinstance(t, ast.Subscript):
            t = t.value                     # x[i] = ... stores into x (and reads i)
        if isinstance(t, ast.Name):
            out.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            out |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        out |= {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}   # a call may mutate its arguments
    return out
