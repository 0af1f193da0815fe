"""Python lists used as stacks: the tape of generated reverse code.

``L.append(v)`` and ``L.pop()`` are differentiated in forward mode only (a
parallel list carries the tangents), which is what forward-over-reverse
second derivatives need.
"""
from .registry import REQUIRED, Rule, register_rule

register_rule(Rule(list.append, "list.append", [("item", REQUIRED)], {}, None, "stack"))
register_rule(Rule(list.pop, "list.pop", [], {}, None, "stack"))
