"""What the caches of generated code are keyed on: two closures made by the
same factory share their code, and each must be differentiated with its own
values (the second one used to get the first one's value and derivatives)."""
from __future__ import annotations

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Duplicated, ReverseWithPrimal
from adcompiler.errors import ActivityError, AliasingError, ShapeError


def make_loss(c):
    def loss(x):
        return float(np.sum(np.sin(x) * c) ** 2)
    return loss


def make_kernel(c):
    def kernel(y, x):
        y[:] = np.sin(x) * c
    return kernel


X = np.array([0.3, -0.5, 0.9])


def test_closures_of_one_factory_each_with_its_values():
    l1, l2 = make_loss(1.0), make_loss(2.0)
    for _ in range(2):   # (alternating: each call finds the other's entry)
        for loss, c in ((l1, 1.0), (l2, 2.0)):
            value, grad = ad.value_and_grad(loss)(X)
            s = np.sum(np.sin(X) * c)
            assert value == pytest.approx(s ** 2)
            np.testing.assert_allclose(grad, 2 * s * c * np.cos(X))
    np.testing.assert_allclose(ad.hessian(l2, X) / ad.hessian(l1, X), 4.0)


@pytest.mark.parametrize("backend", ["numpy", "numba", "auto"])
def test_closures_under_each_backend(backend):
    if backend != "numpy":
        pytest.importorskip("numba")
    for c in (1.0, 3.0, 1.0):
        dx = np.zeros(3)
        _, primal = ad.autodiff(ReverseWithPrimal, make_loss(c), Active, Duplicated(X.copy(), dx), backend=backend)
        s = np.sum(np.sin(X) * c)
        assert primal == pytest.approx(s ** 2)
        np.testing.assert_allclose(dx, 2 * s * c * np.cos(X))


def test_closure_kernels_jacobian_and_jvp():
    for c in (1.0, 3.0):
        k = make_kernel(c)
        J = ad.jacobian(k, np.zeros(3), X.copy(), out=0, wrt=1)
        np.testing.assert_allclose(J, np.diag(c * np.cos(X)))


# -- the values a function reads change after its first differentiation ------------------

def make_scaled():
    c = 1.0

    def loss(x):
        return c * np.sum(x ** 2)

    def rescale(v):
        nonlocal c
        c = v
    return loss, rescale


def _twice(x):
    return 2.0 * np.sum(x ** 2)


def _seven_times(x):
    return 7.0 * np.sum(x ** 2)


class _Helpers:
    square = staticmethod(_twice)


HELPERS = _Helpers()


def through_attribute(x):
    return HELPERS.square(x)


def _weighted(x, w=2.0):
    return w * np.sum(x ** 2)


def with_callee_default(x):
    return _weighted(x)


def _gradients(f, x):
    """gradient, autodiff Reverse and Forward (the derivative along ones)."""
    g = ad.gradient(f, x)[0]
    dx = np.zeros_like(x)
    ad.autodiff(ad.Reverse, f, Active, Duplicated(x.copy(), dx))
    t = ad.autodiff(ad.Forward, f, ad.Duplicated, Duplicated(x.copy(), np.ones_like(x)))[0]
    return g, dx, t


@pytest.mark.parametrize("case", ["closure", "attribute", "default"])
def test_changed_values_are_read_again(case):
    """A closure's variable rebound (``nonlocal``), a helper reached through an
    attribute replaced (``m.helper = other``, or a reloaded module) and a
    callee's defaults replaced: the gradient kept the first values (the
    analysis held a copy of the closure and checked only the attribute's root)."""
    if case == "closure":
        f, rescale = make_scaled()
        change, restore = (lambda: rescale(3.5)), (lambda: rescale(1.0))
        before, after = 1.0, 3.5
    elif case == "attribute":
        f = through_attribute
        change = lambda: setattr(_Helpers, "square", staticmethod(_seven_times))
        restore = lambda: setattr(_Helpers, "square", staticmethod(_twice))
        before, after = 2.0, 7.0
    else:
        f = with_callee_default
        change = lambda: setattr(_weighted, "__defaults__", (5.0,))
        restore = lambda: setattr(_weighted, "__defaults__", (2.0,))
        before, after = 2.0, 5.0
    for c, step in ((before, None), (after, change), (before, restore)):
        if step is not None:
            step()
        g, dx, t = _gradients(f, X)
        np.testing.assert_allclose(g, 2 * c * X, rtol=1e-12)
        np.testing.assert_allclose(dx, 2 * c * X, rtol=1e-12)
        np.testing.assert_allclose(t, 2 * c * np.sum(X), rtol=1e-12)
        pure = ad.differentiate(f)
        import autograd
        np.testing.assert_allclose(autograd.grad(pure)(X), 2 * c * X, rtol=1e-12)


