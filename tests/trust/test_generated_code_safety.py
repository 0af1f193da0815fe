"""Generated code runs nothing but the user's code, and the cache cannot be poisoned.

- Two modules holding a function of the same name and the same source text
  but different globals (a constant, a helper) each get their own gradient,
  in any order, also when one module is reloaded with new values or when
  modules are created and discarded one after another (a freed globals dict
  may be reused at the same address).
- A scan of adcompiler/ shows that the only ``compile``/``exec``/``eval`` of
  source text is ``codegen/compile.py`` compiling generated source; the only
  other dynamic execution is the command line importing the user's file.
- What is compiled is the generated adjoint only: it does not depend on the
  argument values (no runtime data is spliced into source), and its namespace
  holds numpy, math, the runtime helpers and only the globals the function
  reads.
"""
from __future__ import annotations

import ast
import gc
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

import adcompiler as ad
from adcompiler import Active, Const, Duplicated, Reverse, autodiff
from adcompiler.codegen import compile as codegen_compile
from adcompiler.runtime import HELPERS

from . import kernels_trust as K

PACKAGE = Path(ad.__file__).resolve().parent

SOURCE = """import numpy as np

K = {k}


def helper(x):
    return {h} * x


def loss(x):
    return np.sum(K * helper(x) * x)
"""


def _module(folder: Path, name: str, k: float, h: float):
    path = folder / f"{name}.py"
    path.write_text(SOURCE.format(k=k, h=h))
    importlib.invalidate_caches()
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def _grad(f, x) -> np.ndarray:
    dx = np.zeros_like(x)
    autodiff(Reverse, f, Active, Duplicated(x.copy(), dx))
    return dx


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("trust_poison")]:
        del sys.modules[name]


X = np.array([0.5, 1.0, 2.0])


def test_same_name_same_text_other_module_gets_its_own_gradient(folder):
    a = _module(folder, "trust_poison_a", 2.0, 1.0)
    b = _module(folder, "trust_poison_b", 5.0, 1.0)
    assert a.loss.__code__ == b.loss.__code__   # equal code objects: the cache must look further
    for _ in range(2):
        np.testing.assert_allclose(_grad(a.loss, X), 4.0 * X)
        np.testing.assert_allclose(_grad(b.loss, X), 10.0 * X)


def test_same_name_other_helper(folder):
    a = _module(folder, "trust_poison_c", 1.0, 3.0)
    b = _module(folder, "trust_poison_d", 1.0, 7.0)
    np.testing.assert_allclose(_grad(a.loss, X), 6.0 * X)
    np.testing.assert_allclose(_grad(b.loss, X), 14.0 * X)
    np.testing.assert_allclose(_grad(a.loss, X), 6.0 * X)


def test_reloaded_module_with_new_constant(folder):
    m = _module(folder, "trust_poison_e", 2.0, 1.0)
    np.testing.assert_allclose(_grad(m.loss, X), 4.0 * X)
    (folder / "trust_poison_e.py").write_text(SOURCE.format(k=3.0, h=1.0))
    importlib.invalidate_caches()
    sys.modules.pop("trust_poison_e.__pycache__", None)
    m = importlib.reload(m)   # same module dict, equal code object, new K
    np.testing.assert_allclose(_grad(m.loss, X), 6.0 * X)


def test_rebinding_a_global_constant_between_calls(folder):
    m = _module(folder, "trust_poison_f", 2.0, 1.0)
    np.testing.assert_allclose(_grad(m.loss, X), 4.0 * X)
    m.K = 4.0
    np.testing.assert_allclose(_grad(m.loss, X), 8.0 * X)


