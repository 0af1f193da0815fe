"""Command line, part 4: ``adcompiler check`` and ``adcompiler rules``.

``run_check`` builds random inputs from ``--shape``/``--value``, gives each
argument its activity (flags, type hints, defaults, as ``emit`` does), and
runs the dot-product test of ``adcompiler.testing`` for each differentiable
argument alone and for all together, printing one table row per test. Unlike
``check_grads``, which stops at the first failure, every row is computed.
"""
from __future__ import annotations

import numpy as np

from .. import activity as A
from ..api.reverse import autodiff
from ..codegen.compile import commented_origin
from ..frontend.parse import by_position
from .color import paint
from .load import ACTIVE, CONST, DUP, Target, UsageError, decide_activities
from .load import split_names as _names


def parse_shape(text: str) -> tuple[str, tuple, np.dtype]:
    """``NAME=DIMS[:DTYPE]`` -> ``(name, shape, dtype)``; the dtype is float64 unless given
    (``idx=3:int64`` is an integer index array, ``x=5:float32`` a float32 array,
    ``z=5:complex128`` a complex one)."""
    name, sep, dims = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--shape {text}: expected NAME=DIMS, e.g. A=3,4 (or x= for a 0-d array, "
                         "idx=3:int64 for an integer array).")
    dims, colon, dtype_text = dims.partition(":")
    if "=" in dtype_text or "=" in dims:
        raise UsageError(f"--shape {text}: one argument per --shape; give each its own (--shape s=6 --shape t=6).")
    try:
        dtype = np.dtype(dtype_text.strip() or "float64")
    except (TypeError, ValueError):   # (ValueError: a text numpy reads as a record's format, "f8,i4")
        dtype = None
    if dtype is None or dtype.kind not in "fciub" or (colon and not dtype_text.strip()):
        raise UsageError(f"--shape {text}: `{dtype_text}` is not a float, complex or integer numpy dtype; use "
                         "e.g. float64, float32, complex128, int64, int32 or bool.")
    try:
        shape = tuple(int(d) for d in dims.strip().strip("()").replace("x", ",").split(",") if d.strip())   # ((): 0-d)
    except ValueError:
        raise UsageError(f"--shape {text}: dimensions must be integers, e.g. A=3,4.") from None
    if any(d < 0 for d in shape):
        raise UsageError(f"--shape {text}: dimensions must not be negative.")
    return name.strip(), shape, dtype


def numbers_given(shape_args) -> frozenset:
    """The names ``--shape NAME=:DTYPE`` gives no dimensions and a float or complex dtype: numbers
    (a real or complex scalar; ``--shape NAME=`` without a dtype is a 0-d array)."""
    out = set()
    for text in shape_args:
        name, shape, dtype = parse_shape(text)
        if shape == () and text.partition("=")[2].partition(":")[1] and dtype.kind in "fc":
            out.add(name)
    return frozenset(out)


def _random_array(rng, shape: tuple, dtype: np.dtype, lo: float, hi: float, extent: int) -> np.ndarray:
    """Uniform floats in [lo, hi); integers in [0, extent) (valid indices of every axis); random booleans."""
    if dtype.kind == "f":
        return rng.uniform(lo, hi, shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.uniform(lo, hi, shape) + 1j * rng.uniform(lo, hi, shape)).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.integers(0, max(extent, 1), shape).astype(dtype)


def _parse_value(text: str):
    name, sep, num = text.partition("=")
    try:
        if not sep:
            raise ValueError
        value = int(num) if num.strip().lstrip("+-").isdigit() else float(num)
    except ValueError:
        raise UsageError(f"--value {text}: expected NAME=NUMBER, e.g. dt=0.01 or n=10.") from None
    return name.strip(), value


def _range(text: str) -> tuple[float, float]:
    """``--range LO,HI``: the interval the arrays' random values are drawn from."""
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"--range {text}: expected LO,HI, e.g. 0.5,1.5.") from None
    if not (lo < hi and np.isfinite(hi - lo)):
        raise UsageError(f"--range {text}: LO must be below HI, both finite and within a float's range of each "
                         "other, e.g. 0.5,1.5.")
    return lo, hi


