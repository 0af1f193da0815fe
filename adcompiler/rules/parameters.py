"""Parameter values the rules do not differentiate, refused where a derivative
reaches the call (``Rule.refuse_when``). Each was once ignored: the derivative
came out as that of the default (``np.pad(mode="maximum")`` as if it padded
with the elements at the largest index, ``eigh(UPLO="U")`` with the lower
triangle's derivative, ``pinv(rcond=...)`` untruncated)."""
from __future__ import annotations

import ast

import numpy as np

from . import curves, linalg, reductions, shape, statistics  # noqa: F401  (the tables amended here)
from .registry import lookup

la = np.linalg


def _only(param, allowed, why):
    """Refuse unless ``param`` is absent or a constant among ``allowed``."""
    def refuse_when(bound, p):
        v = bound.get(param)
        if v is None or (isinstance(v, ast.Constant) and v.value in allowed):
            return None
        if isinstance(v, ast.UnaryOp):   # (a negative number: -1)
            try:
                if ast.literal_eval(v) in allowed:
                    return None
            except ValueError:
                pass
        shown = ast.unparse(v) if isinstance(v, ast.AST) else repr(v)
        return f"{param}={shown} is not differentiated ({why})"
    return refuse_when


def _all(*checks):
    def refuse_when(bound, p):
        for check in checks:
            why = check(bound, p)
            if why:
                return why
        return None
    return refuse_when


_REFUSALS = {
    np.pad: _only("mode", ("constant", "edge", "reflect", "symmetric", "wrap"),
                  "the statistic modes pad with values chosen by size, 'linear_ramp' with values between the "
                  "edge and end_values, and 'empty' with garbage"),
    la.eigh: _only("UPLO", ("L",), "the derivative reads the lower triangle, as numpy's default does"),
    la.eigvalsh: _only("UPLO", ("L",), "the derivative reads the lower triangle, as numpy's default does"),
    la.pinv: _all(_only("rcond", (None,), "the derivative assumes no singular value is cut"),
                  _only("hermitian", (False,), "the derivative is that of a general matrix")),
    la.lstsq: _only("rcond", (None, -1), "the derivative assumes no singular value is cut"),
    la.svd: _only("hermitian", (False,), "the derivative is that of a general matrix"),
    la.qr: _only("mode", ("reduced",), "the derivative is that of the reduced factors"),
    np.linspace: _only("retstep", (False,), "the step is returned without its derivative"),
    np.average: _only("returned", (False,), "the sum of the weights is returned without its derivative"),
    np.interp: _only("period", (None,), "the derivative does not wrap the queries into the period"),
}
for _f, _check in _REFUSALS.items():
    _rule = lookup(_f)
    assert _rule is not None, _f   # (a rule renamed or moved: its refusal must move with it)
    _rule.refuse_when = _check if _rule.refuse_when is None else _all(_rule.refuse_when, _check)
