"""Records passed as Const: a named tuple's fields, a dataclass's, a
``SimpleNamespace``'s and a plain object's attributes, read as ``p.k`` in the
differentiated function and its helpers, through every entry point; what
cannot be followed (a property, a method, a store into a field) refused at
the user's line."""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest
from everywhere import check_everywhere
from optional import require

import adcompiler as ad
from adcompiler import (
    Active,
    AdCompilerError,
    Const,
    Duplicated,
    Reverse,
    autodiff,
    differentiate,
    gradient,
)
from adcompiler.testing import check_grads

Params = namedtuple("Params", "k dt w")


@dataclass
class Grid:
    n: int
    h: float
    c: np.ndarray = field(default_factory=lambda: np.linspace(1.0, 2.0, 6))


class Material:
    def __init__(self):
        self.a = 0.3
        self.b = np.array([1.0, -2.0, 0.5, 0.25, 2.0, 1.5])

    @property
    def twice(self):
        return 2 * self.a

    def scale(self, x):
        return self.a * x


def _rhs(u, p):
    return p.k * u * p.w


def explicit_steps(u, p):
    for _ in range(3):
        u += p.dt * _rhs(u, p)


def heat(u, g):
    for i in range(1, g.n - 1):
        u[i] += g.h * g.c[i] * (u[i - 1] - 2.0 * u[i] + u[i + 1])


def material_loss(x, q):
    return np.sum(q.b * np.sin(q.a * x))


def affine_loss(x, s):
    y = x * s.scale + s.shift
    return np.dot(y, y)


def unpacked(x, p):
    k, dt, w = p
    return np.sum(x * k * dt * w) + p[0] * p.k


DEFAULT = SimpleNamespace(scale=3.0, shift=0.5)


def with_default(x, s=DEFAULT):
    return np.sum((x * s.scale + s.shift) ** 2)


class Physics:
    """Constants in the class body (read as fields too) and one set per instance."""
    dt = 0.1
    nu = 0.5

    def __init__(self, k):
        self.k = k


@dataclass(slots=True)
class Slotted:
    a: float
    w: np.ndarray


def class_constants(x, p):
    return np.sum(p.k * x ** 2) * p.dt + p.nu * x[0]


def slotted_fields(x, q):
    return q.a * np.sum(q.w * x ** 2)


X = np.linspace(0.1, 1.2, 6)


def _params():
    return Params(0.5, 0.1, np.linspace(1.0, 2.0, 6))


CASES = [
    (explicit_steps, _params, "u"),
    (heat, lambda: Grid(6, 0.2), "u"),
    (material_loss, Material, None),
    (affine_loss, lambda: SimpleNamespace(scale=1.5, shift=0.1), None),
    (unpacked, _params, None),
    (class_constants, lambda: Physics(2.0), None),
    (slotted_fields, lambda: Slotted(1.5, np.linspace(1.0, 3.0, 6)), None),
]


@pytest.mark.parametrize("f, make, out", CASES, ids=[c[0].__name__ for c in CASES])
def test_record_everywhere(f, make, out):
    check_everywhere(f, Duplicated(X.copy(), np.zeros(6)), Const(make()), out=out if out else (),
                     tapes=("autograd", "torch", "jax"))


@pytest.mark.parametrize("f, make, out", CASES, ids=[c[0].__name__ for c in CASES])
def test_record_on_tapes_as_given(f, make, out):
    """The tapes given the record object itself (not the converted one), against finite differences."""
    require("torch")
    import torch
    rec = make()
    pure = differentiate(f, out=out) if out else differentiate(f)
    w = np.random.default_rng(1).standard_normal(6)

    def value(x):
        y = x.copy()
        r = f(y, make())
        return float(np.dot(w, y)) if out else r

    eps = 1e-6
    want = np.array([(value(X + eps * e) - value(X - eps * e)) / (2 * eps) for e in np.eye(6)])
    xt = torch.tensor(X.copy(), requires_grad=True)
    r = pure(xt, rec)
    (torch.dot(torch.tensor(w), r) if out else r).backward()
    np.testing.assert_allclose(xt.grad.numpy(), want, rtol=1e-6, atol=1e-9)


