"""out_args: ``out=`` becomes a store.

After this rewrite no call has an ``out=`` keyword (``writes.OUT``): the call
assigns a fresh temporary and the temporary is stored into the ``out`` array,
``np.f(a, b, out=s)`` -> ``_t1 = np.f(a, b); s[...] = _t1``. The call then
evaluates to the ``out`` array (a name, or a load of the stored subscript), as
in numpy. ``out=(s,)`` is taken as ``out=s``; several outputs are refused.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(s, a):\\n    np.sin(a, out=s[1:])"))
_t1 = np.sin(a)
s[1:] = _t1
"""
from __future__ import annotations

import ast

import numpy as np

from . import notes


class OutRewrite:
    """Stores the result of a call with ``out=`` (mixed into ``normalize.Normalizer``)."""

    def single_out(self, out, node):
        """The one array of ``out=(s,)``, refusing several."""
        if isinstance(out, ast.Tuple):
            if len(out.elts) != 1:
                self.err(node, "out= with several arrays is not supported.", "assign the results separately.")
            return out.elts[0]
        return out

    def out_store(self, call, out, node):
        """Store the result of ``call`` into ``out``; the expression that reads it back."""
        f = notes.target(call) if isinstance(call, ast.Call) else None
        # (numpy casts a ufunc's result into out= only within a kind, as np.clip's, np.round's, np.dot's;
        # a reduction's, np.sum's, whatever the kind)
        strict = isinstance(f, np.ufunc) or any(f is g for g in (np.clip, np.around, np.round, np.dot))
        result = self.temp(call)
        self.store(out, result, node, into=True, same_kind=strict)
        return out if isinstance(out, ast.Name) else self.subscript_load(out)

    def apart_from(self, node, parts, target):
        """``parts`` (expressions; those that may be views become atoms, in place) checked at run time
        to share no memory with ``target`` (``runtime.views.disjoint_checked``, refused at ``node``'s
        line): ``np.concatenate(..., out=y)`` and ``np.place(y, m, vals)`` copy element by element, a
        part reading what an earlier element's copy wrote (no copy of the parts first, as a ufunc's),
        where the derivative reads each part whole."""
        from ..runtime import views
        target = self.atom(target)
        where = ast.Tuple([ast.Constant(self.pf.filename), ast.Constant(node.lineno),
                           ast.Constant(self.pf.line_text(node.lineno).strip())], ast.Load())
        for k, p in enumerate(parts):
            if isinstance(p, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Constant, ast.List, ast.Tuple)):
                continue   # (new memory)
            parts[k] = a = self.atom(p)
            check = self.make_call(views.disjoint_checked, [ast.Name(a.id, ast.Load()), ast.Name(target.id, ast.Load()),
                                                            where], [], node)
            self.emit(ast.Expr(ast.copy_location(check, node)))
