"""unroll: loops over a list or tuple written out, one copy of the body per item.

``for W, b in [(W1, b1), (W2, b2)]: h = np.tanh(W @ h + b)`` (the layers of a
network, the stages of a tableau) runs its body once per item of a sequence
whose length the source fixes. Read as a loop, its items would be read by a
variable index: a list whose items carry derivatives is read from its items
stacked into one array (refused for items of different shapes), a tuple's
items by a variable index are refused. Unrolled, each copy reads its item by
a constant index of a tuple bound before the loop, which every mode follows:

    _u1 = ((W1, b1), (W2, b2))
    W, b = _u1[0]
    h = np.tanh(W @ h + b)
    W, b = _u1[1]
    h = np.tanh(W @ h + b)

Loops over ``zip`` and ``enumerate`` of such sequences too. A name bound once
to a display and then only iterated, measured (``len``) or read by a constant
index is such a sequence (its display is made a tuple's). Loops with
``break``, ``continue`` or ``else``, and bodies the copies would make large,
stay loops.
"""
from __future__ import annotations

import ast
import builtins
import copy

from ..errors import AdCompilerError

_MAX_ITEMS = 16
_MAX_NODES = 4000   # (the nodes of all the copies of a body)


def unroll_display_loops(body: list, namer, resolver) -> list:
    """``body`` with the loops over written-out sequences unrolled (a new list; the parsed tree
    is not changed)."""
    fixed = _fixed_sequences(body, resolver)
    if not fixed and not any(isinstance(n, ast.For) and isinstance(n.iter, (ast.Tuple, ast.List, ast.Call))
                             for s in body for n in ast.walk(s)):
        return body
    u = _Unroller(namer, resolver, fixed, _bound_before(body))
    out = []
    for u.top, st in enumerate(copy.deepcopy(body)):
        out += u.block([st])
    return [u.visit(st) for st in out] if u.displays else out


def _bound_before(body) -> dict:
    """The names stored nowhere in ``body`` (-1: parameters not rebound, module names) or only by
    one assignment at its top level (the index of that statement)."""
    tree = ast.Module(body=list(body), type_ignores=[])
    stores: dict = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            stores[n.id] = stores.get(n.id, 0) + 1
    top = {t.id: k for k, st in enumerate(body) if isinstance(st, ast.Assign) and len(st.targets) == 1
           for t in (st.targets[0].elts if isinstance(st.targets[0], ast.Tuple) else [st.targets[0]])
           if isinstance(t, ast.Name) and stores.get(t.id) == 1}   # (``w1, w2 = ...`` too)
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return {**{n: -1 for n in loads if n not in stores}, **top}


def _builtin(resolver, name, obj) -> bool:
    if resolver.is_local(name):
        return False
    try:
        return resolver.lookup(name) is obj
    except AdCompilerError:
        return False


def _display(v) -> bool:
    """A list or tuple written out with values that are not numbers or lists written out (those the
    kinds read as arrays of numbers: ``[0.5, 1.0]``, ``[[], [0.5]]``, ``(-1, 1)`` stay as they are)."""
    return isinstance(v, (ast.Tuple, ast.List)) and 0 < len(v.elts) <= _MAX_ITEMS and not any(
        isinstance(e, (ast.Starred, ast.Constant, ast.List)) or isinstance(e, ast.UnaryOp)
        and isinstance(e.operand, ast.Constant) for e in v.elts)


def _fixed_sequences(body, resolver) -> dict:
    """The names bound once, at the top level of ``body``, to a list or tuple written out, and
    only iterated by ``for`` loops that are unrolled (also in ``zip``/``enumerate``), measured by
    ``len`` or read by an int constant or the variable of a ``range`` loop that is unrolled:
    name -> the number of items. (A list iterated by a loop that stays one stays a list.)"""
    once = {}
    for s in body:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and _display(s.value):
            once[s.targets[0].id] = len(s.value.elts) if s.targets[0].id not in once else None
    tree = ast.Module(body=list(body), type_ignores=[])
    stores = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)]
    fixed = {name: k for name, k in once.items() if k is not None and stores.count(name) == 1}
    while fixed:
        allowed = _allowed_uses(tree, fixed, resolver)
        keep = {name: k for name, k in fixed.items() if all(id(n) in allowed for n in ast.walk(tree)
                                                            if isinstance(n, ast.Name) and n.id == name
                                                            and isinstance(n.ctx, ast.Load))}
        if keep == fixed:
            break
        fixed = keep
    return fixed


