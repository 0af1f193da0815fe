"""``adcompiler emit --target numba`` compiles the module's entry points for the types
the shapes give before writing it: a line numba cannot compile is refused then, at the
user's line (the module was written, and failed with numba's TypingError at its first
call)."""
import subprocess
import sys

import numpy as np
import pytest
from optional import require

KERNEL = '''import numpy as np


def lse_rows(out, A):
    m = A.max(axis=(1,), keepdims=True)
    e = np.exp(A - m)
    out[:] = (m + np.log(e.sum(axis=1, keepdims=True)))[:, 0]


def row_sums(out, A):
    out[:] = np.sum(A * A, axis=1)
'''


def _emit(tmp_path, name, *extra):
    (tmp_path / "kern_typed.py").write_text(KERNEL)
    return subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"kern_typed.py:{name}", "--target", "numba",
                           "--dup", "out,A", "--shape", "out=4", "--shape", "A=4,3", "--ret", "const", *extra],
                          check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)


def _emitted(folder, *argv) -> None:
    """``adcompiler emit`` run in ``folder`` with ``argv``, written without an error."""
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", *argv], check=False, cwd=folder,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def _imported(folder, *names) -> list:
    """The modules ``names`` of ``folder``, imported."""
    import importlib
    sys.path.insert(0, str(folder))
    try:
        return [importlib.import_module(n) for n in names]
    finally:
        sys.path.remove(str(folder))


def test_a_line_numba_cannot_compile_is_refused_at_emit(tmp_path):
    require("numba")
    run = _emit(tmp_path, "lse_rows")
    assert run.returncode != 0 and not run.stdout
    assert "kern_typed.py:5" in run.stderr and "A.max(axis=(1,), keepdims=True)" in run.stderr   # (an axis tuple)
    assert "Traceback" not in run.stderr


def test_a_module_numba_compiles_is_written_and_right(tmp_path):
    require("numba")
    run = _emit(tmp_path, "row_sums", "-o", "row_sums_nb.py")
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import row_sums_nb
    finally:
        sys.path.remove(str(tmp_path))
    A = np.random.default_rng(0).standard_normal((4, 3))
    dA, dout = np.zeros_like(A), np.arange(4.0)
    want = 2 * A * dout[:, None]
    row_sums_nb.row_sums_reverse(np.zeros(4), dout, A, dA)
    np.testing.assert_allclose(dA, want, rtol=1e-14)


DEFAULTS = '''
def powered_sum(x, scale=2.0, k=3):
    s = 0.0
    for i in range(x.shape[0]):
        s += scale * x[i] ** k
    return s
'''


def test_the_numba_module_keeps_the_source_defaults(tmp_path):
    """``--target numba`` writes the trailing defaults on the entry point, as the numpy module does."""
    require("numba")
    (tmp_path / "kern_defaults.py").write_text(DEFAULTS)
    namespaces = {}
    for target in ("numpy", "numba"):
        run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "kern_defaults.py:powered_sum",
                              "--target", target, "--shape", "x=4", "-o", f"defaults_{target}.py"],
                             check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        text = (tmp_path / f"defaults_{target}.py").read_text()
        assert "def powered_sum_reverse(x, dx, scale=2.0, k=3, dret=1.0):" in text
        ns: dict = {"__name__": f"defaults_{target}", "__file__": str(tmp_path / f"defaults_{target}.py")}
        exec(compile(text, ns["__file__"], "exec"), ns)  # noqa: S102 - the module just written
        namespaces[target] = ns
    x = np.random.default_rng(2).uniform(0.5, 1.5, 4)
    for target, ns in namespaces.items():
        dx = np.zeros(4)
        (dscale,) = ns["powered_sum_reverse"](x, dx)
        np.testing.assert_allclose(dx, 6.0 * x ** 2, rtol=1e-13, err_msg=target)
        np.testing.assert_allclose(dscale, np.sum(x ** 3), rtol=1e-13, err_msg=target)


