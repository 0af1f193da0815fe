"""builder: what the reverse, forward and vector-mode builders share.

``FormBuilder.stmt`` classifies a statement once (``forms.classify``) and
calls the builder's handler of that form, ``on_<kind>``; the value of a
binding is dispatched the same way (``<prefix><value form>``).
``apply_rule`` walks a rule's parameters once for every mode: the mode
says in which order (``rule_params``), what a parameter contributes
(``rule_term``, ``sequence_term``) and how the contributions combine
(``rule_result``). ``call_arguments`` is the argument list of every
differentiated user call: each argument, followed by its shadow when it is
Duplicated.

Templates refer to the adjoint of the result as ``__G__`` (``G``) and to the
result as ``__ANS__`` (``ANS``) until the code is placed.
"""
from __future__ import annotations

import ast
import copy

import numpy as np

from ..analysis.effects import value_names
from ..analysis.finite import kept_from_zero
from ..analysis.order import heads
from ..codegen.naming import is_generated
from ..errors import NoDerivativeError, UnsupportedSyntaxError
from ..frontend import notes
from ..frontend.lists import number_lists
from ..rules import is_runtime_helper, lookup
from .forms import classify, value_form

G, ANS = "__G__", "__ANS__"
BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
          ast.Pow: np.power, ast.MatMult: np.matmul, ast.Mod: np.remainder, ast.FloorDiv: np.floor_divide}


def N(name, ctx=ast.Load):
    return ast.Name(name, ctx())


def known_complex(kind) -> bool:
    return kind is not None and kind.dtype == "c"


def _plain_number(node) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


class _Substitute(ast.NodeTransformer):
    """Replaces the names of ``mapping``; a template's ``a if c else b`` whose
    condition is then a constant keeps only the branch taken."""

    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            return copy.deepcopy(self.mapping[node.id])
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        test = node.test
        negate = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        if negate:
            test = test.operand
        if isinstance(test, ast.Constant) and isinstance(test.value, (bool, type(None))):
            return node.body if bool(test.value) != negate else node.orelse
        return node

    def visit_Compare(self, node):
        # ``2 != 0`` of a constant put into ``x2 - (x2 != 0)``: the exponent of a power's derivative
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)) \
                and all(_plain_number(x) for x in (node.left, node.comparators[0])):
            same = node.left.value == node.comparators[0].value
            return ast.Constant(same if isinstance(node.ops[0], ast.Eq) else not same)
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)) \
                and all(isinstance(x, ast.Constant) for x in (node.left, node.comparators[0])):   # (b is None)
            same = node.left.value is node.comparators[0].value
            return ast.Constant(same if isinstance(node.ops[0], ast.Is) else not same)
        return node

    def visit_BoolOp(self, node):
        # (``prepend is None and append is None`` of two constants: one constant)
        self.generic_visit(node)
        if all(isinstance(v, ast.Constant) and isinstance(v.value, (bool, type(None))) for v in node.values):
            stop = not isinstance(node.op, ast.And)   # (Python's: the first value that decides, else the last)
            return next((v for v in node.values if bool(v.value) == stop), node.values[-1])
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.Add, ast.Sub)) and _plain_number(node.left) \
                and isinstance(node.right, ast.Constant) and type(node.right.value) is bool:
            v = node.right.value
            return ast.Constant(node.left.value + v if isinstance(node.op, ast.Add) else node.left.value - v)
        return node


def subst(tree, mapping):
    """Copy of ``tree`` with Name ids replaced by expressions from ``mapping``."""
    tree = copy.deepcopy(tree)
    if isinstance(tree, ast.Name) and tree.id in mapping:
        return copy.deepcopy(mapping[tree.id])
    return _Substitute(mapping).visit(tree)


def call_arguments(call: ast.Call, activities, shadow) -> list:
    """The arguments of the differentiated version of a user call: each
    argument, followed by ``shadow(name)`` when its activity is Duplicated."""
    args = []
    for a, act in zip(call.args, activities):
        args.append(copy.deepcopy(a))
        if act == "Duplicated":
            args.append(N(shadow(a.id)))
    return args


