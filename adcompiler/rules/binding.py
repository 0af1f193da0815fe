"""Bind the arguments of a normalized call to a rule's parameter names."""
from __future__ import annotations

import ast

from ..errors import UnsupportedSyntaxError
from .registry import REQUIRED


def bind(rule, call: ast.Call) -> dict:
    """param name -> argument expression (defaults as ``ast.Constant``/parsed)."""
    out = {}
    params = rule.param_names
    if not params:
        return out
    args = list(call.args)
    if isinstance(rule.varargs, str):
        # every positional from this parameter on, packed (parameters after it are keywords)
        i = params.index(rule.varargs)
        args = args[:i] + [ast.Tuple(args[i:], ast.Load())] if len(args) > i else args
        params = params[:i + 1]
    elif rule.varargs and len(args) > len(params):
        args = args[:len(params) - 1] + [ast.Tuple(args[len(params) - 1:], ast.Load())]
    if len(args) > len(params):
        raise UnsupportedSyntaxError(f"too many arguments for {rule.name} (differentiated with the parameters "
                                     f"{', '.join(params) or 'none'}).", construct=ast.unparse(call),
                                     lineno=getattr(call, "lineno", None),
                                     hint="check the call; call it once per array where numpy takes several.")
    for p, a in zip(params, args):
        out[p] = a
    for kw in call.keywords:
        if kw.arg not in rule.param_names:
            raise UnsupportedSyntaxError(
                f"the keyword `{kw.arg}` of {rule.name} is not supported.", construct=ast.unparse(call),
                lineno=getattr(call, "lineno", None),
                hint=f"supported parameters: {', '.join(rule.param_names)}.")
        out[kw.arg] = kw.value
    for p, default in rule.params:
        if p not in out:
            if default is REQUIRED:
                if rule.adjoints and p in rule.adjoints:
                    raise UnsupportedSyntaxError(f"{rule.name} needs the argument `{p}`.",
                                                 construct=ast.unparse(call), lineno=getattr(call, "lineno", None),
                                                 hint="pass it explicitly.")
                continue
            out[p] = ast.parse(default, mode="eval").body
    return out
