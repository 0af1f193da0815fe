"""contexts: ``with np.errstate(...)`` blocks that only silence or report
floating-point warnings (``over="ignore"``, ``all="warn"``...) are replaced
by their bodies: they change no value the function computes (nor a
derivative), only what numpy prints. ``"raise"`` and ``"call"`` change what
runs and stay refused by ``fence``, as does any other ``with``."""
from __future__ import annotations

import ast

import numpy as np

_QUIET = frozenset({"ignore", "warn", "print", "log"})


def _warnings_only(item, resolver) -> bool:
    call = item.context_expr
    return (item.optional_vars is None and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and resolver.resolve_attr(call.func) is np.errstate and not call.args
            and all(k.arg is not None and isinstance(k.value, ast.Constant) and k.value.value in _QUIET
                    for k in call.keywords))


class _Unwrap(ast.NodeTransformer):
    def __init__(self, resolver):
        self.resolver = resolver

    def visit_With(self, node):
        self.generic_visit(node)
        if node.items and all(_warnings_only(i, self.resolver) for i in node.items):
            return node.body
        return node


def drop_warning_contexts(pf, resolver) -> None:
    """Replace, in ``pf.tree``, each ``with np.errstate(...)`` that only sets warnings by its body."""
    if any(isinstance(n, ast.With) for n in ast.walk(pf.tree)):
        _Unwrap(resolver).visit(pf.tree)
