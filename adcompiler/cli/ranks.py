"""ranks: what the command line does about array arguments of no given rank.

``ranks_from_subscripts`` takes, for each Duplicated array without ``--shape``, the
rank its subscripts read (``--target numba`` always, the numpy target where the
code needs ranks); ``refuse_rank_dependent_views`` asks for ``--shape`` where the
derivative depends on a rank not known (``v = X[i, j]`` with ``X`` written).
"""
from __future__ import annotations

import ast
import inspect
import types

from .. import pipeline
from ..frontend import notes
from .load import DUP, Activities, UsageError


def ranks_from_subscripts(func, acts: Activities, ranks: dict) -> dict:
    """``ranks`` with, for each Duplicated array of ``func`` that has none, the rank its subscripts
    read (``u[i]``: 1, ``A[i, j]``: 2, the largest where several; ``n, m = A.shape``: 2), for
    ``--target numba``, which compiles for one rank. The emitted module refuses, at the call, an
    array of another rank (emit again with ``--shape``). Not for a name the function binds again,
    nor one indexed with ``...`` or ``None`` (``np.newaxis``) or read for its ``.ndim``."""
    from ..frontend.parse import parse_function
    names = {p for p in acts.params if acts.acts[p] == DUP and p not in ranks}
    if not names:
        return ranks
    tree = parse_function(func).tree
    seen: dict = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)) \
                or isinstance(n, ast.Attribute) and n.attr == "ndim" and isinstance(n.value, ast.Name):
            names.discard(n.id if isinstance(n, ast.Name) else n.value.id)
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
            parts = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            if any(isinstance(e, ast.Constant) and (e.value is None or e.value is Ellipsis)
                   or isinstance(e, ast.Attribute) and e.attr == "newaxis" for e in parts):
                names.discard(n.value.id)
            seen[n.value.id] = max(seen.get(n.value.id, 0), len(parts))
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Attribute) and n.value.attr == "shape" \
                and isinstance(n.value.value, ast.Name) and isinstance(n.targets[0], ast.Tuple):
            seen[n.value.value.id] = max(seen.get(n.value.value.id, 0), len(n.targets[0].elts))
    guessed = {p: seen[p] for p in names if seen.get(p)}
    for p, r in guessed.items():
        acts.reasons[p] += f"; rank {r}, read from its subscripts (--shape {p}=... to say otherwise)"
    return {**ranks, **guessed}


def _statements(body):
    for s in body:
        yield s
        for part in ("body", "orelse"):
            yield from _statements(getattr(s, part, None) or [])


def refuse_rank_dependent_views(func, kinds: tuple, unknown: dict, seen: set | None = None) -> None:
    """Refuse, asking for ``--shape``, code whose derivative depends on ranks the CLI does not know.

    ``v = X[i, j]`` with ``X`` of unknown rank binds either a view of ``X`` (rank
    above 2) or a copy of one element (rank 2). When the function writes ``X``'s
    memory, the reverse sweep handles the two differently (a view's adjoint is a
    view of ``X``'s shadow; an element's is a number added back to it), and code
    generated for "either" is wrong for one of them. ``unknown`` maps each
    parameter to the command-line parameters of unknown rank its value comes
    from. Callees are checked with the kinds their calls give them."""
    seen = set() if seen is None else seen
    if (func, kinds) in seen:
        return
    seen.add((func, kinds))
    an = pipeline.analyse(func, kinds)
    eff = an.eff
    for s in _statements(an.body):
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
            n = s.targets[0].id
            k = an.kinds.get(n)
            if k is not None and k.cls == "num" and n in eff.memory_names:
                base = eff.view_base(s.value)
                if base is not None and eff.maybe_array(base) and eff.cell(n) == eff.cell(base):
                    _rank_refusal(an, s, n, base, unknown)
        for node in ast.walk(s) if not isinstance(s, (ast.For, ast.While, ast.If)) else ():
            target = notes.target(node)
            if notes.is_user_call(node) and isinstance(target, types.FunctionType):
                arg_kinds = tuple(an.inference.expr(a) for a in node.args)
                if any(k.cls == "num" or (k.is_array and k.ndim is None) for k in arg_kinds):
                    inner = {}
                    for p, a in zip(inspect.signature(target).parameters, node.args):
                        cells = {eff.cell(m.id) for m in ast.walk(a) if isinstance(m, ast.Name)}
                        inner[p] = sorted({q for c in cells for q in unknown.get(c, ())})
                    refuse_rank_dependent_views(target, arg_kinds, inner, seen)


def _rank_refusal(an, s, n: str, base: str, unknown: dict) -> None:
    names = unknown.get(an.eff.cell(base)) or sorted({q for qs in unknown.values() for q in qs})
    shapes = " ".join(f"--shape {p}=DIMS" for p in names)
    text = ast.unparse(s.value)
    line = (an.pf.line_text(s.lineno) or f"{n} = {text}").strip()
    raise UsageError(
        f"{an.pf.filename}:{s.lineno}: `{line}`: whether `{text}` is a view of `{base}` or a copy of "
        f"one element depends on the rank of {', '.join(f'`{p}`' for p in names)}, which the command "
        f"line does not know, and `{base}` is written, so the derivative differs between the two. Give "
        f"the shape of the array argument{'s' if len(names) > 1 else ''}: {shapes} (only the rank is used; "
        f"the code is specialised on it).")