# -- a repeated autodiff call checks its arguments again -------------------------------------

def _smooth(y, x):
    for i in range(x.shape[0]):
        y[i] = 2.0 * x[i] + y[i] * x[i]


def _scale_rows(y, x):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i, j] = y[i, j] * x[i, j]


def _smooth_grads(y0, x0, seed):
    """What ``autodiff(Reverse, _smooth, ...)`` leaves in the shadows."""
    return seed * x0, seed * (2.0 + y0)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_repeated_calls_check_their_arguments(backend):
    """The calls after the first skip the look-ups that depend only on the
    arguments' kinds (``api/reverse._REPEATS``), never the checks of the
    arrays themselves: a repeat with aliased, misshapen, read-only or
    strided arguments gets what the first call with them would."""
    if backend != "numpy":
        pytest.importorskip("numba")
    rng = np.random.default_rng(0)
    x0, y0, seed = rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(5)

    def run(y, dy, x, dx, mode=ad.Reverse):
        return ad.autodiff(mode, _smooth, ad.Const, Duplicated(y, dy), Duplicated(x, dx), backend=backend)
    for _ in range(3):
        dy, dx = seed.copy(), np.zeros(5)
        assert run(y0.copy(), dy, x0.copy(), dx) == (None, None)
        want_dy, want_dx = _smooth_grads(y0, x0, seed)
        np.testing.assert_allclose(dy, want_dy, rtol=1e-14)
        np.testing.assert_allclose(dx, want_dx, rtol=1e-14)
    derivs, primal = run(y0.copy(), seed.copy(), x0.copy(), np.zeros(5), ad.ReverseWithPrimal)
    assert derivs == (None, None) and primal is None
    y = y0.copy()
    with pytest.raises(AliasingError):
        run(y, seed.copy(), y, np.zeros(5))                       # the same array twice
    with pytest.raises(AliasingError):
        d = np.zeros(5)
        run(y0.copy(), d, x0.copy(), d)                           # one shadow for two arrays
    with pytest.raises(ShapeError):
        run(y0.copy(), np.zeros(4), x0.copy(), np.zeros(5))       # a shadow of another shape
    with pytest.raises(ShapeError):
        run(y0.copy(), np.zeros(5, np.float32), x0.copy(), np.zeros(5))
    ro = np.zeros(5)
    ro.flags.writeable = False
    with pytest.raises(ActivityError):
        run(y0.copy(), seed.copy(), x0.copy(), ro)                # a read-only shadow
    ro = y0.copy()
    ro.flags.writeable = False
    with pytest.raises(ActivityError):
        run(ro, seed.copy(), x0.copy(), np.zeros(5))              # a written argument read-only
    with pytest.raises(AliasingError):
        base = np.concatenate([y0, x0])
        run(base[:5], seed.copy(), base[3:8], np.zeros(5))        # overlapping views
    # views that do not overlap: the general path's checks pass them, with the same derivatives
    base, dbase = np.concatenate([y0, x0]), np.concatenate([seed, np.zeros(5)])
    run(base[:5], dbase[:5], base[5:], dbase[5:])
    want_dy, want_dx = _smooth_grads(y0, x0, seed)
    np.testing.assert_allclose(dbase, np.concatenate([want_dy, want_dx]), rtol=1e-14)
    # strided arrays
    big, dbig = np.zeros(10), np.zeros(10)
    big[::2], dbig[::2] = y0, seed
    dx = np.zeros(5)
    run(big[::2], dbig[::2], x0.copy(), dx)
    np.testing.assert_allclose(dbig[::2], want_dy, rtol=1e-14)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-14)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_repeated_calls_check_the_layout_of_shadows(backend):
    if backend != "numpy":
        pytest.importorskip("numba")
    rng = np.random.default_rng(1)
    x0, y0 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def run(dy, dx):
        ad.autodiff(ad.Reverse, _scale_rows, ad.Const, Duplicated(y0.copy(), dy), Duplicated(x0.copy(), dx),
                    backend=backend)
    for _ in range(2):
        dy, dx = np.ones((3, 4)), np.zeros((3, 4))
        run(dy, dx)
        np.testing.assert_allclose(dy, x0, rtol=1e-14)
        np.testing.assert_allclose(dx, y0, rtol=1e-14)
    dy, dx = np.ones((3, 4)), np.zeros((3, 4), order="F")      # a Fortran-ordered shadow: run on a C copy
    run(dy, dx)
    np.testing.assert_allclose(dy, x0, rtol=1e-14)
    np.testing.assert_allclose(dx, y0, rtol=1e-14)
    with pytest.raises(ShapeError):
        run(np.ones((4, 3)), np.zeros((3, 4)))


