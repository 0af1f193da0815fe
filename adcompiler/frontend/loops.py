"""loops: every loop is a ``for`` over a range or a counted ``while True``.

After this rewrite:

- ``for i in range(...)`` is the only ``for`` loop (``reversed(range(...))``
  becomes ``range(...)[::-1]``, a sliced range stays sliced). ``for v in
  arr``, ``for i, v in enumerate(arr)``, ``for a, b in zip(x, y)`` and ``for
  i, (a, b) in enumerate(zip(x, y))`` loop over ``range(len(...))`` with a
  fresh index (``_k1``) and bind each value at the top of the body (``v =
  arr[_k1]``); ``enumerate(arr, start)`` binds ``i = _k1 + start``, and
  ``for v in reversed(arr)`` runs the indices from the last; a loop variable
  the body rebinds (``i = n - 1 - i``, an inner loop over the same name) is
  bound from a fresh index the same way, and a name in the range's bounds that
  the body rebinds is read into a fresh name before the loop;
- ``while test: body`` is ``while True: _n1 += 1; <test into _c1>; if _c1:
  body else: break``, its trip counter ``_n1 = 0`` set before the loop and
  noted on the loop (``notes.set_count``) and on the increment
  (``notes.mark_counter``);
- ``break`` stands only at the tail of an if-branch (the rest of the body is
  moved into the other branch, ``frontend/restructure.py``); a ``for`` loop
  with a ``break`` gets a trip counter too; ``continue`` is gone.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x):\\n    for v in x:\\n        x[0] += v"))
for _k1 in range(len(x)):
    v = x[_k1]
    x[0] += v
"""
from __future__ import annotations

import ast
import copy
import inspect

import numpy as np

from ..codegen.naming import COUNT, TEMP
from . import notes
from .lists import changes_list, resizes_list
from .restructure import has_jump, restructure


def _stored_names(body) -> set:
    """The names a block binds (assignments, loop targets), nested blocks included."""
    out = set()
    for st in body:
        for node in ast.walk(st):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                out.add(node.id)
    return out


def _constant_numbers(e) -> tuple | None:
    """The numbers of a tuple or list written out with numbers only (``(-1, 1)``), else None."""
    if not isinstance(e, (ast.Tuple, ast.List)) or not e.elts:
        return None
    out = []
    for x in e.elts:
        neg = isinstance(x, ast.UnaryOp) and isinstance(x.op, ast.USub)
        c = x.operand if neg else x
        if not (isinstance(c, ast.Constant) and type(c.value) in (int, float)):
            return None
        out.append(-c.value if neg else c.value)
    return tuple(out)


def _range(*args) -> ast.Call:
    return ast.Call(ast.Name("range", ast.Load()), list(args), [])


def _len(arr) -> ast.Call:
    return ast.Call(ast.Name("len", ast.Load()), [arr], [])


