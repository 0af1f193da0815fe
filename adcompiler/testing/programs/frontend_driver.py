"""Run one fuzzed module through every entry point of adcompiler.

Contract of ``run_source(source, folder)``: write ``source`` to a fresh file
in ``folder``, import it (any exception while importing, a SyntaxError
included, makes the input ``skipped``: not adcompiler's business), then for
each function the module defines call ``adjoint_source``, ``autodiff`` in
reverse and forward mode and the command line (``emit``, sometimes
``check``). A ``Failure`` is recorded when

- anything but ``AdCompilerError`` escapes ``adjoint_source``;
- anything but ``AdCompilerError`` escapes ``autodiff`` although the plain
  function ran without an exception on the same arguments; when the plain run
  raises, an exception raised inside the generated code or the user's file
  may escape too (the program's own error), but never one raised inside the
  adcompiler package;
- the command line exits with status 3 (internal error), or writes a
  traceback, or exits 2 without a message.

A per-input time limit (``signal.setitimer``, main thread only) turns an
endless loop in a mutated program into a skip.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import os
import signal
import sys
import threading
import traceback
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import adcompiler as ad
from adcompiler.cli import main as cli_main

_counter = itertools.count()
_PACKAGE = os.path.dirname(os.path.abspath(ad.__file__)) + os.sep


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in user code cannot swallow it."""


@dataclass
class Failure:
    """An entry point that crashed on a function of a source (instead of refusing it)."""

    entry: str          # which entry point
    function: str
    error: str          # "Type: message"
    source: str


@dataclass
class Result:
    """What running one source through every entry point found."""

    status: str = "skipped"   # skipped (import failed or timed out), checked
    functions: int = 0
    refusals: int = 0
    accepted: int = 0
    failures: list = field(default_factory=list)


@contextlib.contextmanager
def _time_limit(seconds: float):
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout()
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _import(path: Path) -> types.ModuleType | None:
    name = f"trust_fuzz_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(name, None)
        if isinstance(exc, (KeyboardInterrupt, _Timeout)):
            raise
        return None
    return module


def _functions(module) -> list:
    return [v for k, v in sorted(vars(module).items())
            if k.startswith("f") and k[1:].isdigit() and callable(v)]


def _positional_count(f) -> int:
    code = getattr(f, "__code__", None)
    return code.co_argcount if code is not None else 2


def _fresh_args(n: int, kinds: list[str]) -> list:
    rng = np.random.default_rng(n)
    out = []
    for k in kinds:
        if k == "dup":
            out.append(ad.Duplicated(rng.uniform(0.5, 1.5, 4), rng.uniform(-1, 1, 4)))
        elif k == "active":
            out.append(ad.Active(0.7))
        else:
            out.append(ad.Const(3))
    return out


def _plain(f, args):
    """Run f itself on copies; returns (exception or None, return value)."""
    vals = [a.val.copy() if isinstance(a.val, np.ndarray) else a.val for a in args]
    try:
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            value = f(*vals)
        if hasattr(value, "close") and hasattr(value, "send"):   # a coroutine or generator: never run
            value.close()
        return None, value
    except _Timeout:
        raise
    except BaseException as exc:  # noqa: BLE001 (the user's code may raise anything)
        return exc, None


def _from_adcompiler(exc: BaseException) -> bool:
    """True when the innermost frame outside numpy and the standard library is adcompiler's own code."""
    for fr in reversed(traceback.extract_tb(exc.__traceback__)):
        name = fr.filename
        if name.startswith(_PACKAGE):
            return True
        if name.startswith("<adcompiler") or not name.startswith((sys.prefix, sys.base_prefix)):
            return False   # generated code or the user's file
    return True


#: CPython's SystemError when a signal handler (the time limit) runs inside its conversion of a syntax tree
_ALARM_IN_AST = "AST constructor recursion depth mismatch"


