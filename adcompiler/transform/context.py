"""The facts about one function that the reverse transformation consults."""
from __future__ import annotations

import ast
import copy

import numpy as np

from ..analysis.kinds import length
from ..analysis.order import heads
from ..codegen.naming import TEMP, is_generated
from ..errors import UnsupportedSyntaxError
from ..frontend import notes
from .builder import N, call_arguments
from .forms import classify

#: view rules whose result is a copy for some layouts or dtypes (checked at run time where the
#: transform relies on the view, ``Context.view_checked``)
MAYBE_COPY = (np.reshape, np.ravel, np.asarray, np.ascontiguousarray, np.asfortranarray)


def _has_complex(k) -> bool:
    if k is None:
        return False
    if k.cls == "tuple":
        return any(_has_complex(e) for e in k.elts or ())
    return k.dtype == "c"


def _scales_by_values(term, g) -> bool:
    """Whether the adjoint term ``term`` multiplies or divides ``g`` by something other than numbers
    (a selection's ``np.where(c, g, 0.5 * g)`` does not: its term is never 0 * inf)."""
    key = ast.dump(g)

    def valued(e):
        return any(isinstance(n, (ast.Name, ast.Call, ast.Attribute, ast.Subscript)) and ast.dump(n) != key
                   and not (isinstance(n, ast.Name) and n.id == "np") for n in ast.walk(e)
                   if not isinstance(n, ast.Compare))
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Mult, ast.Div, ast.Pow, ast.MatMult))
               and (valued(n.left) or valued(n.right)) for n in ast.walk(term))


