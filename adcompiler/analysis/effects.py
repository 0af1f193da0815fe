"""effects: memory cells, writes and differentiable data flow.

Names that may refer to the same array (``v = x[1:]``, ``y = x``, ``t = x.T``)
are united into one *cell*; a cell is what a Duplicated shadow mirrors. For
each statement this pass records which cells it writes and which names flow
differentiably into what. It never changes the tree.

Contract: ``Effects(body, kinds, params, callee_writes)`` exposes

- ``cell(name)``: the representative of the name's cell;
- ``written``: cells written in place (stores, ``+=`` on arrays, callees);
- ``flows``: list of (source names, destination name or cell, statement);
- ``memory_names``: array names whose adjoint is a shadow array updated in
  place (parameters, names written or subscripted, views of written cells,
  arguments of user functions).
"""
from __future__ import annotations

import ast

import numpy as np

from ..frontend import notes
from ..rules.registry import is_runtime_helper
from .order import walk_stmts

VIEW_RULES = ("view",)


class Effects:
    """Which names share memory (cells, united through views and aliases), which
    memory is written and by which statements, and how values flow between
    cells. Read-only: it never changes the body it analyses."""

    def __init__(self, body, kinds: dict, params: list, callee_writes, index_is_basic, temps=frozenset(),
                 callee_ret_alias=None, callee_ret_shares=None):
        self.kinds = kinds
        self.temps = temps
        self.binding_line: dict = {}
        self.params = params
        self.parent: dict = {}
        self.written: set = set()
        self.writers: dict = {}       # cell -> list of statements writing it
        self.stmt_writes: dict = {}   # id of a statement -> the names it writes through
        self.flows: list = []
        self.subscripted: set = set()
        self.views: dict = {}         # name -> base name for view bindings
        self.call_args: set = set()
        self.callee_writes = callee_writes
        # (function, call) -> index of the argument whose memory a user function returns, or None
        self.callee_ret_alias = callee_ret_alias or (lambda f, call: None)
        #: whether arrays of a tuple a user function returns may share memory
        self.callee_ret_shares = callee_ret_shares or (lambda f, call: True)
        self.index_is_basic = index_is_basic
        self.stmts = list(walk_stmts(body))
        once = _bound_once(self.stmts)
        # (another name for such a tuple, ``tp2 = tp``, holds the same arrays)
        # (a list display of arrays under a name, whose kind is a tuple's, holds them alike)
        self.tuples = follow_bindings({n: v.elts for n, v in once.items() if isinstance(v, ast.Tuple) or (
            isinstance(v, ast.List) and kinds.get(n) is not None and kinds[n].cls == "tuple")},
                                      [(n, v.id) for n, v in once.items() if isinstance(v, ast.Name)])
        self.fresh_tuples = _fresh_tuples(once, kinds, self.callee_ret_shares)
        #: the memory of each element of those tuples (``view_base`` of ``t[k]``)
        self.elements = {_element(n, k) for n, c in self.fresh_tuples.items() for k in range(c)}
        for s in self.stmts:
            self._views(s)
        for s in self.stmts:
            self._effects(s)
        # Second round: a view of memory that is never written behaves like a
        # value, so only views into written cells share a cell.
        written = self.written
        bases = set(self.views.values())
        keep = {n for n in self.views if self.cell(n) in written
                and not (n in self.temps and n not in bases and not self._call_writes_in_group(n))}
        # memory identity for staleness: every view shares its base's memory
        names = set(self.kinds) | set(self.parent)
        self.memory_of = {n: self.cell(n) for n in names}
        self.memory_writers = {c: list(ws) for c, ws in self.writers.items()}
        self._reset()
        for s in self.stmts:
            self._views(s, keep)
        for s in self.stmts:
            self._effects(s)
        self.memory_names = self._memory_names()

    def writers_of_memory(self, name) -> list:
        """Statements that write memory ``name`` may share (views included; for a
        tuple of separate arrays, those that write any of its elements)."""
        out = self.memory_writers.get(self.memory_of.get(name, name), [])
        n = self.fresh_tuples.get(name)
        if n is not None:
            out = list(out)
            for k in range(n):
                e = _element(name, k)
                out += [w for w in self.memory_writers.get(self.memory_of.get(e, e), []) if w not in out]
        return out

    def _reset(self):
        self.parent, self.written, self.writers, self.flows = {}, set(), {}, []
        self.subscripted, self.views, self.call_args = set(), {}, set()
        self.stmt_writes = {}

    # union-find over names
    def cell(self, name: str) -> str:
        p = self.parent.get(name, name)
        if p == name:
            return name
        r = self.cell(p)
        self.parent[name] = r
        return r

    def union(self, a: str, b: str):
        ra, rb = self.cell(a), self.cell(b)
        if ra != rb:
            # parameters stay representatives so messages name them
            if rb in self.params and ra not in self.params:
                ra, rb = rb, ra
            self.parent[rb] = ra

    def _is_tuple(self, name) -> bool:
        k = self.kinds.get(name)
        return k is not None and k.cls == "tuple"

    def _is_container(self, name) -> bool:
        """A tuple, or a list (built by appends; a helper's parameter given one): an item read from it is
        the array it holds (``for W in layers: W *= s`` writes the list's memory)."""
        k = self.kinds.get(name)
        return k is not None and k.cls in ("tuple", "list")

    def holds_arrays(self, name) -> bool:
        """A tuple some of whose elements may be arrays (their memory is its memory)."""
        k = self.kinds.get(name)
        return k is not None and k.cls == "tuple" and any(e is None or e.maybe_array for e in k.elts or (None,))

    def maybe_array(self, name) -> bool:
        k = self.kinds.get(name)
        return k is not None and k.cls in ("array", "num")

    def view_base(self, value) -> str | None:
        """The name whose memory ``value`` may share, or None for fresh values."""
        if isinstance(value, ast.Name):
            return value.id
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) \
                and self._is_tuple(value.value.id):
            # an element of a tuple is the array it holds: that of the literal that
            # built the tuple, else the tuple's own memory (every element of a
            # tuple a call returned may share memory with the others)
            elts = self.tuples.get(value.value.id)
            k = value.slice.value if isinstance(value.slice, ast.Constant) else None
            if elts is not None and isinstance(k, int) and -len(elts) <= k < len(elts):
                e = elts[k]
                return e.id if isinstance(e, ast.Name) else None
            n = self.fresh_tuples.get(value.value.id)
            if n is not None and isinstance(k, int) and -n <= k < n:
                # a tuple of separate fresh arrays (a factorization): each element is its own memory
                return _element(value.value.id, k % n)
            return value.value.id
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name):
            return value.value.id if self.index_is_basic(value.slice) is not False else None
        if notes.rule_kind(value) in VIEW_RULES and value.args and isinstance(value.args[0], ast.Name):
            if self._converts(value):
                return None   # (np.asarray(k, float) of an int array: a new array)
            return value.args[0].id
        if notes.is_user_call(value):
            # a user function that returns (a view of) one of its arguments
            k = self.callee_ret_alias(notes.target(value), value)
            if k is not None and isinstance(value.args[k], ast.Name):
                return value.args[k].id
        return None

    def _converts(self, call) -> bool:
        """Whether ``np.asarray(x, dtype)`` (a view rule given a dtype) makes another
        dtype of ``x``'s: an integer or bool array to floats, a real one to complex."""
        dtype = next((k.value for k in call.keywords if k.arg == "dtype"), None) or (
            call.args[1] if len(call.args) > 1 and notes.target(call) in (np.asarray, np.ascontiguousarray,
                                                                         np.asfortranarray) else None)
        k = self.kinds.get(call.args[0].id)
        if dtype is None or k is None or k.cls != "array" or k.dtype not in ("i", "b", "f"):
            return False
        name = dtype.id if isinstance(dtype, ast.Name) else dtype.attr if isinstance(dtype, ast.Attribute) else None
        wants = {"float": "f", "float64": "f", "float32": "f", "complex": "c", "complex128": "c", "complex64": "c"}
        return name in wants and wants[name] != k.dtype

    def _views(self, s, keep=None):
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            n = s.targets[0].id
            base = self.view_base(s.value)
            if keep is not None and n not in keep:
                return
            if base is not None and self.maybe_array(n) and (self.maybe_array(base) or self._is_container(base)
                                                              or base in self.elements) \
                    or base is not None and self.holds_arrays(n) and isinstance(s.value, ast.Subscript) \
                    and self._is_container(base):   # (a container a container holds)
                self.union(n, base)
                self.views[n] = base
                self.binding_line[n] = s.lineno

    def _write(self, name, s):
        c = self.cell(name)
        self.written.add(c)
        self.writers.setdefault(c, []).append(s)
        self.stmt_writes.setdefault(id(s), []).append(name)

    def _effects(self, s):
        if isinstance(s, ast.Assign):
            t = s.targets[0]
            if isinstance(t, ast.Subscript):
                self._write(t.value.id, s)
                self.subscripted.add(t.value.id)
                self.flows.append((_names(s.value), ("cell", self.cell(t.value.id)), s))
            else:
                self.flows.append((self.value_sources(s.value, s), ("name", t.id), s))
                if isinstance(s.value, ast.Subscript) and isinstance(s.value.value, ast.Name):
                    self.subscripted.add(s.value.value.id)
        elif isinstance(s, ast.AugAssign):
            t = s.target
            if isinstance(t, ast.Subscript):
                self._write(t.value.id, s)
                self.subscripted.add(t.value.id)
                self.flows.append((_names(s.value), ("cell", self.cell(t.value.id)), s))
            else:
                if self.maybe_array(t.id):
                    self._write(t.id, s)
                self.flows.append((_names(s.value) | {t.id}, ("name", t.id), s))
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            self.value_sources(s.value, s)

    def value_sources(self, v, s) -> set:
        """Names whose values flow differentiably into the value ``v``."""
        if isinstance(v, ast.Name):
            return {v.id}
        if isinstance(v, ast.BinOp):
            if isinstance(v.op, (ast.FloorDiv,)):
                return set()
            return _names(v.left) | _names(v.right)
        if isinstance(v, ast.UnaryOp) and isinstance(v.op, ast.USub):
            return _names(v.operand)
        if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name):
            return {v.value.id}
        if isinstance(v, (ast.Tuple, ast.List)):
            return set().union(*[_names(e) for e in v.elts]) if v.elts else set()
        if isinstance(v, ast.Call):
            rule, target = notes.rule(v), notes.target(v)
            if notes.is_user_call(v):
                args = [a.id for a in v.args if isinstance(a, ast.Name)]
                self.call_args.update(a for a in args if self.maybe_array(a))
                writes = self.callee_writes(target, v)
                srcs = set(args)
                for k in writes:
                    a = v.args[k]
                    if isinstance(a, ast.Name):
                        self._write(a.id, s)
                        self.flows.append((srcs, ("cell", self.cell(a.id)), s))
                return srcs
            if rule is not None and rule.kind == "stack":
                stack = v.func.value.id
                self._write(stack, s)    # a stack is mutated by both append and pop
                if v.args:   # append: the value flows into the stack
                    self.flows.append((_names(v.args[0]), ("name", stack), s))
                    return set()
                return {stack}
            if rule is not None and rule.kind == "inplace":
                from ..rules.binding import bind
                bound = bind(rule, v)
                first = bound.get(rule.param_names[0])
                srcs = {x.id for a in bound.values() if isinstance(a, ast.AST)
                        for x in ast.walk(a) if isinstance(x, ast.Name)}
                if isinstance(first, ast.Name):
                    self._write(first.id, s)
                    self.subscripted.add(first.id)
                    self.flows.append((srcs, ("cell", self.cell(first.id)), s))
                return srcs
            if rule is not None and not rule.differentiable and rule.refuse_when is not None:
                # a result built from its arguments' values, not differentiated: the
                # arguments flow to it, so that a derivative reaching them is refused
                # (of every name an argument reads: ``divmod(a * 2, 1.0)`` keeps ``a * 2`` whole)
                return {n.id for a in v.args + [k.value for k in v.keywords] for n in value_names(a)}
            if rule is None or not rule.differentiable:
                return set()
            if rule.kind == "split":
                return {a.id for a in v.args if isinstance(a, ast.Name)}
            from ..rules.binding import bind
            bound = bind(rule, v)
            out = set()
            # a numpy rule's parameter without a derivative flows too, unless declared constant:
            # a derivative reaching it is refused by the transform (builder.check_templates)
            # rather than dropped; the helpers of generated code leave out shape-only parameters
            every = not is_runtime_helper(rule.func)
            for p, a in bound.items():
                # (a parameter whose derivative is refused flows too: the transform refuses it there)
                if p in rule.adjoints or p in rule.tangents or p in rule.refuse or \
                        (every and (p not in rule.constant or rule.refuse_when is not None)):
                    out |= {a.id} if isinstance(a, ast.Name) else \
                        {x.id for x in getattr(a, "elts", []) if isinstance(x, ast.Name)}
            return out
        return set()

    def _memory_names(self) -> set:
        out = set()
        for name, k in self.kinds.items():
            if k.cls not in ("array", "num"):
                continue
            # (a parameter of unknown rank is memory too: its caller passes a shadow)
            if name in self.params or name in self.subscripted or name in self.call_args or self.cell(name) in self.written:
                out.add(name)
        return out

    def _call_writes_in_group(self, name) -> bool:
        line = self.binding_line.get(name)
        for w in self.writers.get(self.cell(name), []):
            if w.lineno == line and not isinstance(w, (ast.Assign, ast.AugAssign)) or (
                    w.lineno == line and isinstance(w, ast.Assign) and isinstance(w.value, ast.Call)
                    and notes.is_user_call(w.value)):
                return True
        return False


