"""loop_order: reversed loops whose iterations commute run forward.

The reverse sweep runs a loop's adjoint iterations in reverse order. When
they do not depend on one another, any order gives the same derivatives, and
the forward order is the one compilers vectorise and caches prefetch: the
innermost loop of gemm's adjoint (``da[i, k] += g * b[k, j]``,
``db[k, j] += g * a[i, k]``) runs 1.6x faster under numba counting up.

``order_free(body, cell)`` decides it from the generated code alone, and
says no to anything it does not recognise:

- statements are assignments, augmented assignments and nested ``for``
  loops; calls are numpy or math functions, ``float``/``int``/``abs`` and
  the pure helpers (no tape pop, no user function);
- memory written by ``+=``/``-=`` (accumulations, which commute) is not read
  in the body, memory written by ``=`` only ever gets one constant (an
  idempotent reset) and is neither read nor accumulated, and no written
  memory is used whole (``cell`` maps a name to its memory, views and
  shadows included); or, in a loop over a range, each iteration touches only
  its own elements of every memory it writes and reads: every access goes through one
  name with the loop's variable itself at one position of the index
  (``_d = du[i]; du[i] = 0.0; dw[i] += _d``, the adjoint of ``u[i] = w[i]``:
  10% of the heat stencil's gradient under numba), other memory it writes
  being only accumulated into (``du[i - 1] += _d``, never read);
- every name the body binds is bound before it is read in each iteration
  (nothing carries from one iteration to the next), and a name bound in a
  nested loop is not read outside it; a name the body only sums into
  (``dc = dc + _d * x[i]``, the adjoint of a coefficient every iteration
  reads) is a reduction, whose terms commute.

``drop_self_reset`` first removes the no-op the adjoint of ``acc += e`` leaves
in a loop body: ``g = d; d = 0.0; d = d + g`` sets ``d`` to its own value.
"""
from __future__ import annotations

import ast

from ..codegen.naming import COPIES

PURE_HELPERS = {"_ad_unbroadcast", "float", "int", "abs", "range", "len", "reversed"} | COPIES
PURE_MODULES = {"np", "math"}


def drop_self_reset(body: list) -> list:
    """``g = d; d = 0.0; d = d + g`` (or ``d += g``) without its last two statements."""
    out = list(body)
    k = 0
    while k + 2 < len(out):
        a, b, c = out[k], out[k + 1], out[k + 2]
        if _copy_of_name(a) and _zeroes(b, a.value.id) and _adds_back(c, a.value.id, a.targets[0].id):
            del out[k + 1:k + 3]
            continue
        k += 1
    return out


def _copy_of_name(s) -> bool:
    return isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
        and isinstance(s.value, ast.Name) and s.targets[0].id != s.value.id


def _zeroes(s, d) -> bool:
    return isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
        and s.targets[0].id == d and isinstance(s.value, ast.Constant) and s.value.value == 0.0 \
        and type(s.value.value) is float


def _adds_back(s, d, g) -> bool:
    if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add):
        return isinstance(s.target, ast.Name) and s.target.id == d and isinstance(s.value, ast.Name) \
            and s.value.id == g
    if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and s.targets[0].id == d and isinstance(s.value, ast.BinOp) and isinstance(s.value.op, ast.Add):
        ops = {type(x).__name__ + ":" + getattr(x, "id", "") for x in (s.value.left, s.value.right)}
        return ops == {"Name:" + d, "Name:" + g}
    return False


