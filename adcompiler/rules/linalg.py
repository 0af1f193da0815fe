"""Linear algebra: products (dot, matmul / @, vdot, inner, outer, tensordot,
einsum, kron, cross) and ``numpy.linalg`` factorizations and solvers."""
import ast

import numpy as np

from ..analysis.kinds import (
    BOOL,
    COMPLEX,
    FLOAT,
    INT,
    Kind,
    _dtype,
    array,
    maybe_number_product,
)
from .registry import defrule, lookup

NUM = Kind("num", None, "f")


def _nd(k):
    """The rank of a kind: 0 for scalars, None where unknown."""
    if k.cls in ("float", "int", "bool"):
        return 0
    return k.ndim if k.cls == "array" else None


def _of_rank(nd, *ks):
    dt = "f" if any(k.dtype in ("f", None) or k.cls == "float" for k in ks) else (ks[0].dtype or "f")
    if nd == 0:   # (a number: np.dot of integer vectors is an integer)
        return FLOAT if dt == "f" else {"i": INT, "b": BOOL, "c": COMPLEX}.get(dt, Kind("num", 0, dt))
    return array(nd, dt)


def _product_kind(rank, a="a", b="b"):
    """A product of ``a`` and ``b`` whose rank is ``rank(na, nb, bound)`` from the operands' ranks."""
    def result(kinds, bound):
        ka, kb = kinds.get(a, FLOAT), kinds.get(b, FLOAT)
        na, nb = _nd(ka), _nd(kb)
        if na is None or nb is None:
            return array(None) if "array" in (ka.cls, kb.cls) and not maybe_number_product(ka, kb) else NUM
        nd = rank(na, nb, bound)
        return array(None) if nd is None else _of_rank(nd, ka, kb)
    return result


def _dot_rank(na, nb, bound):
    return na + nb if 0 in (na, nb) else na + nb - 2


def _matmul_rank(na, nb, bound):
    if na == 1 and nb == 1:
        return 0
    if 1 in (na, nb):
        return max(na, nb) - 1
    return max(na, nb)


def _tensordot_rank(na, nb, bound):
    axes = bound.get("axes")
    if isinstance(axes, ast.Constant) and isinstance(axes.value, int):
        return na + nb - 2 * axes.value
    if isinstance(axes, (ast.Tuple, ast.List)) and len(axes.elts) == 2:
        first = axes.elts[0]
        n = len(first.elts) if isinstance(first, (ast.Tuple, ast.List)) else 1
        return na + nb - 2 * n
    return None


def _solve_rank(na, nb, bound):
    return max(na - 1, nb) if nb == 1 else max(na, nb)


def _same_rank(kinds, bound):
    k = kinds.get("a", FLOAT)
    return array(k.ndim if k.cls == "array" else None, "f")


def _scalar_of_matrix(kinds, bound):
    k = kinds.get("a", FLOAT)
    return FLOAT if k.ndim == 2 else array(None if k.ndim is None else k.ndim - 2)


def _tuple_of(*parts):
    """The kind of a tuple of separate fresh arrays, each part given as (its rank
    less the argument's, whether it is real for a complex argument)."""
    def result(kinds, bound):
        k = kinds.get("a", FLOAT)
        n = k.ndim if k.cls == "array" else None
        dt = "c" if k.dtype == "c" else "f" if k.dtype in ("f", "i", "b") else None

        def part(less, real):
            d = "f" if real else dt
            if n is None:
                return Kind("num", None, d)
            return array(n - less, d) if n - less > 0 else Kind("float", None, "c" if d == "c" else None)
        return Kind("tuple", elts=tuple(part(less, real) for less, real in parts))
    return result


