"""Functions numpy answers with a view of their argument that the transform
differentiates as a new array (``np.diag`` of a matrix, ``np.broadcast_to``,
``np.einsum`` of one operand that sums nothing): a copy where the argument is
written after the call and the view was read before; refused where the view
would show the write."""
from __future__ import annotations

import ast

import numpy as np

from ..analysis.order import heads
from ..codegen.naming import COPIES
from ..frontend import notes
from ..rules.registry import lookup
from ..runtime import numpy as RN
from ..runtime import windows as W
from .forms import StatementOrder

#: numpy functions returning a read-only view of their first argument that the transform
#: differentiates as a copy (np.diag of a matrix, np.broadcast_to, sliding_window_view), each with
#: the copy it runs as where the argument is written after the view was read
_COPIES = {np.broadcast_to: RN.broadcast_copy, np.diag: RN.diag_copy,
           np.lib.stride_tricks.sliding_window_view: W.window_copy}
_READ_ONLY_VIEWS = tuple(_COPIES)


def check_read_only_views(ctx, body) -> None:
    """Refuse ``b = np.broadcast_to(x, ...)`` or ``d = np.diag(A)`` (A a matrix)
    when ``x``'s memory may be written after the call: numpy returns a view, which
    shows the write, while the derivative is that of a copy taken at the call."""
    from ..analysis.order import walk_stmts
    from ..errors import UnsupportedSyntaxError
    placed = StatementOrder(body)
    refuse_stale_tuples(ctx, body, placed)
    for st in walk_stmts(body):
        v = st.value if isinstance(st, ast.Assign) else None
        if isinstance(v, ast.Call) and notes.target(v) is np.einsum and _einsum_view(v):
            _check_einsum_view(ctx, st, v, placed)
            continue
        if isinstance(v, ast.Call) and notes.is_user_call(v):
            _check_returned_view(ctx, st, v, placed)
            continue
        if not (isinstance(v, ast.Call) and notes.target(v) in _READ_ONLY_VIEWS):
            continue
        first = v.args[0] if v.args else next((k.value for k in v.keywords if k.arg in ("v", "array", "x")), None)
        if not isinstance(first, ast.Name):
            continue
        x = first.id
        k = ctx.kinds.get(x)
        if notes.target(v) is np.diag and not (k is not None and k.cls == "array" and k.ndim in (2, None)):
            continue   # np.diag of a vector builds a new matrix
        later = [w for w in ctx.eff.writers_of_memory(x) if w is not st and id(w) in placed.order
                 and placed.after(w, st)]
        reads = _reads_of_view(ctx, body, st.targets[0].id, placed)
        # held by a list, a tuple or a helper, the view is read for as long as they live
        kept = bool(later) and any(_keeps(r, ctx) for r in reads)
        copied_at_once = len(reads) == 1 and _copied_next(body, st, reads[0], ctx)   # (np.diag(P).copy())
        if later and not kept and (copied_at_once or not any(placed.after(r, w) for w in later for r in reads)):
            # read before the writes only: a copy is the same value, and the one the derivative may read
            # in the reverse sweep (the view would show the writes by then)
            copying = _COPIES[notes.target(v)]
            v.func = ast.copy_location(ast.Name("_ad_" + copying.__name__, ast.Load()), v.func)
            notes.resolve_call(v, copying, lookup(copying))
            continue
        if kept or any(placed.after(r, w) for w in later for r in reads):
            name = ast.unparse(v.func)
            what = "its argument" if x in ctx.namer.generated else f"`{x}`"
            raise UnsupportedSyntaxError(
                f"`{name}` returns a view of {what}, whose memory is written later in this function; the view "
                "would show the write.", filename=ctx.pf.filename, lineno=st.lineno,
                construct=ctx.pf.line_text(st.lineno),
                hint=f"copy the result ({name}(...).copy()), or call it after the writes.")


def _check_returned_view(ctx, st, v, placed) -> None:
    """Refuse a helper's result that is a view numpy makes of one of its
    arguments (``return np.diag(A)``) where that argument is written after
    the call: the view would show the write, and it was taken for a new array."""
    from ..errors import UnsupportedSyntaxError
    k = getattr(ctx.eff, "callee_ret_readonly", lambda f, call: None)(notes.target(v), v)
    if k is None or k >= len(v.args) or not isinstance(v.args[k], ast.Name):
        return
    later = [w for w in ctx.eff.writers_of_memory(v.args[k].id) if w is not st and id(w) in placed.order
             and placed.after(w, st)]
    if later:
        raise UnsupportedSyntaxError(
            f"`{ast.unparse(v.func)}` returns a view numpy makes of its argument `{v.args[k].id}` (np.diag, "
            "np.broadcast_to, np.einsum or sliding_window_view), whose memory is written later in this function.",
            filename=ctx.pf.filename, lineno=st.lineno, construct=ctx.pf.line_text(st.lineno),
            hint="return a copy from the helper (np.diag(A).copy()), or call it after the writes.")


def _keeps(s, ctx) -> bool:
    """Whether statement ``s`` keeps what it reads beyond itself: pushes it onto a
    list, puts it in a tuple or list, or passes it to a helper."""
    v = s.value if isinstance(s, (ast.Assign, ast.Expr)) else None
    return isinstance(v, (ast.Tuple, ast.List)) or (isinstance(v, ast.Call) and (
        notes.is_user_call(v) or notes.rule_kind(v) == "stack" or
        notes.target(v) in _READ_ONLY_VIEWS and not _diag_of_vector(v, ctx) or
        notes.target(v) is np.einsum or   # a view of the view (np.diag of a vector is a new matrix)
        isinstance(v.func, ast.Attribute) and v.func.attr in ("append", "extend", "insert")))


