"""forms: the statements of a normalized body, classified once.

After normalization (and ``lower``) a function body holds only the forms
below; ``classify(stmt)`` names the form of a statement with its parts. The
reverse, forward and vector-mode builders keep one handler per form,
``on_<kind>`` (``builder.FormBuilder.stmt`` dispatches).

- ``bind`` (``Bind``): ``n = e`` with ``e`` one operation on atoms, never a
  user, split, in-place or stack call; ``e`` has one of the ``VALUE_FORMS``
  (``value_form``), and the builders keep one handler per value form too.
- ``new_list`` (``NewList``): ``n = []``, a Python list used as a stack.
- ``store`` (``Store``): ``m[idx] = v``, ``m`` a name and ``v`` an atom.
- ``increment`` (``Increment``): ``m[idx] += v`` or ``-=``; ``lower`` made
  every other augmented assignment a binding or a store.
- ``count`` (``Count``): ``k += 1`` on a name: a loop's trip counter (the
  only augmented assignment of a name ``lower`` keeps).
- ``user_call`` (``UserCall``): ``n = f(...)`` of a user function (one
  without a rule), differentiated by transforming its source; ``name`` is
  None for a bare call ``f(...)``.
- ``split_call`` (``SplitCall``): the same for a function registered with
  ``defsplit`` (a forward and a reverse function).
- ``inplace_call`` (``InplaceCall``): a helper of generated reverse code that
  writes its first argument (``_ad_add_at``); differentiated in forward mode
  only.
- ``push`` (``Push``): ``st.append(v)``; ``pop`` (``Pop``): ``n = st.pop()``
  (``name`` None for a bare ``st.pop()``).
- ``for`` (``For``), ``while`` (``While``: its trip count is noted,
  ``notes.count``), ``if`` (``If``: the condition is a name); a loop has no
  ``else``.
- ``plain`` (``Plain``): anything else, which has no derivative: ``pass``,
  ``break``, a call for its effect only.

>>> import ast
>>> classify(ast.parse("s[i] = x").body[0])
Store(stmt=<...>, target=<...>, value=<...>)
>>> classify(ast.parse("k += 1").body[0]).kind, value_form(ast.parse("a * b").body[0].value)
('count', 'binop')
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..frontend import notes

#: the values of a ``bind``: a name, a constant, a binary or unary operation,
#: a subscript read, a call with a rule, a tuple, or anything else (no derivative)
VALUE_FORMS = ("name", "constant", "binop", "unary", "read", "call", "tuple", "other")


@dataclass(repr=False)
class Form:
    """A classified statement; ``kind`` names its handler (``on_<kind>``)."""
    kind: ClassVar[str] = "plain"
    stmt: ast.stmt

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={'<...>' if isinstance(v, ast.AST) else repr(v)}" for k, v in vars(self).items())
        return f"{type(self).__name__}({parts})"


@dataclass(repr=False)
class Plain(Form):
    """A statement without a derivative (pass, break, a call for its effect)."""


@dataclass(repr=False)
class Bind(Form):
    """``name = value``: one operation on atoms."""
    kind: ClassVar[str] = "bind"
    name: str
    value: ast.expr


@dataclass(repr=False)
class NewList(Form):
    """``name = []``: a new stack."""
    kind: ClassVar[str] = "new_list"
    name: str


@dataclass(repr=False)
class Store(Form):
    """``target = value`` with ``target`` a subscript ``base[index]``."""
    kind: ClassVar[str] = "store"
    target: ast.Subscript
    value: ast.expr


@dataclass(repr=False)
class Increment(Form):
    """``target op= value`` with ``target`` a subscript, ``op`` ``+`` or ``-``."""
    kind: ClassVar[str] = "increment"
    target: ast.Subscript
    op: ast.operator
    value: ast.expr


@dataclass(repr=False)
class Count(Form):
    """``k += 1``: a loop's trip counter."""
    kind: ClassVar[str] = "count"


@dataclass(repr=False)
class UserCall(Form):
    """``name = call`` (``name`` None: a bare call) of a user function."""
    kind: ClassVar[str] = "user_call"
    name: str | None
    call: ast.Call


@dataclass(repr=False)
class SplitCall(Form):
    """``name = call`` of a function registered with ``defsplit``."""
    kind: ClassVar[str] = "split_call"
    name: str | None
    call: ast.Call
    rule: object