def _shaped(name, v, act, why, source, number, extent) -> tuple:
    """The activity of an argument ``--shape`` gives, and why: an integer array is Const, a number
    (``NAME=:DTYPE``) Active, a float array Duplicated, unless a flag or a type hint says otherwise."""
    weak = source not in ("flag", "hint")   # defaults, usage and guesses give way
    if v.dtype.kind not in "fc":
        if act != CONST and source == "flag":
            raise UsageError(f"`{name}` is an integer array (--shape) but is {act} ({why}). Hint: only "
                             "float arrays are differentiated; drop the flag.")
        return CONST, f"an {v.dtype} array given with --shape (values in [0, {extent}))"
    if number and not (act == DUP and not weak):
        return (ACTIVE, "a number given with --shape NAME=:DTYPE") if weak else (act, why)
    if weak and act != DUP:
        act, why = DUP, "a float array given with --shape"
    if act == ACTIVE:
        raise UsageError(f"`{name}` is an array (--shape) but is Active ({why}). Hint: use --dup or "
                         "--const for arrays.")
    return act, why


def _inputs(target: Target, args) -> tuple[list, list, dict]:
    """(values, activities, reasons) for the function's parameters."""
    import inspect
    specs = [parse_shape(s) for s in args.shape]
    numbers = numbers_given(args.shape)
    shapes = {name: shape for name, shape, _ in specs}
    dtypes = {name: dtype for name, _, dtype in specs}
    float_dims = [d for name, shape, dtype in specs if dtype.kind in "fc" for d in shape]
    extent = min(float_dims) if float_dims else 1
    values = dict(_parse_value(v) for v in args.value)
    lo, hi = _range(args.range)
    sig = inspect.signature(target.func)
    for n in list(shapes) + list(values):
        if n not in sig.parameters:
            raise UsageError(f"`{target.func.__name__}` has no parameter `{n}` (its parameters: "
                             f"{', '.join(sig.parameters)}).")
    active = _names(args.active)
    const = _names(args.const)
    # a float given with --value is Active, an int Const, unless a flag or type hint says otherwise
    acts = decide_activities(target.func, const, active, _names(args.dup))
    rng = np.random.default_rng(args.seed)
    vals, kinds = [], []
    for name, p in sig.parameters.items():
        act, why = acts.acts[name], acts.reasons[name]
        weak = acts.source[name] not in ("flag", "hint")   # defaults, usage and guesses give way
        if name in shapes:
            v = _random_array(rng, shapes[name], dtypes[name], lo, hi, extent)
            act, why = _shaped(name, v, act, why, acts.source[name], name in numbers, extent)
            if name in numbers and act != DUP:   # (a number; else an array, 0-d too)
                v = complex(v) if np.iscomplexobj(v) else float(v)
            else:
                v = np.asarray(v)
        elif name in values:
            v = values[name]
            if weak:
                act, why = (ACTIVE, "a float given with --value") if isinstance(v, float) else \
                    (CONST, "an int given with --value")
            if act == DUP:
                raise UsageError(f"`{name}` is a scalar (--value) but is Duplicated ({why}). Hint: use "
                                 "--active or --const for scalars.")
        elif p.default is not p.empty:
            v = p.default
            if act == DUP and not isinstance(v, np.ndarray):
                raise UsageError(f"`{name}` is a scalar (its default, {v!r}) but is Duplicated ({why}). Hint: "
                                 "use --active or --const for scalars.")
        elif act == ACTIVE:
            v = float(rng.uniform(lo, hi))
        else:
            raise UsageError(f"no value for `{name}`: give --shape {name}=DIMS for an array or --value "
                             f"{name}=NUMBER for a scalar.")
        vals.append(v)
        kinds.append((name, act, why))
    return vals, kinds, shapes


#: the reverse-mode paths ``check`` runs, in table order
PATHS = ("reverse", "split", "emitted", "emitted-split")

PATH_NOTES = """paths: reverse = autodiff(Reverse); split = autodiff_thunk(ReverseSplitWithPrimal) with fresh
shadows (zeros for the forward half, new arrays holding the seed for the reverse half, as the tapes
call it); emitted = {f}_reverse of the module `adcompiler emit` writes; emitted-split = its {f}_fwd
then {f}_rev with fresh shadows; forward = autodiff(Forward) along the same directions."""


