"""release: the fused function keeps the shape, not the array, of what its reverse sweep reads only
for its shape.

The fused function (``f_reverse``: the forward sweep, then the reverse sweep, one call) binds
the temporaries of its forward sweep to names that live to its end. Where the reverse sweep
reads such a value only for its shape (the operand of ``_ad_unreduce`` and
``_ad_unbroadcast``: ``_d_t2 = _ad_unreduce(g, _t2, None, False)`` of ``np.sum(_t2)``), the
array stays allocated through the whole reverse sweep for nothing, and the reverse sweep's own
arrays are allocated beside it: ``s[:] = a + b; return np.sum(s ** 2)`` at n = 1e6 then held
16 MB of temporaries where a hand-written adjoint holds 8, and malloc gave the memory back to
the system and took it again (page faults) at each call, 2x the hand-written adjoint's time.
The name is bound to its shape (``_t2 = _ad_shape(_t2)``) right after the forward sweep's
last statement that reads it, as the split halves already record only the shape.
"""
from __future__ import annotations

import ast

_SHAPE_ONLY = {"_ad_unreduce": 1, "_ad_unbroadcast": 1}   # helper -> the position read for its shape


def _n(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def _shape_reads(stmts) -> tuple[set, set]:
    """``(names read only for their shape, names read or bound otherwise)`` in ``stmts``."""
    shape_only, other = set(), set()
    for s in stmts:
        seen = set()
        for node in ast.walk(s):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _SHAPE_ONLY:
                k = _SHAPE_ONLY[node.func.id]
                if len(node.args) > k and isinstance(node.args[k], ast.Name):
                    shape_only.add(node.args[k].id)
                    seen.add(id(node.args[k]))
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and id(node) not in seen:
                other.add(node.id)
    return shape_only - other, other


def keep_shapes(forward: list, reverse: list) -> list:
    """``forward`` (the fused function's statements before its reverse sweep ``reverse``) with
    ``N = _ad_shape(N)`` after the last statement reading each name ``N`` it binds at its top
    level that ``reverse`` reads only for its shape."""
    names, _ = _shape_reads(reverse)
    bound = {t.id for s in forward if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)}
    # (a name a nested function or lambda reads may be read when it is called, later)
    bound -= {n.id for s in forward + reverse for f in ast.walk(s)
              if isinstance(f, (ast.Lambda, ast.FunctionDef)) for n in ast.walk(f) if isinstance(n, ast.Name)}
    last = {}
    for k, s in enumerate(forward):
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and node.id in names:
                last[node.id] = k
    out = list(forward)
    for name, k in sorted(last.items(), key=lambda kv: -kv[1]):
        if name in bound:
            out.insert(k + 1, ast.Assign([_n(name, ast.Store)], ast.Call(_n("_ad_shape"), [_n(name)], [])))
    return out
