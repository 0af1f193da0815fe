"""Split mode driven by a user (``autodiff_thunk``, and ``vjp``'s pullback): the reverse half reads again
what the function reads besides its array arguments. A module (or closure)
array written between ``fwd`` and ``rev``, a Const dict or list whose entries
changed, a Const or Active number given other values: the derivatives were
silently those of other values than fwd computed (``3 * 9 * x**2`` for
``3 * W * x**2``). Refused now, with the name, as an array argument written
between them already was; unchanged values (equal copies too) are taken.
The tape adapters, which check the module's arrays themselves, are unchanged."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import (
    Active,
    Const,
    Duplicated,
    ReverseSplitWithPrimal,
    autodiff_thunk,
    gradient,
)
from adcompiler.errors import ActivityError

W = np.array([1.0, 2.0, 3.0, 4.0])
CFG = {"w": np.array([1.0, 2.0, 3.0, 4.0])}
X = np.array([0.5, 0.7, 0.9, 1.1])


def module_weighted(x):
    return np.sum(W * x ** 3)


def config_weighted(x):
    return np.sum(CFG["w"] * x ** 3)


def make_closure():
    w = np.array([1.0, 2.0, 3.0, 4.0])

    def closure_weighted(x):
        return np.sum(w * x ** 3)
    return closure_weighted, w


def dict_weighted(x, d):
    return np.sum(d["w"] * x ** 3) + d["c"] * x[0]


def list_weighted(x, cs):
    return np.sum(cs[0] * x ** 3) + cs[1] * x[0]


def scaled(x, c):
    return c * np.sum(x ** 3)


def _halves(f, *types):
    return autodiff_thunk(ReverseSplitWithPrimal, f, Active, Duplicated, *types)


def _reverse(rev, tape, *rest):
    dx = np.zeros(4)
    derivs = rev(Duplicated(X.copy(), dx), *rest, 1.0, tape)
    return dx, derivs


@pytest.mark.parametrize("f,weights", [(module_weighted, W), (config_weighted, CFG["w"]),
                                       (*make_closure(),)], ids=["module", "module dict", "closure"])
def test_arrays_read_from_the_module_written_between_the_halves(f, weights):
    weights[:] = [1.0, 2.0, 3.0, 4.0]
    fwd, rev = _halves(f)
    tape, _ = fwd(Duplicated(X.copy(), np.zeros(4)))
    dx, _ = _reverse(rev, tape)   # (unchanged: taken)
    np.testing.assert_allclose(dx, 3 * weights * X ** 2, rtol=1e-13)
    np.testing.assert_allclose(dx, gradient(f, X)[0], rtol=1e-13)
    tape, _ = fwd(Duplicated(X.copy(), np.zeros(4)))
    weights[1] = 9.0
    with pytest.raises(ActivityError, match=r"was written between fwd and rev"):
        _reverse(rev, tape)
    weights[:] = [1.0, 2.0, 3.0, 4.0]


def test_const_containers_changed_between_the_halves():
    d = {"w": np.array([1.0, 2.0, 3.0, 4.0]), "c": 3.0}
    fwd, rev = _halves(dict_weighted, Const)
    tape, _ = fwd(Duplicated(X.copy(), np.zeros(4)), Const(d))
    dx, _ = _reverse(rev, tape, Const({"w": d["w"].copy(), "c": 3.0}))   # (an equal copy: taken)
    np.testing.assert_allclose(dx, gradient(dict_weighted, X, d)[0], rtol=1e-13)
    for change in (lambda: d["w"].__setitem__(0, 9.0), lambda: d.__setitem__("c", 9.0),
                   lambda: d.__setitem__("w", np.full(4, 9.0))):
        tape, _ = fwd(Duplicated(X.copy(), np.zeros(4)), Const(d))
        change()
        with pytest.raises(ActivityError, match=r"`d` holds other values than it did when fwd ran"):
            _reverse(rev, tape, Const(d))
    cs = [np.array([1.0, 2.0, 3.0, 4.0]), 3.0]
    fwd, rev = _halves(list_weighted, Const)
    tape, _ = fwd(Duplicated(X.copy(), np.zeros(4)), Const(cs))
    cs[1] = 9.0
    with pytest.raises(ActivityError, match=r"`cs` holds other values"):
        _reverse(rev, tape, Const(cs))


@pytest.mark.parametrize("kind", [Const, Active])
def test_numbers_changed_between_the_halves(kind):
    fwd, rev = _halves(scaled, kind)
    tape, _ = fwd(Duplicated(X.copy(), np.zeros(4)), kind(2.0))
    dx, derivs = _reverse(rev, tape, kind(2.0))
    np.testing.assert_allclose(dx, 6.0 * X ** 2, rtol=1e-13)
    if kind is Active:
        np.testing.assert_allclose(derivs[1], np.sum(X ** 3), rtol=1e-13)
    tape, _ = fwd(Duplicated(X.copy(), np.zeros(4)), kind(2.0))
    with pytest.raises(ActivityError, match=r"`c` holds other values than it did when fwd ran"):
        _reverse(rev, tape, kind(9.0))


def config_written(x, y):
    y[:] = CFG["w"] * x ** 3


LIST = [np.array([1.0, 2.0, 3.0, 4.0])]


def list_written(x, y):
    y[:] = LIST[0] * x ** 3


@pytest.mark.parametrize("f,weights", [(config_written, CFG["w"]), (list_written, LIST[0])],
                         ids=["dict", "list"])
def test_vjp_pullback_after_an_array_in_a_module_container_was_written(f, weights):
    """``vjp``'s pullback runs the function again: an array a module dict or list holds,
    written after ``vjp`` (``CFG["w"][:] = ...``), gave the derivative at the new values
    (the container itself had not been bound again, and only that was checked)."""
    from adcompiler import vjp
    from adcompiler.errors import AliasingError
    weights[:] = [1.0, 2.0, 3.0, 4.0]
    _, pullback = vjp(f, X.copy(), np.zeros(4), out=1)
    np.testing.assert_allclose(pullback(np.ones(4))[0], 3 * weights * X ** 2, rtol=1e-13)
    weights[2] = 9.0
    with pytest.raises(AliasingError, match=r"changed since vjp was called"):
        pullback(np.ones(4))
    weights[:] = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_allclose(pullback(np.ones(4))[0], 3 * weights * X ** 2, rtol=1e-13)


KERNEL_MODULE = """import numpy as np
from {other} import g
W = np.array([0.25, 0.5])