def run_check(target: Target, args, out, color: bool) -> int:
    """Run the checks and print the table; the exit status (0 all pass, 1 otherwise)."""
    from ..testing.check import Problem
    vals, kinds, _ = _inputs(target, args)
    annots = []
    for v, (_, act, _) in zip(vals, kinds):
        if act == DUP:
            annots.append(A.Duplicated(v, np.zeros_like(v)))
        else:
            annots.append(A.Active(v if isinstance(v, complex) else float(v)) if act == ACTIVE else A.Const(v))
    prob = Problem(target.func, annots, np.random.default_rng(args.seed + 1))
    ref_vals = prob.fresh()
    try:
        ref_ret = by_position(target.func)(*ref_vals)
    except Exception as e:
        raise UsageError(f"`{target.func.__name__}` raised {type(e).__name__} on the random inputs: {e}. "
                         "Hint: check the --shape and --value arguments (or rerun with --traceback).") from e
    ret_active = args.ret == "active" if args.ret is not None else isinstance(ref_ret, (float, np.floating))
    if not prob.diff:
        out.write("nothing to check: no argument is differentiable (all Const).\n")
        return 0
    # (single precision: float32, complex64; complex128 is double precision)
    rtol = 1e-3 if any(prob.vals[k].dtype not in (np.float64, np.complex128) for k in prob.dups) else 1e-6
    groups = [(kinds[k][0], kinds[k][1], [k]) for k in prob.diff]
    if len(prob.diff) > 1:
        groups.append(("all", "together", list(prob.diff)))
    fds: dict = {}   # one finite difference per group, shared by every path
    rows, notes = [], []
    in_order = [(kinds[k][0], kinds[k][1], [k]) for k in range(len(kinds))] + groups[len(prob.diff):]
    runs = {"reverse": _run_reverse, "split": _run_split, "emitted": _run_emitted,
            "emitted-split": _run_emitted_split}
    for path in PATHS:
        try:
            grads, finals = runs[path](target, prob, kinds, ret_active)
        except _NotChecked as e:
            notes.append(f"{path}: not checked ({e})")
            continue
        except Exception as e:   # noqa: BLE001 (a path that crashes is a failed path, named in the table)
            rows.append((path, "all", "raised", type(e).__name__, "-", "FAIL"))
            where = commented_origin(e) if "raised by the derivative of" not in str(e) else None
            notes.append(f"{path}: raised {type(e).__name__}: {e}"
                         + (f" (raised by the derivative of {where})" if where else ""))
            continue
        rows += _path_rows(path, prob, in_order, grads, finals, ref_vals, ret_active, rtol, fds)
    note = _forward_rows(target, prob, kinds, groups, ret_active, rtol, rows, fds)
    if note:
        notes.append(note)
    out.write(_table(("mode", "argument", "activity", "relative error", "tolerance", "result"), rows, color))
    failed = sum(r[-1] == "FAIL" for r in rows)
    out.write("relative error: |<g, v> - finite difference| over the size of the terms, max(sum |g_i v_i|, "
              f"|finite difference|, noise / {rtol:g});\n"
              f"tolerance: {rtol:g} plus the finite difference's rounding-noise bound, over the same size "
              "(a row passes when its error is within it).\n")
    out.write(PATH_NOTES.replace("{f}", target.func.__name__) + "\n")
    for n in notes:
        out.write(n + "\n")
    bad = [p for p in (*PATHS, "forward") if any(r[0] == p and r[-1] == "FAIL" for r in rows)]
    out.write(f"seed {args.seed}, return {'Active' if ret_active else 'Const'}: "
              + (f"{failed} check(s) failed (paths: {', '.join(bad)})\n" if failed else "all checks passed\n"))
    return 1 if failed else 0


class _NotChecked(Exception):
    """A path that cannot run for this function (said in a note, not a failure)."""


def _path_rows(path, prob, in_order, grads, finals, ref_vals, ret_active, rtol, fds) -> list:
    from ..testing.fd import close, inner
    rows = []
    for name, act, ks in in_order:
        if ks[0] not in prob.diff:
            if path == "reverse":
                rows.append((path, name, act, "-", "-", "-"))
        else:
            ad = sum(inner(grads[k], prob.dirs[k]) for k in ks)   # complex values: Re and Im as two reals
            mag = sum(float(np.sum(np.abs(np.real(np.conj(grads[k]) * prob.dirs[k])))) for k in ks)
            rows.append((path, name, act, *_verdict(prob, ks, ad, mag, ret_active, rtol, fds)))
        if len(ks) == 1 and isinstance(ref_vals[ks[0]], np.ndarray) and prob.kinds[ks[0]] != "noneed" \
                and not close(finals[ks[0]], ref_vals[ks[0]]):
            rows.append((path, name, "final value", "differs", "-", "FAIL"))
    return rows


