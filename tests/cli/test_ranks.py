"""`emit` without --shape: where an array's rank decides the derivative
(`x = X[t - 1, 0]` is an element of a 2-D X but a view of a 3-D one, and X is
written), the command asks for --shape (exit 2, file:line and the parameter)
instead of guessing; with --shape the module is right. References: central
finite differences and autodiff through the Python API."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from adcompiler import Active, Const, Duplicated, Reverse, autodiff

from .conftest import DATA, emit_module, fd_gradient, run_process

RANKS = f"{DATA}/ranks.py"


def _kernels():
    spec = importlib.util.spec_from_file_location("cli_ranks_kernels", RANKS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


K = _kernels()


@pytest.mark.parametrize("func,line,param", [("square_chain", 8, "X"), ("row_chain", 14, "X"),
                                             ("calls_helper", 26, "X")])
def test_emit_asks_for_the_shape(func, line, param):
    proc = run_process("emit", f"{RANKS}:{func}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("adcompiler: error:") and proc.stderr.count("\n") == 1
    assert f"ranks.py:{line}:" in proc.stderr
    assert f"--shape {param}=DIMS" in proc.stderr and f"rank of `{param}`" in proc.stderr
    # (the user's line as written, not a normalized statement naming a temporary)
    written = Path(RANKS).read_text().splitlines()[line - 1].strip()
    assert f"`{written}`" in proc.stderr and "_t" not in proc.stderr.split("`")[1]


def _objective(func, X0, seed, *rest):
    def J(X):
        X = X.copy()
        func(X, *[r.copy() for r in rest])
        return float(np.sum(seed * X))
    return J


@pytest.mark.parametrize("func,shape", [("square_chain", (3, 2)), ("square_chain", (3, 2, 2)),
                                        ("row_chain", (4,)), ("row_chain", (4, 3))])
def test_with_shape_the_module_is_right(tmp_path, func, shape):
    dims = ",".join(map(str, shape))
    ns = emit_module(tmp_path, f"{RANKS}:{func}", "--shape", f"X={dims}")
    rng = np.random.default_rng(len(shape))
    X0, seed = rng.uniform(0.5, 1.0, shape), rng.uniform(-1, 1, shape)
    X, dX = X0.copy(), seed.copy()
    ns[f"{func}_reverse"](X, dX)
    want = fd_gradient(_objective(getattr(K, func), X0, seed), X0)
    np.testing.assert_allclose(dX, want, rtol=1e-7, atol=1e-9)
    # and autodiff through the Python API agrees
    X2, dX2 = X0.copy(), seed.copy()
    autodiff(Reverse, getattr(K, func), Const, Duplicated(X2, dX2))
    np.testing.assert_allclose(dX, dX2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(X, X2, rtol=1e-12)


def test_the_issue_example(tmp_path):
    """X = [[1, .], [0, .], [0, .]] seeded at dX[2, 0] = 1: d X[2,0] / d X[0,0] is 4 X[0,0]^3 = 4."""
    ns = emit_module(tmp_path, f"{RANKS}:square_chain", "--shape", "X=3,2")
    X0 = np.array([[1.0, 0.0], [0.5, 0.0], [0.0, 0.0]])
    seed = np.zeros((3, 2))
    seed[1, 0], seed[2, 0] = 0.5, 1.0
    X, dX = X0.copy(), seed.copy()
    ns["square_chain_reverse"](X, dX)
    want = fd_gradient(_objective(K.square_chain, X0, seed), X0)
    np.testing.assert_allclose(dX, want, rtol=1e-7, atol=1e-9)
    assert abs(dX[0, 0] - 5.0) < 1e-6   # 0.5 * 2 + 1.0 * 4, by the chain rule (and the finite difference)


def test_rank_free_code_still_emits_without_shape(tmp_path):
    """X is only read: the code does not depend on its rank, no --shape is needed."""
    ns = emit_module(tmp_path, f"{RANKS}:read_only")
    rng = np.random.default_rng(7)
    for shape in [(4, 2), (4, 2, 3)]:
        X0, y0 = rng.uniform(0.5, 1.0, shape), rng.uniform(0.5, 1.0, shape[:1] + shape[2:])
        seed = rng.uniform(-1, 1, y0.shape)

        def J(X, y0=y0, seed=seed):
            y = y0.copy()
            K.read_only(y, X)
            return float(np.sum(seed * y))
        y, dy, X, dX = y0.copy(), seed.copy(), X0.copy(), np.zeros(shape)
        ns["read_only_reverse"](y, dy, X, dX)
        np.testing.assert_allclose(dX, fd_gradient(J, X0), rtol=1e-7, atol=1e-9)


def test_helper_with_shape_is_right(tmp_path):
    ns = emit_module(tmp_path, f"{RANKS}:calls_helper", "--shape", "X=3", "--shape", "a=2")
    rng = np.random.default_rng(8)
    X0, a0, seed = rng.uniform(0.5, 1.0, 3), rng.uniform(0.5, 1.0, 2), rng.uniform(-1, 1, 3)
    X, dX, a, da = X0.copy(), seed.copy(), a0.copy(), np.zeros(2)
    ns["calls_helper_reverse"](X, dX, a, da)
    np.testing.assert_allclose(dX, fd_gradient(_objective(K.calls_helper, X0, seed, a0), X0), rtol=1e-7, atol=1e-9)

    def Ja(a):
        X = X0.copy()
        K.calls_helper(X, a)
        return float(np.sum(seed * X))
    np.testing.assert_allclose(da, fd_gradient(Ja, a0), rtol=1e-7, atol=1e-9)


def test_a_product_of_arrays_of_unknown_rank_added_to_a_number(tmp_path):
    """`r = 0.0; r += (x * 0.5) @ x`: of vectors a number, of matrices a new array (0.0 + an
    array); either way `r` is rebound (`transform/lower.fresh_accumulators`). Without --shape
    the module wrote `r[...] += ...`, which raised TypeError for vectors, then asked for the
    shape; now it rebinds, and its gradient is the finite differences', with --shape or not."""
    x0 = np.array([0.3, -0.2, 0.5, 0.1])
    e = np.eye(4) * 1e-6
    fd = [(K.product_added(x0 + e[i]) - K.product_added(x0 - e[i])) / 2e-6 for i in range(4)]
    for shape in ((), ("--shape", "x=4")):
        ns = emit_module(tmp_path, f"{RANKS}:product_added", *shape)
        x, dx = x0.copy(), np.zeros(4)
        ns["product_added_reverse"](x, dx, 1.0)
        assert np.allclose(dx, fd, atol=1e-7)