def _cube(v):
    return v * v * v


def _square(v):
    return v * v


def _through_globals(y, x):
    for i in range(x.shape[0]):
        y[i] = _h(x[i]) + abs(x[i]) + np.sin(x[i])


_h = _square


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_repeated_calls_see_module_names_rebound(backend, monkeypatch):
    """A repeated call (``api/repeats``) checks that each module name the kernel
    reads still means the same object: a helper rebound, a builtin shadowed by a
    module name and a numpy function replaced are each differentiated again."""
    if backend != "numpy":
        pytest.importorskip("numba")
    x0 = np.array([0.4, -0.7, 1.1])

    def grad():
        dy, dx = np.ones(3), np.zeros(3)
        ad.autodiff(ad.Reverse, _through_globals, ad.Const, Duplicated(np.zeros(3), dy),
                    Duplicated(x0.copy(), dx), backend=backend)
        return dx
    base = np.sign(x0) + np.cos(x0)
    for _ in range(2):
        np.testing.assert_allclose(grad(), 2 * x0 + base, rtol=1e-13)
    monkeypatch.setitem(globals(), "_h", _cube)
    for _ in range(2):
        np.testing.assert_allclose(grad(), 3 * x0 ** 2 + base, rtol=1e-13)
    monkeypatch.setitem(globals(), "abs", _square)          # a module name shadowing the builtin
    for _ in range(2):
        np.testing.assert_allclose(grad(), 3 * x0 ** 2 + 2 * x0 + np.cos(x0), rtol=1e-13)
    monkeypatch.setattr(np, "sin", np.cos)                   # numpy's function replaced
    for _ in range(2):
        np.testing.assert_allclose(grad(), 3 * x0 ** 2 + 2 * x0 - np.sin(x0), rtol=1e-13)
    monkeypatch.undo()
    np.testing.assert_allclose(grad(), 2 * x0 + base, rtol=1e-13)


_V1 = '''
import numpy as np

def helper(v):
    return v * v

def loss(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += helper(x[i])
    return s
'''
_V2 = _V1.replace("return v * v", "return v * v * v").replace("s += helper(x[i])", "s += helper(x[i]) * 2.0")


@pytest.mark.parametrize("swapped", ["function", "helper"])
def test_code_replaced_in_place_is_differentiated_again(tmp_path, monkeypatch, swapped):
    """A function (or a helper it calls) whose ``__code__`` is replaced, as
    IPython's autoreload does after an edit: the new code is differentiated (the
    cached analysis of the old one was used: its gradient and value)."""
    import importlib
    path = tmp_path / f"code_swap_{swapped}.py"
    path.write_text(_V1)
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module(f"code_swap_{swapped}")
    x = np.array([0.7, 1.1, 1.3])
    for backend in ("numpy", "auto"):
        np.testing.assert_allclose(ad.gradient(m.loss, x, backend=backend)[0], 2 * x)
    new = _V2 if swapped == "function" else _V1.replace("return v * v", "return v * v * v")
    path.write_text(new)
    import linecache
    linecache.checkcache(str(path))
    ns: dict = {}
    exec(compile(new, str(path), "exec"), ns)   # noqa: S102  (what an edit and a reload make)
    m.helper.__code__ = ns["helper"].__code__
    want_h = (lambda v: v * v * v)
    if swapped == "function":
        m.loss.__code__ = ns["loss"].__code__
        want = 2.0 * 3 * x ** 2
    else:
        want = 3 * x ** 2
    assert m.loss(x) == pytest.approx(sum(want_h(v) * (2.0 if swapped == "function" else 1.0) for v in x))
    for backend in ("numpy", "auto"):
        np.testing.assert_allclose(ad.gradient(m.loss, x, backend=backend)[0], want)
    value, grad = ad.value_and_grad(m.loss)(x)
    assert value == pytest.approx(m.loss(x))
    np.testing.assert_allclose(grad, want)


