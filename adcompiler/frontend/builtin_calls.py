"""builtin_calls: Python's ``max``, ``min`` and ``sum`` become numpy calls
where their meaning is a reduction.

After this rewrite:

- ``max(v)`` / ``min(v)`` of one argument is ``np.max(v)`` / ``np.min(v)``;
- ``max(a, b)`` / ``min(a, b)`` stay builtin calls of exactly two arguments
  (their rule splits ties); other arities and keywords are refused;
- ``sum(v)`` is ``np.sum(v, axis=0)`` (the builtin adds along the first
  axis); a start value is refused.

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

import numpy as np


class BuiltinRewrite:
    """Rewrites calls of Python's reductions (mixed into ``normalize.Normalizer``)."""

    def builtin_call(self, e, target, kw):
        """The rewritten call of a builtin reduction, or None to go on."""
        if target is builtins.max or target is builtins.min:
            if len(e.args) == 1 and not kw:
                return self.make_call(np.max if target is builtins.max else np.min, [self.atom(e.args[0])], [], e)
            if len(e.args) != 2 or kw:
                self.err(e, f"`{target.__name__}` with {len(e.args)} arguments is not supported.",
                         f"nest two-argument calls or use np.{target.__name__}imum.")
        if target is builtins.sum:
            if len(e.args) != 1 or kw:
                self.err(e, "`sum` with a start value is not supported.", "use np.sum.")
            return self.make_call(np.sum, [self.atom(e.args[0])], [ast.keyword("axis", ast.Constant(0))], e)
        return None
