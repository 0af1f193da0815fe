"""The rule table: one row per rule (and per notable variant).

A row names a numpy expression in the arguments ``x, y, z``, each drawn from a
domain (``u`` in (-1, 1), ``p`` in (0.5, 2), ``s`` in (-0.8, 0.8), ``g`` in
(1.5, 3), ``m`` a symmetric positive-definite matrix, ``d`` a well
conditioned matrix) with a shape (``"3,4"``; ``""`` is a Python float). The
harness wraps the expression in a kernel ``r = <expr>; return np.sum(r * w)``
and checks its gradient against central finite differences and autograd.
``body`` replaces the single assignment by several statements ending with
``r = ...``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    name: str
    expr: str
    args: tuple
    body: str | None = None
    ag: bool = True        # compare with autograd when it has the function
    f32: bool = False      # also run in float32
    key: str = field(default="")


ROWS: list = []


def R(name, expr, *args, **kw):
    ROWS.append(Row(name, expr, args, **kw))


# -- elementwise, unary ------------------------------------------------------------------
for f, dom in [("negative", "u"), ("positive", "u"), ("reciprocal", "p"), ("square", "u"), ("sqrt", "p"),
               ("cbrt", "p"), ("exp", "u"), ("exp2", "u"), ("expm1", "u"), ("log", "p"), ("log2", "p"),
               ("log10", "p"), ("log1p", "p"), ("sin", "u"), ("cos", "u"), ("tan", "s"), ("arcsin", "s"),
               ("arccos", "s"), ("arctan", "u"), ("sinh", "u"), ("cosh", "u"), ("tanh", "u"), ("arcsinh", "u"),
               ("arccosh", "g"), ("arctanh", "s"), ("abs", "u"), ("absolute", "u"), ("fabs", "u"),
               ("sinc", "u"), ("deg2rad", "u"), ("rad2deg", "u"), ("radians", "u"), ("degrees", "u"),
               ("conjugate", "u"), ("real", "u"), ("nan_to_num", "u")]:
    R(f, f"np.{f}(x)", f"{dom}:3,4", f32=f in ("exp", "tanh", "sqrt"))
R("exp_scalar", "np.exp(x)", "u:")
R("sin_0d", "np.sin(x) * 2.0", "u:4")

# -- elementwise, binary (broadcasting) ---------------------------------------------------
for f, d1, d2 in [("add", "u", "u"), ("subtract", "u", "u"), ("multiply", "u", "u"), ("divide", "u", "p"),
                  ("true_divide", "u", "p"), ("power", "p", "u"), ("float_power", "p", "u"), ("fmod", "p", "g"),
                  ("remainder", "p", "g"), ("mod", "p", "g"), ("logaddexp", "u", "u"), ("logaddexp2", "u", "u"),
                  ("hypot", "u", "u"), ("arctan2", "u", "u"), ("maximum", "u", "u"), ("minimum", "u", "u"),
                  ("fmax", "u", "u"), ("fmin", "u", "u"), ("copysign", "u", "u")]:
    R(f, f"np.{f}(x, y)", f"{d1}:3,4", f"{d2}:4", f32=f == "multiply")
    R(f + "_col", f"np.{f}(x, y)", f"{d1}:3,1", f"{d2}:3,4")
R("add_scalar", "np.add(x, y)", "u:3,4", "u:")
R("power_scalar_exp", "np.power(x, 3.0)", "p:5")
R("ldexp", "np.ldexp(x, 3)", "u:5")
R("where", "np.where(x > 0, x, y)", "u:3,4", "u:4")
R("clip", "np.clip(x, -0.5, 0.5)", "u:3,4")
R("clip_bounds", "np.clip(x, y, z)", "u:6", "s:", "g:6")
R("clip_method", "x.clip(-0.3, 0.4)", "u:3,4")
for op in ["+", "-", "*", "/", "**"]:
    R(f"binop{op}", f"x {op} y", "p:3,4", "p:4")
R("matmul_op", "x @ y", "u:3,4", "u:4,2")
R("neg_op", "-x", "u:3")

# -- python and math on scalars -----------------------------------------------------------
for f, dom in [("exp", "u"), ("log", "p"), ("sin", "u"), ("cos", "u"), ("tan", "s"), ("tanh", "u"), ("sqrt", "p"),
               ("fabs", "u"), ("expm1", "u"), ("log1p", "p"), ("log2", "p"), ("log10", "p"), ("asin", "s"),
               ("acos", "s"), ("atan", "u"), ("sinh", "u"), ("cosh", "u"), ("asinh", "u"), ("acosh", "g"),
               ("atanh", "s"), ("erf", "u"), ("erfc", "u"), ("degrees", "u"), ("radians", "u")]:
    R("math_" + f, f"math.{f}(x)", f"{dom}:", ag=False)
R("math_pow", "math.pow(x, y)", "p:", "u:", ag=False)
R("math_atan2", "math.atan2(x, y)", "u:", "u:", ag=False)
R("math_hypot", "math.hypot(x, y)", "u:", "u:", ag=False)
R("math_copysign", "math.copysign(x, y)", "u:", "u:", ag=False)
R("builtin_abs", "abs(x)", "u:", ag=False)
R("builtin_max", "max(x, y)", "u:", "u:", ag=False)
R("builtin_min", "min(x, y)", "u:", "u:", ag=False)
R("builtin_float", "float(np.sum(x))", "u:3", ag=False)
R("builtin_sum", "sum(x)", "u:3,4", ag=False)

# -- reductions --------------------------------------------------------------------------
for f, dom in [("sum", "u"), ("mean", "u"), ("prod", "p"), ("max", "u"), ("min", "u"), ("amax", "u"),
               ("amin", "u"), ("nanmax", "u"), ("nanmin", "u"), ("var", "u"), ("std", "u"), ("ptp", "u"),
               ("nansum", "u"), ("nanmean", "u")]:
    R(f, f"np.{f}(x)", f"{dom}:3,4", f32=f == "sum")
    R(f + "_axis0", f"np.{f}(x, axis=0)", f"{dom}:3,4")
    R(f + "_axis_tuple_keep", f"np.{f}(x, axis=(0, 2), keepdims=True)", f"{dom}:2,3,2")
R("sum_where", "np.sum(x, where=x > 0)", "u:3,4", ag=False)
R("mean_where", "np.mean(x, axis=1, where=x > -0.5)", "u:3,4", ag=False)
R("prod_zero", "np.prod(x * (x > -0.2), axis=1)", "u:3,5", ag=False)
R("var_ddof", "np.var(x, axis=1, ddof=1)", "u:3,4")
R("std_ddof", "np.std(x, ddof=1)", "u:3,4")
R("cumsum", "np.cumsum(x)", "u:3,4")
R("cumsum_axis", "np.cumsum(x, axis=1)", "u:3,4")
R("cumprod", "np.cumprod(x)", "p:5")
R("cumprod_axis", "np.cumprod(x, axis=0)", "u:3,4")
R("diff", "np.diff(x)", "u:3,5")
R("diff_n2_axis0", "np.diff(x, n=2, axis=0)", "u:5,3")
R("average", "np.average(x)", "u:3,4")
R("average_weights", "np.average(x, axis=1, weights=y)", "u:3,4", "p:4")
R("average_weights_full", "np.average(x, weights=y)", "u:3,4", "p:3,4")
for ordr in ["None", "1", "2", "np.inf", "-np.inf", "3"]:
    R(f"norm_vec_{ordr}", f"np.linalg.norm(x, ord={ordr})", "u:5")
R("norm_axis", "np.linalg.norm(x, axis=1)", "u:3,4")
R("norm_axis_keep", "np.linalg.norm(x, axis=0, keepdims=True)", "u:3,4")
for ordr in ["'fro'", "'nuc'", "1", "-1", "2", "-2", "np.inf", "-np.inf"]:
    R(f"norm_mat_{ordr.strip(chr(39))}", f"np.linalg.norm(x, ord={ordr})", "u:3,4")
R("norm_flat", "np.linalg.norm(x)", "u:2,3,2")
for m in ["sum", "mean", "max", "min", "prod", "std", "var", "cumsum", "cumprod"]:
    R(f"method_{m}", f"x.{m}(axis=0)", "p:3,4")
R("method_sum_all", "x.sum()", "u:3,4")

# -- shapes ------------------------------------------------------------------------------
R("reshape", "np.reshape(x, (4, 3))", "u:3,4")
R("reshape_method", "x.reshape(2, 6)", "u:3,4")
R("ravel", "np.ravel(x)", "u:3,4")
R("flatten", "x.flatten()", "u:3,4", ag=False)
R("transpose", "np.transpose(x)", "u:3,4")
R("transpose_axes", "np.transpose(x, (1, 2, 0))", "u:2,3,4")
R("T", "x.T", "u:3,4")
R("swapaxes", "np.swapaxes(x, 0, 2)", "u:2,3,4")
R("moveaxis", "np.moveaxis(x, 0, -1)", "u:2,3,4")
R("expand_dims", "np.expand_dims(x, 1)", "u:3,4")
R("squeeze", "np.squeeze(x)", "u:3,1,4")
R("broadcast_to", "np.broadcast_to(x, (3, 4))", "u:4", ag=False)
R("atleast_1d", "np.atleast_1d(x)", "u:", ag=False)
R("atleast_2d", "np.atleast_2d(x)", "u:4")
R("atleast_3d", "np.atleast_3d(x)", "u:3,4")
R("concatenate", "np.concatenate((x, y), axis=0)", "u:2,3", "u:4,3")
R("concatenate3_axis1", "np.concatenate([x, y, z], axis=1)", "u:2,3", "u:2,1", "u:2,2")
R("stack", "np.stack((x, y), axis=1)", "u:3,4", "u:3,4")
R("hstack", "np.hstack((x, y))", "u:3", "u:4")
R("hstack_2d", "np.hstack((x, y))", "u:3,2", "u:3,1")
R("vstack", "np.vstack((x, y))", "u:4", "u:2,4")
R("column_stack", "np.column_stack((x, y))", "u:4", "u:4,2")
R("array_of_list", "np.array([x, y])", "u:3", "u:3")
R("array_of_scalars", "np.array([[x, y], [y, x]])", "u:", "u:")
R("append", "np.append(x, y)", "u:2,2", "u:3")
R("split", "a", "u:6,2", body="a, b, c = np.split(x, 3)\n    r = a * b - c")
R("array_split", "a", "u:5", body="a, b = np.array_split(x, 2)\n    r = np.sum(a) * b")
R("flip", "np.flip(x, 0)", "u:3,4")
R("flip_all", "np.flip(x)", "u:3,4")
R("fliplr", "np.fliplr(x)", "u:3,4")
R("flipud", "np.flipud(x)", "u:3,4")
R("roll", "np.roll(x, 2)", "u:3,4")
R("roll_axis", "np.roll(x, -1, axis=1)", "u:3,4")
R("rot90", "np.rot90(x)", "u:3,4")
R("rot90_k", "np.rot90(x, 3)", "u:3,4")
R("tile", "np.tile(x, (2, 3))", "u:3,2")
R("tile_1d", "np.tile(x, 3)", "u:3")
R("repeat", "np.repeat(x, 2)", "u:3,2")
R("repeat_axis", "np.repeat(x, 3, axis=1)", "u:3,2")
R("repeat_method", "x.repeat(2, axis=0)", "u:3,2")
for mode in ["constant", "edge", "reflect", "symmetric", "wrap"]:
    R(f"pad_{mode}", f"np.pad(x, ((1, 2), (2, 1)), mode='{mode}')", "u:3,4", ag=mode == "constant")
R("pad_int", "np.pad(x, 2)", "u:4")
R("diag_vec", "np.diag(x)", "u:4")
R("diag_mat", "np.diag(x)", "u:4,4")
R("diag_k", "np.diag(x, 1)", "u:3")
R("diagonal", "np.diagonal(x)", "u:3,4")
R("diagonal_offset", "np.diagonal(x, 1)", "u:4,4", ag=False)
R("trace", "np.trace(x)", "u:4,4")
R("trace_3d", "np.trace(x, axis1=1, axis2=2)", "u:2,3,3")
R("trace_method", "x.trace()", "u:3,3")
R("triu", "np.triu(x)", "u:4,4")
R("tril_k", "np.tril(x, -1)", "u:4,4")
R("take", "np.take(x, IDX)", "u:3,4")
R("take_axis", "np.take(x, IDX2, axis=1)", "u:3,4")
R("take_along_axis", "np.take_along_axis(x, IDXA, axis=1)", "u:3,4", ag=False)
R("take_along_axis_broadcast", "np.take_along_axis(x, IDXB, axis=1)", "u:3,4", ag=False)
R("take_along_axis_row", "np.take_along_axis(x, IDXA, axis=1)", "u:1,4", ag=False)
R("sort", "np.sort(x)", "u:3,4")
R("sort_axis0", "np.sort(x, axis=0)", "u:3,4")
R("sort_none", "np.sort(x, axis=None)", "u:3,4", ag=False)
R("copy", "np.copy(x)", "u:3,4")
R("copy_method", "x.copy()", "u:3,4")
R("asarray", "np.asarray(x)", "u:3,4")
R("astype", "x.astype(float)", "u:3,4", ag=False)
R("full", "np.full((3, 2), x)", "u:", ag=False)
R("full_like", "np.full_like(y, x)", "u:", "u:3", ag=False)

# -- linear algebra ----------------------------------------------------------------------
R("dot_vv", "np.dot(x, y)", "u:4", "u:4")
R("dot_mv", "np.dot(x, y)", "u:3,4", "u:4")
R("dot_mm", "np.dot(x, y)", "u:3,4", "u:4,2", f32=True)
R("dot_method", "x.dot(y)", "u:3,4", "u:4")
R("matmul_batched", "np.matmul(x, y)", "u:2,3,4", "u:4,2")
R("matmul_vm", "np.matmul(x, y)", "u:3", "u:3,2")
R("vdot", "np.vdot(x, y)", "u:2,3", "u:6")
R("inner", "np.inner(x, y)", "u:3,4", "u:2,4")
R("inner_vv", "np.inner(x, y)", "u:4", "u:4")
R("outer", "np.outer(x, y)", "u:3", "u:2,2", ag=False)
R("tensordot", "np.tensordot(x, y, axes=1)", "u:2,3", "u:3,4")
R("tensordot_pairs", "np.tensordot(x, y, axes=([0, 2], [2, 0]))", "u:2,3,4", "u:4,5,2")
R("einsum_mm", "np.einsum('ij,jk->ik', x, y)", "u:2,3", "u:3,4")
R("einsum_implicit", "np.einsum('ij,jk', x, y)", "u:2,3", "u:3,4")
R("einsum_trace", "np.einsum('ii', x)", "u:3,3", ag=False)
R("einsum_diag", "np.einsum('ii->i', x)", "u:3,3", ag=False)
R("einsum_sum", "np.einsum('ij->i', x)", "u:3,4")
R("einsum_batch", "np.einsum('bij,bj->bi', x, y)", "u:2,3,4", "u:2,4")
R("kron", "np.kron(x, y)", "u:2,3", "u:2,2")
R("kron_1d", "np.kron(x, y)", "u:3", "u:2")
R("cross", "np.cross(x, y)", "u:4,3", "u:3")
R("solve_vec", "np.linalg.solve(x, y)", "d:3,3", "u:3")
R("solve_mat", "np.linalg.solve(x, y)", "d:3,3", "u:3,2")
R("inv", "np.linalg.inv(x)", "d:3,3")
R("det", "np.linalg.det(x)", "d:3,3")
R("slogdet", "a", "d:3,3", body="s, a = np.linalg.slogdet(x)\n    r = a * s")
R("cholesky", "np.linalg.cholesky(x)", "m:3,3", ag=False)
R("cholesky_sym", "np.linalg.cholesky(x @ x.T + 3.0 * np.eye(3))", "u:3,3", ag=False)
R("qr", "a", "u:4,3", body="q, rr = np.linalg.qr(x)\n    r = np.sum(q * W43) + np.sum(rr * W33)", ag=False)
R("eigh", "a", "m:3,3", body="ev, v = np.linalg.eigh(x)\n    r = np.sum(ev * W3) + np.sum((v * v) * W33)")
R("eigh_sym", "a", "u:3,3", body="ev, v = np.linalg.eigh(x + x.T)\n    r = ev * W3", ag=False)
R("eigvalsh", "np.linalg.eigvalsh(x)", "m:3,3", ag=False)
R("svd", "a", "u:4,3",
  body="u, sv, vh = np.linalg.svd(x, full_matrices=False)\n    r = np.sum((u * u) * W43) + np.sum(sv * W3)"
       " + np.sum((vh * vh) * W33)")
R("svd_vals", "np.linalg.svd(x, compute_uv=False)", "u:4,3")
R("pinv", "np.linalg.pinv(x)", "u:4,3")
R("lstsq", "a", "u:5,3", "u:5", body="sol = np.linalg.lstsq(x, y, rcond=None)\n    r = sol[0]", ag=False)

# -- indexing and in-place forms --------------------------------------------------------------
R("index_basic", "x[1:, ::2]", "u:3,4")
R("index_fancy_repeat", "x[IDX]", "u:6")
R("index_bool", "x[x > 0]", "u:3,4", ag=False)
R("index_int_pair", "x[IDX2, IDX2]", "u:3,3")
R("store_fancy", "a", "u:6", "u:4",
  body="a = np.zeros(6)\n    a[IDX4] = y * 2.0\n    r = a * x", ag=False)
R("store_bool", "a", "u:6", "u:6", body="a = x * 1.0\n    a[y > 0] = 0.5 * y[y > 0]\n    r = a", ag=False)
R("inc_fancy_repeat", "a", "u:6", "u:4", body="a = x * 1.0\n    a[IDX4] += y\n    r = a", ag=False)
R("add_at", "a", "u:6", "u:4", body="a = x * 1.0\n    np.add.at(a, IDX4, y)\n    r = a", ag=False)
R("subtract_at_2d", "a", "u:3,4", "u:4", body="a = x * 1.0\n    np.subtract.at(a, IDX2, y)\n    r = a", ag=False)
R("copyto_where", "a", "u:3,4", "u:4",
  body="a = x * 1.0\n    np.copyto(a, y, where=x > 0)\n    r = a", ag=False)
R("putmask", "a", "u:3,4", "u:3,4", body="a = x * 1.0\n    np.putmask(a, x > 0, y)\n    r = a", ag=False)
R("put", "a", "u:3,4", "u:3", body="a = x * 1.0\n    np.put(a, IDX3, y)\n    r = a", ag=False)
R("place", "a", "u:3,4", "u:2", body="a = x * 1.0\n    np.place(a, MASK34, y)\n    r = a", ag=False)
R("fill", "a", "u:3,4", "u:", body="a = x * 1.0\n    a.fill(y)\n    r = a * x", ag=False)
R("sort_inplace", "a", "u:3,4", body="a = x * 1.0\n    a.sort(axis=1)\n    r = a", ag=False)
R("out_ufunc", "a", "u:3,4", body="a = np.zeros((3, 4))\n    np.sin(x, out=a)\n    r = a", ag=False)
R("out_dot", "a", "u:3,4", "u:4", body="a = np.zeros(3)\n    np.dot(x, y, out=a)\n    r = a", ag=False)
R("out_sum", "a", "u:3,4", body="a = np.zeros(4)\n    np.sum(x, axis=0, out=a)\n    r = a", ag=False)
R("out_cumsum", "a", "u:3,4", body="a = np.zeros((3, 4))\n    np.cumsum(x, axis=1, out=a)\n    r = a", ag=False)
R("out_clip", "a", "u:3,4", body="a = np.zeros((3, 4))\n    np.clip(x, -0.5, 0.5, out=a)\n    r = a", ag=False)
R("out_matmul", "a", "u:3,4", "u:4,2", body="a = np.zeros((3, 2))\n    np.matmul(x, y, out=a)\n    r = a",
  ag=False)
R("out_mean", "a", "u:3,4", body="a = np.zeros(3)\n    np.mean(x, axis=1, out=a)\n    r = a", ag=False)
