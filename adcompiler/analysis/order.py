"""order: a function body's statements in execution order, each with the loops
around it (a statement inside a loop also runs after the statements that
follow it in the loop's body: the next iteration), and the parts of a statement
that are its own (``heads``)."""
from __future__ import annotations

import ast


def heads(s) -> list:
    """The parts of statement ``s`` that are not statements of its own: a loop's iterable,
    an ``if``'s or a ``while``'s test, or all of a simple statement."""
    return [s.iter] if isinstance(s, ast.For) else [s.test] if isinstance(s, (ast.If, ast.While)) else [s]


def walk_stmts(body):
    """The statements of ``body`` at any depth (of loops' and ifs' bodies and else blocks), in
    the order they are written."""
    for s in body:
        yield s
        for field in ("body", "orelse"):
            sub = getattr(s, field, None)
            if isinstance(sub, list):
                yield from walk_stmts(sub)


def in_order(body, stop=None) -> list:
    """``[(statement, (the loops around it, outermost first))]`` for the statements of
    ``body`` at any depth, in the order they first run (``stop``: a statement whose own
    body is not entered)."""
    out: list = []

    def visit(stmts, around):
        for st in stmts:
            out.append((st, around))
            if st is stop:
                continue
            inner = around + (st,) if isinstance(st, (ast.For, ast.While)) else around
            for field in ("body", "orelse", "finalbody"):
                visit(getattr(st, field, []) or [], inner)
            for h in getattr(st, "handlers", []) or []:
                visit(h.body, inner)
    visit(body, ())
    return out
