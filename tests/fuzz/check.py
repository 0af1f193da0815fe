"""Differentiate a generated program with adcompiler and judge the result.

Outcome statuses:

- ``ok``: shadows, returned derivatives and primal side effects all match.
- ``refused``: adcompiler raised an ``AdCompilerError`` (``construct`` and
  ``detail`` say what it refused).
- ``wrong``: a gradient, a returned derivative, a primal side effect or the
  primal return differs from the reference.
- ``error``: any other exception from adcompiler.
- ``skipped``: on every input drawn the functional sat on a kink, or the
  values were unsuitable; nothing was concluded.
- ``invalid``: the program itself failed as plain Python (a generator bug).
"""
from __future__ import annotations

import signal
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from . import fd
from .loader import load_program
from .spec import Program


@dataclass
class Outcome:
    """The verdict on one program."""

    status: str
    program: Program
    input_seed: int = 0
    detail: str = ""
    construct: str = ""
    error_type: str = ""
    mismatches: list[str] = field(default_factory=list)
    expected: dict = field(default_factory=dict)
    reason: str = ""

    def report(self) -> str:
        """A printable report: verdict, reason and the program's source."""
        head = f"[{self.status}] seed={self.program.seed} input_seed={self.input_seed} "
        head += f"{self.error_type} {self.construct}".strip()
        body = "\n".join([self.detail] + self.mismatches)
        return f"{head}\n{body}\n{self.program.reproducer(self.input_seed)}"


def _default_api() -> SimpleNamespace:
    import adcompiler
    from adcompiler import errors
    return SimpleNamespace(module=adcompiler, error=errors.AdCompilerError)


def _tol(dtype: str) -> tuple[float, float]:
    return (2e-4, 1e-9) if dtype == "float64" else (3e-3, 2e-5)


def _close(got, want, rtol: float) -> bool:
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False
    scale = np.maximum(1.0, np.abs(want))
    return bool(np.all(np.abs(got - want) <= rtol * scale))


def run_autodiff(api, program: Program, fn, values: list, seeds: dict):
    """Call adcompiler in the program's mode; return (args, shadows, derivs, primal)."""
    m = api.module
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
    shadows = {p.name: seeds[p.name].copy() for p in program.params if p.activity == "Duplicated"}
    ann, types = [], []
    for p, a in zip(program.params, args):
        cls = getattr(m, p.activity)
        types.append(cls)
        ann.append(cls(a, shadows[p.name]) if p.activity == "Duplicated" else cls(a))
    ret_cls = getattr(m, program.ret)
    primal = None
    if program.mode == "ReverseSplitWithPrimal":
        fwd, rev = m.autodiff_thunk(m.ReverseSplitWithPrimal, fn, ret_cls, *types)
        tape, primal = fwd(*ann)
        for name, sh in shadows.items():
            sh[...] = seeds[name]
        derivs = rev(*ann, 1.0, tape)
    elif program.mode == "ReverseWithPrimal":
        derivs, primal = m.autodiff(m.ReverseWithPrimal, fn, ret_cls, *ann)
    else:
        derivs = m.autodiff(m.Reverse, fn, ret_cls, *ann)
    return args, shadows, derivs, primal


def _compare(program: Program, ref_args, ref_ret, got, grads) -> list[str]:
    args, shadows, derivs, primal = got
    rtol, ptol = _tol(program.dtype)
    bad = []
    if not isinstance(derivs, tuple) or len(derivs) != len(program.params):
        return [f"derivs should be a tuple of {len(program.params)}, got {derivs!r}"]
    for p, a, r, d in zip(program.params, args, ref_args, derivs):
        if isinstance(r, np.ndarray) and not np.allclose(a, r, rtol=ptol, atol=ptol):
            bad.append(f"primal {p.name}: got {a!r} want {r!r}")
        if p.activity == "Duplicated" and not _close(shadows[p.name], grads[p.name], rtol):
            bad.append(f"shadow d{p.name}: got {shadows[p.name]!r} want {grads[p.name]!r}")
        if p.activity == "Active":
            if d is None or not _close(d, grads[p.name], rtol):
                bad.append(f"derivative of {p.name}: got {d!r} want {grads[p.name]!r}")
        elif d is not None:
            bad.append(f"derivative of {p.activity} {p.name} should be None, got {d!r}")
    if program.mode != "Reverse":
        if ref_ret is None:
            if primal is not None:
                bad.append(f"primal return: got {primal!r}, want None")
        elif primal is None or not _close(primal, ref_ret, max(ptol, 1e-12)):
            bad.append(f"primal return: got {primal!r} want {ref_ret!r}")
    return bad


class Timeout(Exception):
    """adcompiler took longer than the checker's time limit."""


@contextmanager
def _time_limit(seconds: float | None):
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise Timeout(f"no result within {seconds} s (endless loop?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _reference(fn, values: list):
    args = [v.copy() if isinstance(v, np.ndarray) else v for v in values]
    with np.errstate(all="ignore"):
        ret = fn(*args)
    return args, ret


def _too_large(values, limit: float = 1e3) -> bool:
    """Whether a run produced values so large that central differences of
    the functional lose its derivative in rounding (the generator keeps
    programs below the same limit on their own inputs)."""
    for v in values:
        if v is None or isinstance(v, (int, bool)):
            continue
        a = np.asarray(v, dtype=float)
        if a.size and (not np.all(np.isfinite(a)) or np.max(np.abs(a)) > limit):
            return True
    return False


def check_program(program: Program, api=None, fn=None, inputs: int = 3,
                  timeout: float | None = 30.0) -> Outcome:
    """Check ``program`` on up to ``inputs`` input draws (until one is smooth).

    A call to adcompiler that exceeds ``timeout`` seconds is an ``error``.

    ``api`` defaults to adcompiler itself (``SimpleNamespace(module=...,
    error=...)`` lets the checker be tested against hand-written adjoints).
    """
    api = api or _default_api()
    fn = fn or load_program(program)
    last = "no input tried"
    for attempt in range(inputs):
        input_seed = program.seed * 16 + attempt
        values = program.build_inputs(input_seed)
        seeds = program.build_seeds(input_seed)
        try:
            ref_args, ref_ret = _reference(fn, values)
        except OverflowError as exc:
            last = f"overflow: {exc}"
            continue
        except Exception:  # noqa: BLE001 - the program itself failed: report, do not raise
            return Outcome("invalid", program, input_seed, traceback.format_exc())
        if _too_large(ref_args + [ref_ret]):
            last = "values too large for finite differences"
            continue
        try:
            grads = fd.gradient(fn, program, values, seeds)
        except fd.NonSmooth as exc:
            last = str(exc)
            continue
        except Exception:  # noqa: BLE001 - the program itself failed: report, do not raise
            return Outcome("invalid", program, input_seed, traceback.format_exc())
        try:
            with _time_limit(timeout):
                got = run_autodiff(api, program, fn, values, seeds)
        except api.error as exc:
            return Outcome("refused", program, input_seed, str(exc), expected=grads,
                           construct=str(getattr(exc, "construct", "") or ""),
                           reason=str(getattr(exc, "reason", "") or ""),
                           error_type=type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - any non-AdCompilerError is a finding
            return Outcome("error", program, input_seed, traceback.format_exc(), expected=grads,
                           error_type=type(exc).__name__)
        bad = _compare(program, ref_args, ref_ret, got, grads)
        if bad:
            return Outcome("wrong", program, input_seed, "mismatch against finite differences "
                           "or the plain run", mismatches=bad, expected=grads)
        return Outcome("ok", program, input_seed)
    return Outcome("skipped", program, 0, last)