_SHAPE_ATTRS = frozenset({"shape", "size", "ndim", "dtype"})
_CONSTANT_CALLS = frozenset({"len", "int", "round", "bool", "range", "shape", "size", "ndim", "floor", "ceil",
                             "trunc", "rint", "isqrt", "argmax", "argmin", "count_nonzero"})


def value_names(e):
    """The names whose values an expression kept whole reads (``a`` of ``a * 2``), not
    those read for a shape (``x.shape[0]``, ``len(x)``) or through a function constant
    in them (``int(c * 2)``, ``math.floor(t)``)."""
    if isinstance(e, ast.Name):
        yield e
        return
    func = getattr(e, "func", None) if isinstance(e, ast.Call) else None
    called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if (isinstance(e, ast.Attribute) and e.attr in _SHAPE_ATTRS) or called in _CONSTANT_CALLS:
        return
    for child in ast.iter_child_nodes(e):
        yield from value_names(child)


def _names(e) -> set:
    return {n.id for n in ast.walk(e) if isinstance(n, ast.Name)} if e is not None else set()


def follow_bindings(known: dict, binds) -> dict:
    """``known`` (name -> what it stands for) extended through the bindings
    ``binds`` (target, source): a target bound to a known name stands for
    what that name does, followed until nothing changes."""
    known = dict(known)
    grew = True
    while grew:
        new = {t: known[v] for t, v in binds if v in known and t not in known}
        known.update(new)
        grew = bool(new)
    return known


