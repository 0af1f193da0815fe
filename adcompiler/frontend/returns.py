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
    escapes = has_value and _may_return_unset(body, ret)
    if has_jump(body, ast.Return):
        body = restructure(body, (ast.Return,), drop=(ast.Return,))
    if has_value:
        init = ast.copy_location(ast.Assign(targets=[ast.Name(ret, ast.Store())], value=ast.Constant(None)), where)
        init.ad_none = escapes   # None may be returned (a compiled backend cannot hold it beside a number)
        body = [init] + body
    return body


def _may_return_unset(body: list, ret: str) -> bool:
    """Whether some path leaves the function (a bare ``return``, or the end)
    without binding ``ret``: the function may return None."""
    escapes = False
    breaks: list = []   # (per loop run, innermost last: whether ``ret`` is bound at each of its breaks)

    def run(stmts, bound):
        """Whether ``ret`` is bound where ``stmts`` complete (None: they never do)."""
        nonlocal escapes
        for st in stmts:
            if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == ret for t in st.targets):
                bound = True
            elif isinstance(st, ast.Return):
                escapes = escapes or not (bound or getattr(st, "ret_bound", False))
                return None
            elif isinstance(st, ast.Raise):
                return None
            elif isinstance(st, ast.Break):
                if breaks and not getattr(st, "ad_never", False):
                    breaks[-1].append(bound)
                return None
            elif isinstance(st, ast.If):
                ends = [e for e in (run(st.body, bound), run(st.orelse, bound)) if e is not None]
                if not ends:
                    return None
                bound = all(ends)
            elif isinstance(st, (ast.For, ast.While)):
                breaks.append([])
                run(st.body, bound)
                left = breaks.pop()
                run(st.orelse, bound)
                if isinstance(st, ast.While) and isinstance(st.test, ast.Constant) and st.test.value:
                    if not left:
                        return None   # ``while True:`` left only by ``return``
                    bound = all(left)   # (left only by its breaks)
            elif isinstance(st, (ast.Try, ast.With)):   # (``bound`` kept: a block may stop anywhere)
                for block in ("body", "orelse", "finalbody"):
                    run(getattr(st, block, []), bound)
                for h in getattr(st, "handlers", []):
                    run(h.body, bound)
        return bound

    end = run(body, False)
    return escapes or end is False
