"""Run single passes on source text, for examples and golden tests of the passes."""
from __future__ import annotations

import ast
import math

import numpy as np

from ..codegen.naming import Namer, names_in
from ..frontend.normalize import Normalizer
from ..frontend.parse import ParsedFunction
from ..frontend.resolve import Resolver


def normal_form(source: str, namespace: dict | None = None) -> str:
    """The normalized body of the one function defined in ``source`` (run with
    ``numpy as np``, ``math`` and ``namespace`` as its globals), as source."""
    tree = ast.parse(source).body[0]
    env = {"np": np, "math": math, **(namespace or {})}
    exec(compile(source, "<normal_form>", "exec"), env)  # noqa: S102 (the caller's own example source)
    pf = ParsedFunction(env[tree.name], tree, "<normal_form>", source, source.splitlines())
    resolver = Resolver(pf)
    namer = Namer(names_in(tree) | set(resolver.free_names()) | {"np", "math"})
    for a in tree.args.posonlyargs + tree.args.args:
        namer.adjoint(a.arg)
    body = Normalizer(pf, resolver, namer).run()
    return ast.unparse(ast.Module(body=body, type_ignores=[]))
