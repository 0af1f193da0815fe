"""numba_gather: an adjoint loop that adds into neighbours, as loops that gather.

The adjoint of a stencil ``w[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1])``
over a range reads and resets its own element of ``dw`` and adds into ``du``
at constant offsets of ``i``::

    for i in range(lo, hi):
        _d = dw[i]
        dw[i] = 0.0
        du[i + 1] += _d * r
        du[i] += _d * (1.0 - 2.0 * r)
        du[i - 1] += _d * r

Each element of ``du`` is then updated by three iterations one after another,
a chain through memory that runs at the speed of the stores (the heat
stencil's gradient cost 4.4 times its primal under numba, most of it here).
Where the iterations are independent, the same sums are taken per element of
``du`` instead, a loop numba vectorises, and the resets run after them::

    for j in range(lo + 1, hi - 1):
        du[j] += dw[j - 1] * r + dw[j] * (1.0 - 2.0 * r) + dw[j + 1] * r
    ...   (the first and last elements, where not every offset is in the range, apart)
    for i in range(lo, hi):
        dw[i] = 0.0

``gathered(loop, ...)`` decides it on the generated code alone and says no to
anything it does not recognise. The body may only bind names to expressions
(no calls but numpy's and math's functions and ``_ad_copy``), sum into local
floats (``dc = dc + _d * x[i]``: the reductions run in a loop of their own), add into
elements of arrays at the loop's variable plus a constant (``du[i + 1] += e``,
other index positions not changing in the loop), and reset elements to 0.0 at
the variable itself. The arrays it adds into or resets are parameters of the
function that it never binds again (parameters are distinct memory: their
callers refuse aliased arguments), or names bound outside the loop, whose
arrays a guard at run time finds apart from the others' (``_ad_apart``: the
shadows of two buffers whose names swap after each step); those it adds into are never read in the
loop, those it resets are read only at the element reset and before the reset;
the other arrays it reads are parameters too, not written in the loop (a second
name bound once to a parameter before the loop, ``dy_1 = dy``, neither bound
again, is read as the parameter: one array under two names). Names
the body binds (and the variable) are not read after the loop. At run time the
gathered form runs where the range is not empty and every index added into is
inside its array (no index counted from the end); elsewhere the loop as it was.
A loop counting down (the reverse sweep's order, where ``loop_order`` could not
show its iterations commute: two names that may hold one array) is taken too:
under those conditions and guards its iterations commute.
"""
from __future__ import annotations

import ast
import copy
from collections import Counter

from ..analysis.order import in_order
from ..codegen.emit import _MARK_RE
from ..codegen.naming import COPIES
from ..transform.loop_order import sum_reductions, summed_name

_PURE_CALLS = {"_ad_unbroadcast", "float", "abs"} | COPIES
_SCALARS = ("int", "float", "bool")
_PURE_MODULES = {"np", "math"}
# (the other nodes an expression may hold: no comprehension, lambda, walrus, slice or container display)
_ALLOWED = (ast.Constant, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.BoolOp, ast.Tuple,
            ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _n(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def _is_mark(s) -> bool:
    return isinstance(s, ast.Expr) and isinstance(s.value, ast.Name) and bool(_MARK_RE.match(s.value.id))


def _range_bounds(loop):
    """``(lo, hi)`` of ``for i in range(hi)`` / ``range(lo, hi)`` / ``range(lo, hi, 1)``, and of
    the same values counted down, ``range(hi - 1, lo - 1, -1)``; else None."""
    it = loop.iter
    if not (isinstance(loop.target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
            and it.func.id == "range" and not it.keywords and 1 <= len(it.args) <= 3) or loop.orelse \
            or any(isinstance(a, ast.Starred) for a in it.args):
        return None
    if len(it.args) == 3:
        if _counts_up(it.args[2]) is None:
            return None
        if not _counts_up(it.args[2]):
            return _shift(it.args[1], 1), _shift(it.args[0], 1)
    return (it.args[0] if len(it.args) >= 2 else ast.Constant(0)), it.args[1 if len(it.args) >= 2 else 0]


def _counts_up(step):
    """True for a step of 1, False for -1, else None."""
    if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) and isinstance(step.operand, ast.Constant):
        step = ast.Constant(-step.operand.value)
    if isinstance(step, ast.Constant) and type(step.value) is int and step.value in (1, -1):
        return step.value == 1
    return None


def _offset(e, var):
    """``c`` of an index ``var``, ``var + c``, ``c + var`` or ``var - c`` (``c`` an int constant), else None."""
    if isinstance(e, ast.Name) and e.id == var:
        return 0
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Sub)):
        a, b = e.left, e.right
        const = (lambda x: isinstance(x, ast.Constant) and type(x.value) is int)
        if isinstance(a, ast.Name) and a.id == var and const(b):
            return b.value if isinstance(e.op, ast.Add) else -b.value
        if isinstance(e.op, ast.Add) and isinstance(b, ast.Name) and b.id == var and const(a):
            return a.value
    return None


