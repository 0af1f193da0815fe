"""anf: expressions in A-normal form, the core every other rewrite builds on.

After this rewrite every expression the body evaluates is one operation whose operands are atoms
(a ``Name``, or an int, float or bool ``Constant``; a negative number is an atom):

- ``a <binop> b``, ``-a`` (``+a`` is ``-(-a)``), ``x[index]``, ``x.shape``-like attributes, a call
  with atom arguments, a tuple or list of atoms;
- every nested operation is evaluated first into a fresh temporary (``_t1 = ...``), left to right,
  in the order Python evaluates it;
- ``a if c else b`` becomes an ``if`` on a condition name assigning one temporary in both branches;
- comparisons, boolean logic, ``not``, ``~`` and bit operations are non-differentiable and stay
  whole (they may not call user functions);
- index expressions made of names, integers, slices and ``len``/``.shape``/``int``/``min``/``max``/
  ``abs`` stay inline in ``x[...]``.

Every emitted statement carries the line of the user statement it comes from.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(s, x, y):\\n    s[0] = x * y + 1.0"))
_t1 = x * y
_t2 = _t1 + 1.0
s[0] = _t2
"""
from __future__ import annotations

import ast
import builtins
import copy
import types

import numpy as np

from ..codegen.naming import COND, TEMP
from ..errors import AdCompilerError, UnsupportedSyntaxError
from ..rules import lookup
from . import notes
from .resolve import MISSING

#: attributes of an array that describe it (never its values)
SHAPE_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}

_INDEX_OPS = (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)
_BIT_OPS = (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)


def _negative_number(e) -> bool:
    return isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant) \
        and type(e.operand.value) in (int, float)


def _is_atom(e):
    if _negative_number(e):
        return False
    return isinstance(e, ast.Name) or (isinstance(e, ast.Constant) and isinstance(e.value, (int, float, bool, complex)))


def is_index_expr(e, resolver) -> bool:
    """Pure integer/slice expressions that may stay inline in an index."""
    if isinstance(e, ast.Name):
        return True
    if isinstance(e, ast.Constant):
        return e.value is None or e.value is Ellipsis or isinstance(e.value, int)
    if isinstance(e, ast.Slice):
        return all(p is None or is_index_expr(p, resolver) for p in (e.lower, e.upper, e.step))
    if isinstance(e, ast.Tuple):
        return all(is_index_expr(x, resolver) for x in e.elts)
    if isinstance(e, ast.BinOp):
        return isinstance(e.op, _INDEX_OPS) and is_index_expr(e.left, resolver) and is_index_expr(e.right, resolver)
    if isinstance(e, ast.UnaryOp):
        return isinstance(e.op, ast.USub) and is_index_expr(e.operand, resolver)
    if isinstance(e, ast.Attribute):
        return e.attr in ("shape", "ndim", "size") and isinstance(e.value, ast.Name)
    if isinstance(e, ast.Subscript):
        return isinstance(e.value, ast.Attribute) and e.value.attr == "shape" and is_index_expr(e.slice, resolver)
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and \
            e.func.id in ("len", "int", "min", "max", "abs") and not resolver.is_local(e.func.id):
        return not e.keywords and all(is_index_expr(a, resolver) for a in e.args) and \
            (e.func.id != "len" or isinstance(e.args[0], ast.Name))
    return False



def _innermost(e, lst, elt, start, test):
    """The statements a comprehension's loops run per element: an append to ``lst``, an
    addition to it (``start``), or (``test``) any's/all's flag set by the deciding element."""
    if test is not None:   # any: the first true element ends it; all: the first false one
        cond = elt if test == "any" else ast.UnaryOp(ast.Not(), elt)
        stop = [ast.Break()] if isinstance(e, ast.GeneratorExp) and len(e.generators) == 1 else []
        return [ast.If(test=cond, body=[ast.Assign(targets=[ast.Name(lst, ast.Store())],
                                                   value=ast.Constant(test == "any"))] + stop, orelse=[])]
    if start is None:
        return [ast.Expr(ast.Call(ast.Attribute(ast.Name(lst, ast.Load()), "append", ast.Load()), [elt], []))]
    return [ast.Assign(targets=[ast.Name(lst, ast.Store())],
                       value=ast.BinOp(ast.Name(lst, ast.Load()), ast.Add(), elt))]