def test_a_zero_d_shape_written_as_empty_parentheses():
    """``--shape t=()`` (numpy's spelling of a 0-d shape) means what ``--shape t=`` means."""
    from adcompiler.cli.check import parse_shape
    assert parse_shape("t=():float64") == parse_shape("t=:float64") == ("t", (), np.dtype("float64"))
    assert parse_shape("A=(3,4)") == ("A", (3, 4), np.dtype("float64"))


@pytest.mark.parametrize("text", ["s=6:float64,t=6:float64", "s=6,t=6", "x=3:f8,i4"])
def test_two_shapes_in_one_option_are_a_usage_error(text):
    """``--shape s=6:float64,t=6:float64`` (as ``--dup a,b`` is written) was an internal error (numpy
    read ``float64,t=6:float64`` as a record's format): a usage error, saying one per ``--shape``."""
    proc = run_process("emit", f"{RANKS}:product_added", "--shape", text)
    assert proc.returncode == 2 and "internal error" not in proc.stderr, proc.stderr
    assert f"--shape {text}:" in proc.stderr


def test_a_name_of_arithmetic_of_unknown_rank_updated_in_place(tmp_path):
    """``s = 0.5 * abs(x[0] * z[...]); s += e``: without ``z``'s shape the module wrote ``s[...] += e``,
    a TypeError where ``z`` is 0-d (``s`` is then a number): refused, asking for the shapes; with
    them the module is right."""
    proc = run_process("emit", f"{RANKS}:scaled_then_added", "--dup", "z,x")
    assert proc.returncode != 0 and "cannot tell whether `s` is an array" in proc.stderr, proc.stderr
    assert "--shape" in proc.stderr
    ns = emit_module(tmp_path, f"{RANKS}:scaled_then_added", "--dup", "z,x", "--shape", "z=", "--shape", "x=2")
    z0, x0 = np.array(0.7), np.array([-0.9, 0.4])
    z, dz, x, dx = z0.copy(), np.zeros(()), x0.copy(), np.zeros(2)
    ns["scaled_then_added_reverse"](z, dz, x, dx, 1.0)
    z2, dz2, x2, dx2 = z0.copy(), np.zeros(()), x0.copy(), np.zeros(2)
    autodiff(Reverse, K.scaled_then_added, Active, Duplicated(z2, dz2), Duplicated(x2, dx2))
    np.testing.assert_allclose(dz, dz2, rtol=1e-14)
    np.testing.assert_allclose(dx, dx2, rtol=1e-14)
    assert float(dz) == pytest.approx(0.5 * 0.9 + 1.0) and dx[1] == pytest.approx(0.8)
