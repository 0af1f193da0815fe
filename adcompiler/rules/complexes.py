"""Complex values: how each rule's templates hold for them (``Rule.complex``),
and the functions that exist for complex numbers (``real``, ``imag``,
``conj``, ``angle``) or treat them differently (``abs``, ``vdot``, ``norm``).

Convention: for a real loss ``L`` the adjoint of a complex ``z`` is
``dL/dRe(z) + 1j * dL/dIm(z)``. For a function holomorphic in ``x`` the
adjoint is ``conj(f'(x)) * g``: the code generator wraps the real template as
``conj(template(conj(g)))``. A rule not listed here is refused when a
complex value reaches it (see ``transform/builder.FormBuilder.check_complex``).
"""
import builtins
import cmath

import numpy as np

from ..analysis.kinds import COMPLEX, FLOAT, Kind, array
from ..runtime import complexes as C
from ..runtime import core as R
from ..runtime import einsums as E
from ..runtime import fft as F
from ..runtime import finite as FN
from ..runtime import inserts as I
from ..runtime import linalg as L
from ..runtime import lists as LS
from ..runtime import norms as NM
from ..runtime import numpy as RN
from ..runtime import products as P
from ..runtime import windows as W
from . import (  # noqa: F401  (marked here)
    curves,
    indexing,
    linalg,
    nondiff,
    python,
    reductions,
    runtime_rules,
    shape,
    ufuncs,
)
from .registry import Rule, _params, defrule, lookup

LINEAR = (
    np.add, np.subtract, np.negative, np.positive, np.where, np.nan_to_num,
    np.sum, np.mean, np.nansum, np.cumsum, np.diff, np.trace, np.add.reduce, np.add.accumulate,
    np.reshape, np.transpose, np.ravel, np.moveaxis, np.swapaxes, np.expand_dims, np.squeeze,
    np.broadcast_to, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.flip, np.fliplr, np.flipud,
    np.rot90, np.roll, np.tile, np.repeat, np.pad, np.diag, np.diagflat, np.diagonal, np.tril, np.triu,
    RN.diag_copy, RN.broadcast_copy, np.lib.stride_tricks.sliding_window_view, W.window_copy,
    np.take, np.take_along_axis, np.append, np.insert, np.array, np.asarray, np.ascontiguousarray, np.asfortranarray, np.copy, np.split, np.array_split,
    np.concatenate, np.stack, np.hstack, np.vstack, np.column_stack, np.full, np.full_like, np.bincount,
    RN.scatter_sum, np.resize,
    np.sort, np.polyder,
)
HOLOMORPHIC = (
    np.multiply, np.divide, np.square, np.reciprocal, np.exp, np.log, np.sin, np.cos, np.tan, np.tanh,
    np.sqrt, np.exp2, np.expm1, np.log2, np.log10, np.log1p, np.arcsin, np.arccos, np.arctan, np.sinh,
    np.cosh, np.arcsinh, np.arccosh, np.arctanh,
    np.prod, np.cumprod, np.average,
    np.dot, np.matmul, np.inner, np.outer, np.tensordot, np.einsum, np.kron, np.cross, np.convolve,
    np.linalg.solve, np.linalg.inv, np.linalg.det, np.linalg.matrix_power, np.polyval,
)
#: helpers of generated reverse code, differentiated again for second derivatives (forward mode only)
RUNTIME_LINEAR = (
    R.unbroadcast, R.unreduce, R.broadcast_like, R.fresh_like, R.copy, LS.copy_method, R.np_number, R.index_adjoint,
    R.per_element,
    R.gather_last, RN.mean_adjoint, RN.cumsum_adjoint, RN.diff_adjoint, RN.split_adjoint, RN.pad_adjoint,
    RN.take_adjoint, RN.take_along_axis_adjoint, RN.roll_adjoint, RN.rot90_adjoint, RN.tile_adjoint,
    RN.repeat_adjoint, RN.resize_adjoint, RN.diag_adjoint, RN.diagonal_adjoint, RN.trace_adjoint,
    RN.concat_part, RN.expand, W.window_adjoint, I.insert_part,
)
RUNTIME_HOLOMORPHIC = (P.dot_adjoint_a, P.dot_adjoint_b, P.matmul_adjoint_a, P.matmul_adjoint_b,
                       L.inner_adjoint_a, L.inner_adjoint_b, L.tensordot_adjoint_a, L.tensordot_adjoint_b,
                       R.einsum_maybe, RN.safe_div, RN.prod_adjoint, L.det_adjoint, E.einsum_adjoints,
                       L.convolve_adjoint, L.cross_adjoint)