def _deposit(rho, idx, q, steps):
    for s in range(steps):
        np.add.at(rho, idx, q * (s + 1.0))


def test_a_kernel_calling_a_ufunc_method_is_transformed_once():
    """``np.add.at`` is a new bound method at each look-up: the cached module was
    never taken for fresh, and every call transformed the kernel again."""
    from adcompiler import Const, Duplicated, Reverse, autodiff
    from adcompiler.codegen import cache
    idx, q = np.array([5, 17, 17, 12]), np.ones(4)
    before = cache.stats["transforms"]
    for _ in range(3):
        dq = np.zeros(4)
        autodiff(Reverse, _deposit, Const, Duplicated(np.zeros(20), np.ones(20)), Const(idx), Duplicated(q.copy(), dq),
                 Const(3))
        np.testing.assert_allclose(dq, [6.0, 6.0, 6.0, 6.0])   # (1 + 2 + 3 per element)
    assert cache.stats["transforms"] - before == 1


PREPROCESS = None


def _cubed(v):
    return v ** 3


def optional_step(x):
    if PREPROCESS is not None:
        return np.sum(PREPROCESS(x))
    return np.sum(x ** 2)


def _cube_sum(v):
    return np.sum(v ** 3)


def _with_optional(prev):
    def f(x):
        if prev is None:
            return np.sum(x ** 2)
        return 3.0 * prev(x)
    return f


def test_a_test_of_an_optional_callable_is_decided_and_remade_when_it_changes():
    """``if prev is None`` of a module's or a closure's name is decided when the code is made
    (the branch calling None refused naming ``NoneType``, and the tapes' write check took
    ``prev(x)`` for a call that may write ``x``); the code is remade when the name changes."""
    global PREPROCESS
    x = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(ad.gradient(optional_step, x)[0], 2 * x, rtol=1e-15)
    try:
        PREPROCESS = _cubed
        np.testing.assert_allclose(ad.gradient(optional_step, x)[0], 3 * x ** 2, rtol=1e-15)
    finally:
        PREPROCESS = None
    np.testing.assert_allclose(ad.gradient(optional_step, x)[0], 2 * x, rtol=1e-15)
    plain, cubic = _with_optional(None), _with_optional(_cube_sum)
    np.testing.assert_allclose(ad.gradient(plain, x)[0], 2 * x, rtol=1e-15)
    np.testing.assert_allclose(ad.gradient(cubic, x)[0], 9 * x ** 2, rtol=1e-15)
    np.testing.assert_allclose(ad.gradient(plain, x)[0], 2 * x, rtol=1e-15)
    import autograd
    np.testing.assert_allclose(autograd.grad(lambda v: 2.0 * ad.differentiate(plain)(v))(x), 4 * x, rtol=1e-15)


_EDITABLE = '''from __future__ import annotations
import numpy as np

def helper(v):
    return v * v

def kernel(y, x):
    for i in range(x.shape[0]):
        y[i] = helper(x[i])

def outer(c):
    def inner(v: np.ndarray) -> float:
        return np.sum(c * v ** 2)
    return inner
'''


