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
import numpy as np

from ..analysis.kinds import array
from .registry import REQUIRED, Rule, register_rule

register_rule(Rule(list.append, "list.append", [("item", REQUIRED)], {}, None, "stack"))
register_rule(Rule(list.pop, "list.pop", [], {}, None, "stack"))

LIST_STACK = Rule(np.stack, "numpy.stack of a list", [("arrays", REQUIRED), ("axis", 0)], {"arrays": "g"}, None,
                  "list_stack", lambda kinds, bound: array(None, "f"),
                  doc="a list built with append, stacked into an array")