def _operands(bound) -> list:
    """The names and constants a rule's call is given (elements of sequences included)."""
    out = []
    for a in bound.values():
        if isinstance(a, (ast.Tuple, ast.List)):
            out += a.elts
        elif isinstance(a, (ast.Name, ast.Constant)):
            out.append(a)
    return out


class FormBuilder:
    """The base of the builders: one handler per statement form (``on_<kind>``)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.number_lists = number_lists(ctx.an.body)
        self.none_lists = number_lists(ctx.an.body, of=lambda elts: any(
            isinstance(e, ast.Constant) and e.value is None for e in elts))
        if ctx.complex:
            self.refuse_complex_constants()

    def refuse_complex_constants(self) -> None:
        """A call constant by declaration for real values only (``np.sign``) given a
        complex value that carries a derivative: refused, not taken as constant."""
        from ..analysis.order import walk_stmts
        for s in walk_stmts(self.ctx.an.body):
            for c in (c for h in heads(s) for c in ast.walk(h) if isinstance(c, ast.Call)):
                rule = notes.rule(c)
                if rule is not None and rule.complex_varies and any(   # (a name, or the array of ``z[i]``)
                        isinstance(n, ast.Name) and self.varied(n.id) and self.maybe_complex(n)
                        for a in c.args for n in ast.walk(a)):
                    self.err(s, f"{rule.name} of a complex value is {rule.name}(z) = z / |z|, which is not "
                                "constant; it is differentiated for real values only.",
                             "write z / np.abs(z) (np.where(z == 0, 0, z / np.abs(z)) where z may be 0), or take "
                             f"{rule.name} of a real value.")

    def stmt(self, s):
        self.refuse_number_list_use(s)
        form = classify(s)
        return getattr(self, "on_" + form.kind)(form)

    def value_handler(self, prefix: str, v):
        """The handler of the value ``v`` of a binding: ``<prefix><value form>``."""
        return getattr(self, prefix + value_form(v))

    def active(self, name) -> bool:
        return isinstance(name, str) and self.ctx.is_active(name)

    def refuse_list_display(self, s, v) -> None:
        """``n = [a, b]`` with elements that carry derivatives: refused (a list
        is differentiated only as a stack: built by ``append``, read by ``pop``)."""
        if isinstance(v, (ast.List, ast.Set)) and any(isinstance(x, ast.Name) and self.active(x.id)
                                                      for x in ast.walk(v)):
            self.err(s, "a list written out with values that carry derivatives is not differentiated.",
                     "start from an empty list and append to it (a stack read with pop), or build a tuple "
                     "or an array (np.array([...])).")
        t = s.targets[0].id if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) else None
        if isinstance(v, ast.List) and v.elts and self.active(t) and any(
                isinstance(c, ast.Call) and notes.rule_kind(c) == "stack" and isinstance(c.func, ast.Attribute)
                and isinstance(c.func.value, ast.Name) and c.func.value.id == t
                for st in self.ctx.an.body for c in ast.walk(st)):
            # (``c = [0.5]; c.append(x[0] * 3.0)``: a list of numbers is taken as their array)
            self.err(s, "a list written out with values, then used as a stack (append, pop) of values that "
                        "carry derivatives, is not differentiated.",
                     "start from an empty list and append every value, or build an array.")

    def floaty(self, name) -> bool:
        """Whether ``name`` may hold a float (its kind unknown, or one that carries derivatives)."""
        k = self.ctx.kinds.get(name)
        return k is None or k.is_float

    def varied(self, name) -> bool:
        """Whether ``name`` depends on an argument that carries a derivative."""
        if getattr(self, "_varied", None) is None:
            from ..analysis.activity import varied_cells
            ctx = self.ctx
            self._varied = varied_cells(ctx.eff, ctx.params, [ctx.activities[p] for p in ctx.params])
        return self.ctx.eff.cell(name) in self._varied

    def refuse_number_list_use(self, s) -> None:
        """A list written out or repeated (``[0.0] * n``, ``[None] * 2``: taken for an array of
        numbers, whose shadow is an array of numbers) given an array as an item (``L[0] = x * 2.0``),
        or used as a stack (append, pop) where it or the values pushed carry derivatives: refused
        (the item's derivative was summed into a number, or lost)."""
        t = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else \
            s.target if isinstance(s, ast.AugAssign) else None
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in self.number_lists \
                and not isinstance(t.slice, ast.Slice) and isinstance(s.value, ast.Name):
            k = self.ctx.kinds.get(s.value.id)   # (an array known to be one, or in the user's code one that may
            # be, a helper's result of an argument of unknown rank; not a value popped in code differentiated
            # again, whose kind is not known either)
            arrays = ("array",) if is_generated(self.ctx.pf.filename) else ("array", "num", None)
            if (self.active(t.value.id) or self.active(s.value.id)) and (
                    k is None and None in arrays or k is not None and (
                        k.cls in arrays and k.ndim != 0 or k.cls == "tuple")):
                self.err(s, f"an array (or a tuple, a list, or a value that may be an array) is stored as an item of "
                            f"the list `{t.value.id}`, written "
                            "out with numbers "
                            "(or repeated: [0.0] * n), which is taken for an array of numbers.",
                         "start from an empty list and append the arrays, or store into an array "
                         "(np.zeros((n,) + x.shape), then L[k] = ...).")
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in self.number_lists \
                and isinstance(s.value, ast.Name) and self.varied(s.value.id) and self.floaty(s.value.id) \
                and not getattr(self.ctx.kinds.get(t.value.id), "is_float", False):
            self.err(s, f"the list `{t.value.id}` is written out with ints or bools (or repeated: [0] * n), taken for "
                        "an array of them, and given a value that carries a derivative.",
                     f"write its numbers as floats ({t.value.id} = [0.0] * n).")
        v = s.value if isinstance(s, ast.Assign) else None
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) and s.targets[0].id in self.none_lists \
                and self.active(s.targets[0].id) and is_generated(self.ctx.pf.filename):
            self.err(s, "second derivatives through a list repeated from None ([None] * n) are not followed.",
                     "start from numbers: [0.0] * n.")
        if isinstance(v, ast.BinOp) and any(isinstance(x, ast.Name) and x.id in self.number_lists and self.active(x.id)
                                            for x in (v.left, v.right)):
            self.err(s, "a list of numbers that carry derivatives is repeated or joined (L * 3, a + b): the list "
                        "is taken for an array of numbers, and the operation for arithmetic.",
                     "build the list with append (or an array: np.array(L), np.tile, np.concatenate).")
        calls = [c for c in ast.walk(s) if isinstance(c, ast.Call) and notes.rule_kind(c) == "stack"
                 and isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name)
                 and c.func.value.id in self.number_lists]
        for c in calls:
            pushed = [a.id for a in c.args if isinstance(a, ast.Name)]
            got = [n.id for n in s.targets if isinstance(n, ast.Name)] if isinstance(s, ast.Assign) else []
            lk = self.ctx.kinds.get(c.func.value.id)
            if any(self.active(n) for n in [c.func.value.id] + pushed + got) or pushed and not (
                    lk is not None and lk.is_float) and self.varied(pushed[0]) and self.floaty(pushed[0]):
                self.err(s, f"the list `{c.func.value.id}`, written out with numbers (or repeated: [0.0] * n), "
                            "is used as a stack (append, pop) of values that carry derivatives.",
                         "start from an empty list and append every value, or build an array.")

    def err(self, s, msg, hint, cls=UnsupportedSyntaxError):
        raise cls(msg, filename=self.ctx.pf.filename, lineno=s.lineno, construct=self.ctx.pf.line_text(s.lineno),
                  hint=hint)

    # -- rules ----------------------------------------------------------------------
    @staticmethod
    def binop_rule(v: ast.BinOp):
        """The rule of a binary operation and its bound operands, or (None, None)."""
        f = BINOPS.get(type(v.op))
        if f is None:
            return None, None
        if f is np.divide and isinstance(v.left, ast.Constant) and type(v.left.value) in (int, float) \
                and v.left.value == 1:
            return lookup(np.reciprocal), {"x": v.right}   # (its adjoint multiplies where divide's divides again)
        rule = lookup(f)
        return rule, dict(zip(rule.param_names, [v.left, v.right]))

    def apply_rule(self, rule, bound: dict, s):
        """The derivative of a call of ``rule`` whose parameters are ``bound``:
        each parameter given an active name, or a tuple or list with active
        elements, contributes a term; the mode combines them."""
        self.check_call(rule, bound, s)
        self.check_objects(rule, bound, s)
        rule = self.check_complex(rule, bound, s)
        mapping = {k: v for k, v in bound.items() if isinstance(v, ast.AST)}
        if "ans" not in rule.param_names:   # (a helper's parameter named ans is that argument)
            mapping["ans"] = N(ANS)
        for name, value in rule.namespace.items():   # (the rule's own names, not the caller's)
            if name not in mapping:
                mapping[name] = N(self.ctx.module.rule_value(rule, name, value, self.ctx.namer.taken))
        self.check_templates(rule, bound, s)
        self.numpy_divisors(rule, bound, mapping, s)
        terms, inactive = [], []
        params = self.rule_params(rule, bound, s, mapping)
        # a call given a dtype (z.astype(float), np.sum(z, dtype=float)): of complex operands, a real
        # result keeps their real part, and so does its derivative
        cast = self.ctx.complex and isinstance(bound.get("dtype"), ast.AST) and not (
            isinstance(bound["dtype"], ast.Constant) and bound["dtype"].value is None)
        for p, a in bound.items() if cast and not _complex_dtype(bound["dtype"]) else ():
            # (the real part taken before a product: its derivative reads the real parts, not the values)
            if isinstance(a, ast.Name) and self.active(a.id) and self.maybe_complex(a) \
                    and rule.complex_mode(p) not in ("linear", None):
                self.err(s, f"{rule.name} of values that may be complex, given a dtype: numpy takes their real "
                            "part first, which its derivative rule does not.", f"write np.real({a.id}) first.")
        if cast and "g" in mapping:
            mapping["g"] = ast.Call(N("_ad_real_if"), [mapping["g"], N(ANS)], [])
        for p in params:
            a = bound.get(p)
            if isinstance(a, (ast.Tuple, ast.List)):
                if any(isinstance(e, ast.Name) and self.active(e.id) for e in a.elts):
                    terms.append(self.sequence_term(rule, p, a, bound, mapping, s))
            elif isinstance(a, ast.Name) and self.active(a.id):
                terms.append(self.rule_term(rule, p, a, bound, mapping, s))
            elif isinstance(a, ast.Name):
                inactive.append((p, a.id))
        terms.extend(self.checked_zero_terms(rule, bound))
        result = self.rule_result(rule, terms, inactive)
        return self.real_cast(result) if cast else result

    def numpy_divisors(self, rule, bound, mapping, s) -> None:
        """The Python floats a template divides by (``rule.divisors``: ``g / x`` of np.log, ``0.5 / ans``
        of np.sqrt, the value a loop's step pops from the tape) read as numpy floats where the analyses
        do not keep them away from 0 (``analysis.finite.lower_bounds``), and those it raises to a power
        that may be below 1 (``v ** (y - 1)`` of ``v ** y``, ``v ** -0.5``) in any case: Python's
        arithmetic raises ZeroDivisionError there (and makes a complex number of a negative float to a
        fractional power), numpy's and numba's give inf (nan) as the primal's does. A complex number is
        read as a numpy complex. The rest stays Python's arithmetic, several times faster on numbers."""
        target = s.targets[0] if isinstance(s, ast.Assign) and len(s.targets) == 1 else getattr(s, "target", None)
        target = target.id if isinstance(target, ast.Name) else None
        second = self.ctx.module.options.second_order
        bounds = False
        for name, exponents in rule.divisors.items():
            value = mapping.get(name)
            if not isinstance(value, ast.Name):
                continue
            cast = self.numpy_number(target if value.id == ANS else value.id, value)
            if cast is None:
                continue
            powers = [subst(e, mapping) for e in exponents if e is not None]
            if any(not (isinstance(e, ast.Constant) and type(e.value) in (int, float) and (e.value >= 1 or e.value == 0))
                   for e in powers):
                mapping[name] = cast
                continue
            if len(powers) == len(exponents) or second:
                # (code differentiated again, whose kinds are not exact, reads no conversion of a number
                # that is a 0-d array there: its division gives inf)
                continue
            if bounds is False:
                bounds = self.ctx.unread_guard(target, ANS)[1]
            if bounds is None or not kept_from_zero(value, bounds):   # (abs(v), exp(-v) are bounded by 0 only)
                mapping[name] = cast

    def numpy_number(self, name, value):
        """``_ad_np_number(value)`` (numpy's number of a Python float or complex, ``runtime.core.np_number``) where
        the name ``name`` holds a number; None for anything else."""
        kind = self.ctx.kinds.get(name) if name is not None else None
        if getattr(kind, "cls", None) != "float" or kind.dtype not in (None, "f", "c"):
            return None
        return ast.Call(N("_ad_np_number"), [copy.deepcopy(value)], [])

    def real_cast(self, result):
        """The result of a rule called with a dtype, where a mode's tangent keeps its real part
        (``apply_rule``; the reverse mode's adjoint takes it from ``g``)."""
        return result

    def shadows_checked_apart(self, rec, s, call, info):
        """``rec`` (the reverse code of a user call) where the code is differentiated again: the
        shadows of two views checked at run time to share no memory (``notes.apart``) checked
        so too first, as the code differentiated again knows them."""
        if not self.ctx.module.options.second_order:
            return rec
        out = []
        where = ast.Tuple([ast.Constant(self.ctx.pf.filename), ast.Constant(s.lineno),
                           ast.Constant(self.ctx.pf.line_text(s.lineno))], ast.Load())
        for i, j in sorted(notes.apart(call)):
            if info.activities[i] == info.activities[j] == "Duplicated":
                pair = [N(info.shadow_names[call.args[k].id]) for k in (i, j)]
                out.append(ast.Expr(ast.Call(N("_ad_disjoint_checked"), [*pair, copy.deepcopy(where)], [])))
        rec.core[:0] = out
        return rec

    def has_template(self, rule, p) -> bool:
        """Whether this mode differentiates ``rule`` in ``p`` (reverse: an adjoint template)."""
        return p in rule.adjoint_asts

    def untemplated(self, rule, bound) -> list:
        """``(parameter, argument)`` of each value that carries a derivative into a parameter the
        rule has no derivative for (and does not declare constant). (The rules of the helpers
        generated code calls leave out the parameters they read only for shapes; their ``refuse``
        sets name the others.)"""
        if is_runtime_helper(rule.func):
            return []
        out = []
        for p, a in bound.items():
            if p in rule.constant or (p not in rule.refuse and self.has_template(rule, p)):
                continue
            elts = a.elts if isinstance(a, (ast.Tuple, ast.List)) else [a]
            if any(isinstance(e, ast.Name) and self.active(e.id) for e in elts):
                out.append((p, a))
        return out

    def check_templates(self, rule, bound, s):
        """Refuse the ``untemplated`` values: their derivative would be dropped."""
        for p, a in self.untemplated(rule, bound):
            self.refuse_untemplated(rule, p, a, s)

    def refuse_untemplated(self, rule, p, a, s):
        """``check_templates``' refusal of ``a``, active, bound to ``rule``'s parameter ``p``."""
        self.err(s, f"{rule.name} has no derivative with respect to its argument `{p}`, which carries "
                    "one here.", f"make `{p}` constant (or compute the result another way).", NoDerivativeError)

    def checked_zero_terms(self, rule, bound) -> list:
        """Terms of ``untemplated`` values whose derivative is checked to be zero as the code runs
        (``ForwardBuilder``: in code differentiated again); none here."""
        return []

    def check_call(self, rule, bound, s):
        """Refuse a call whose arguments the rule says it cannot differentiate (``Rule.refuse_when``)."""
        if rule.refuse_when is None:
            return
        for p, a in bound.items():
            # (a name, or an expression kept whole that reads one: ``a * 2``, ``beta + 1``)
            if isinstance(a, ast.AST) and any(self.active(n.id) for n in value_names(a)):
                why = rule.refuse_when(bound, p)
                if why:
                    self.err(s, f"{rule.name}: {why}", "give the call constant arguments where it has no derivative.")

    def check_objects(self, rule, bound, s):
        """Refuse an operand of a differentiated call that is no array or number (a
        scipy.sparse matrix, a LinearOperator) where the derivative of another operand
        reads it: the derivative's numpy code would not mean what the object's does."""
        if not any(isinstance(a, ast.Name) and self.active(a.id) for a in bound.values()):
            return
        for p, a in bound.items():
            k = self.ctx.kinds.get(a.id) if isinstance(a, ast.Name) else None
            if k is not None and k.cls == "other" and p in rule.adjoints and p not in rule.constant:
                what = "an operand" if self.ctx.is_temp(a.id) else f"`{a.id}`"   # (A.T of a sparse A)
                self.err(s, f"{what} of {rule.name} is not a numpy array or a number, and its derivative "
                            "would read it as one.",
                         "pass the object as an array (e.g. A.toarray() of a sparse matrix A), or write the "
                         "operation with its arrays (a loop over the indices of a CSR matrix).")

    def check_complex(self, rule, bound, s):
        """The rule to apply where complex values may be (its ``variant``,
        written for them, where it has one); a rule whose templates are not
        known to hold for complex values is refused when one reaches it."""
        if not self.ctx.complex:
            # popped values may be complex: the complex-valid templates (conj(t), not t)
            return (rule.variant or rule) if self.ctx.popped else rule
        rule = rule.variant or rule
        for p, a in bound.items():
            if not isinstance(a, ast.AST) or p not in rule.adjoints and p not in rule.tangents:
                continue
            elts = a.elts if isinstance(a, (ast.Tuple, ast.List)) else [a]
            if not any(isinstance(e, ast.Name) and self.active(e.id) for e in elts):
                continue
            if rule.complex_mode(p) is None and any(self.maybe_complex(e) for e in _operands(bound)):
                self.err(s, f"{rule.name} is not differentiated for complex values "
                            f"(its derivative rule in `{p}` holds for real values only).",
                         "take the real part first (np.real), or register a rule for complex values "
                         "with adcompiler.extend.")
        return rule

    def maybe_complex(self, e) -> bool:
        """Whether ``e`` (a name or constant operand) may hold complex values."""
        if isinstance(e, ast.Constant):
            return isinstance(e.value, complex)
        if isinstance(e, ast.Name):
            k = self.ctx.kinds.get(e.id)
            return k is None or k.maybe_complex
        return False

    def rule_params(self, rule, bound, s, mapping):
        """The parameters in the order their terms are made (a mode may check
        the call and add to ``mapping`` here)."""
        raise NotImplementedError

    def rule_term(self, rule, p, a, bound, mapping, s):
        raise NotImplementedError

    def sequence_term(self, rule, p, a, bound, mapping, s):
        raise NotImplementedError

    def rule_result(self, rule, terms, inactive):
        raise NotImplementedError


def _complex_dtype(e) -> bool:
    """Whether the dtype expression ``e`` names a complex dtype (``complex``, ``np.complex128``,
    ``"c16"``); False where it cannot tell."""
    name = e.value if isinstance(e, ast.Constant) else e.id if isinstance(e, ast.Name) else \
        e.attr if isinstance(e, ast.Attribute) else None
    if not isinstance(name, str):
        return False
    try:
        return np.dtype(getattr(np, name, name) if name != "complex" else complex).kind == "c"
    except TypeError:
        return False