@dataclass(repr=False)
class InplaceCall(Form):
    """``name = call`` of a helper that writes its first argument."""
    kind: ClassVar[str] = "inplace_call"
    name: str | None
    call: ast.Call
    rule: object


@dataclass(repr=False)
class Push(Form):
    """``stack.append(value)``."""
    kind: ClassVar[str] = "push"
    stack: str
    value: ast.expr
    call: ast.Call


@dataclass(repr=False)
class Pop(Form):
    """``name = stack.pop()`` (``name`` None: a bare pop)."""
    kind: ClassVar[str] = "pop"
    name: str | None
    stack: str
    call: ast.Call


@dataclass(repr=False)
class For(Form):
    """A ``for`` loop."""
    kind: ClassVar[str] = "for"


@dataclass(repr=False)
class While(Form):
    """A ``while`` loop with a kept trip count."""
    kind: ClassVar[str] = "while"


@dataclass(repr=False)
class If(Form):
    """A branch on a name."""
    kind: ClassVar[str] = "if"


def _call_form(s, name, v) -> Form | None:
    if notes.is_user_call(v):
        return UserCall(s, name, v)
    kind = notes.rule_kind(v)
    if kind == "split":
        return SplitCall(s, name, v, notes.rule(v))
    if kind == "inplace":
        return InplaceCall(s, name, v, notes.rule(v))
    if kind == "stack":
        stack = v.func.value.id
        if name is None and v.args:
            return Push(s, stack, v.args[0], v)
        return Pop(s, name, stack, v)
    return None


def classify(s: ast.stmt) -> Form:
    """The form of the normalized statement ``s`` with its parts."""
    if isinstance(s, ast.For):
        return For(s)
    if isinstance(s, ast.While):
        return While(s)
    if isinstance(s, ast.If):
        return If(s)
    if isinstance(s, ast.Assign):
        t, v = s.targets[0], s.value
        if not isinstance(t, ast.Name):
            return Store(s, t, v)
        if isinstance(v, ast.List) and not v.elts:
            return NewList(s, t.id)
        return _call_form(s, t.id, v) or Bind(s, t.id, v)
    if isinstance(s, ast.AugAssign):
        if isinstance(s.target, ast.Subscript):
            return Increment(s, s.target, s.op, s.value)
        return Count(s)
    if isinstance(s, ast.Expr):
        return _call_form(s, None, s.value) or Plain(s)
    return Plain(s)


def value_form(v: ast.expr) -> str:
    """Which of the ``VALUE_FORMS`` the value of a ``bind`` has."""
    if isinstance(v, ast.Name):
        return "name"
    if isinstance(v, ast.Constant):
        return "constant"
    if isinstance(v, ast.BinOp):
        return "binop"
    if isinstance(v, ast.UnaryOp):
        return "unary"
    if isinstance(v, ast.Subscript):
        return "read"
    if isinstance(v, ast.Call):
        return "call"
    if isinstance(v, ast.Tuple):
        return "tuple"
    return "other"


#: calls that read a list used as a stack without reading its items
_STACK_QUERIES = frozenset({"len", "bool"})


