"""dicts: a dict or a list written out and read by constant keys, as one name per key.

A name bound to dict displays with constant string keys, the same keys in
each (``p = {"a": x[0], "u": u}``), and used only through those keys
(``p["a"]``, ``p["u"][i] = v``, ``p["a"] += 1.0``) is one local name per key:

    p__a = x[0]
    p__u = u
    ... p__a ..., p__u[i] = v

which is what Python runs (a key holds the object stored, so ``p["u"]`` is
``u`` itself, and a write through it writes ``u``). A display whose values
read the dict it rebinds (``acc = {"a": acc["b"], "b": acc["a"]}``) binds its
names at once (``acc__a, acc__b = acc__b, acc__a``: every value read before any
is bound); another binds one name per statement, so a dict held in the dict
is a display bound to a name, read the same way (the rewrite repeated). Any other use of the name
(passed to a function, iterated, ``len``, ``.get``, a key that is not a
constant string, a key no display has, ``del``) leaves it as it was: the
fence refuses the display.

A list is read the same way, by constant indices (``k[0]``, ``k[-1]``), where
it is written out (``[a, b]``), made of a constant repeated (``[None] * 4``:
the stages of a Runge-Kutta step, stored later) or made by a comprehension
over a constant ``range`` (``[np.zeros_like(y) for _ in range(4)]``: one value
each, evaluated in turn, the loop's name read as its constant). A list of
one array repeated (``[np.zeros(3)] * 4``) is left as it is: its items are
one array.

Contract: ``scalar_dicts(pf)`` rewrites ``pf.tree`` in place, before ``fence``.

>>> import ast
>>> from types import SimpleNamespace
>>> tree = ast.parse("def f(x):\\n    p = {'a': x[0], 'b': 2.0}\\n    p['a'] += p['b']\\n    return p['a']")
>>> scalar_dicts(SimpleNamespace(tree=tree.body[0]))
>>> print(ast.unparse(tree))
def f(x):
    p__a = x[0]
    p__b = 2.0
    p__a += p__b
    return p__a
"""
from __future__ import annotations

import ast
import copy
import re


def scalar_dicts(pf) -> None:
    tree = pf.tree
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}   # (and the names made below, as they are)
    params = {a.arg for a in ast.walk(tree.args) if isinstance(a, ast.arg)}
    while True:   # (a dict held in a dict: its key's name is bound to a display in turn)
        found = {d: keys for d, keys in _candidates(tree).items() if d not in params and _only_keyed(tree, d, keys)}
        if not found:
            return
        for d, keys in found.items():
            names = {}
            for k in sorted(keys, key=str):
                base = f"{d}__{re.sub(r'[^0-9A-Za-z_]', '_', str(k))}"
                name, n = base, 1
                while name in taken:
                    name, n = f"{base}_{n}", n + 1
                taken.add(name)
                names[k] = name
            _Rewrite(d, names).visit(tree)
            ast.fix_missing_locations(tree)


def _candidates(tree) -> dict:
    """Each name bound (alone) to displays (``_items``) of the same keys -> its keys."""
    out: dict = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and isinstance(n.value, (ast.Dict, ast.List, ast.BinOp, ast.ListComp)):
            items = _items(n.value)
            keys = None if items is None else frozenset(k for k, _ in items)
            d = n.targets[0].id
            out[d] = keys if keys and out.get(d, keys) == keys else None
    return {d: k for d, k in out.items() if k is not None}


