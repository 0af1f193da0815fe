"""`adcompiler check` runs every way the generated derivative is used and
reports each: autodiff(Reverse), the split halves with fresh shadows (as the
tapes drive them), the emitted module's {f}_reverse and its {f}_fwd/{f}_rev
with fresh shadows, and forward mode. A wrong path makes it exit 1 and names
the path. References: central finite differences computed here."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler.api.reverse
import adcompiler.cli.check
from adcompiler import Duplicated, ReverseSplitWithPrimal, autodiff_thunk

from .conftest import DATA, fd_gradient, run_cli
from .test_commands import _rows

PATHS = ("reverse", "split", "emitted", "emitted-split", "forward")
RELAX = [f"{DATA}/cli_kernels.py:relax", "--shape", "u=4", "--shape", "f=4", "--value", "k=0.3",
         "--value", "sweeps=2"]


def test_honest_kernel_passes_on_every_path():
    status, out, err = run_cli("check", *RELAX)
    assert status == 0, out + err
    rows = _rows(out)
    for path in PATHS:
        for arg in ("u", "f", "k", "all"):
            assert rows[path, arg][-1] == "pass", (path, arg, out)
    assert rows["emitted", "k"][2] == "Active" and "emitted: not checked" not in out


def _double_shadows_after(rev):
    def wrong(*args):
        derivs = rev(*args)
        for a in args:
            if isinstance(a, Duplicated):
                a.dval[...] *= 2.0
        return derivs
    return wrong


def test_a_wrong_split_path_fails_and_is_named(monkeypatch):
    real = adcompiler.api.reverse.autodiff_thunk

    def broken(*a, **kw):
        fwd, rev = real(*a, **kw)
        return fwd, _double_shadows_after(rev)
    monkeypatch.setattr(adcompiler.api.reverse, "autodiff_thunk", broken)
    status, out, _ = run_cli("check", *RELAX)
    assert status == 1, out
    rows = _rows(out)
    assert rows["split", "u"][-1] == "FAIL" and rows["split", "all"][-1] == "FAIL"
    assert all(rows[p, "u"][-1] == "pass" for p in PATHS if p != "split")
    assert "failed (paths: split)" in out


@pytest.mark.parametrize("func", ["reverse", "rev"])
def test_a_wrong_emitted_function_fails_and_is_named(monkeypatch, func):
    real = adcompiler.cli.check.load_emitted

    def broken(text, name):
        ns = dict(real(text, name))
        good = ns[f"{name}_{func}"]
        ns[f"{name}_{func}"] = lambda *a: tuple(2.0 * d for d in good(*a))   # dk doubled
        return ns
    monkeypatch.setattr(adcompiler.cli.check, "load_emitted", broken)
    status, out, _ = run_cli("check", *RELAX)
    assert status == 1, out
    rows = _rows(out)
    path = "emitted" if func == "reverse" else "emitted-split"
    assert rows[path, "k"][-1] == "FAIL" and rows[path, "u"][-1] == "pass"
    assert all(rows[p, "k"][-1] == "pass" for p in PATHS if p != path)
    assert f"failed (paths: {path})" in out


def test_a_wrong_custom_rule_fails_on_every_reverse_path():
    status, out, _ = run_cli("check", f"{DATA}/wrong_rule.py:apply_cube", "--shape", "s=4", "--shape", "a=4")
    assert status == 1
    rows = _rows(out)
    for path in ("reverse", "split", "emitted", "emitted-split"):
        assert rows[path, "a"][-1] == "FAIL", (path, out)


def _grow(y, a):
    y += a * y


def test_split_verdict_agrees_with_an_independent_split_run():
    """`y += a * y`: whatever the core does, the check's verdict on the split path is
    what finite differences say of autodiff_thunk with fresh shadows, run here."""
    status, out, _ = run_cli("check", f"{DATA}/scalars.py:grow", "--shape", "y=4", "--shape", "a=4")
    rows = _rows(out)
    assert rows["reverse", "y"][-1] == "pass" and rows["reverse", "a"][-1] == "pass"

    rng = np.random.default_rng(11)
    y0, a0, seed = rng.uniform(0.5, 1.5, 4), rng.uniform(0.5, 1.5, 4), rng.uniform(-1, 1, 4)
    fwd, rev = autodiff_thunk(ReverseSplitWithPrimal, _grow, None, Duplicated, Duplicated)
    y, a = y0.copy(), a0.copy()
    tape, _ = fwd(Duplicated(y, np.zeros(4)), Duplicated(a, np.zeros(4)))
    dy, da = seed.copy(), np.zeros(4)
    rev(Duplicated(y, dy), Duplicated(a, da), 0.0, tape)

    def J(yy, aa):
        yy = yy.copy()
        _grow(yy, aa)
        return float(seed @ yy)
    right = np.allclose(dy, fd_gradient(lambda v: J(v, a0), y0), rtol=1e-6, atol=1e-8) and \
        np.allclose(da, fd_gradient(lambda v: J(y0, v), a0), rtol=1e-6, atol=1e-8)
    split_passes = rows["split", "y"][-1] == "pass" and rows["split", "a"][-1] == "pass"
    assert split_passes == right, out
    assert status == (0 if right and rows["emitted-split", "y"][-1] == "pass" else 1), out
    if not right:
        assert "split" in out.splitlines()[-1]
