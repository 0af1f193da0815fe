"""emit: print generated function definitions as deterministic source.

``emit_module`` prints a list of function definitions with ``ast.unparse``.
Comments naming the primal line each block differentiates travel in the tree
as placeholder statements (``comment_mark``) and are substituted after
printing (``ast`` has no comments). This module only turns trees into text;
``pipeline`` decides what the trees are.
"""
from __future__ import annotations

import ast
import re

_MARK = "__ad_comment_{}__"
_MARK_RE = re.compile(r"^(\s*)__ad_comment_(\d+)__$")


class _SignedConstants(ast.NodeTransformer):
    """``-1.25`` as a unary minus, so that ``ast.unparse`` parenthesises
    ``(-1.25) ** 2`` (a negative constant prints without parentheses); an
    index passed to a helper as a value spells its slices ``slice(a, b, c)``
    (``f(x, ([0, 2], :))`` is not Python)."""

    def visit_Call(self, node):
        self.generic_visit(node)
        node.args = [_index_value(a) for a in node.args]
        return node

    def visit_Constant(self, node):
        v = node.value
        if type(v) in (int, float) and (v < 0 or (v == 0 and str(v).startswith("-"))):
            return ast.UnaryOp(ast.USub(), ast.Constant(-v))
        return node


def _index_value(e):
    if isinstance(e, ast.Slice):
        parts = [p if p is not None else ast.Constant(None) for p in (e.lower, e.upper, e.step)]
        return ast.Call(ast.Name("slice", ast.Load()), parts, [])
    if isinstance(e, ast.Tuple) and any(isinstance(x, ast.Slice) for x in e.elts):
        return ast.Tuple([_index_value(x) for x in e.elts], ast.Load())
    return e


def copy_tree(node):
    """A copy of an AST (a node or a list of them), several times faster than
    ``copy.deepcopy``; a node that appears twice is copied twice. Only the node's
    fields are copied through: other attributes are kept as they are (tools mark the
    nodes they parse, ``parent`` on the ``ast.Load()`` every tree shares: IPython's
    tracebacks do, and following it never ended)."""
    if isinstance(node, list):
        return [copy_tree(x) for x in node]
    if isinstance(node, ast.AST):
        new = node.__class__.__new__(node.__class__)
        new.__dict__.update(node.__dict__)
        for k in node._fields:
            v = node.__dict__.get(k)
            if isinstance(v, (ast.AST, list)):
                new.__dict__[k] = copy_tree(v)
        return new
    return node


def unparse(tree) -> str:
    return ast.unparse(ast.fix_missing_locations(_SignedConstants().visit(copy_tree(tree))))


def funcdef(name, params, body, defaults=()):
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=list(defaults))
    fn = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None, type_comment=None)
    if "type_params" in ast.FunctionDef._fields:
        fn.type_params = []
    fn.lineno = 1
    return fn


def comment_mark(k: int) -> ast.Expr:
    """The placeholder statement that ``emit_module`` replaces by comment ``k``."""
    return ast.Expr(ast.Name(_MARK.format(k), ast.Load()))


def emit_module(functions: list, comments: list, where: dict | None = None) -> str:
    """The source of a module of ``functions``, placeholders replaced by
    ``comments``; ``where`` receives, for each comment, its line number (from
    1) -> the comment's index."""
    text = unparse(ast.Module(body=functions, type_ignores=[]))
    lines = []
    for line in text.splitlines():
        m = _MARK_RE.match(line)
        if m and where is not None:
            where[len(lines) + 1] = int(m.group(2))
        lines.append(m.group(1) + comments[int(m.group(2))] if m else line)
    return "\n".join(lines) + "\n"
