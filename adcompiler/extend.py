"""Extending adcompiler: rules for your own functions or numpy functions it lacks.

- ``defrule(func, "x, y=None", x="adjoint template", tangents={...})``;
- ``elementwise(func, "x", x="g * ...")`` for broadcasting functions;
- ``nondifferentiable(*funcs)`` and ``allocating(*funcs)``;
- ``defsplit(func, "a, b", fwd, rev)`` for a rule given as functions;
- ``check_grads`` to test a rule against finite differences.
"""
from .rules.registry import (  # noqa: F401
    Rule,
    allocating,
    defrule,
    defsplit,
    elementwise,
    lookup,
    nondifferentiable,
    register_rule,
)
from .testing.check import check_grads  # noqa: F401
