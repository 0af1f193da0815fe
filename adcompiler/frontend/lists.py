"""lists: the lists a function builds, read as arrays where they may carry derivatives.

A list the function builds (``L = []`` then ``L.append(v)``, or a list
comprehension bound to a name) is differentiated as a stack: its adjoint is a
list beside it. After this rewrite:

- a name bound to such a list and rebound at the top level of the body
  (``vals = np.array(vals)``, outside every loop and branch) is a separate
  local from that statement on (``vals_2``): the list and the array are
  analysed apart, as a rebound parameter is (``params``);
- ``L[k]`` (an index that is not a slice) of a list whose values may come
  from the arguments reads ``_ad_list_items(L, 0)[k]``: the items stacked into
  one read-only array, whose adjoint is one adjoint per item (an item written
  through, ``L[k][0] = v``, is refused: the list would not see the write);
- ``sum(L)`` of such a list is ``np.sum(_ad_stack_items(L, 0), axis=0)``;
- a ``for`` loop over such a list may not change the list's length;
- ``len(L)`` in an index or a range, of a list the body appends to or pops
  from, is read into a name first (the reverse sweep would evaluate it again,
  with the list's final length).

Which lists may carry derivatives is read from the source: those whose
appended values mention an argument or a name bound from one (shapes,
lengths and ranges aside). ``number_lists`` finds the lists written out with
values or repeated (``[0.0] * n``), which the kinds take for arrays of
numbers (``transform/builder`` refuses the uses that need a list).

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x):\\n    v = []\\n    v.append(x[0] * 2.0)\\n    v = np.array(v)\\n    return v[0]"))
_ret = None
v = []
_t1 = x[0]
_t2 = _t1 * 2.0
v.append(_t2)
v_2 = _ad_stack_items(v, 0)
_ret = v_2[0]
"""
from __future__ import annotations

import ast
import builtins
import copy

from ..errors import AdCompilerError

_SHAPES = frozenset({"shape", "ndim", "size", "dtype"})
# (calls whose values carry no derivatives: lengths, ranges, and the ints that generated reverse code,
# differentiated again, pops back)
_NOT_CARRIED = frozenset({"len", "range", "_ad_popped_int", "_ad_popped_ints"})
_CHANGES = frozenset({"append", "pop", "extend", "insert", "remove", "clear"})


def _empty_list(v) -> bool:
    return isinstance(v, ast.List) and not v.elts


def _displays_appended(body: list, derived: set) -> list:
    """``L = [a, b]`` (values that may come from the arguments) as ``L = []; L.append(a);
    L.append(b)``: a list the function builds (a copy of the body when one is rewritten)."""
    def rewrite(stmts):
        out = []
        for s in stmts:
            parts = _literals_unpacked(s)
            if parts:   # (`a, b = [], []`: two lists, each a list the function builds)
                out += parts
                continue
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                    and isinstance(s.value, ast.List) and s.value.elts \
                    and not any(isinstance(x, ast.Starred) for x in s.value.elts) \
                    and _mentions(s.value, derived) and not _mentions(s.value, {s.targets[0].id}):
                name = s.targets[0].id
                new = [ast.Assign(targets=[ast.Name(name, ast.Store())], value=ast.List([], ast.Load()))]
                new += [ast.Expr(ast.Call(ast.Attribute(ast.Name(name, ast.Load()), "append", ast.Load()), [x], []))
                        for x in s.value.elts]
                for n in new:
                    ast.copy_location(n, s)
                    n.end_lineno = getattr(s, "end_lineno", s.lineno)
                out += [ast.fix_missing_locations(n) for n in new]
                continue
            for field in ("body", "orelse", "finalbody"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, rewrite(getattr(s, field)))
            out.append(s)
        return out
    return rewrite(copy.deepcopy(body))