def _items(value) -> list | None:
    """``(key, value)`` of a dict display with constant string keys, or (index, value) of a list
    written out, of a constant repeated or made by a comprehension over a constant range; None
    for another value."""
    if isinstance(value, ast.Dict):
        keys = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None for k in value.keys]
        return list(zip(keys, value.values)) if None not in keys and len(set(keys)) == len(keys) else None
    if isinstance(value, ast.List):
        return None if any(isinstance(e, ast.Starred) for e in value.elts) else list(enumerate(value.elts))
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        for one, count in ((value.left, value.right), (value.right, value.left)):
            if isinstance(one, ast.List) and len(one.elts) == 1 and isinstance(one.elts[0], ast.Constant) \
                    and _int(count) is not None and 0 < _int(count) <= 64:
                return [(k, copy.deepcopy(one.elts[0])) for k in range(_int(count))]
        return None
    if isinstance(value, ast.ListComp) and len(value.generators) == 1:
        g = value.generators[0]
        bounds = [_int(a) for a in getattr(g.iter, "args", ())]
        if g.ifs or g.is_async or not isinstance(g.target, ast.Name) or not (
                isinstance(g.iter, ast.Call) and isinstance(g.iter.func, ast.Name) and g.iter.func.id == "range"
                and 1 <= len(bounds) <= 2 and None not in bounds and not g.iter.keywords) \
                or any(isinstance(n, ast.Name) and n.id == g.target.id and not isinstance(n.ctx, ast.Load)
                       or isinstance(n, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp))
                       for n in ast.walk(value.elt)):
            return None
        steps = range(*bounds)
        if not 0 < len(steps) <= 64:
            return None
        return [(k, _Constant(g.target.id, i).visit(copy.deepcopy(value.elt))) for k, i in enumerate(steps)]
    return None


def _int(v):
    return v.value if isinstance(v, ast.Constant) and type(v.value) is int else None


class _Constant(ast.NodeTransformer):
    """The reads of a comprehension's name as the constant it holds."""

    def __init__(self, name, value):
        self.name, self.value = name, value

    def visit_Name(self, node):
        return ast.copy_location(ast.Constant(self.value), node) if node.id == self.name else node


def _key(sub, keys):
    """The key ``d[sub]`` reads: a constant string, or a constant index (from the end where negative)."""
    v = sub.value if isinstance(sub, ast.Constant) else -sub.operand.value if isinstance(sub, ast.UnaryOp) and \
        isinstance(sub.op, ast.USub) and isinstance(sub.operand, ast.Constant) and type(sub.operand.value) is int \
        else None
    if type(v) is int and v < 0 and all(type(k) is int for k in keys):
        v += len(keys)
    return v if (type(v) is int or isinstance(v, str)) and v in keys else None


def _only_keyed(tree, d, keys) -> bool:
    """Whether every use of the name ``d`` is a display bound to it or ``d[key]`` with one of ``keys``."""
    allowed = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and n.targets[0].id == d:
            if _items(n.value) is None:
                return False
            allowed.add(id(n.targets[0]))
        elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == d:
            if _key(n.slice, keys) is None or isinstance(n.ctx, ast.Del):
                return False
            allowed.add(id(n.value))
        elif isinstance(n, (ast.Global, ast.Nonlocal)) and d in n.names:
            return False
    return all(id(n) in allowed for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == d)


class _Rewrite(ast.NodeTransformer):
    def __init__(self, d, names):
        self.d, self.names = d, names

    def visit_Assign(self, node):
        if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id == self.d):
            return self.generic_visit(node)
        pairs = _items(node.value)   # (in the display's order)
        reads_old = any(isinstance(n, ast.Name) and n.id == self.d for _, v in pairs for n in ast.walk(v))
        pairs = [(k, self.visit(v)) for k, v in pairs]
        if not reads_old:   # (one assignment per key: a dict among the values is bound alone, read in turn)
            return [ast.copy_location(ast.Assign([ast.copy_location(ast.Name(self.names[k], ast.Store()),
                                                                     node.targets[0])], v), node) for k, v in pairs]
        targets = ast.Tuple([ast.Name(self.names[k], ast.Store()) for k, _ in pairs], ast.Store())
        value = ast.Tuple([v for _, v in pairs], ast.Load())   # (every value read before any is bound)
        return ast.copy_location(ast.Assign([ast.copy_location(targets, node.targets[0])],
                                            ast.copy_location(value, node.value)), node)

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == self.d:
            return ast.copy_location(ast.Name(self.names[_key(node.slice, self.names)], node.ctx), node)
        return node
