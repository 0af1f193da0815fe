"""Scalar parameters without type hints: a --value float is Active, an int
Const (as docs/cli.md and --help say); a parameter the body uses as a range()
bound or an index is an integer (Const), not a float array. Derivatives are
compared with central finite differences computed here."""
from __future__ import annotations

import numpy as np

from .conftest import DATA, central_difference, emit_module, fd_gradient, run_cli
from .test_commands import _rows

SCALARS = f"{DATA}/scalars.py"


def _ema(y, x, alpha):
    for i in range(1, len(y)):
        y[i] = alpha * y[i - 1] + (1.0 - alpha) * x[i]


def test_check_value_float_is_active_and_passes():
    """The issue's command: `alpha` given with --value 0.3 used to be refused as Duplicated."""
    status, out, err = run_cli("check", f"{SCALARS}:ema", "--shape", "y=8", "--shape", "x=8", "--value",
                               "alpha=0.3")
    assert status == 0, out + err
    rows = _rows(out)
    assert rows["reverse", "alpha"][2] == "Active" and rows["reverse", "alpha"][-1] == "pass"
    assert rows["forward", "alpha"][-1] == "pass"


def test_check_value_int_is_const():
    status, out, err = run_cli("check", f"{SCALARS}:head_scale", "--shape", "y=6", "--shape", "x=6",
                               "--value", "n=4")
    assert status == 0, out + err
    assert _rows(out)["reverse", "n"][2:] == ["Const", "-", "-", "-"]


def test_check_flag_still_wins_over_value():
    status, out, err = run_cli("check", f"{SCALARS}:ema", "--shape", "y=5", "--shape", "x=5", "--value",
                               "alpha=0.3", "--const", "alpha")
    assert status == 0, out + err
    assert _rows(out)["reverse", "alpha"][2:] == ["Const", "-", "-", "-"]


def test_active_alpha_gradient_matches_finite_differences(tmp_path):
    """The Active derivative the emitted module returns for `alpha`, against central differences."""
    ns = emit_module(tmp_path, f"{SCALARS}:ema", "--active", "alpha")
    rng = np.random.default_rng(1)
    y0, x0, seed = rng.uniform(0.5, 1.5, 7), rng.uniform(0.5, 1.5, 7), rng.uniform(-1, 1, 7)
    alpha = 0.3

    def objective(a, x=x0):
        y = y0.copy()
        _ema(y, x, a)
        return float(seed @ y)
    y, x, dy, dx = y0.copy(), x0.copy(), seed.copy(), np.zeros(7)
    (dalpha,) = ns["ema_reverse"](y, dy, x, dx, alpha)
    np.testing.assert_allclose(dalpha, central_difference(objective, alpha), rtol=1e-7)
    np.testing.assert_allclose(dx, fd_gradient(lambda xx: objective(alpha, xx), x0), rtol=1e-7, atol=1e-9)


def test_range_bound_is_an_int_const(tmp_path):
    status, out, _ = run_cli("emit", f"{SCALARS}:head_scale")
    assert status == 0
    assert "#   n       Const: used as a range() bound: taken as an int" in out
    assert "def head_scale_reverse(y, dy, x, dx, n):" in out
    ns = emit_module(tmp_path, f"{SCALARS}:head_scale")
    rng = np.random.default_rng(2)
    y0, x0, seed = rng.uniform(0.5, 1.5, 6), rng.uniform(0.5, 1.5, 6), rng.uniform(-1, 1, 6)

    def objective(x):
        y = y0.copy()
        for i in range(4):
            y[i] = x[i] * x[i] + y[i]
        return float(seed @ y)
    y, x, dy, dx = y0.copy(), x0.copy(), seed.copy(), np.zeros(6)
    assert ns["head_scale_reverse"](y, dy, x, dx, 4) == ()
    np.testing.assert_allclose(dx, fd_gradient(objective, x0), rtol=1e-7, atol=1e-9)


def test_indices_are_integer_consts(tmp_path):
    _, out, _ = run_cli("emit", f"{SCALARS}:pick")
    assert "#   i       Const: used as an index: taken as an integer" in out
    assert "#   j       Const: used as an index: taken as an integer" in out
    ns = emit_module(tmp_path, f"{SCALARS}:pick")
    rng = np.random.default_rng(3)
    y0, x0, seed = rng.uniform(0.5, 1.5, 5), rng.uniform(0.5, 1.5, 5), rng.uniform(-1, 1, 5)

    def objective(x):
        y = y0.copy()
        y[0] = x[1] * x[2]
        y[1:3] = x[:2] * 2.0
        return float(seed @ y)
    y, x, dy, dx = y0.copy(), x0.copy(), seed.copy(), np.zeros(5)
    ns["pick_reverse"](y, dy, x, dx, 1, 3)
    np.testing.assert_allclose(dx, fd_gradient(objective, x0), rtol=1e-7, atol=1e-9)


def test_an_integer_given_by_shape_is_an_int_under_both_targets(tmp_path):
    """`--shape n=:int64` (what the hints suggest for an int) was a 0-d int array, which numba's
    range() refuses: it is an int now, and both modules give the finite differences' gradient."""
    y0, x0 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 0.6, 0.7, 0.8])

    def loss(x):
        y = y0.copy()
        for _ in range(3):
            y[:] = y * x
        return float(np.sum(y))
    want = fd_gradient(loss, x0)
    for target in ("numpy", "numba"):
        ns = emit_module(tmp_path, f"{SCALARS}:repeat_scale", "--target", target, "--shape", "y=4", "--shape", "x=4",
                         "--shape", "n=:int64")
        dx = np.zeros(4)
        ns["repeat_scale_reverse"](y0.copy(), np.ones(4), x0.copy(), dx, 3)
        np.testing.assert_allclose(dx, want, rtol=1e-7)


