"""numba_loops: the numba backend's rewrites of reversed loops (a mixin of
``numba_rewrite.FunctionRewrite``) and the room reserved on the typed tape
before an innermost loop that pushes scalars.

``reversed(range(...))`` becomes a loop counting up whose index counts down
(``counted_down``), or a counting-down ``range`` (``reversed_range``).
"""
from __future__ import annotations

import ast
import copy


def _n(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def _assign(targets, value):
    target = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
    return ast.Assign(targets=[target], value=value)


def _call(name, args):
    return ast.Call(_n(name), list(args), [])


class LoopRewrites:
    """``counted_down`` and ``reversed_range`` (needs ``refuse`` and ``counters``)."""

    def counted_down(self, loop):
        """An innermost ``for i in reversed(range(b))`` (or ``range(a, b)``)
        whose body uses ``i`` in no arithmetic (``x[i, k]``, never ``x[i - 1]``)
        as a loop that counts up, ``for k in range(b - a): i = b - 1 - k``,
        with ``a`` and ``b`` evaluated once before it, as ``range`` does: the
        same values of ``i`` in the same order, and ``i`` keeps the last one
        after the loop. On such loops (gemm's inner product, n = 32 and 128)
        numba's code for the counting-up form ran twice as fast as for a range
        with step -1; on a loop that reads ``x[i - 1]`` (a recurrence) it ran
        twice as slow, hence the condition. Returns the statements before the
        loop and the body's first statement (the loop's ``iter`` rewritten),
        or two empty lists for other loops."""
        it = loop.iter
        if not (isinstance(loop.target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                and it.func.id == "reversed" and len(it.args) == 1 and not it.keywords) or loop.orelse:
            return [], []
        var = loop.target.id
        for node in (n for b in loop.body for n in ast.walk(b)):
            if isinstance(node, (ast.For, ast.While, ast.AsyncFor)) or (
                    isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call))
                    and any(isinstance(m, ast.Name) and m.id == var for m in ast.walk(node))) or (
                    isinstance(node, ast.Name) and node.id == var and not isinstance(node.ctx, ast.Load)):
                return [], []
        inner = it.args[0]
        if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "range"
                and not inner.keywords and len(inner.args) in (1, 2)
                and not any(isinstance(a, ast.Starred) for a in inner.args)):
            return [], []
        self.counters += 1
        k, lo, hi = (f"_ad_{c}{self.counters}" for c in "klh")
        before = []
        if len(inner.args) == 2:
            before.append(_assign([_n(lo, ast.Store)], inner.args[0]))
        before.append(_assign([_n(hi, ast.Store)], inner.args[-1]))
        count = _n(hi) if len(inner.args) == 1 else ast.BinOp(_n(hi), ast.Sub(), _n(lo))
        loop.iter = _call("range", [count])
        value = ast.BinOp(ast.BinOp(_n(hi), ast.Sub(), ast.Constant(1)), ast.Sub(), _n(k))
        head = [_assign([_n(loop.target.id, ast.Store)], value)]
        loop.target = _n(k, ast.Store)
        return before, head

    def reversed_range(self, s, it):
        """``reversed(range(a, b, c))`` as ``range(a + (len - 1) * c, a - c, -c)``;
        ``range(...)[::-1]`` (the frontend's ``reversed(range(...))``) as the same,
        and ``reversed(range(...)[::-1])`` as the range itself."""
        if _range_backwards(it):
            it = _call("reversed", [it.value])
        elif not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "reversed"):
            return it
        elif len(it.args) == 1 and _range_backwards(it.args[0]):
            return copy.deepcopy(it.args[0].value)
        inner = it.args[0] if len(it.args) == 1 else None
        limit = None
        if isinstance(inner, ast.Subscript) and isinstance(inner.slice, ast.Slice) and inner.slice.lower is None \
                and inner.slice.step is None and inner.slice.upper is not None:
            inner, limit = inner.value, inner.slice.upper   # reversed(range(...)[:m]): the first m of the range
        if limit is not None and _range_backwards(inner):   # (of a reversed range: that range written out)
            inner = self.reversed_range(s, inner)
        if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "range"
                and not inner.keywords and 1 <= len(inner.args) <= 3):
            self.refuse(s, "a reversed loop over something other than a range", "use backend='numpy'.")
        args = inner.args
        if limit is not None:
            start = args[0] if len(args) >= 2 else ast.Constant(0)
            step = args[2] if len(args) == 3 else ast.Constant(1)
            count = _call("min", [copy.deepcopy(limit), _call("len", [copy.deepcopy(inner)])])
            first = ast.BinOp(copy.deepcopy(start), ast.Add(), ast.BinOp(
                ast.BinOp(count, ast.Sub(), ast.Constant(1)), ast.Mult(), copy.deepcopy(step)))
            return _call("range", [first, ast.BinOp(copy.deepcopy(start), ast.Sub(), copy.deepcopy(step)),
                                   ast.UnaryOp(ast.USub(), copy.deepcopy(step))])
        if len(args) == 1:
            return _call("range", [ast.BinOp(copy.deepcopy(args[0]), ast.Sub(), ast.Constant(1)),
                                   ast.Constant(-1), ast.Constant(-1)])
        start, stop = args[0], args[1]
        if len(args) == 2:
            return _call("range", [ast.BinOp(copy.deepcopy(stop), ast.Sub(), ast.Constant(1)),
                                   ast.BinOp(copy.deepcopy(start), ast.Sub(), ast.Constant(1)), ast.Constant(-1)])
        step = args[2]
        count = ast.BinOp(_call("len", [copy.deepcopy(inner)]), ast.Sub(), ast.Constant(1))
        first = ast.BinOp(copy.deepcopy(start), ast.Add(), ast.BinOp(count, ast.Mult(), copy.deepcopy(step)))
        return _call("range", [first, ast.BinOp(copy.deepcopy(start), ast.Sub(), copy.deepcopy(step)),
                               ast.UnaryOp(ast.USub(), copy.deepcopy(step))])