def _einsum_kind(kinds, bound):
    s, ops = bound.get("subscripts"), kinds.get("operands")
    if not (isinstance(s, ast.Constant) and isinstance(s.value, str)):
        return NUM
    elts = ops.elts if ops is not None and ops.cls == "tuple" and ops.elts else ()
    ranks = [_nd(k) for k in elts]
    if "." in s.value and (not ranks or None in ranks):
        return NUM
    from ..runtime.einsums import _einsum_parts
    try:
        if not elts and "->" not in s.value:
            return NUM   # an implicit output needs every operand's letters
        # without '...' only the number of operands matters (their ranks may be unknown)
        _, out = _einsum_parts(s.value, [(1,) * r for r in ranks] if ranks and None not in ranks
                               else len(elts) or s.value.split("->")[0].count(",") + 1)
    except ValueError:
        return NUM
    cx = any(_dtype(k) == "c" for k in elts)
    if not out:
        return COMPLEX if cx else FLOAT   # (a complex scalar keeps its imaginary part)
    return array(len(out), "c") if cx else array(len(out))


defrule(np.dot, "a, b, out=None", a="_ad_dot_adjoint_a(g, a, b)", b="_ad_dot_adjoint_b(g, a, b)",
        tangents={"a": "np.dot(t, b)", "b": "np.dot(a, t)"}, result=_product_kind(_dot_rank))
defrule(np.matmul, "x1, x2", x1="_ad_matmul_adjoint_a(g, x1, x2)", x2="_ad_matmul_adjoint_b(g, x1, x2)",
        tangents={"x1": "t @ x2", "x2": "x1 @ t"}, result=_product_kind(_matmul_rank, "x1", "x2"))
defrule(np.vdot, "a, b", a="g * np.reshape(b, np.shape(a))", b="g * np.reshape(a, np.shape(b))",
        tangents={"a": "np.vdot(t, b)", "b": "np.vdot(a, t)"}, result=lambda k, b: FLOAT)
defrule(np.inner, "a, b", a="_ad_inner_adjoint_a(g, a, b)", b="_ad_inner_adjoint_b(g, a, b)",
        tangents={"a": "np.inner(t, b)", "b": "np.inner(a, t)"},
        result=_product_kind(lambda na, nb, bound: na + nb if 0 in (na, nb) else na + nb - 2))
defrule(np.outer, "a, b", a="np.reshape(np.dot(g, np.ravel(b)), np.shape(a))",
        b="np.reshape(np.dot(np.ravel(a), g), np.shape(b))",
        tangents={"a": "np.outer(t, b)", "b": "np.outer(a, t)"}, result=lambda k, b: array(2))
_OUTER_RANK = _product_kind(lambda na, nb, bound: na + nb, "A", "B")
defrule(np.add.outer, "A, B", A="_ad_outer_sum(g, np.ndim(A), np.ndim(g), True)",
        B="_ad_outer_sum(g, np.ndim(A), np.ndim(g), False)",
        tangents={"A": "np.add.outer(t, np.zeros_like(B))", "B": "np.add.outer(np.zeros_like(A), t)"},
        result=_OUTER_RANK, name="numpy.add.outer", doc="every pair of elements (floyd_warshall's A[i] + A[:, k])")
defrule(np.subtract.outer, "A, B", A="_ad_outer_sum(g, np.ndim(A), np.ndim(g), True)",
        B="-_ad_outer_sum(g, np.ndim(A), np.ndim(g), False)",
        tangents={"A": "np.subtract.outer(t, np.zeros_like(B))", "B": "np.subtract.outer(np.zeros_like(A), t)"},
        result=_OUTER_RANK, name="numpy.subtract.outer", doc="every pair of elements")
defrule(np.multiply.outer, "A, B", A="np.tensordot(g, B, np.ndim(B))", B="np.tensordot(A, g, np.ndim(A))",
        tangents={"A": "np.multiply.outer(t, B)", "B": "np.multiply.outer(A, t)"},
        result=_OUTER_RANK, name="numpy.multiply.outer", doc="every pair of elements (np.outer of any ranks)")
