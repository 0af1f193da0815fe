"""The command line on complex arrays (``--shape z=4:complex128``): ``check``
runs reverse, split and forward mode against finite differences on the real
and imaginary parts; the module ``emit`` writes checks for float arrays, so
``emit`` refuses complex ones and ``check`` says it did not check that path."""
from __future__ import annotations

from .conftest import DATA, run_cli
from .test_commands import _rows

KERNELS = f"{DATA}/complex_kernels.py"


def test_check_complex_kernel():
    status, out, err = run_cli("check", f"{KERNELS}:field", "--shape", "s=4:complex128", "--shape",
                               "z=4:complex128", "--shape", "x=4")
    assert status == 0, out + err
    rows = _rows(out)
    for path in ("reverse", "split", "forward"):
        for name in ("s", "z", "x", "all"):
            assert rows[path, name][-1] == "pass", out
    assert "emitted: not checked (`s` is complex" in out


def test_check_complex_loss_with_an_fft():
    status, out, err = run_cli("check", f"{KERNELS}:energy", "--shape", "z=5:complex64", "--shape", "x=5")
    assert status == 0 and "all checks passed" in out, out + err


def test_emit_refuses_complex_arrays():
    status, _, err = run_cli("emit", f"{KERNELS}:energy", "--shape", "z=4:complex128", "--shape", "x=4")
    assert status == 2 and "`z` is complex" in err, err


def test_check_reports_a_refused_rule():
    status, out, err = run_cli("check", f"{KERNELS}:clipped", "--shape", "z=3:complex128")
    assert status == 1, out + err
    assert "reverse: raised UnsupportedSyntaxError" in out and "complex_kernels.py:13" in out
    assert "numpy.maximum is not differentiated for complex values" in out