def check_tuple_elements(ctx, body) -> None:
    """Refuse writes into arrays taken from a tuple a user function returned when two or more
    of its elements are taken: they may share memory (``return y[:2], y[1:]``),
    and their shadows would not (a silent wrong gradient before this check)."""
    from ..analysis.effects import follow_bindings
    from ..analysis.order import walk_stmts
    from ..codegen.naming import is_generated
    from ..errors import UnsupportedSyntaxError
    if is_generated(ctx.pf.filename):
        return
    if ctx.module.options.second_order:
        from ..analysis.tuple_parts import refuse_written_elements_differentiated_again
        refuse_written_elements_differentiated_again(ctx)
    eff = ctx.eff
    from_calls = {s.targets[0].id for s in walk_stmts(body) if isinstance(s, ast.Assign)
                  and isinstance(s.targets[0], ast.Name) and notes.is_user_call(s.value)
                  and eff.callee_ret_shares(notes.target(s.value), s.value)}
    aliases = [(s.targets[0].id, s.value.id) for s in walk_stmts(body) if isinstance(s, ast.Assign)
               and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name)]
    # the tuple under the user's name (``tp = pair(x)`` binds a temporary, then ``tp``): name -> the call's
    root = follow_bindings({t: t for t in from_calls}, aliases)
    from_calls = set(root)
    # tuples of arrays built on several paths (``tp = (a, b) if c else (b, a)``): which array an
    # element is, is not known here
    displays: dict = {}
    for s in walk_stmts(body):
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Tuple):
            displays[s.targets[0].id] = displays.get(s.targets[0].id, 0) + 1
    unknown = set(follow_bindings({t: t for t, count in displays.items() if count > 1}, aliases))
    taken: dict = {}
    for s in walk_stmts(body):
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Subscript) \
                and isinstance(s.value.value, ast.Name):
            t, n = s.value.value.id, s.targets[0].id
            kt, kn = ctx.kinds.get(t), ctx.kinds.get(n)
            if t in unknown and (kn is None or kn.cls in ("array", "num", "other")) and eff.cell(n) in eff.written:
                raise UnsupportedSyntaxError(
                    "an array taken from a tuple built on several paths is written in place in this function.",
                    filename=ctx.pf.filename, lineno=s.lineno, construct=ctx.pf.line_text(s.lineno),
                    hint="write into a copy under a new name (a2 = a.copy()), or build the tuple once.")
            if t not in from_calls:
                _check_element_written(ctx, s, t, n, kt, kn)
            if kt is not None and kt.cls == "tuple" and t in from_calls \
                    and (kn is None or kn.cls in ("array", "num", "other")):
                taken.setdefault(root.get(t, t), []).append((n, s))   # (a tuple's aliases: one tuple)
    for t, items in taken.items():
        if len({ast.unparse(s.value.slice) for _, s in items}) < 2:
            continue
        for n, s in items:
            if eff.cell(n) in eff.written:
                raise UnsupportedSyntaxError(
                    "arrays taken from a tuple that a call returned may share memory, and one of them is "
                    "written in place in this function.",
                    filename=ctx.pf.filename, lineno=s.lineno, construct=ctx.pf.line_text(s.lineno),
                    hint="write into a copy under a new name (a2 = a.copy()), or return separate arrays.")


def _check_element_written(ctx, s, t, n, kt, kn) -> None:
    """``fields = [u, v]; for a in fields: a *= c``: which array ``a`` is, is not
    followed (an element of a list, or of a tuple chosen as the code runs);
    refused where it is written, unless the container is a constant argument
    (its arrays have no derivative to lose)."""
    from ..errors import UnsupportedSyntaxError
    eff = ctx.eff
    if kt is not None and kt.cls in ("tuple", "list") and (kn is None or kn.cls in ("array", "num", "other")) \
            and eff.cell(n) in eff.written and (kt.cls == "list" or not isinstance(s.value.slice, ast.Constant)) \
            and not (t in ctx.params and ctx.activities.get(t) in (None, "Const")):
        raise UnsupportedSyntaxError(
            f"an array taken from the {kt.cls} `{t}` (an element chosen as the code runs, or of a list) "
            "is written in place.",
            filename=ctx.pf.filename, lineno=s.lineno, construct=ctx.pf.line_text(s.lineno),
            hint="write the arrays out where they are used (`for a in (u, v):`), or update each through "
                 "its own name.")


class StatementOrder:
    """Where each statement of a body stands: its place in source order and the
    loops around it, which say whether one statement can run after another."""

    def __init__(self, body):
        self.order: dict = {}
        self.loops: dict = {}
        self._number(body, ())

    def _number(self, stmts, loops):
        for s in stmts:
            self.order[id(s)] = len(self.order)
            self.loops[id(s)] = loops
            if isinstance(s, (ast.For, ast.While)):
                self._number(s.body, loops + (id(s),))
            elif isinstance(s, ast.If):
                self._number(s.body, loops)
                self._number(s.orelse, loops)

    def after(self, w, s) -> bool:
        """Whether statement ``w`` can run after statement ``s``."""
        return self.order[id(w)] > self.order[id(s)] or bool(set(self.loops[id(w)]) & set(self.loops[id(s)]))


#: numpy scalar types, which return an array of their dtype unchanged (the same object)
_SCALAR_TYPES = (np.float64, np.float32)