def _call(res: Result, entry: str, f, source: str, fn, user_failed: bool = False) -> object:
    try:
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            out = fn()
        res.accepted += 1
        return out
    except ad.AdCompilerError:
        res.refusals += 1
    except _Timeout:
        raise
    except BaseException as exc:  # noqa: BLE001 (that is exactly what is looked for)
        if isinstance(exc, SystemError) and _ALARM_IN_AST in str(exc):
            raise _Timeout() from None   # (the time limit fired inside CPython's syntax-tree conversion)
        if user_failed and isinstance(exc, Exception) and not _from_adcompiler(exc):
            return None
        res.failures.append(Failure(entry, getattr(f, "__name__", repr(f)), f"{type(exc).__name__}: {exc}"[:300],
                                    source))
    return None


def _check_function(res: Result, f, source: str, kinds: list[str]) -> None:
    classes = {"dup": ad.Duplicated, "active": ad.Active, "const": ad.Const}
    _call(res, "adjoint_source", f, source, lambda: ad.adjoint_source(f, *[classes[k] for k in kinds]))
    args = _fresh_args(1, kinds)
    exc, value = _plain(f, args)
    failed = exc is not None
    ret = ad.Active if isinstance(value, float) else ad.Const
    _call(res, "autodiff(Reverse)", f, source, lambda: ad.autodiff(ad.Reverse, f, ret, *_fresh_args(1, kinds)),
          failed)
    fret = ad.Duplicated if isinstance(value, float) else ad.Const
    _call(res, "autodiff(Forward)", f, source, lambda: ad.autodiff(ad.Forward, f, fret, *_fresh_args(1, kinds)),
          failed)


def _cli(res: Result, path: Path, f, source: str, argv: list[str]) -> None:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
                np.errstate(all="ignore"):
            status = cli_main(argv, out=io.StringIO())
    except _Timeout:
        raise
    except BaseException as exc:  # noqa: BLE001
        res.failures.append(Failure(f"cli {argv[0]}", f.__name__, f"escaped: {type(exc).__name__}: {exc}"[:300],
                                    source))
        return
    text = err.getvalue()
    if "_Timeout" in text or _ALARM_IN_AST in text:
        # the time limit fired inside a callback that swallowed it, or inside CPython's conversion of a
        # syntax tree (the handler's frames break its recursion count: a SystemError): not a finding
        return
    if status == 3 or "Traceback" in text or (status == 2 and "adcompiler:" not in text):
        res.failures.append(Failure(f"cli {argv[0]}", f.__name__, f"exit {status}: {text.strip()[:300]}", source))


def run_source(source: str, folder: Path, kinds_seed: int = 0, cli: bool = True, check: bool = False,
               limit: float = 10.0) -> Result:
    """Exercise every function of ``source``; see the module docstring."""
    res = Result()
    path = Path(folder) / f"fz_{next(_counter)}.py"
    path.write_text(source, encoding="utf-8")
    try:
        with _time_limit(limit), warnings.catch_warnings():
            warnings.simplefilter("ignore")   # odd programs: warnings of every kind are expected
            module = _import(path)
            if module is None:
                return res
            res.status = "checked"
            for i, f in enumerate(_functions(module)):
                res.functions += 1
                n = _positional_count(f)
                choice = ("dup", "dup", "active", "const")
                kinds = [choice[(kinds_seed + i + j) % 4] if j else "dup" for j in range(n)]
                _check_function(res, f, source, kinds)
                if cli and isinstance(f, types.FunctionType):
                    name = f.__name__ if getattr(module, f.__name__, None) is f else None
                    if name:
                        _cli(res, path, f, source, ["emit", f"{path}:{name}"])
                        if check:
                            shapes = [f"--shape={p}=4" for p in f.__code__.co_varnames[:n]]
                            _cli(res, path, f, source, ["check", f"{path}:{name}", *shapes])
    except _Timeout:
        res.status = "skipped"
    finally:
        for key in [k for k in sys.modules if k.endswith(path.stem)]:
            sys.modules.pop(key, None)
    return res