@pytest.mark.parametrize("edited", ["kernel", "helper"])
def test_a_file_edited_after_import_is_refused(tmp_path, monkeypatch, edited):
    """The kernel's (or its helper's) file edited after the module was imported, and not
    reloaded: the text on disk is not the code that runs, and differentiating it gave the
    edited function's derivative and values, silently. Every entry point refuses at the
    function's line; after importlib.reload the new code is differentiated."""
    import importlib

    from adcompiler import Const, Duplicated, Forward, Reverse, autodiff, differentiate
    from adcompiler.errors import SourceError
    path = tmp_path / f"edited_{edited}.py"
    path.write_text(_EDITABLE)
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module(f"edited_{edited}")
    x = np.array([0.3, -1.2, 2.0])
    old = _EDITABLE.replace("y[i] = helper(x[i])", "y[i] = 3.0 * helper(x[i])") if edited == "kernel" else \
        _EDITABLE.replace("return v * v\n", "return v * v * v\n")
    path.write_text(old)
    where = rf"edited_{edited}\.py:{4 if edited == 'helper' else 7}: `{edited}`: the source of `{edited}` in its file " \
        "is not the code that runs"
    for backend in ("numpy", "numba"):
        with pytest.raises(SourceError, match=where):
            autodiff(Reverse, m.kernel, Const, Duplicated(np.zeros(3), np.ones(3)), Duplicated(x.copy(), np.zeros(3)),
                     backend=backend)
    with pytest.raises(SourceError, match=where):
        autodiff(Forward, m.kernel, Const, Duplicated(np.zeros(3), np.zeros(3)), Duplicated(x.copy(), np.ones(3)))
    f = differentiate(m.kernel, out=(0,))
    with pytest.raises(SourceError, match=where):
        import autograd
        autograd.grad(lambda v: autograd.numpy.sum(f(np.zeros(3), v)))(x)
    m = importlib.reload(m)
    y, dx = np.zeros(3), np.zeros(3)
    autodiff(Reverse, m.kernel, Const, Duplicated(y, np.ones(3)), Duplicated(x.copy(), dx))
    np.testing.assert_allclose(y, 3.0 * x * x if edited == "kernel" else x ** 3)
    np.testing.assert_allclose(dx, 6.0 * x if edited == "kernel" else 3 * x * x)


def test_closures_and_future_annotations_are_the_code_that_runs(tmp_path, monkeypatch):
    """The comparison of the file's text with the running code compiles it as it was
    compiled (a closure's free names, ``from __future__ import annotations``): an unedited
    file is not refused."""
    import importlib
    path = tmp_path / "unedited_closure.py"
    path.write_text(_EDITABLE)
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module("unedited_closure")
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(ad.gradient(m.outer(2.0), x)[0], 4.0 * x)


def _imported(tmp_path, monkeypatch, name, text, encoding="utf-8"):
    import importlib
    path = tmp_path / f"{name}.py"
    path.write_bytes(text.encode(encoding))
    monkeypatch.syspath_prepend(str(tmp_path))
    return path, importlib.import_module(name)


def test_an_edited_lambda_is_refused(tmp_path, monkeypatch):
    """A lambda (the kernel, or a helper it calls) edited on disk after import is refused as a def is."""
    from adcompiler.errors import SourceError
    text = "import numpy as np\ng = lambda x: np.sum(np.sin(x) * 3.0)\nsq = lambda v: v ** 2\n" \
           "def f(x):\n    return np.sum(sq(x))\n"
    path, m = _imported(tmp_path, monkeypatch, "edited_lambdas", text)
    path.write_text(text.replace("* 3.0", "* 7.0").replace("v ** 2", "v ** 3"))
    x = np.array([0.3, 0.7, 1.1])
    for kernel in (m.g, m.f):
        with pytest.raises(SourceError, match=r"edited_lambdas\.py:[23]: `<lambda>`: the source of `<lambda>`"):
            ad.gradient(kernel, x)


def test_a_file_that_does_not_compile_as_a_whole(tmp_path, monkeypatch):
    """An edit half typed elsewhere in the file (the file does not compile): the function's own
    text is compared alone; an unedited kernel runs, an edited one is refused."""
    from adcompiler.errors import SourceError
    text = "import numpy as np\ndef f(x):\n    return np.sum(x ** 2)\ndef g(x):\n    return np.sum(x * 3.0)\n" \
           "def other():\n    return 1\n"
    path, m = _imported(tmp_path, monkeypatch, "half_typed", text)
    path.write_text(text.replace("return 1", "return (1").replace("x ** 2", "x ** 3"))
    x = np.array([0.3, 0.7, 1.1])
    np.testing.assert_allclose(ad.gradient(m.g, x)[0], 3.0)
    with pytest.raises(SourceError, match=r"half_typed\.py:2: `f`: the source of `f` in its file is not the code"):
        ad.gradient(m.f, x)