class _Scan:
    def __init__(self, cell, bound: set, var=None):
        self.cell = cell
        self.var = var                 # the loop's variable (None: not known)
        self.bound = bound             # the names the body binds
        self.reads: set = set()        # memory read by subscript
        self.whole: set = set()        # memory used as a whole (a name load of an array)
        self.accumulated: set = set()  # memory written by += / -=
        self.reset: dict = {}          # memory written by = -> the constants written
        self.first: dict = {}          # name -> "read" or "write" (its first use in an iteration)
        self.inner: dict = {}          # name bound in a nested loop -> that loop
        self.access: dict = {}         # memory -> {(name, position of the loop's variable in the index)}
        self.reductions: set = set()   # names only summed into (sum_reductions)
        self.open: list = [None]       # the nested loops the scan is in (None: the body itself)
        self.ok = True

    def fail(self):
        self.ok = False

    def use(self, name, how, loop):
        if name in self.reductions:
            return   # (summed into only: the sums commute)
        if name in self.inner and self.inner[name] not in self.open:
            self.fail()   # (used outside the nested loop that binds it: it carries a value out)
        self.first.setdefault(name, how)
        if how == "write" and loop is not None:
            self.inner.setdefault(name, loop)

    def expr(self, e, loop):
        for node in ast.walk(e):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in PURE_HELPERS or isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in PURE_MODULES \
                        and not any(k.arg == "out" for k in node.keywords):
                    pass
                else:
                    self.fail()
            elif isinstance(node, ast.Subscript):
                if not isinstance(node.value, ast.Name):
                    self.fail()
                    continue
                self.reads.add(self.cell(node.value.id))
                self.accessed(node)
        subscripted = {id(n.value) for n in ast.walk(e) if isinstance(n, ast.Subscript)}
        funcs = {id(n.func) for n in ast.walk(e) if isinstance(n, ast.Call)} | \
            {id(n.func.value) for n in ast.walk(e) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        for node in ast.walk(e):
            if isinstance(node, ast.Name) and id(node) not in funcs:
                if id(node) in subscripted:
                    continue
                self.whole.add(self.cell(node.id))
                self.use(node.id, "read", loop)

    def block(self, stmts, loop):
        for s in stmts:
            if not self.ok:
                return
            if isinstance(s, ast.Expr) and isinstance(s.value, (ast.Name, ast.Constant)):
                continue   # (a comment marker)
            if isinstance(s, ast.For):
                if s.orelse or not isinstance(s.target, ast.Name):
                    self.fail()
                    return
                self.expr(s.iter, loop)
                self.use(s.target.id, "write", s)
                self.open.append(s)
                self.block(s.body, s)
                self.open.pop()
            elif isinstance(s, ast.Assign) and len(s.targets) == 1:
                self.expr(s.value, loop)
                self.target(s.targets[0], s.value, None, loop)
            elif isinstance(s, ast.AugAssign):
                self.expr(s.value, loop)
                self.target(s.target, s.value, s.op, loop)
            else:
                self.fail()

    def target(self, t, value, op, loop):
        if isinstance(t, ast.Name):
            if op is not None:
                self.use(t.id, "read", loop)
            self.use(t.id, "write", loop)
        elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
            self.expr(t.slice, loop)
            self.accessed(t)
            c = self.cell(t.value.id)
            if op is None:
                if not isinstance(value, ast.Constant):
                    self.fail()
                self.reset.setdefault(c, set()).add(repr(getattr(value, "value", None)))
            elif isinstance(op, (ast.Add, ast.Sub)):
                self.accumulated.add(c)
            else:
                self.fail()
        else:
            self.fail()

    def accessed(self, node):
        """Record which of ``node``'s index positions is the loop's bare variable (None: none)."""
        idx = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        at = [k for k, e in enumerate(idx) if isinstance(e, ast.Name) and e.id == self.var]
        if any(isinstance(e, ast.Starred) or (isinstance(e, ast.Constant) and e.value in (None, Ellipsis))
               or (isinstance(e, ast.Name) and e.id == "None") for e in idx):
            at = []   # (``...`` and ``None`` move the axes: a position is no axis)
        self.access.setdefault(self.cell(node.value.id), set()).add((node.value.id, at[0] if at else None))

    def own(self, c) -> bool:
        """Whether each iteration touches only its own elements of memory ``c``:
        every access goes through one name the body does not bind, with the
        loop's variable itself at one position of the index, and ``c`` is never
        used whole (iterations of a range take distinct values)."""
        (name, at), *more = self.access.get(c, {(None, None)})
        return not more and at is not None and name not in self.bound and self.var not in self.bound \
            and c not in self.whole

    def verdict(self) -> bool:
        if not self.ok:
            return False
        # memory only accumulated (never read, never reset) takes its sums in any order; memory
        # written and read, reset and accumulated, or reset to two constants: only where each
        # iteration keeps to its own elements of it (the heat stencil's adjoint reads and resets
        # dw[i] and accumulates du[i - 1], du[i + 1]: dw is its own, du only summed into)
        shared = {c for c in self.accumulated | set(self.reset)
                  if c in self.reads or c in self.whole or (c in self.reset and c in self.accumulated)
                  or len(self.reset.get(c, ())) > 1}
        if not all(self.own(c) for c in shared):
            return False
        return all(how == "write" for name, how in self.first.items() if name in self.inner or name in self.bound)


def counting_var(loop):
    """The variable of ``for i in range(...)`` whose values are distinct and not
    negative (no start, or an int constant >= 0, and no step or a positive int
    constant), else None: ``x[i]`` is then another element at each iteration."""
    it = loop.iter
    if not (isinstance(loop.target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
            and it.func.id == "range" and not it.keywords and 1 <= len(it.args) <= 3):
        return None

    def const(e, least):
        return isinstance(e, ast.Constant) and type(e.value) is int and e.value >= least
    if any(isinstance(a, ast.Starred) for a in it.args) or (len(it.args) >= 2 and not const(it.args[0], 0)) \
            or (len(it.args) == 3 and not const(it.args[2], 1)):
        return None
    return loop.target.id


def summed_name(s):
    """``name`` of ``name = name + e``, ``name = name - e``, ``name += e`` or
    ``name -= e`` where ``e`` does not read ``name``, else None."""
    if isinstance(s, ast.AugAssign) and isinstance(s.op, (ast.Add, ast.Sub)) and isinstance(s.target, ast.Name):
        name, e = s.target.id, s.value
    elif isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
            and isinstance(s.value, ast.BinOp) and isinstance(s.value.op, (ast.Add, ast.Sub)) \
            and isinstance(s.value.left, ast.Name) and s.value.left.id == s.targets[0].id:
        name, e = s.targets[0].id, s.value.right
    else:
        return None
    return None if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(e)) else name


def sum_reductions(body: list) -> set:
    """The names the statements of ``body`` only sum into (``summed_name``), used
    nowhere else in it: a reduction, whose terms commute (the adjoint of a scalar
    read in every iteration, ``dc = dc + _d * x[i]``)."""
    summing: dict = {}
    for s in body:
        name = summed_name(s)
        if name is not None:
            summing[name] = summing.get(name, 0) + (1 if isinstance(s, ast.AugAssign) else 2)
    uses: dict = {}
    for node in ast.walk(ast.Module(body=list(body), type_ignores=[])):
        if isinstance(node, ast.Name) and node.id in summing:
            uses[node.id] = uses.get(node.id, 0) + 1
    return {name for name, k in summing.items() if uses.get(name) == k}


def order_free(body: list, cell, var=None) -> bool:
    """Whether the iterations of a reversed loop whose body is ``body`` may run
    in any order (see the module docstring); ``cell(name)`` is the memory a
    name stands for, ``var`` the loop's variable (``counting_var``)."""
    bound = set()
    for node in ast.walk(ast.Module(body=list(body), type_ignores=[])):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, (ast.AugAssign, ast.For)) else []
        bound |= {t.id for t in targets if isinstance(t, ast.Name)}
    scan = _Scan(cell, bound, var)
    scan.reductions = sum_reductions(body)
    scan.block(body, None)
    return scan.verdict()


def forward_where_free(code: list) -> None:
    """Each loop of ``code`` kept reversed with an ``order_again`` (``(cell, var)`` as
    ``order_free`` takes them) run forward, in place, where its body, now that the
    first accumulation into an adjoint zero at each iteration's start is an assignment
    (``zeros``), passes ``order_free``: gemm's ``dacc = dacc + dc[i, j]`` read the
    accumulator first, but ``dacc`` is zero on entry and reset at each iteration's end,
    and the assignment ``dacc = dc[i, j]`` says so."""
    for node in ast.walk(ast.Module(body=code, type_ignores=[])):
        again = getattr(node, "order_again", None)
        if isinstance(node, ast.For) and again:
            it = node.iter
            if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed" \
                    and len(it.args) == 1 and order_free(node.body, *again):
                node.iter = it.args[0]