defrule(np.tensordot, "a, b, axes=2", a="_ad_tensordot_adjoint_a(g, a, b, axes)",
        b="_ad_tensordot_adjoint_b(g, a, b, axes)",
        tangents={"a": "np.tensordot(t, b, axes)", "b": "np.tensordot(a, t, axes)"},
        result=_product_kind(_tensordot_rank))
defrule(np.einsum, "subscripts, operands, optimize=False", varargs="operands",
        operands="_ad_einsum_adjoints(g, subscripts, operands)",
        tangents={"operands": "_ad_einsum_tangent(subscripts, operands, t)"}, result=_einsum_kind,
        doc="any number of operands (each adjoint an einsum of the cotangent with the others, in the "
            "order np.einsum_path finds); explicit or implicit output; repeated indices; '...'")
def _einsum_interleaved(bound, p):
    """np.einsum's interleaved form (operands and lists of axis numbers): its derivative is not known."""
    s = bound.get("subscripts")
    if p == "subscripts" and not (isinstance(s, ast.Constant) and isinstance(s.value, str)):
        return ("the interleaved form (operand, list of axes, operand, list of axes, ..., output axes) is not "
                "differentiated; write the subscripts as a string: np.einsum('ij,jk->ik', a, b)")
    return None


lookup(np.einsum).refuse_when = _einsum_interleaved
defrule(np.kron, "a, b", a="_ad_kron_adjoint(g, a, b, True)", b="_ad_kron_adjoint(g, a, b, False)",
        tangents={"a": "np.kron(t, b)", "b": "np.kron(a, t)"},
        result=_product_kind(lambda na, nb, bound: max(na, nb)), doc="operands of any ranks")
defrule(np.convolve, "a, v, mode='full'", a="_ad_convolve_adjoint(g, a, v, mode, True)",
        v="_ad_convolve_adjoint(g, a, v, mode, False)",
        tangents={"a": "np.convolve(t, v, mode)", "v": "np.convolve(a, t, mode)"},
        result=lambda kinds, bound: array(1), doc="1-D operands; every mode")
defrule(np.cross, "a, b", a="_ad_cross_adjoint(g, a, b, True)", b="_ad_cross_adjoint(g, a, b, False)",
        tangents={"a": "np.cross(t, b)", "b": "np.cross(a, t)"},
        result=_product_kind(lambda na, nb, bound: max(na, nb)),   # (3-vectors: numpy deprecates 2-vectors)
        doc="2- or 3-vectors along the last axis (a 2-vector has a zero third component)")

la = np.linalg
defrule(la.solve, "a, b", a="_ad_unbroadcast(_ad_solve_adjoint_a(g, a, ans), a)",
        b="_ad_unbroadcast(_ad_solve_adjoint_b(g, a, ans), b)",   # (numpy broadcasts the stacks)
        tangents={"a": "_ad_solve_tangent_a(t, a, ans)", "b": "np.linalg.solve(a, t)"},
        result=_product_kind(_solve_rank))
defrule(la.inv, "a", a="_ad_inv_adjoint(g, ans)", tangents={"a": "-(ans @ t @ ans)"}, result=_same_rank)
defrule(la.matrix_power, "a, n", a="_ad_matrix_power_adjoint(g, a, n)",
        tangents={"a": "_ad_matrix_power_tangent(t, a, n)"}, result=_same_rank)
defrule(la.det, "a", a="_ad_det_adjoint(g, a, ans)", tangents={"a": "_ad_det_tangent(t, a, ans)"},
        result=_scalar_of_matrix, doc="singular matrices included (the cofactor matrix)")
defrule(la.slogdet, "a", a="_ad_slogdet_adjoint(g, a)", tangents={"a": "_ad_slogdet_tangent(t, a, ans)"},
        result=_tuple_of((2, False), (2, True)), doc="the sign has no derivative")
