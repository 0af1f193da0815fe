"""builtin_calls: Python's ``max``, ``min`` and ``sum`` become numpy calls
where their meaning is a reduction.

After this rewrite:

- ``max(v)`` / ``min(v)`` of one argument is ``np.max(v)`` / ``np.min(v)``
  (of a list the function builds, or of a comprehension of values that may
  carry derivatives, the items stacked first);
- ``max(a, b)`` / ``min(a, b)`` stay builtin calls of exactly two arguments
  (their rule splits ties); ``max(a, b, c)`` is ``max(max(a, b), c)``;
  keywords are refused;
- ``sum(v)`` is ``np.sum(v, axis=0)`` (the builtin adds along the first axis);
  ``sum(v, start)`` adds ``start`` to that; ``math.fsum`` (an exactly rounded
  sum, which an ordinary sum's value is not) is refused;
- ``any``/``all`` of a comprehension are a loop setting a flag (stopping at
  the deciding element, as a generator does); of a value, ``np.any``/``np.all``.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x):\\n    return sum(x) + max(x)"))
_ret = None
_t1 = np.sum(x, axis=0)
_t2 = np.max(x)
_ret = _t1 + _t2
"""
from __future__ import annotations

import ast
import builtins
import math

import numpy as np


class BuiltinRewrite:
    """Rewrites calls of Python's reductions (mixed into ``normalize.Normalizer``)."""

    def extreme_of_items(self, e, target, items):
        """``max(items)``/``min(items)`` of one argument."""
        if isinstance(items, (ast.List, ast.Tuple)) and len(items.elts) > 1 \
                and not any(isinstance(x, ast.Starred) for x in items.elts):
            # (written out: Python's max of the values, pairwise, as ``max(a, b, c)``: the winner's own
            # type, an int, and Python's comparisons, a NaN after a number not taken)
            return self.call(ast.copy_location(ast.Call(e.func, list(items.elts), []), e))
        if isinstance(items, (ast.List, ast.Tuple)) and items.elts and self.lists.may_carry(items):
            items = _as_comprehension(items)   # (one value: the list of it)
        built = isinstance(items, (ast.ListComp, ast.GeneratorExp)) and self.lists.may_carry(items)
        if built:
            items = self.comprehension(items)   # (a list built by a loop, then stacked)
        if built or self.lists.reads_items(items):
            from .stacking import stack_list
            items = self.temp(stack_list(self, e, items, ast.Constant(0), empty_ok=True))
        return self.make_call(np.max if target is builtins.max else np.min, [self.atom(items)], [], e)

    def reduces_comprehension(self, e) -> bool:
        """Whether ``e`` holds a call of Python's reductions of a comprehension (``max(... for ...)``)."""
        return any(self._reduction_of_comprehension(n) for n in ast.walk(e))

    def _reduction_of_comprehension(self, e) -> bool:
        return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and len(e.args) == 1 and not e.keywords \
            and isinstance(e.args[0], (ast.ListComp, ast.GeneratorExp)) \
            and self.resolve_call_target(e) in (builtins.max, builtins.min, builtins.sum, builtins.any, builtins.all)

    def reductions_first(self, test):
        """``test`` (a condition kept whole) with the calls of Python's reductions of a comprehension
        (``while max(abs(x[i]) for i in range(n)) > tol and it < 40``) each computed first, as a
        statement does, into a name: kept whole, ``max`` of one argument met the rule of two. Only
        where Python evaluates the call whatever the values (not after the first operand of
        ``and``/``or``, nor in a branch of a conditional expression, nor past a chained comparison's
        first): an empty sequence's max that Python skips would raise."""
        def visit(e):
            if self._reduction_of_comprehension(e):
                return self.atom(e)
            eager = [("values", 0)] if isinstance(e, ast.BoolOp) else [("test", None)] if isinstance(e, ast.IfExp) \
                else [("left", None), ("comparators", 0)] if isinstance(e, ast.Compare) \
                else [] if isinstance(e, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)) \
                else [(f, None) for f in e._fields]
            for field, k in eager:
                v = getattr(e, field, None)
                if isinstance(v, list):
                    for j, x in enumerate(v[:1] if k == 0 else v):
                        if isinstance(x, ast.expr):
                            v[j] = visit(x)
                elif isinstance(v, ast.expr):
                    setattr(e, field, visit(v))
            return e
        return visit(test)

    def builtin_call(self, e, target, kw):
        """The rewritten call of a builtin reduction, or None to go on."""
        if target is builtins.max or target is builtins.min:
            if len(e.args) == 1 and not kw:
                return self.extreme_of_items(e, target, e.args[0])
            if len(e.args) < 2 or kw:
                self.err(e, f"`{target.__name__}` with keywords is not supported.",
                         f"nest two-argument calls or use np.{target.__name__}imum.")
            if len(e.args) > 2:   # max(a, b, c) is max(max(a, b), c)
                acc = e.args[0]
                for a in e.args[1:]:
                    acc = ast.copy_location(ast.Call(e.func, [acc, a], []), e)
                return self.call(acc)
        if target is math.fsum:   # (an exactly rounded sum: an np.sum's value differs, by all of it at worst)
            self.err(e, "math.fsum's exactly rounded sum is not differentiated (its value would be an ordinary "
                        "sum's: math.fsum([1e16, 1.0, -1e16]) is 1.0, the ordinary sum 0.0).",
                     "use sum() or np.sum() (the same derivative, the value rounded as they round it), or take the "
                     "exact sum outside the differentiated function.")
        if target is builtins.sum:
            if len(e.args) not in (1, 2) or kw:
                self.err(e, f"this call of `{ast.unparse(e.func)}` is not supported.", "use np.sum.")
            items = e.args[0]
            if isinstance(items, (ast.ListComp, ast.GeneratorExp)):   # added up by a loop, from 0 (or start)
                return self.comprehension(items, start=e.args[1] if len(e.args) == 2 else ast.Constant(0))
            if isinstance(items, (ast.List, ast.Tuple)) and not any(isinstance(x, ast.Starred) for x in items.elts):
                # sum([a, b, c]) adds left to right from 0 (or start): a chain of additions
                acc = e.args[1] if len(e.args) == 2 else ast.Constant(0)
                for x in items.elts:
                    acc = ast.copy_location(ast.BinOp(acc, ast.Add(), x), e)
                return self.simple(acc)
            if self.lists.reads_items(items):   # a list that may carry derivatives: its items stacked
                from .stacking import stack_list
                items = self.temp(stack_list(self, e, items, ast.Constant(0), empty_ok=True))
            total = self.make_call(np.sum, [self.atom(items)], [ast.keyword("axis", ast.Constant(0))], e)
            if len(e.args) == 2:   # sum(v, start) is start + the sum
                return ast.BinOp(self.atom(e.args[1]), ast.Add(), self.atom(self.temp(total)))
            return total
        if (target is builtins.any or target is builtins.all) and len(e.args) == 1 and not kw:
            items = e.args[0]
            name = target.__name__
            if isinstance(items, (ast.ListComp, ast.GeneratorExp)):   # a flag set by a loop
                return self.comprehension(items, test=name)
            if self.lists.reads_items(items):   # a list's items stacked first
                from .stacking import stack_list
                items = self.temp(stack_list(self, e, items, ast.Constant(0), empty_ok=True))
            return self.make_call(np.any if name == "any" else np.all, [self.atom(items)], [], e)
        if target is builtins.pow and len(e.args) == 2 and not kw:
            # pow(a, b) is a ** b (an int to a negative power a float, as the operator's kinds say)
            return self.simple(ast.copy_location(ast.BinOp(e.args[0], ast.Pow(), e.args[1]), e))
        return None


def _as_comprehension(items):
    """A list or tuple written out, ``[a, b]``, as the list a comprehension over its values builds
    (``max([a, b])`` of values that carry derivatives: as of a named list)."""
    return ast.copy_location(ast.ListComp(ast.Name("_v", ast.Load()), [ast.comprehension(
        ast.Name("_v", ast.Store()), ast.Tuple(items.elts, ast.Load()), [], 0)]), items)