def f(u, out):
    out[1] = W[1] * u[0] * u[0]
    g(u, out)
"""

OTHER_MODULE = """import numpy as np
W = np.array([3.0, -1.0])


def g(u, out):
    out[0] += W[0] * u[0] * u[1]
"""


def test_arrays_of_one_name_in_two_modules(tmp_path, monkeypatch):
    # the record of what fwd read was compared by name: two modules' `W` made one entry, and every
    # reverse half was refused as if `W` had been written between the halves
    import importlib
    (tmp_path / "split_two_w.py").write_text(KERNEL_MODULE.format(other="split_two_w_other"))
    (tmp_path / "split_two_w_other.py").write_text(OTHER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    kern, other = importlib.import_module("split_two_w"), importlib.import_module("split_two_w_other")
    u = np.array([1.2, 0.7])
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, kern.f, Const, Duplicated, Duplicated)
    out = np.zeros(2)
    tape, _ = fwd(Duplicated(u.copy(), np.zeros(2)), Duplicated(out, np.zeros(2)))
    du = np.zeros(2)
    rev(Duplicated(u.copy(), du), Duplicated(out, np.ones(2)), None, tape)
    np.testing.assert_allclose(du, [2 * 0.5 * 1.2 + 3.0 * 0.7, 3.0 * 1.2], rtol=1e-14)
    for changed in (kern.W, other.W):   # (either written between the halves: refused)
        out = np.zeros(2)
        tape, _ = fwd(Duplicated(u.copy(), np.zeros(2)), Duplicated(out, np.zeros(2)))
        changed[0] += 1.0
        with pytest.raises(ActivityError, match=r"`W`, an array `f` reads from its module"):
            rev(Duplicated(u.copy(), np.zeros(2)), Duplicated(out, np.ones(2)), None, tape)
        changed[0] -= 1.0
