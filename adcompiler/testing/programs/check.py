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

from ..fd import agree
from . import reference
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
    entries: dict = field(default_factory=dict)
    """``check_all`` only: entry point name -> ``EntryResult``."""

    def failing(self, statuses: tuple = ("wrong", "error")) -> list[str]:
        """Names of the entry points whose status is in ``statuses``."""
        return [k for k, e in self.entries.items() if e.status in statuses]

    def report(self) -> str:
        """A printable report: verdict, reason and the program's source."""
        head = f"[{self.status}] seed={self.program.seed} input_seed={self.input_seed} "
        head += f"{self.error_type} {self.construct}".strip()
        lines = [self.detail] + self.mismatches
        for name, e in self.entries.items():
            lines.append(f"  {name:<17} {e.status}" + (f": {e.summary()}" if e.status != "ok" else ""))
        body = "\n".join(lines)
        return f"{head}\n{body}\n{self.program.reproducer(self.input_seed)}"


def _default_api() -> SimpleNamespace:
    import adcompiler
    from adcompiler import errors
    return SimpleNamespace(module=adcompiler, error=errors.AdCompilerError)


def _tol(dtype: str) -> tuple[float, float]:
    return (2e-4, 1e-9) if dtype == "float64" else (3e-3, 2e-5)




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


def _compare(program: Program, ref_args, ref_ret, got, grads, check_primal: bool | None = None) -> list[str]:
    args, shadows, derivs, primal = got
    if check_primal is None:
        check_primal = program.mode != "Reverse"
    rtol, ptol = _tol(program.dtype)
    bad = []
    if not isinstance(derivs, tuple) or len(derivs) != len(program.params):
        return [f"derivs should be a tuple of {len(program.params)}, got {derivs!r}"]
    for p, a, r, d in zip(program.params, args, ref_args, derivs):
        if isinstance(r, np.ndarray) and not np.allclose(a, r, rtol=ptol, atol=ptol):
            bad.append(f"primal {p.name}: got {a!r} want {r!r}")
        if p.activity == "Duplicated" and not agree(shadows[p.name], grads[p.name], rtol):
            bad.append(f"shadow d{p.name}: got {shadows[p.name]!r} want {grads[p.name]!r}")
        if p.activity == "Active":
            if d is None or not agree(d, grads[p.name], rtol):
                bad.append(f"derivative of {p.name}: got {d!r} want {grads[p.name]!r}")
        elif d is not None:
            bad.append(f"derivative of {p.activity} {p.name} should be None, got {d!r}")
    if check_primal:
        if ref_ret is None:
            if primal is not None:
                bad.append(f"primal return: got {primal!r}, want None")
        elif primal is None or not agree(primal, ref_ret, max(ptol, 1e-12)):
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


def _plain_run(program: Program, fn, values: list, input_seed: int):
    """The plain run on these inputs: ``(final args, return)``; a reason
    string when the inputs are unsuitable (overflow, values too large for
    finite differences); an ``invalid`` Outcome when the program itself fails."""
    try:
        ref_args, ref_ret = _reference(fn, values)
    except OverflowError as exc:
        return f"overflow: {exc}"
    except Exception:  # noqa: BLE001 - the program itself failed: report, do not raise
        return Outcome("invalid", program, input_seed, traceback.format_exc())
    if _too_large(ref_args + [ref_ret]):
        return "values too large for finite differences"
    return ref_args, ref_ret


def _too_large(values, limit: float = 1e3) -> bool:
    """Whether a run produced values so large that central differences of
    the functional lose its derivative in rounding (the generator keeps
    programs below the same limit on their own inputs)."""
    for v in values:
        if v is None or isinstance(v, (int, bool, list, tuple, dict)):
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
        values, seeds = program.build_inputs(input_seed), program.build_seeds(input_seed)
        ref = _plain_run(program, fn, values, input_seed)
        if isinstance(ref, Outcome):
            return ref
        if isinstance(ref, str):
            last = ref
            continue
        ref_args, ref_ret = ref
        try:
            grads = reference.gradient(fn, program, values, seeds)
        except reference.NonSmooth as exc:
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


# ---- every entry point -------------------------------------------------------

@dataclass
class EntryResult:
    """What one entry point did on one program: ``ok``, ``refused``, ``wrong``,
    ``error`` or ``not-run`` (a comparison whose inputs were unavailable)."""

    status: str
    detail: str = ""
    mismatches: list[str] = field(default_factory=list)
    error_type: str = ""
    construct: str = ""
    reason: str = ""

    def summary(self) -> str:
        if self.status == "refused":
            return f"{self.error_type}: {(self.reason or self.detail).splitlines()[0][:160] if (self.reason or self.detail) else ''}"
        if self.status == "error":
            return self.detail.strip().splitlines()[-1][:200] if self.detail.strip() else self.error_type
        return "; ".join(m[:300] for m in self.mismatches[:4]) or self.detail[:200]


