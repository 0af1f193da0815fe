"""Python lists used as stacks: the tape of generated reverse code, and lists a
user function builds with ``append`` and turns into an array.

``L.append(v)`` and ``L.pop()`` are differentiated in forward mode only (a
parallel list carries the tangents), which is what forward-over-reverse
second derivatives need. ``np.stack(L)``, ``np.array(L)`` and
``np.asarray(L)`` of a local list carry ``LIST_STACK`` (not registered: the
same numpy functions of arrays keep their own rules): the transform gives the
list's adjoint stack one adjoint per item (``_ad_stack_list_adjoint``) and its
tangent the stacked tangents.
"""
import ast

import numpy as np

from ..analysis.kinds import array
from ..runtime import lists as RL
from .registry import REQUIRED, Rule, defrule, register_rule

register_rule(Rule(list.append, "list.append", [("item", REQUIRED)], {}, None, "stack"))
register_rule(Rule(list.pop, "list.pop", [], {}, None, "stack"))

LIST_STACK = Rule(np.stack, "numpy.stack of a list", [("arrays", REQUIRED), ("axis", 0)], {"arrays": "g"}, None,
                  "list_stack", lambda kinds, bound: array(None, "f"),
                  doc="a list built with append, stacked into an array")

_JOINED_RANK = {"vstack": lambda n: max(n, 2), "hstack": lambda n: max(n, 1), "column_stack": lambda n: 2,
                "dstack": lambda n: 3, "concatenate": lambda n: n}


def _joined_kind(kinds, bound):
    """``np.vstack(L)`` and its kin of a list of items of rank n (stacked: n + 1)."""
    k, how = kinds.get("stacked"), bound.get("how")
    how = how.value if isinstance(how, ast.Constant) else None
    if k is None or k.cls != "array" or k.ndim is None or how not in _JOINED_RANK:
        return array(None, "f")
    return array(_JOINED_RANK[how](k.ndim - 1), k.dtype or "f")


defrule(RL.joined, "stacked, how, axis=0", stacked="_ad_joined_adjoint(g, stacked, how, axis)",
        tangents={"stacked": "_ad_joined(t, how, axis)"}, result=_joined_kind,
        doc="np.vstack/hstack/column_stack/dstack/concatenate of a list built with append")