def test_the_numba_module_checks_its_arguments(tmp_path):
    """numba's typing checks no shape, rank, layout or memory: the entry points check them
    first, as the numpy module's do (arrays sharing memory gave a wrong derivative, silently;
    a shadow of another shape was written out of bounds)."""
    require("numba")
    from numpy.lib.stride_tricks import as_strided
    run = _emit(tmp_path, "row_sums", "-o", "row_sums_checked.py")
    assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import row_sums_checked as m
    finally:
        sys.path.remove(str(tmp_path))
    buf, dbuf = np.zeros(16), np.zeros(16)
    calls = {
        "share memory": lambda: m.row_sums_reverse(buf[:4], dbuf[:4], buf[2:14].reshape(4, 3), dbuf[2:14].reshape(4, 3)),
        "does not match": lambda: m.row_sums_reverse(np.zeros(4), np.zeros(3), np.ones((4, 3)), np.zeros((4, 3))),
        "dimension": lambda: m.row_sums_reverse(np.zeros(4), np.zeros(4), np.ones(12), np.zeros(12)),
        "elements of `A` share memory": lambda: m.row_sums_reverse(
            np.zeros(4), np.zeros(4), as_strided(np.ones(6), (4, 3), (8, 8)), as_strided(np.zeros(6), (4, 3), (8, 8))),
        # (numba computes float32 in double precision: the primal differed at float32's rounding)
        "`A` is float32": lambda: m.row_sums_reverse(np.zeros(4), np.zeros(4), np.ones((4, 3), np.float32),
                                                     np.zeros((4, 3), np.float32)),
        "`out` is float32": lambda: m.row_sums_reverse(np.zeros(4, np.float32), np.zeros(4, np.float32),
                                                       np.ones((4, 3)), np.zeros((4, 3))),
    }
    for says, call in calls.items():
        try:
            call()
        except (ValueError, TypeError) as e:
            assert says in str(e), (says, e)
        else:
            raise AssertionError(f"not refused: {says}")
    fwd_refused = False
    try:
        m.row_sums_fwd(buf[:4], dbuf[:4], buf[2:14].reshape(4, 3), dbuf[2:14].reshape(4, 3), *m._ad_tape_new())
    except ValueError as e:
        fwd_refused = "share memory" in str(e)
    assert fwd_refused


EMBED = '''import numpy as np


def embed(E, idx, W, out):
    e = E[idx]
    out[:] = np.tanh(e @ W)
'''


def test_a_reverse_half_binding_a_gather_late_is_written_and_right(tmp_path):
    """The reverse half binds the gathered ``e`` after its adjoint's first zero: it read ``e``
    before binding it, so the halves were refused at emit (numba's NotDefinedError); the zero is
    made there now, and the module's split halves give the derivatives the finite differences give."""
    require("numba")
    (tmp_path / "embed_kernel.py").write_text(EMBED)
    _emitted(tmp_path, "embed_kernel.py:embed", "--target", "numba", "--dup", "E,W,out", "--const", "idx",
             "--shape", "E=5,3", "--shape", "idx=5:int64", "--shape", "W=3,2", "--shape", "out=5,2",
             "-o", "embed_nb.py")
    (embed_nb,) = _imported(tmp_path, "embed_nb")
    rng = np.random.default_rng(3)
    E, W, idx, seed = rng.standard_normal((5, 3)), rng.standard_normal((3, 2)), np.array([4, 0, 2, 2, 1]), \
        rng.standard_normal((5, 2))

    def loss(E, W):
        return float(np.sum(np.tanh(E[idx] @ W) * seed))
    dE, dW = np.zeros_like(E), np.zeros_like(W)
    tape = embed_nb.embed_fwd(E.copy(), np.zeros_like(E), idx, W.copy(), np.zeros_like(W), np.zeros((5, 2)),
                              np.zeros((5, 2)), *embed_nb._ad_tape_new())
    embed_nb.embed_rev(E.copy(), dE, idx, W.copy(), dW, np.zeros((5, 2)), seed.copy(), None, *tape[1:])
    h = 1e-6
    for X, dX, which in ((E, dE, 0), (W, dW, 1)):
        for k in np.ndindex(X.shape):
            e = np.zeros_like(X)
            e[k] = h
            args = [(E + e, W), (E - e, W)] if which == 0 else [(E, W + e), (E, W - e)]
            assert dX[k] == pytest.approx((loss(*args[0]) - loss(*args[1])) / (2 * h), rel=1e-6, abs=1e-8)


SWEEP = '''
def sweep(u, f, sweeps):
    n, m = u.shape
    for _ in range(sweeps):
        for i in range(1, n - 1):
            for j in range(1, m - 1):
                u[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - f[i, j] * u[i, j] ** 2)


def smooth(y, x):
    for i in range(1, x.shape[0] - 1):
        y[i] = x[i - 1] * x[i + 1] + x[i]
'''