def _einsum_view(v) -> bool:
    """``np.einsum(spec, a)`` of one operand that sums nothing (``"ii->i"``,
    ``"ij->ji"``, ``"ij"``): numpy returns a writeable view of ``a`` (a spec
    not written out, one operand: taken for a view)."""
    if len(v.args) != 2 or any(k.arg != "optimize" for k in v.keywords):
        return False
    if not (isinstance(v.args[0], ast.Constant) and isinstance(v.args[0].value, str)):
        return True
    spec = v.args[0].value.replace(" ", "").replace(".", "")
    inputs, _, output = spec.partition("->")
    if "->" not in spec:   # implicit: the letters that appear once, the others summed
        output = "".join(c for c in inputs if inputs.count(c) == 1)
    return set(inputs) <= set(output)


def _check_einsum_view(ctx, st, v, placed) -> None:
    """Refuse a one-operand einsum view written through, or whose operand is
    written after it (the derivative is that of a copy taken at the call)."""
    from ..errors import UnsupportedSyntaxError
    x, t = v.args[1], st.targets[0].id
    later = ctx.eff.writers_of_memory(x.id) if isinstance(x, ast.Name) else []
    later = [w for w in later if w is not st and id(w) in placed.order and placed.after(w, st)]
    if later or ctx.eff.writers_of_memory(t):
        raise UnsupportedSyntaxError(
            "`np.einsum` of one operand that sums nothing returns a view of it, and one of the two is written "
            "later in this function.", filename=ctx.pf.filename, lineno=st.lineno,
            construct=ctx.pf.line_text(st.lineno),
            hint="copy the result (np.einsum(...).copy()), or write the operand through a view numpy documents "
                 "(np.einsum('ii->i', K) is K.diagonal(), read-only: use K[np.diag_indices(n)] += v).")


def _reads_of_view(ctx, body, v, placed) -> list:
    """The statements that read ``v`` or a name bound to (a view of) it."""
    from ..analysis.order import walk_stmts
    names, reads = {v}, []
    stmts = [s for s in walk_stmts(body) if id(s) in placed.order]
    grew = True
    while grew:
        grew = False
        for s in stmts:
            if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) \
                    and s.targets[0].id not in names and ctx.eff.view_base(s.value) in names:
                names.add(s.targets[0].id)
                grew = True
    for s in stmts:
        if any(isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)
               for p in heads(s) for n in ast.walk(p)):
            reads.append(s)
    return reads


def _copied_next(body, st, read, ctx) -> bool:
    """Whether ``read``, the only read of the view ``st`` binds, is the statement
    right after it in its block and copies it (``d = np.diag(P).copy()``, or
    ``np.diag(np.diag(H))``: a new matrix of the diagonal): no write can come
    between, whatever loop they are in."""
    v = read.value if isinstance(read, ast.Assign) else None
    if not (isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in COPIES or
            notes.target(v) is np.copy or isinstance(v, ast.Call) and _diag_of_vector(v, ctx)) \
            or not (len(v.args) == 1 and isinstance(v.args[0], ast.Name) and v.args[0].id == st.targets[0].id):
        return False
    for node in ast.walk(ast.Module(body=list(body), type_ignores=[])):
        for block in (getattr(node, f, None) for f in ("body", "orelse")):
            if isinstance(block, list) and any(b is st for b in block):
                k = next(i for i, b in enumerate(block) if b is st)
                return k + 1 < len(block) and block[k + 1] is read
    return False


def _diag_of_vector(v, ctx) -> bool:
    """Whether ``v`` is ``np.diag`` of a vector (which builds a new matrix, no view)."""
    a = v.args[0] if v.args else None
    k = ctx.kinds.get(a.id) if isinstance(a, ast.Name) else None
    return notes.target(v) is np.diag and k is not None and k.cls == "array" and k.ndim == 1


def refuse_stale_tuples(ctx, body, placed, by_name=True) -> None:
    """A tuple holds its arrays by reference: memory of an element written after the tuple is
    built changes what the tuple's element reads. The reverse sweep (``by_name`` False:
    ``transform/reverse.py``) refuses any such write (it would read the tuple's elements as
    written); forward and vector mode (``by_name``), which follow the tuple's elements by
    reference, refuse a write by the array's own name (``t = (y * 0.5, y); y[:] = ...``), so
    that every mode agrees on the common case (a write through the tuple's element itself,
    ``a = t[0]; a *= 3``, stays differentiated forward)."""
    from ..analysis.order import walk_stmts
    from ..errors import UnsupportedSyntaxError
    for s in walk_stmts(body):
        if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                and isinstance(s.value, (ast.Tuple, ast.List)) and ctx.is_active(s.targets[0].id)):
            continue
        for e in s.value.elts:
            if isinstance(e, ast.Name) and (ctx.is_memory(e.id) or getattr(ctx.kinds.get(e.id), "maybe_array", False)) \
                    and any(
                    placed.after(w, s) and (not by_name or any(isinstance(n, ast.Name) and n.id == e.id
                                                               for n in ast.walk(w)))
                    for w in ctx.eff.writers_of_memory(e.id) if w is not s):
                shown = "an array (a view)" if ctx.is_temp(e.id) else f"the array `{e.id}`"
                raise UnsupportedSyntaxError(
                    f"the tuple holds {shown}, which is written after the tuple is built.",
                    filename=ctx.pf.filename, lineno=s.lineno, construct=ctx.pf.line_text(s.lineno),
                    hint=("put copies of the views in the tuple (.copy())" if ctx.is_temp(e.id) else
                          f"put a copy in the tuple ({e.id}.copy())") + ", or build the tuple after the writes.")