class FunctionContext:
    """What the transformation of one function consults: its analyses, the
    activity of its arguments and return, its names, and the module it is
    part of (``module``: callees, comments, options)."""

    def __init__(self, an, activities, ret_active, active, module):
        self.an = an
        self.pf = an.pf
        self.kinds = an.kinds
        self.eff = an.eff
        self.namer = copy.deepcopy(an.namer)
        self.params = an.params
        self.activities = dict(zip(an.params, activities))
        self.ret_active = ret_active
        self.active_cells = active
        self.module = module
        self.has_return = an.has_return
        self._callees: dict = {}
        self._primal = None
        self._uses = None
        self._nonfinite = None
        self._saturated = None
        self._bounds = None
        self._written_inf = None
        self._where = None
        self._roots = None
        self.alias: dict = {}
        self.is_callee = False
        #: complex values occur: rules are checked for them and holomorphic adjoints conjugated
        self.complex = any(_has_complex(k) for k in self.kinds.values())
        # values popped from a stack another function pushed (a helper's reverse half,
        # differentiated again for second order) are guessed real but may be complex
        self.popped = any(k is not None and k.weak for k in self.kinds.values())

    def tuple_size(self, n):
        """The length of the tuple bound to ``n``, where its kind knows it."""
        return length(self.kinds.get(n))

    def unread_risks(self, target, saturated=False) -> set | None:
        """The names whose values may be infinite or nan with finite arguments
        (``analysis.finite``), and ``__ANS__`` when the result ``target`` may be."""
        if self._nonfinite is None:
            from ..analysis.finite import may_be_nonfinite
            self._nonfinite = may_be_nonfinite(self.an.body, dict(getattr(self.eff, "memory_of", {}) or {}),
                                               self.kinds, frozenset(self.params) if self.is_callee else frozenset(),
                                               self.params)
        if saturated and target in self.saturated():
            return None   # (any name it reads: an argument's element may be infinite)
        return self._nonfinite | ({"__ANS__"} if target in self._nonfinite else set())

    def written_infinite(self) -> set:
        """The names that may hold an infinite or nan number the code writes (``np.inf``), or an
        array with one (``analysis.finite.may_be_nonfinite``, ``written``)."""
        if self._written_inf is None:
            from ..analysis.finite import may_be_nonfinite
            self._written_inf = may_be_nonfinite(self.an.body, dict(getattr(self.eff, "memory_of", {}) or {}),
                                                 self.kinds, params=self.params, written=True)
        return self._written_inf

    def complex_linear(self, rule, p) -> bool:
        """Whether the adjoint of ``rule``'s parameter ``p`` is linear in the adjoint over the complex
        numbers (a real function, or a holomorphic one): a term may then be zeroed where it is 0."""
        return not (self.complex and rule.complex_mode(p) != "holomorphic")

    def zeros_unread_terms(self, target, kind, rule, bound) -> bool:
        """Whether the terms of the array result ``target`` (of ``kind``) of an elementwise ``rule`` are
        0 where their adjoint is 0 (an element no path reads): where it or an operand (``bound``) may
        hold an infinite number the code writes (``R / -gamma`` at ``R = inf``), and where it is read
        only as a branch of ``np.where`` (``analysis.finite.where_branches``: the branch not taken may
        overflow, ``np.exp(z)`` of a stable sigmoid; a helper's result is taken for one), and where the code writes into it later (the
        elements it overwrites read nothing: ``y = np.exp(-z); y[z < -700] = 0.0``)."""
        if kind is None or kind.cls not in ("array", "num") or rule.kind != "elementwise":
            return False
        if self._where is None:
            from ..analysis.finite import where_branches
            self._where = where_branches(self.an.body, {self.namer.ret} if self.is_callee else ())
        names = self.written_infinite()
        if target is not None and self.eff.cell(target) in self.eff.written or self.feeds_root(target):
            return True
        return target in self._where or target in names or any(
            isinstance(n, ast.Name) and n.id in names for v in bound.values() if isinstance(v, ast.AST)
            for n in ast.walk(v))

    def feeds_root(self, target) -> bool:
        """Whether ``target``'s adjoint may be infinite where the function is smooth, its terms then 0
        where their partial is (``analysis.finite.root_arguments``: ``sqrt(d * d)`` at ``d = 0``)."""
        k = self.kinds.get(target)
        if k is not None and k.dtype == "c":   # (real roots only: a complex number's root at 0 is left as it was)
            return False
        if self._roots is None:
            from ..analysis.finite import root_arguments
            self._roots = root_arguments(self.an.body, self.bounds())
        return target in self._roots

    def root_term(self, target, term, g):
        """``term`` of a rule that is not elementwise (``np.dot(d, d)``), where ``target`` feeds a root,
        as ``_ad_unread_term(term, g, finite, signs)``: where it is nan under an infinite ``g`` (inf * 0),
        the term of g's finite part (``finite``) where the term of its infinite part's signs
        (``signs``) is 0, else an infinity of that sign."""
        if not self.feeds_root(target):
            return term
        return ast.Call(ast.Name("_ad_unread_term", ast.Load()), [term, copy.deepcopy(g), *self.root_parts(term, g)], [])

    @staticmethod
    def root_parts(term, g) -> list:
        """``term`` with ``g`` read as its finite part (``_ad_finite_part(g)``), and as the signs of its
        infinite part (``_ad_infinite_signs(g)``): the arguments of ``_ad_unread_term`` after ``g``."""
        key = ast.dump(g)

        class Part(ast.NodeTransformer):
            def __init__(self, helper):
                self.helper = helper

            def visit(self, node):
                if ast.dump(node) == key:
                    return ast.Call(ast.Name(self.helper, ast.Load()), [copy.deepcopy(g)], [])
                return self.generic_visit(node)
        return [Part(h).visit(copy.deepcopy(term)) for h in ("_ad_finite_part", "_ad_infinite_signs")]

    def guarded_term(self, target, kind, rule, linear, term, g):
        """``term`` of a rule that is not elementwise: ``root_term``'s. Of the array result ``target``
        (of ``kind``) of an elementwise ``rule`` (``linear``: in ``g``, over the complex numbers), as
        ``_ad_overflow_term(g, term)`` where its partial may be infinite with finite arguments
        (``np.exp(-x)`` of ``1 / (1 + np.exp(-x))`` at x = -800): 0 where ``g`` is 0 and the term
        nan (0 * inf), as a number's term is 0 where its adjoint is (``simplify.zero_where_unread``)."""
        if rule.kind != "elementwise":
            return self.root_term(target, term, g)
        if not linear or self.module.options.second_order or not self.may_overflow(target, kind, term, g):
            return term
        return ast.Call(ast.Name("_ad_overflow_term", ast.Load()), [copy.deepcopy(g), term], [])

    def may_overflow(self, target, kind, term, g) -> bool:
        """Whether ``term`` (``g`` times a partial) of the array result ``target`` (of ``kind``) of an
        elementwise rule may be 0 * inf where ``g`` is 0: its partial may be infinite with finite
        arguments (``analysis.finite.reads_values``, as a number's guard asks)."""
        from ..analysis.finite import reads_values
        from .builder import ANS
        return kind is not None and kind.cls in ("array", "num") and _scales_by_values(term, g) and \
            reads_values(term, g, *self.unread_guard(target, ANS))

    def bounds(self) -> dict:
        """The float names kept away from 0 where the arguments are finite (``analysis.finite.lower_bounds``)."""
        if self._bounds is None:
            from ..analysis.finite import lower_bounds
            self._bounds = lower_bounds(self.an.body, self.kinds, self.params)
        return self._bounds

    def unread_guard(self, target, result, saturated=True) -> tuple:
        """``unread_risks(target, saturated)`` and, where those are known, the float names kept
        away from 0 where the arguments are finite (``analysis.finite.lower_bounds``), with ``result``
        (a template's name for the target's value) bounded as ``target``."""
        risks = self.unread_risks(target, saturated=saturated)
        if risks is None:   # (an argument's element may be infinite: no bound holds)
            return None, None
        self.bounds()
        if target in self._bounds:
            return risks, dict(self._bounds, **{result: self._bounds[target]})
        return risks, self._bounds

    def saturated(self) -> set:
        """The names passed to a function flat far out or divided by (``analysis.finite.saturated_inputs``):
        their statements' terms are zeroed where the adjoint is 0 whatever they read (an argument's
        elements may be infinite: a -inf mask read through exp)."""
        if self._saturated is None:
            from ..analysis.finite import saturated_inputs
            self._saturated = saturated_inputs(self.an.body)
        return self._saturated

    # -- classification ---------------------------------------------------------
    @property
    def batch_count(self) -> str:
        """In vector mode, the name of the number of directions (``_k``; another where the function
        binds ``_k`` itself: a loop ``for _k in range(2)`` rebound it)."""
        if getattr(self, "_batch_count", None) is None:
            self._batch_count = self.namer.reserve("_k")
        return self._batch_count

    def is_active(self, name) -> bool:
        k = self.kinds.get(name)
        if k is None or not k.is_float:
            return False
        if name in self.params and self.activities[name] == "Const":
            return False
        return self.eff.cell(name) in self.active_cells

    def is_memory(self, name) -> bool:
        return name in self.eff.memory_names

    def is_temp(self, name) -> bool:
        return self.namer.made(name, TEMP)

    def needs_shadow(self, name) -> bool:
        """Whether the forward sweep binds a shadow for ``name``."""
        return self.is_memory(name) and self.is_active(name)

    def param_shadows(self) -> set:
        return {self.namer.adjoint(p) for p in self.params if self.activities[p] == "Duplicated"}

    def primal_names(self) -> set:
        if self._primal is None:
            names = set(self.kinds) | set(self.params)
            names |= {self.namer.adjoint(n) for n in self.kinds if self.needs_shadow(n)}
            names |= self.param_shadows()
            self._primal = names
        return self._primal

    def may_alias_memory(self, name) -> bool:
        k = self.kinds.get(name)
        if k is None or not (k.cls in ("array", "num") or self.eff.holds_arrays(name)):
            return False
        return bool(self.eff.writers_of_memory(name))

    def param_memory(self) -> set:
        return {self.eff.memory_of.get(p, p) for p in self.params
                if self.kinds.get(p) is not None and self.kinds[p].cls in ("array", "num")}

    def is_view_of_param(self, name) -> bool:
        k = self.kinds.get(name)
        return k is not None and k.cls in ("array", "num") and self.eff.memory_of.get(name, name) in self.param_memory()

    def index_is_basic(self, idx):
        return self.an.index_is_basic(idx)

    def is_alias_binding(self, s) -> bool:
        if not (isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)):
            return False
        n = s.targets[0].id
        if not self.is_memory(n):
            return False
        base = self.eff.view_base(s.value)
        if base is None or not self.eff.maybe_array(base) or not self.eff.maybe_array(n):
            return False
        if self.eff.cell(n) != self.eff.cell(base):
            return False   # a view of memory nobody writes: read as a value
        if isinstance(s.value, ast.Subscript) and self.index_is_basic(s.value.slice) is None:
            raise UnsupportedSyntaxError(
                f"cannot tell whether `{ast.unparse(s.value)}` is a view or a copy.",
                filename=self.pf.filename, lineno=s.lineno, construct=self.pf.line_text(s.lineno),
                hint="index with integers and slices, or bind a copy with .copy().")
        return True

    def is_alias_binding_call(self, call, n) -> bool:
        """Whether ``n = call`` binds (a view of) the memory of one of the call's arguments,
        as ``is_alias_binding`` takes it (a view of memory nobody writes is read as a value:
        its shadow is its own, and the adjoint goes back through the call's return)."""
        base = self.eff.view_base(call)
        return self.is_memory(n) and base is not None and (
            not self.eff.maybe_array(base) or self.eff.cell(n) == self.eff.cell(base))

    def single_use(self, name) -> bool:
        if self._uses is None:
            self._uses = {}
            for w in self.eff.stmts:
                for part in heads(w):
                    for node in ast.walk(part):
                        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                            self._uses[node.id] = self._uses.get(node.id, 0) + 1
        return self._uses.get(name, 0) == 1

    def adjoint_of(self, name) -> str:
        """The adjoint name of ``name``, following temporaries that share one."""
        while name in self.alias:
            name = self.alias[name]
        return self.namer.adjoint(name)

    def region_is_scalar(self, m, idx) -> bool:
        k = self.an.inference.expr(ast.Subscript(N(m), idx, ast.Load()))
        return k.cls in ("float", "int", "bool")

    def group_reads_cell(self, s, m) -> bool:
        """Whether another statement of ``s``'s source line reads memory of ``m``'s cell."""
        cell = self.eff.cell(m)
        for w in self.eff.stmts:
            if w is s or w.lineno != s.lineno or isinstance(w, (ast.For, ast.While, ast.If)):
                continue   # (compound statements: their parts are visited on their own)
            for node in ast.walk(w):
                if notes.is_user_call(node):
                    return True
                if isinstance(node, ast.Name) and self.eff.maybe_array(node.id) and self.eff.cell(node.id) == cell:
                    return True
        return False

    def bound_on_line(self, s) -> set:
        """Names other statements of ``s``'s source line bind (``a, y[a:a + 2] = ...``,
        ``i += 1; y[i:i + 2] = ...``): the line's reverse code may pop them back."""
        return {n.id for w in self.eff.stmts if w is not s and w.lineno == s.lineno
                and not isinstance(w, (ast.For, ast.While, ast.If))
                for n in ast.walk(w) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}

    # -- code pieces ------------------------------------------------------------------
    def comment(self, lineno):
        return self.module.comment(self.pf, lineno)

    def copy_expr(self, name):
        return ast.Call(N("_ad_copy"), [N(name)], [])

    def shadow_binding(self, s):
        n = s.targets[0].id
        dn = self.namer.adjoint(n)
        if self.is_alias_binding(s):
            v = copy.deepcopy(s.value)
            base = self.eff.view_base(s.value)
            db = N(self.namer.adjoint(base))
            if isinstance(v, ast.Name):
                v = db
            elif isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and \
                    getattr(self.kinds.get(v.value.id), "cls", None) == "tuple":
                v = db   # an element of a tuple: that array itself (``base``), not a subscript of it
            elif isinstance(v, ast.Subscript):
                v.value = db
            elif notes.is_user_call(v) and self.module.options.second_order:
                # a user function returned (a view of) ``base``: the same view of its
                # shadow, by a view rule forward mode follows
                v = ast.Call(N("_ad_alias_view"), [db, N(base), N(n)], [])
            elif notes.is_user_call(v):
                # a user function returned (a view of) ``base``: the same view of its shadow
                roots = ast.Call(N("_ad_roots"), [ast.Tuple([N(base)], ast.Load()), ast.Tuple([db], ast.Load())], [])
                ref = ast.Call(N("_ad_shadow_ref"), [ast.Constant(0), N(n)], [])
                v = ast.Call(N("_ad_rebase"), [ref, roots], [])
            elif notes.target(v) is np.diagonal:
                # numpy's diagonal is a read-only view: the same view of the shadow, writable
                v = ast.Call(N("_ad_alias_view"), [db, N(base), N(n)], [])
            else:
                v.args[0] = db
            return ast.Assign(targets=[N(dn, ast.Store)], value=self.view_checked(s, v, n, base))
        return ast.Assign(targets=[N(dn, ast.Store)], value=ast.Call(N("_ad_shadow_like"), [N(n)], []))

    def view_checked(self, s, shadow, n, base):
        """``shadow``, checked at run time to stand for a view where ``s`` binds
        ``n`` by a call that may return a copy of ``base`` (``MAYBE_COPY``)."""
        if not (isinstance(s.value, ast.Call) and notes.target(s.value) in MAYBE_COPY):
            return shadow
        where = ast.Tuple([ast.Constant(self.pf.filename), ast.Constant(s.lineno),
                           ast.Constant(self.pf.line_text(s.lineno))], ast.Load())
        return ast.Call(N("_ad_view_checked"), [shadow, N(n), N(base), where], [])

    def shadow_ref_binding(self, s):
        """In a forward half, what stands for the shadow ``shadow_binding``
        binds: its root and the primal view (``_ad_shadow_ref``)."""
        n = s.targets[0].id
        if self.is_alias_binding(s):
            base = self.eff.view_base(s.value)
            root = ast.Subscript(N(self.namer.adjoint(base)), ast.Constant(0), ast.Load())
            view = self.view_checked(s, N(n), n, base)
        else:
            root, view = ast.Constant(None), N(n)
        return ast.Assign(targets=[N(self.namer.adjoint(n), ast.Store)],
                          value=ast.Call(N("_ad_shadow_ref"), [root, view], []))

    def forward_stmt(self, s):
        """``s`` in the forward sweep: a split call calls its forward function
        and a user call its forward half, both pushing onto the tape."""
        form = classify(s)
        s2 = copy.deepcopy(s)
        if form.kind == "split_call":
            fwd_name, _ = self.module.split_names(form.rule)
            s2.value.func = N(fwd_name)
            s2.value.args = s2.value.args + [N(self.namer.tape)]
        elif form.kind == "user_call":
            info = self.callee(s.value, form.name)
            args = call_arguments(s2.value, info.activities, info.shadow_names.__getitem__)
            s2.value = ast.Call(N(info.fwd_name), args + [N(self.namer.tape)], [])
            if self._result_written_fresh(s.value, form.name):
                # the callee's tape may hold the array it returns: the caller writes its own copy
                s2.value = ast.Call(N("_ad_copy"), [s2.value], [])
        return s2

    def _result_written_fresh(self, call, n) -> bool:
        """Whether the array a user call returns (new memory, no argument's) is
        written by this function after the call (``r = cell(c); r *= 2``)."""
        if not self.result_written(n):
            return False
        return self.module.passes.analyse(notes.target(call), tuple(self.module.call_kinds(self, call))).ret_alias() \
            is None

    def result_written(self, n) -> bool:
        """Whether this function writes the result ``n`` of a user call, or an array of it (a tuple)."""
        if n is None or is_generated(self.pf.filename):
            return False
        k = self.kinds.get(n)
        if k is not None and k.cls == "tuple":   # (its arrays: the names bound to its elements)
            names, grew = {n}, True
            while grew:   # (and to the elements of the names it is bound to: r = _t1; c = r[0])
                more = {s.targets[0].id for s in self.eff.stmts if isinstance(s, ast.Assign)
                        and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name)
                        and s.value.id in names}
                grew, names = not more <= names, names | more
            parts = {s.targets[0].id for s in self.eff.stmts if isinstance(s, ast.Assign)
                     and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Subscript)
                     and isinstance(s.value.value, ast.Name) and s.value.value.id in names}
            return any(self.eff.maybe_array(m) and self.eff.cell(m) in self.eff.written for m in parts)
        return self.eff.maybe_array(n) and self.eff.cell(n) in self.eff.written

    def refuse_written_container_result(self, call, n, callee) -> None:
        """Refuse writes through what a user call returns when that is the list or tuple it was given,
        or an array it holds (the container is passed without shadows: the writes' derivatives, and
        in reverse mode, which copies a written result, the writes themselves, were lost)."""
        if callee.ret_alias() is None and (p := callee.ret_container_param()) is not None and self.result_written(n):
            raise UnsupportedSyntaxError(
                f"`{ast.unparse(call.func)}` returns the list or tuple `{p}` it is given, or an array it holds, and "
                "this function writes through the result (the writes would not reach the arrays the container "
                "holds).", filename=self.pf.filename, lineno=call.lineno, construct=self.pf.line_text(call.lineno),
                hint="write the arrays through their own names, or return a copy from the function.")

    def returns_memory(self) -> bool:
        """Whether the return value is memory (a local array filled in place):
        its adjoint is the shadow of that memory."""
        return self.ret_active and self.needs_shadow(self.namer.ret)

    def adjoint_inits(self) -> list:
        out = []
        if self.returns_memory():
            # an explicit store into the shadow (the name is a view of the returned memory's shadow)
            region = ast.Subscript(N(self.namer.adjoint(self.namer.ret)), ast.Constant(Ellipsis), ast.Store())
            out.append(ast.AugAssign(target=region, op=ast.Add(), value=N(self.namer.dret)))
        for n in sorted(self.kinds):
            if not self.is_active(n) or self.is_memory(n) or self.is_temp(n):
                continue
            dn = self.namer.adjoint(n)
            value = N(self.namer.dret) if (n == self.namer.ret and self.ret_active) else ast.Constant(0.0)
            if self.kinds[n].cls == "list":
                value = ast.List([], ast.Load())   # a stack's adjoint: a stack
            out.append(ast.Assign(targets=[N(dn, ast.Store)], value=value))
        return out

    def callee(self, call, n):
        key = id(call)
        if key not in self._callees:
            self._callees[key] = self.module.callee(self, call, n)
        return self._callees[key]