def _range_backwards(e) -> bool:
    """Whether ``e`` is ``range(...)[::-1]``."""
    if not (isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Slice) and e.slice.lower is None
            and e.slice.upper is None and isinstance(e.value, ast.Call)
            and isinstance(e.value.func, ast.Name) and e.value.func.id == "range"):
        return False
    step = e.slice.step
    if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub):
        return isinstance(step.operand, ast.Constant) and step.operand.value == 1
    return isinstance(step, ast.Constant) and step.value == -1


def _rebinds_buffer(assign) -> bool:
    return any(isinstance(t, ast.Name) and t.id in ("_ad_tf", "_ad_ti")
               for tgt in assign.targets for t in (tgt.elts if isinstance(tgt, ast.Tuple) else [tgt]))


def presized(loop) -> list:
    """An innermost ``for`` over a range whose body pushes scalars: room for
    all its pushes is reserved before it (one per push statement and
    iteration, an upper bound) and the growth checks inside are dropped.
    numba keeps a buffer that may be rebound inside a loop in a slow form."""
    if not (isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name)
            and loop.iter.func.id == "range") or loop.orelse:
        return [loop]
    if any(isinstance(n, (ast.For, ast.While)) for b in loop.body for n in ast.walk(b)):
        return [loop]
    # an array push or a call that takes the tape uses room the count cannot foresee
    growths = {id(st) for b in loop.body for g in ast.walk(b) if getattr(g, "grows", None) for st in g.body}
    for b in loop.body:
        for n in ast.walk(b):
            if isinstance(n, ast.Assign) and id(n) not in growths and _rebinds_buffer(n):
                return [loop]
    counts: dict = {}

    def strip(stmts):
        out = []
        for st in stmts:
            if getattr(st, "grows", None):
                counts[st.grows] = counts.get(st.grows, 0) + getattr(st, "grows_by", 1)
                continue
            if isinstance(st, ast.If):
                st.body, st.orelse = strip(st.body) or [ast.Pass()], strip(st.orelse)
            out.append(st)
        return out
    loop.body = strip(loop.body) or [ast.Pass()]
    before = []
    for buf, k in sorted(counts.items()):
        count = "_ad_nf" if buf == "_ad_tf" else "_ad_ni"
        room = ast.BinOp(ast.Constant(k), ast.Mult(), _call("len", [copy.deepcopy(loop.iter)]))
        before.append(_assign([_n(buf, ast.Store)], _call("_ad_reserve", [_n(buf), _n(count), room])))
    return before + [loop]


def complex_push(value) -> list:
    """A complex number ``value`` (a name) onto the float buffer: its real part, then its
    imaginary part (the growth check counts two places, see ``presized``)."""
    full = ast.Compare(ast.BinOp(_n("_ad_nf"), ast.Add(), ast.Constant(2)), [ast.Gt()],
                       [ast.Subscript(ast.Attribute(_n("_ad_tf"), "shape", ast.Load()), ast.Constant(0), ast.Load())])
    guard = ast.If(full, [_assign([_n("_ad_tf", ast.Store)], _call("_ad_reserve", [_n("_ad_tf"), _n("_ad_nf"),
                                                                                   ast.Constant(2)]))], [])
    guard.grows, guard.grows_by = "_ad_tf", 2
    at = [_n("_ad_nf"), ast.BinOp(_n("_ad_nf"), ast.Add(), ast.Constant(1))]
    return [guard] + [_assign([ast.Subscript(_n("_ad_tf"), k, ast.Store())], ast.Attribute(copy.deepcopy(value),
                                                                                        part, ast.Load()))
                      for k, part in zip(at, ("real", "imag"))] + \
        [ast.AugAssign(_n("_ad_nf", ast.Store), ast.Add(), ast.Constant(2))]


def complex_pop(target) -> list:
    """``complex_push`` undone: ``target = complex(real, imaginary)`` off the float buffer."""
    parts = [ast.Subscript(_n("_ad_tf"), k, ast.Load())
             for k in (_n("_ad_nf"), ast.BinOp(_n("_ad_nf"), ast.Add(), ast.Constant(1)))]
    return [ast.AugAssign(_n("_ad_nf", ast.Store), ast.Sub(), ast.Constant(2)), _assign([target], _call("complex", parts))]
