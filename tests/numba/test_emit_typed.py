"""``adcompiler emit --target numba`` compiles the module's entry points for the types
the shapes give before writing it: a line numba cannot compile is refused then, at the
user's line (the module was written, and failed with numba's TypingError at its first
call)."""
import subprocess
import sys

import numpy as np
from optional import require

KERNEL = '''import numpy as np


def lse_rows(out, A):
    m = A.max(axis=1, keepdims=True)
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


def test_a_line_numba_cannot_compile_is_refused_at_emit(tmp_path):
    require("numba")
    run = _emit(tmp_path, "lse_rows")
    assert run.returncode != 0 and not run.stdout
    assert "kern_typed.py:5" in run.stderr and "A.max(axis=1, keepdims=True)" in run.stderr
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
