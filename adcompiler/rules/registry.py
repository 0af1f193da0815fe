"""The rule tables: one entry per primal callable.

A rule says, for a call ``ans = f(p1, p2, ..., k=...)``, how to differentiate
it. Adjoint templates are Python expressions in ``g`` (the adjoint of
``ans``), ``ans`` and the parameter names; tangent templates are expressions in
the parameters, ``ans`` and ``d_<param>`` (the tangents). Because adcompiler
emits source, a template drops into the generated code as written (after
renaming).

Kinds of rule:

- ``elementwise``: broadcasting operation; each adjoint is summed back to the
  operand's shape (``unbroadcast``) by the code generator.
- ``general``: the template already has the operand's shape.
- ``view``: linear, and the result may share memory with the first argument.
- ``nondiff``: no derivative (comparisons, rounding, integer functions).
- ``alloc``: creates a fresh array that depends on no differentiable value.
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..runtime.views import RULE_SHAPE

REQUIRED = object()


@dataclass
class Rule:
    """One differentiable (or non-differentiable) primal: its parameters, its
    adjoint and tangent templates per argument, and its kind (elementwise,
    view, reduction, in-place, split, ...)."""

    func: Any
    name: str
    params: list  # [(name, default)] with default REQUIRED for required ones
    adjoints: dict = field(default_factory=dict)   # param -> template source
    tangent: str | None = None
    kind: str = "general"
    result: Callable | None = None   # kinds -> kind (see analysis.kinds)
    doc: str = ""                    # convention at non-differentiable points
    varargs: bool | str = False      # extra positionals are packed into the last param (or this one)
    tangents: dict = field(default_factory=dict)  # param -> tangent template in ``t``
    namespace: dict = field(default_factory=dict)  # names the templates use
    split: tuple | None = None       # (fwd, rev) for rules given as functions
    refuse: set = field(default_factory=set)  # parameters whose derivative is not available
    #: parameters whose derivative is zero by declaration (a sign, bin edges): a value carrying a
    #: derivative may reach them; any other parameter without a template refuses such a value
    constant: set = field(default_factory=set)
    #: how the templates treat complex values, per parameter ("*": every one; see ``complex_mode``)
    complex: dict = field(default_factory=dict)
    real_result: bool = False        # real-valued even for complex arguments (abs, real, imag, angle)
    variant: Rule | None = None      # the rule used where complex values may be (its templates "exact")
    tuple_result: bool = False       # returns a tuple or list (its tangents are one per element)
    fresh_parts: int = 0             # returns a tuple of this many separate fresh arrays
    #: ``refuse_when(bound, param)``: why the derivative in ``param`` of this call is not available, or None
    refuse_when: Callable | None = None
    #: constant by declaration for real values only: a complex value carrying a derivative is refused
    #: (numpy's sign of a complex ``z`` is ``z / |z|``)
    complex_varies: bool = False
    #: parameters that take a tuple, kept a tuple, with its length (``cho_solve((c, lower), b)``: 2; one
    #: given by a name is written out; a sequence written where any other parameter takes an array is
    #: the array numpy makes of it)
    tuples: dict = field(default_factory=dict)

    def __post_init__(self):
        self.adjoint_asts = {p: ast.parse(t, mode="eval").body for p, t in self.adjoints.items()}
        self.tangent_ast = ast.parse(self.tangent, mode="eval").body if self.tangent else None
        self.tangent_asts = {p: ast.parse(t, mode="eval").body for p, t in self.tangents.items()}
        names = set()
        for tree in list(self.adjoint_asts.values()):
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.uses_ans = "ans" in names
        self.param_names = [p for p, _ in self.params]
        #: parameters whose primal value some adjoint reads
        self.reads = {p for p in self.param_names if p in names}
        #: the names (parameters, ``ans``) the templates divide by or raise to a power, with the exponents
        self.divisors = _divisors([*self.adjoint_asts.values(), *self.tangent_asts.values(), self.tangent_ast])

    def __deepcopy__(self, memo):
        """A rule is shared, never copied (trees noted with it are deep-copied)."""
        return self

    @property
    def differentiable(self) -> bool:
        return self.kind not in ("nondiff", "alloc")

    def complex_mode(self, param) -> str | None:
        """How the templates of ``param`` hold for complex values:

        - ``"linear"``: linear with real coefficients (sums, views, indexing);
          the templates hold as written.
        - ``"holomorphic"``: the function is complex-analytic in ``param`` and
          its templates are the real formulas: the tangent holds as written and
          the adjoint is ``conj(template(g=conj(g)))`` (the code generator
          wraps it).
        - ``"exact"``: the templates are written for complex values already
          (those of ``variant`` where the rule has one).
        - None: not known to hold; complex values are refused.
        """
        return self.complex.get(param, self.complex.get("*"))

    def tangent_template(self, param):
        """The tangent template of ``param`` (elementwise rules reuse the adjoint)."""
        if param in self.tangent_asts:
            return self.tangent_asts[param], "t"
        if self.kind == "elementwise" and param in self.adjoint_asts:
            return self.adjoint_asts[param], "g"
        return None, None


def _divisors(trees) -> dict:
    """``{name: [exponent or None, ...]}``: the names of the templates ``trees`` that a division (``/``,
    ``//``, ``%``) divides by (None) or a power raises (its exponent's tree), by the arithmetic around
    them (a call's argument is the call's: ``np.sqrt(1 - x)`` is a numpy float already). Python's
    arithmetic on a float there raises ZeroDivisionError at 0 where numpy's gives inf."""
    def operands(e):
        if isinstance(e, ast.Name):
            yield e.id
        elif not isinstance(e, ast.Call):
            for c in ast.iter_child_nodes(e):
                yield from operands(c)
    out = {}
    for n in (n for tree in trees if tree is not None for n in ast.walk(tree)):
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            for name in operands(n.right):
                out.setdefault(name, []).append(None)
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow):
            for name in operands(n.left):
                out.setdefault(name, []).append(n.right)
    return out


