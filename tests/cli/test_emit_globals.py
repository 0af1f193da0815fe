"""Module-level names the emitted module must define for itself: a function
imported from ``math`` under its own name, a named tuple of constants, a constant holding None; and
``adcompiler check`` running the emitted module as the file it is.

Each module is emitted, then run in an interpreter where adcompiler cannot be
imported (``isolated_driver.py``); its gradient is compared with central
finite differences of the function itself.
"""
from __future__ import annotations

import importlib.util
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from adcompiler.cli.check import load_emitted

from .conftest import ROOT, run_cli

KERNELS = {
    "from_math": ("""
        import numpy as np
        from math import tanh, pi as PI

        def f(x: np.ndarray) -> float:
            s = 0.0
            for i in range(x.shape[0]):
                s += tanh(x[i]) * PI
            return s
        """, 4),
    "named_constants": ("""
        from collections import namedtuple
        import numpy as np

        Params = namedtuple("Params", ["dt", "nu"])
        P0 = Params(0.1, 0.3)

        def f(x: np.ndarray) -> float:
            for i in range(1, x.shape[0] - 1):
                x[i] += P0.dt * P0.nu * (x[i - 1] - 2 * x[i] + x[i + 1])
            return float(np.sum(x * x))
        """, 6),
    # (a module constant holding None was left out of the module: NameError when called)
    "none_axis": ("""
        import numpy as np

        AX = None

        def f(x: np.ndarray) -> float:
            s = np.sum(x * x, axis=AX)
            return float(s * x[0])
        """, 5),
}


def _load(path):
    spec = importlib.util.spec_from_file_location(f"kernel_{abs(hash(path))}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _finite_differences(f, x, h=1e-6):
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        g[k] = (f((x + e).copy()) - f((x - e).copy())) / (2 * h)
    return g


@pytest.mark.parametrize("target", ["numpy", "numba"])
def test_emitted_module_defines_its_globals(tmp_path, target):
    todo, expected = {}, {}
    for name, (source, n) in KERNELS.items():
        src = tmp_path / f"{name}.py"
        src.write_text(textwrap.dedent(source))
        out = tmp_path / f"{name}_{target}_ad.py"
        rc, _, err = run_cli("emit", f"{src}:f", "--shape", f"x={n}", "--target", target, "-o", str(out))
        assert rc == 0, err
        x = np.linspace(0.2, 1.1, n)
        todo[name] = (str(out), "f_reverse", [x.copy(), np.zeros(n)], {})
        expected[name] = _finite_differences(_load(str(src)).f, x)
    with open(tmp_path / "cases.pkl", "wb") as fh:
        pickle.dump(todo, fh)
    driver = os.path.join(os.path.dirname(__file__), "isolated_driver.py")
    proc = subprocess.run([sys.executable, "-I", driver, str(tmp_path / "cases.pkl"), str(tmp_path / "results.pkl"),
                           ROOT], check=False, cwd=str(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(tmp_path / "results.pkl", "rb") as fh:
        results = pickle.load(fh)
    for name in KERNELS:
        assert results[name][0] == "ok", results[name]
        gradient = results[name][2][1]   # (the shadow after the call)
        np.testing.assert_allclose(gradient, expected[name], rtol=1e-6, atol=1e-8)


def test_check_runs_the_emitted_module_as_a_file():
    # (a module reading a name it does not define fails as it would for its user)
    with pytest.raises(NameError):
        load_emitted("tanh = math.tanh\n", "f")
    ns = load_emitted("import math\ntanh = math.tanh\n", "f")
    assert ns["tanh"](0.5) == pytest.approx(np.tanh(0.5))
    assert "np" not in ns


RECORD = """
from typing import NamedTuple

import numpy as np


class Params(NamedTuple):
    dt: float
    nu: float
    steps: int


def heat(x: np.ndarray, p: Params) -> float:
    for _ in range(p.steps):
        for i in range(1, x.shape[0] - 1):
            x[i] = x[i] + p.dt * p.nu * (x[i - 1] - 2 * x[i] + x[i + 1])
    return float(np.sum(x * x))
"""


@pytest.mark.parametrize("target", ["numpy", "numba"])
def test_named_tuple_parameter_is_a_const_record(tmp_path, target):
    """A parameter annotated with a named tuple of numbers is a Const record, read
    by field (it was refused: the fields' kinds were not known)."""
    src = tmp_path / "record_kernel.py"
    src.write_text(RECORD)
    out = tmp_path / f"record_{target}_ad.py"
    rc, _, err = run_cli("emit", f"{src}:heat", "--shape", "x=6", "--target", target, "-o", str(out))
    assert rc == 0, err
    kernel = _load(str(src))
    p = kernel.Params(0.1, 0.3, 4)
    x = np.linspace(0.2, 1.1, 6)
    with open(tmp_path / "cases.pkl", "wb") as fh:
        pickle.dump({"heat": (str(out), "heat_reverse", [x.copy(), np.zeros(6), tuple(p)], {})}, fh)
    driver = os.path.join(os.path.dirname(__file__), "isolated_driver.py")
    proc = subprocess.run([sys.executable, "-I", driver, str(tmp_path / "cases.pkl"), str(tmp_path / "results.pkl"),
                           ROOT], check=False, cwd=str(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(tmp_path / "results.pkl", "rb") as fh:
        result = pickle.load(fh)["heat"]
    assert result[0] == "ok", result
    np.testing.assert_allclose(result[2][1], _finite_differences(lambda v: kernel.heat(v, p), x), rtol=1e-6,
                               atol=1e-8)


PARTIALS = textwrap.dedent("""
    import functools
    import numpy as np

    def _lin(x, y, a=1.5):
        y[:] = a * x ** 2

    def rk(f, x, y):
        f(x, y)
        y *= x

    P = functools.partial(_lin, a=3.0)

    def given_to_a_helper(x, y):
        rk(P, x, y)
    """)


@pytest.mark.parametrize("target, says", [
    ("given_to_a_helper", "`_lin` is a functools.partial of `_lin`"),
    ("P", "partials.py` is a functools.partial, not a function")])
def test_partials_are_refused_with_what_to_write(tmp_path, target, says):
    """A module's functools.partial given to a helper was refused as "`_lin` calls `_lin` as
    `bound__function`" (the function made of the partial and its function clash), and as the
    function named, with "a value whose kind is unknown"."""
    (tmp_path / "partials.py").write_text(PARTIALS)
    status, out, err = run_cli("emit", f"{tmp_path / 'partials.py'}:{target}", "--shape", "x=3", "--shape", "y=3")
    assert status == 2 and says in err and "def" in err and out == "", err