def check_scalar_conversions(ctx, body) -> None:
    """Refuse ``np.float64(x)`` of an array ``x``: numpy returns ``x`` itself
    (or a copy of another dtype), while the rule differentiates a conversion
    of a number; a write to either would reach the other unseen."""
    from ..analysis.order import walk_stmts
    from ..errors import UnsupportedSyntaxError
    for st in walk_stmts(body):
        for node in ast.walk(st) if isinstance(st, (ast.Assign, ast.AugAssign, ast.Expr, ast.Return)) else ():
            if not (isinstance(node, ast.Call) and notes.target(node) in _SCALAR_TYPES and node.args
                    and isinstance(node.args[0], ast.Name)):
                continue
            k = ctx.kinds.get(node.args[0].id)
            if k is not None and k.cls in ("array", "num", "other") and k.ndim != 0:
                name = ast.unparse(node.func)
                raise UnsupportedSyntaxError(
                    f"`{name}` of an array returns the array itself when its dtype is already that one, "
                    "a copy otherwise; it is differentiated as the conversion of a number.",
                    filename=ctx.pf.filename, lineno=st.lineno, construct=ctx.pf.line_text(st.lineno),
                    hint=f"write x.astype({name}) for a converted copy, or {name}(x[i]) for one element.")


def check_stacks(ctx, body) -> None:
    """Refuse a Python list that carries derivatives used other than as a
    stack: its derivative is followed only through ``st = []``,
    ``st.append(v)``, ``v = st.pop()``, ``len(st)``, tests of ``st`` and
    ``np.stack(st)`` (``np.array(st)``, ``np.asarray(st)``)
    (an alias ``st2 = st``, ``sum(st)``, ``np.array(st)``, ``st.copy()`` or
    ``st[k]`` once lost it silently or crashed)."""
    from ..analysis.order import walk_stmts
    from ..codegen.naming import is_generated
    if is_generated(ctx.pf.filename):
        return   # generated code differentiated again: its tape and adjoint stacks are lists it passes on
    lists = {n for n, k in ctx.kinds.items() if k.cls == "list"}
    _refuse_float_list_aliases(ctx, body, lists)
    # (every list: a popped array written in place changes the pushed one, active or not)
    _refuse_items_written(ctx, body, lists)
    stacks = {n for n in lists if ctx.is_active(n)}
    if not stacks:
        return
    for s in walk_stmts(body):
        if isinstance(s, ast.For):
            heads = [s.iter, s.target]
        elif isinstance(s, (ast.While, ast.If)):
            heads = [s.test]
        else:
            heads = [s]
        allowed: set = set()
        for h in heads:
            for node in ast.walk(h):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("append", "pop") and isinstance(node.func.value, ast.Name):
                    allowed.add(id(node.func.value))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                        and node.func.id in _STACK_QUERIES and len(node.args) == 1:
                    allowed.add(id(node.args[0]))
                elif isinstance(node, ast.Call) and _stacks_list(node):
                    allowed.add(id(node.args[0]))   # np.stack(L): one adjoint per item (rules.stack.LIST_STACK)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("_ad_"):
                    # a runtime helper of generated code (differentiated again): it knows its lists
                    allowed |= {id(a) for a in node.args}
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id in stacks \
                and not (isinstance(s.value, ast.List) and not s.value.elts) \
                and not (isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Attribute)
                         and s.value.func.attr == "pop"):
            _refuse_stack_use(ctx, s, s.targets[0].id)
        for h in heads:
            for node in ast.walk(h):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in stacks \
                        and id(node) not in allowed:
                    _refuse_stack_use(ctx, s, node.id)


def _stacks_list(call) -> bool:
    rule = notes.rule(call)
    return rule is not None and rule.kind == "list_stack" and bool(call.args)