def test_record_default_and_gradient():
    got = gradient(with_default, X.copy())[0]
    np.testing.assert_allclose(got, 2 * 3.0 * (X * 3.0 + 0.5), rtol=1e-12)
    got = gradient(affine_loss, X.copy(), SimpleNamespace(scale=2.0, shift=-1.0))[0]
    np.testing.assert_allclose(got, 2 * 2.0 * (X * 2.0 - 1.0), rtol=1e-12)


def test_record_read_as_of_the_call():
    """A record changed after one call: the next call reads its new fields (no stale compiled value)."""
    s = SimpleNamespace(scale=1.0, shift=0.0)
    first = gradient(affine_loss, X.copy(), s)[0]
    s.scale = 4.0
    second = gradient(affine_loss, X.copy(), s)[0]
    np.testing.assert_allclose(first, 2 * X, rtol=1e-12)
    np.testing.assert_allclose(second, 2 * 4.0 * 4.0 * X, rtol=1e-12)


def test_named_tuple_under_numba():
    require("numba")

    class Numba:
        @staticmethod
        def autodiff(*call):
            return ad.autodiff(*call, backend="numba")

        @staticmethod
        def autodiff_thunk(*call):
            return ad.autodiff_thunk(*call, backend="numba")

    check_grads(explicit_steps, Duplicated(X.copy(), np.zeros(6)), Const(_params()), ret=Const, engine=Numba)


def test_object_record_numba_refused_auto_falls_back():
    require("numba")
    with pytest.raises(AdCompilerError, match="material_loss"):
        gradient(material_loss, X.copy(), Material(), backend="numba")
    got = gradient(material_loss, X.copy(), Material(), backend="auto")[0]
    np.testing.assert_allclose(got, Material().b * 0.3 * np.cos(0.3 * X), rtol=1e-12)


def reads_property(x, q):
    return np.sum(x * q.twice)


def calls_method(x, q):
    return np.sum(q.scale(x))


def stores_field(x, s):
    s.scale = 2.0
    return np.sum(x * s.scale)


def writes_field_alias(x, g):
    c = g.c
    c[:] = x * 2.0
    return np.sum(g.c * x)


def writes_named_tuple_field(x, p):
    w = p.w
    w[1] = x[0] * 3.0
    return np.sum(p.w * x)


@pytest.mark.parametrize("f, make, match", [
    (reads_property, Material, r"`q.twice` is not one of the fields of `q` \(a, b\)"),
    (calls_method, Material, "calls a method of the record `q`"),
    (stores_field, lambda: SimpleNamespace(scale=1.0, shift=0.0), "assignment to an attribute"),
    (writes_field_alias, lambda: Grid(6, 0.1), "`g` is a record"),
    (writes_named_tuple_field, _params, "written in place"),
], ids=lambda v: getattr(v, "__name__", "")[:20])
def test_record_refusals_located(f, make, match):
    with pytest.raises(AdCompilerError, match=match) as e:
        autodiff(Reverse, f, Active, Duplicated(X.copy(), np.zeros(6)), Const(make()))
    assert e.value.filename == __file__ and e.value.lineno is not None


def test_const_keeps_the_record_for_the_function_itself():
    """Code that runs the function itself (finite differences) sees the record's properties and methods."""
    c = Const(Material()).val
    assert isinstance(c, ad.activity.Fields) and c["a"] == 0.3
    assert c.twice == 0.6 and c.scale(2.0) == 0.6


SETTINGS = SimpleNamespace(dt=0.1, w=np.linspace(1.0, 2.0, 6))


def reads_module_record(x):
    return np.sum(SETTINGS.w * x ** 2) * SETTINGS.dt


def test_module_record_array_refused_located():
    """A module-level record's number is read as of the call; its array is refused (not followed by name)."""
    with pytest.raises(AdCompilerError, match="array read through an attribute of a module-level object") as e:
        gradient(reads_module_record, X.copy())
    assert e.value.filename == __file__ and e.value.lineno is not None


