"""The command line on complex arrays (``--shape z=4:complex128``): ``check``
runs reverse, split, the emitted module and forward mode against finite
differences on the real and imaginary parts; ``emit`` writes a module whose
argument checks expect complex arrays where it was generated for them."""
from __future__ import annotations

import pytest

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


SCALARS = '''
import numpy as np


def rotated(c, x):
    return (c * c).real * x[0]


def summed(c, x):
    s = 0.0
    for i in range(x.shape[0]):
        s += (c.conjugate() * c).real * x[i] + c.imag * x[i] * x[i]
    return s


def hinted(c: complex, x: np.ndarray) -> float:
    return (c * c * x[1]).real


def scaled(z, c):
    return np.sum((z * c).imag ** 2)
'''


def _module(tmp_path, *argv):
    import importlib.util
    status, text, err = run_cli("emit", *argv)
    assert status == 0, err
    path = tmp_path / f"m{abs(hash(argv))}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fd_complex(f, c, *rest, h=1e-6):
    """dL/dRe c + 1j dL/dIm c (the shadow's convention) by central differences."""
    return ((f(c + h, *rest) - f(c - h, *rest)) + 1j * (f(c + 1j * h, *rest) - f(c - 1j * h, *rest))) / (2 * h)


def test_emitted_module_of_a_complex_active_scalar(tmp_path):
    """``--shape c=:complex128`` (or ``c: complex``) makes an Active scalar complex; a module
    generated for a real scalar refuses a complex one (it gave the derivative of other code)."""
    import numpy as np
    import pytest
    src = tmp_path / "scalars.py"
    src.write_text(SCALARS)
    ns: dict = {}
    exec(compile(SCALARS, str(src), "exec"), ns)  # noqa: S102 (the kernels above)
    c, x = complex(0.7, -0.4), np.array([1.0, 2.0, 3.0])
    for name, flags in (("rotated", ["--shape", "c=:complex128"]), ("summed", ["--shape", "c=:complex128"]),
                        ("hinted", [])):
        mod = _module(tmp_path, f"{src}:{name}", "--active", "c", "--dup", "x", "--shape", "x=3", *flags)
        dx = np.zeros(3)
        dc = getattr(mod, f"{name}_reverse")(c, x.copy(), dx)[0]
        assert dc == pytest.approx(_fd_complex(ns[name], c, x), abs=1e-6)
        fd_x = [(ns[name](c, x + 1e-6 * e) - ns[name](c, x - 1e-6 * e)) / 2e-6 for e in np.eye(3)]
        np.testing.assert_allclose(dx, fd_x, atol=1e-6)
    real = _module(tmp_path, f"{src}:rotated", "--active", "c", "--dup", "x", "--shape", "x=3")
    with pytest.raises(TypeError, match="generated for a real number"):
        real.rotated_reverse(c, x.copy(), np.zeros(3))
    assert real.rotated_reverse(0.7, x.copy(), np.zeros(3))[0] == pytest.approx(1.4)


def test_emitted_module_of_a_complex_const_scalar(tmp_path):
    import numpy as np
    src = tmp_path / "scalars.py"
    src.write_text(SCALARS)
    ns: dict = {}
    exec(compile(SCALARS, str(src), "exec"), ns)  # noqa: S102 (the kernels above)
    c, x = complex(0.6, 0.8), np.array([0.3, -1.2, 0.5])
    mod = _module(tmp_path, f"{src}:scaled", "--const", "c", "--dup", "z", "--shape", "z=3", "--shape", "c=:complex128")
    dx = np.zeros(3)
    mod.scaled_reverse(x.copy(), dx, c)
    fd = [(ns["scaled"](x + 1e-6 * e, c) - ns["scaled"](x - 1e-6 * e, c)) / 2e-6 for e in np.eye(3)]
    np.testing.assert_allclose(dx, fd, atol=1e-6)


@pytest.mark.parametrize("flags", [[], ["--active", "p"]], ids=["no flag", "active"])
@pytest.mark.parametrize("dtype", ["complex128", "float64"])
def test_check_of_a_number_given_by_shape(flags, dtype):
    """``--shape p=:complex128`` (or ``:float64``) is a number, Active unless a flag says otherwise:
    check refused it with --active as an array, gave an internal error without a flag (complex)
    or failed on its own error (real)."""
    arrays = ["--shape", "y=6:complex128", "--shape", "x=6:complex128"] if dtype == "complex128" else \
        ["--shape", "y=6", "--shape", "x=6"]
    status, out, err = run_cli("check", f"{KERNELS}:iir", *arrays, "--shape", f"p=:{dtype}", *flags)
    assert status == 0 and "all checks passed" in out, out + err
    rows = _rows(out)
    for path in ("reverse", "split", "emitted", "emitted-split", "forward"):
        assert rows[path, "p"][2] == "Active" and rows[path, "p"][-1] == "pass", out


def test_emit_of_a_number_given_by_shape_is_active(tmp_path):
    import numpy as np
    mod = _module(tmp_path, f"{KERNELS}:iir", "--shape", "y=6:complex128", "--shape", "x=6:complex128",
                  "--shape", "p=:complex128")
    with open(mod.__file__) as fh:
        text = fh.read()
    assert "p       Active: a number (--shape NAME=:DTYPE)" in text
    rng = np.random.default_rng(2)
    x = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    seed = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    p = complex(0.5, -0.3)

    def loss(q):   # (the real inner product the shadow's seed stands for)
        y = np.zeros(6, complex)
        y[0] = x[0]
        for n in range(1, 6):
            y[n] = q * y[n - 1] + x[n]
        return float(np.sum(np.real(np.conj(seed) * y)))
    y, dy, dx = np.zeros(6, complex), seed.copy(), np.zeros(6, complex)
    (dp,) = mod.iir_reverse(y, dy, x.copy(), dx, p)
    assert dp == pytest.approx(_fd_complex(loss, p), abs=1e-6)