def test_an_edit_keeping_names_and_constants(tmp_path, monkeypatch):
    """Operands swapped (the same names and constants) in a file that does not compile as a
    whole: the instructions are compared too (the edit passed, the edited text differentiated)."""
    from adcompiler.errors import SourceError
    text = "import numpy as np\ndef energy(x, y):\n    return float(np.sum(x ** 3 - y * x))\n"
    path, m = _imported(tmp_path, monkeypatch, "swapped_operands", text)
    path.write_text(text.replace("x ** 3 - y * x", "y * x - x ** 3") + "def next_one(:\n")
    with pytest.raises(SourceError, match=r"swapped_operands\.py:2: `energy`"):
        ad.gradient(m.energy, np.array([1.1, 0.7]), np.array([0.2, -0.5]))


def test_a_file_in_latin_1(tmp_path, monkeypatch):
    """A file whose coding line names latin-1, with a non-ASCII character, is read in its encoding."""
    text = "# -*- coding: latin-1 -*-\nimport numpy as np\n\ndef f(x):\n    # d\u00e9riv\u00e9e\n" \
           "    return np.sum(x ** 2)\n"
    _, m = _imported(tmp_path, monkeypatch, "latin_kernel", text, encoding="latin-1")
    x = np.array([0.3, 0.7, 1.1])
    np.testing.assert_allclose(ad.gradient(m.f, x)[0], 2 * x)


def test_a_notebook_cell_compiled_statement_by_statement():
    """IPython compiles each top-level statement of a cell as a module of its own (so `np`, bound by
    an import of the same cell, is not an import of the def's module and `np.sum(...)` loads as a
    method): the comparison of the cell's text with the running code allows for it (an unedited
    cell was refused)."""
    import ast
    import linecache
    cell = "import numpy as np\n\ndef f(x):\n    return np.sum(np.sin(x) * x)\n"
    name = "<ipython-input-7-0123456789ab>"
    linecache.cache[name] = (len(cell), None, cell.splitlines(True), name)
    ns = {"__name__": "__main__"}
    try:
        for node in ast.parse(cell).body:
            exec(compile(ast.Module([node], []), name, "exec"), ns)   # noqa: S102  (as IPython runs a cell)
        x = np.array([0.3, 0.7])
        np.testing.assert_allclose(ad.gradient(ns["f"], x)[0], np.cos(x) * x + np.sin(x))
    finally:
        linecache.cache.pop(name, None)


