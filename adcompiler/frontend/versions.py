"""versions: a name rebound at the top level of the body becomes a new local.

``c = c * 0.5`` after ``c`` held an argument's memory (``c_1 = c``, a view
``y = x``): the analyses take a name's memory as one for the whole function,
so the fresh array the name holds afterwards was taken for the argument's
memory (an LSTM cell ``c = c * 0.5; h = np.tanh(c); return h, c`` was refused
as returning its argument's memory). An unconditional rebinding at the top
level of the body starts a new version of the name (``c_2``), which every
later use reads, as Python's would; rebindings inside loops and branches keep
the name's current version (their values merge).

Versioned: plain assignments to a name or a tuple of names, of a name bound
before, in code the user wrote (not generated code differentiated again).
Comprehensions' own variables are left alone.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x):\\n    y = x[1:]\\n    y = y * 2.0\\n    return y"))
_ret = None
y = x[1:]
y_2 = y * 2.0
_ret = y_2
"""
from __future__ import annotations

import ast

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def version_rebindings(body: list, params: list, namer, resolver) -> list:
    """``body`` (top-level statements, changed in place) with top-level rebindings versioned."""
    cur: dict = {}                      # name -> its current version
    bound = set(params)
    renamed = getattr(namer, "renamed", None) or {}
    for s in body:
        targets = _top_targets(s)
        if targets is not None:
            _rename(s.value, cur)
            for t in targets:
                user = renamed.get(t.id, t.id)
                if t.id in bound or t.id in cur:
                    k = 2
                    while True:
                        new = f"{user}_{k}"
                        if new not in namer.taken:   # (versions made before are taken too)
                            break
                        k += 1
                    new = namer.reserve(new)
                    resolver.locals.add(new)
                    renamed[new] = user
                    cur[t.id] = new
                    bound.add(new)
                    t.id = new
                else:
                    bound.add(t.id)
        else:
            _rename(s, cur)
            bound |= {n.id for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if cur:
        namer.renamed = renamed
    return body


def _top_targets(s):
    """The names a plain top-level assignment binds (``x = e``, ``a, b = e``), or None."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1):
        return None
    t = s.targets[0]
    if isinstance(t, ast.Name):
        return [t]
    if isinstance(t, (ast.Tuple, ast.List)) and t.elts and all(isinstance(e, ast.Name) for e in t.elts):
        names = [e.id for e in t.elts]
        return t.elts if len(set(names)) == len(names) else None
    return None


def _rename(node, cur: dict, hidden: frozenset = frozenset()) -> None:
    """Every use of a versioned name in ``node`` read as its current version
    (not a comprehension's own variable of the same name)."""
    if not cur:
        return
    if isinstance(node, ast.Name):
        if node.id in cur and node.id not in hidden:
            node.id = cur[node.id]
        return
    if isinstance(node, _COMPREHENSIONS):
        own = hidden | {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        for g in node.generators:
            _rename(g.iter, cur, hidden if g is node.generators[0] else own)
            _rename(g.target, cur, own)
            for c in g.ifs:
                _rename(c, cur, own)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                _rename(getattr(node, part), cur, own)
        return
    for child in ast.iter_child_nodes(node):
        _rename(child, cur, hidden)


_STOPS = (ast.Break, ast.Continue, ast.Return, ast.Raise, ast.Yield, ast.YieldFrom)


def unread_in_loops(body: list, namer, resolver, tree) -> None:
    """In a loop's body, a plain binding of a name that the same block binds again before any statement
    reads it (``pe = a; pe = b``; ``KE, PE = f(x); PE = 0.0``) binds a name of its own, which nothing
    reads: its value takes no derivative, as at the top level, where ``version_rebindings`` makes two
    names (a value nothing reads passed a zero adjoint on, 0 * inf = nan where ``np.sqrt`` met 0). Only
    straight-line statements between the two are looked through; none of them reads, writes or leaves."""
    if any(isinstance(n, (ast.Try, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Global,
                          ast.Nonlocal)) for n in ast.walk(tree) if n is not tree):
        return
    renamed = getattr(namer, "renamed", None) or {}

    def blocks(stmts, in_loop):
        for s in stmts:
            for field in ("body", "orelse"):
                sub = getattr(s, field, None)
                if isinstance(sub, list):
                    inner = in_loop or (isinstance(s, (ast.For, ast.While)) and field == "body")
                    if inner:
                        _unread_bindings(sub, namer, resolver, renamed)
                    blocks(sub, inner)
    blocks(body, False)
    if renamed:
        namer.renamed = renamed


def _unread_bindings(block, namer, resolver, renamed) -> None:
    for i, s in enumerate(block):
        for t in _top_targets(s) or ():
            if _rebound_unread(t.id, block[i + 1:]):
                new = namer.reserve(f"{renamed.get(t.id, t.id)}_unread")
                resolver.locals.add(new)
                renamed[new] = renamed.get(t.id, t.id)
                t.id = new


def _rebound_unread(m, rest) -> bool:
    """Whether the statements ``rest`` bind ``m`` again (a plain assignment) before any reads, writes
    or leaves (break, continue, return, raise)."""
    for u in rest:
        targets = _top_targets(u) or []
        nodes = list(ast.walk(u))
        if any(isinstance(n, _STOPS) for n in nodes) or any(isinstance(n, ast.Name) and n.id == m and not (
                isinstance(n.ctx, ast.Store) and n in targets) for n in nodes):
            return False
        if any(t.id == m for t in targets):
            return True
    return False