def _allowed_uses(tree, fixed, resolver) -> set:
    """The ids of the Name nodes read where a sequence of ``fixed`` may be a tuple unrolled."""
    allowed: set = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.For) and _range_unrolled(n, fixed, resolver):   # (``L[k]`` in it: a constant index)
            allowed |= {id(x.value) for st in n.body for x in ast.walk(st) if isinstance(x, ast.Subscript)
                        and isinstance(x.value, ast.Name) and isinstance(x.slice, ast.Name) and x.slice.id == n.target.id}
        if isinstance(n, ast.For) and _sequences_unrolled(n, fixed, resolver):
            allowed |= {id(a) for a in _iterated(n.iter, resolver) if isinstance(a, ast.Name)}
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len" and len(n.args) == 1 \
                and _builtin(resolver, "len", builtins.len):
            allowed |= {id(a) for a in n.args if isinstance(a, ast.Name)}
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) \
                and isinstance(n.slice, ast.Constant) and type(n.slice.value) is int:
            allowed.add(id(n.value))
    return allowed


def _size(body) -> int:
    """The number of nodes of ``body`` (a copy per item costs that many)."""
    return sum(1 for st in body for _ in ast.walk(st))


def _sequences_unrolled(s, lengths, resolver) -> int | None:
    """For a ``for`` loop over sequences whose lengths the source fixes (``_iterated``: names of
    ``lengths``, displays) with no ``else``, ``break`` or ``continue`` and a body small enough to
    copy: the number of iterations (the shortest sequence's length, as ``zip`` stops)."""
    args = _iterated(s.iter, resolver)
    # (zipped with them: ranges of int constants, lists or tuples of numbers, ``zip((0.5, 0.25), (k1, k2))``)
    beside = [a for a in args if _range_of_constants(a, resolver) is not None or _numbers(a)]
    if s.orelse or not args or len(beside) == len(args) or _leaves(s.body) or not all(
            isinstance(a, ast.Name) and a.id in lengths or _display(a) for a in args if a not in beside):
        return None
    n = min(len(_range_of_constants(a, resolver)) if _range_of_constants(a, resolver) is not None else
            lengths[a.id] if isinstance(a, ast.Name) else len(a.elts) for a in args)
    return n if n * _size(s.body) <= _MAX_NODES else None


def _iterated(it, resolver) -> list:
    """The sequences a ``for`` loop over ``it`` iterates, where the unrolled copies can read them:
    ``it`` itself, the arguments of ``zip``, the first of ``enumerate`` (with an int constant start
    or none; ``enumerate(zip(a, b))`` too); [] for any other call."""
    if not isinstance(it, ast.Call):
        return [it]
    kind = it.func.id if isinstance(it.func, ast.Name) else None
    if kind not in ("zip", "enumerate") or it.keywords or not it.args or not _builtin(resolver, kind, getattr(builtins, kind)):
        return []
    if kind == "zip":   # (a range of int constants among them: its numbers, ``zip(range(2), [a, b])``)
        return [] if any(isinstance(a, ast.Call) and _range_of_constants(a, resolver) is None for a in it.args) \
            else list(it.args)
    if len(it.args) == 1 or len(it.args) == 2 and isinstance(it.args[1], ast.Constant) and type(it.args[1].value) is int:
        return _iterated(it.args[0], resolver)
    return []


def _numbers(v) -> bool:
    """A list or tuple of number constants written out."""
    return isinstance(v, (ast.Tuple, ast.List)) and 0 < len(v.elts) <= _MAX_ITEMS and all(
        int_constant(e) is not None or isinstance(e, ast.Constant) and type(e.value) in (float, int) or
        isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant)
        and type(e.operand.value) in (float, int) for e in v.elts)


def _range_of_constants(e, resolver) -> range | None:
    """The numbers of ``range(...)`` of int constants (the builtin), else None."""
    if not (isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "range" and not e.keywords
            and 0 < len(e.args) <= 3 and _builtin(resolver, "range", builtins.range)):
        return None
    vals = [int_constant(a) for a in e.args]
    return None if None in vals or 0 in vals[2:] else range(*vals)


def int_constant(e) -> int | None:
    """The int ``e`` writes (``2``, ``-1``), else None."""
    sign = 1
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        e, sign = e.operand, -1
    return sign * e.value if isinstance(e, ast.Constant) and type(e.value) is int else None


