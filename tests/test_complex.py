"""Complex numbers: complex arrays Duplicated, complex scalars Active.

Convention (docs/complex.md): for a real loss L the shadow of a complex z
holds dL/dRe(z) + 1j dL/dIm(z). Every kernel goes through every entry point
(tests/everywhere.py: reverse, split, emitted module, forward by the
dot-product test, vector mode, differentiate on autograd, PyTorch and JAX),
the finite differences moving the real and imaginary parts as two real
numbers; a few are also checked element by element against central
differences on Re and Im separately. Rules that do not hold for complex
values refuse them with a located error.
"""
import cmath
import inspect

import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import Active, Const, Duplicated, Forward, Reverse, autodiff
from adcompiler.errors import AdCompilerError, ShapeError

RNG = np.random.default_rng(7)
# a complex value cast into real memory would be a derivative rule's mistake here
pytestmark = pytest.mark.filterwarnings("error::numpy.exceptions.ComplexWarning")


def cplx(*shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def dup(x):
    return Duplicated(x.copy(), np.zeros_like(x))


# -- kernels -----------------------------------------------------------------------------

def abs2(z):
    return np.sum(np.abs(z) ** 2)


def re_im(z, w):
    y = z * w
    return np.sum(np.real(y) * np.imag(y))


def mixed(x, z):
    y = x * z
    return np.sum(np.abs(np.sin(y)) + y.real * 0.5 - y.imag)


def products(A, z):
    y = A @ z
    return np.real(np.vdot(y, y)) + np.sum(np.angle(z)) + np.real(np.dot(z, z))


def exp_into(s, z):
    s[:] = np.exp(z) * 2.0 - 1j * z


def analytic(z, w):
    return np.sum(np.real(np.log(z) * np.conj(w)) + np.imag(np.sqrt(z) * 1j)
                  + np.real(z ** 3 / w) + np.real(np.tanh(z) * np.cos(w)))


def linalg(A, b):
    return np.abs(np.linalg.det(A)) + np.real(np.sum(np.linalg.solve(A, b) * np.conj(b))) \
        + np.imag(np.trace(np.linalg.inv(A)))


def recurrence(z, c):
    for i in range(1, z.shape[0]):
        z[i] = z[i - 1] * c + z[i]
    return np.sum(np.abs(z) ** 2)


def einsum_reduce(A, B):
    C = np.einsum("ij,jk->ik", A, B)
    m = np.mean(C, axis=0)
    return np.sum(np.abs(np.cumsum(m) + np.prod(B[0])) ** 2)


def real_into_complex(x, out):
    out[:] = np.real(np.exp(1j * x) * (1.0 + 2.0j)) + np.abs(x * 1j)


def norm_of(z):
    return np.linalg.norm(z) + np.linalg.norm(z, 1) + np.linalg.norm(z.reshape(2, 3), "fro")


def conj_views(z, w):
    a = z.conj()
    t = w.T
    return np.sum(np.real(a * t[0])) + np.sum(np.real(np.conj(w) @ z))


def scalar_active(z, c):
    y = z * c + 1.0
    return np.sum(np.abs(y) ** 2) + np.real(c * c)


def sorted_parts(z):
    s = np.sort(z)
    return np.sum(np.real(s) * np.arange(1.0, 6.0)) + np.sum(np.imag(s) ** 2)


def strided(z):
    z[::2] *= 1j
    z[1:] += z[:-1] * (0.5 - 0.25j)
    return np.sum(np.real(z) ** 2 - np.imag(z))


def part_views(z, x):
    r = z.real
    r[0] = x[0] * 2.0
    i = np.imag(z)
    i[1:] = x[1:] ** 2
    return np.sum(np.abs(z) ** 2 + np.real(z) * np.imag(z))


def part_stores_inline(z, x, A):
    """Stores through the attribute views written inline (refused as stores into an expression)."""
    z.imag[:] = 2.0 * x
    z.real[1] += x[0] * x[2]
    A.T[0] = x * 3.0
    A.T[1:, 1] *= x[1:]
    z.real[0], z.imag[2] = x[1] * 0.5, x[0] * x[1]   # (a tuple target, and a chained one)
    A.T[2, 0] = A.T[2, 1] = x[2] * 1.5
    return np.sum(np.abs(z) ** 2 + np.real(z) * np.imag(z)) + np.sum(A * A)


def parts_set_whole(z, x, w):
    """``z.imag += x`` and ``z.real = v``: an array's parts set in place (they were refused as
    stores into an attribute)."""
    z.imag += x * x
    w.real = np.sin(x)
    z.real, w.imag = z.real * 2.0, x[::-1]
    y = x.astype(complex)
    y.imag += x
    return np.sum(np.abs(z) ** 2 + np.real(z * w)) + np.sum(np.abs(y) ** 2)


def scalar_loop(z):
    s = 0.0 + 0.0j
    for i in range(z.shape[0]):
        s = s * (0.5 - 0.1j) + z[i] * z[i]
    return np.abs(s) ** 2


def mandelbrot(c, w):
    """A Mandelbrot-style iteration with a float output."""
    z = np.zeros_like(c)
    for _ in range(6):
        z = z * z + c
    return np.sum(np.abs(z) * w)


def slice_reads(x, z):
    return np.sum(np.abs(x[1:] * z[:2]) ** 2)


def element_loop(x, z, w):
    s = 0.0j
    for i in range(z.shape[0]):
        w[i] = x[i] * 2.0
        s = s + x[i] * z[i] * w[i]
        z[i] = z[i] * w[i]
    return np.abs(s) ** 2 + np.sum(np.abs(z) ** 2)


def gather_scatter(x, z, idx):
    y = x[idx] * z
    x[idx] += np.real(y)
    return np.sum(np.abs(y) ** 2) + np.sum(x ** 2)


def real_helper(x):
    return np.sum(x * x)


def fill_helper(out, x):
    out[:] = x * 2.0


def complex_helper(z):
    return z * (1.0 + 1.0j)


def calls(x, z, w):
    s = real_helper(x)
    fill_helper(w, x)
    y = complex_helper(z * x)
    return np.sum(np.abs(s * z) ** 2) + np.sum(np.real(w * z)) + np.sum(np.abs(y) ** 2)


def elementwise_all(z):
    a = np.square(z) + np.reciprocal(z) + np.exp2(z) + np.expm1(z) + np.log2(z) + np.log10(z) + np.log1p(z)
    b = np.arcsin(z * 0.3) + np.arccos(z * 0.3) + np.arctan(z * 0.3) + np.sinh(z) + np.cosh(z) + np.tan(z * 0.3)
    c = np.arcsinh(z) + np.arccosh(z + 2.0) + np.arctanh(z * 0.3)
    return np.sum(np.abs(a + b + c) ** 2)
def products_all(A, B, z, w):
    p = np.inner(z, w) + np.sum(np.outer(z, w)) + np.sum(np.tensordot(A, B, axes=1))
    q = np.sum(np.kron(A, B)) + np.sum(np.cross(z, w)) + np.average(z, weights=w)
    r = np.sum(np.cumprod(z)) + np.prod(w) + np.sum(np.einsum("ij,jk,k->i", A, B, z))
    return np.abs(p + q + r) ** 2
def shapes_all(A, z):
    p = np.trace(A) + np.sum(np.diff(z)) + np.sum(np.take(z, [2, 0])) + np.sum(np.pad(z, 1) * 2.0)
    q = np.sum(np.roll(z, 1) * z) + np.sum(np.tile(z, 2) * np.repeat(z, 2)) + np.sum(np.diag(A) * z)
    r = np.sum(np.tril(A) * np.triu(A)) + np.sum(np.concatenate([z, z * 2.0]) ** 2) + np.sum(np.stack([z, z]) ** 3)
    s = np.sum(np.append(z, z[0]) ** 2) + np.sum(np.take_along_axis(A, np.array([[0], [1], [2]]), axis=1))
    return np.abs(p + q + r + s) ** 2


def views_all(A, z, c):
    p = np.sum(np.flip(z) * z) + np.sum(np.fliplr(A) * np.flipud(A)) + np.sum(np.rot90(A) * A)
    q = np.sum(np.moveaxis(A, 0, 1) * np.swapaxes(A, 0, 1)) + np.sum(np.expand_dims(z, 0) * np.squeeze(A[:1]))
    r = np.sum(np.broadcast_to(z, (2, 3)) ** 2) + np.sum(np.atleast_1d(z) * np.atleast_2d(z)) + np.sum(np.atleast_3d(A) ** 2)
    parts = np.split(z, 3)
    halves = np.array_split(z, 2)
    s = np.sum(parts[1] * parts[2]) + np.sum(halves[0] ** 2) + np.sum(np.diagonal(A) ** 2)
    t = np.sum(np.nan_to_num(z) * np.where(np.real(z) > 0, z, 2.0 * z)) + np.nansum(z * z) + np.mean(A * A)
    u = np.sum(np.full(3, c) * z) + np.sum(np.full_like(z, c) * z) + np.sum(np.float_power(z, 3))
    v = np.sum(np.ravel(A) ** 2) + np.sum(np.reshape(A, (9,)) * 2.0) + np.sum(np.transpose(A) * A)
    w = np.sum(np.copy(z) * np.asarray(z)) + np.sum(np.array(z) ** 3)
    return np.abs(p + q + r + s + t + u + v + w) ** 2


CASES = {
    "abs2": (abs2, lambda: (dup(cplx(4)),), None),
    "re_im": (re_im, lambda: (dup(cplx(3)), dup(cplx(3))), None),
    "mixed": (mixed, lambda: (dup(RNG.standard_normal(3)), dup(cplx(3))), None),
    "products": (products, lambda: (dup(cplx(3, 3)), dup(cplx(3))), None),
    "exp_into": (exp_into, lambda: (dup(cplx(4)), dup(cplx(4))), "s"),
    "analytic": (analytic, lambda: (dup(cplx(3) + 2.0), dup(cplx(3) + 2.0)), None),
    "linalg": (linalg, lambda: (dup(cplx(3, 3) + 3 * np.eye(3)), dup(cplx(3))), None),
    "recurrence": (recurrence, lambda: (dup(cplx(5)), Const(0.5 + 0.3j)), None),
    "einsum_reduce": (einsum_reduce, lambda: (dup(cplx(2, 3)), dup(cplx(3, 2))), None),
    "real_into_complex": (real_into_complex, lambda: (dup(RNG.standard_normal(4)), dup(RNG.standard_normal(4))),
                          "out"),
    "norm_of": (norm_of, lambda: (dup(cplx(6)),), None),
    "conj_views": (conj_views, lambda: (dup(cplx(3)), dup(cplx(3, 3))), None),
    "strided": (strided, lambda: (dup(cplx(5)),), None),
    "sorted_parts": (sorted_parts, lambda: (dup(cplx(5)),), None),
    "slice_reads": (slice_reads, lambda: (dup(RNG.standard_normal(3)), dup(cplx(3))), None),
    "element_loop": (element_loop, lambda: (dup(RNG.standard_normal(3)), dup(cplx(3)), dup(np.zeros(3))), None),
    "gather_scatter": (gather_scatter, lambda: (dup(RNG.standard_normal(3)), dup(cplx(3)), np.array([2, 0, 2])),
                       None),
    "elementwise_all": (elementwise_all, lambda: (dup(cplx(3) * 0.5 + 1.0),), None),
    "products_all": (products_all, lambda: (dup(cplx(3, 3) * 0.5), dup(cplx(3, 3) * 0.5), dup(cplx(3) * 0.5 + 1.0),
                                            dup(cplx(3) * 0.5 + 1.0)), None),
    "shapes_all": (shapes_all, lambda: (dup(cplx(3, 3) * 0.5), dup(cplx(3) * 0.5)), None),
    "views_all": (views_all, lambda: (dup(cplx(3, 3) * 0.5), dup(cplx(3) * 0.5), Const(0.3 + 0.2j)), None),
    "calls": (calls, lambda: (dup(RNG.standard_normal(3)), dup(cplx(3)), dup(np.zeros(3))), None),
    "part_views": (part_views, lambda: (dup(cplx(3)), dup(RNG.standard_normal(3))), None),
    "part_stores_inline": (part_stores_inline, lambda: (dup(cplx(3)), dup(RNG.standard_normal(3)),
                                                        dup(RNG.standard_normal((3, 3)))), None),
    "parts_set_whole": (parts_set_whole, lambda: (dup(cplx(3)), dup(RNG.standard_normal(3)), dup(cplx(3))), None),
    "scalar_loop": (scalar_loop, lambda: (dup(cplx(4) * 0.5),), None),
    "mandelbrot": (mandelbrot, lambda: (dup(cplx(4) * 0.3), dup(RNG.standard_normal(4))), None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_entry_point(name):
    f, make, out = CASES[name]
    check_everywhere(f, *make(), out=out)


@pytest.mark.parametrize("name", ["exp_into", "real_into_complex"])
@pytest.mark.parametrize("tape", ["torch", "jax"])
def test_every_tape(name, tape):
    require(tape)
    f, make, out = CASES[name]
    check_everywhere(f, *make(), out=out, tapes=(tape,), forward=False, batch=False, emitted=False)


def test_complex_active_scalar():
    z, c = cplx(4), 0.7 - 0.4j
    check_everywhere(scalar_active, dup(z), Active(c))


def test_complex64():
    check_everywhere(abs2, dup(cplx(4, dtype=np.complex64)))
    check_everywhere(exp_into, dup(cplx(3, dtype=np.complex64)), dup(cplx(3, dtype=np.complex64)), out="s")


# -- element-wise finite differences on Re and Im separately ---------------------------------

def fd_re_im(f, args, k, h=1e-6):
    """dL/dRe + 1j dL/dIm of argument k, one element and one part at a time."""
    x = args[k]
    g = np.zeros(x.shape, dtype=complex)
    for idx in np.ndindex(*x.shape):
        for unit in (1.0, 1j) if np.iscomplexobj(x) else (1.0,):
            vals = []
            for sign in (1, -1):
                a = [v.copy() if isinstance(v, np.ndarray) else v for v in args]
                a[k][idx] += sign * h * unit
                vals.append(float(np.real(f(*a))))
            g[idx] += (vals[0] - vals[1]) / (2 * h) * unit
    return g


@pytest.mark.parametrize("name", ["abs2", "re_im", "mixed", "products", "analytic", "linalg", "norm_of"])
def test_shadow_is_dl_dre_plus_i_dl_dim(name):
    f, make, _ = CASES[name]
    ann = make()
    vals = [a.val.copy() for a in ann]
    autodiff(Reverse, f, Active, *ann)
    for k, a in enumerate(ann):
        want = fd_re_im(f, vals, k)
        np.testing.assert_allclose(a.dval, want, rtol=1e-6, atol=1e-7, err_msg=f"{name}: argument {k}")


def test_descent_step_decreases_the_loss():
    z = cplx(5)
    dz = np.zeros_like(z)
    autodiff(Reverse, abs2, Active, Duplicated(z.copy(), dz))
    np.testing.assert_allclose(dz, 2 * z)   # d|z|^2 = 2 Re(conj(z) dz)
    assert abs2(z - 0.1 * dz) < abs2(z)


def test_mixed_real_shadow_stays_real():
    x, z = RNG.standard_normal(3), cplx(3)
    dx, dz = np.zeros_like(x), np.zeros_like(z)
    autodiff(Reverse, mixed, Active, Duplicated(x, dx), Duplicated(z, dz))
    assert dx.dtype == np.float64 and dz.dtype == np.complex128
    np.testing.assert_allclose(dx, fd_re_im(mixed, [x, z], 0).real, rtol=1e-6, atol=1e-8)


def test_real_active_scalar_gets_a_real_derivative():
    def f(z, s):
        return np.sum(np.abs(z * s) ** 2)
    z = cplx(3)
    (_, ds) = autodiff(Reverse, f, Active, Duplicated(z.copy(), np.zeros_like(z)), Active(0.8))
    assert isinstance(ds, float) or np.isrealobj(ds)
    h = 1e-6
    np.testing.assert_allclose(ds, (f(z, 0.8 + h) - f(z, 0.8 - h)) / (2 * h), rtol=1e-6)


def test_forward_tangent_is_complex():
    z, t = cplx(3), cplx(3)

    def f(z):
        return np.exp(z) * z
    (dy,) = autodiff(Forward, f, Duplicated, Duplicated(z.copy(), t.copy()))
    np.testing.assert_allclose(dy, (np.exp(z) * z + np.exp(z)) * t, rtol=1e-12)


# -- refusals -----------------------------------------------------------------------------

def cmp_max(z):
    return np.sum(np.abs(np.maximum(z, 0.0)))


def cmp_reduce(z):
    return np.abs(np.max(z))


def var_of(z):
    return np.var(z)


def power_exponent(z, w):
    return np.sum(np.abs(z ** w))


def clip_of(z):
    return np.sum(np.abs(np.clip(z, 0.0, 1.0)))


def svd_of(A):
    return np.sum(np.linalg.svd(A, compute_uv=False))


def element_max(z):
    return np.abs(np.maximum(z[0], 0.0))


def astype_max(x):
    y = x.astype(np.complex128) * 2.0
    return np.abs(np.max(y))


def list_max(z):
    a = np.array([z[0], z[1]])
    return np.sum(np.abs(np.maximum(a, 0.0)))


def full_max(x):
    f = np.full(3, 1j)
    return np.abs(np.max(f * x))


def eigh_of(A):
    w, _v = np.linalg.eigh(A)
    return np.sum(w)


def max_of_real(x, z):
    return np.sum(np.maximum(np.abs(z), x))   # real operands: accepted


def sign_of(z):
    return np.sum(np.imag(np.sign(z)))   # z / |z|: not constant for complex z


def sign_in_a_loop(z):
    s = 0.0
    for i in range(z.shape[0]):
        s += np.imag(np.sign(z[i]))
    return s


def sign_of_real(x, z):
    return np.sum(np.sign(x) * np.abs(z) + x * np.real(z))   # the sign of a real value: constant


@pytest.mark.parametrize("f, args, construct", [
    (cmp_max, lambda: (dup(cplx(3)),), "np.maximum(z, 0.0)"),
    (cmp_reduce, lambda: (dup(cplx(3)),), "np.max(z)"),
    (var_of, lambda: (dup(cplx(3)),), "np.var(z)"),
    (power_exponent, lambda: (dup(cplx(3)), dup(cplx(3))), "z ** w"),
    (eigh_of, lambda: (dup(cplx(3, 3)),), "np.linalg.eigh(A)"),
    (clip_of, lambda: (dup(cplx(3)),), "np.clip(z, 0.0, 1.0)"),
    (svd_of, lambda: (dup(cplx(3, 3)),), "np.linalg.svd(A, compute_uv=False)"),
    # complex values made where the kinds must follow them: an element, astype, a list, a fill value
    (element_max, lambda: (dup(cplx(3)),), "np.maximum(z[0], 0.0)"),
    (astype_max, lambda: (dup(RNG.standard_normal(3)),), "np.max(y)"),
    (list_max, lambda: (dup(cplx(3)),), "np.maximum(a, 0.0)"),
    (full_max, lambda: (dup(RNG.standard_normal(3)),), "np.max(f * x)"),
    # declared constant for real values only (it was taken as constant: a zero derivative)
    (sign_of, lambda: (dup(cplx(3)),), "np.sign(z)"),
    (sign_in_a_loop, lambda: (dup(cplx(3)),), "np.sign(z[i])"),
])
def test_non_holomorphic_rules_refuse_complex(f, args, construct):
    for mode in (Reverse, Forward):
        a = args()
        ret = Active if mode is Reverse else Duplicated
        with pytest.raises(AdCompilerError) as err:
            autodiff(mode, f, ret, *a)
        msg = str(err.value)
        assert "test_complex.py" in msg and construct in msg and "complex" in msg, msg
        lines = inspect.getsource(f).splitlines()
        at = next(k for k, line in enumerate(lines) if construct in line)
        assert err.value.lineno == f.__code__.co_firstlineno + at


def test_real_operands_of_a_real_only_rule_are_accepted():
    check_everywhere(max_of_real, dup(RNG.uniform(0.5, 1.5, 3)), dup(cplx(3)))
    check_everywhere(sign_of_real, dup(RNG.uniform(0.5, 1.5, 3)), dup(cplx(3)))


def test_gradient_and_transforms_take_complex_arrays():
    z, t = cplx(4), cplx(4)
    (g,) = ad.gradient(abs2, z)
    np.testing.assert_allclose(g, 2 * z)
    _, jt = ad.jvp(abs2, (z,), (t,))
    np.testing.assert_allclose(jt, np.real(np.sum(np.conj(2 * z) * t)))


def _softplus(x):
    return np.log1p(np.exp(x))


def _softplus_loss(z):
    return np.sum(np.abs(_softplus(z)) ** 2)


def test_user_rules_refuse_complex_until_marked():
    from adcompiler import extend
    rule = extend.elementwise(_softplus, "x", x="g / (1 + np.exp(-x))")
    z = cplx(3)
    with pytest.raises(AdCompilerError, match="complex"):
        autodiff(Reverse, _softplus_loss, Active, dup(z))
    rule.complex["*"] = "holomorphic"
    check_everywhere(_softplus_loss, dup(z))


def test_transforms_with_a_complex_scalar():
    def loss(z, c):
        return np.sum(np.abs(z * c) ** 2)
    z, c, tc = cplx(3), 0.3 + 0.4j, 0.1 - 0.2j
    _, t = ad.jvp(loss, (z, c), (None, tc))
    h = 1e-6
    assert np.isclose(t, (loss(z, c + h * tc) - loss(z, c - h * tc)) / (2 * h), rtol=1e-7)
    gz, gc = ad.grad(loss, argnums=(0, 1))(z, c)
    np.testing.assert_allclose(gc, 2 * c * np.sum(np.abs(z) ** 2))
    np.testing.assert_allclose(gz, 2 * abs(c) ** 2 * z)


def rebound_scalar(z, c):
    c = c * (1.0 + 1.0j)
    return np.sum(np.abs(z * c) ** 2)


def test_real_active_rebound_to_complex_gets_a_real_derivative():
    z = cplx(3)
    (_, dc) = autodiff(Reverse, rebound_scalar, Active, dup(z), Active(0.7))
    assert isinstance(dc, float)
    np.testing.assert_allclose(dc, 4 * 0.7 * np.sum(np.abs(z) ** 2))
    check_everywhere(rebound_scalar, dup(z), Active(0.7))


def complex_convolution(z, w, out):
    out[:] = np.convolve(z, w, mode="same") * np.conj(out)


def complex_diagflat(z, out):
    out[:, :] = np.diagflat(z) @ out


def test_convolve_and_diagflat_of_complex_arrays():
    check_everywhere(complex_convolution, dup(cplx(5)), dup(cplx(3)), dup(cplx(5)))
    check_everywhere(complex_diagflat, dup(cplx(3)), dup(cplx(3, 3)))


def _array_and_sum(a, b):
    return a * b, float(np.sum(a))


def complex_beside_a_tuple_helper(x, y):
    tp = _array_and_sum(y, x)
    z = x + 1j * y
    return float(tp[1] + np.sum(tp[0]) + np.sum(np.imag(z * 1j)))


def test_tuple_returned_by_a_helper_in_a_function_with_complex_values():
    """The real part of the helper's tuple adjoint was taken as one array (numpy's ValueError)."""
    from everywhere import check_everywhere
    x, y = np.array([0.5, -0.3]), np.array([0.2, 0.7])
    check_everywhere(complex_beside_a_tuple_helper, Duplicated(x, np.zeros(2)), Duplicated(y, np.zeros(2)), out=())


def _complex_scatters(y, rows, v):
    np.add.at(y, rows, v * v)
    np.subtract.at(y, rows[:2], v[1:] * 0.5j)
    np.multiply.at(y, rows[1:], v[:2])


def _real_loss_of_a_complex_scatter(v, rows):
    y = np.zeros(3, dtype=complex)
    np.add.at(y, rows, v * 1j + v * v)
    return float(np.sum(np.abs(y) ** 2))


def test_ufunc_at_on_complex_arrays_everywhere():
    """``np.add.at``/``subtract.at``/``multiply.at`` of complex values: their sums
    went through ``np.bincount``, which takes real weights only (a TypeError)."""
    from everywhere import check_everywhere
    rows = np.array([0, 2, 2])
    rng = np.random.default_rng(1)
    v = rng.normal(size=3) + 1j * rng.normal(size=3)
    check_everywhere(_complex_scatters, Duplicated(rng.normal(size=3) + 1j, np.zeros(3, complex)), Const(rows),
                     Duplicated(v, np.zeros(3, complex)), out="y", tapes=("autograd", "jax"))
    check_everywhere(_real_loss_of_a_complex_scatter, Duplicated(rng.normal(size=3), np.zeros(3)), Const(rows),
                     ret=Active, out=(), tapes=("autograd", "torch", "jax"))


def _put_complex(y, idx, x):
    np.put(y, idx, x * x)


def _fill_diagonal_complex(y, x):
    Y = np.zeros((2, 2), dtype=complex)
    np.fill_diagonal(Y, x * 2j)
    y[:2] = np.diag(Y).copy()


def _resize_complex(y, x):
    y[:] = np.resize(x * x, 5)[:3]


def test_put_fill_diagonal_and_resize_of_complex_values_everywhere():
    """np.put and np.fill_diagonal cycle their values through np.resize, which was
    refused for complex values (the message named np.resize); it is linear."""
    from everywhere import check_everywhere
    rng = np.random.default_rng(0)
    x = rng.normal(size=2) + 1j * rng.normal(size=2)
    check_everywhere(_put_complex, Duplicated(np.zeros(3, complex), np.zeros(3, complex)), Const(np.array([0, 2])),
                     Duplicated(x.copy(), np.zeros(2, complex)), out="y", tapes=("autograd", "jax"))
    for f in (_fill_diagonal_complex, _resize_complex):
        check_everywhere(f, Duplicated(np.zeros(3, complex), np.zeros(3, complex)),
                         Duplicated(x.copy(), np.zeros(2, complex)), out="y", tapes=("autograd", "jax"))


def phasor_power(x, w):
    s = 0j
    for k in range(x.shape[0]):
        s += x[k] * cmath.exp(1j * w * k)
    return abs(s) ** 2


def built_numbers(a, b, z):
    s = 0.0
    for k in range(a.shape[0]):
        c = complex(a[k], b[k] * 2.0)
        s += abs(c * cmath.sqrt(c + 3.0) + cmath.log(c + 2.0)) + (cmath.sin(c) * cmath.cosh(c)).real
    return s + abs(complex(0.0, 0.0) + z[0] * cmath.tanh(z[1]))


def test_cmath_functions_and_the_complex_constructor_everywhere():
    """``cmath.exp``/``log``/``sqrt``/``sin``/... (holomorphic, a real argument gives a
    complex number) and ``complex(re, im)`` (``re + 1j * im``) had no rules."""
    check_everywhere(phasor_power, dup(RNG.standard_normal(5)), Active(0.7), ret=Active, out=(),
                     tapes=("autograd", "torch", "jax"))
    check_everywhere(built_numbers, dup(RNG.uniform(0.5, 1.0, 4)), dup(RNG.uniform(0.5, 1.0, 4)),
                     dup(np.array([0.3 + 0.2j, 0.5 - 0.1j])), ret=Active, out=(), tapes=("autograd", "torch", "jax"))
    x, h = RNG.standard_normal(5), 1e-5
    H = ad.hessian(phasor_power, argnums=0)(x, 0.7)
    g = ad.grad(phasor_power)
    want = np.array([(g(x + h * e, 0.7) - g(x - h * e, 0.7)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(H, want, rtol=1e-6, atol=1e-8)


def _cast_astype(z, c):
    return np.sum(np.real(z.astype(float) * c))


def _cast_asarray(z, c):
    return np.sum(np.real(np.asarray(z, dtype=float) * c))


def _cast_array_of_elements(z, c):
    return np.sum(np.real(np.array([z[0], z[1], z[2]], dtype=float) * c))


def _cast_float32(z, c):
    return np.sum(np.real(z.astype(np.float32) * c))


def _cast_sum(z, c):
    return np.real(np.sum(z, dtype=float) * c[0])


def _cast_cumsum(z, c):
    return np.sum(np.real(np.cumsum(z, dtype=float) * c))


def _real_reference(z, c):
    return np.sum(np.real(np.real(z) * c))


def _cast_square(z):
    return np.sum(z.astype(float) ** 2)


@pytest.mark.parametrize("f", [_cast_astype, _cast_asarray, _cast_array_of_elements, _cast_float32, _cast_sum,
                               _cast_cumsum])
def test_a_cast_of_complex_values_to_a_real_dtype_keeps_the_real_part_of_the_derivative(f):
    """z.astype(float) (np.asarray/np.array with dtype=float, a reduction with dtype=float) keeps
    Re z: its derivative let the imaginary part through (the gradient was Re c - i Im c...,
    the tangent along i dz non-zero). Against central differences in Re z and Im z apart."""
    import warnings
    z = np.array([1.0 + 2.0j, -0.5 + 1.0j, 0.3 - 0.7j])
    c = np.array([1j, 2.0 + 1j, -0.5 + 0.25j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        g = ad.grad(f)(z, c)
        h, e = (0.1 if f is _cast_float32 else 1e-6), np.eye(3)   # (linear in z: a large step is exact)
        fd = np.array([(f(z + h * e[k], c) - f(z - h * e[k], c)) / (2 * h)
                       + 1j * (f(z + 1j * h * e[k], c) - f(z - 1j * h * e[k], c)) / (2 * h) for k in range(3)])
        rtol = 1e-4 if f is _cast_float32 else 1e-7
        np.testing.assert_allclose(g, fd, rtol=rtol, atol=rtol)
        _, t = ad.jvp(f, (z, c), (1j * np.ones(3), None))
        assert abs(t) < 1e-6
        dz = np.zeros(3, complex)
        autodiff(Reverse, f, Active, Duplicated(z.copy(), dz), Const(c))
        np.testing.assert_allclose(dz, fd, rtol=rtol, atol=rtol)


def test_second_order_through_a_cast_to_real():
    """hvp of sum(z.astype(float) ** 2) along i v is 0 (it was -2i v): the tangent of the
    real cast keeps its real part."""
    import warnings
    z = np.array([1.0 + 2.0j, -0.5 + 1.0j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        np.testing.assert_allclose(ad.hvp(_cast_square, (z,), (1j * np.ones(2),))[0], 0, atol=1e-12)
        np.testing.assert_allclose(ad.hvp(_cast_square, (z,), (np.ones(2) + 0j,))[0], 2.0, atol=1e-12)
    np.testing.assert_allclose(ad.grad(_real_reference)(z[:2].copy(), np.array([1j, 2.0 + 1j])), [0, 2])


def _prod_real_dtype(z):
    return float(np.prod(z, dtype=float))


def _cumprod_real_dtype(z):
    return float(np.sum(np.cumprod(z, dtype=float)))


def _prod_complex_dtype(z):
    return float(np.real(np.prod(z, dtype=np.complex128)))


def test_a_product_of_complex_values_given_a_real_dtype_is_refused():
    """np.prod(z, dtype=float) is the product of the real parts; its derivative was the complex
    product's (grad and tangent silently wrong): refused, naming np.real. A complex dtype is
    differentiated (against JAX's convention conjugated: conj(f'(z)) of Re f)."""
    import warnings
    z = np.array([1 + 1j, 0.5 - 0.2j, 2 + 0.3j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        for f in (_prod_real_dtype, _cumprod_real_dtype):
            with pytest.raises(AdCompilerError, match=r"np\.real\(z\)"):
                ad.grad(f)(z)
    want = np.conj([z[1] * z[2], z[0] * z[2], z[0] * z[1]])
    np.testing.assert_allclose(ad.grad(_prod_complex_dtype)(z), want, rtol=1e-12)


def _cast_into(y, z, c):
    y[:] = np.real(z.astype(float) * c) + np.sum(z, dtype=float).real


@pytest.mark.parametrize("tape", ["torch", "jax"])
def test_a_cast_to_a_real_dtype_through_every_entry_point(tape):
    """The real part of the derivative of z.astype(float) and np.sum(z, dtype=float), through
    autodiff in each mode, split halves, the emitted module, forward and vector mode and the tapes."""
    import warnings
    require(tape)
    c = np.array([1j, 2.0 + 1j, -0.5 + 0.25j])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        check_everywhere(_cast_into, Duplicated(np.zeros(3), RNG.standard_normal(3)),
                         Duplicated(np.array([1.0 + 2.0j, -0.5 + 1.0j, 0.3 - 0.7j]), np.zeros(3, complex)), Const(c),
                         out="y", tapes=(tape,))


def complex_polynomial(p, x, y):
    y[:] = np.polyval(p, x) * y
    return float(np.sum(np.abs(np.polyval(p, x * 0.5)) ** 2))


def test_polyval_of_complex_coefficients_and_points_everywhere():
    # (refused before: "its derivative rule in `p` holds for real values only", though documented)
    check_everywhere(complex_polynomial, dup(cplx(3)), dup(cplx(4)), dup(cplx(4)))
    check_everywhere(complex_polynomial, dup(cplx(3)), dup(np.linspace(-1.0, 1.0, 4)), dup(cplx(4)))
    check_everywhere(complex_polynomial, dup(np.array([0.5, -1.0, 2.0])), dup(cplx(4)), dup(cplx(4)))


def test_hvp_through_polyval_of_complex_values():
    def f(p, x):
        return float(np.sum(np.abs(np.polyval(p, x)) ** 2))
    p, x, vp, vx = cplx(3), cplx(4), cplx(3), cplx(4)
    got = ad.hvp(f, (p, x), (vp, vx))
    e = 1e-6
    plus, minus = ad.gradient(f, p + e * vp, x + e * vx), ad.gradient(f, p - e * vp, x - e * vx)
    for g, a, b in zip(got, plus, minus):
        np.testing.assert_allclose(g, (a - b) / (2 * e), rtol=1e-5, atol=1e-6)


def _scaled_power(a, z):
    return np.sum(np.abs(z * a) ** 2)


@pytest.mark.parametrize("tangent", [1j, np.complex128(0.5 + 1j)])
def test_forward_complex_tangent_of_a_real_number_is_refused(tangent):
    """A real number's tangent is real (BatchDuplicated and jvp refused a complex one;
    Forward took it, and returned a complex "tangent" of a real function)."""
    z = np.array([1 + 2j, 0.5 - 1j])
    for mode in (ad.Forward, ad.ForwardWithPrimal):
        with pytest.raises(ShapeError, match="real number"):
            ad.autodiff(mode, _scaled_power, ad.Duplicated, ad.Duplicated(0.3, tangent), ad.Const(z))
    # a complex number moved along its imaginary axis: d|z a|^2 / d Im(a) at a real a is 0
    (d,) = ad.autodiff(ad.Forward, _scaled_power, ad.Duplicated, ad.Duplicated(0.3 + 0j, 1j), ad.Const(z))
    assert d == 0.0
    (d,) = ad.autodiff(ad.Forward, _scaled_power, ad.Duplicated, ad.Duplicated(0.3, 1.0), ad.Const(z))
    np.testing.assert_allclose(d, 2 * 0.3 * np.sum(np.abs(z) ** 2), rtol=1e-14)