def default_entries(program: Program, tape_every: int = 10) -> tuple[str, ...]:
    """Every entry point; PyTorch and JAX on every ``tape_every``-th seed only."""
    from .entries import CHECKPOINT_ENTRIES, FORWARD_ENTRIES, REVERSE_ENTRIES
    out = REVERSE_ENTRIES + FORWARD_ENTRIES + ("autograd",) + CHECKPOINT_ENTRIES
    if tape_every and program.seed % tape_every == 0:
        out += ("torch", "jax")
    return out


def _compare_forward(program: Program, ref_args, got, want: dict, want_ret, rtol: float) -> list[str]:
    args, tangents, ret_t = got
    _, ptol = _tol(program.dtype)
    bad = []
    for p, a, r in zip(program.params, args, ref_args):
        if isinstance(r, np.ndarray) and not np.allclose(a, r, rtol=ptol, atol=ptol):
            bad.append(f"primal {p.name}: got {a!r} want {r!r}")
        if p.activity == "Duplicated" and not agree(tangents[p.name], want[p.name], rtol):
            bad.append(f"tangent d{p.name}: got {tangents[p.name]!r} want {want[p.name]!r}")
    if program.ret == "Active":
        if ret_t is None or not agree(ret_t, want_ret, rtol):
            bad.append(f"tangent of the return: got {ret_t!r} want {want_ret!r}")
    elif ret_t is not None:
        bad.append(f"tangent of a Const return should be None, got {ret_t!r}")
    return bad


def _dot_test(program: Program, rev, fwd, tangents: dict, seeds: dict) -> list[str]:
    """<reverse gradient, v> == <seed, forward tangent> (+ the return's tangent)."""
    _, shadows, derivs, _ = rev
    _, t_out, ret_t = fwd
    lhs, rhs, scale = 0.0, 0.0, 0.0
    for p, d in zip(program.params, derivs):
        if p.activity == "Duplicated":
            a = np.asarray(shadows[p.name], np.float64) * np.asarray(tangents[p.name], np.float64)
            b = np.asarray(seeds[p.name], np.float64) * np.asarray(t_out[p.name], np.float64)
            lhs, rhs = lhs + float(a.sum()), rhs + float(b.sum())
            scale += float(np.abs(a).sum() + np.abs(b).sum())
        elif p.activity == "Active":
            lhs += float(d) * tangents[p.name]
            scale += abs(float(d) * tangents[p.name])
    if program.ret == "Active":
        rhs += float(ret_t)
        scale += abs(float(ret_t))
    tol = (1e-9 if program.dtype == "float64" else 1e-3) * max(1.0, scale)
    if not abs(lhs - rhs) <= tol:
        return [f"dot test: <reverse gradient, v> = {lhs!r} but <seed, forward tangent> = {rhs!r}"]
    return []


def _run_entry(api, name: str, runner, ctx, timeout):
    try:
        with _time_limit(timeout):
            return runner(ctx), None
    except api.error as exc:
        return None, EntryResult("refused", str(exc), error_type=type(exc).__name__,
                                 construct=str(getattr(exc, "construct", "") or ""),
                                 reason=str(getattr(exc, "reason", "") or ""))
    except Exception as exc:  # noqa: BLE001 - any non-AdCompilerError is a finding
        cause = exc.__cause__ or exc.__context__
        if type(exc).__name__ == "UsageError" and isinstance(cause, api.error):
            return None, EntryResult("refused", str(exc), error_type=type(cause).__name__,
                                     reason=str(getattr(cause, "reason", "") or ""))
        if type(exc).__name__ == "UsageError":
            return None, EntryResult("refused", str(exc), error_type="UsageError")
        return None, EntryResult("error", traceback.format_exc(), error_type=type(exc).__name__)


def _aggregate(program: Program, input_seed: int, results: dict, expected: dict) -> Outcome:
    statuses = {e.status for e in results.values()}
    ran = {k: e for k, e in results.items() if e.status != "not-run"}
    for status in ("wrong", "error"):
        if status in statuses:
            first = next(e for e in results.values() if e.status == status)
            names = [k for k, e in results.items() if e.status == status]
            return Outcome(status, program, input_seed, f"{status} at {', '.join(names)}",
                           mismatches=first.mismatches, expected=expected, error_type=first.error_type,
                           entries=results)
    refused = [k for k, e in ran.items() if e.status == "refused"]
    if refused:
        first = ran[refused[0]]
        status = "refused" if len(refused) == len(ran) else "inconsistent"
        detail = first.detail if status == "refused" else \
            f"refused only by {', '.join(refused)}: {first.detail}"
        return Outcome(status, program, input_seed, detail, expected=expected, construct=first.construct,
                       reason=first.reason, error_type=first.error_type, entries=results)
    return Outcome("ok", program, input_seed, entries=results)


