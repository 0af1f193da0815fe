"""statements: every statement in one of a few simple forms.

After this rewrite the body holds only:

- ``n = op`` (``op`` as ``frontend/anf.py`` says; a user call or a split rule
  always assigns a fresh temporary first: ``_t1 = f(a); n = _t1``);
- ``x[index] = a`` (a store into an argument or a local variable; a call
  that writes a whole array stores ``x[...] = a``) and ``x[index] += a`` /
  ``-= a``; ``x[index] *= a`` (any other operator) is
  ``_t1 = x[index]; _t2 = _t1 * a; x[index] = _t2``;
- ``n <op>= a`` (in place for arrays, a rebinding for scalars: decided later
  from the kinds);
- ``f(a, ...)`` as a statement (a call for its effect), ``print(...)``;
- ``if c`` on a condition name (``_c1 = <test>``); loops as
  ``frontend/loops.py`` says; ``pass``, ``break``, ``continue``, ``assert``,
  ``raise``;
- ``_ret = a; return`` for ``return a`` (``frontend/returns.py`` then leaves
  one ``return`` at the end).

Tuple targets are unpacked one name at a time (``a, b = t`` reads ``t[0]``
and ``t[1]``); multiple targets assign one atom; docstrings are dropped.
Stores only write arguments or local variables.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x, a):\\n    x[0] *= a[1] + 1.0"))
_t1 = a[1]
_t2 = _t1 + 1.0
_t3 = x[0]
_t4 = _t3 * _t2
x[0] = _t4
"""
from __future__ import annotations

import ast
import copy

from ..codegen.naming import TEMP
from ..errors import AdCompilerError
from . import notes