defrule(la.cholesky, "a", a="_ad_cholesky_adjoint(g, ans)", tangents={"a": "_ad_cholesky_tangent(t, ans)"},
        result=_same_rank,
        doc="numpy reads the lower triangle only, so the adjoint lives there")
_QR_PAIR = _tuple_of((0, False), (0, False))


def _qr_result(kinds, bound):
    """(Q, R); R alone for mode="r" (refused with its line where a derivative reaches it)."""
    mode = bound.get("mode")
    return array(2) if isinstance(mode, ast.Constant) and mode.value == "r" else _QR_PAIR(kinds, bound)


defrule(la.qr, "a, mode='reduced'", a="_ad_qr_adjoint(g, a, ans)", tangents={"a": "_ad_qr_tangent(t, a, ans)"},
        result=_qr_result, doc="reduced mode, rows >= columns, full rank")
defrule(la.eigh, "a, UPLO='L'", a="_ad_eigh_adjoint(g, a, ans)", tangents={"a": "_ad_eigh_tangent(t, a, ans)"},
        result=_tuple_of((1, True), (0, False)),
        doc="distinct eigenvalues where the eigenvectors' adjoints are read (eigenvalues alone may repeat in "
            "first derivatives; second derivatives need them distinct); lower triangle read (UPLO='L')")
defrule(la.eigvalsh, "a, UPLO='L'", a="_ad_eigvalsh_adjoint(g, a)",
        tangents={"a": "_ad_eigvalsh_tangent(t, a)"}, result=lambda k, b: array(1),
        doc="distinct eigenvalues; lower triangle read")
defrule(la.svd, "a, full_matrices=True, compute_uv=True, hermitian=False",
        a="_ad_svd_adjoint(g, a, ans, full_matrices, compute_uv) if compute_uv else _ad_svdvals_adjoint(g, a)",
        tangents={"a": "_ad_svd_tangent(t, a, ans, full_matrices, compute_uv)"},
        result=lambda k, b: (array(None if k.get("a") is None or k["a"].ndim is None else k["a"].ndim - 1)
                             if isinstance(b.get("compute_uv"), ast.Constant) and b["compute_uv"].value is False
                             else _tuple_of((0, False), (1, True), (0, False))(k, b)
                             if "compute_uv" not in b or isinstance(b["compute_uv"], ast.Constant) else NUM),
        doc="non-zero singular values, distinct where the vectors' adjoints are read (and for second "
            "derivatives); full_matrices=False unless the matrix is square")
if hasattr(la, "svdvals"):   # numpy >= 2.0
    defrule(la.svdvals, "x", x="_ad_svdvals_adjoint(g, x)",
            tangents={"x": "_ad_svd_tangent(t, x, None, False, False)"},
            result=lambda k, b: array(None if k.get("x") is None or k["x"].ndim is None else k["x"].ndim - 1),
            doc="distinct non-zero singular values")
defrule(la.pinv, "a, rcond=None, hermitian=False", a="_ad_pinv_adjoint(g, a, ans)",
        tangents={"a": "_ad_pinv_tangent(t, a, ans)"}, result=_same_rank, doc="constant rank")
defrule(la.lstsq, "a, b, rcond=None", a="_ad_lstsq_adjoint_a(g, a, b, ans)", b="_ad_lstsq_adjoint_b(g, a, b, ans)",
        tangents={"a": "_ad_lstsq_tangent_a(t, a, b, ans)", "b": "_ad_lstsq_tangent_b(t, a, b, ans)"},
        result=lambda k, b: NUM,
        doc="full column rank (a matrix of dependent columns is refused when the derivative runs); "
            "the solution, the residuals and the singular values are differentiated (distinct singular values)")
for _f in (la.lstsq, la.slogdet, la.qr, la.eigh):
    lookup(_f).tuple_result = True
for _f, _n in ((la.slogdet, 2), (la.qr, 2), (la.eigh, 2), (la.svd, 3)):
    lookup(_f).fresh_parts = _n   # a tuple of separate arrays: writing one leaves the others
