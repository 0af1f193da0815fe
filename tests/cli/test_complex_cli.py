"""The command line on complex arrays (``--shape z=4:complex128``): ``check``
runs reverse, split, the emitted module and forward mode against finite
differences on the real and imaginary parts; ``emit`` writes a module whose
argument checks expect complex arrays where it was generated for them."""
from __future__ import annotations

from .conftest import DATA, run_cli
from .test_commands import _rows

KERNELS = f"{DATA}/complex_kernels.py"


def test_check_complex_kernel():
    status, out, err = run_cli("check", f"{KERNELS}:field", "--shape", "s=4:complex128", "--shape",
                               "z=4:complex128", "--shape", "x=4")
    assert status == 0, out + err
    rows = _rows(out)
    for path in ("reverse", "split", "emitted", "emitted-split", "forward"):
        for name in ("s", "z", "x", "all"):
            assert rows[path, name][-1] == "pass", out
    assert "tolerance: 1e-06" in out, out   # (complex128 is double precision: float64's tolerance)


def test_check_complex_loss_with_an_fft():
    status, out, err = run_cli("check", f"{KERNELS}:energy", "--shape", "z=5:complex64", "--shape", "x=5")
    assert status == 0 and "all checks passed" in out, out + err
    assert "tolerance: 0.001" in out, out   # (complex64: single precision)


def test_emitted_module_of_complex_arrays(tmp_path):
    """The module's gradient equals autodiff's; it refuses a float array where it expects a complex one."""
    import importlib.util

    import numpy as np
    import pytest

    from adcompiler import Active, Duplicated, Reverse, autodiff

    status, text, err = run_cli("emit", f"{KERNELS}:energy", "--shape", "z=4:complex128", "--shape", "x=4")
    assert status == 0, err
    assert "complex for `z`" in text and "Duplicated: a complex array" in text
    path = tmp_path / "energy_ad.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("energy_ad", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    spec_k = importlib.util.spec_from_file_location("complex_kernels", KERNELS)
    kernels = importlib.util.module_from_spec(spec_k)
    spec_k.loader.exec_module(kernels)
    rng = np.random.default_rng(3)
    z, x = rng.standard_normal(4) + 1j * rng.standard_normal(4), rng.standard_normal(4)
    want_z, want_x = np.zeros_like(z), np.zeros_like(x)
    autodiff(Reverse, kernels.energy, Active, Duplicated(z.copy(), want_z), Duplicated(x.copy(), want_x))
    got_z, got_x = np.zeros_like(z), np.zeros_like(x)
    mod.energy_reverse(z.copy(), got_z, x.copy(), got_x, 1.0)
    np.testing.assert_allclose(got_z, want_z, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_x, want_x, rtol=1e-12, atol=1e-14)
    assert np.any(got_z.imag != 0)
    with pytest.raises(TypeError, match="must be a complex numpy array"):
        mod.energy_reverse(z.real.copy(), np.zeros(4), x.copy(), got_x, 1.0)


def test_check_reports_a_refused_rule():
    status, out, err = run_cli("check", f"{KERNELS}:clipped", "--shape", "z=3:complex128")
    assert status == 1, out + err
    assert "reverse: raised UnsupportedSyntaxError" in out and "complex_kernels.py:13" in out
    assert "numpy.maximum is not differentiated for complex values" in out
