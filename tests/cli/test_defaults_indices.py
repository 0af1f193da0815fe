"""The command line on parameter defaults, integer index arrays, integers inferred
from use, and the relative errors ``check`` prints (regressions of each)."""
from __future__ import annotations

import numpy as np
import pytest

from adcompiler import Active, Const, Duplicated, Reverse, autodiff
from adcompiler.cli.load import decide_activities, load_target

from .conftest import DATA, emit_module, fd_gradient, run_cli
from .test_commands import _rows

KERNELS = f"{DATA}/defaults_indices.py"


def _func(name):
    return load_target(f"{KERNELS}:{name}").func


# --- defaults ------------------------------------------------------------------

def test_reverse_keeps_the_default_of_a_loop_count(tmp_path):
    ns = emit_module(tmp_path, f"{KERNELS}:march", "--const", "dt")
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.5, 6)
    seed = rng.uniform(0.5, 1.5, 6)
    got_state, got_shadow = x.copy(), seed.copy()
    assert ns["march_reverse"](got_state, got_shadow, 0.01) == ()      # max_steps=400 from the source
    want_state, want_shadow = x.copy(), seed.copy()
    autodiff(Reverse, _func("march"), Const, Duplicated(want_state, want_shadow), Const(0.01), Const(400))
    np.testing.assert_allclose(got_state, want_state, rtol=1e-13)
    np.testing.assert_allclose(got_shadow, want_shadow, rtol=1e-12)
    ns["march_reverse"](x.copy(), seed.copy(), 0.01, max_steps=3)      # and by keyword, as `march` takes it


def test_defaults_of_every_kind_and_dret_last(tmp_path):
    ns = emit_module(tmp_path, f"{KERNELS}:relax_scaled")
    doc = ns["__doc__"]
    assert "relax_scaled_reverse(u, du, f, df, w=0.5, sweeps=3, label='jacobi') -> (dw,)" in doc
    u, du, f, df = np.ones(5), np.ones(5), np.ones(5), np.zeros(5)
    (dw,) = ns["relax_scaled_reverse"](u, du, f, df)
    assert isinstance(dw, float)
    ns = emit_module(tmp_path, f"{KERNELS}:energy")
    state = np.linspace(0.5, 1.5, 5)
    dstate = np.zeros(5)
    (ddt,) = ns["energy_reverse"](state.copy(), dstate, 0.1)            # max_steps=5, dret=1.0
    want = autodiff(Reverse, _func("energy"), Active, Duplicated(state.copy(), np.zeros(5)), Active(0.1),
                    Const(5))
    assert ddt == pytest.approx(want[1], rel=1e-12)


def test_forward_keeps_the_defaults_after_the_last_tangent(tmp_path):
    ns = emit_module(tmp_path, f"{KERNELS}:relax_scaled", "--mode", "forward")
    assert "relax_scaled_forward(u, du, f, df, w, dw, sweeps=3, label='jacobi')" in ns["__doc__"]
    ns["relax_scaled_forward"](np.ones(5), np.zeros(5), np.ones(5), np.zeros(5), 0.5, 1.0)


# --- integer index arrays ---------------------------------------------------------

def test_integer_index_array_emits_as_const(tmp_path):
    ns = emit_module(tmp_path, f"{KERNELS}:gather", "--shape", "idx=3:int64")
    text = next(tmp_path.glob("emitted_*.py")).read_text()
    assert "#   idx     Const: an integer array (--shape NAME=DIMS:DTYPE)" in text
    x = np.array([0.5, 1.0, 1.5, 2.0])
    idx = np.array([3, 0, 3])
    acc, dacc, dx = np.zeros(1), np.ones(1), np.zeros(4)
    ns["gather_reverse"](acc, dacc, x, dx, idx, 3)
    assert acc[0] == pytest.approx(2 * 4.0 + 0.25)
    np.testing.assert_allclose(dx, [1.0, 0.0, 0.0, 8.0])               # 2 x[j] per use of j; idx 3 twice


