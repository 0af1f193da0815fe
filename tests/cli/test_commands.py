"""The commands end to end: exit statuses, messages, help, determinism, colors."""
from __future__ import annotations

import importlib.util
import os
import re
import textwrap

import numpy as np
import pytest

from adcompiler.cli.color import color_enabled, highlight
from adcompiler.cli.load import load_target

from .conftest import DATA, ROOT, emit_module, run_cli, run_process

SEED = "examples/seed.py:f_"
SHAPES = ["--shape", "s=5", "--shape", "a=5", "--shape", "b=5"]


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text, text


# --- check -------------------------------------------------------------------

def test_check_passes_on_the_seed(in_root):
    status, out, _ = run_cli("check", SEED, *SHAPES)
    assert status == 0, out
    rows = _rows(out)
    assert {arg for _, arg in rows} == {"s", "a", "b", "all"}
    assert all(r[-1] == "pass" for r in rows.values())
    assert rows["reverse", "a"][2] == "Duplicated"
    assert ("forward", "a") in rows


def _rows(out: str) -> dict:
    """The table as {(mode, argument): cells}."""
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["mode", "argument"], out
    table = {}
    for line in lines[1:]:
        cells = line.split()
        if not cells or cells[0] not in ("reverse", "split", "emitted", "emitted-split", "forward"):
            break
        table[cells[0], cells[1]] = cells
    return table


def test_check_catches_a_wrong_rule():
    """wrong_rule.py registers d(x**3)/dx = 2 x**2; the check must fail on `a` with exit 1."""
    path = os.path.join(DATA, "wrong_rule.py")
    status, out, _ = run_cli("check", f"{path}:apply_cube", "--shape", "s=4", "--shape", "a=4")
    assert status == 1, out
    rows = _rows(out)
    assert rows["reverse", "a"][-1] == "FAIL" and rows["reverse", "all"][-1] == "FAIL"
    assert rows["reverse", "s"][-1] == "pass"   # s is overwritten: its adjoint is zero either way
    assert float(rows["reverse", "a"][3]) > 0.1
    # The same function spelled without the custom rule passes.
    status, out, _ = run_cli("check", f"{path}:right_cube", "--shape", "s=4", "--shape", "a=4")
    assert status == 0, out


def test_check_process_exit_status_and_scalars():
    proc = run_process("check", f"{DATA}/wrong_rule.py:apply_cube", "--shape", "s=3", "--shape", "a=3")
    assert proc.returncode == 1 and "FAIL" in proc.stdout
    status, out, _ = run_cli("check", f"{DATA}/cli_kernels.py:relax", "--shape", "u=4", "--shape", "f=4",
                             "--value", "k=0.3", "--value", "sweeps=2")
    assert status == 0, out
    rows = _rows(out)
    assert rows["reverse", "k"][2:] == ["Active", rows["reverse", "k"][3], rows["reverse", "k"][4], "pass"]
    assert rows["reverse", "sweeps"][2:] == ["Const", "-", "-", "-"]


def test_check_needs_values():
    status, _, err = run_cli("check", f"{DATA}/cli_kernels.py:relax", "--shape", "u=5")
    assert status == 2 and "--shape f=DIMS" in err


# --- emit --------------------------------------------------------------------

def test_emit_output_is_byte_identical_across_processes(tmp_path):
    """Same input, same bytes, even with different hash seeds."""
    outs = [run_process("emit", f"{DATA}/cli_kernels.py:relax", env={"PYTHONHASHSEED": str(k)}).stdout
            for k in (1, 2)]
    assert outs[0] == outs[1] and "def relax_reverse(" in outs[0]


