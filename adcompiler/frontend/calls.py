"""calls: every call resolved once, to a rule or to a user function.

After this rewrite every ``ast.Call`` left in the body is noted (``notes``)
with what it calls and by which rule, and is one of:

- a call of a function with a rule, its arguments atoms (``arg_atom``);
  non-differentiable and allocating calls (``np.zeros(n)``) keep constant and
  index-like arguments whole;
- a call of a user function by its name with one atom per parameter, in the
  order of the parameters (keywords bound, defaults filled in): no keywords,
  no ``*args``;
- the in-place numpy calls (``frontend/inplace.py``), builtins
  (``frontend/builtin_calls.py``), array methods (``frontend/methods.py``)
  and ``out=`` (``frontend/out_args.py``) are first rewritten into the forms
  above and stores.

A call of a function without a rule is refused (``NoRuleError``) with the way
to register one; ``np`` must name numpy where generated code says ``np.``.

>>> from adcompiler.testing.passes import normal_form
>>> print(normal_form("def f(x):\\n    return np.sum(np.sin(x), axis=0)"))
_ret = None
_t1 = np.sin(x)
_ret = np.sum(_t1, axis=0)
"""
from __future__ import annotations

import ast
import copy
import inspect
import types

import numpy as np

from ..errors import NoRuleError, UnsupportedSyntaxError
from ..rules import from_source, is_runtime_helper, lookup, writes
from ..runtime import views as _views
from . import notes, spellings
from .anf import is_index_expr, named_view
from .inplace import HANDLERS, MASKED_FILL, VALUE_HANDLERS, reduction_where, ufunc_where
from .methods import _np, clip_bounds, no_rule
from .param_writes import may_write
from .resolve import MISSING

#: packages whose Python functions are not differentiated as the user's helpers (a function of
#: theirs without a rule is refused at the call, not at a line of their source)
_LIBRARIES = frozenset({"numpy", "scipy", "sklearn", "pandas", "statsmodels", "skimage", "jax", "jaxlib", "torch",
                        "autograd", "numba", "matplotlib", "networkx", "sympy", "xarray"})


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


#: numpy functions that are others under another name (as numpy defines them)
SAME_AS = {f: g for f, g in ((getattr(np, "asanyarray", None), np.asarray), (getattr(np, "around", None), np.round),
                             (getattr(np, "concat", None), np.concatenate),
                             *((getattr(np.linalg, n, None), getattr(np, n)) for n in ("matmul", "tensordot", "outer", "cross")))
          if f is not None and f is not g}


