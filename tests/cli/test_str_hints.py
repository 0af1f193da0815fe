"""``method: str`` was taken by the command line for a float array (no rule for the hint), and
``method in {"a", "b"}`` refused as an array tested with ``in``: a ``str`` hint is Const."""
import numpy as np

from .conftest import emit_module

SOURCE = """import numpy as np


def by_method(x, method: str):
    s = 0.0
    for i in range(x.shape[0]):
        if method in {'a', 'b'}:
            s += x[i] ** 2
    return s
"""


def test_emit_takes_a_string_parameter_as_const(tmp_path):
    (tmp_path / "by_method.py").write_text(SOURCE)
    ns = emit_module(tmp_path, f"{tmp_path / 'by_method.py'}:by_method")
    x = np.array([0.5, -1.0, 2.0])
    for method, want in (("a", 2 * x), ("c", np.zeros(3))):
        dx = np.zeros(3)
        ns["by_method_reverse"](x.copy(), dx, method)
        np.testing.assert_allclose(dx, want, rtol=1e-14)