def _boolean(test) -> bool:
    """Whether ``test`` is a bool whatever its operands: a comparison, a ``not``, a
    bool constant, ``bool(...)``, or ``and``/``or`` of these (kept whole as a condition)."""
    if isinstance(test, ast.BoolOp):
        return all(_boolean(v) for v in test.values)
    return isinstance(test, ast.Compare) or isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) \
        or isinstance(test, ast.Constant) and isinstance(test.value, bool) \
        or isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "bool" \
        and len(test.args) == 1 and not test.keywords


def _truths(test):
    """``a and b`` (``or``) of any operands as ``bool(a) and bool(b)``: the same truth, the
    same short circuit, and no operand taken as the value (a list tested stays a test of it)."""
    if isinstance(test, ast.BoolOp):
        return ast.copy_location(ast.BoolOp(test.op, [_truths(v) for v in test.values]), test)
    if _boolean(test):
        return test
    return ast.copy_location(ast.Call(ast.Name("bool", ast.Load()), [test], []), test)


class AnfRewrite:
    """Emits statements into the current block and brings expressions to
    A-normal form; the other rewrites are mixed into the same walker
    (``normalize.Normalizer``) and call each other through ``self``."""

    def __init__(self, pf, resolver, namer):
        self.pf = pf
        self.res = resolver
        self.namer = namer
        self.out: list = []
        self.cur: ast.stmt | None = None
        self.has_return_value = False

    # -- emission -----------------------------------------------------------
    def err(self, node, what, hint, cls=UnsupportedSyntaxError):
        line = getattr(node, "lineno", None) or getattr(self.cur, "lineno", None)
        raise cls(what, filename=self.pf.filename, lineno=line, col=getattr(node, "col_offset", None),
                  construct=self.as_written(node, line), hint=hint)

    def as_written(self, node, line) -> str:
        """``node`` as the user wrote it: renamed locals under their names (``u_1`` is
        ``u``); the user's line where it reads a name the rewrite made."""
        node, renamed = copy.deepcopy(node), getattr(self.namer, "renamed", None) or {}
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id in self.namer.generated and line is not None:
                return self.pf.line_text(line).strip()[:80]
            if isinstance(n, ast.Name):
                n.id = renamed.get(n.id, n.id)
        return ast.unparse(node).splitlines()[0][:80]

    def emit(self, stmt):
        ast.copy_location(stmt, self.cur)
        stmt.end_lineno = getattr(self.cur, "end_lineno", stmt.lineno)
        self.out.append(stmt)
        return stmt

    def temp(self, value) -> ast.Name:
        name = self.namer.fresh(TEMP)
        self.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=value))
        return ast.Name(name, ast.Load())

    def atom(self, e) -> ast.expr:
        if _negative_number(e):
            return ast.Constant(-e.operand.value)   # a negative number is an atom
        if _is_atom(e):
            return e if not isinstance(e, ast.Name) else ast.Name(e.id, ast.Load())
        if isinstance(e, ast.Constant) and e.value is None:
            return e
        return self.temp(self.simple(e))

    def fresh_call(self, v):
        """User calls always assign a fresh temporary (the reverse sweep relies on it)."""
        if notes.is_user_call(v) or notes.rule_kind(v) == "split":
            return self.temp(v)
        return v

    def name_atom(self, e) -> ast.Name:
        a = self.atom(e)
        if not isinstance(a, ast.Name):
            a = self.temp(a)
        return a

    def cond_atom(self, test) -> ast.Name:
        name = self.namer.fresh(COND)
        if isinstance(test, ast.BoolOp) and not _boolean(test):
            test = _truths(test)   # (``while st and n < 40``: the truth of each operand, not ``st`` as a value)
        if not _boolean(test):
            # the truth of the value now: a list tested here may be emptied later
            # (``while st: ... st.pop()``), and the reverse sweep re-tests the condition; a number
            # tested (``if x[i] % 1.0:``) is kept as its truth (numba's tape kept int(0.5), False)
            test = ast.copy_location(ast.Call(ast.Name("bool", ast.Load()), [test], []), test)
        if isinstance(test, ast.BoolOp) and (self.calls_user(test) or self.reduces_comprehension(test)):
            test = self.short_circuit(test)
        elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.BoolOp) \
                and self.calls_user(test):   # (``not (a or f(x))``)
            test = ast.copy_location(ast.UnaryOp(ast.Not(), self.short_circuit(_truths(test.operand))), test)
        if not isinstance(test, ast.Call) and self.calls_user(test) and not any(
                isinstance(n, (ast.BoolOp, ast.IfExp, ast.Lambda)) or isinstance(n, ast.Compare)
                and any(self.calls_user(c) for c in n.comparators[1:])
                or isinstance(n, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)) for n in ast.walk(test)):
            # (``while f(x - t * g) > f0 - c * t:``, a line search: the user function called first, as Python
            # calls it, in a statement of its own; not where an operand is evaluated only on a condition)
            test = self.calls_in_order(copy.deepcopy(test))
        value = self.nondiff(self.reductions_first(test)) if not isinstance(test, ast.Call) else self.simple(test)
        self.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=value))
        return ast.Name(name, ast.Load())

    def calls_in_order(self, e):
        """``e`` (a condition's expression) with its user functions' calls each run as a statement
        of its own, in Python's order: what Python evaluates before a call and may read memory
        the call writes (``y[0] + 0.5 > bump(y)``) is evaluated before it, into a name."""
        if not isinstance(e, ast.expr) or not self.calls_user(e):
            return e
        slots = []   # the operands, in the order Python evaluates them: (operand, put it back)
        for field, value in ast.iter_fields(e):
            if isinstance(value, list):
                value = [copy.copy(v) if isinstance(v, ast.keyword) else v for v in value]
                setattr(e, field, value)
                for k, v in enumerate(value):
                    if isinstance(v, ast.keyword):
                        slots.append((v.value, lambda new, v=v: setattr(v, "value", new)))
                    elif isinstance(v, ast.expr):
                        slots.append((v, lambda new, value=value, k=k: value.__setitem__(k, new)))
            elif isinstance(value, ast.expr):
                slots.append((value, lambda new, field=field: setattr(e, field, new)))
        before = []
        for v, put in slots:
            if not self.calls_user(v):
                before.append((v, put))
                continue
            for w, put_w in before:
                if any(isinstance(n, (ast.Subscript, ast.Call)) for n in ast.walk(w)):
                    put_w(self.name_atom(w))
            before = []
            put(self.calls_in_order(v))
        return self.name_atom(e) if isinstance(e, ast.Call) and _user_function(self.resolve_call_target(e)) else e

    def short_circuit(self, test) -> ast.Name:
        """``a and b`` (``or``) of truths, ``b`` calling a user function, as a condition: ``b``
        (its calls) evaluated only when ``a`` is true (false), as Python evaluates it
        (``while it < maxit and f(x) > tol:``)."""
        name = self.namer.fresh(TEMP)
        rest = test.values[1] if len(test.values) == 2 else ast.copy_location(ast.BoolOp(test.op, test.values[1:]), test)
        first = self.cond_atom(test.values[0])

        def branch(e):
            saved, self.out = self.out, []
            value = e if isinstance(e, ast.Constant) else self.cond_atom(e)
            self.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=value))
            block, self.out = self.out, saved
            return block
        if isinstance(test.op, ast.And):
            self.emit(ast.If(test=first, body=branch(rest), orelse=branch(ast.Constant(False))))
        else:
            self.emit(ast.If(test=first, body=branch(ast.Constant(True)), orelse=branch(rest)))
        return ast.Name(name, ast.Load())

    # -- expressions ----------------------------------------------------------
    def simple(self, e) -> ast.expr:
        """One operation with atomic operands."""
        if _is_atom(e) or (isinstance(e, ast.Constant) and e.value is None):
            return e
        if isinstance(e, ast.Constant):
            if isinstance(e.value, str):
                return e
            self.err(e, f"the constant {e.value!r} is not supported.", "use float or int values.")
        if isinstance(e, ast.UnaryOp):
            return self.unary(e)
        if isinstance(e, ast.BinOp):
            if isinstance(e.op, _BIT_OPS):
                return self.nondiff(e)
            return ast.BinOp(self.atom(e.left), e.op, self.atom(e.right))
        if isinstance(e, ast.BoolOp) and not _boolean(e):
            return self.boolop_value(e)
        if isinstance(e, (ast.Compare, ast.BoolOp, ast.JoinedStr)):
            return self.nondiff(e)
        if isinstance(e, ast.Call):
            return self.call(e)
        if isinstance(e, ast.Subscript):
            return self.subscript_load(e)
        if isinstance(e, ast.Attribute):
            return self.attribute(e)
        if isinstance(e, ast.IfExp):
            return self.ifexp(e)
        if isinstance(e, (ast.Tuple, ast.List)):
            return self.sequence(e)
        if isinstance(e, (ast.ListComp, ast.GeneratorExp)):
            return self.comprehension(e)
        self.err(e, f"the expression `{type(e).__name__}` is not supported.", "rewrite it with supported operations.")

    def comprehension(self, e, start=None, into=None, test=None) -> ast.Name:
        """``[elt for t in it if c]`` (or a generator expression) as a list built by a
        loop: ``L = []; for t' in it: if c: L.append(elt)``, its variables renamed
        (a comprehension's variables are its own: the function's keep their values).
        With ``start`` (``sum(elt for ...)``): ``s = start; for ...: s = s + elt``;
        with ``into``, the list is built under that name (``v = [... for ...]``);
        with ``test`` (``any``/``all`` of it), a flag: ``a = False; for ...: if elt:
        a = True; break`` (a generator of one loop stops there, as Python's does)."""
        rename: dict = {}
        for g in e.generators:
            if g.is_async:
                self.err(e, "an async comprehension is not supported.", "write a `for` loop.")
            for t in ast.walk(g.target):
                if isinstance(t, ast.Name):
                    rename[t.id] = self.namer.fresh(f"_{t.id}{{}}")
                elif not isinstance(t, (ast.Tuple, ast.List, ast.Store)):
                    self.err(e, "a comprehension's variables must be names.", "write a `for` loop.")
        if any(isinstance(n, (ast.ListComp, ast.GeneratorExp)) and any(
                isinstance(t, ast.Name) and t.id in rename for g in n.generators for t in ast.walk(g.target))
               for n in ast.walk(e) if n is not e):
            self.err(e, "a comprehension inside a comprehension with a variable of the same name.",
                     "rename one of the variables.")
        self.res.locals.update(rename.values())
        lst = into or self.namer.fresh("_" + (test or ("list" if start is None else "sum")) + "{}")
        self.res.locals.add(lst)
        if start is None and test is None:
            self.lists.local.add(lst)

        def renamed(node):
            node = copy.deepcopy(node)
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and n.id in rename:
                    n.id = rename[n.id]
            return node
        body = _innermost(e, lst, renamed(e.elt), start, test)
        if test is not None:
            start = ast.Constant(test == "all")
        for k, g in reversed(list(enumerate(e.generators))):
            for c in reversed(g.ifs):
                body = [ast.If(test=renamed(c), body=body, orelse=[])]
            # (the first iterable is evaluated where the comprehension is, the others inside it)
            body = [ast.For(target=renamed(g.target), iter=g.iter if k == 0 else renamed(g.iter), body=body,
                            orelse=[])]
        cur = self.cur
        first = ast.List([], ast.Load()) if start is None else start
        for st in [ast.Assign(targets=[ast.Name(lst, ast.Store())], value=first)] + body:
            for n in ast.walk(st):
                ast.copy_location(n, e)
                n.end_lineno = getattr(e, "end_lineno", e.lineno)
            self.stmt(st)
        self.cur = cur
        return ast.Name(lst, ast.Load())

    def unary(self, e):
        if isinstance(e.op, (ast.Not, ast.Invert)):
            return self.nondiff(e)
        if isinstance(e.op, ast.UAdd):   # (``+x`` of an array is a new array, not ``x``: ``-(-x)``, exact)
            neg = ast.copy_location(ast.UnaryOp(ast.USub(), e.operand), e)
            return self.simple(e.operand) if isinstance(e.operand, ast.Constant) else self.unary(
                ast.copy_location(ast.UnaryOp(ast.USub(), neg), e))
        if isinstance(e.op, ast.USub) and isinstance(e.operand, ast.Constant) and isinstance(e.operand.value, (int, float)):
            return ast.Constant(-e.operand.value)
        return ast.UnaryOp(e.op, self.atom(e.operand))

    def sequence(self, e):
        kind = ast.Tuple if isinstance(e, ast.Tuple) else ast.List
        if all(isinstance(x, ast.Constant) for x in e.elts):
            return kind([self.index_part(x) for x in e.elts], ast.Load())
        # an element computed from names (``(a, b * b)``) is an operation of its own
        # even where it looks like integer arithmetic: ``b`` may be a float array,
        # and an operation inside a tuple would carry no derivative
        return kind([self.atom(x) for x in e.elts], ast.Load())

    def calls_user(self, e) -> bool:
        """Whether ``e`` calls a user function (not a rule's)."""
        return any(isinstance(n, ast.Call) and _user_function(self.resolve_call_target(n)) for n in ast.walk(e))

    def nondiff(self, e):
        """A non-differentiable expression kept whole (its calls must be known)."""
        for node in ast.walk(e):
            if isinstance(node, ast.Call):
                target = self.resolve_call_target(node)
                if _user_function(target):
                    self.err(node, "a call to a user function inside a condition or comparison is not supported.",
                             "call it in a separate assignment before the condition.")
                if any(k.arg == "out" for k in node.keywords) or isinstance(target, np.ufunc) \
                        and len(node.args) > target.nin:   # (its write would be kept whole, out of the derivative)
                    self.err(node, "a call writing through out= inside a condition or comparison is not supported.",
                             "call it in a separate statement before the condition.")
                rule = lookup(target) if target is not MISSING and notes.target(node) is None else None
                if rule is not None:   # (noted as other calls are: the kinds read its result, `np.abs(u) < 1`)
                    notes.resolve_call(node, target, rule)
        return e

    def ifexp(self, e):
        name = self.namer.fresh(TEMP)
        test = self.cond_atom(e.test)
        body = self.block_expr(e.body, name)
        orelse = self.block_expr(e.orelse, name)
        self.emit(ast.If(test=test, body=body, orelse=orelse))
        return ast.Name(name, ast.Load())

    def boolop_value(self, e):
        """``a or b`` (``a and b``) as a value: ``a`` if it is true (false),
        else ``b``, evaluated only then; as the conditional expression
        ``a if a else b`` with ``a`` evaluated once, so that the value carries
        the derivative of the operand chosen (``x or 1.0`` is ``x``)."""
        first = self.simple(e.values[0])
        if not isinstance(first, ast.Constant):
            # a name of its own, not a temporary: it is read inside the branches
            v = self.namer.fresh("_v{}")
            self.emit(ast.Assign(targets=[ast.Name(v, ast.Store())], value=first))
            first = ast.Name(v, ast.Load())
        rest = e.values[1] if len(e.values) == 2 else ast.copy_location(ast.BoolOp(e.op, e.values[1:]), e)
        if isinstance(e.op, ast.Or):
            choice = ast.IfExp(test=first, body=copy.deepcopy(first), orelse=rest)
        else:
            choice = ast.IfExp(test=first, body=rest, orelse=copy.deepcopy(first))
        return self.ifexp(ast.copy_location(choice, e))

    def block_expr(self, e, name):
        saved, self.out = self.out, []
        node = self.emit(ast.Assign(targets=[ast.Name(name, ast.Store())], value=self.simple(e)))
        if isinstance(node.value, ast.Constant) and node.value.value is None:
            node.ad_none = True   # the user's None (a compiled backend cannot hold it beside a number)
        block, self.out = self.out, saved
        return block

    def index_part(self, e):
        if isinstance(e, ast.List):   # a list index is an integer-array (fancy) index
            return ast.List([self.index_part(x) for x in e.elts], ast.Load())
        if isinstance(e, ast.Call) and len(e.args) == 1 and not e.keywords and not isinstance(e.args[0], ast.Starred) \
                and isinstance(e.func, ast.Name) and not self.res.is_local(e.func.id) \
                and self.resolve_call_target(e) is builtins.list:
            # (``X[list(t)]``, the rows of a mesh's ``for t in tris``: the list indexes as the array of its items)
            return self.name_atom(self.make_call(np.asarray, [e.args[0]], [], e))
        if self.lists.resized_len(e):   # (len of a list that grows: its value when the line runs, in a name)
            if isinstance(e, ast.Slice):
                return ast.Slice(*(None if p is None else self.index_part(p) for p in (e.lower, e.upper, e.step)))
            if isinstance(e, ast.Tuple):
                return ast.Tuple([self.index_part(x) for x in e.elts], ast.Load())
            return self.temp(copy.deepcopy(e)) if is_index_expr(e, self.res) else self.name_atom(e)
        if is_index_expr(e, self.res) or isinstance(e, ast.Constant) and isinstance(e.value, str):
            return e   # (a dict's key stays written out: its value's kind is read by it)
        if isinstance(e, ast.Slice):
            return ast.Slice(*(None if p is None else self.index_part(p) for p in (e.lower, e.upper, e.step)))
        if isinstance(e, ast.Tuple):
            return ast.Tuple([self.index_part(x) for x in e.elts], ast.Load())
        return self.name_atom(e)

    def subscript_load(self, e):
        if isinstance(e.value, ast.Attribute) and e.value.attr in SHAPE_ATTRS and isinstance(e.value.value, ast.Name):
            return ast.Subscript(e.value, self.index_part(e.slice), ast.Load())
        if self.lists.reads_items(e.value) and not isinstance(e.slice, ast.Slice):
            # an item of a list that may carry derivatives: read from its items stacked (frontend/lists.py)
            from .stacking import stack_list
            base = self.temp(stack_list(self, e, e.value, ast.Constant(0), read_only=True))
            return ast.Subscript(base, self.index_part(e.slice), ast.Load())
        joins = self.index_joins(e.value)
        if joins is not None:   # (np.r_[a, b], np.c_[a, b])
            from .grids import index_join
            return index_join(self, e, joins)
        base = self.name_atom(e.value)
        return ast.Subscript(base, self.index_part(e.slice), ast.Load())

    def index_joins(self, node):
        """"r_" or "c_" where ``node`` names ``np.r_`` or ``np.c_``."""
        if not isinstance(node, (ast.Attribute, ast.Name)) or isinstance(node, ast.Name) and self.res.is_local(node.id):
            return None
        try:
            obj = self.res.resolve_attr(node) if isinstance(node, ast.Attribute) else self.res.lookup(node.id, node)
        except AdCompilerError:
            return None
        return next((k for k in ("r_", "c_") if obj is getattr(np, k)), None)

    # -- call arguments -----------------------------------------------------
    def simple_or_atom(self, a):
        """An argument of a non-differentiable or allocating call: constants and
        resolved attributes stay whole."""
        if isinstance(a, (ast.Tuple, ast.List)):
            return ast.Tuple([self.simple_or_atom(x) for x in a.elts], ast.Load())
        if isinstance(a, (ast.Constant, ast.Name)):
            return a
        if isinstance(a, ast.Attribute) and self.res.resolve_attr(a) is not MISSING:
            return a
        return self.atom(a)

    def arg_atom(self, a):
        """An argument of a call with a rule: an atom, a string or None constant,
        a tuple of these, or a module attribute (``np.newaxis``, ``np.float32``)."""
        if isinstance(a, ast.Constant) and (a.value is None or isinstance(a.value, (str, int, float, bool))):
            return a
        if isinstance(a, (ast.Tuple, ast.List)):
            return ast.Tuple([self.arg_atom(x) for x in a.elts], ast.Load())
        if isinstance(a, ast.Attribute) and self.res.resolve_attr(a) is not MISSING:
            return a
        return self.atom(a)


def _user_function(target) -> bool:
    """Whether a call's target is a user function (differentiated by its source, no rule)."""
    return isinstance(target, types.FunctionType) and lookup(target) is None


def named_view(v) -> str | None:
    """``A`` or ``A.T`` (a name, or attributes of one; views of it, ``x[4:7]`` of ``x[4:7][::-1]``): the
    text of what two indexed arguments (``A.T[0]``, ``A.T[1]``) are views of, else None."""
    while isinstance(v, ast.Subscript):
        v = v.value
    root = v
    while isinstance(root, ast.Attribute):
        root = root.value
    return ast.unparse(v) if isinstance(root, ast.Name) else None
