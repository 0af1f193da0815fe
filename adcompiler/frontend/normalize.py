"""normalize: desugar and bring the body to A-normal form.

``Normalizer(pf, resolver, namer).run()`` returns the normalized body (a list
of statements) and sets ``has_return_value``. It runs, in order:

1. ``params``: rebound parameters become separate locals (``x_1 = x``),
   ``restructure.loop_else``: a loop's ``else:`` clause runs under a flag
   that its ``break`` statements set, and ``lists``: a list rebound at the
   top level is a separate local too (``vals_2``), and ``versions``: any name
   rebound at the top level starts a new local (``c_2``);
2. one walk over the statements that applies, as it meets them,
   ``statements`` (statement forms), ``loops`` (range loops, counted while
   loops), ``anf`` (one operation per assignment, atom operands), ``calls``
   (calls resolved to a rule or a user function), ``builtin_calls``
   (``max``/``min``/``sum``), ``lists`` (items of a list read through
   its stacked array), ``methods`` (``x.sum()``, ``x.T``),
   ``out_args`` (``out=`` as a store) and ``inplace`` (in-place numpy calls
   as stores). These are mutually recursive (a method's argument is an
   expression, an expression may be a call), so they are mixins of one
   walker; each module's docstring states the form it guarantees;
3. ``returns``: one exit at the end (``_ret`` bound on every path).

Every statement keeps the line number of the user statement it comes from.
``adcompiler.testing.passes.normal_form(source)`` shows the result for a
function given as source.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(s, a, b):\\n    np.multiply(a, b, out=s)\\n    s += a.T"))
s_1 = s
_t1 = np.multiply(a, b)
s_1[...] = _t1
_t2 = np.transpose(a)
s_1 += _t2
"""
from __future__ import annotations

from ..codegen.naming import is_generated
from ..runtime.attempts import attempt
from .anf import AnfRewrite, is_index_expr  # noqa: F401  (is_index_expr: used by other passes)
from .attempts import tries_as_branches
from .builtin_calls import BuiltinRewrite
from .calls import CallRewrite
from .lists import ListNames, prepare_lists
from .loops import LoopRewrite
from .methods import METHODS, MethodRewrite  # noqa: F401  (METHODS: read by tools/gen_rules_doc.py)
from .out_args import OutRewrite
from .params import rename_rebound_params
from .resolve import MISSING  # noqa: F401  (read by analysis/infer.py)
from .restructure import loop_else
from .returns import single_exit
from .statements import StatementRewrite
from .unroll import unroll_display_loops
from .versions import unread_in_loops, version_rebindings


class Normalizer(StatementRewrite, LoopRewrite, MethodRewrite, OutRewrite, BuiltinRewrite, CallRewrite, AnfRewrite):
    """Rewrites a parsed function's body; see the module docstring."""

    def run(self) -> list:
        self.returned = None   # the flag of the loops a ``return`` leaves (statements.loop_returning)
        user_body, entry = rename_rebound_params(self.pf.tree, self.namer, self.res)
        user_body = tries_as_branches(user_body, self, attempt)
        self.params_renamed = {e.value.id: e.targets[0].id for e in entry}   # (x -> x_1)
        user_body = self.fold_fixed(user_body)
        if not is_generated(self.pf.filename):
            user_body = unroll_display_loops(user_body, self.namer, self.res)
        user_body = loop_else(user_body, self._loop_flag)
        user_body = prepare_lists(self.pf.tree, user_body, self.namer, self.res)
        if not is_generated(self.pf.filename):
            user_body = version_rebindings(user_body, [e.targets[0].id for e in entry], self.namer, self.res)
            unread_in_loops(user_body, self.namer, self.res, self.pf.tree)
        self.lists = ListNames(self.pf.tree, user_body, self.namer)
        body = self.block(user_body)
        self.cur = self.pf.tree
        for e in entry:
            e.end_lineno = e.lineno
        return single_exit(entry + body, self.has_return_value, self.namer.ret, self.pf.tree)

    def local(self, fmt: str) -> str:
        """A new local name of the form ``fmt``."""
        name = self.namer.fresh(fmt)
        self.res.locals.add(name)
        return name

    def _loop_flag(self) -> str:
        """A new local: whether a loop with an ``else:`` clause was left by ``break``."""
        return self.local("_broke{}")
