"""Compound blocks and aliases layered over the statement templates.

- ``repeat_block``: an outer ``for`` (counted, or over the array backwards)
  or a bounded ``while`` around other statements, so loops nest inside loops
  and branches and loop variables are reused.
- ``alias_lines``: names bound to parameter memory (``a = x``,
  ``a = x[::-1]``, ``a, b = x, y``) that later statements write through.
- ``call_slices``: matching slices for a helper's output and input.
"""
from __future__ import annotations

from collections.abc import Callable

from .exprs import ExprGen

TUPLE_ALIAS = 0.08
"""Probability of an ``a, b = x, y`` alias in a program."""


def repeat_block(g: ExprGen, ind: str, body: Callable[[str], list[str]]) -> list[str]:
    """Run 1-2 random statements inside an outer loop."""
    r = g.rng
    k = r.random()
    if k < 0.4:
        lines, tail = [ind + f"for r in range({r.randint(1, 3)}):"], []
    elif k < 0.7:
        lines, tail = [ind + "for r in range(n - 1, -1, -2):"], []
    else:
        lines = [ind + "it2 = 0", ind + f"while it2 < 2 and {g.scalar(1)} > -5.0:"]
        tail = [ind + "    it2 += 1"]
    for _ in range(r.randint(1, 2)):
        lines += body(ind + "    ")
    return lines + tail


def alias_lines(g: ExprGen, dup: list[str], tuple_alias: float = TUPLE_ALIAS) -> list[str]:
    """Prologue lines binding aliases of Duplicated memory; extends the scope.

    ``tuple_alias`` is the probability of an ``a, b = x, y`` binding.
    """
    r, s = g.rng, g.s
    lines = []
    if dup and r.random() < 0.2:
        src = r.choice(dup)
        lines.append(f"    av = {r.choice([src, src + '[:]', src + '[::-1]', src + '[...]'])}")
        s.vecs.append("av")
        s.w_vecs.append("av")
    if dup and r.random() < tuple_alias:
        first, second = r.choice(dup), r.choice(s.vecs)
        lines.append(f"    ta, tb = {first}, {second}")
        s.vecs += ["ta", "tb"]
        s.w_vecs.append("ta")
    return lines


def call_slices(g: ExprGen, n: int) -> tuple[str, str, int]:
    """Slices for a helper's (output, input) of equal length; and that length."""
    r = g.rng
    options = [("", "", n), ("", "", n), ("[::-1]", "", n), ("[:]", "[::-1]", n)]
    if n >= 1:
        options += [("[1:]", "[:-1]", n - 1), ("[:-1]", "[1:]", n - 1)]
    return r.choice(options)