def test_ranks_read_from_subscripts_without_shapes(tmp_path):
    """``emit --target numba`` without ``--shape`` refused every array kernel ("the type of ... is
    not known"): the ranks are read from the subscripts (``u[i, j]``, ``n, m = u.shape``, ``x[i]``),
    said in the header, and the module refuses an array of another rank at the call."""
    require("numba")
    from adcompiler import Const, Duplicated, Reverse, autodiff
    (tmp_path / "kern_sweep.py").write_text(SWEEP)
    for name in ("sweep", "smooth"):
        run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"kern_sweep.py:{name}", "--target", "numba",
                              "--const", "sweeps", "--shape", "sweeps=:int64", "--ret", "const", "-o", f"{name}_nb.py"]
                             if name == "sweep" else
                             [sys.executable, "-m", "adcompiler", "emit", f"kern_sweep.py:{name}", "--target", "numba",
                              "--ret", "const", "-o", f"{name}_nb.py"],
                             check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert "read from its subscripts" in (tmp_path / f"{name}_nb.py").read_text()
    sys.path.insert(0, str(tmp_path))
    try:
        import kern_sweep
        import smooth_nb
        import sweep_nb
    finally:
        sys.path.remove(str(tmp_path))
    rng = np.random.default_rng(1)
    u, f, seed = rng.random((5, 6)), rng.random((5, 6)), rng.standard_normal((5, 6))
    got = [u.copy(), seed.copy(), f.copy(), np.zeros((5, 6))]
    sweep_nb.sweep_reverse(got[0], got[1], got[2], got[3], 3)
    want = [u.copy(), seed.copy(), f.copy(), np.zeros((5, 6))]
    autodiff(Reverse, kern_sweep.sweep, Const, Duplicated(want[0], want[1]), Duplicated(want[2], want[3]), Const(3))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    with pytest.raises(ValueError, match=r"`u` has 3 dimension\(s\), but this module was generated for 2"):
        sweep_nb.sweep_reverse(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), 1)
    x, dy = rng.random(6), rng.standard_normal(6)
    dx = np.zeros(6)
    smooth_nb.smooth_reverse(np.zeros(6), dy.copy(), x.copy(), dx)
    want_dx = np.zeros(6)
    autodiff(Reverse, kern_sweep.smooth, Const, Duplicated(np.zeros(6), dy.copy()), Duplicated(x.copy(), want_dx))
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12)


WHOLE = '''import numpy as np


def axpy(y: np.ndarray, a: float, x: np.ndarray) -> None:
    y += a * x


def rank_one(M: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    M += np.outer(u, v)
'''


def test_whole_array_updates_of_any_rank(tmp_path):
    """``y += a * x`` with no --shape: the code made for any rank reads ``y[...]``, which numba
    does not lower; every call of the emitted numba module failed (NotImplementedError)."""
    require("numba")
    (tmp_path / "whole.py").write_text(WHOLE)
    for name in ("axpy", "rank_one"):
        run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"whole.py:{name}", "--target", "numba",
                              "-o", f"whole_{name}.py"], check=False, cwd=tmp_path, capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0, run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        import whole_axpy
        import whole_rank_one
    finally:
        sys.path.remove(str(tmp_path))
    rng = np.random.default_rng(3)
    for shape in ((4,), (2, 3)):
        y, x, seed = rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape)
        yy, dy, dx = y.copy(), seed.copy(), np.zeros(shape)
        (da,) = whole_axpy.axpy_reverse(yy, dy, 0.5, x.copy(), dx)
        np.testing.assert_allclose(yy, y + 0.5 * x, rtol=1e-14)
        assert da == pytest.approx(float(np.sum(seed * x)), rel=1e-13)
        np.testing.assert_allclose(dx, 0.5 * seed, rtol=1e-14)
        np.testing.assert_allclose(dy, seed, rtol=1e-14)
    u, v, seed = rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal((3, 2))
    M, du, dv = np.zeros((3, 2)), np.zeros(3), np.zeros(2)
    whole_rank_one.rank_one_reverse(M, seed.copy(), u.copy(), du, v.copy(), dv)
    np.testing.assert_allclose(M, np.outer(u, v), rtol=1e-14)
    np.testing.assert_allclose(du, seed @ v, rtol=1e-13)
    np.testing.assert_allclose(dv, seed.T @ u, rtol=1e-13)