class _Body:
    """What a loop body does, or ``ok`` False."""

    def __init__(self, var, params, kind_of):
        self.var, self.params, self.kind_of = var, params, kind_of
        self.temps: dict = {}     # name -> its value as bound last, the temporaries it read replaced
        self.adds: list = []      # (array, index elements, position of the variable, offset, op, value)
        self.resets: dict = {}    # array -> (index dump, position of the statement in the body)
        self.reads: list = []     # (array, index dump, position of the statement)
        self.unbound: set = set()  # names read before the body binds them (carried: refused)
        self.reductions: set = set()   # scalars only summed into (loop_order.sum_reductions)
        self.sums: list = []      # their statements

    def element(self, t, allow_offset):
        """``(array, index elements, position of the variable, offset)`` of an element target, or None."""
        if not (isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in self.params):
            return None
        k = self.kind_of(t.value.id)
        idx = list(t.slice.elts) if isinstance(t.slice, ast.Tuple) else [t.slice]
        if k is None or k.cls != "array" or k.dtype != "f" or k.ndim != len(idx):
            return None
        at = [(p, _offset(e, self.var)) for p, e in enumerate(idx)]
        moving = [(p, c) for p, c in at if c is not None]
        if len(moving) != 1 or (moving[0][1] != 0 and not allow_offset):
            return None
        for p, e in enumerate(idx):
            if p != moving[0][0] and not self.invariant(e):
                return None
        return t.value.id, idx, moving[0][0], moving[0][1]

    def invariant(self, e) -> bool:
        """An int constant or a name the body does not bind (nor the variable)."""
        if isinstance(e, ast.Constant):
            return type(e.value) is int
        return isinstance(e, ast.Name) and e.id != self.var and e.id not in self.temps

    def expr(self, e, at) -> bool:
        for node in ast.walk(e):
            if isinstance(node, ast.Call):
                f = node.func
                pure = (isinstance(f, ast.Name) and f.id in _PURE_CALLS) or (
                    isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in _PURE_MODULES)
                if not pure or node.keywords:
                    return False
            elif isinstance(node, ast.Subscript):
                if not (isinstance(node.value, ast.Name) and node.value.id in self.params) \
                        or isinstance(node.slice, ast.Slice) or any(
                            isinstance(x, ast.Slice) for x in ast.walk(node.slice)):
                    return False
                self.reads.append((node.value.id, ast.dump(node.slice), at))
            elif isinstance(node, ast.Name):
                if node.id not in self.temps:
                    self.unbound.add(node.id)
                if node.id in self.temps or node.id == self.var or node.id in _PURE_MODULES \
                        or node.id in _PURE_CALLS or self.is_base(node, e):
                    continue
                k = self.kind_of(node.id)
                if k is None or k.cls not in _SCALARS:
                    return False   # (an array used whole, or a value of unknown kind)
            elif isinstance(node, ast.Attribute):
                if not (isinstance(node.value, ast.Name) and node.value.id in _PURE_MODULES):
                    return False
            elif not isinstance(node, _ALLOWED):
                return False
        return True

    @staticmethod
    def is_base(name, e) -> bool:
        """Whether the name node ``name`` is the array of a subscript in ``e`` (checked there)."""
        return any(isinstance(n, ast.Subscript) and n.value is name for n in ast.walk(e))

    def scan(self, body) -> bool:
        self.reductions = {n for n in sum_reductions(body) if n != self.var and n not in self.params
                           and getattr(self.kind_of(n), "cls", None) == "float"}
        for at, s in enumerate(body):
            if summed_name(s) in self.reductions:
                if not self.expr(s.value if isinstance(s, ast.AugAssign) else s.value.right, at):
                    return False
                self.sums.append(s)
            elif isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
                name = s.targets[0].id
                if name == self.var or name in self.params or not self.expr(s.value, at) or name in self.unbound:
                    return False   # (read before the body binds it: carried from one iteration to the next)
                self.temps[name] = _Substitute(self.temps).visit(copy.deepcopy(s.value))
            elif isinstance(s, ast.AugAssign) and isinstance(s.op, (ast.Add, ast.Sub)):
                el = self.element(s.target, True)
                if el is None or not self.expr(s.value, at) or not self.expr(s.target.slice, at):
                    return False
                self.adds.append((*el, s.op, _Substitute(self.temps).visit(copy.deepcopy(s.value))))
            elif isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.value, ast.Constant) \
                    and type(s.value.value) is float and s.value.value == 0.0:
                el = self.element(s.targets[0], False)
                if el is None or el[0] in self.resets or not self.expr(s.targets[0].slice, at):
                    return False
                self.resets[el[0]] = (ast.dump(s.targets[0].slice), at)
            else:
                return False
        added = {a[0] for a in self.adds}
        if added & set(self.resets):
            return False
        for array, dump, at in self.reads:
            if array in added:
                return False   # (read where it is added into: the order of the iterations shows)
            if array in self.resets and (dump != self.resets[array][0] or at > self.resets[array][1]):
                return False   # (read at another element, or after its reset)
        return True