def _element(name, k) -> str:
    """The memory of element ``k`` of the tuple ``name`` (not a Python name)."""
    return f"{name}[{k}]"


def _bound_once(stmts) -> dict:
    """The value of each name bound once (by ``n = value``)."""
    bound: dict = {}
    for s in stmts:
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
            bound.setdefault(s.targets[0].id, []).append(s.value)
    return {n: vs[0] for n, vs in bound.items() if len(vs) == 1}


def _fresh_tuples(once, kinds, callee_ret_shares) -> dict:
    """The length of each name bound once (``once``) to a call of a numpy rule whose
    result is a tuple of separate fresh arrays (``np.linalg.qr``, ``eigh``, ``slogdet``...),
    or of a user function whose returned tuple's arrays share no memory (``m, v =
    make_state(w)``: two ``np.zeros_like``; a tuple holding an argument's memory is refused)."""
    out = {}
    for n, v in once.items():
        k = kinds.get(n)
        if notes.is_user_call(v) and k is not None and k.cls == "tuple" and k.elts \
                and not callee_ret_shares(notes.target(v), v):
            out[n] = len(k.elts)
        elif isinstance(v, ast.Call) and not notes.is_user_call(v):
            rule = notes.rule(v)
            if rule is not None and rule.fresh_parts:
                out[n] = rule.fresh_parts
    return out


def written_beside_stacks(callee, kinds, generated) -> list:
    """The positions a call of ``callee`` (its analysis) writes, and, in generated code, those of
    the float arrays passed with a stack (the tape: ``step_rev(w, dw, m, dm, _tape)``) to a
    function that writes a value it pops (``callee.writes_popped``): the forward half may have pushed
    them under other names, which the reverse half pops and writes (``dm``, a local's shadow:
    its views are views, not values)."""
    writes = callee.param_writes()
    if not generated or not any(k is not None and k.cls == "list" for k in kinds) or not callee.writes_popped():
        return writes
    return sorted(set(writes) | {i for i, k in enumerate(kinds) if k is not None and k.cls in ("array", "num")
                                 and k.dtype in ("f", "c")})