def _refuse_items_written(ctx, body, stacks) -> None:
    """Refuse an array pushed onto (or popped from) a stack whose memory is written
    in place anywhere in the function: the list holds the array itself, so the
    item changes with the writes, and its derivative would be that of the value
    at the push (a silent wrong gradient before this check)."""
    from ..analysis.order import walk_stmts
    from ..errors import UnsupportedSyntaxError
    eff = ctx.eff
    for s in walk_stmts(body):
        if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call) and isinstance(s.value.func, ast.Name) \
                and s.value.func.id == "_ad_list_items" and eff.writers_of_memory(s.targets[0].id):
            # (items read through the list's stacked values, frontend/lists.py: a write would not reach the list)
            w, held = eff.writers_of_memory(s.targets[0].id)[0], ast.unparse(s.value.args[0])
            line = getattr(w, "lineno", None) or s.lineno   # (a loop over arrays written out that breaks: a loop)
            raise UnsupportedSyntaxError(
                (f"an item of the list `{held}`" if not held.startswith("_") else "an item of the sequence the loop "
                 "runs over") + " is written in place: adcompiler reads the items of a list whose values carry "
                "derivatives from one array of them, which the write would change instead of the list's item.",
                filename=ctx.pf.filename, lineno=line,
                construct=ctx.pf.line_text(line),
                hint="write into the arrays by their own names, or build an array of the values and write into it.")
        f = classify(s) if isinstance(s, (ast.Assign, ast.Expr)) else None
        if isinstance(f, Push) and f.stack in stacks and isinstance(f.value, ast.Name):
            name, verb = f.value.id, "pushed onto"
        elif isinstance(f, Pop) and f.stack in stacks and f.name is not None:
            name, verb = f.name, "popped from"
        else:
            continue
        def written(n, seen=()):
            k = ctx.kinds.get(n)
            if k is not None and k.cls == "tuple":   # (a tuple of views pushed: segs.append((x[0:2], x[2:4])))
                return any(written(e.id, seen + (n,)) for b in walk_stmts(body) if isinstance(b, ast.Assign)
                           and isinstance(b.value, ast.Tuple) and any(isinstance(t, ast.Name) and t.id == n
                                                                      for t in b.targets)
                           for e in b.value.elts if isinstance(e, ast.Name) and e.id not in seen)
            # (the memory a view shares with its base: a temporary view pushed, st.append(x[0:2]), too)
            return (k is None or k.cls in ("array", "num", "other") and k.dtype in ("f", "c", None)) \
                and (eff.cell(n) in eff.written or eff.memory_writers.get(eff.memory_of.get(n, n)))
        if written(name):
            shown = "an array" if name in ctx.namer.generated else f"`{name}`"
            raise UnsupportedSyntaxError(
                f"{shown} is {verb} a list and its memory is written in place in this function: the list "
                "holds the array itself, and the derivatives do not tell writes before the push (or into a "
                "new array each iteration) from writes that change the item.",
                filename=ctx.pf.filename, lineno=s.lineno, construct=ctx.pf.line_text(s.lineno),
                hint=f"push a copy ({f.stack if isinstance(f, Push) else 'st'}.append({name if not name.startswith('_') else 'h'}.copy())), "
                     "or write into a new array instead of in place.")


def _refuse_float_list_aliases(ctx, body, lists) -> None:
    """An alias of a list that holds floats: the analyses see two lists (refused whatever is active)."""
    from ..analysis.order import walk_stmts
    floats = set()
    for s in walk_stmts(body):
        f = classify(s) if isinstance(s, (ast.Assign, ast.Expr)) else None
        if isinstance(f, Push) and f.stack in lists:
            k = ctx.an.inference.expr(f.value)
            if k is None or k.is_float:
                floats.add(f.stack)
    for s in walk_stmts(body):
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name) \
                and s.value.id in lists and {s.targets[0].id, s.value.id} & floats \
                and not _moved(ctx, body, s.value.id):
            _refuse_stack_use(ctx, s, s.value.id)


def _moved(ctx, body, name) -> bool:
    """Whether the list ``name`` is one the function's rewriting made (a comprehension's,
    ``np.array([float(k) ** 2 for k in range(3)])``) and is read only by appends to it and by the
    one binding that passes it on: the list is moved to another name, not aliased."""
    if name not in ctx.namer.generated:
        return False
    nodes = [n for s in body for n in ast.walk(s)]   # (each node once: nested blocks are walked by their heads)
    appends = {id(n.func.value) for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr == "append"}
    reads = [n for n in nodes if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
             and id(n) not in appends]
    return len(reads) == 1


def _refuse_stack_use(ctx, s, name) -> None:
    from ..errors import UnsupportedSyntaxError
    what = "a list" if name in ctx.namer.generated else f"the list `{name}`"
    raise UnsupportedSyntaxError(
        f"{what} holds values that carry derivatives, and a list is differentiated only as a stack.",
        filename=ctx.pf.filename, lineno=s.lineno, construct=ctx.pf.line_text(s.lineno),
        hint="use it through append, pop, len, tests of it, item reads (L[k]), sum(L), np.array(L) and loops "
             "over it; for other uses build an array (np.array(L), or np.zeros then stores).")