def test_rebinding_a_helper_between_calls(folder):
    """Regression of core bug trust-4 (a stale cached analysis kept the old helper's adjoint)."""
    m = _module(folder, "trust_poison_h", 1.0, 1.0)
    other = _module(folder, "trust_poison_i", 1.0, 0.25)
    np.testing.assert_allclose(_grad(m.loss, X), 2.0 * X)
    m.helper = other.helper   # loss(x) = sum(0.25 x * x) from now on
    assert m.loss(X) == pytest.approx(np.sum(0.25 * X * X))
    np.testing.assert_allclose(_grad(m.loss, X), 0.5 * X)


def test_discarded_modules_do_not_leak_into_new_ones(folder):
    """Module dicts freed and reallocated (possibly at the same address) never share an entry."""
    for i in range(8):
        m = _module(folder, f"trust_poison_g{i}", float(i + 1), 1.0)
        np.testing.assert_allclose(_grad(m.loss, X), 2.0 * (i + 1) * X)
        del sys.modules[m.__name__]
        del m
        gc.collect()


DYNAMIC = {"exec", "eval", "compile", "__import__", "import_module", "exec_module", "run_path", "run_module",
           "system", "popen", "Popen", "spawnv", "execv"}
RISKY_MODULES = {"pickle", "marshal", "shelve", "subprocess", "ctypes", "runpy", "code", "codeop"}


def _dynamic_calls() -> set:
    """(file, name) of every call that runs code from text or a file, and every risky import."""
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in DYNAMIC:
                    found.add((rel, f.id))
                elif isinstance(f, ast.Attribute) and f.attr in DYNAMIC - {"compile"}:   # not re.compile
                    found.add((rel, f.attr))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found.update((rel, f"import {m}") for m in mods if m.split(".")[0] in RISKY_MODULES)
    return found


def test_only_generated_source_is_compiled_and_executed():
    found = _dynamic_calls()
    assert {c for c in found if not c[0].startswith("testing/")} == {
        ("codegen/compile.py", "compile"),   # the generated adjoint source
        ("codegen/compile.py", "exec"),      # ... run once to define its functions (and a nested def, lifted)
        ("cli/load.py", "exec_module"),      # the command line importing the user's own file
    }
    # the random-program tester runs the programs it generates, and the pass examples their source
    # (never imported by the compiler)
    assert {c for c in found if c[0].startswith("testing/")} == {
        ("testing/programs/entries.py", "compile"), ("testing/programs/entries.py", "exec"),
        ("testing/programs/generate.py", "compile"), ("testing/programs/generate.py", "exec"),
        ("testing/programs/reduce.py", "compile"), ("testing/programs/loader.py", "exec_module"),
        ("testing/programs/frontend_driver.py", "exec_module"),
        ("testing/passes.py", "compile"), ("testing/passes.py", "exec"),   # examples of the passes
    }


@pytest.fixture
def compiled(monkeypatch):
    seen = []
    real = codegen_compile.compile_source

    def spy(source, namespace, label):
        seen.append((source, dict(namespace)))
        return real(source, namespace, label)
    monkeypatch.setattr(codegen_compile, "compile_source", spy)
    ad.codegen.cache.clear()
    return seen


def test_compiled_source_does_not_depend_on_argument_values(compiled):
    for value in (12345.678, -98765.4321):
        x = np.full(3, value)
        autodiff(Reverse, K.weighted, Active, Duplicated(x, np.zeros(3)), Const(np.full(3, value / 7)))
        ad.codegen.cache.clear()
    assert len(compiled) == 2
    (first, _), (second, _) = compiled
    assert first == second
    assert "12345" not in first and "98765" not in first


def test_compiled_namespace_holds_only_what_the_function_reads(compiled):
    x = np.ones(3)
    autodiff(Reverse, K.squared_scaled, Active, Duplicated(x, np.zeros(3)))
    ((source, namespace),) = compiled
    user = set(namespace) - set(HELPERS) - {"np", "math"}
    assert user == {"SCALE"}
    assert namespace["SCALE"] is K.SCALE
    tree = ast.parse(source)
    called = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert all(c.startswith(("np.", "_ad_", "_tape.", "len", "range", "float", "int")) or c in namespace
               for c in called), called
