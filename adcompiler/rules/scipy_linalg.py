"""``scipy.linalg``: ``cholesky``, ``cho_factor``, ``cho_solve``,
``solve_triangular``, ``solve``, ``inv`` and ``det``, for real matrices.

scipy is not a dependency: the rules are registered on the first look-up of a
function without a rule once scipy is imported (``scipy_linalg_rules``, kept
in ``registry._later``). Each derivative lives on the part of the matrix scipy
reads (a triangle, the triangle of a symmetric matrix, not a unit diagonal);
flags that write the arguments (``overwrite_a``, ``overwrite_b``) and
structures without a derivative here are refused where a derivative reaches
the call. The helpers of ``runtime/scipy_linalg.py`` are differentiated again
from their own source (second derivatives).
"""
from __future__ import annotations

import ast
import sys

from ..runtime import scipy_linalg as S
from .linalg import _product_kind, _same_rank, _scalar_of_matrix, _solve_rank
from .registry import defrule, differentiate_source

#: ``solve_triangular``'s values of ``trans``
TRANS = (0, 1, 2, "N", "T", "C")


def _constant(node):
    if isinstance(node, ast.Constant):
        return True, node.value
    if isinstance(node, ast.UnaryOp):
        try:
            return True, ast.literal_eval(node)
        except ValueError:
            pass
    return False, None


def _refusals(allowed: dict):
    """``refuse_when``: each parameter of ``allowed`` absent or a constant among its values
    (a value known only when the code runs is checked by the helpers then, where listed
    with ``...`` among its values)."""
    def refuse_when(bound, p):
        for param, values in allowed.items():
            node = bound.get(param)
            if node is None:
                continue
            known, value = _constant(node)
            if known and value in values or not known and ... in values:
                continue
            shown = ast.unparse(node) if isinstance(node, ast.AST) else repr(node)
            why = values[-1] if isinstance(values[-1], str) and values[-1].startswith("(") else ""
            return f"{param}={shown} is not differentiated {why}".rstrip()
    return refuse_when


_NO_OVERWRITE = "(the derivative reads the arguments as they were; pass overwrite_a=False, overwrite_b=False)"
_FLAGS = {"overwrite_a": (False, _NO_OVERWRITE), "overwrite_b": (False, _NO_OVERWRITE)}
_STRUCTURE = "(differentiated: 'gen', 'sym', 'her', 'pos', 'upper triangular', 'lower triangular'"


def _cho_factor_kind(kinds, bound):
    from ..analysis.kinds import BOOL, Kind
    return Kind("tuple", elts=(_same_rank(kinds, bound), BOOL))


def _cho_solve_kind(kinds, bound):
    from ..analysis.kinds import array
    c, kb = kinds.get("c_and_lower"), kinds.get("b")
    nb = kb.ndim if kb is not None and kb.cls == "array" else None
    kc = c.elts[0] if c is not None and c.cls == "tuple" and c.elts else None
    nc = kc.ndim if kc is not None and kc.cls == "array" else None
    return array(None if nb is None or nc is None else _solve_rank(nc, nb, bound))


