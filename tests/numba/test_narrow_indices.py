"""int32 index arrays (scipy.sparse's ``indices`` and ``indptr``) under numba.

numba computes with narrow integers at 64 bits where numpy wraps at their width,
so such arrays are refused under ``backend="numba"``, except where every element
only indexes, bounds a ``range`` or is compared (directly or through a local name
bound to it): there no arithmetic meets the values, and a CSR kernel fed scipy's
arrays compiles (``auto`` picks numba for it). An element that meets arithmetic
is refused at its line, and ``auto`` falls back to numpy with numpy's numbers."""
import inspect

import numpy as np
import pytest
from optional import require

import adcompiler as ad
from adcompiler import Active, Const, Duplicated, Reverse, ReverseWithPrimal
from adcompiler.errors import BackendError

require("numba")
sparse = require("scipy.sparse")


def spmv(y, data, indices, indptr, x):
    for i in range(indptr.shape[0] - 1):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            acc += data[p] * x[indices[p]]
        y[i] = acc


def spmv_transpose(y, data, indices, indptr, x):
    n = len(indptr) - 1
    for i in range(n):
        start, end = indptr[i], indptr[i + 1]
        for p in range(start, end):
            j = indices[p]
            y[j] += data[p] * x[i]


def off_diagonal_energy(data, indices, indptr, x):
    e = 0.0
    for i in range(indptr.size - 1):
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            if j != i and j > 0 and indptr[i] < p:
                e += data[p] * x[i] * x[j] ** 2
    return e


def row_sums(y, data, indptr):
    for i in range(indptr.shape[0] - 1):
        y[i] = np.sum(data[indptr[i]:indptr[i + 1]] ** 2)


def test_elements_as_slice_bounds():
    a = _matrix(6, 7)
    d = np.zeros_like(a.data)
    seed = np.random.default_rng(8).standard_normal(6)
    y = np.zeros(6)
    ad.autodiff(Reverse, row_sums, Const, Duplicated(y, seed.copy()), Duplicated(a.data.copy(), d), Const(a.indptr),
                backend="numba")
    rows = np.repeat(np.arange(6), np.diff(a.indptr))
    np.testing.assert_allclose(y, (a.multiply(a)).sum(axis=1).A.ravel(), rtol=1e-13)
    np.testing.assert_allclose(d, 2 * a.data * seed[rows], rtol=1e-13)


def shifted_column(y, data, indices, indptr, x):
    for i in range(indptr.shape[0] - 1):
        for p in range(indptr[i], indptr[i + 1]):
            y[i] += data[p] * x[indices[p] - 1]


def _matrix(n=7, seed=0):
    a = sparse.random(n, n, density=0.4, format="csr", random_state=seed)
    a.setdiag(np.arange(1.0, n + 1))
    a = a.tocsr()
    assert a.indices.dtype == np.int32 and a.indptr.dtype == np.int32
    return a


@pytest.mark.parametrize("backend", ["numba", "auto"])
def test_csr_products_under_numba(backend):
    a = _matrix()
    n = a.shape[0]
    rng = np.random.default_rng(1)
    x, seed = rng.standard_normal(n), rng.standard_normal(n)
    for kernel, mat in ((spmv, a), (spmv_transpose, a.T.tocsr().T)):
        for _ in range(2):   # (the repeat path too)
            y, dy, dx, dd = np.zeros(n), seed.copy(), np.zeros(n), np.zeros_like(a.data)
            ad.autodiff(Reverse, kernel, Const, Duplicated(y, dy), Duplicated(a.data.copy(), dd), Const(a.indices),
                        Const(a.indptr), Duplicated(x.copy(), dx), backend=backend)
            dense = a.toarray()
            want_y = dense @ x if kernel is spmv else dense.T @ x
            np.testing.assert_allclose(y, want_y, rtol=1e-13)
            np.testing.assert_allclose(dx, (dense.T if kernel is spmv else dense) @ seed, rtol=1e-13)
            rows = np.repeat(np.arange(n), np.diff(a.indptr))
            want_dd = seed[rows] * x[a.indices] if kernel is spmv else seed[a.indices] * x[rows]
            np.testing.assert_allclose(dd, want_dd, rtol=1e-13)
    assert mat is not None
    if backend == "auto":
        assert ad.backend_report(spmv)[-1].backend == "numba"


def test_an_energy_with_comparisons():
    a = _matrix(6, 2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(6)
    want = ad.gradient(off_diagonal_energy, a.data.copy(), a.indices.astype(np.int64), a.indptr.astype(np.int64),
                       x.copy(), wrt=(0, 3))
    got = ad.gradient(off_diagonal_energy, a.data.copy(), a.indices, a.indptr, x.copy(), wrt=(0, 3), backend="numba")
    assert got[1] is None and got[2] is None
    for k in (0, 3):
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12)
    # against central differences in x
    h, fd = 1e-6, np.zeros(6)
    for k in range(6):
        e = np.zeros(6)
        e[k] = h
        fd[k] = (off_diagonal_energy(a.data, a.indices, a.indptr, x + e)
                 - off_diagonal_energy(a.data, a.indices, a.indptr, x - e)) / (2 * h)
    np.testing.assert_allclose(got[3], fd, rtol=1e-6, atol=1e-8)
    # forward mode under numba: a tangent in x
    t = rng.standard_normal(6)
    tangent, primal = ad.autodiff(ad.ForwardWithPrimal, off_diagonal_energy, ad.Duplicated, Const(a.data.copy()),
                             Const(a.indices), Const(a.indptr), Duplicated(x.copy(), t.copy()), backend="numba")
    assert tangent == pytest.approx(float(got[3] @ t), rel=1e-12)
    assert primal == pytest.approx(off_diagonal_energy(a.data, a.indices, a.indptr, x), rel=1e-13)


