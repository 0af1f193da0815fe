"""attempts: ``try``/``except`` around one call, as a branch on whether the call raises.

A derivative follows the path the function took. The form taken is a ``try``
whose body is one statement calling a library function (``L =
np.linalg.cholesky(K)``, ``x = np.linalg.solve(A, b)``), with any ``except``
clauses (their types, or none), ``else`` and ``finally``; no ``return``,
``break`` or ``continue`` inside it. It becomes

    _tried_a1 = K                                  # the call's arguments, once
    _tried1 = _ad_attempt((LinAlgError,), np.linalg.cholesky, _tried_a1)
    if _tried1 == 0:                               # 0: it returned
        L = np.linalg.cholesky(_tried_a1)          # called again, differentiated
        <else clause>
    elif _tried1 == 1:                             # k: it raised what clause k catches
        <clause 1>
    <finally clause>

so the call runs twice where it returns (its value is not kept from the probe:
``runtime.attempts.attempt`` only says whether it raises). An exception the
clauses do not catch propagates from the probe. The arguments are computed
before the probe: one that raises is not caught (Python would catch it).
A ``try`` with a ``finally`` and no ``except`` is its body, then the ``finally``.
``fence`` refuses every other ``try`` (``refusal``).
"""
from __future__ import annotations

import ast
import copy

from ..rules import lookup
from . import notes

_JUMPS = (ast.Return, ast.Break, ast.Continue, ast.Yield, ast.YieldFrom)
_HINT = ("keep one call in the `try` (`L = np.linalg.cholesky(K)`), the rest after it or in `else:`; or move the "
         "error handling outside the differentiated function.")


def refusal(node: ast.Try):
    """``(what, hint)`` when ``node`` is not a ``try`` of the form taken, else None."""
    if any(isinstance(n, _JUMPS) for n in ast.walk(node)):
        return "return, break or continue inside try/except", "leave the try first, then return or break."
    if not node.handlers:
        return None   # (try/finally: the body, then the finally)
    if len(node.body) != 1 or not _one_call(node.body[0]):
        return "try/except (other than around one call of a library function)", _HINT
    for h in node.handlers:
        if h.name is not None and any(isinstance(n, ast.Name) and n.id == h.name for b in h.body for n in ast.walk(b)):
            return (f"the exception `{h.name}` read in its except clause",
                    "do not read the exception object (its message has no derivative); use `except E:`.")
    return None


def _one_call(s) -> bool:
    """``name = f(...)``, ``a, b = f(...)``, ``x = f(...)[0]`` or ``f(...)`` (a call among
    the arguments is computed before the probe: one that raised would not be caught)."""
    if isinstance(s, ast.Assign) and len(s.targets) == 1:
        target = s.targets[0]
        names = target.elts if isinstance(target, ast.Tuple) else [target]
        if not all(isinstance(t, ast.Name) for t in names):
            return False
    elif not isinstance(s, ast.Expr):
        return False
    call = _called(s)
    return isinstance(call, ast.Call) and all(k.arg is not None for k in call.keywords) \
        and not any(isinstance(a, ast.Starred) for a in call.args)


def _called(s):
    """The call of the statement ``s`` of a ``try`` (``f(...)``, or ``f(...)[k]``)."""
    v = s.value
    if isinstance(v, ast.Subscript) and isinstance(v.slice, ast.Constant) and isinstance(v.slice.value, int):
        return v.value
    return v


def tries_as_branches(stmts: list, nz, attempt_target) -> list:
    """``stmts`` with every ``try`` (``fence`` passed it) as the branch above, inside
    loops and branches too. ``nz`` is the normalizer (its names, its resolution of a
    call, its errors); ``attempt_target`` is ``runtime.attempts.attempt`` (the probe's
    call is noted as calling it)."""
    out = []
    for s in stmts:
        if isinstance(s, ast.Try):
            out += _branch(s, nz, attempt_target)
            continue
        if any(isinstance(getattr(s, f, None), list) for f in ("body", "orelse")) and not isinstance(
                s, (ast.FunctionDef, ast.ClassDef)):
            s = copy.copy(s)   # (the parsed tree is kept as it is: the cache reads it)
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, tries_as_branches(getattr(s, field), nz, attempt_target))
        out.append(s)
    return out


def _branch(s: ast.Try, nz, attempt_target) -> list:
    def again(stmts):
        return tries_as_branches(stmts, nz, attempt_target)
    fresh = nz.local
    if not s.handlers:
        return again(s.body) + again(s.finalbody)
    stmt = s.body[0]
    call = _called(stmt)
    target = nz.resolve_call_target(call) if not (isinstance(call.func, ast.Name) and nz.res.is_local(call.func.id)) \
        else None
    if target is None or lookup(target) is None or any(k.arg == "out" for k in call.keywords):
        nz.err(stmt, "a try/except around a call of a function that is not a library function with a rule (or "
                     "that writes through out=): the call runs once to see whether it raises, then again",
               "call a numpy (or scipy) function in the `try`; call your own function after it.")
    out, args, keywords = [], [], []
    for a in call.args:
        args.append(_named(a, fresh, out, s))
    for k in call.keywords:
        keywords.append(ast.keyword(k.arg, _named(k.value, fresh, out, s)))
    types = ast.Tuple([h.type if h.type is not None else ast.Name("BaseException", ast.Load())
                       for h in s.handlers], ast.Load())
    probe = ast.Call(ast.Name("_ad_attempt", ast.Load()), [types, copy.deepcopy(call.func)] + args, keywords)
    notes.resolve_call(probe, attempt_target, lookup(attempt_target))
    flag = fresh("_tried{}")
    out.append(_at(ast.Assign([ast.Name(flag, ast.Store())], probe), stmt))
    again_call = ast.Call(copy.deepcopy(call.func), [copy.deepcopy(a) for a in args],
                          [copy.deepcopy(k) for k in keywords])
    first = copy.copy(stmt)
    first.value = _at(again_call, call) if stmt.value is call else \
        _at(ast.Subscript(_at(again_call, call), copy.deepcopy(stmt.value.slice), ast.Load()), stmt.value)
    chain: list = []
    for k in range(len(s.handlers), -1, -1):
        body = [first] + again(s.orelse) if k == 0 else again(s.handlers[k - 1].body) or [ast.Pass()]
        test = ast.Compare(ast.Name(flag, ast.Load()), [ast.Eq()], [ast.Constant(k)])
        chain = [_at(ast.If(test, body, chain), s.handlers[k - 1] if k else stmt)]
    return out + chain + again(s.finalbody)


def _named(e, fresh, out, where):
    """``e`` as a name bound before the probe (a constant stays itself)."""
    if isinstance(e, (ast.Name, ast.Constant)):
        return e
    name = fresh("_tried_a{}")
    out.append(_at(ast.Assign([ast.Name(name, ast.Store())], e), where))
    return ast.Name(name, ast.Load())


def _at(node, where):
    return ast.fix_missing_locations(ast.copy_location(node, where))