def _loaded_outside(fn, loop, names) -> bool:
    """Whether a name of ``names`` may be read in ``fn`` after ``loop`` ran (a read
    after it, or before it inside a loop around it: the next iteration's), the
    loop variable of another ``for`` inside that ``for`` excepted."""
    order = in_order(fn.body, stop=loop)   # (statement, the loops around it)
    at = next(k for k, (st, _) in enumerate(order) if st is loop)
    enclosing = set(map(id, order[at][1]))
    for k, (st, around) in enumerate(order):
        if st is loop or (k < at and not enclosing & set(map(id, around))):
            continue   # (ours, or run before it and never after)
        own = [n for field, value in ast.iter_fields(st) if field not in ("body", "orelse", "finalbody", "handlers")
               for v in (value if isinstance(value, list) else [value]) if isinstance(v, ast.AST)
               for n in ast.walk(v)]
        for n in own:
            # (a read in the body of a ``for`` binding the name reads that loop's value)
            if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load) and not any(
                    isinstance(a, ast.For) and isinstance(a.target, ast.Name) and a.target.id == n.id
                    for a in around):
                return True
    return False


def _stored_anywhere(fn, names) -> bool:
    """Whether a parameter of ``names`` is bound again in ``fn`` (``x += v`` on an
    array updates it in place: not a binding)."""
    params = {a.arg for a in fn.args.args}
    in_place = {id(n.target) for n in ast.walk(fn) if isinstance(n, ast.AugAssign)}
    return any(isinstance(n, ast.Name) and n.id in names and n.id in params and isinstance(n.ctx, ast.Store)
               and id(n) not in in_place for n in ast.walk(fn))


def _apart(touched, local, written) -> list:
    """The run-time tests that two names, one of them local and one written, hold arrays apart."""
    return [ast.Call(_n("_ad_apart"), [_n(a), _n(b)], []) for a in sorted(touched) for b in sorted(touched)
            if a < b and (a in local or b in local) and (a in written or b in written)]


def _local_arrays(fn, params, kind_of) -> set:
    """The names ``fn`` binds (not its parameters) to float arrays: a loop may add into
    them where a guard at run time finds the arrays they then hold apart in memory
    (the shadows of two buffers whose names swap after each step)."""
    names = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - params
    return {n for n in names if getattr(kind_of(n), "cls", None) == "array" and kind_of(n).dtype == "f"}