def step_with_record(u, p):
    for i in range(1, u.shape[0]):
        u[i] = u[i] + p.c[i - 1] * u[i - 1]
    return float(np.sum(u ** 2))


def doubles_then_scales(out, x, p):
    p.c.fill(p.c[0] * 2.0)
    for i in range(x.shape[0]):
        out[i] = p.c[i] * x[i] ** 2


def cubic_with_record(x, p):
    return float(np.sum(p.w * x ** 3) * p.k)


def test_transforms_refuse_a_record_holding_the_written_argument():
    """``u`` also a record's field: the transforms' copy of ``u`` left ``p.c`` the caller's ``u``
    (the record was not looked into), and a different function was differentiated, silently."""
    for make in (lambda u: SimpleNamespace(c=u), lambda u: Grid(6, 0.1, u), lambda u: SimpleNamespace(c=u[1:])):
        u = X.copy()
        with pytest.raises(AdCompilerError, match="share memory"):
            ad.value_and_grad(step_with_record)(u, make(u))
        with pytest.raises(AdCompilerError, match="share memory"):
            ad.jvp(step_with_record, (u, make(u)), (np.ones(6), None))


def test_transforms_copy_a_records_arrays():
    """Writes into a record's array stay in the transforms' copies: the caller's record is
    unchanged and each Jacobian row and each pullback call starts from it."""
    x, p = np.array([0.3, -0.7, 1.1]), SimpleNamespace(c=np.ones(3))
    want = np.diag(2.0 * 2 * x)
    for mode in ("reverse", "forward"):
        np.testing.assert_allclose(ad.jacobian(doubles_then_scales, np.zeros(3), x, p, out="out", wrt="x",
                                               mode=mode), want)
    _, pullback = ad.vjp(doubles_then_scales, np.zeros(3), x, p, out="out")
    first, second = pullback(np.ones(3)), pullback(np.ones(3))
    np.testing.assert_allclose(first[1], np.diag(want))
    np.testing.assert_allclose(second[1], np.diag(want))
    np.testing.assert_array_equal(p.c, np.ones(3))


def test_second_order_of_a_record():
    x, p = np.array([0.3, -0.7, 1.1]), SimpleNamespace(w=np.arange(1.0, 4.0), k=2.0)
    np.testing.assert_allclose(ad.hessian(cubic_with_record, x, p), np.diag(6.0 * p.w * x * p.k), rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(cubic_with_record, (x, p), (np.ones(3), None))[0], 6.0 * p.w * x * p.k)


def test_tapes_refuse_a_record_holding_tape_arrays():
    import autograd
    with pytest.raises(AdCompilerError, match="SimpleNamespace holding autograd arrays"):
        autograd.grad(lambda w: differentiate(cubic_with_record)(X[:3], SimpleNamespace(w=w, k=2.0)))(np.ones(3))


def test_a_const_made_once_reads_the_record_at_each_call():
    """``Const(p)`` made once and passed to several calls: each reads the record's fields as they
    are then (the annotation held the fields as of ``Const(p)``: a stale value and gradient)."""
    from types import SimpleNamespace

    from adcompiler import Active, ReverseWithPrimal, autodiff

    x, dx = np.array([1.0, 2.0, 3.0]), np.zeros(3)
    p = SimpleNamespace(k=1.0, w=np.ones(3))
    cp, dup = Const(p), Duplicated(x, dx)
    for k, w in ((1.0, np.ones(3)), (10.0, np.array([0.5, 1.0, 2.0]))):
        p.k, p.w = k, w
        dx[:] = 0.0
        _, val = autodiff(ReverseWithPrimal, _scaled_squares, Active, dup, cp)
        assert val == pytest.approx(np.sum(k * w * x ** 2))
        np.testing.assert_allclose(dx, 2.0 * k * w * x)


def _scaled_squares(x, p):
    return np.sum(p.k * p.w * x ** 2)
