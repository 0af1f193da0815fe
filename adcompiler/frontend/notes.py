"""What the frontend notes on AST nodes, read and written through one module.

The normalizer resolves every call once and notes on the ``ast.Call`` node
what it calls and by which rule; it notes the counter of a ``while`` loop on
the loop and on the counter's increment. Later passes ask here instead of
reading attributes: a node without a note answers ``None``/``False``, never a
sentinel. The notes are plain attributes of the node, so ``copy.deepcopy`` of
a tree keeps them.

>>> import ast, numpy as np
>>> call = ast.parse("np.sin(x)").body[0].value
>>> target(call) is None
True
>>> resolve_call(call, np.sin, None)
>>> is_user_call(call), target(call) is np.sin
(True, True)
"""
from __future__ import annotations

import ast
import random

import numpy as np

_TARGET = "_ad_target"     # the object a call calls (a numpy function, a user function...)
_RULE = "_ad_rule"         # its rule (rules.registry.Rule), None for a user function
_COUNTER = "_ad_counter"   # on ``_count += 1``: the trip counter of a while loop
_COUNT = "_ad_count"       # on a while loop: the name of its trip counter
_METHOD = "_ad_method"     # on a call written as an array method whose meaning depends on the dtype
_ELEMENT = "_ad_element"   # on ``L[k] = new``: an in-place operator on an element of a list, tuple or dict
_APART = "_ad_apart"       # on a user call: the pairs of its arguments checked at run time to share no memory
_INTO = "_ad_into"         # on ``y[idx] = v`` made of ``out=y[idx]`` or ``np.copyto(y[idx], v)``
_SAME_KIND = "_ad_same_kind"   # on such a store where numpy casts only within a kind (a ufunc's out=)


def resolve_call(call: ast.Call, func: object, rule: object) -> None:
    """Note that ``call`` calls ``func``, differentiated by ``rule`` (None: a
    user function, differentiated by transforming its source)."""
    setattr(call, _TARGET, func)
    setattr(call, _RULE, rule)


def target(node: ast.AST):
    """What a resolved call calls, or None."""
    return getattr(node, _TARGET, None) if isinstance(node, ast.Call) else None


def rule(node: ast.AST):
    """The rule of a resolved call, or None (a user function, or not resolved)."""
    return getattr(node, _RULE, None) if isinstance(node, ast.Call) else None


def rule_kind(node: ast.AST) -> str | None:
    """The kind of the call's rule (``"elementwise"``, ``"view"``, ``"split"``...), or None."""
    r = rule(node)
    return r.kind if r is not None else None


def draws_random(node: ast.AST) -> bool:
    """A resolved call of a random number generator (``random_function``)."""
    return random_function(target(node))


def random_function(func) -> bool:
    """numpy.random's functions, a Generator's or RandomState's methods, Python's
    random: their values cannot be computed again (a replayed step, another
    generator's state)."""
    if func is None:
        return False
    owner = getattr(func, "__self__", None)
    module = getattr(func, "__module__", None) or ""
    return module.startswith("numpy.random") or module == "random" or \
        isinstance(owner, (random.Random, np.random.Generator, np.random.RandomState))


def is_user_call(node: ast.AST) -> bool:
    """A resolved call of a user function (one without a rule)."""
    return isinstance(node, ast.Call) and target(node) is not None and rule(node) is None


def mark_counter(stmt: ast.AugAssign) -> None:
    """Note that ``stmt`` increments a while loop's trip counter."""
    setattr(stmt, _COUNTER, True)


def is_counter(stmt: ast.AST) -> bool:
    return bool(getattr(stmt, _COUNTER, False))


def set_count(loop: ast.While, name: str) -> None:
    """Note the name of the counter that counts ``loop``'s iterations."""
    setattr(loop, _COUNT, name)


def count(loop: ast.AST) -> str | None:
    """The name of a while loop's trip counter, or None."""
    return getattr(loop, _COUNT, None)


def mark_method(call: ast.Call, name: str) -> None:
    """Note that ``call`` was written as the array method ``name`` (``x.conj()``:
    numpy returns ``x`` itself for a real array, a copy for a complex one)."""
    setattr(call, _METHOD, name)


def method(node: ast.AST) -> str | None:
    """The array method a call was written as (see ``mark_method``), or None."""
    return getattr(node, _METHOD, None) if isinstance(node, ast.Call) else None


def mark_element_update(stmt: ast.Assign, old: str) -> None:
    """Note that ``stmt`` (``L[k] = new``) stores the result of an in-place
    operator on the element ``old`` read from a list, tuple or dict: Python
    updates that element in place where it is an array."""
    setattr(stmt, _ELEMENT, old)


def element_update(stmt: ast.AST) -> str | None:
    """The name of the element read for ``mark_element_update``, or None."""
    return getattr(stmt, _ELEMENT, None)


def mark_written_into(stmt: ast.Assign) -> None:
    """Note that ``stmt`` (``y[idx] = v``) stands for numpy writing into the array
    ``y[idx]`` evaluates to (``out=y[idx]``, ``np.copyto(y[idx], v)``): a copy of
    the selection where the index is advanced, and the write then lost."""
    setattr(stmt, _INTO, True)


def written_into(stmt: ast.AST) -> bool:
    return bool(getattr(stmt, _INTO, False))


def mark_same_kind(stmt: ast.Assign) -> None:
    """Note that numpy casts the value of ``stmt`` (a ``mark_written_into`` store) into the array
    only within a kind ("same_kind": a ufunc's ``out=``, ``np.copyto``), raising otherwise."""
    setattr(stmt, _SAME_KIND, True)


def same_kind(stmt: ast.AST) -> bool:
    return bool(getattr(stmt, _SAME_KIND, False))


def mark_apart(call: ast.Call, pairs: set) -> None:
    """Note that the arguments ``(i, j)`` of the user call ``call`` are checked at
    run time to share no memory (``runtime.views.disjoint_checked``)."""
    setattr(call, _APART, frozenset(pairs))


def apart(call: ast.AST) -> frozenset:
    return getattr(call, _APART, frozenset())