def _grads(prob, shadows: dict, derivs: dict) -> dict:
    from ..testing.fd import wide
    return {k: wide(shadows[k]) if k in shadows else wide(derivs[k]) for k in prob.diff}


def _annotated(prob, kinds, values, shadows) -> list:
    return [A.Duplicated(values[k], shadows[k]) if k in shadows else
            (A.Active(values[k]) if kinds[k][1] == ACTIVE else A.Const(values[k])) for k in range(len(values))]


def _seeds(prob, values) -> dict:
    """Fresh shadow arrays holding the seeds (in their arrays' dtypes and layouts; a 0-d array's
    seed is a number)."""
    out = {}
    for k in prob.dups:
        out[k] = np.empty_like(values[k])
        out[k][...] = prob.seeds[k]
    return out


def _zeros(prob, values) -> dict:
    return {k: np.zeros_like(values[k]) for k in prob.dups}


def _run_reverse(target, prob, kinds, ret_active):
    fresh = prob.fresh()
    shadows = _seeds(prob, fresh)
    derivs = autodiff(A.Reverse, target.func, A.Active if ret_active else A.Const,
                      *_annotated(prob, kinds, fresh, shadows))
    return _grads(prob, shadows, dict(enumerate(derivs))), fresh


def _run_split(target, prob, kinds, ret_active):
    """The forward half with fresh zero shadows, the reverse half with fresh shadows holding the seed."""
    from ..api.reverse import autodiff_thunk
    fresh = prob.fresh()
    first = _annotated(prob, kinds, fresh, _zeros(prob, fresh))
    fwd, rev = autodiff_thunk(A.ReverseSplitWithPrimal, target.func, A.Active if ret_active else A.Const,
                              *[type(a) for a in first])
    tape, _ = fwd(*first)
    shadows = _seeds(prob, fresh)
    derivs = rev(*_annotated(prob, kinds, fresh, shadows), 1.0 if ret_active else 0.0, tape)
    return _grads(prob, shadows, dict(enumerate(derivs))), fresh


def _emitted_module(target, prob, kinds, ret_active) -> dict:
    """The functions of the module ``adcompiler emit`` writes for these activities and kinds."""
    from ..analysis.kinds import kind_of_value
    from ..errors import AdCompilerError
    from .emit import emit_source
    acts = {act: [name for name, a, _ in kinds if a == act] for act in (DUP, ACTIVE, CONST)}
    known = {name: kind_of_value(v) for (name, _, _), v in zip(kinds, prob.vals)}
    try:
        text = emit_source(target, "reverse", acts[CONST], acts[ACTIVE], acts[DUP],
                           "active" if ret_active else "const", known=known)
    except (UsageError, AdCompilerError) as e:
        raise _NotChecked(str(e).split(". Hint:")[0].replace("\n", " ")) from None
    return load_emitted(text, target.func.__name__)


def load_emitted(text: str, name: str) -> dict:
    """Run an emitted module as the file it is and return its namespace
    (``codegen.compile.run_standalone``: nothing given to it but the builtins)."""
    from ..codegen.compile import run_standalone
    return run_standalone(text, f"emitted module of {name}")


def _flat(prob, values, shadows) -> list:
    out = []
    for k, v in enumerate(values):
        out.append(v)
        if k in shadows:
            out.append(shadows[k])
    return out


def _active_derivs(prob, kinds, returned) -> dict:
    actives = [k for k in range(len(kinds)) if kinds[k][1] == ACTIVE]
    if not isinstance(returned, tuple) or len(returned) != len(actives):
        raise TypeError(f"expected a tuple of {len(actives)} derivative(s), got {returned!r}")
    return dict(zip(actives, returned))