def test_emit_writes_a_file_and_it_runs(tmp_path, in_root):
    out = tmp_path / "seed_adjoint.py"
    status, printed, _ = run_cli("emit", SEED, "-o", str(out))
    assert status == 0 and printed == ""
    spec = importlib.util.spec_from_file_location("seed_adjoint", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ns = vars(mod)
    n = 4
    s, a, b = np.zeros(n), np.arange(n, dtype=float), np.ones(n)
    ds, da, db = np.full(n, 2.0), np.ones(n), np.zeros(n)
    assert ns["f__reverse"](s, ds, a, da, b, db) == ()
    np.testing.assert_array_equal(s, a + b)
    np.testing.assert_array_equal(ds, 0.0)
    np.testing.assert_array_equal(da, 3.0)
    np.testing.assert_array_equal(db, 2.0)


def test_emit_header_says_why_each_activity(in_root):
    _, out, _ = run_cli("emit", f"{DATA}/cli_kernels.py:blend", "--const", "a")
    assert "#   a       Const: --const flag" in out
    assert "#   out     Duplicated: no flag, type hint or default" in out
    assert "#   w       Active: default value 0.25" in out
    _, out, _ = run_cli("emit", f"{DATA}/cli_kernels.py:relax")
    assert "#   sweeps  Const: type hint `int`" in out and "#   k       Active: type hint `float`" in out
    assert "relax_reverse(u, du, f, df, k, sweeps, dret=1.0) -> (dk,)" in out


def test_emit_sibling_import_and_constants(in_root):
    """cli_kernels.py imports sibling_consts: its directory is importable; constants are inlined."""
    _, out, _ = run_cli("emit", f"{DATA}/cli_kernels.py:relax")
    assert "SCALE = 0.5" in out and "WEIGHTS = np.array([0.5, 1.0, 2.0, 4.0], dtype=np.float64)" in out
    assert not re.search(r"^\s*(import|from) adcompiler", out, re.MULTILINE)


@pytest.mark.parametrize("stage", ["parse", "normalize", "lower", "reverse"])
def test_dump_after_each_pass(stage, in_root):
    status, out, err = run_cli("emit", SEED, "--dump-after", stage)
    assert status == 0, err
    assert "def f_" in out


def test_forward_mode_emits_or_says_it_is_missing(in_root):
    import adcompiler.pipeline as p
    status, out, err = run_cli("emit", SEED, "--mode", "forward")
    if hasattr(p, "forward_module"):
        assert status == 0 and "def f__forward(s, ds, a, da, b, db)" in out
    else:
        assert status == 2 and "forward mode is not available" in err


# --- errors: exit 2, one paragraph, no traceback ----------------------------

def _write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


ERROR_FILES = {
    "syntax": ("def f(x):\n    x[:] = (1\n", "syntax error"),
    "missing_import": ("import no_such_module_xyz\n\ndef f(x):\n    x[:] = 1.0\n", "No module named"),
    "exits": ("import sys\nsys.exit(3)\n\ndef f(x):\n    x[:] = 1.0\n", "sys.exit(3)"),
    "raises": ("raise RuntimeError('boom')\n", "raised RuntimeError: boom"),
    "reads_stdin": ("name = input()\n\ndef f(x):\n    x[:] = 1.0\n", "standard input"),
    "unsupported": ("def f(x):\n    try:\n        x[0] = 1.0\n    except ValueError:\n        pass\n",
                    "try/except (other than around one call of a library function) is not supported"),
}


@pytest.mark.parametrize("case", sorted(ERROR_FILES))
def test_errors_exit_2_without_traceback(case, tmp_path):
    body, expect = ERROR_FILES[case]
    path = _write(tmp_path, f"{case}.py", body)
    proc = run_process("emit", f"{path}:f")
    assert proc.returncode == 2, proc.stderr
    assert expect in proc.stderr and proc.stdout == ""
    assert proc.stderr.startswith("adcompiler: error:") and proc.stderr.count("\n") == 1
    _no_traceback(proc.stderr)
    assert os.path.basename(path) in proc.stderr


def test_traceback_flag_shows_it(tmp_path):
    path = _write(tmp_path, "unsupported.py", ERROR_FILES["unsupported"][0])
    proc = run_process("emit", f"{path}:f", "--traceback")
    assert proc.returncode == 2 and "Traceback" in proc.stderr


@pytest.mark.parametrize("argv,expect", [
    (["emit", "examples/seed.py"], "expected PATH.py:FUNC"),
    (["emit", "examples/nothere.py:f"], "no such file"),
    (["emit", "examples/seed.py:nope"], "has no function `nope`. Functions defined there: f_, main"),
    (["emit", "examples/seed.py:np"], "not a function"),
    (["emit", SEED, "--const", "zz"], "has no parameter `zz`"),
    (["emit", SEED, "--const", "s", "--dup", "s"], "two activities"),
    (["emit", SEED, "--mode", "sideways"], "invalid choice"),
    (["emit", SEED, "--dump-after", "nowhere"], "invalid choice"),
    (["check", SEED, "--shape", "s"], "expected NAME=DIMS"),
    (["check", SEED, "--seed", "-1"], "'-1' is not a non-negative integer"),
    (["emit", SEED, "-o", "no/such/directory/out.py"], "No such file or directory: no/such/directory/out.py"),
    (["frobnicate"], "invalid choice"),
    (["emit", f"{DATA}/cli_kernels.py:relax", "--active", "u"], "Active is for float scalars"),
    (["check", f"{DATA}/cli_kernels.py:relax", "--shape", "u=5", "--shape", "f=5", "--value", "k=0.3",
      "--value", "sweeps=2"], "raised ValueError on the random inputs"),
])
def test_usage_errors(argv, expect, in_root):
    status, out, err = run_cli(*argv)
    assert status == 2 and out == "", out
    assert expect in err, err
    _no_traceback(err)


def test_printing_at_import_keeps_stdout_clean(tmp_path):
    path = _write(tmp_path, "chatty.py", """\
        print("hello from import")

        def f(x, a):
            x[:] = a * 2.0
        """)
    proc = run_process("emit", f"{path}:f")
    assert proc.returncode == 0
    assert "hello from import" not in proc.stdout and "hello from import" in proc.stderr
    compile(proc.stdout, "emitted", "exec")


def test_refuses_what_cannot_be_self_contained(tmp_path):
    path = _write(tmp_path, "objs.py", """\
        import fractions

        import numpy as np

        R = fractions.Fraction(1, 3)

        def f(x, a):
            x[:] = a * float(R)
        """)
    proc = run_process("emit", f"{path}:f")
    assert proc.returncode == 2 and "cannot be written into a self-contained module" in proc.stderr
    _no_traceback(proc.stderr)


def test_a_complex_module_array_is_written_into_the_module(tmp_path):
    """A complex array the kernel reads from its module was refused ("make it a number or a
    numpy array", which it is); written as a literal now, the module's gradient is autodiff's."""
    path = _write(tmp_path, "cmod.py", """\
        import numpy as np

        W = np.array([1 + 0.5j, -0.25 + 1j, 0.5 - 0.5j])

        def k(y, x):
            y[:] = np.real(W * x * x)
        """)
    ns = emit_module(tmp_path, f"{path}:k", "--shape", "y=3", "--shape", "x=3")
    x, dx = np.array([0.3, -0.7, 1.1]), np.zeros(3)
    ns["k_reverse"](np.zeros(3), np.ones(3), x.copy(), dx)
    np.testing.assert_allclose(dx, 2 * np.real(np.array([1 + 0.5j, -0.25 + 1j, 0.5 - 0.5j])) * x, rtol=1e-14)


# --- help, version, rules, colors --------------------------------------------

@pytest.mark.parametrize("command", [[], ["emit"], ["check"], ["rules"]])
def test_help_has_examples(command, capsys):
    from adcompiler.cli import main
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "adcompiler" in out


def test_version():
    proc = run_process("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("adcompiler 0.")


def test_rules_lists_and_searches():
    status, out, _ = run_cli("rules")
    assert status == 0 and "numpy.tanh" in out and "no derivative" in out
    status, out, _ = run_cli("rules", "--search", "tanh")
    lines = out.splitlines()
    assert all("tanh" in line for line in lines[1:-1]) and len(lines) >= 3
    status, out, _ = run_cli("rules", "--search", "zzzz")
    assert status == 0 and "no rule matches" in out


class _Tty:
    def isatty(self):
        return True


def test_colors_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_enabled(_Tty()) and not color_enabled(_Tty(), no_color=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not color_enabled(_Tty())
    proc = run_process("emit", SEED, cwd=ROOT)   # a pipe: plain text
    assert "\x1b[" not in proc.stdout
    colored = highlight("def f(x):\n    return x + 1  # one\n")
    assert "\x1b[" in colored
    assert colored.replace("\x1b[0m", "").replace("\x1b[35m", "").replace("\x1b[33m", "") \
        .replace("\x1b[36m", "").replace("\x1b[90m", "") == "def f(x):\n    return x + 1  # one\n"


def test_refuses_defsplit_rules_but_check_runs_them():
    status, out, err = run_cli("emit", f"{DATA}/split_rule.py:f")
    assert status == 2 and "defsplit" in err and out == ""
    status, out, _ = run_cli("check", f"{DATA}/split_rule.py:f", "--shape", "s=3", "--shape", "a=3")
    assert status == 0 and "forward mode: not checked" in out


def test_copied_user_function_runs_without_adcompiler(tmp_path):
    """`cube` (called through a user rule) is copied into the module; the module runs
    where adcompiler cannot be imported and agrees with autodiff, wrong rule included."""
    import pickle
    import subprocess
    import sys

    from adcompiler import Duplicated, Reverse, autodiff
    path = str(tmp_path / "apply_cube_adjoint.py")
    status, _, err = run_cli("emit", f"{DATA}/wrong_rule.py:apply_cube", "-o", path)
    assert status == 0, err
    with open(path) as fh:
        text = fh.read()
    assert "def cube(x):" in text
    rng = np.random.default_rng(5)
    s, a = rng.uniform(size=4), rng.uniform(size=4)
    ds, da = rng.uniform(size=4), rng.uniform(size=4)
    with open(tmp_path / "cases.pkl", "wb") as fh:
        pickle.dump({"c": (path, "apply_cube_reverse", [s.copy(), ds.copy(), a.copy(), da.copy()], {})}, fh)
    driver = os.path.join(os.path.dirname(__file__), "isolated_driver.py")
    proc = subprocess.run([sys.executable, "-I", driver, str(tmp_path / "cases.pkl"),
                           str(tmp_path / "out.pkl"), ROOT], check=False, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "out.pkl", "rb") as fh:
        result = pickle.load(fh)["c"]
    assert result[0] == "ok", result[1]
    apply_cube = load_target(f"{DATA}/wrong_rule.py:apply_cube").func
    a0, ds0, da0 = a.copy(), ds.copy(), da.copy()
    autodiff(Reverse, apply_cube, None, Duplicated(s, ds), Duplicated(a, da))
    for got, want in zip(result[2], [s, ds, a, da]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # the (wrong) rule is what ran: the seed times 2 a^2 + cos(a), not 3 a^2 + cos(a)
    np.testing.assert_allclose(result[2][3], da0 + ds0 * (2.0 * a0**2 + np.cos(a0)), rtol=1e-12)


def test_emit_joins_arrays_of_unknown_dtype(tmp_path):
    """np.concatenate of an argument whose kind the command line leaves open (a number
    of unknown dtype): the dtype widening compared None with a string (exit 3)."""
    path = _write(tmp_path, "joined.py", """\
        import numpy as np


        def kernel(z, coef, y, a, M, x):
            n = len(y)
            cb1 = x[:, None, None] * a[None, :, None] * np.array([0.5, -1.0])
            x[:] += np.sum(cb1[[0, n - 1], :, [1, 0]], axis=0) * 0.5
            jn2 = np.concatenate((x, a))
            y[:] = jn2[:n] * 0.5 + jn2[n:]
        """)
    status, out, err = run_cli("emit", f"{path}:kernel", "--const", "z,coef,a,M", "--dup", "y,x")
    assert status == 0, err
    compile(out, "emitted", "exec")



def test_a_float_shape_for_an_active_number(tmp_path):
    """``--active w --shape w=:float64`` names the float it is (it was refused as an array's
    shape on an Active argument, where ``--shape c=:complex128`` was taken); an array's shape
    for an Active argument stays refused."""
    ns = emit_module(tmp_path, f"{DATA}/cli_kernels.py:blend", "--shape", "out=3", "--shape", "a=3", "--shape",
                     "b=3", "--active", "w", "--shape", "w=:float64")
    spec = importlib.util.spec_from_file_location("cli_kernels_ref", f"{DATA}/cli_kernels.py")
    K = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(K)
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    (dw,) = ns["blend_reverse"](np.zeros(3), np.ones(3), a, np.zeros(3), b.copy(), np.zeros(3), 0.25)
    h, ends = 1e-6, []
    for w in (0.25 + h, 0.25 - h):
        out = np.zeros(3)
        K.blend(out, a, b.copy(), w)
        ends.append(out)
    assert dw == pytest.approx(float(np.sum(ends[0] - ends[1])) / (2 * h), rel=1e-6)   # (seed 1 on out)
    status, _, err = run_cli("emit", f"{DATA}/cli_kernels.py:blend", "--active", "w", "--shape", "w=3")
    assert status != 0 and "has a --shape but is Active" in err


def test_an_emitted_modules_refusal_says_where_and_why(tmp_path):
    """A view numpy returned as a copy, met by the emitted module: its ValueError names the
    user's line and says what to do (it was a bare tuple of a tag and the line)."""
    ns = emit_module(tmp_path, f"{DATA}/cli_kernels.py:ravel_copy", "--shape", "A=2,3")
    A = np.array([[0.3, -0.7, 1.1], [0.4, -0.2, 0.9]])
    with pytest.raises(ValueError, match=r"cli_kernels.py:\d+: `r = np.ravel\(A.T\)`: this call returned a copy"):
        ns["ravel_copy_reverse"](A, np.zeros_like(A))