class _Substitute(ast.NodeTransformer):
    def __init__(self, values):
        self.values = values

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.values:
            return copy.deepcopy(self.values[node.id])
        return node


def _parameter_aliases(fn, loop, kind_of) -> dict:
    """``{name: parameter}`` of the array parameters bound to a second name once, before the
    statement holding ``loop`` (``dy_1 = dy``, where the function updates ``y`` in place as a
    whole), neither name bound again: one array under two names, read as the parameter."""
    params = {a.arg for a in fn.args.args}
    in_place = {id(n.target) for n in ast.walk(fn) if isinstance(n, ast.AugAssign)}
    stores = Counter(n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                     and id(n) not in in_place)
    top = next((k for k, s in enumerate(fn.body) if any(n is loop for n in ast.walk(s))), 0)
    out = {}
    for s in fn.body[:top]:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and isinstance(s.value, ast.Name) and s.value.id in params and s.targets[0].id not in params \
                and stores[s.targets[0].id] == 1 and not stores[s.value.id] \
                and getattr(kind_of(s.value.id), "cls", None) == "array":
            out[s.targets[0].id] = s.value.id
    return out


class _Rename(ast.NodeTransformer):
    def __init__(self, names):
        self.names = names

    def visit_Name(self, node):
        return ast.copy_location(ast.Name(self.names[node.id], node.ctx), node) if node.id in self.names else node


def gathered(loop, fn, kind_of, counter) -> list | None:
    """The statements that replace ``loop`` (see the module docstring), or None.
    ``kind_of(name)`` is a name's kind, ``counter()`` a fresh number for names."""
    bounds = _range_bounds(loop)
    if bounds is None:
        return None
    aliases = _parameter_aliases(fn, loop, kind_of)
    work = _Rename(aliases).visit(copy.deepcopy(loop)) if aliases else loop   # (the arrays by their parameters)
    var = loop.target.id
    marks = [s for s in work.body if _is_mark(s)]
    body = [s for s in work.body if not _is_mark(s)]
    params = {a.arg for a in fn.args.args}
    local = _local_arrays(fn, params, kind_of)
    scan = _Body(var, params | local, kind_of)
    if not body or not scan.scan(body) or not scan.adds:
        return None
    groups: dict = {}
    for array, idx, pos, c, op, value in scan.adds:
        key = (array, pos, tuple(ast.dump(e) for p, e in enumerate(idx) if p != pos))
        groups.setdefault(key, []).append((idx, c, op, value))
    if all(len({c for _, c, _, _ in g}) == 1 for g in groups.values()):
        return None   # (no element gets sums from two iterations: nothing to gain)
    touched = {a[0] for a in scan.adds} | set(scan.resets) | {r[0] for r in scan.reads}
    if _stored_anywhere(fn, touched) or _loaded_outside(fn, loop, set(scan.temps) | {var}):
        return None   # (the sums are read after the loop: they end with the same values)
    if any(isinstance(e, ast.Name) and e.id in scan.temps for _, idx, *_ in scan.adds for e in idx):
        return None
    k = counter()
    lo, hi = f"_ad_gl{k}", f"_ad_gh{k}"
    before = [ast.Assign([_n(lo, ast.Store)], copy.deepcopy(bounds[0])),
              ast.Assign([_n(hi, ast.Store)], copy.deepcopy(bounds[1]))]
    guards = [ast.Compare(_n(lo), [ast.Lt()], [_n(hi)])]
    guards += _apart(touched, local, {a[0] for a in scan.adds} | set(scan.resets))
    code = []
    if scan.sums:   # the reductions (and the names they read) in a loop of their own
        keep = [s for s in body if (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
                                    and s.targets[0].id in scan.temps) or any(s is t for t in scan.sums)]
        code.append(ast.For(target=_n(var, ast.Store), iter=ast.Call(_n("range"), [_n(lo), _n(hi)], []),
                            body=copy.deepcopy(keep), orelse=[]))
    for gi, ((array, pos, _), adds) in enumerate(sorted(groups.items(), key=lambda kv: kv[0])):
        cs = [c for _, c, _, _ in adds]
        cmin, cmax = min(cs), max(cs)
        shape = ast.Subscript(ast.Attribute(_n(array), "shape", ast.Load()), ast.Constant(pos), ast.Load())
        guards += [ast.Compare(_shift(_n(lo), cmin), [ast.GtE()], [ast.Constant(0)]),
                   ast.Compare(_shift(_n(hi), cmax - 1), [ast.Lt()], [shape])]
        j = f"_ad_j{k}_{gi}"
        code += _gather_loops(array, pos, adds, var, j, lo, hi, cmin, cmax, f"_ad_acc{k}_{gi}")
    resets = [s for s in body if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Subscript)]
    if resets:
        code.append(ast.For(target=_n(var, ast.Store), iter=ast.Call(_n("range"), [_n(lo), _n(hi)], []),
                            body=copy.deepcopy(resets), orelse=[]))
    test = ast.BoolOp(ast.And(), guards)
    # (elsewhere the loop as it was, in its order: counted down where it was)
    span = [_n(lo), _n(hi)] if len(loop.iter.args) < 3 or _counts_up(loop.iter.args[2]) else \
        [_shift(_n(hi), -1), _shift(_n(lo), -1), ast.Constant(-1)]
    original = ast.For(target=copy.deepcopy(loop.target), iter=ast.Call(_n("range"), span, []),
                       body=copy.deepcopy(work.body), orelse=[])
    return marks + before + [ast.If(test=test, body=code, orelse=[original])]


