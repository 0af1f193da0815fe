"""params: a parameter the body rebinds becomes a separate local.

After this rewrite no parameter name is assigned in the body: every
parameter ``x`` that the body stores to (``x = ...``, ``x += ...``, a loop
variable...) is renamed ``x_1`` throughout the body, and the body starts with
``x_1 = x``. The argument (the caller's memory) and the values the name
later holds are then analysed apart. The renamed locals are added to the
resolver's locals. This rewrite runs first, on a copy of the user's body
(``versions`` then starts a new local at each top-level rebinding: ``x_2``).

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x, a):\\n    x += a\\n    x = x * a"))
x_1 = x
x_1 += a
x_2 = x_1 * a
"""
from __future__ import annotations

import ast
import copy


def rename_rebound_params(tree: ast.FunctionDef, namer, resolver) -> tuple[list, list]:
    """``(body, entry)``: the body with rebound parameters renamed, and the
    ``x_1 = x`` statements that bind them on entry."""
    params = [a.arg for a in tree.args.posonlyargs + tree.args.args]
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    renames = {p: namer.reserve(p + "_1") for p in params if p in stored}
    if not renames:
        return list(tree.body), []
    body = copy.deepcopy(tree.body)
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Name) and node.id in renames:
            node.id = renames[node.id]
    resolver.locals |= set(renames.values())
    namer.renamed = {new: p for p, new in renames.items()}   # (messages name the user's names)
    entry = [ast.copy_location(ast.Assign(targets=[ast.Name(new, ast.Store())], value=ast.Name(p, ast.Load())), tree)
             for p, new in renames.items()]
    return body, entry