def _item(it, k, reads):
    """The ``k``-th item of the loop over ``it`` (``_iterated``), reading its sequences' items from
    ``reads`` in order."""
    if not isinstance(it, ast.Call) or it.func.id == "range":   # (a range of constants: its numbers, read)
        return next(reads)
    if it.func.id == "zip":
        return ast.Tuple([_item(a, k, reads) for a in it.args], ast.Load())
    start = it.args[1].value if len(it.args) == 2 else 0
    return ast.Tuple([ast.Constant(k + start), _item(it.args[0], k, reads)], ast.Load())


def _assigned(target, value) -> list:
    """``target = value`` as one assignment per name where both are tuples written out and the
    value reads none of the names (``k, (W, b) = (0, (W1, b1))``: no tuple made to be unpacked)."""
    stored = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts) \
            and not any(isinstance(x, ast.Starred) for x in target.elts) \
            and not any(isinstance(n, ast.Name) and n.id in stored for n in ast.walk(value)):
        return [a for t, v in zip(target.elts, value.elts) for a in _assigned(t, v)]
    return [ast.Assign([target], value)]


def _range_unrolled(s, lengths, resolver) -> int | None:
    """For ``for k in range(len(L))`` (``lengths``: L's number of items) or ``range(n)`` (``n`` an int
    constant) with no ``else``, ``break`` or ``continue``, whose body never binds ``k`` and is small
    enough to copy: the number of iterations (the copies read ``L[k]`` by a constant index)."""
    it = s.iter
    if s.orelse or _leaves(s.body) or not (
            isinstance(s.target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
            and it.func.id == "range" and len(it.args) == 1 and not it.keywords
            and _builtin(resolver, "range", builtins.range)):
        return None
    a, k = it.args[0], s.target.id
    n = a.value if isinstance(a, ast.Constant) and type(a.value) is int else lengths.get(a.args[0].id) if (
        isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id == "len" and len(a.args) == 1
        and isinstance(a.args[0], ast.Name) and _builtin(resolver, "len", builtins.len)) else None
    if n is None or not 0 < n <= _MAX_ITEMS or n * _size(s.body) > _MAX_NODES or any(
            isinstance(x, ast.Name) and x.id == k and not isinstance(x.ctx, ast.Load) for st in s.body
            for x in ast.walk(st)):
        return None
    return n


def _leaves(body) -> bool:
    """Whether ``body`` has a ``break`` or ``continue`` of its own loop (not of a nested one)."""
    todo = list(body)
    while todo:
        n = todo.pop()
        if isinstance(n, (ast.Break, ast.Continue)):
            return True
        if isinstance(n, (ast.For, ast.While)):
            todo += n.orelse   # (a nested loop's own breaks are its own; its else clause's are not)
            continue
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        todo += list(ast.iter_child_nodes(n))
    return False


class _Unroller(ast.NodeTransformer):
    """Unrolls the loops (``block``), then reads each item of a sequence written out by the name
    it was written with, where that name holds the same object all along (``visit``: ``Ws[0]`` of
    ``Ws = [W1, W2]`` is ``W1``, no tuple to follow; else the tuple's item)."""

    def __init__(self, namer, resolver, fixed, bound_before):
        self.namer, self.res, self.fixed, self.bound_before = namer, resolver, fixed, bound_before
        self.displays: dict = {}   # sequence name -> (its display's items, the top-level statement binding it)
        self.top = 0

    def visit_Subscript(self, node):
        self.generic_visit(node)
        seq = self.displays.get(node.value.id) if isinstance(node.value, ast.Name) else None
        k = node.slice.value if isinstance(node.slice, ast.Constant) and type(node.slice.value) is int else None
        if seq is None or k is None or not isinstance(node.ctx, ast.Load) or not -len(seq[0]) <= k < len(seq[0]):
            return node
        item = self._item(seq[0][k], seq[1])
        return ast.copy_location(item, node) if item is not None else node

    def _item(self, e, at):
        """``e`` read again after the statement ``at`` binds its sequence (a copy), or None when
        the names in it may be bound to other objects by then."""
        if isinstance(e, ast.Name):
            return ast.Name(e.id, ast.Load()) if self.bound_before.get(e.id, at) < at else None
        if isinstance(e, ast.Tuple) and not any(isinstance(x, ast.Starred) for x in e.elts):
            items = [self._item(x, at) for x in e.elts]
            return ast.Tuple(items, ast.Load()) if None not in items else None
        return None

    def block(self, stmts) -> list:
        out = []
        for s in stmts:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                    and s.targets[0].id in self.fixed:
                if isinstance(s.value, ast.List):
                    s.value = ast.copy_location(ast.Tuple(s.value.elts, ast.Load()), s.value)   # (only read)
                self.displays[s.targets[0].id] = (s.value.elts, self.top)
            for field in ("body", "orelse", "finalbody"):
                if isinstance(getattr(s, field, None), list) and getattr(s, field):
                    setattr(s, field, self.block(getattr(s, field)))
            if isinstance(s, ast.Try):
                for h in s.handlers:
                    h.body = self.block(h.body)
            out += self.unrolled(s) if isinstance(s, ast.For) else [s]
        return out

    def _sequence(self, e):
        """(statements binding it, its items) for a sequence whose length the source fixes (a name
        of ``fixed`` or a display). A display in the loop's header is evaluated first, as Python builds it:
        each element (each element of an element that is a tuple written out) into a name of its
        own, which the copies read (no tuple of tuples to follow)."""
        if isinstance(e, ast.Name):
            return [], [ast.Subscript(ast.Name(e.id, ast.Load()), ast.Constant(k), ast.Load())
                        for k in range(self.fixed[e.id])]
        numbers = _range_of_constants(e, self.res)
        if numbers is not None:
            return [], [ast.Constant(v) for v in numbers]
        pre: list = []

        def bound(x):
            if isinstance(x, ast.Tuple) and x.elts and not any(isinstance(y, ast.Starred) for y in x.elts):
                return ast.Tuple([bound(y) for y in x.elts], ast.Load())
            name = self.namer.fresh("_u{}")
            self.res.locals.add(name)
            pre.append(ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], x), e))
            return ast.Name(name, ast.Load())
        return pre, [bound(x) for x in e.elts]

    def _indexed_range(self, s) -> int | None:
        """``_range_unrolled`` of a loop whose body reads a sequence of ``fixed`` by ``L[k]``."""
        n = _range_unrolled(s, self.fixed, self.res)
        return n if n is not None and any(
            isinstance(x, ast.Subscript) and isinstance(x.value, ast.Name) and x.value.id in self.fixed
            and isinstance(x.slice, ast.Name) and x.slice.id == s.target.id
            for st in s.body for x in ast.walk(st)) else None

    def unrolled(self, s) -> list:
        n = self._indexed_range(s)
        if n is not None:
            out = []   # (each copy reads the sequences by the constant index: k stays bound, as the loop leaves it)
            for i in range(n):
                out.append(ast.copy_location(ast.Assign([copy.deepcopy(s.target)], ast.Constant(i)), s))
                out += [_Constant(s.target.id, i).visit(copy.deepcopy(st)) for st in s.body]
            return [ast.fix_missing_locations(x) for x in out]
        n = _sequences_unrolled(s, self.fixed, self.res)
        if n is None and _display(s.iter):   # (a loop that stays one, over a display: over a list of it, named)
            name = self.namer.fresh("_u{}")
            self.res.locals.add(name)
            bind = ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], ast.List(s.iter.elts, ast.Load())), s)
            s.iter = ast.copy_location(ast.Name(name, ast.Load()), s.iter)
            return [ast.fix_missing_locations(bind), s]
        if n is None:
            return [s]
        seqs = [self._sequence(a) for a in _iterated(s.iter, self.res)]
        out = [b for q in seqs for b in q[0]]
        for k in range(n):
            value = _item(s.iter, k, iter([copy.deepcopy(q[1][k]) for q in seqs]))
            out += [ast.copy_location(a, s) for a in _assigned(copy.deepcopy(s.target), value)]
            out += copy.deepcopy(s.body)
        return [ast.fix_missing_locations(x) for x in out]


class _Constant(ast.NodeTransformer):
    """The loads of the name ``k`` as the int constant ``i`` (in a copy of a body that never binds it)."""

    def __init__(self, k, i):
        self.k, self.i = k, i

    def visit_Name(self, node):
        return ast.copy_location(ast.Constant(self.i), node) if node.id == self.k and isinstance(node.ctx, ast.Load) \
            else node

    def visit_FunctionDef(self, node):
        return node   # (a nested function reads its own names)

    visit_Lambda = visit_FunctionDef
