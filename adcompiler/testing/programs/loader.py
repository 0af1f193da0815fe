"""Write generated source to a real file and import it.

adcompiler reads functions with ``inspect.getsource``, so every generated
program lives in its own ``.py`` file under one temporary directory that is
removed when the process exits.
"""
from __future__ import annotations

import atexit
import importlib.util
import itertools
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

_DIR: Path | None = None
_COUNTER = itertools.count()


def _directory() -> Path:
    global _DIR
    if _DIR is None:
        _DIR = Path(tempfile.mkdtemp(prefix="adc_fuzz_"))
        atexit.register(shutil.rmtree, _DIR, True)
    return _DIR


def load_source(source: str, stem: str = "prog") -> ModuleType:
    """Import ``source`` as a fresh module backed by a file; return the module."""
    name = f"adc_fuzz_{stem}_{next(_COUNTER)}"
    path = _directory() / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_program(program) -> object:
    """The entry function of a generated ``Program``, imported from a file."""
    module = load_source(program.source, f"s{program.seed}")
    return getattr(module, program.entry)
