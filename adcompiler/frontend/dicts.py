"""dicts: a dict written out and read by constant keys, as one name per key.

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
            for k in sorted(keys):
                base = f"{d}__{re.sub(r'[^0-9A-Za-z_]', '_', k)}"
                name, n = base, 1
                while name in taken:
                    name, n = f"{base}_{n}", n + 1
                taken.add(name)
                names[k] = name
            _Rewrite(d, names).visit(tree)
            ast.fix_missing_locations(tree)


def _candidates(tree) -> dict:
    """Each name bound (alone) to a dict display with constant string keys -> its keys; None for
    a name bound to displays with different keys."""
    out: dict = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and isinstance(n.value, ast.Dict):
            keys = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None
                    for k in n.value.keys]
            ok = keys and None not in keys and len(set(keys)) == len(keys)
            d = n.targets[0].id
            out[d] = frozenset(keys) if ok and out.get(d, frozenset(keys)) == frozenset(keys) else None
    return {d: k for d, k in out.items() if k is not None}


def _only_keyed(tree, d, keys) -> bool:
    """Whether every use of the name ``d`` is a display bound to it or ``d[key]`` with one of ``keys``."""
    allowed = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) \
                and n.targets[0].id == d:
            if not isinstance(n.value, ast.Dict):
                return False
            allowed.add(id(n.targets[0]))
        elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == d:
            if not (isinstance(n.slice, ast.Constant) and n.slice.value in keys) or isinstance(n.ctx, ast.Del):
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
        reads_old = any(isinstance(n, ast.Name) and n.id == self.d for v in node.value.values for n in ast.walk(v))
        self.generic_visit(node)
        pairs = list(zip((k.value for k in node.value.keys), node.value.values))   # (in the display's order)
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
            return ast.copy_location(ast.Name(self.names[node.slice.value], node.ctx), node)
        return node