def test_under_python_optimised(tmp_path):
    """``python -OO`` (docstrings and asserts stripped): adcompiler imports (a rule read numpy's
    docstring) and differentiates a kernel of a file, its asserts gone as in the running code."""
    import os
    import pathlib
    import subprocess
    import sys
    kernel = tmp_path / "opt_kernel.py"
    kernel.write_text("import numpy as np\n\ndef f(x):\n    \"\"\"A kernel.\"\"\"\n    assert x.ndim == 1\n"
                      "    return np.sum(np.reshape(x, (2, 2)) ** 2)\n")
    script = ("import sys; sys.path.insert(0, sys.argv[1])\nimport numpy as np, adcompiler as ad, opt_kernel\n"
              "print(ad.gradient(opt_kernel.f, np.arange(4.0))[0].tolist())\n")
    root = str(pathlib.Path(ad.__file__).parent.parent)
    out = subprocess.run([sys.executable, "-OO", "-c", script, str(tmp_path)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": root}, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[0.0, 2.0, 4.0, 6.0]"


def test_a_lambda_reloaded_after_an_edit(tmp_path, monkeypatch):
    """A lambda kernel differentiated, its file edited and the module reloaded: the new text is
    read (the lambda was compared with the text linecache held from before, and refused)."""
    import importlib
    text = "import numpy as np\nk = lambda x: np.sum(np.sin(x) * 0.5)\n"
    path, m = _imported(tmp_path, monkeypatch, "reloaded_lambda", text)
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(ad.gradient(m.k, x)[0], 0.5 * np.cos(x))
    path.write_text(text.replace("0.5", "0.9") + "# edited\n")
    m = importlib.reload(m)
    np.testing.assert_allclose(ad.gradient(m.k, x)[0], 0.9 * np.cos(x))


def test_code_compiled_from_the_function_text_alone(tmp_path, monkeypatch):
    """IPython 9's ``%autoreload 2`` patches a function with code compiled from its own text under
    its module's file name: its first line is 1, not the line of its def. The definition is found
    in the file by its code (it was refused as edited); an edit after it, not reloaded, leaves the
    derivative of the code that runs."""
    text = "import numpy as np\n\n\ndef k(x):\n    x *= 2.0\n    return np.sum(np.sin(x))\n"
    path, m = _imported(tmp_path, monkeypatch, "patched_alone", text)
    new = text.replace("2.0", "3.0")
    path.write_text(new)
    ns = {"np": np}
    own = "def k(x):\n    x *= 3.0\n    return np.sum(np.sin(x))\n"
    exec(compile(own, str(path), "exec"), ns)   # noqa: S102  (as the autoreload compiles the edited def)
    m.k.__code__ = ns["k"].__code__
    assert m.k.__code__.co_firstlineno == 1
    x = np.array([0.3, 0.7, 1.1])
    np.testing.assert_allclose(ad.gradient(m.k, x.copy())[0], 3.0 * np.cos(3.0 * x))
    path.write_text(new.replace("3.0", "4.0") + "\n")
    np.testing.assert_allclose(ad.gradient(m.k, x.copy())[0], 3.0 * np.cos(3.0 * x))
    np.testing.assert_allclose(ad.gradient(m.k, x.copy(), backend="auto")[0], 3.0 * np.cos(3.0 * x))


def _traced_kernel(x, w):
    s = np.sum(np.sin(x) * w)
    return s * 2.0


def test_ast_nodes_marked_by_other_tools():
    """IPython's tracebacks (``executing``) mark the nodes they parse with ``parent``, the
    ``ast.Load()``, ``ast.Store()`` and operators every tree shares among them: copying the
    generated code followed those marks round a cycle (RecursionError, after any traceback shown
    in a notebook). The marks are kept as they are, not followed."""
    import ast
    other = ast.parse("y = x * 2")
    shared = [ast.Load(), ast.Store(), ast.Mult(), ast.Add()]
    for node in ast.walk(other):
        for child in ast.iter_child_nodes(node):
            child.parent = node
    for s in shared:
        s.parent = other.body[0]   # (a cycle: the statement's own nodes lead back to it)
    try:
        x, w = np.array([0.3, 0.7]), np.array([1.5, -0.5])
        np.testing.assert_allclose(ad.gradient(_traced_kernel, x, w)[0], 2.0 * np.cos(x) * w)
    finally:
        for node in [*shared, *ast.walk(other)]:
            node.__dict__.pop("parent", None)


def test_field_less_nodes_are_copied_as_themselves():
    """``copy.deepcopy`` of a tree shares its ``Load``/``Store``/operator nodes, as the parser does:
    marks other tools put on those (IPython's ``parent``) no longer drag a copy of their trees into
    every copy of ours (after a traceback in a notebook, differentiating was 100 times slower)."""
    import ast
    import copy

    import adcompiler.frontend.parse  # noqa: F401  (registers the copies)
    tree = ast.parse("y = x * 2 + z")
    twin = copy.deepcopy(tree)
    assert twin.body[0].targets[0].ctx is tree.body[0].targets[0].ctx
    assert twin.body[0].value.left.op is tree.body[0].value.left.op
    assert twin.body[0].value is not tree.body[0].value


def _listed_then_weighted(x):
    L = list(x)   # (rewritten as a comprehension: the name `list` is still what the code was made for)
    return float(np.sum(np.asarray(L) * x))


def _doubled(v):
    return 2.0 * v


def test_a_module_name_shadowing_list_after_a_call_is_differentiated_again(monkeypatch):
    # (the rewrite of list(v) took the name out of the code's free names: the old code ran on)
    x = np.array([0.7, 1.3, 0.9])
    np.testing.assert_allclose(ad.gradient(_listed_then_weighted, x)[0], 2 * x, rtol=1e-14)
    monkeypatch.setitem(globals(), "list", _doubled)
    np.testing.assert_allclose(ad.gradient(_listed_then_weighted, x)[0], 4 * x, rtol=1e-14)
    d = ad.autodiff(ad.ReverseWithPrimal, _listed_then_weighted, ad.Active, Duplicated(x.copy(), np.zeros(3)))
    assert d[1] == pytest.approx(_listed_then_weighted(x))
    monkeypatch.undo()
    np.testing.assert_allclose(ad.gradient(_listed_then_weighted, x)[0], 2 * x, rtol=1e-14)