def test_an_element_in_arithmetic_is_refused_at_its_line_and_auto_falls_back():
    a = _matrix(5, 4)
    x = np.random.default_rng(5).standard_normal(5)

    def ann(dx):
        return [Duplicated(np.zeros(5), np.ones(5)), Const(a.data.copy()), Const(a.indices), Const(a.indptr),
                Duplicated(x.copy(), dx)]
    with pytest.raises(BackendError, match="elements index, bound a range") as err:
        ad.autodiff(Reverse, shifted_column, Const, *ann(np.zeros(5)), backend="numba")
    assert "indices[p] - 1" in str(err.value) and "test_narrow_indices.py" in str(err.value)
    got, want = np.zeros(5), np.zeros(5)
    ad.autodiff(Reverse, shifted_column, Const, *ann(got), backend="auto")
    ad.autodiff(Reverse, shifted_column, Const, *ann(want), backend="numpy")
    np.testing.assert_array_equal(got, want)
    assert ad.backend_report(shifted_column)[-1].backend == "numpy"


def written_counts(counts, x):
    s = 0.0
    for i in range(x.shape[0]):
        counts[i] = i
        s += x[counts[i]]
    return s


def passed_on(x, idx):
    return _gather(x, idx)


def _gather(x, idx):
    s = 0.0
    for k in range(idx.shape[0]):
        s += x[idx[k]]
    return s


@pytest.mark.parametrize("kernel", [written_counts, passed_on])
def test_written_or_passed_on_is_refused(kernel):
    x = np.arange(1.0, 5.0)
    idx = np.array([3, 0, 2, 1], dtype=np.int32)
    args = (Const(idx.copy()), Duplicated(x.copy(), np.zeros(4))) if kernel is written_counts else \
        (Duplicated(x.copy(), np.zeros(4)), Const(idx))
    with pytest.raises(BackendError):
        ad.autodiff(ReverseWithPrimal, kernel, Active, *args, backend="numba")


def test_unsigned_and_scalars_still_refused():
    x = np.arange(1.0, 5.0)
    for idx in (np.array([3, 0, 2, 1], dtype=np.uint32), np.array([3, 0, 2, 1], dtype=np.int16)):
        if idx.dtype.kind == "u":
            with pytest.raises(BackendError, match="narrower than 64 bits or unsigned"):
                ad.autodiff(Reverse, _gather, Active, Duplicated(x.copy(), np.zeros(4)), Const(idx), backend="numba")
        else:
            dx = np.zeros(4)
            ad.autodiff(Reverse, _gather, Active, Duplicated(x.copy(), dx), Const(idx), backend="numba")
            np.testing.assert_array_equal(dx, np.ones(4))


EMITTED = "import numpy as np\n\n\n" + inspect.getsource(spmv) + "\n\n" + inspect.getsource(shifted_column)


def test_the_emitted_numba_module_takes_index_arrays_alone(tmp_path):
    """``emit --target numba``: the entry points take scipy's int32 index arrays where the
    elements meet no arithmetic, as ``autodiff`` under numba does, and refuse them elsewhere."""
    import importlib.util
    import subprocess
    import sys
    (tmp_path / "csr_kernels.py").write_text(EMITTED)
    mods = {}
    for name in ("spmv", "shifted_column"):
        run = subprocess.run([sys.executable, "-m", "adcompiler", "emit", f"csr_kernels.py:{name}", "--target", "numba",
                              "--dup", "y,data,x", "--const", "indices,indptr", "--shape", "indices=1:int64",
                              "--shape", "indptr=1:int64", "--shape", "y=1", "--shape", "data=1", "--shape", "x=1",
                              "-o", f"em_{name}.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                             check=False)
        assert run.returncode == 0, run.stderr
        spec = importlib.util.spec_from_file_location(f"em_csr_{name}", tmp_path / f"em_{name}.py")
        mods[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mods[name])
    a = _matrix(6, 9)
    x, seed = np.random.default_rng(2).standard_normal(6), np.random.default_rng(3).standard_normal(6)
    y, dx, dd = np.zeros(6), np.zeros(6), np.zeros_like(a.data)
    mods["spmv"].spmv_reverse(y, seed.copy(), a.data.copy(), dd, a.indices, a.indptr, x.copy(), dx)
    np.testing.assert_allclose(y, a @ x, rtol=1e-13)
    np.testing.assert_allclose(dx, a.T @ seed, rtol=1e-13)
    with pytest.raises(TypeError, match="`indices` is int32"):
        mods["shifted_column"].shifted_column_reverse(np.zeros(6), seed.copy(), a.data.copy(), dd, a.indices,
                                                      a.indptr, x.copy(), np.zeros(6))