class StatementRewrite:
    """Rewrites statements into the forms above (mixed into ``normalize.Normalizer``)."""

    def fixed_test(self, test):
        """``True``/``False`` for a test of a non-local name against None (``prev is None``,
        ``prev is not None``), or of a parameter never bound again holding a function or None
        (an optional callback: the code is made for each), else None."""
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot))
                and isinstance(test.left, ast.Name) and isinstance(test.comparators[0], ast.Constant)
                and test.comparators[0].value is None):
            return None
        name = test.left.id
        if name in self.res.bound or name in self.res.nones:   # (a parameter: a function, or None, given)
            return (name in self.res.nones) == isinstance(test.ops[0], ast.Is)
        if self.res.is_local(name):
            return None
        try:
            value = self.res.lookup(test.left.id, test)
        except AdCompilerError:
            return None
        return (value is None) == isinstance(test.ops[0], ast.Is)

    def fold_fixed(self, stmts) -> list:
        """``stmts`` with each ``if`` whose test ``fixed_test`` decides replaced by the branch
        taken (a module's or closure's ``prev is None``: the code is remade if ``prev`` comes
        to hold another object), and what follows a ``return`` in the same block dropped."""
        out = []
        for s in stmts:
            if isinstance(s, ast.If) and self.fixed_test(s.test) is not None:
                out += self.fold_fixed(s.body if self.fixed_test(s.test) else s.orelse)
            else:
                if any(isinstance(getattr(s, f, None), list) and getattr(s, f) for f in ("body", "orelse", "finalbody")):
                    s = copy.copy(s)   # (the parsed tree keeps its names: the cache compares what they hold)
                    for field in ("body", "orelse", "finalbody"):
                        if isinstance(getattr(s, field, None), list) and getattr(s, field):
                            setattr(s, field, self.fold_fixed(getattr(s, field)) or [ast.Pass()])
                out.append(s)
            if out and isinstance(out[-1], ast.Return):
                break
        return out

    def block(self, stmts):
        saved, self.out = self.out, []
        for s in stmts:
            self.stmt(s)
        block, self.out = self.out, saved
        return block

    def stmt(self, s):
        self.cur = s
        if isinstance(s, ast.Expr):
            self.expr_stmt(s)
        elif isinstance(s, (ast.Assign, ast.AnnAssign)):
            self.assign(s)
        elif isinstance(s, ast.AugAssign):
            self.augassign(s)
        elif isinstance(s, (ast.For, ast.While)):
            self.loop_returning(s) if _returns_in(s) else self.any_loop(s)
        elif isinstance(s, ast.If):
            test = self.cond_atom(s.test)
            body = self.block(s.body)
            orelse = self.block(s.orelse)
            self.cur = s
            self.emit(ast.If(test=test, body=body or [ast.Pass()], orelse=orelse))
        elif isinstance(s, (ast.Break, ast.Continue, ast.Pass)):
            self.emit(type(s)())
        elif isinstance(s, ast.Return):
            if s.value is not None:
                self.has_return_value = True
                v = self.fresh_call(self.simple(s.value))
                node = ast.Assign(targets=[ast.Name(self.namer.ret, ast.Store())], value=v)
                if isinstance(v, ast.Constant) and v.value is None:
                    node.ad_none = True   # ``return None`` (a compiled backend cannot hold it beside a number)
                self.emit(node)
            if self.returned:   # in a loop: leave it, and the loops around it
                self.emit(ast.Assign(targets=[ast.Name(self.returned, ast.Store())], value=ast.Constant(True)))
                self.emit(ast.Break())
            else:
                self.emit(ast.Return(value=None))
        elif isinstance(s, ast.Assert):
            self.emit(ast.Assert(test=self.nondiff(s.test), msg=s.msg))
        elif isinstance(s, ast.Raise):
            self.emit(s)
        else:
            self.err(s, f"the statement `{type(s).__name__}` is not supported.", "rewrite it with supported statements.")

    def any_loop(self, s):
        self.for_(s) if isinstance(s, ast.For) else self.while_(s)

    def loop_returning(self, s):
        """A loop with ``return`` in it: the return sets a flag and breaks; after the
        loop, the flag breaks the loop around it, or returns."""
        outer = self.returned
        if isinstance(s, ast.For) and isinstance(s.iter, (ast.Tuple, ast.List)):
            self.err(s, "`return` inside a loop over a tuple written out (run once per element) is not supported.",
                     "keep the value in a variable and return it after the loop.")
        if outer is None:
            self.returned = self.namer.fresh("_returned{}")
            self.emit(ast.copy_location(ast.Assign(targets=[ast.Name(self.returned, ast.Store())],
                                                   value=ast.Constant(False)), s))
        self.any_loop(s)
        flag = self.returned
        self.returned = outer
        self.cur = s
        test = self.cond_atom(ast.Name(flag, ast.Load()))
        leave = ast.copy_location(ast.Break() if outer else ast.Return(value=None), s)
        # every return in the loop gave a value: ``_ret`` is bound where the flag is set
        leave.ret_bound = all(r.value is not None for r in ast.walk(s) if isinstance(r, ast.Return))
        self.emit(ast.copy_location(ast.If(test=test, body=[leave], orelse=[]), s))

    def expr_stmt(self, s):
        if isinstance(s.value, ast.Constant):
            return  # docstring or bare constant
        if not isinstance(s.value, ast.Call):
            self.err(s, "an expression statement that is not a call has no effect.", "remove it.")
        func = s.value.func
        if isinstance(func, ast.Name) and not self.res.is_local(func.id) and self.res.lookup(func.id, func) is print:
            self.emit(ast.Expr(self.nondiff(s.value)))
            return
        v = self.simple(s.value)
        if isinstance(v, ast.Call):
            self.emit(ast.Expr(v))

    def store(self, target, value_atom, node, into=False, same_kind=False):
        """``target[index] = value_atom``; a bare name stores into all of it (``x[...]``).
        ``into``: it stands for numpy writing into the array ``target`` evaluates to
        (``out=y[idx]``; ``notes.mark_written_into``), ``same_kind`` casting only within a kind."""
        if isinstance(target, ast.Name):
            target = ast.Subscript(ast.Name(target.id, ast.Load()), ast.Constant(Ellipsis), ast.Store())
        if not isinstance(target, ast.Subscript) or not isinstance(target.value, ast.Name):
            self.err(node, "this store target is not supported.", "store into a named array, e.g. `x[i] = v`.")
        self.check_writable(target.value.id, node)
        idx = self.index_part(target.slice)
        stmt = ast.Assign(targets=[ast.Subscript(ast.Name(target.value.id, ast.Load()), idx, ast.Store())],
                          value=value_atom)
        if into:
            notes.mark_written_into(stmt)
        if same_kind:
            notes.mark_same_kind(stmt)
        self.emit(stmt)

    def containers(self) -> set:
        """The names the function binds to a list, tuple or dict (a display, a
        comprehension, ``list(...)``, ``tuple(...)``, ``dict(...)``)."""
        found = getattr(self, "_containers", None)
        if found is None:
            def container(v):
                return isinstance(v, (ast.List, ast.Tuple, ast.Dict, ast.ListComp, ast.DictComp, ast.ListComp)) or (
                    isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in ("list", "tuple", "dict")
                    and not self.res.is_local(v.func.id))
            found = self._containers = {t.id for n in ast.walk(self.pf.tree) if isinstance(n, ast.Assign)
                                        and container(n.value) for t in n.targets if isinstance(t, ast.Name)}
        return found

    def check_writable(self, name, node):
        if self.namer.made(name, TEMP):
            # an expression written through (np.copyto(a[1:], ...), out=np.zeros_like(a)):
            # followed as memory, as a named view or array is
            self.res.locals.add(name)
            self.namer.read_late.add(name)
            return
        if not self.res.is_local(name):
            self.err(node, f"writing into `{name}`, which is not an argument or local variable",
                     "pass the array as an argument.")

    def assign(self, s):
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        if s.value is None:
            return
        if len(targets) > 1:
            v = self.atom(s.value)
            self._read_late([v])
            for t in targets:
                self.assign_one(t, v)
            return
        t = targets[0]
        if isinstance(t, (ast.Tuple, ast.List)):
            self.unpack(t, s.value)
            return
        if isinstance(t, ast.Name) and isinstance(s.value, ast.ListComp) and t.id in self.lists.comprehended:
            self.comprehension(s.value, into=t.id)   # built under its name: a list the function builds
            return
        if isinstance(t, ast.Name):
            node = ast.Assign(targets=[ast.Name(t.id, ast.Store())], value=self.fresh_call(self.simple(s.value)))
            if isinstance(node.value, ast.Constant) and node.value.value is None:
                node.ad_none = True   # the user's None (a compiled backend cannot hold it beside a number)
            self.emit(node)
            return
        value = _as_tuples(s.value) if isinstance(t, ast.Subscript) else s.value   # (a list stored as a tuple is)
        self.assign_one(t, self.atom(value))

    def assign_one(self, t, v):
        if isinstance(t, ast.Name):
            self.emit(ast.Assign(targets=[ast.Name(t.id, ast.Store())], value=v))
        elif isinstance(t, ast.Subscript):
            self.store(t, v, t)
        elif isinstance(t, (ast.Tuple, ast.List)):
            self.unpack(t, v)
        else:
            self.err(t, "this assignment target is not supported.", "assign to names or array elements.")

    def unpack(self, t, value):
        if any(isinstance(x, ast.Starred) for x in t.elts):
            self.err(t, "starred unpacking is not supported.", "unpack explicitly.")
        if isinstance(value, (ast.Tuple, ast.List)):
            if len(value.elts) != len(t.elts):
                self.err(t, "unpacking needs as many values as targets.", "check the tuple.")
            vals = [self.name_atom(v) if not isinstance(v, ast.Constant) else v for v in value.elts]
            vals = [self.temp(v) if isinstance(v, ast.Name) and not self.namer.made(v.id, TEMP) else v for v in vals]
            self._read_late(vals)
            for tt, v in zip(t.elts, vals):
                self.assign_one(tt, v)
            return
        n = len(t.elts)
        if isinstance(value, ast.Call):
            v = self.simple(value)
            if isinstance(v, ast.Tuple) and len(v.elts) == n and all(isinstance(x, ast.Name) for x in v.elts):
                for tt, x in zip(t.elts, v.elts):   # a rewrite's tuple of names (np.meshgrid): each bound as itself
                    self.assign_one(tt, x)
                return
            tup = self.temp(v)
        else:
            tup = self.name_atom(value)
        # Python raises where the lengths differ; indexing would take the first values
        check = ast.If(
            test=ast.Compare(ast.Call(ast.Name("len", ast.Load()), [tup], []), [ast.NotEq()], [ast.Constant(n)]),
            body=[ast.Raise(exc=ast.Call(ast.Name("ValueError", ast.Load()),
                                         [ast.Constant(f"unpacking needs exactly {n} values")], []), cause=None)],
            orelse=[])
        self.stmt(ast.fix_missing_locations(ast.copy_location(check, t)))
        for k, tt in enumerate(t.elts):
            self.assign_one(tt, self.temp(ast.Subscript(tup, ast.Constant(k), ast.Load())))

    def _read_late(self, vals):
        """The values of a statement with several stores, read after the first
        store: a view among them sees it (``x[:], y[:] = y, x`` leaves both equal
        to the old ``y``), so the analyses must follow it as a view."""
        for v in vals:
            if isinstance(v, ast.Name) and self.namer.made(v.id, TEMP):
                self.namer.read_late.add(v.id)

    def augassign(self, s):
        t, op = s.target, s.op
        if isinstance(t, ast.Name):
            self.emit(ast.AugAssign(target=ast.Name(t.id, ast.Store()), op=op, value=self.atom(s.value)))
            return
        if not isinstance(t, ast.Subscript) or not isinstance(t.value, ast.Name):
            self.err(t, "this augmented-assignment target is not supported.", "use a named array.")
        self.check_writable(t.value.id, t)
        container = t.value.id in self.containers() or (
            isinstance(t.slice, ast.Constant) and isinstance(t.slice.value, str))   # a dict's entry
        # Python's order: the index, the element's old value, then the value; an element (not a view) read
        # after a call that writes it would be the new one (``y[0] += f(y)``, f writing y[0])
        idx = self.index_part(t.slice)
        mark = len(self.out)
        v = self.atom(s.value)
        base = ast.Name(t.value.id, ast.Load())
        called = not any(isinstance(n, ast.Slice) or isinstance(n, ast.Constant) and n.value is Ellipsis
                         for n in ast.walk(idx)) and any(_may_write(st) for st in self.out[mark:])
        if isinstance(op, (ast.Add, ast.Sub)) and not container and not called:
            self.emit(ast.AugAssign(target=ast.Subscript(base, idx, ast.Store()), op=op, value=v))
            return
        old = self.temp(ast.Subscript(base, idx, ast.Load()))
        if called:
            self.out.insert(mark, self.out.pop())
            self.namer.read_late.add(old.id)
        new = self.temp(ast.BinOp(old, op, v))
        store = ast.Assign(targets=[ast.Subscript(base, idx, ast.Store())], value=new)
        if container:   # lower refuses it where the element may be an array (a float is rebound alike)
            notes.mark_element_update(store, old.id)
        self.emit(store)


def _returns_in(loop) -> bool:
    return any(isinstance(n, ast.Return) for n in ast.walk(loop))


def _as_tuples(v):
    """A list display (of list displays) as tuples: ``x[i] = [a, b]`` stores what ``x[i] = (a, b)`` does."""
    if isinstance(v, ast.List) and not any(isinstance(e, ast.Starred) for e in v.elts):
        return ast.copy_location(ast.Tuple([_as_tuples(e) for e in v.elts], ast.Load()), v)
    return v


def _may_write(st) -> bool:
    """Whether a statement the value of an update made may write memory: a store into an element or
    a view (numpy's ``out=`` is one), an in-place update, a call of a user function."""
    return any(isinstance(n, ast.AugAssign) or isinstance(n, ast.Assign) and any(
        not isinstance(t, ast.Name) for t in n.targets) or notes.is_user_call(n) for n in ast.walk(st))