class CallRewrite:
    """Resolves calls and binds their arguments (mixed into ``normalize.Normalizer``)."""

    def resolve_call_target(self, call):
        f = call.func
        if isinstance(f, ast.Name):
            if self.res.is_local(f.id) and f.id in self.res.bound:
                return self.res.bound[f.id]   # (a parameter holding a function, never bound again)
            if self.res.is_local(f.id):
                self.err(call, f"calling the local variable `{f.id}` is not supported.",
                         "call a module-level function by its name, or pass the function as an argument "
                         "and do not bind its parameter again.")
            return self.res.lookup(f.id, f)
        if isinstance(f, ast.Attribute):
            return self.res.resolve_attr(f)
        self.err(call, "calling an expression is not supported.", "call a named function.")

    def make_call(self, func_obj, args, keywords, node):
        """A new call of ``func_obj`` (named as generated code names it), resolved."""
        call = ast.Call(func=self.func_expr(func_obj, node), args=args, keywords=keywords)
        notes.resolve_call(call, func_obj, lookup(func_obj))
        return call

    def func_expr(self, obj, node):
        """Source expression naming ``obj`` for generated code."""
        mod = getattr(obj, "__module__", None) or ""
        name = getattr(obj, "__name__", None)
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, np.ufunc):   # a ufunc's method: np.add.outer
            self._np_ok(node)
            return ast.parse(f"np.{owner.__name__}.{name}", mode="eval").body
        if mod.startswith("numpy") or type(obj).__name__ == "ufunc":
            self._np_ok(node)
            prefix = "np.linalg." if "linalg" in mod else "np."
            return ast.parse(prefix + name, mode="eval").body
        if is_runtime_helper(obj) and not name.startswith("_ad_"):
            return ast.Name("_ad_" + name, ast.Load())   # (as generated code names the helpers)
        return ast.Name(name, ast.Load())

    def _np_ok(self, node):
        try:
            obj = self.res.lookup("np", node)
        except UnsupportedSyntaxError:
            obj = None
        if obj is not None and obj is not np:
            self.err(node, "the name `np` is bound to something other than numpy.",
                     "import numpy as np in the function's module.")

    def hashable(self, e, target):
        """``target``, refused where it cannot be looked up in the tables (a ctypes function
        pointer: numba's ``cfunc.ctypes``)."""
        try:
            hash(target)
        except TypeError:
            self.err(e, f"`{ast.unparse(e.func)}` is a {type(target).__name__}, a callable without Python source "
                        "or a rule.", "call the Python function it was compiled from, or register a rule for a "
                                      "function that calls it (adcompiler.extend.defrule).")
        return target

    def call(self, e):
        f = e.func
        if isinstance(f, ast.Name) and f.id == "_ad_attempt" and notes.target(e) is not None:
            return e   # (a try's probe, noted when made: frontend/attempts.py)
        if isinstance(f, ast.Attribute) and self.res.resolve_attr(f) is MISSING:
            return self.method_call(e)
        target = self.hashable(e, self.resolve_call_target(e))
        if isinstance(f, ast.Attribute) and isinstance(getattr(target, "__self__", None), np.ndarray):
            return self.method_call(e)   # (a method of an array the module holds: `C.ravel()` as `np.ravel(C)`)
        kw = {k.arg: k.value for k in e.keywords}
        if None in kw:
            self.err(e, "`**kwargs` in a call is not supported.", "pass keywords explicitly.")
        e = self.out_by_position(e, target, kw)
        e, target = self.respelled(e, target, kw)
        if target is np.correlate and len(e.args) + len(kw) >= 2 and set(kw) <= {"a", "v", "mode"}:
            return self.correlation(e, kw)
        if target in (copy.copy, copy.deepcopy):
            if len(e.args) != 1 or kw:
                self.err(e, f"`{ast.unparse(f)}` with {'a memo or ' if target is copy.deepcopy else ''}more than "
                            "one argument is not supported.", "pass the value to copy only.")
            return self.copied(e, e.args[0], deep=target is copy.deepcopy)
        if target in HANDLERS and not (target in spellings.HANDLERS and lookup(target) is not None):
            e = self.by_keyword(e, target, kw)
            out = kw.pop(writes.OUT, None) if target in VALUE_HANDLERS else None
            seq = e.args[0] if e.args else kw.get("arrays")
            if out is not None and isinstance(seq, (ast.Tuple, ast.List)):   # (parts that are views of out)
                self.apart_from(e, seq.elts, self.single_out(out, e))
            value = HANDLERS[target](self, e, kw)
            return value if out is None else self.out_store(value, self.single_out(out, e), e)
        if isinstance(target, np.ufunc) and "where" in kw and lookup(target) is not None:
            return ufunc_where(self, e, target, kw)
        if "where" in kw and (target in MASKED_FILL or target in (np.var, np.std)):
            return reduction_where(self, e, target, kw)
        if "initial" in kw and target in spellings.INITIAL:
            return spellings.with_initial(self, e, target, kw)
        if target is np.linspace and ("retstep" in kw or len(e.args) > 4):
            return spellings.linspace_with_step(self, e, kw)
        rewritten = self.builtin_call(e, target, kw)
        if rewritten is not None:
            return rewritten
        if isinstance(target, types.FunctionType) and lookup(target) is None:
            if is_runtime_helper(target) and not from_source(target):
                self.err(e, f"`{ast.unparse(f)}` has no rule for differentiating generated code again.",
                         "second derivatives support the helpers listed in adcompiler/rules/runtime_rules.py.",
                         cls=NoRuleError)
            if (getattr(target, "__module__", None) or "").split(".")[0] in _LIBRARIES:
                self.err(e, f"`{ast.unparse(f)}` ({target.__module__}.{target.__name__}) has no derivative rule "
                            "(a library's own Python code is not differentiated).",
                         "register one with adcompiler.extend.defrule (or declare it non-differentiable with "
                         "adcompiler.extend.nondifferentiable), or rewrite the code with supported functions.",
                         cls=NoRuleError)
            return self.user_call(e, target, kw)   # a user function's own `out` parameter is an argument
        if target is np.ndarray and (len(e.args) > 2 or "buffer" in kw):   # (a view of the buffer, not new memory)
            self.err(e, "`np.ndarray` given a buffer is an array over its memory, not followed.", "use the buffer.")
        out = kw.pop(writes.OUT, None)
        if target is _views.disjoint_checked and all(isinstance(a, ast.Name) for a in e.args[:2]):
            # (generated code differentiated again: the pair its check makes apart stays apart)
            self.checked_apart = getattr(self, "checked_apart", set()) | {frozenset(a.id for a in e.args[:2])}
        return self.rule_call(e, target, kw, out)

    def respelled(self, e, target, kw):
        """The call and its target in one spelling of each function (``kw``, its keywords, updated):
        another name of a function (np.around is np.round's), np.array's copy=, np.where of one
        argument, np.clip's bounds by keyword."""
        if target in SAME_AS:
            target = SAME_AS[target]
            e = ast.copy_location(ast.Call(_np(target.__name__), list(e.args), list(e.keywords)), e)
        if target is np.array and isinstance(kw.get("copy"), ast.Constant) and len(e.args) <= 2:
            # copy=True is np.array's own; copy=False/None return the argument itself where they can: np.asarray
            copied = kw.pop("copy").value is True
            target = np.array if copied else np.asarray
            e = ast.copy_location(ast.Call(_np(target.__name__), list(e.args),
                                           [ast.keyword(k, v) for k, v in kw.items()]), e)
        if target is np.where and len(e.args) == 1 and not kw:
            # np.where(c) is np.nonzero(c): a tuple of index arrays, not the elementwise choice
            target = np.nonzero
            e = ast.copy_location(ast.Call(_np("nonzero"), list(e.args), []), e)
        if target is np.clip and e.args:   # (min=/max=, or one bound by keyword)
            bounds, keywords = clip_bounds(list(e.args[1:]), [ast.keyword(k, v) for k, v in kw.items()])
            kw.clear()
            kw.update({k.arg: k.value for k in keywords})
            e = ast.copy_location(ast.Call(e.func, [e.args[0]] + bounds, keywords), e)
        return e, target

    def rule_call(self, e, target, kw, out):
        """A call of ``target`` by its rule; ``out`` is its ``out=`` argument or None."""
        f = e.func
        rule = lookup(target)
        if rule is None and getattr(type(target), "pure_function_of_kernel", False):
            self.err(e, f"`{ast.unparse(f)}` is a differentiate'd kernel with several outputs, which code that "
                        "adcompiler differentiates cannot call.",
                     f"call the kernel itself with its output arrays ({getattr(target.mutating, '__name__', '')}"
                     "(y, z, ...)); a kernel with one output can be called as it is.", cls=NoRuleError)
        if rule is None and isinstance(getattr(target, "__self__", None), dict):
            self.err(e, f"`{ast.unparse(f)}()`: a dict's methods (.items(), .values(), .keys(), .get()) are not "
                        "differentiated.", "read its entries by constant keys (D['a']), or pass the values as "
                        "arguments (a tuple or an array).", cls=NoRuleError)
        if rule is None:
            self.err(e, *no_rule(f, target), cls=NoRuleError)
        if rule.kind in ("nondiff", "alloc") and out is None:
            # (an argument calling a helper, np.zeros(_half(n)), is computed first: a name)
            args = [self.atom(a) if self.calls_user(a) else a for a in e.args]
            kw = {k: self.atom(v) if self.calls_user(v) else v for k, v in kw.items()}
            for a in args + list(kw.values()):
                self.nondiff(a)
            call = ast.Call(func=f, args=[self.index_part(a) if is_index_expr(a, self.res) else self.simple_or_atom(a)
                                          for a in args],
                            keywords=[ast.keyword(k, self.simple_or_atom(v)) for k, v in kw.items()])
            notes.resolve_call(call, target, rule)
            return call
        if rule.kind == "split" and kw:
            e, kw = self.split_positional(e, target, kw), {}
        # the runtime helpers of generated code take integer-array indices as lists
        # (``_ad_store_adjoint(dx, [0, 1])``): a list stays a list, a tuple would index two axes
        runtime = is_runtime_helper(target)
        if not runtime:
            e, kw = self.sequences_as_arrays(e, rule, kw)
        args = [self.index_part(a) if runtime and isinstance(a, ast.List) else
                self.index_part(_slices(a)) if runtime and _has_slice_call(a, self.res) else self.arg_atom(a)
                for a in e.args]
        keywords = [ast.keyword(k, self.arg_atom(v)) for k, v in kw.items()]
        call = ast.Call(func=f, args=args, keywords=keywords)
        self.check_binding(e, rule, call)
        notes.resolve_call(call, target, rule)
        if out is not None:
            return self.out_store(call, self.single_out(out, e), e)
        return call

    def split_positional(self, e, target, kw):
        """A call of a split rule (a wrapped kernel) with keywords, as a positional one: its
        forward and reverse functions take positions (a keyword crashed the forward one)."""
        try:
            bound = inspect.signature(target).bind(*e.args, **kw)
        except (TypeError, ValueError) as exc:
            self.err(e, f"`{ast.unparse(e.func)}`: {exc}.", "pass the arguments its signature takes.")
        bound.apply_defaults()
        args = []
        for name, v in bound.arguments.items():
            if not isinstance(v, ast.AST):
                if not (v is None or isinstance(v, (bool, int, float, complex, str))):
                    self.err(e, f"`{ast.unparse(e.func)}`: the default of `{name}` is not a constant number.",
                             f"pass `{name}` at the call.")
                v = ast.Constant(v)
            args.append(v)
        return ast.copy_location(ast.Call(func=e.func, args=args, keywords=[]), e)

    def sequences_as_arrays(self, e, rule, kw):
        """``np.min([a, b, c])``, ``np.mean((u, v), axis=0)``: a list or tuple written
        out where the rule takes an array (a parameter with a derivative, not the
        operands of ``np.einsum``) is the array numpy makes of it, ``np.array([...])``
        (its derivative was taken for one per element, and raised)."""
        def arrayed(p, a):
            if isinstance(a, (ast.List, ast.Tuple)) and a.elts and p in rule.adjoint_asts and p != rule.varargs \
                    and p not in rule.tuples and not any(isinstance(x, ast.Starred) for x in a.elts):
                return ast.copy_location(ast.Call(func=self.func_expr(np.array, e), args=[a], keywords=[]), a)
            if p in rule.tuples and not isinstance(a, (ast.List, ast.Tuple)):
                # a tuple given by a name or a call (cho_solve(cho_factor(K), y)): its elements written out
                t = self.name_atom(a)
                return ast.copy_location(ast.Tuple([ast.Subscript(ast.Name(t.id, ast.Load()), ast.Constant(k),
                                                                  ast.Load()) for k in range(rule.tuples[p])],
                                                   ast.Load()), a)
            return a
        names = rule.param_names
        args = [arrayed(names[i], a) if i < len(names) else a for i, a in enumerate(e.args)]
        kw = {k: arrayed(k, v) for k, v in kw.items()}
        return ast.copy_location(ast.Call(func=e.func, args=args, keywords=e.keywords), e), kw

    def out_by_position(self, e, target, kw):
        """numpy's ``out`` passed by position (``np.sum(a, 0, None, s)``,
        ``np.dot(A, x, s)``): ``e`` with it, and the arguments after it, given
        by keyword in ``kw`` (``out`` is then a store, never an ignored argument)."""
        pos = writes.numpy_positional(target)
        if pos is None or writes.OUT not in pos or len(e.args) <= pos.index(writes.OUT) or len(e.args) > len(pos):
            # (more arguments than numpy takes: the rule's binding refuses them)
            if _is_none(kw.get(writes.OUT)):
                del kw[writes.OUT]   # (out=None: numpy's default)
            return e
        e = self.by_name(e, pos, pos.index(writes.OUT), kw)
        if _is_none(kw.get(writes.OUT)):
            del kw[writes.OUT]
        return e

    def by_keyword(self, e, target, kw):
        """``e`` with its arguments after the first given by keyword in ``kw``
        (numpy's names), for the rewrites of ``HANDLERS``, which read them by
        name (``np.array(x, int)``: the dtype was dropped)."""
        pos = writes.numpy_positional(target)
        if pos is None or len(e.args) <= 1:
            return e
        if len(e.args) > len(pos):
            self.err(e, f"`{ast.unparse(e.func)}` takes at most {len(pos)} arguments by position.", "check the call.")
        return self.by_name(e, pos, 1, kw)

    def by_name(self, e, pos, k, kw):
        """``e`` with its arguments from position ``k`` on moved into ``kw`` under
        their names in ``pos`` (numpy's positional parameters)."""
        for name, a in zip(pos[k:], e.args[k:]):
            if name in kw:
                self.err(e, f"`{name}` is given twice.", "pass it once.")
            kw[name] = a
        new = ast.Call(func=e.func, args=list(e.args[:k]), keywords=[ast.keyword(n, v) for n, v in kw.items()])
        return ast.copy_location(new, e)

    def check_binding(self, node, rule, call):
        """Refuse at the user's line a call whose arguments the rule does not take
        (``np.ravel(a, order="F")``: a keyword it would otherwise ignore)."""
        from ..rules.binding import bind
        try:
            bind(rule, call)
        except UnsupportedSyntaxError as exc:
            self.err(node, exc.reason, exc.hint or "check the call.")

    def call_resolved(self, call, target):
        """``call`` (built by a rewrite, its function already known to be
        ``target``) with its arguments brought to atoms."""
        kw = {k.arg: k.value for k in call.keywords}
        call = self.out_by_position(call, target, kw)
        out = kw.pop(writes.OUT, None)
        args = [self.arg_atom(a) for a in call.args]
        keywords = [ast.keyword(k, self.arg_atom(v)) for k, v in kw.items()]
        new = ast.Call(func=call.func, args=args, keywords=keywords)
        if lookup(target) is not None:
            self.check_binding(call, lookup(target), new)
        notes.resolve_call(new, target, lookup(target))
        if out is not None:
            return self.out_store(new, out, call)
        return new

    def user_call(self, e, target, kw):
        try:
            sig = inspect.signature(target)
            bound = sig.bind(*e.args, **kw)
        except TypeError as exc:
            self.err(e, f"the call does not match `{target.__name__}`'s parameters ({exc}).", "check the arguments.")
        args, sources = [], []
        # (evaluated in the order they are written, as Python evaluates them: a keyword argument
        # given before another may write what the other reads)
        atoms = {id(a): self.atom(a) for a in [*e.args, *kw.values()]}
        for p in sig.parameters.values():
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or \
                    p.kind == p.KEYWORD_ONLY and any(q.kind == q.VAR_POSITIONAL for q in sig.parameters.values()):
                rule = getattr(target, "_ad_rule", None)
                if rule is not None:   # (the forward half of a split rule, in code differentiated again)
                    self.err(e, f"`{rule.name}` is differentiated by a forward and a reverse function (defsplit, or "
                                "a differentiate'd kernel), which cannot be differentiated again.",
                             "for second derivatives call the kernel itself (with its output array) instead of "
                             "its differentiate'd wrapper, or give the function a defrule with tangents.")
                self.err(e, f"`{target.__name__}` has *args or **kwargs.", "use positional parameters.")
            sources.append(bound.arguments.get(p.name))
            if p.name in bound.arguments:
                args.append(atoms[id(bound.arguments[p.name])])
            elif isinstance(p.default, (int, float, bool, str)) or p.default is None:
                args.append(ast.Constant(p.default))   # (a string: a mode, window='hanning')
            else:
                self.err(e, f"the default value of `{p.name}` in `{target.__name__}` is not a number or a string.",
                         "pass the argument explicitly.")
        func = e.func if not isinstance(e.func, ast.Name) else ast.Name(e.func.id, ast.Load())
        call = ast.Call(func=func, args=args, keywords=[])
        notes.resolve_call(call, target, None)
        ast.copy_location(call, e)
        self.views_checked_apart(e, call, sources)
        return call

    def views_checked_apart(self, e, call, sources):
        """Two arguments indexing one array (``step(traj[i - 1], traj[i])``), or two
        buffers the function swaps (``step(a, b); a, b = b, a``): checked at run time
        to share no memory (``_ad_disjoint_checked``), which lets the transform
        differentiate a helper writing one of them with the two apart."""
        pairs = set()
        swapped = self.swapped_names()
        target = notes.target(call)
        for i, a in enumerate(sources):
            for j in range(i + 1, len(sources)):
                b = sources[j]
                names = [x.id for x in (call.args[i], call.args[j]) if isinstance(x, ast.Name)]
                if len(names) == 2 and frozenset(names) in getattr(self, "checked_apart", ()):
                    pairs.add((i, j))   # (checked already, by the code being differentiated again)
                    continue
                if not (may_write(target, i) or may_write(target, j)):
                    continue   # (both only read: nothing to check; the transform's check of writes stands)
                rows = isinstance(a, ast.Subscript) and isinstance(b, ast.Subscript) and \
                    named_view(a.value) is not None and named_view(a.value) == named_view(b.value)
                buffers = isinstance(a, ast.Name) and isinstance(b, ast.Name) and a.id != b.id and \
                    swapped.get(a.id) is not None and swapped.get(a.id) == swapped.get(b.id)
                if (rows or buffers) and len(names) == 2:
                    where = ast.Tuple([ast.Constant(self.pf.filename), ast.Constant(e.lineno),
                                       ast.Constant(self.pf.line_text(e.lineno).strip())], ast.Load())
                    check = self.make_call(_views.disjoint_checked, [ast.Name(call.args[i].id, ast.Load()),
                                                                    ast.Name(call.args[j].id, ast.Load()), where], [], e)
                    self.emit(ast.Expr(ast.copy_location(check, e)))
                    pairs.add((i, j))
        if pairs:
            notes.mark_apart(call, pairs)

    def swapped_names(self) -> dict:
        """The names the function swaps (``a, b = b, a``: double buffers), each to
        the group it is swapped in."""
        found = getattr(self, "_swapped", None)
        if found is None:
            found = self._swapped = {}
            for n in ast.walk(self.pf.tree):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Tuple) \
                        and isinstance(n.value, ast.Tuple) and all(isinstance(x, ast.Name)
                                                                   for x in n.targets[0].elts + n.value.elts):
                    group = frozenset(x.id for x in n.targets[0].elts)
                    if group == frozenset(x.id for x in n.value.elts) and len(group) > 1:
                        # (parameters the body rebinds are read as their locals: ``a_1 = a``)
                        renamed = getattr(self, "params_renamed", {})
                        group = group | {renamed[x] for x in group if x in renamed}
                        for name in group:
                            found[name] = group
        return found


def _is_slice_call(e, res) -> bool:
    return isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "slice" and \
        not res.is_local("slice") and not e.keywords and len(e.args) == 3


def _has_slice_call(a, res) -> bool:
    """An index tuple generated code passes to a runtime helper (``_ad_add_at(dx,
    (i, slice(None, None, None)), g)``: a slice prints as a call outside a subscript)."""
    return isinstance(a, ast.Tuple) and any(_is_slice_call(x, res) for x in a.elts) and \
        all(_is_slice_call(x, res) or is_index_expr(x, res) or
            isinstance(x, ast.List) and all(is_index_expr(y, res) for y in x.elts) for x in a.elts)


def _slices(a):
    return ast.Tuple([ast.Slice(*[None if isinstance(p, ast.Constant) and p.value is None else p for p in x.args])
                      if isinstance(x, ast.Call) else x for x in a.elts], ast.Load())