def scipy_linalg_rules() -> bool:
    """Register the rules of ``scipy.linalg`` (once); whether scipy is there."""
    sl = sys.modules.get("scipy.linalg")
    if sl is None:
        try:   # (a look-up once scipy.special is imported: this hook runs once)
            import scipy.linalg as sl
        except ImportError:
            return False
    solve_rank = _product_kind(_solve_rank)
    _rule(sl.cholesky, "a, lower=False, overwrite_a=False, check_finite=True", _FLAGS,
          a="_ad_sl_cholesky_adjoint(g, ans, lower)", tangents={"a": "_ad_sl_cholesky_tangent(t, ans, lower)"},
          result=_same_rank, doc="the upper factor U (A = U^T U, upper triangle read) or with lower=True "
                                 "the lower one; the adjoint lives on the triangle read")
    _rule(sl.solve_triangular,
          "a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True",
          dict(_FLAGS, trans=TRANS + (..., "(trans is 0, 1, 2, 'N', 'T' or 'C')")),
          a="_ad_sl_solve_triangular_adjoint_a(g, a, b, ans, trans, lower, unit_diagonal)",
          b="_ad_sl_solve_triangular_adjoint_b(g, a, b, trans, lower, unit_diagonal)",
          tangents={"a": "_ad_sl_solve_triangular_tangent_a(t, a, b, ans, trans, lower, unit_diagonal)",
                    "b": "_ad_sl_solve_triangular_tangent_b(t, a, b, trans, lower, unit_diagonal)"},
          result=solve_rank, doc="every trans; the adjoint of a on the triangle read (without a unit diagonal)")
    _rule(sl.cho_factor, "a, lower=False, overwrite_a=False, check_finite=True", _FLAGS,
          a="_ad_sl_cho_factor_adjoint(g, a, ans)", tangents={"a": "_ad_sl_cho_factor_tangent(t, ans)"},
          result=_cho_factor_kind, tuple=True,
          doc="the factor's triangle only: a derivative reaching the other triangle of c (arbitrary "
              "values) is refused when the code runs, and its tangent is NaN")
    _rule(sl.cho_solve, "c_and_lower, b, overwrite_b=False, check_finite=True", _FLAGS,
          c_and_lower="_ad_sl_cho_solve_adjoint_c(g, c_and_lower, b, ans)",
          b="_ad_sl_cho_solve_adjoint_b(g, c_and_lower, b)",
          tangents={"c_and_lower": "_ad_sl_cho_solve_tangent_c(t, c_and_lower, b, ans)",
                    "b": "_ad_sl_cho_solve_tangent_b(t, c_and_lower, b)"},
          result=_cho_solve_kind, doc="the factor read from its triangle of c").tuples = {"c_and_lower": 2}
    _rule(sl.solve, "a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True, "
                    "assume_a=None, transposed=False",
          dict(_FLAGS, assume_a=S.STRUCTURES + (..., _STRUCTURE + ", 'diagonal')")),
          a="_ad_sl_solve_adjoint_a(g, a, b, ans, assume_a, lower, transposed)",
          b="_ad_sl_solve_adjoint_b(g, a, b, assume_a, lower, transposed)",
          tangents={"a": "_ad_sl_solve_tangent_a(t, a, b, ans, assume_a, lower, transposed)",
                    "b": "_ad_sl_solve_tangent_b(t, a, b, assume_a, lower, transposed)"},
          result=solve_rank, doc="assume_a 'gen', 'sym', 'her', 'pos' (one triangle read), "
                                 "'upper triangular', 'lower triangular', 'diagonal'; transposed")
    _rule(sl.inv, "a, overwrite_a=False, check_finite=True, assume_a=None, lower=False",
          dict(_FLAGS, assume_a=tuple(s for s in S.STRUCTURES if s != "diagonal") + (..., _STRUCTURE + ")")),
          a="_ad_sl_inv_adjoint(g, a, ans, assume_a, lower)",
          tangents={"a": "_ad_sl_inv_tangent(t, a, ans, assume_a, lower)"}, result=_same_rank,
          doc="assume_a 'gen', 'sym', 'her', 'pos' (one triangle read), 'upper/lower triangular'")
    _rule(sl.det, "a, overwrite_a=False, check_finite=True", _FLAGS,
          a="_ad_det_adjoint(g, a, ans)", tangents={"a": "_ad_det_tangent(t, a, ans)"},
          result=_scalar_of_matrix, doc="singular matrices included (the cofactor matrix)")
    return True


def _rule(func, params, allowed, doc="", tuple=False, **kw):
    rule = defrule(func, params, name="scipy.linalg." + func.__name__, doc=doc + "; real values", **kw)
    rule.refuse_when = _refusals(allowed)
    rule.tuple_result = tuple
    return rule


differentiate_source(
    S.sl_read, S.sl_read_adjoint, S._structure, S._eye, S._triangle, S._matrix, S._vector, S._solved,
    S._outer_adjoint, S.sl_flips, S.sl_triangle_read, S.sl_triangular,
    S.sl_solve_adjoint_a, S.sl_solve_adjoint_b, S.sl_solve_triangular_adjoint_a, S.sl_solve_triangular_adjoint_b,
    S.sl_inv_adjoint, S.sl_cholesky_adjoint, S.sl_cho_factor_adjoint, S._factored,
    S.sl_cho_solve_adjoint_c, S.sl_cho_solve_adjoint_b,
)
# linear in the adjoint, refused again where the adjoint's tangent reaches the other triangle
# (its derivative there is not the zero the triangle's adjoint is: scipy leaves a's values there)
defrule(S.sl_factor_used, "gc, c, lower", result=lambda kinds, bound: kinds.get("c"),
        tangents={"gc": "_ad_sl_factor_used(t, c, lower)", "c": "0.0"})
