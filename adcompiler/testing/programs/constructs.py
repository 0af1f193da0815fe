"""The language constructs a program uses, read from its source.

Used to say which constructs a refused or failing program exercises; derived
from the final source (not from the generator's choices) so it is exact.
"""
from __future__ import annotations

import ast


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base in ("np", "math") else f".{node.attr}"
    return "?"


def _for_tags(node: ast.For) -> set[str]:
    tags = {"for"}
    call = node.iter
    if isinstance(call, ast.Call):
        tags.add(f"range/{len(call.args)}")
        if len(call.args) == 3 and isinstance(call.args[2], ast.UnaryOp):
            tags.add("for-negative-step")
    if any(isinstance(n, ast.For) for b in node.body for n in ast.walk(b)):
        tags.add("nested-for")
    return tags


def _store_tags(target: ast.AST, value: ast.AST | None) -> set[str]:
    if not isinstance(target, ast.Subscript):
        return set()
    kind = "slice-store" if any(isinstance(n, (ast.Slice, ast.Constant)) and not isinstance(
        target.slice, (ast.Name, ast.BinOp)) for n in ast.walk(target.slice)) else "elem-store"
    if isinstance(target.slice, ast.Tuple):
        kind = "2d-store"
    tags = {kind}
    name = _dotted(target.value)
    if value is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)):
        tags.add("store-reads-target")
    return tags


def constructs_of(source: str) -> set[str]:
    """Tags such as ``while``, ``break``, ``np.exp``, ``out=``, ``augassign-name``."""
    tree = ast.parse(source)
    helpers = {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and f.name != "kernel"}
    tags: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.For):
            tags |= _for_tags(node)
        elif isinstance(node, (ast.While, ast.Break, ast.Continue, ast.BoolOp)):
            tags.add(type(node).__name__.lower())
        elif isinstance(node, ast.If):
            tags.add("if")
            if any(isinstance(n, ast.Subscript) for n in ast.walk(node.test)):
                tags.add("if-on-array-data")
            if node.orelse and isinstance(node.orelse[0], ast.If):
                tags.add("elif")
            if any(isinstance(n, ast.Return) for n in node.body):
                tags.add("return-in-branch")
        elif isinstance(node, ast.AugAssign):
            kind = "name" if isinstance(node.target, ast.Name) else "subscript"
            tags.add(f"augassign-{kind}-{type(node.op).__name__}")
            tags |= _store_tags(node.target, node.value)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                tags |= _store_tags(t, node.value)
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            tags.add("call-helper" if name in helpers else name)
            tags.update(f"{k.arg}=" for k in node.keywords)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) \
                and isinstance(node.ctx, ast.Load):
            tags.add("slice-read")
    if any(isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple) for n in ast.walk(tree)):
        tags.add("tuple-unpack")
    return tags