def test_names_joined_by_r_and_c_are_values(tmp_path):
    """``np.r_[0.0, u, 0.0]`` and ``np.c_[x, y ** 2]`` join values: their names are float arrays,
    not indices (they were taken as integers and lost their derivatives); a slice bound stays an int."""
    kernel = tmp_path / "joins.py"
    kernel.write_text("import numpy as np\n\n\ndef pad_energy(u, n):\n    p = np.r_[0.0, u, 0.0, 0:n]\n"
                      "    return np.sum((p[1:] - p[:-1]) ** 2)\n\n\ndef design(x, y):\n"
                      "    X = np.c_[x, y ** 2]\n    return np.sum(np.tanh(X @ np.array([1.0, -0.5])))\n")
    _, out, _ = run_cli("emit", f"{kernel}:pad_energy")
    assert "#   u       Duplicated" in out and "#   n       Const: used as an index" in out
    ns = emit_module(tmp_path, f"{kernel}:pad_energy")
    u0 = np.array([0.3, -0.8, 1.1, 0.4])
    du = np.zeros(4)
    ns["pad_energy_reverse"](u0.copy(), du, 3)

    def energy(u):
        p = np.r_[0.0, u, 0.0, 0:3]
        return float(np.sum((p[1:] - p[:-1]) ** 2))
    np.testing.assert_allclose(du, fd_gradient(energy, u0), rtol=1e-7, atol=1e-9)
    ns = emit_module(tmp_path, f"{kernel}:design")
    x0, y0 = np.array([0.2, -0.4, 0.9]), np.array([1.1, 0.3, -0.6])
    dx, dy = np.zeros(3), np.zeros(3)
    ns["design_reverse"](x0.copy(), dx, y0.copy(), dy)
    np.testing.assert_allclose(dx, fd_gradient(lambda x: float(np.sum(np.tanh(np.c_[x, y0 ** 2] @ [1.0, -0.5]))), x0),
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dy, fd_gradient(lambda y: float(np.sum(np.tanh(np.c_[x0, y ** 2] @ [1.0, -0.5]))), y0),
                               rtol=1e-7, atol=1e-9)


def test_check_of_a_zero_d_array():
    # a 0-d array's seed is a number: check failed every reverse path on its own AttributeError
    status, out, err = run_cli("check", f"{SCALARS}:zero_d_update", "--shape", "s=", "--shape", "x=5")
    assert status == 0 and "all checks passed" in out, out + err
    rows = _rows(out)
    for path in ("reverse", "split", "emitted", "emitted-split", "forward"):
        assert rows[path, "s"][2] == "Duplicated" and rows[path, "s"][-1] == "pass", out


def test_check_usage_mistakes_are_usage_errors():
    # (they ended as internal errors, exit 3)
    status, _, err = run_cli("check", f"{SCALARS}:zero_d_update", "--shape", "s=", "--shape", "x=5",
                             "--range", "2,1")
    assert status == 2 and "LO must be below HI" in err, err
    status, _, err = run_cli("check", f"{SCALARS}:decay", "--shape", "u=4", "--dup", "dt")
    assert status == 2 and "`dt` is a scalar (its default, 0.01) but is Duplicated" in err, err


def test_a_zero_d_shape_of_an_index_is_an_int(tmp_path):
    # `--shape n=` (as a refusal's hint said) made the counter a float: the module's reverse sweep
    # indexed with 3.0 and raised IndexError
    ns = emit_module(tmp_path, f"{SCALARS}:countdown", "--shape", "u=3", "--shape", "n=")
    u, du = np.array([1.0, 2.0, 3.0]), np.ones(3)
    ns["countdown_reverse"](u, du, 3)
    np.testing.assert_allclose(du, [2.0, 4.0, 6.0])


def test_check_of_a_complex_zero_d_array_and_a_range_beyond_floats():
    status, out, err = run_cli("check", f"{SCALARS}:rotated", "--shape", "z=4:complex128", "--shape",
                               "c=:complex128", "--dup", "c")
    assert status == 0 and "all checks passed" in out, out + err   # (an internal error: a number, Duplicated)
    status, _, err = run_cli("check", f"{SCALARS}:rotated", "--shape", "z=4", "--shape", "c=", "--range=0,inf")
    assert status == 2 and "LO must be below HI, both finite" in err, err


def test_numba_target_hint_for_a_const_scalar_of_unknown_type_offers_a_float():
    """--target numba with a Const scalar whose type is unknown: the hint offered an int or an array
    only, and following it made a float an int."""
    status, out, err = run_cli("emit", f"{SCALARS}:ema", "--shape", "y=8", "--shape", "x=8", "--const", "alpha",
                               "--target", "numba")
    assert status != 0 and "--shape alpha=:float64 for a float" in err, err
    status, out, err = run_cli("emit", f"{SCALARS}:ema", "--shape", "y=8", "--shape", "x=8", "--const", "alpha",
                               "--shape", "alpha=:float64", "--target", "numba")
    assert status == 0 and "def ema_reverse(y, dy, x, dx, alpha" in out, err