def check_all(program: Program, api=None, fn=None, inputs: int = 3, timeout: float | None = 30.0,
              entries: tuple[str, ...] | None = None, tape_every: int = 10) -> Outcome:
    """Check ``program`` through every entry point (see ``programs.entries``).

    Each entry point is compared with central finite differences (reverse
    entries with the gradient of the seeded functional, forward entries with
    the directional derivative of every output) and with the plain run; the
    dot-product test compares Reverse with Forward. The verdict is the worst
    over the entries: ``wrong``, ``error``, then ``inconsistent`` (some
    entries refused, others did not: see ``Outcome.entries``), ``refused``
    (all did), ``ok``.
    """
    from .entries import Context
    api = api or _default_api()
    fn = fn or load_program(program)
    entries = entries or default_entries(program, tape_every)
    last = "no input tried"
    for attempt in range(inputs):
        input_seed = program.seed * 16 + attempt
        values, seeds = program.build_inputs(input_seed), program.build_seeds(input_seed)
        tangents = program.build_tangents(input_seed)
        tangents2 = program.build_tangents(input_seed + 1_000_003)
        ref = _plain_run(program, fn, values, input_seed)
        if isinstance(ref, Outcome):
            return ref
        if isinstance(ref, str):
            last = ref
            continue
        ref_args, ref_ret = ref
        try:
            grads = reference.gradient(fn, program, values, seeds)
            dirs = [reference.directional(fn, program, values, t) for t in (tangents, tangents2)]
        except reference.NonSmooth as exc:
            last = str(exc)
            continue
        except Exception:  # noqa: BLE001 - the program itself failed: report, do not raise
            return Outcome("invalid", program, input_seed, traceback.format_exc())
        ctx = Context(api, program, fn, values, seeds, tangents, tangents2, ref_args)
        results, got = _check_entries(ctx, entries, timeout, ref_ret, grads, dirs)
        if "Reverse" in got and "Forward" in got:
            bad = _dot_test(program, got["Reverse"], got["Forward"], tangents, seeds)
            results["dot"] = EntryResult("wrong", mismatches=bad) if bad else EntryResult("ok")
        elif "Reverse" in entries and "Forward" in entries:
            results["dot"] = EntryResult("not-run", "needs Reverse and Forward")
        return _aggregate(program, input_seed, results, grads)
    return Outcome("skipped", program, 0, last)


def _check_entries(ctx, entries: tuple[str, ...], timeout: float | None, ref_ret, grads: dict,
                   dirs: list) -> tuple[dict, dict]:
    """Run and compare every entry point: (results by entry, values of the entries that ran)."""
    from .entries import FORWARD_ENTRIES, RUNNERS
    program, ref_args = ctx.program, ctx.ref_args
    rtol, _ = _tol(program.dtype)
    results: dict = {}
    got: dict = {}
    for name in entries:
        value, failure = _run_entry(ctx.api, name, RUNNERS[name], ctx, timeout)
        if failure is not None:
            results[name] = failure
            continue
        got[name] = value
        if name == "hvp":
            results[name] = EntryResult("not-run", "not a float64 loss, or a kink near") if value is None else \
                EntryResult("wrong", mismatches=value) if value else EntryResult("ok")
            continue
        if name == "Batch":
            bad = []
            for j, (res, (want, want_ret)) in enumerate(zip(value, dirs)):
                bad += [f"direction {j + 1}: {m}" for m in
                        _compare_forward(program, ref_args, res, want, want_ret, rtol)]
            if not bad and "Forward" in got:
                tight = 1e-9 if program.dtype == "float64" else 1e-4
                bad += [f"direction 1 differs from Forward: {m}" for m in _compare_forward(
                    program, ref_args, value[0], got["Forward"][1], got["Forward"][2], tight)]
        elif name in FORWARD_ENTRIES:
            bad = _compare_forward(program, ref_args, value, dirs[0][0], dirs[0][1], rtol)
        else:
            check_primal = value[3] is not _no_primal()
            bad = _compare(program, ref_args, ref_ret, value if check_primal else
                           (*value[:3], None), grads, check_primal)
        results[name] = EntryResult("wrong", mismatches=bad) if bad else EntryResult("ok")
    return results, got


def _no_primal():
    from .entries import NO_PRIMAL
    return NO_PRIMAL