def _literals_unpacked(s) -> list:
    """``a, b = [], []`` (names bound to literals that read no name, a list among them) as
    ``a = []`` then ``b = []``, which bind the same; [] for any other statement."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], (ast.Tuple, ast.List))
            and isinstance(s.value, (ast.Tuple, ast.List)) and len(s.value.elts) == len(s.targets[0].elts)):
        return []
    names, values = s.targets[0].elts, s.value.elts
    if not all(isinstance(t, ast.Name) for t in names) or len({t.id for t in names}) != len(names) \
            or any(isinstance(n, (ast.Name, ast.Starred, ast.NamedExpr)) for v in values for n in ast.walk(v)) \
            or not any(isinstance(v, ast.List) for v in values):
        return []
    out = []
    for t, v in zip(names, values):
        n = ast.copy_location(ast.Assign(targets=[ast.Name(t.id, ast.Store())], value=v), s)
        n.end_lineno = getattr(s, "end_lineno", s.lineno)
        out.append(ast.fix_missing_locations(n))
    return out


class _ListCalls(ast.NodeTransformer):
    """``list(v)`` as the comprehension ``[_v for _v in v]`` (scipy's ``list(range(1, N + 1))``),
    which is built and read as a list the function builds; as an index (``X[list(t)]``) it stays."""

    def __init__(self, namer, resolver):
        self.namer, self.resolver = namer, resolver

    def visit_Subscript(self, node):
        node.value = self.visit(node.value)   # (the index left as it is)
        return node

    def _items_of(self, node, any_value=False):
        """``v`` of ``list(v)`` where ``v`` is a ``range`` (any value, measured by ``len``): iterated,
        measured or reversed as its list is, with no list made. (A list of an array's items is a
        copy taken before the loop: ``for v in list(np.ravel(x))`` with ``x`` written in it.)"""
        inner = node.args[0] if self._is_list_call(node) else None
        if inner is not None and (any_value or isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
                                  and inner.func.id == "range" and not self.resolver.is_local("range")):
            self.resolver.rewritten.add("list")
            return node.args[0]
        return node

    def visit_For(self, node):
        node.iter = self._items_of(node.iter)
        return self.generic_visit(node)

    def visit_comprehension(self, node):
        node.iter = self._items_of(node.iter)
        return self.generic_visit(node)

    def _is_list_call(self, node) -> bool:
        f = node.func if isinstance(node, ast.Call) else None
        if not (isinstance(f, ast.Name) and f.id == "list" and len(node.args) == 1 and not node.keywords
                and not isinstance(node.args[0], ast.Starred) and not self.resolver.is_local("list")):
            return False
        try:
            return self.resolver.lookup("list") is builtins.list
        except AdCompilerError:
            return False

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in ("reversed", "len", "enumerate", "zip"):
            node.args = [self._items_of(a, node.func.id == "len") for a in node.args]
        self.generic_visit(node)
        if not self._is_list_call(node):
            return node
        self.resolver.rewritten.add("list")   # (its meaning stays part of what the code was made for)
        v = self.namer.fresh("_it{}")
        comp = ast.ListComp(ast.Name(v, ast.Load()), [ast.comprehension(ast.Name(v, ast.Store()), node.args[0], [], 0)])
        return ast.copy_location(comp, node)


def prepare_lists(tree: ast.FunctionDef, body: list, namer, resolver) -> list:
    """The body with lists written out as displays built by appends, and each
    top-level rebinding of a list name (``vals = np.array(vals)``) and every later
    use of the name renamed."""
    body = [_ListCalls(namer, resolver).visit(s) for s in body]
    body = _displays_appended(body, _derived(tree, body, namer))
    lists = {t.id for s in ast.walk(ast.Module(body=body, type_ignores=[])) if isinstance(s, ast.Assign)
             and _empty_list(s.value) for t in s.targets if isinstance(t, ast.Name)}
    if not lists:
        return body
    renamed = getattr(namer, "renamed", None) or {}
    for k, s in enumerate(body):
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and s.targets[0].id in lists and not _empty_list(s.value)):
            continue
        old = s.targets[0].id
        later = body[k + 1:]
        if any(isinstance(n, ast.Assign) and _empty_list(n.value) and any(
                isinstance(t, ast.Name) and t.id == old for t in n.targets)
               for st in later for n in ast.walk(st)):
            continue   # (a list again later: the name stays one)
        new = namer.reserve(f"{renamed.get(old, old)}_2")
        resolver.locals.add(new)
        renamed[new] = renamed.get(old, old)
        s.targets[0].id = new
        for st in later:
            for n in ast.walk(st):
                if isinstance(n, ast.Name) and n.id == old:
                    n.id = new
        lists.discard(old)
    namer.renamed = renamed
    return body


def _mentions(e, names) -> bool:
    """Whether ``e`` reads one of ``names`` other than through a shape, a length or a range."""
    if isinstance(e, ast.Attribute) and e.attr in _SHAPES:
        return False
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id in _NOT_CARRIED:
        return False
    if isinstance(e, ast.Name):
        return e.id in names
    return any(_mentions(c, names) for c in ast.iter_child_nodes(e))


def _derived(tree: ast.FunctionDef, body: list, namer) -> set:
    """The arguments (and their renamed locals, ``x_1``) and the names bound from
    them (shapes, lengths and ranges aside)."""
    nodes = list(ast.walk(ast.Module(body=body, type_ignores=[])))
    expr_calls = {id(s.value) for s in nodes if isinstance(s, ast.Expr)}
    a = tree.args
    derived = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs} | set(getattr(namer, "renamed", None) or ())
    written: set = set()
    changed = True
    while changed:   # to a fixed point
        changed = False
        for s in nodes:
            bound = []
            if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and s.value is not None \
                    and _mentions(s.value, derived):
                bound = s.targets if isinstance(s, ast.Assign) else [s.target]
            elif isinstance(s, (ast.For, ast.comprehension)) and _mentions(s.iter, derived):
                bound = [s.target]
            elif isinstance(s, ast.Call) and isinstance(s.func, ast.Attribute) and s.func.attr in _CHANGES \
                    and isinstance(s.func.value, ast.Name) and any(_mentions(x, derived) for x in s.args):
                bound = [s.func.value]
            elif isinstance(s, ast.Call) and any(_mentions(x, derived) for x in s.args + [k.value for k in s.keywords]):
                bound = _written_by(s, expr_calls)
            # (written in place: through a store, an augmented assignment, a call; and a view so written
            # writes the array it views, ``v = w[:]; v[:] = x``)
            into = [t for t in bound if not isinstance(t, ast.Name) or isinstance(s, (ast.AugAssign, ast.Call))]
            if isinstance(s, ast.Assign) and any(n in written for t in s.targets for n in _bound_names(t)):
                into += _viewed(s.value)
            for t in bound + into:
                for n in _bound_names(t):
                    if n not in derived and n not in _MODULES:
                        derived.add(n)
                        changed = True
            for n in (n for t in into for n in _bound_names(t) if n not in written and n not in _MODULES):
                written.add(n)
                changed = True
    return derived


_MODULES = frozenset({"np", "numpy", "math", "scipy"})
_WRITERS = frozenset({"copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis", "at", "fill"})


def _written_by(call, expr_calls) -> list:
    """The arguments a call given values from the arguments may write them into: those of a
    helper (a name called), of a call made for its effects (a statement), of a numpy function or
    method that writes (``np.copyto(w, x)``, ``np.add.at``, ``w.fill(v)``), and ``out=``."""
    out = [k.value for k in call.keywords if k.arg == "out"]
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr in _WRITERS or isinstance(f, ast.Name) and f.id.startswith("_ad_"):
        out += call.args[:1]   # (numpy's writers, and the runtime's in reverse code differentiated again: the first)
    elif isinstance(f, ast.Name) and not hasattr(builtins, f.id) or id(call) in expr_calls:
        out += list(call.args) + [k.value for k in call.keywords if k.arg != "out"]
    if isinstance(f, ast.Attribute) and not (isinstance(f.value, ast.Name) and f.value.id in _MODULES) \
            and (f.attr in _WRITERS or id(call) in expr_calls):
        out.append(f.value)   # (a method's object)
    return out


def _viewed(e) -> list:
    """The expressions ``e`` may be a view of (``w[:]``, ``w.T``, ``w.reshape(n)``, ``np.ravel(w)``; any
    argument of a helper, which may return a view of one), or ``[e]``."""
    while True:
        if isinstance(e, (ast.Subscript, ast.Attribute, ast.Starred)):
            e = e.value
        elif isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
            base = e.func.value
            e = e.args[0] if isinstance(base, ast.Name) and base.id in _MODULES and e.args else base
        elif isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and not hasattr(builtins, e.func.id):
            return [x for a in list(e.args) + [k.value for k in e.keywords] for x in _viewed(a)]
        else:
            return [e]


def _bound_names(t) -> list:
    """The names a target binds or writes into: ``a`` of ``a``, ``a[i]`` and ``a.b[i]`` (not the index
    ``i``, which the store does not change), each name of a tuple target."""
    if isinstance(t, (ast.Tuple, ast.List)):
        return [n for e in t.elts for n in _bound_names(e)]
    while isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
        t = t.value
    return [t.id] if isinstance(t, ast.Name) else []


class ListNames:
    """The lists of a (renamed) body: ``local`` (bound to ``[]`` or a comprehension
    somewhere) and ``carrying`` (those whose values may come from the arguments)."""

    def __init__(self, tree: ast.FunctionDef, body: list, namer):
        mod = ast.Module(body=body, type_ignores=[])
        nodes = list(ast.walk(mod))
        self.local = {t.id for s in nodes if isinstance(s, ast.Assign) and _empty_list(s.value)
                      for t in s.targets if isinstance(t, ast.Name)}
        self.comprehended = {s.targets[0].id for s in nodes if isinstance(s, ast.Assign) and len(s.targets) == 1
                             and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.ListComp)
                             and not any(isinstance(n, ast.Name) and n.id == s.targets[0].id
                                         for n in ast.walk(s.value))
                             and s.targets[0].id not in self.local}
        self.local |= self.comprehended
        self.resized = {n.func.value.id for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                        and n.func.attr in _CHANGES and isinstance(n.func.value, ast.Name)}
        self.derived = _derived(tree, body, namer)
        self.carrying = self.local & self.derived

    def may_carry(self, e) -> bool:
        """Whether the expression ``e`` reads an argument or a name bound from one."""
        return _mentions(e, self.derived)

    def resized_len(self, e) -> bool:
        """Whether ``e`` reads ``len(L)`` of a list the body appends to or pops from (its
        value changes: the reverse sweep must not evaluate it again)."""
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len"
                   and len(n.args) == 1 and isinstance(n.args[0], ast.Name) and n.args[0].id in self.resized
                   for n in ast.walk(e))

    def reads_items(self, node) -> bool:
        """Whether ``node`` (the base of a subscript) is a list read through its stacked items."""
        return isinstance(node, ast.Name) and node.id in self.carrying


def resizes_list(body, name) -> bool:
    """Whether ``body`` appends to, pops from or otherwise resizes the list ``name`` (``del L[k]`` too)."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _CHANGES
               and isinstance(n.func.value, ast.Name) and n.func.value.id == name or isinstance(n, ast.Delete)
               and any(isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == name
                       for t in n.targets)
               for n in ast.walk(ast.Module(body=list(body), type_ignores=[])))


def changes_list(body, name) -> bool:
    """Whether ``body`` resizes or rebinds the list ``name``."""
    return resizes_list(body, name) or any(isinstance(n, ast.Name) and n.id == name and isinstance(
        n.ctx, (ast.Store, ast.Del)) for n in ast.walk(ast.Module(body=list(body), type_ignores=[])))


def number_lists(body, of=bool) -> set:
    """The names bound to a list written out with values or repeated from one (``c = [0.5, 1.0]``,
    ``L = [0.0] * n``, ``_t = [None]; L = _t * 2``): the kinds take such a list for an array of
    numbers (``of``: those whose display's elements it takes; any display but ``[]``)."""
    from ..analysis.order import walk_stmts
    names: set = set()
    changed = True
    while changed:
        changed = False
        for st in walk_stmts(body):
            if not (isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name)) or st.targets[0].id in names:
                continue
            v = st.value
            if isinstance(v, ast.List) and of(v.elts) or isinstance(v, ast.BinOp) and isinstance(v.op, ast.Mult) \
                    and any(isinstance(x, ast.List) and of(x.elts) or isinstance(x, ast.Name) and x.id in names
                            for x in (v.left, v.right)):
                names.add(st.targets[0].id)
                changed = True
    return names