class LoopRewrite:
    """Rewrites ``for`` and ``while`` loops (mixed into ``normalize.Normalizer``)."""

    def builtin_of(self, node):
        """The builtin a call of a non-local name calls (``range``, ``zip``...), else None."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not self.res.is_local(node.func.id):
            return self.res.lookup(node.func.id, node.func)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):   # (numba.prange: range)
            obj = self.res.resolve_attr(node.func)
            return obj if obj is range else None
        return None

    def range_expr(self, it):
        """``range(...)``, ``reversed(range(...))`` or ``range(...)[a:b:c]`` as a
        range expression (``reversed`` becomes ``[::-1]``), else None."""
        if self.builtin_of(it) is range:
            if it.keywords or not 1 <= len(it.args) <= 3:
                self.err(it, "range() needs one to three positional arguments.", "use range(start, stop, step).")
            return _range(*[self.index_part(a) for a in it.args])
        if self.builtin_of(it) is reversed and len(it.args) == 1:
            inner = self.range_expr(it.args[0])
            if inner is not None:
                return ast.Subscript(inner, ast.Slice(None, None, ast.Constant(-1)), ast.Load())
        if isinstance(it, ast.Subscript) and isinstance(it.slice, ast.Slice):
            inner = self.range_expr(it.value)
            if inner is not None:
                return ast.Subscript(inner, self.index_part(it.slice), ast.Load())
        return None

    def iteration(self, s):
        """``(range expression, loop variable, [(name, value bound at the top of the body)])``."""
        it = s.iter
        rng = self.range_expr(it)
        if rng is not None:
            if not isinstance(s.target, ast.Name):
                self.err(s.target, "the loop variable of a range loop must be a name.", "use one loop variable.")
            return rng, s.target, []
        fn = self.builtin_of(it)
        if fn is enumerate and isinstance(s.target, ast.Tuple) and len(s.target.elts) == 2:
            return self.enumeration(it, s.target)
        if fn is zip and isinstance(s.target, ast.Tuple) and len(s.target.elts) == len(it.args) and not it.keywords:
            k = self.namer.fresh("_k{}")
            stop, pre = self.zipped(it, s.target, k)
            return _range(stop), ast.Name(k, ast.Store()), pre
        if fn is reversed and len(it.args) == 1 and not it.keywords and self.reversible(it.args[0]):
            arr = self.iterable(it.args[0])   # for v in reversed(arr): the indices from the last
            k = self.namer.fresh("_k{}")
            backwards = ast.Subscript(_range(self.length(arr)), ast.Slice(None, None, ast.Constant(-1)), ast.Load())
            return backwards, ast.Name(k, ast.Store()), [(s.target, ast.Subscript(arr, ast.Name(k, ast.Load()),
                                                                                      ast.Load()))]
        if (fn is None and isinstance(it, (ast.Name, ast.Subscript, ast.Attribute, ast.Call, ast.Tuple, ast.List))) \
                or (inspect.isfunction(fn) and isinstance(it, ast.Call)):
            arr = self.iterable(it)   # an array, a tuple or a call's result: evaluated once, before the loop
            k = self.namer.fresh("_k{}")
            return _range(self.length(arr)), ast.Name(k, ast.Store()), [(s.target, ast.Subscript(arr, ast.Name(k, ast.Load()),
                                                                                             ast.Load()))]
        self.err(it, "this loop is not supported.",
                 "loop over range(...), an array, reversed(array), enumerate(array) or zip(arrays).")

    def length(self, arr) -> ast.expr:
        """``len(arr)``; bound before the loop where the function appends to or pops from the list anywhere
        (after the loop, or in a loop around it: the reverse sweep must run the loop the times it ran)."""
        if isinstance(arr, ast.Name) and resizes_list(self.pf.tree.body, arr.id):
            return self.name_atom(_len(arr))
        return _len(arr)

    def reversible(self, e) -> bool:
        """Whether ``reversed(e)`` is of an array, a tuple or a list the loop indexes from the
        last: a name, a view, an attribute, or the result of a numpy function or of the user's
        (``reversed(np.argsort(x))``, evaluated once before the loop, as Python does)."""
        if isinstance(e, (ast.Name, ast.Subscript, ast.Attribute)):
            return True
        if not isinstance(e, ast.Call):
            return False
        if isinstance(e.func, ast.Name):
            return inspect.isfunction(self.builtin_of(e))
        obj = self.res.resolve_attr(e.func) if isinstance(e.func, ast.Attribute) else None
        return callable(obj) and (getattr(obj, "__module__", None) or "").split(".")[0] == "numpy"

    def iterable(self, e) -> ast.Name:
        """The name a loop iterates over; a view bound to a temporary (``for v in y[::-1]``)
        is read at every step, after the body's writes (numpy iterates it live): the
        analyses follow it as a view, not as a value read at once; ``reversed(arr)``
        (inside ``enumerate`` or ``zip``) is the view ``arr[::-1]``."""
        if self.builtin_of(e) is reversed and len(e.args) == 1 and not e.keywords and self.reversible(e.args[0]):
            inner = e.args[0] if not isinstance(e.args[0], ast.Call) else self.name_atom(e.args[0])
            e = ast.copy_location(ast.Subscript(inner, ast.Slice(None, None, ast.Constant(-1)), ast.Load()), e)
        values = _constant_numbers(e)
        if values is not None:   # (a tuple of numbers written out: a constant, nothing to save for the reverse sweep)
            return ast.Constant(values)
        arr = self.name_atom(e)
        loop = self.cur
        if isinstance(loop, ast.For) and (self.lists.reads_items(arr) and changes_list(loop.body, arr.id)
                                          or resizes_list(loop.body, arr.id)):   # (a worklist of ints too)
            self.err(loop, f"a loop over the list `{arr.id}` that its body appends to, pops from or rebinds.",
                     "loop over range(len(...)) of the length before the loop, over a copy bound to a name "
                     "(L2 = list(L), then for v in L2), or with while k < len(L) and an index k into the list.")
        if self.namer.made(arr.id, TEMP):
            self.namer.read_late.add(arr.id)
        return arr

    def zipped(self, it, target, k):
        """The trip count of ``zip(a, b, ...)`` and the bindings ``x = a[k]`` of ``target``'s names."""
        lens, pre = [], []
        for tt, a in zip(target.elts, it.args):
            rng = self.range_expr(a)
            if rng is not None:   # zip(range(a, b, c), x): the k-th number, a + k * c (reversed: from the last)
                back = self.builtin_of(a) is reversed
                if isinstance(rng, ast.Subscript) and not back or back and isinstance(rng.value, ast.Subscript):
                    self.err(a, "a sliced range inside zip() is not supported.", "loop over a range of indices.")
                inner = rng.value if back else rng
                lens.append(_len(inner))
                start, step = (inner.args[0], inner.args[2] if len(inner.args) == 3 else ast.Constant(1)) \
                    if len(inner.args) > 1 else (ast.Constant(0), ast.Constant(1))
                at = ast.Name(k, ast.Load())
                if back:   # (len - 1 - k)
                    at = ast.BinOp(ast.BinOp(_len(copy.deepcopy(inner)), ast.Sub(), ast.Constant(1)), ast.Sub(), at)
                pre.append((tt, ast.BinOp(start, ast.Add(), ast.BinOp(at, ast.Mult(), step))))
                continue
            if self.builtin_of(a) is reversed and len(a.args) == 1 and isinstance(a.args[0], ast.Name) \
                    and self.lists.reads_items(a.args[0]):   # (a list from its last item: len - 1 - k, not a slice)
                arr = self.iterable(a.args[0])
                lens.append(self.length(arr))
                last = ast.BinOp(copy.deepcopy(lens[-1]), ast.Sub(), ast.Constant(1))
                pre.append((tt, ast.Subscript(arr, ast.BinOp(last, ast.Sub(), ast.Name(k, ast.Load())), ast.Load())))
                continue
            a = self.iterable(a)
            lens.append(self.length(a))
            pre.append((tt, ast.Subscript(a, ast.Name(k, ast.Load()), ast.Load())))
        stop = lens[0] if len(lens) == 1 else ast.Call(ast.Name("min", ast.Load()), lens, [])
        return stop, pre

    def enumeration(self, it, target):
        """``for i, v in enumerate(arr[, start])`` and ``for i, (a, b) in enumerate(zip(x, y))``."""
        kw = {k.arg: k.value for k in it.keywords}
        if not 1 <= len(it.args) <= 2 or set(kw) - {"start"} or (len(it.args) == 2 and kw):
            self.err(it, "this enumerate is not supported.", "write enumerate(array) or enumerate(array, start).")
        start = it.args[1] if len(it.args) == 2 else kw.get("start")
        index, inner, inner_target = target.elts[0], it.args[0], target.elts[1]
        if not isinstance(index, ast.Name):
            self.err(index, "the index of enumerate must be a name.", "use one name for the index.")
        k = index.id if start is None else self.namer.fresh("_k{}")
        if self.builtin_of(inner) is zip and isinstance(inner_target, ast.Tuple) \
                and len(inner_target.elts) == len(inner.args) and not inner.keywords:
            stop, pre = self.zipped(inner, inner_target, k)
        else:   # (an array, reversed(array), range(...), reversed(range(...)): as zip of it alone)
            stop, pre = self.zipped(ast.Call(ast.Name("zip", ast.Load()), [inner], []), ast.Tuple([inner_target]), k)
        if start is not None:   # the index counts from start: i = k + start
            first = self.name_atom(start)
            pre.insert(0, (index, ast.BinOp(ast.Name(k, ast.Load()), ast.Add(), first)))
        return _range(stop), ast.Name(k, ast.Store()), pre

    def is_ndindex(self, it) -> bool:
        if not isinstance(it, ast.Call):
            return False
        fn = self.res.resolve_attr(it.func) if isinstance(it.func, ast.Attribute) else self.builtin_of(it)
        return fn is np.ndindex

    def ndindex(self, s):
        """``for i, j in np.ndindex(A.shape)`` (or ``np.ndindex(n, m)``, ``np.ndindex((n, m))``; or
        one name, ``idx``, when the number of dimensions is written out) as one range loop over
        the flat position, each index computed from it, the last fastest as numpy's (``break``,
        ``continue`` and ``return`` keep their meaning); the shape is read once, before the loop,
        by unpacking it into as many names as the target has (Python's error where they differ)."""
        it = s.iter
        if it.keywords or not it.args or any(isinstance(a, ast.Starred) for a in it.args):
            self.err(it, "this np.ndindex is not supported.", "write np.ndindex(A.shape) or np.ndindex(n, m).")
        shape = it.args[0] if len(it.args) == 1 else ast.Tuple(list(it.args), ast.Load())
        written = len(shape.elts) if isinstance(shape, (ast.Tuple, ast.List)) else None
        of_shape = isinstance(shape, ast.Attribute) and shape.attr == "shape" or isinstance(shape, ast.Subscript) \
            and isinstance(shape.value, ast.Attribute) and shape.value.attr == "shape"   # (A.shape, T.shape[:2])
        if len(it.args) == 1 and written is None and not of_shape and not (
                isinstance(shape, ast.Name) and isinstance(s.target, ast.Tuple) and len(s.target.elts) > 1):
            # (a name unpacked into two names or more is a tuple, or Python's error; one may be an int)
            self.err(it, "np.ndindex of one argument that is neither a shape (A.shape) nor a tuple written out "
                     "(it may be an int, which np.ndindex takes as a shape of one dimension).",
                     "write np.ndindex(A.shape), np.ndindex((n, m)) or, for one dimension, loop over range(n).")
        if isinstance(s.target, ast.Tuple) and s.target.elts and all(isinstance(e, ast.Name) for e in s.target.elts):
            names, whole = [e.id for e in s.target.elts], None
        elif isinstance(s.target, ast.Name) and written:
            names, whole = [self.namer.fresh("_k{}") for _ in range(written)], s.target
        else:
            self.err(s.target, "the target of a loop over np.ndindex must be names, one per dimension "
                     "(for i, j in np.ndindex(A.shape)).", "unpack the index into one name per dimension.")
        if written is not None and written != len(names):
            self.err(s.target, f"np.ndindex of {written} dimension(s) unpacked into {len(names)} name(s).",
                     "unpack the index into one name per dimension.")

        def assign(name, value):
            return ast.Assign(targets=[ast.Name(name, ast.Store())], value=value)

        def load(name):
            return ast.Name(name, ast.Load())
        sizes = [self.namer.fresh("_k{}") for _ in names]
        pre = [ast.Assign(targets=[ast.Tuple([ast.Name(n, ast.Store()) for n in sizes], ast.Store())], value=shape)]
        strides = [None] * len(sizes)   # (the product of the later sizes)
        for d in range(len(sizes) - 2, -1, -1):
            later = load(sizes[d + 1]) if strides[d + 1] is None else ast.BinOp(load(strides[d + 1]), ast.Mult(),
                                                                                load(sizes[d + 1]))
            strides[d] = self.namer.fresh("_k{}")
            pre.append(assign(strides[d], later))
        total = self.namer.fresh("_k{}")
        pre.append(assign(total, load(sizes[0]) if strides[0] is None else
                          ast.BinOp(load(strides[0]), ast.Mult(), load(sizes[0]))))
        flat = self.namer.fresh("_k{}")
        top = []
        for d, n in enumerate(names):
            v = load(flat) if strides[d] is None else ast.BinOp(load(flat), ast.FloorDiv(), load(strides[d]))
            top.append(assign(n, v if d == 0 else ast.BinOp(v, ast.Mod(), load(sizes[d]))))
        if whole is not None:   # idx = (i, j) at the top of the body
            top.append(ast.Assign(targets=[whole], value=ast.Tuple([load(n) for n in names], ast.Load())))
        loop = ast.For(target=ast.Name(flat, ast.Store()), iter=_range(load(total)), body=top + list(s.body),
                       orelse=list(s.orelse))
        for node in pre:
            self.stmt(ast.fix_missing_locations(ast.copy_location(node, s)))
        # (the loop itself as the range loop it is: a return in it is already the concern of the
        # loop_returning around this one, which a second would take for a loop inside it)
        self.for_(ast.fix_missing_locations(ast.copy_location(loop, s)))

    def for_(self, s):
        if self.is_ndindex(s.iter):
            return self.ndindex(s)
        if isinstance(s.iter, (ast.Tuple, ast.List)) and 0 < len(s.iter.elts) <= 16 and \
                not any(isinstance(e, ast.Starred) for e in s.iter.elts) and \
                not has_jump(s.body, (ast.Break, ast.Continue)):
            return self.unrolled(s)
        rng, target, pre = self.iteration(s)
        for tt, _ in pre:
            # a name, or names unpacking the element (``for a, b in P:``: ``a, b = P[k]``)
            if not (isinstance(tt, ast.Name) or isinstance(tt, (ast.Tuple, ast.List)) and tt.elts and
                    all(isinstance(e, ast.Name) for e in tt.elts)):
                self.err(tt, "the loop target must be a name.", "use one name per value.")
        rebound = _stored_names(s.body)
        bounds_rebound = rebound | {target.id}   # (``for i in range(i + 1, n)``: the loop rebinds i)
        if target.id in rebound:
            # the body rebinds the loop variable (``i = n - 1 - i``, an inner loop over the same
            # name): the loop runs a fresh index and binds the variable from it at the top
            k = self.namer.fresh("_k{}")
            pre.insert(0, (target, ast.Name(k, ast.Load())))
            target = ast.Name(k, ast.Store())
        # a bound the body or the loop rebinds (``for i in range(n): n = n - 1``, ``for i in
        # range(i + 1, n)``) is read once, before the loop, as Python does: the reverse sweep
        # runs the same range again
        for node in ast.walk(rng):
            if isinstance(node, ast.Name) and node.id in bounds_rebound:
                h = self.namer.fresh("_k{}")
                self.cur = s
                self.emit(ast.Assign(targets=[ast.Name(h, ast.Store())], value=ast.Name(node.id, ast.Load())))
                node.id = h
        saved, self.out = self.out, []
        for tt, val in pre:
            self.cur = s
            if isinstance(tt, ast.Name) and isinstance(val, ast.Subscript):
                if self.lists.reads_items(val.value):
                    val = self.subscript_load(val)   # an item of a list read through its stacked items
                self.emit(ast.Assign(targets=[ast.Name(tt.id, ast.Store())], value=val))
            else:   # unpacked as an assignment is (or a number computed from the index)
                self.stmt(ast.fix_missing_locations(ast.copy_location(
                    ast.Assign(targets=[copy.deepcopy(tt)], value=val), s)))
        for b in s.body:
            self.stmt(b)
        body, self.out = self.out, saved
        self.cur = s
        self.loop(ast.For(target=ast.Name(target.id, ast.Store()), iter=rng, body=body, orelse=[]), body)

    def unrolled(self, s):
        """``for a in (u, v): body`` as the body once per element (a tuple of arrays
        indexed by the loop variable could not carry their derivatives apart). The
        elements are evaluated first, as Python builds the tuple before the loop;
        ``for a, b in ((u, v), (v, w))`` binds each name to its own element."""
        def evaluated(target, e):
            if isinstance(target, (ast.Tuple, ast.List)) and isinstance(e, (ast.Tuple, ast.List)) and \
                    len(target.elts) == len(e.elts) and not any(isinstance(x, ast.Starred) for x in target.elts + e.elts):
                return [pair for t, x in zip(target.elts, e.elts) for pair in evaluated(t, x)]
            name = self.namer.fresh("_v{}")
            self.cur = s
            self.stmt(ast.copy_location(ast.Assign(targets=[ast.Name(name, ast.Store())], value=e), s))
            return [(target, name)]
        steps = [evaluated(s.target, e) for e in s.iter.elts]
        for pairs in steps:
            for target, name in pairs:
                bind = ast.Assign(targets=[copy.deepcopy(target)], value=ast.Name(name, ast.Load()))
                self.stmt(ast.fix_missing_locations(ast.copy_location(bind, s)))
            for b in s.body:
                self.stmt(copy.deepcopy(b))

    def while_(self, s):
        saved, self.out = self.out, []
        test = self.cond_atom(s.test)
        cond_stmts, self.out = self.out, []
        body = self.block(s.body)
        self.out = saved
        self.cur = s
        brk = ast.Break()
        ast.copy_location(brk, s)
        # (``while True:``: this break is never taken, the loop is left by break or return in its body)
        brk.ad_never = isinstance(s.test, ast.Constant) and bool(s.test.value)
        inner = cond_stmts + [ast.copy_location(ast.If(test=test, body=body or [ast.Pass()], orelse=[brk]), s)]
        self.loop(ast.While(test=ast.Constant(True), body=inner, orelse=[]), inner, force_count=True)

    def loop(self, node, body, force_count=False):
        breaks = has_jump(body, ast.Break)
        node.body = restructure(body, (ast.Break, ast.Continue), drop=(ast.Continue,)) or [ast.Pass()]
        if breaks or force_count:
            count = self.namer.fresh(COUNT)
            self.emit(ast.Assign(targets=[ast.Name(count, ast.Store())], value=ast.Constant(0)))
            inc = ast.AugAssign(target=ast.Name(count, ast.Store()), op=ast.Add(), value=ast.Constant(1))
            notes.mark_counter(inc)
            ast.copy_location(inc, self.cur)
            node.body.insert(0, inc)
            notes.set_count(node, count)
        self.emit(node)