SWEEPS = '''import numpy as np


def relax(u, nit: int, w: float):
    for k in range(nit):
        for i in range(1, u.shape[0] - 1):
            u[i] = (u[i - 1] + u[i + 1]) * 0.5 * w
    return float(np.sum(u * u))
'''


def test_the_numba_module_refuses_a_float_for_an_int(tmp_path):
    """numba typed the call for the float and ran range(2.5) as two sweeps, where the function, run
    by Python, raises: a float given for a Const int is refused (an int32 one, computed at 64 bits,
    too)."""
    require("numba")
    (tmp_path / "kern_sweeps.py").write_text(SWEEPS)
    run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", "kern_sweeps.py:relax", "--target", "numba",
                          "--const", "w", "--shape", "u=5", "-o", "sweeps_numba.py"],
                         check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "sweeps_numba.py").read_text()
    ns: dict = {"__name__": "sweeps_numba", "__file__": str(tmp_path / "sweeps_numba.py")}
    exec(compile(text, ns["__file__"], "exec"), ns)  # noqa: S102 - the module just written
    u = np.linspace(0.5, 1.5, 5)
    for nit in (2, np.int64(2)):
        du = np.zeros(5)
        ns["relax_reverse"](u.copy(), du, nit, 0.9, 1.0)
        h, fd = 1e-6, np.zeros(5)
        for k in range(5):
            e = np.zeros(5)
            e[k] = h
            plus, minus = u + e, u - e
            exec_ns: dict = {}
            exec(SWEEPS, exec_ns)  # noqa: S102 - the kernel above
            fd[k] = (exec_ns["relax"](plus, 2, 0.9) - exec_ns["relax"](minus, 2, 0.9)) / (2 * h)
        np.testing.assert_allclose(du, fd, rtol=1e-6)
    for bad, says in ((2.5, "is an int in this module"), (np.int32(2), "is int32")):
        with pytest.raises(TypeError, match=says):
            ns["relax_reverse"](u.copy(), np.zeros(5), bad, 0.9, 1.0)


UNRANKED = '''import numpy as np


def traced(A: np.ndarray, v: np.ndarray) -> float:
    s = 0.0
    for i in range(v.shape[0]):
        s += v[i]
    return s * np.trace(A)


def col_max(A: np.ndarray, w: np.ndarray) -> float:
    c = np.max(A, axis=(0,))
    s = 0.0
    for j in range(c.shape[0]):
        s += c[j] * w[j]
    return s
'''


def test_forward_modules_of_arrays_whose_rank_is_not_known(tmp_path):
    """``--mode forward --target numba`` without shapes, a matrix never subscripted (its rank
    not known when the module is written): the return's tangent started as the shadow of None,
    which numba could not type (its TypingError at the first call); it is right now. What numba
    cannot compile for the arguments given is a TypeError saying to give the shapes, not numba's
    traceback."""
    require("numba")
    (tmp_path / "kern_unranked.py").write_text(UNRANKED)
    for name in ("traced", "col_max"):
        _emitted(tmp_path, f"kern_unranked.py:{name}", "--mode", "forward", "--target", "numba", "-o", f"{name}_fnb.py")
    col_max_fnb, kern_unranked, traced_fnb = _imported(tmp_path, "col_max_fnb", "kern_unranked", "traced_fnb")
    rng = np.random.default_rng(3)
    A, dA, v, dv = rng.random((3, 3)), rng.standard_normal((3, 3)), rng.random(4), rng.standard_normal(4)
    got = traced_fnb.traced_forward(A.copy(), dA.copy(), v.copy(), dv.copy())
    h = 1e-6
    fd = (kern_unranked.traced(A + h * dA, v + h * dv) - kern_unranked.traced(A - h * dA, v - h * dv)) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=1e-7)
    with pytest.raises(TypeError, match=r"col_max_forward: numba cannot compile .*--shape NAME=DIMS"):
        col_max_fnb.col_max_forward(A.copy(), dA.copy(), v[:3].copy(), dv[:3].copy())