def test_integer_index_array_checks():
    status, out, err = run_cli("check", f"{KERNELS}:gather", "--shape", "acc=1", "--shape", "x=5",
                               "--shape", "idx=4:int64", "--value", "n=4")
    assert status == 0, out + err
    rows = _rows(out)
    assert rows["reverse", "idx"][2:] == ["Const", "-", "-", "-"]
    assert all(r[-1] == "pass" for k, r in rows.items() if k[1] not in ("idx", "n"))


@pytest.mark.parametrize("argv, message", [
    (["--shape", "idx=3:int64", "--dup", "idx"], "integer dtype"),
    (["--shape", "idx=3:str"], "not a float, complex or integer numpy dtype"),
    (["--shape", "idx=3:"], "not a float, complex or integer numpy dtype"),
    (["--shape", "idx=3:nonsense"], "not a float, complex or integer numpy dtype"),
])
def test_integer_dtype_refusals(argv, message):
    status, _, err = run_cli("emit", f"{KERNELS}:gather", *argv)
    assert status == 2 and message in err, err


def test_float32_shape_checks(in_root):
    status, out, err = run_cli("check", "examples/seed.py:f_", "--shape", "s=5:float32", "--shape",
                               "a=5:float32", "--shape", "b=5:float32")
    assert status == 0, out + err
    assert "tolerance: 0.001" in out


# --- integers inferred from use -----------------------------------------------------

@pytest.mark.parametrize("name, why", [
    ("through_local", "used as a range() bound: taken as an int"),
    ("while_bound", "used as a loop bound: taken as an int"),
    ("counted_halvings", "used as a loop bound: taken as an int"),
])
def test_loop_bound_through_locals_and_while_is_const(name, why):
    acts = decide_activities(_func(name))
    assert acts.acts["n"] == "Const" and acts.reasons["n"] == why


@pytest.mark.parametrize("name", ["float_threshold", "halving_float_counter"])
def test_float_compared_with_a_float_is_not_an_int(name):
    acts = decide_activities(_func(name))
    assert "tol" not in acts.integers and acts.acts["tol"] != "Const"


@pytest.mark.parametrize("name", ["through_local", "while_bound", "counted_halvings"])
def test_inferred_bound_emits_and_differentiates(tmp_path, name):
    ns = emit_module(tmp_path, f"{KERNELS}:{name}")
    func = _func(name)
    u0 = np.linspace(0.5, 1.5, 5)
    seed = np.linspace(1.0, 2.0, 5)
    u, du = u0.copy(), seed.copy()
    ns[f"{name}_reverse"](u, du, 4)

    def objective(v):
        v = v.copy()
        func(v, 4)
        return float(np.sum(v * seed))
    np.testing.assert_allclose(du, fd_gradient(objective, u0), rtol=1e-7, atol=1e-9)


# --- check's relative errors ----------------------------------------------------------

def test_check_shows_the_raw_relative_error_and_the_tolerance(in_root):
    status, out, _ = run_cli("check", "examples/seed.py:f_", "--shape", "s=5", "--shape", "a=5", "--shape", "b=5")
    assert status == 0, out
    rows = _rows(out)
    assert out.splitlines()[0].split()[3:] == ["relative", "error", "tolerance", "result"]
    errors = [float(r[3]) for r in rows.values()]
    tols = [float(r[4]) for r in rows.values()]
    assert all(e < 1e-8 for e in errors) and any(e > 0 for e in errors)   # real agreement, not a clamped 0
    assert all(1e-6 <= t < 1e-5 for t in tols)


def test_check_failure_shows_an_error_above_its_tolerance():
    status, out, _ = run_cli("check", f"{DATA}/wrong_rule.py:apply_cube", "--shape", "s=3", "--shape", "a=3")
    assert status == 1
    row = _rows(out)["reverse", "a"]
    assert row[-1] == "FAIL" and float(row[3]) > float(row[4])
