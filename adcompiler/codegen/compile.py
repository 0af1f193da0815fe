"""compile: turn generated source into functions, visible to tracebacks.

The source is registered in ``linecache`` under a name that identifies the
function, so a traceback or a debugger inside generated code shows the
generated line.
"""
from __future__ import annotations

import hashlib
import linecache

from ..runtime import HELPERS


def compile_source(source: str, namespace: dict, label: str) -> dict:
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"<adcompiler {label} {digest}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    ns = {"__name__": "adcompiler_generated", "__builtins__": __builtins__}
    import math

    import numpy as np
    ns.update({"np": np, "math": math})
    ns.update(namespace)
    ns.update(HELPERS)
    exec(code, ns)  # noqa: S102 (generated module: the user's code and rule templates only)
    return ns