RUN_LIMITS = '''import numpy as np


def flat_squares(A, y):
    v = A.reshape(-1)
    for i in range(v.shape[0]):
        y[0] += v[i] * v[i]


def written_ravel(A, y):
    v = A.ravel()
    v[0] = 2.0 * v[1]
    y[0] = np.sum(A * A)
'''


@pytest.mark.parametrize("name", ["flat_squares", "written_ravel"])
def test_errors_running_a_numba_module_are_readable(tmp_path, name):
    # on a Fortran-ordered A, numba's reshape stopped with its bare NotImplementedError, and the
    # check that ravel returned a view raised a ValueError holding a tuple (tag, file, line, text);
    # both are a sentence now, the check's at the user's line, as the numpy target's module says
    require("numba")
    (tmp_path / "limits.py").write_text(RUN_LIMITS)
    for target in ("numpy", "numba"):
        _emitted(tmp_path, f"limits.py:{name}", "--target", target, "--shape", "A=3,4", "--shape", "y=1",
                 "-o", f"{name}_{target}.py")
    mods = _imported(tmp_path, f"{name}_numpy", f"{name}_numba")
    for c_order in (True, False):
        results = []
        for mod in mods:
            A = np.arange(12.0).reshape(3, 4) / 7
            A = A if c_order else np.asfortranarray(A)
            dA, y, dy = np.zeros_like(A), np.zeros(1), np.ones(1)
            try:
                getattr(mod, f"{name}_reverse")(A, dA, y, dy)
            except ValueError as e:
                results.append(str(e))
            else:
                results.append(dA)
        if name == "written_ravel" and not c_order:   # (the copy refused by both, at the user's line)
            assert results[0] == results[1] and "limits.py:11: `v = A.ravel()`: this call returned a copy" \
                in results[0]
        elif name == "flat_squares" and not c_order:   # (numpy's reshape copies, numba's stops)
            assert "np.ascontiguousarray" in results[1] and "numba: incompatible shape" in results[1]
            np.testing.assert_allclose(results[0], 2 * A)
        else:
            np.testing.assert_allclose(results[0], results[1], rtol=1e-13)
            np.testing.assert_allclose(results[0], 2 * A if name == "flat_squares" else results[0])


RETURNED_VIEW = '''def _tail(y):
    return y[1:]


def scaled_tail(y, x):
    t = _tail(y)
    t *= x[1:]
'''


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_helper_returning_a_view_is_refused_readably(tmp_path, mode):
    # the module's compiled check raised ValueError(tag, file, line, text): a sentence now, at the line
    require("numba")
    (tmp_path / "tails.py").write_text(RETURNED_VIEW)
    _emitted(tmp_path, "tails.py:scaled_tail", "--target", "numba", "--mode", mode, "--dup", "y,x", "--shape", "y=4",
             "--shape", "x=4", "-o", f"tail_{mode}.py")
    (mod,) = _imported(tmp_path, f"tail_{mode}")
    with pytest.raises(ValueError, match=r"tails.py:6: `t = _tail\(y\)`: this helper returned a view of its "
                                         r"argument.*numpy target"):
        getattr(mod, f"scaled_tail_{mode}")(np.ones(4), np.ones(4), np.ones(4), np.ones(4))


def test_a_floored_remainder_of_elements_is_written_with_its_imports(tmp_path):
    # (numba's floored division helper calls math.copysign: the module imports math, else numba's
    # typing failed on a NameError and the line was refused)
    require("numba")
    (tmp_path / "kern_rem.py").write_text(
        "import numpy as np\n\n\ndef rem(y, a, b):\n    for i in range(a.shape[0]):\n"
        "        y[i] = np.remainder(a[i], b[i]) * a[i] + np.floor_divide(a[i], b[i])\n    return np.sum(y)\n")
    _emitted(tmp_path, "kern_rem.py:rem", "--target", "numba", "--shape", "y=3", "--shape", "a=3",
             "--shape", "b=3", "-o", "rem_nb.py")
    (mod,) = _imported(tmp_path, "rem_nb")
    from adcompiler import Active, Duplicated, Reverse, autodiff
    (kern,) = _imported(tmp_path, "kern_rem")
    a, b = np.array([1.4, -2.0, 3.0]), np.array([0.7, 0.7, -1.0])
    want = np.zeros(3)
    autodiff(Reverse, kern.rem, Active, Duplicated(np.zeros(3), np.zeros(3)), Duplicated(a.copy(), want),
             Duplicated(b.copy(), np.zeros(3)))
    got = np.zeros(3)
    mod.rem_reverse(np.zeros(3), np.zeros(3), a.copy(), got, b.copy(), np.zeros(3), 1.0)
    np.testing.assert_allclose(got, want, rtol=1e-13)