def _shift(e, c):
    if c == 0:
        return e
    return ast.BinOp(e, ast.Add() if c > 0 else ast.Sub(), ast.Constant(abs(c)))


def _element(array, idx, pos, j):
    idx = [copy.deepcopy(e) for e in idx]
    idx[pos] = _n(j)
    return ast.Subscript(_n(array), idx[0] if len(idx) == 1 else ast.Tuple(idx, ast.Load()), ast.Store())


def _gather_loops(array, pos, adds, var, j, lo, hi, cmin, cmax, acc):
    """The loops adding the group's sums into ``array`` per element: the middle, where
    every offset's iteration is in the range, and the edges, where each is tested."""
    idx = adds[0][0]

    def term(c, value):
        return _Substitute({var: _shift(_n(j), -c)}).visit(copy.deepcopy(value))

    def signed(total, c, op, value):
        t = term(c, value)
        if total is None:
            return t if isinstance(op, ast.Add) else ast.UnaryOp(ast.USub(), t)
        return ast.BinOp(total, ast.Add() if isinstance(op, ast.Add) else ast.Sub(), t)
    total = None
    for _, c, op, value in adds:
        total = signed(total, c, op, value)
    middle = ast.For(target=_n(j, ast.Store),
                     iter=ast.Call(_n("range"), [_shift(_n(lo), cmax), _shift(_n(hi), cmin)], []),
                     body=[ast.AugAssign(_element(array, idx, pos, j), ast.Add(), total)], orelse=[])
    edge_body = [ast.Assign([_n(acc, ast.Store)], ast.Constant(0.0))]
    for _, c, op, value in adds:
        inside = ast.Compare(_n(lo), [ast.LtE(), ast.Lt()], [_shift(_n(j), -c), _n(hi)])
        edge_body.append(ast.If(inside, [ast.AugAssign(_n(acc, ast.Store), copy.deepcopy(op), term(c, value))], []))
    edge_body.append(ast.AugAssign(_element(array, idx, pos, j), ast.Add(), _n(acc)))

    def edge(start, stop):
        return ast.For(target=_n(j, ast.Store), iter=ast.Call(_n("range"), [start, stop], []),
                       body=copy.deepcopy(edge_body), orelse=[])
    first = edge(_shift(_n(lo), cmin), ast.Call(_n("min"), [_shift(_n(lo), cmax), _shift(_n(hi), cmax)], []))
    last = edge(ast.Call(_n("max"), [_shift(_n(hi), cmin), _shift(_n(lo), cmax)], []), _shift(_n(hi), cmax))
    return [first, middle, last]
