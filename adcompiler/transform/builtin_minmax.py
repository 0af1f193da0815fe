"""Calls whose meaning depends on their arguments' kinds, rewritten or refused
once the kinds are known: the builtins ``min``/``max`` of arrays, and the
array methods ``.conj()``/``.conjugate()`` of real arrays."""
from __future__ import annotations

import ast
import builtins

import numpy as np

from ..analysis.kinds import _dtype
from ..analysis.order import walk_stmts
from ..errors import UnsupportedSyntaxError
from ..frontend import notes
from ..rules import lookup


def builtin_minmax_of_arrays(pf, body, inference) -> bool:
    """``min(a, b)`` returns one of its arguments itself: of an array (even a
    0-d view) that is an alias, which the analyses do not follow. Of two
    values of which the arrays are 0-d and the result is only read, it is
    ``np.minimum(a, b)`` (the same value; a derivative of 1/2 each at a tie,
    where the builtin gives 1 to one of them); anything else is refused.
    Returns whether a call was rewritten (the kinds must be inferred again)."""
    stmts = list(walk_stmts(body))
    written = {t.value.id for s in stmts for t in (s.targets if isinstance(s, ast.Assign) else
                                                  [s.target] if isinstance(s, ast.AugAssign) else [])
               if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
    written |= {s.target.id for s in stmts if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name)}
    # (a 0-d array written in place anywhere: the one min or max returned may be it, or an alias of it)
    zero_d_written = any((k := inference.expr(ast.Name(n, ast.Load()))).cls == "array" and k.ndim == 0
                         for n in written)
    changed = False
    for s in stmts:
        for node in ast.walk(s) if not isinstance(s, (ast.For, ast.While, ast.If)) else []:
            target = notes.target(node)
            if target not in (builtins.min, builtins.max):
                continue
            kinds = [inference.expr(a) for a in node.args]
            if not any(k.cls == "array" for k in kinds):
                continue
            if zero_d_written:
                raise UnsupportedSyntaxError(
                    f"the builtin `{target.__name__}` returns one of its arguments itself, and this function "
                    "writes a 0-d array in place: the result may be that array, which the analyses do not follow.",
                    filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                    hint=f"take numbers (float(s)) or use np.{target.__name__}imum, which makes a new value.")
            bound = s.targets[0].id if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name) else None
            if len(node.args) == 1 and not node.keywords and kinds[0].ndim == 1:
                # (of a list of numbers, taken for a 1-d array: its greatest element, np.max's; ties split)
                f = np.min if target is builtins.min else np.max
                node.func = ast.Attribute(ast.Name("np", ast.Load()), f.__name__, ast.Load())
                notes.resolve_call(node, f, lookup(f))
                changed = True
                continue
            if len(node.args) == 2 and not node.keywords and bound not in written \
                    and all(k.cls != "array" or k.ndim == 0 for k in kinds):
                f = np.minimum if target is builtins.min else np.maximum
                node.func = ast.Attribute(ast.Name("np", ast.Load()), f.__name__, ast.Load())
                notes.resolve_call(node, f, lookup(f))
                changed = True
                continue
            raise UnsupportedSyntaxError(
                f"the builtin `{target.__name__}` of an array returns the array itself (an alias).",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint=f"use np.{target.__name__}imum (elementwise) or np.{target.__name__} "
                     "(reduction), or index a scalar out of the array first.")
    return changed


def conj_methods_of_reals(pf, body, inference) -> bool:
    """``x.conj()`` (``.conjugate()``) returns ``x`` itself when ``x`` is a real
    array (numpy copies only a complex one), so writes to the result are writes
    to ``x``. Of a real array it becomes ``x``, an alias the analyses follow;
    of an array whose dtype is not known here it is refused. Returns whether a
    call was rewritten (the kinds must be inferred again)."""
    changed = False
    for s in walk_stmts(body):
        for node in ast.walk(s) if not isinstance(s, (ast.For, ast.While, ast.If)) else []:
            if isinstance(s, ast.Assign) and s.value is node and isinstance(node, ast.Call) and node.args \
                    and notes.target(node) is np.imag and inference.expr(node.args[0]).cls == "array" \
                    and _dtype(inference.expr(node.args[0])) in ("b", "i", "f"):
                # the imaginary part of a real array: numpy's read-only zeros (no view to follow)
                zeros = ast.copy_location(ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "zeros_like",
                                                                 ast.Load()), [node.args[0]], []), node)
                notes.resolve_call(zeros, np.zeros_like, lookup(np.zeros_like))
                s.value = zeros
                changed = True
                continue
            if notes.method(node) is None or not node.args:
                continue
            k = inference.expr(node.args[0])
            if k.cls != "array" or _dtype(k) == "c":
                continue   # (a number is immutable; a complex array's conjugate is a copy)
            if k.ndim == 0:
                raise UnsupportedSyntaxError(
                    f"`.{notes.method(node)}()` of a 0-d array returns the array itself when it is real (a "
                    "number, where its kinds were read), which the analyses do not follow.",
                    filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                    hint="of a real array use the array itself; else np.conj(s), a new value.")
            if _dtype(k) in ("b", "i", "f") and isinstance(s, ast.Assign) and s.value is node \
                    and isinstance(node.args[0], ast.Name):
                s.value = ast.copy_location(ast.Name(node.args[0].id, ast.Load()), node)
                changed = True
                continue
            raise UnsupportedSyntaxError(
                f"`.{notes.method(node)}()` returns the array itself when it is real and a copy when it is "
                "complex, and which this array is is not known here.",
                filename=pf.filename, lineno=s.lineno, construct=pf.line_text(s.lineno),
                hint="write np.conj(x) for a copy, or x itself for a real array.")
    return changed