COUNTERS = '''import numpy as np


def counters(x, out):
    cnt = [0] * 2
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            cnt[0] += 1
        else:
            cnt[1] += 1
        out[i] = x[i] * (cnt[0] + 1)
    s = 0.0
    for i in range(x.shape[0]):
        s += out[i] * cnt[1]
    return s
'''


def test_a_list_of_int_counters_kept_for_the_reverse_half(tmp_path):
    """``cnt = [0] * 2`` read after its loop: the split halves keep it on the typed tape (numba's list
    of ints has no ravel: the module and split mode were refused, naming ``return s``)."""
    require("numba")
    import adcompiler as ad
    (tmp_path / "kern_counters.py").write_text(COUNTERS)
    _emitted(tmp_path, "kern_counters.py:counters", "--target", "numba", "-o", "counters_nb.py")
    kern, nb = _imported(tmp_path, "kern_counters", "counters_nb")
    x = np.array([0.5, -1.0, 2.0, -0.3])
    want = np.zeros(4)
    ad.autodiff(ad.Reverse, kern.counters, ad.Active, ad.Duplicated(x, want), ad.Duplicated(np.zeros(4), np.zeros(4)))
    np.testing.assert_allclose(want, [4.0, 4.0, 6.0, 6.0])   # (2 * (cnt[0] + 1) at each, cnt[1] = 2 at the end)
    got = np.zeros(4)
    nb.counters_reverse(x, got, np.zeros(4), np.zeros(4))
    np.testing.assert_allclose(got, want, rtol=1e-14)
    out, split = np.zeros(4), np.zeros(4)
    tape = nb.counters_fwd(x, np.zeros(4), out, np.zeros(4), *nb._ad_tape_new())
    nb.counters_rev(x, split, out, np.zeros(4), 1.0, *tape[1:])
    np.testing.assert_allclose(split, want, rtol=1e-14)
    fwd, rev = ad.autodiff_thunk(ad.ReverseSplitWithPrimal, kern.counters, ad.Active, ad.Duplicated, ad.Duplicated,
                                 backend="numba")
    out, split = np.zeros(4), np.zeros(4)
    record, value = fwd(ad.Duplicated(x, np.zeros(4)), ad.Duplicated(out, np.zeros(4)))
    rev(ad.Duplicated(x, split), ad.Duplicated(out, np.zeros(4)), 1.0, record)
    np.testing.assert_allclose(split, want, rtol=1e-14)
    assert value == kern.counters(x, np.zeros(4))


LOADER = '''import importlib.util, sys
import numpy as np
name, path = sys.argv[1], sys.argv[2]
if name == "row_sums_nb":
    sys.path.insert(0, sys.argv[3])
    import row_sums_nb as m
else:
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
A = np.arange(12.0).reshape(4, 3)
dA, dout = np.zeros((4, 3)), np.ones(4)
m.row_sums_reverse(np.zeros(4), dout, A, dA)
print(repr(dA.tolist()))
'''


def test_a_module_loaded_under_another_name_leaves_its_cache_loadable(tmp_path):
    """numba's on-disk cache names the module its functions live in: the module, loaded once under
    another name (importlib with any name), wrote a cache that a later process importing it by its
    file's name failed to load (ModuleNotFoundError: '<dynamic>'). Only the import by the file's name
    caches now."""
    require("numba")
    assert _emit(tmp_path, "row_sums", "-o", "row_sums_nb.py").returncode == 0
    (tmp_path / "loader.py").write_text(LOADER)
    expected = repr((2 * np.arange(12.0).reshape(4, 3)).tolist())
    path = str(tmp_path / "row_sums_nb.py")
    for name in ("some_other_name", "row_sums_nb", "some_other_name", "row_sums_nb"):
        run = subprocess.run([sys.executable, "loader.py", name, path, str(tmp_path)], check=False, cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == expected
    cached = [p.name for p in (tmp_path / "__pycache__").iterdir() if p.suffix in (".nbi", ".nbc")]
    assert cached and all(p.startswith("row_sums_nb.") for p in cached), cached