#: helpers written for complex values (runtime/complexes.py, runtime/fft.py)
RUNTIME_EXACT = (C.real_if, C.conj_each, C.imag_adjoint, C.abs_adjoint, C.vdot_adjoint_a, NM.norm_adjoint,
                 FN.unread_product, FN.overflow_term, FN.finite_tangent,
                 F.fft_adjoint, F.fftn_adjoint, F.rfft_adjoint, F.irfft_adjoint, F.rfftn_adjoint,
                 F.irfftn_adjoint)
#: holomorphic in the named parameters only (the others are refused)
PARTLY = {np.power: ("x1",), np.float_power: ("x1",)}


def _mark(funcs, mode):
    for f in funcs:
        rule = lookup(f)
        if rule is not None:
            rule.complex.setdefault("*", mode)


_mark(LINEAR + RUNTIME_LINEAR, "linear")
_mark(HOLOMORPHIC + RUNTIME_HOLOMORPHIC, "holomorphic")
_mark(RUNTIME_EXACT, "exact")
for _f, _ps in PARTLY.items():
    for _p in _ps:
        lookup(_f).complex[_p] = "holomorphic"


def _real_of(param):
    """The kind of a real-valued function of ``param``: its shape, dtype float."""
    def result(kinds, bound):
        k = kinds.get(param, FLOAT)
        if k.cls == "array":
            return array(k.ndim, "f")
        if k.cls == "num":
            return Kind("num", None, "f")
        return FLOAT
    return result


def _exact(rule, real=False):
    rule.complex["*"] = "exact"
    rule.real_result = real
    return rule


def _variant(func, params, real=False, **kw):
    """Complex-valid templates for ``func``, used where complex values may be
    (real code keeps the rule's own templates)."""
    rule = lookup(func)
    var = Rule(func, rule.name, _params(params), kw.pop("adjoints"), None, rule.kind, rule.result,
               kw.pop("doc", rule.doc), tangents=kw.pop("tangents"))
    _exact(var, real)
    _exact(rule, real).variant = var
    return var


_variant(np.absolute, "x", real=True, adjoints={"x": "_ad_abs_adjoint(g, x, ans)"},
         tangents={"x": "_ad_abs_tangent(t, x, ans)"})
_variant(builtins.abs, "x", real=True, adjoints={"x": "_ad_abs_adjoint(g, x, ans)"},
         tangents={"x": "_ad_abs_tangent(t, x, ans)"})
_variant(np.conjugate, "x", adjoints={"x": "np.conj(g)"}, tangents={"x": "np.conj(t)"})
# real and imag return views of complex arrays (writes through them write the array)
_variant(np.real, "val", real=True, adjoints={"val": "np.real(g)"}, tangents={"val": "np.real(t)"})
_exact(defrule(np.imag, "val", kind="view", val="_ad_imag_adjoint(g, val)", tangents={"val": "np.imag(t)"},
               result=_real_of("val"), doc="the adjoint is 1j Re(g); 0 for a real array"), real=True)
_exact(defrule(np.angle, "z, deg=False", z="_ad_angle_adjoint(g, z, deg)",
               tangents={"z": "_ad_angle_tangent(t, z, deg)"},
               result=_real_of("z"), doc="0 at z == 0 and for real z (piecewise constant)"), real=True)
_variant(np.vdot, "a, b", adjoints={"a": "_ad_vdot_adjoint_a(g, a, b)", "b": "g * np.reshape(a, np.shape(b))"},
         tangents={"a": "np.vdot(t, b)", "b": "np.vdot(a, t)"})
_NORM = "x, ord=None, axis=None, keepdims=False"
_variant(np.linalg.norm, _NORM, real=True, adjoints={"x": "_ad_cnorm_adjoint(g, x, ans, ord, axis, keepdims)"},
         tangents={"x": "_ad_cnorm_tangent(t, x, ans, ord, axis, keepdims)"})

# cmath: complex numbers of numbers (a real argument gives a complex result); holomorphic
for _f, _adjoint in ((cmath.exp, "g * ans"), (cmath.log, "g / x"), (cmath.sqrt, "g / (2 * ans)"),
                     (cmath.sin, "g * np.cos(x)"), (cmath.cos, "-g * np.sin(x)"), (cmath.tan, "g * (1 + ans * ans)"),
                     (cmath.sinh, "g * np.cosh(x)"), (cmath.cosh, "g * np.sinh(x)"),
                     (cmath.tanh, "g * (1 - ans * ans)")):
    defrule(_f, "x", "elementwise", result=lambda kinds, bound: COMPLEX, x=_adjoint).complex["*"] = "holomorphic"
# complex(re, im) is re + 1j * im: the adjoint of a real part is Re(g), of an imaginary part Im(g)
_exact(defrule(builtins.complex, "real=0.0, imag=0.0", real="_ad_real_if(g, real)",
               imag="_ad_real_if(-1j * g, imag)", tangents={"real": "t + 0j", "imag": "1j * t"},
               result=lambda kinds, bound: COMPLEX, doc="real + 1j * imag"))