_RULES: dict = {}


def _key(func) -> Any:
    try:
        hash(func)
        return func
    except TypeError:
        return id(func)


#: called after each registration (the cache of analyses and compiled modules,
#: which hold the rules they were made with, forgets them)
on_register: list = []


#: set once the rules adcompiler ships are registered: later rules are the user's,
#: whose derivatives are checked for shape when the code runs (``_shape_checked``)
_shipped = False


def shipped() -> None:
    global _shipped
    _shipped = True


def _shape_checked(rule: Rule) -> None:
    """A user's rule: each adjoint must have its operand's shape (an elementwise
    rule's may have the result's, which is summed back) and each tangent the
    result's; numpy would broadcast a wrong one into the shadow silently
    (``runtime.views.rule_checked`` raises instead, at the user's line)."""
    if rule.kind not in ("general", "elementwise"):
        return
    name = repr(rule.name)
    reads, uses_ans = rule.reads, rule.uses_ans   # (the checks read shapes only: nothing more to keep)
    also = ", g" if rule.kind == "elementwise" else ""
    for p, t in list(rule.adjoints.items()):
        rule.adjoint_asts[p] = ast.parse(f"_ad_rule_checked({t}, {p}, {name}, {p!r}, 'adjoint'{also})",
                                         mode="eval").body
    for p, t in list(rule.tangents.items()):
        rule.tangent_asts[p] = ast.parse(f"_ad_rule_checked({t}, ans, {name}, {p!r}, 'tangent')",
                                         mode="eval").body
    rule.reads, rule.uses_ans = reads, uses_ans


def register_rule(rule: Rule) -> Rule:
    if _shipped:
        _shape_checked(rule)
    _RULES[_key(rule.func)] = rule
    for forget in on_register if _shipped else ():   # (nothing made before can have used a shipped rule)
        forget()
    return rule


def lookup(func) -> Rule | None:
    try:
        rule = _RULES.get(_key(func))
    except TypeError:
        return None
    ready = [entry for entry in _later if entry[0] in sys.modules] if rule is None else []
    if ready:
        global _shipped
        shipped_before, _shipped = _shipped, False   # (rules adcompiler ships, registered late)
        users = dict(_RULES)   # (a rule a user registered already stays)
        try:
            for entry in ready:
                _later.remove(entry)
                entry[1]()
        finally:
            _shipped = shipped_before
            _RULES.update(users)
        return lookup(func)
    return rule


#: registrations made on the first look-up once their module is imported: (module name,
#: registering function), e.g. ``rules.special``'s for ``scipy.special``
_later: list = []


_FROM_SOURCE: set = set()


def differentiate_source(*funcs):
    """Mark runtime helpers that generated code calls, and that have no rule,
    as differentiated from their own source like a user function (second
    derivatives of reverse code calling them). Each must be written with
    constructs and calls the compiler differentiates; tests compare each
    with finite differences."""
    _FROM_SOURCE.update(funcs)


def from_source(func) -> bool:
    try:
        return func in _FROM_SOURCE
    except TypeError:
        return False


def is_runtime_helper(func) -> bool:
    """Whether ``func`` is one of the helpers generated code calls (``adcompiler.runtime``)."""
    return (getattr(func, "__module__", "") or "").startswith("adcompiler.runtime")


def source_helper_error(call, err, filename=None):
    """The refusal of a helper differentiated from its source (``err``, raised
    inside it), at the generated call ``call`` rather than at the helper's line."""
    from ..errors import NoRuleError
    return NoRuleError(f"`{ast.unparse(call.func)}` cannot be differentiated again here ({err.reason})",
                       filename=filename, lineno=getattr(call, "lineno", None), construct=ast.unparse(call)[:80],
                       hint="second derivatives through this helper are not supported with these arguments.")