def _run_emitted(target, prob, kinds, ret_active):
    ns = _emitted_module(target, prob, kinds, ret_active)
    fresh = prob.fresh()
    shadows = _seeds(prob, fresh)
    extra = [1.0] if ret_active else []
    returned = ns[f"{target.func.__name__}_reverse"](*_flat(prob, fresh, shadows), *extra)
    return _grads(prob, shadows, _active_derivs(prob, kinds, returned)), fresh


def _run_emitted_split(target, prob, kinds, ret_active):
    ns = _emitted_module(target, prob, kinds, ret_active)
    name = target.func.__name__
    fresh = prob.fresh()
    tape = ns["_ad_tape"]()
    ns[f"{name}_fwd"](*_flat(prob, fresh, _zeros(prob, fresh)), tape)
    shadows = _seeds(prob, fresh)
    returned = ns[f"{name}_rev"](*_flat(prob, fresh, shadows), 1.0 if ret_active else None, tape)
    return _grads(prob, shadows, _active_derivs(prob, kinds, returned)), fresh


def _verdict(prob, ks: list, ad: float, mag: float, ret_active: bool, rtol: float, fds: dict) -> tuple:
    """(relative error, tolerance, pass/FAIL) of a directional derivative against finite differences.

    Both are relative to the size of the terms, ``max(sum |g_i v_i|, |fd|,
    noise / rtol)``: the error is the raw ``|<g, v> - fd|`` (what agreement
    looks like, 1e-10 and below for a correct float64 derivative), the
    tolerance is ``rtol`` plus the finite difference's own rounding-noise
    bound. The last term keeps a zero derivative (memory that is overwritten)
    from dividing rounding noise by itself: below ``noise / rtol`` the finite
    difference cannot resolve ``rtol`` anyway."""
    from ..testing.fd import compare, derivative_with_noise
    key = tuple(ks)
    if key not in fds:
        sub = {k: prob.dirs[k] for k in ks}
        fds[key] = derivative_with_noise(lambda t: prob.objective(t, sub, ret_active, 1.0), 1e-6)
    fd, noise = fds[key]
    cmp = compare(ad, mag, fd, noise, rtol, 0.0)
    scale = max(mag, abs(fd), noise / rtol)
    raw = abs(ad - fd) / scale if scale > 0 else abs(ad - fd)
    tol = cmp.tol / scale if scale > 0 else cmp.tol
    return f"{raw:.1e}", f"{tol:.1e}", "pass" if cmp.ok else "FAIL"


def _forward_rows(target, prob, kinds, groups, ret_active, rtol, rows, fds) -> str:
    """Forward-mode rows (tangents along the same directions); a note when unavailable."""
    from ..errors import AdCompilerError
    if not hasattr(A, "Forward"):
        return "forward mode: not available in this version."
    for name, act, ks in groups:
        fresh = prob.fresh()
        tangents = {}
        call = []
        for k, v in enumerate(fresh):
            if k in prob.dups:
                tangents[k] = (np.asarray(prob.dirs[k]) if k in ks else np.zeros_like(v)).astype(v.dtype)
                call.append(A.Duplicated(v, tangents[k]))
            elif k in prob.diff:
                number = complex if isinstance(v, complex) else float   # (a complex Active number: its direction)
                call.append(A.Duplicated(v, number(prob.dirs[k]) if k in ks else number(0.0)))
            else:
                call.append(A.Const(v))
        try:
            res = autodiff(A.Forward, target.func, A.Duplicated if ret_active else A.Const, *call)
        except AdCompilerError as e:
            return f"forward mode: not checked ({e.reason})"
        terms = [np.real(np.conj(prob.seeds[k]) * tangents[k]) for k in prob.dups]
        if ret_active:
            terms.append(np.asarray(float(np.real(res[0]))))
        dd = sum(float(np.sum(t)) for t in terms)
        mag = sum(float(np.sum(np.abs(t))) for t in terms)
        rows.append(("forward", name, act, *_verdict(prob, ks, dd, mag, ret_active, rtol, fds)))
    return ""


def _table(head: tuple, rows: list, color: bool) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths)).rstrip()]
    for r in rows:
        line = "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
        if color and r[-1] in ("pass", "FAIL"):
            line = line.replace(r[-1], paint(r[-1], "green" if r[-1] == "pass" else "red"))
        lines.append(line)
    return "\n".join(lines) + "\n"
