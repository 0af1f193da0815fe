"""returns: one exit, at the end of the function.

Runs after the statement rewrite, which turned ``return a`` into ``_ret = a;
return``. After this rewrite no ``return`` is left: code after a conditional
``return`` moves into the branch that does not return
(``frontend/restructure.py``), and the returns at the tails are dropped. A
function that returns a value starts with ``_ret = None``, so ``_ret`` is
bound on every path.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x):\\n    if x[0] > 0:\\n        return 1.0\\n    return 2.0"))
_ret = None
_c1 = x[0] > 0
if _c1:
    _ret = 1.0
else:
    _ret = 2.0
"""
from __future__ import annotations

import ast

from .restructure import has_jump, restructure


def single_exit(body: list, has_value: bool, ret: str, where: ast.AST) -> list:
    """``body`` without ``return`` statements; ``ret`` (the return value's
    name) first set to None when ``has_value``, at the line of ``where``."""
    if has_jump(body, ast.Return):
        body = restructure(body, (ast.Return,), drop=(ast.Return,))
    if has_value:
        init = ast.copy_location(ast.Assign(targets=[ast.Name(ret, ast.Store())], value=ast.Constant(None)), where)
        body = [init] + body
    return body
