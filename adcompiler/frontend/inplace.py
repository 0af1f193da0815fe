"""In-place numpy calls that normalize rewrites into stores.

``HANDLERS`` maps a numpy callable to ``handler(normalizer, call, kw)``: it
emits statements through the normalizer (``normalizer.store``,
``normalizer.temp``, ``normalizer.atom``...) and returns the expression the
call evaluates to (``ast.Constant(None)`` for functions returning None).
``METHOD_HANDLERS`` does the same for array methods (``x.sort()``), keyed by
method name, with the array expression as an extra argument.
"""
from __future__ import annotations

HANDLERS: dict = {}
METHOD_HANDLERS: dict = {}