def all_rules() -> list:
    seen, out = set(), []
    for r in _RULES.values():
        if id(r) not in seen:
            seen.add(id(r))
            out.append(r)
    return out


def _params(spec: str) -> list:
    """``"x1, x2, axis=None"`` -> [("x1", REQUIRED), ("x2", REQUIRED), ("axis", "None")]."""
    out = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        if "=" in part:
            name, default = part.split("=", 1)
            out.append((name.strip(), default.strip()))
        else:
            out.append((part, REQUIRED))
    return out


def _name_of(func) -> str:
    mod = getattr(func, "__module__", None) or ""
    name = getattr(func, "__name__", repr(func))
    if isinstance(func, type(abs)) and mod == "builtins":
        return name
    if mod.startswith("numpy") or type(func).__name__ == "ufunc":
        parts = mod.split(".")
        sub = parts[1] + "." if len(parts) > 1 and parts[1] in ("linalg", "fft") else ""   # numpy.fft.fft
        return "numpy." + sub + name
    return f"{mod}.{name}" if mod else name


def defrule(func, params: str, kind: str = "general", tangent: str | None = None,
            result=None, doc: str = "", name: str | None = None, varargs: bool | str = False,
            tangents: dict | None = None, namespace: dict | None = None, **adjoints: str) -> Rule:
    """Register a rule: ``defrule(np.dot, "a, b", a="g-template", b="...",
    tangents={"a": "np.dot(t, b)", "b": "np.dot(a, t)"})``.

    Adjoint templates are expressions in ``g`` (the adjoint of the result),
    ``ans`` (the result) and the parameter names; tangent templates give the
    result's tangent due to one parameter whose tangent is ``t``. Elementwise
    rules need no tangents: their adjoint with ``g`` replaced by ``t`` is the
    tangent. ``namespace`` supplies any other names the templates use.
    """
    if adjoints and any(p == "g" for p, _ in _params(params)):
        from ..errors import AdCompilerError
        raise AdCompilerError(
            f"the rule of {name or _name_of(func)} has a parameter named `g`, which its adjoint templates "
            "cannot tell from `g`, the adjoint of the result.",
            construct=params, hint="name the parameter otherwise in the rule's parameter list (the "
                                   "arguments are matched to it by position).")
    return register_rule(Rule(func, name or _name_of(func), _params(params), adjoints,
                              tangent, kind, result, doc, varargs, dict(tangents or {}),
                              dict(namespace or {})))


def elementwise(func, params: str, tangent: str | None = None, doc: str = "",
                name: str | None = None, **adjoints: str) -> Rule:
    """A broadcasting operation: adjoints are summed back to operand shapes."""
    return defrule(func, params, "elementwise", tangent, doc=doc, name=name, **adjoints)


def defsplit(func, params: str, fwd, rev, name: str | None = None, copy_args: bool = True) -> Rule:
    """A rule given as a forward/reverse pair of functions.

    ``record, ans = fwd(*args)`` computes the result and what the reverse pass
    needs; ``rev(record, g, *args)`` returns one adjoint per parameter (None
    for parameters without one), each of its argument's shape. The generated
    code calls ``fwd`` in its forward sweep and ``rev`` in its reverse sweep,
    so the function runs once. ``fwd`` is given copies of the array arguments
    (``copy_args``), so a record may keep them: the calling code may write the
    arrays it passed before the reverse sweep; ``rev`` is given the arguments
    as they were at the call.
    """
    rule = Rule(func, name or _name_of(func), _params(params), {}, None, "split")
    names = [p for p, _ in rule.params]
    if copy_args:
        user_fwd = fwd

        def fwd(*args):
            return user_fwd(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])

    def checked_rev(record, g, *args):
        # each adjoint must have its argument's shape (numpy would broadcast a wrong one)
        out = rev(record, g, *args)
        for p, a, d in zip(names, args, out):
            if d is not None and np.shape(d) != np.shape(a):
                raise ValueError(RULE_SHAPE, f"the adjoint the rule of `{rule.name}` gives for `{p}` has shape "
                                             f"{np.shape(d)}, but `{p}` has shape {np.shape(a)}")
        return out
    rule.split = (fwd, checked_rev)
    return register_rule(rule)


def nondifferentiable(*funcs, params: str = "*", result=None) -> None:
    """Declare functions with no derivative (their results are constants)."""
    for f in funcs:
        register_rule(Rule(f, _name_of(f), _params(params) if params != "*" else [],
                           {}, None, "nondiff", result))


def allocating(*funcs, params: str = "*", result=None) -> None:
    """Declare array-creation functions (fresh arrays, no derivative)."""
    for f in funcs:
        register_rule(Rule(f, _name_of(f), _params(params) if params != "*" else [],
                           {}, None, "alloc", result))
